-- Aggregated windows of one turbine: `length_s` seconds starting at `window_start`, aligned to
-- the Unix epoch (a 600 s window starts at :00, :10, ...). Rows with origin 'poll' are computed
-- from `readings` by `store::windows::refresh_windows`; rows with origin 'import' come straight
-- from 10-minute SCADA exports, which lack some columns, hence everything statistical is
-- nullable.
--
-- Counts: `n_readings` rows in the window, `n_valid` rows whose poll did not fail (some values
-- may still be missing), `n_running` rows with state = 1 (running).
-- Linear signals carry mean, sample standard deviation, min and max.
-- Angles are averaged on the circle: mean = atan2(mean sin, mean cos), std = sqrt(-2 ln R) in
-- degrees (R the mean resultant length). `vane_deg_mean` is in (-180, 180], `nacelle_deg_mean`
-- in [0, 360). `vane_deg_min`/`_max` are plain extremes (the vane of an operating turbine stays
-- far from +/-180).
CREATE TABLE windows (
    turbine_id        int NOT NULL REFERENCES turbines (id),
    length_s          int NOT NULL CHECK (length_s > 0),
    window_start      timestamptz NOT NULL,
    origin            text NOT NULL DEFAULT 'poll' CHECK (origin IN ('poll', 'import')),
    n_readings        int NOT NULL,
    n_valid           int NOT NULL,
    n_running         int,
    wind_speed_ms_mean double precision,
    wind_speed_ms_std  double precision,
    wind_speed_ms_min  double precision,
    wind_speed_ms_max  double precision,
    power_kw_mean      double precision,
    power_kw_std       double precision,
    power_kw_min       double precision,
    power_kw_max       double precision,
    rotor_rpm_mean     double precision,
    rotor_rpm_std      double precision,
    rotor_rpm_min      double precision,
    rotor_rpm_max      double precision,
    pitch_deg_mean     double precision,
    pitch_deg_std      double precision,
    pitch_deg_min      double precision,
    pitch_deg_max      double precision,
    vane_deg_mean      double precision,
    vane_deg_std       double precision,
    vane_deg_min       double precision,
    vane_deg_max       double precision,
    nacelle_deg_mean   double precision,
    nacelle_deg_std    double precision,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (turbine_id, length_s, window_start)
);
