-- Columns only SCADA exports carry (the ENGIE La Haute Borne export, for one): the 10-minute
-- mean outdoor temperature and the mean absolute wind direction the controller reports
-- (nacelle heading + vane, in [0, 360)). Polled windows leave them NULL. Kept because air
-- density (temperature) and the controller's own absolute direction help check imported
-- data against the farm consensus of wind direction.
ALTER TABLE windows
    ADD COLUMN outdoor_temp_c_mean double precision,
    ADD COLUMN wind_dir_deg_mean   double precision;
