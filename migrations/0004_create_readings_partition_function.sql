-- Creates the monthly partition of `readings` that holds `ts` unless it already exists, and
-- returns its name (`readings_yYYYYmMM`). Months are UTC months whatever the session time zone.
--
-- Safe when several processes race for the same month: the loser of a concurrent CREATE gets
-- duplicate_table (the winner committed first) or unique_violation (on the catalog index, when
-- both were in flight together); both mean "it exists now" and are swallowed.
CREATE FUNCTION trueyaw_ensure_readings_partition(ts timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_utc timestamp := date_trunc('month', ts AT TIME ZONE 'UTC');
    part      text := format('readings_y%sm%s', to_char(month_utc, 'YYYY'), to_char(month_utc, 'MM'));
BEGIN
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
            part,
            month_utc AT TIME ZONE 'UTC',
            (month_utc + interval '1 month') AT TIME ZONE 'UTC'
        );
    EXCEPTION
        WHEN duplicate_table OR unique_violation THEN
            NULL;
    END;
    RETURN part;
END
$$;
