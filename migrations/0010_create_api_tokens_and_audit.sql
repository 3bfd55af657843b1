-- Bearer tokens of the REST API (`trueyaw token create --role ...`). Only a SHA-256 of the secret
-- is stored: the secret is 32 random bytes, shown once at creation, so a fast hash is enough (a
-- slow password hash buys nothing against a 256-bit secret). `prefix` (the first characters of
-- the secret) lets an operator tell tokens apart in listings and logs without revealing them.
-- Tokens are revoked, never deleted, so audit rows keep naming who did what.
CREATE TABLE api_tokens (
    id           serial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Every state-changing call (API or CLI): who, what, on which object, with the details needed
-- to understand or undo it. Append-only.
CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    time   timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    action text NOT NULL,
    target text,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_time ON audit_log (time);
