-- Raw polled readings, one row per poll of one turbine, partitioned by UTC month.
--
-- Partitions are named `readings_yYYYYmMM` and created on demand by
-- `trueyaw_ensure_readings_partition` (next migration) before rows for a new month are written.
-- Retention is a matter of dropping whole months, which is instant and leaves no bloat:
--     DROP TABLE readings_y2025m01;
--
-- There is deliberately no foreign key to `turbines`: readings arrive by COPY at up to hundreds
-- of thousands of rows per second, and a per-row FK check would roughly halve that. Turbines
-- are never deleted, and every writer takes `turbine_id` from `turbines`, so nothing dangles.
--
-- Values are `real` (4 bytes): sensor resolution is far coarser than float4's 7 digits, and the
-- table is by far the largest in the database. `quality` holds the flag bits of
-- `domain::Quality` (0 = good); a failed poll is a row with every value NULL.
CREATE TABLE readings (
    turbine_id    int NOT NULL,
    time          timestamptz NOT NULL,
    wind_speed_ms real,
    vane_deg      real,
    nacelle_deg   real,
    power_kw      real,
    rotor_rpm     real,
    pitch_deg     real,
    state         smallint,
    quality       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (turbine_id, time)
) PARTITION BY RANGE (time);
