-- Trained vane-error models, one row per training run of one turbine (`trueyaw train`).
-- `version` counts a turbine's models from 1. A model is `active` (served by `trueyaw estimates`)
-- only when it passed the quality gates; otherwise `status` is 'rejected' and `reason` says
-- which gate failed. Activating a model marks the previously active one 'superseded' in the same
-- transaction, and the partial unique index below keeps at most one active model per turbine.
-- `artifact_dir` is where the files (config, weights, estimate, metrics) were written;
-- `metrics` holds filter counts and fit quality; `estimate` the common `VaneErrorEstimate` JSON.
CREATE TABLE models (
    id           serial PRIMARY KEY,
    turbine_id   int NOT NULL REFERENCES turbines (id),
    version      int NOT NULL CHECK (version > 0),
    method       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    active       bool NOT NULL DEFAULT false,
    status       text NOT NULL CHECK (status IN ('active', 'rejected', 'superseded')),
    reason       text,
    artifact_dir text NOT NULL,
    data_from    timestamptz,
    data_to      timestamptz,
    n_windows    int,
    metrics      jsonb NOT NULL DEFAULT '{}',
    estimate     jsonb NOT NULL,
    UNIQUE (turbine_id, version),
    -- `active` and `status` say the same thing twice so the index can be partial on a bool
    CHECK (active = (status = 'active'))
);

CREATE UNIQUE INDEX models_one_active_per_turbine ON models (turbine_id) WHERE active;
