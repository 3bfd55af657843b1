-- Angle wrapping in SQL, matching `domain::angle::{wrap180, wrap360}`: relative angles (vane)
-- live in (-180, 180], headings (nacelle) in [0, 360). Plain SQL and IMMUTABLE so the planner
-- inlines them into the window aggregation.
CREATE FUNCTION trueyaw_wrap360(deg double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- The inner expression can round up to exactly 360 for tiny negative inputs.
    SELECT CASE WHEN w >= 360 THEN 0 ELSE w END
    FROM (SELECT deg - 360 * floor(deg / 360) AS w) AS s
$$;

CREATE FUNCTION trueyaw_wrap180(deg double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN w > 180 THEN w - 360 ELSE w END
    FROM (SELECT trueyaw_wrap360(deg) AS w) AS s
$$;
