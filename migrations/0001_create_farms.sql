-- A wind farm: the unit a config file describes and models and reports are filed under.
CREATE TABLE farms (
    id         serial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
