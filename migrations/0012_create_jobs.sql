-- Background jobs (for now: training one turbine), shared by every trueyaw process of a farm.
-- A worker claims the oldest due job with `FOR UPDATE SKIP LOCKED`, so several processes split
-- the work without ever running one job twice. A job left 'running' by a process that died is
-- taken back after its lease (`lease_until`) expires.
CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('train')),
    turbine_id   int NOT NULL REFERENCES turbines (id),
    params       jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    requested_by text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    run_after    timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    lease_until  timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    worker       text,
    result       jsonb,
    error        text
);
CREATE INDEX jobs_due ON jobs (run_after) WHERE status = 'queued';
-- One pending job of a kind per turbine: asking again while one waits returns the waiting one.
CREATE UNIQUE INDEX jobs_one_pending ON jobs (turbine_id, kind) WHERE status IN ('queued', 'running');
