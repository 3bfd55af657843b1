-- Live drift alerts raised by `trueyaw serve`'s drift watch: a turbine's absolute direction
-- (nacelle + vane) moved against the farm consensus by `shift_deg` over the recent span compared
-- with the baseline before it, i.e. its vane (or yaw-position sensor) calibration changed since
-- the active model learned it. One row per turbine and episode: while the shift persists the
-- row is updated (`last_seen`), not duplicated. `cleared_at` is set when the turbine's shift
-- falls back below the threshold or a new model is activated for it.
CREATE TABLE drift_alerts (
    id            bigserial PRIMARY KEY,
    turbine_id    int NOT NULL REFERENCES turbines (id),
    detected_at   timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    recent_from   timestamptz NOT NULL,
    recent_to     timestamptz NOT NULL,
    shift_deg     double precision NOT NULL,
    ci95_lo       double precision NOT NULL,
    ci95_hi       double precision NOT NULL,
    model_version int,
    cleared_at    timestamptz
);
-- At most one open alert per turbine.
CREATE UNIQUE INDEX drift_alerts_one_open ON drift_alerts (turbine_id) WHERE cleared_at IS NULL;
