-- A turbine of a farm. `source` describes where it is polled from (e.g. `modbus 10.0.0.5:502
-- unit 1`), for operators reading the table; it is updated whenever the config changes.
-- Turbines are never deleted: readings and windows refer to them by id for good.
CREATE TABLE turbines (
    id         serial PRIMARY KEY,
    farm_id    int NOT NULL REFERENCES farms (id),
    name       text NOT NULL,
    source     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (farm_id, name)
);
