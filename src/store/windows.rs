//! Aggregated windows computed from raw readings, and reads of them.
//!
//! [`refresh_windows`] recomputes whole windows from `readings` and upserts them, so it is
//! incremental (only the windows a span touches) and idempotent (recomputing gives the same
//! row). Windows imported from SCADA exports (origin `import`) are never overwritten.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use crate::domain::Quality;

/// One stored window; see `migrations/0006_create_windows.sql` for the meaning of each column.
/// Angles in degrees, speeds in m/s, power in kW.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WindowRow {
    pub turbine_id: i32,
    pub length_s: i32,
    pub window_start: DateTime<Utc>,
    /// `poll` (computed from readings) or `import` (from a SCADA export).
    pub origin: String,
    pub n_readings: i32,
    pub n_valid: i32,
    pub n_running: Option<i32>,
    pub wind_speed_ms_mean: Option<f64>,
    pub wind_speed_ms_std: Option<f64>,
    pub wind_speed_ms_min: Option<f64>,
    pub wind_speed_ms_max: Option<f64>,
    pub power_kw_mean: Option<f64>,
    pub power_kw_std: Option<f64>,
    pub power_kw_min: Option<f64>,
    pub power_kw_max: Option<f64>,
    pub rotor_rpm_mean: Option<f64>,
    pub rotor_rpm_std: Option<f64>,
    pub rotor_rpm_min: Option<f64>,
    pub rotor_rpm_max: Option<f64>,
    pub pitch_deg_mean: Option<f64>,
    pub pitch_deg_std: Option<f64>,
    pub pitch_deg_min: Option<f64>,
    pub pitch_deg_max: Option<f64>,
    /// Circular mean in (-180, 180].
    pub vane_deg_mean: Option<f64>,
    /// Circular standard deviation, sqrt(-2 ln R).
    pub vane_deg_std: Option<f64>,
    pub vane_deg_min: Option<f64>,
    pub vane_deg_max: Option<f64>,
    /// Circular mean in [0, 360).
    pub nacelle_deg_mean: Option<f64>,
    pub nacelle_deg_std: Option<f64>,
    /// Mean outdoor temperature, deg C (imported exports only; polled windows leave it NULL).
    pub outdoor_temp_c_mean: Option<f64>,
    pub updated_at: DateTime<Utc>,
}

/// Quality bits that mark a failed poll; must match [`Quality::is_failed_poll`].
const FAILED_POLL_MASK: i32 =
    Quality::TIMEOUT.0 | Quality::DEVICE_EXCEPTION.0 | Quality::BAD_FRAME.0 | Quality::CONNECTION.0;

/// Below this mean resultant length the angles cancel out and no direction is meaningful
/// (the same threshold as `domain::circular_mean_deg`).
const MIN_RESULTANT: f64 = 1e-9;

/// $1 length_s, $2..$4 the spans (already aligned to whole windows), $5 failed-poll mask,
/// $6 minimum resultant length. Each span reads its own index range of `readings` (the
/// LATERAL join), so run-time partition pruning keeps the statement cheap however large the
/// table grows.
const REFRESH_SQL: &str = r#"
WITH spans AS (
    SELECT s.turbine_id, s.w0, s.w1
    FROM unnest($2::int[], $3::timestamptz[], $4::timestamptz[]) AS s (turbine_id, w0, w1)
    -- readings carry no foreign key: skip ids that are not turbines instead of failing the lot
    WHERE EXISTS (SELECT 1 FROM turbines t WHERE t.id = s.turbine_id)
), agg AS (
    SELECT s.turbine_id,
           date_bin(make_interval(secs => $1::int), r.time, TIMESTAMPTZ 'epoch') AS window_start,
           count(*)::int AS n_readings,
           (count(*) FILTER (WHERE r.quality & $5::int = 0))::int AS n_valid,
           (count(*) FILTER (WHERE r.state = 1))::int AS n_running,
           avg(r.wind_speed_ms) AS ws_mean, stddev_samp(r.wind_speed_ms) AS ws_std,
           min(r.wind_speed_ms)::float8 AS ws_min, max(r.wind_speed_ms)::float8 AS ws_max,
           avg(r.power_kw) AS p_mean, stddev_samp(r.power_kw) AS p_std,
           min(r.power_kw)::float8 AS p_min, max(r.power_kw)::float8 AS p_max,
           avg(r.rotor_rpm) AS rpm_mean, stddev_samp(r.rotor_rpm) AS rpm_std,
           min(r.rotor_rpm)::float8 AS rpm_min, max(r.rotor_rpm)::float8 AS rpm_max,
           avg(r.pitch_deg) AS pitch_mean, stddev_samp(r.pitch_deg) AS pitch_std,
           min(r.pitch_deg)::float8 AS pitch_min, max(r.pitch_deg)::float8 AS pitch_max,
           avg(sin(radians(r.vane_deg))) AS vane_s, avg(cos(radians(r.vane_deg))) AS vane_c,
           min(r.vane_deg)::float8 AS vane_min, max(r.vane_deg)::float8 AS vane_max,
           avg(sin(radians(r.nacelle_deg))) AS nac_s, avg(cos(radians(r.nacelle_deg))) AS nac_c
    FROM spans s
    CROSS JOIN LATERAL (
        SELECT * FROM readings r WHERE r.turbine_id = s.turbine_id AND r.time >= s.w0 AND r.time < s.w1
    ) r
    GROUP BY 1, 2
), circ AS (
    SELECT agg.*, sqrt(vane_s ^ 2 + vane_c ^ 2) AS vane_r, sqrt(nac_s ^ 2 + nac_c ^ 2) AS nac_r FROM agg
)
INSERT INTO windows AS w (
    turbine_id, length_s, window_start, origin, n_readings, n_valid, n_running,
    wind_speed_ms_mean, wind_speed_ms_std, wind_speed_ms_min, wind_speed_ms_max,
    power_kw_mean, power_kw_std, power_kw_min, power_kw_max,
    rotor_rpm_mean, rotor_rpm_std, rotor_rpm_min, rotor_rpm_max,
    pitch_deg_mean, pitch_deg_std, pitch_deg_min, pitch_deg_max,
    vane_deg_mean, vane_deg_std, vane_deg_min, vane_deg_max,
    nacelle_deg_mean, nacelle_deg_std, updated_at)
SELECT turbine_id, $1::int, window_start, 'poll', n_readings, n_valid, n_running,
       ws_mean, ws_std, ws_min, ws_max, p_mean, p_std, p_min, p_max,
       rpm_mean, rpm_std, rpm_min, rpm_max, pitch_mean, pitch_std, pitch_min, pitch_max,
       CASE WHEN vane_r > $6 THEN trueyaw_wrap180(degrees(atan2(vane_s, vane_c))) END,
       -- least(): rounding can push R a hair above 1, and ln(R > 1) > 0 has no square root
       CASE WHEN vane_r > $6 THEN degrees(sqrt(abs(2 * ln(least(vane_r, 1))))) END,
       vane_min, vane_max,
       CASE WHEN nac_r > $6 THEN trueyaw_wrap360(degrees(atan2(nac_s, nac_c))) END,
       CASE WHEN nac_r > $6 THEN degrees(sqrt(abs(2 * ln(least(nac_r, 1))))) END,
       now()
FROM circ
ON CONFLICT (turbine_id, length_s, window_start) DO UPDATE SET
    n_readings = EXCLUDED.n_readings, n_valid = EXCLUDED.n_valid, n_running = EXCLUDED.n_running,
    wind_speed_ms_mean = EXCLUDED.wind_speed_ms_mean, wind_speed_ms_std = EXCLUDED.wind_speed_ms_std,
    wind_speed_ms_min = EXCLUDED.wind_speed_ms_min, wind_speed_ms_max = EXCLUDED.wind_speed_ms_max,
    power_kw_mean = EXCLUDED.power_kw_mean, power_kw_std = EXCLUDED.power_kw_std,
    power_kw_min = EXCLUDED.power_kw_min, power_kw_max = EXCLUDED.power_kw_max,
    rotor_rpm_mean = EXCLUDED.rotor_rpm_mean, rotor_rpm_std = EXCLUDED.rotor_rpm_std,
    rotor_rpm_min = EXCLUDED.rotor_rpm_min, rotor_rpm_max = EXCLUDED.rotor_rpm_max,
    pitch_deg_mean = EXCLUDED.pitch_deg_mean, pitch_deg_std = EXCLUDED.pitch_deg_std,
    pitch_deg_min = EXCLUDED.pitch_deg_min, pitch_deg_max = EXCLUDED.pitch_deg_max,
    vane_deg_mean = EXCLUDED.vane_deg_mean, vane_deg_std = EXCLUDED.vane_deg_std,
    vane_deg_min = EXCLUDED.vane_deg_min, vane_deg_max = EXCLUDED.vane_deg_max,
    nacelle_deg_mean = EXCLUDED.nacelle_deg_mean, nacelle_deg_std = EXCLUDED.nacelle_deg_std,
    updated_at = EXCLUDED.updated_at
WHERE w.origin = 'poll'
"#;

/// Start of the `length_s`-second window holding `t`, windows aligned to the Unix epoch.
pub fn window_start(t: DateTime<Utc>, length_s: i32) -> DateTime<Utc> {
    let len = i64::from(length_s.max(1));
    DateTime::from_timestamp(t.timestamp().div_euclid(len) * len, 0).unwrap_or(t)
}

/// Widens each (turbine, from, to) span to whole windows and merges spans of one turbine that
/// overlap or touch, so no reading is aggregated twice in one statement.
fn aligned_spans(
    length_s: i32,
    spans: &[(i32, DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(i32, DateTime<Utc>, DateTime<Utc>)> {
    let step = chrono::Duration::seconds(i64::from(length_s.max(1)));
    let mut out: Vec<_> = spans
        .iter()
        .map(|&(t, a, b)| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            (t, window_start(lo, length_s), window_start(hi, length_s) + step)
        })
        .collect();
    out.sort_unstable();
    let mut merged: Vec<(i32, DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(out.len());
    for (t, w0, w1) in out {
        match merged.last_mut() {
            Some(last) if last.0 == t && w0 <= last.2 => last.2 = last.2.max(w1),
            _ => merged.push((t, w0, w1)),
        }
    }
    merged
}

/// Recomputes, in one statement, every `length_s` window of each listed turbine that
/// intersects its span (`from..=to`, any order), from the raw readings, and upserts them.
/// Returns the number of windows written. Turbine ids missing from `turbines` are skipped.
pub async fn refresh_windows(
    pool: &PgPool,
    length_s: i32,
    spans: &[(i32, DateTime<Utc>, DateTime<Utc>)],
) -> Result<u64, StoreError> {
    let merged = aligned_spans(length_s, spans);
    if merged.is_empty() || length_s <= 0 {
        return Ok(0);
    }
    let ids: Vec<i32> = merged.iter().map(|s| s.0).collect();
    let starts: Vec<DateTime<Utc>> = merged.iter().map(|s| s.1).collect();
    let ends: Vec<DateTime<Utc>> = merged.iter().map(|s| s.2).collect();
    let result = sqlx::query(REFRESH_SQL)
        .bind(length_s)
        .bind(ids)
        .bind(starts)
        .bind(ends)
        .bind(FAILED_POLL_MASK)
        .bind(MIN_RESULTANT)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// The windows of one turbine and length with `from <= window_start < to`, oldest first.
pub async fn windows_between(
    pool: &PgPool,
    turbine_id: i32,
    length_s: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<WindowRow>, StoreError> {
    let rows = sqlx::query_as(
        "SELECT * FROM windows
         WHERE turbine_id = $1 AND length_s = $2 AND window_start >= $3 AND window_start < $4
         ORDER BY window_start",
    )
    .bind(turbine_id)
    .bind(length_s)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Up to `limit` windows of one turbine and length with `after < window_start < to`, oldest
/// first: one page of a cursor walk.
pub async fn windows_page(
    pool: &PgPool,
    turbine_id: i32,
    length_s: i32,
    after: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WindowRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM windows
         WHERE turbine_id = $1 AND length_s = $2 AND window_start > $3 AND window_start < $4
         ORDER BY window_start LIMIT $5",
    )
    .bind(turbine_id)
    .bind(length_s)
    .bind(after)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The direction-relevant means of one operating window (for the farm consensus).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DirectionRow {
    pub turbine_id: i32,
    pub window_start: DateTime<Utc>,
    pub nacelle_deg_mean: f64,
    pub vane_deg_mean: f64,
    pub wind_speed_ms_mean: f64,
}

/// Operating windows (wind speed at least `min_ws_ms`, power above zero, nacelle and vane
/// means present) of every turbine of farm `farm_id`, of one length, with
/// `from <= window_start < to`, by time then turbine.
pub async fn farm_direction_windows(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    min_ws_ms: f64,
) -> Result<Vec<DirectionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT w.turbine_id, w.window_start, w.nacelle_deg_mean, w.vane_deg_mean, w.wind_speed_ms_mean
         FROM windows w JOIN turbines t ON t.id = w.turbine_id
         WHERE t.farm_id = $1 AND w.length_s = $2 AND w.window_start >= $3 AND w.window_start < $4
           AND w.nacelle_deg_mean IS NOT NULL AND w.vane_deg_mean IS NOT NULL
           AND w.wind_speed_ms_mean >= $5 AND w.power_kw_mean > 0
         ORDER BY w.window_start, w.turbine_id",
    )
    .bind(farm_id)
    .bind(length_s)
    .bind(from)
    .bind(to)
    .bind(min_ws_ms)
    .fetch_all(pool)
    .await?)
}

/// `(turbine_id, window_start, power_kw_mean)` of every producing window (power above zero) of
/// farm `farm_id` of one length, by time then turbine: what the farm's reference power is made
/// of.
pub async fn farm_power_windows(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i32, DateTime<Utc>, f64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT w.turbine_id, w.window_start, w.power_kw_mean
         FROM windows w JOIN turbines t ON t.id = w.turbine_id
         WHERE t.farm_id = $1 AND w.length_s = $2 AND w.power_kw_mean > 0
           AND w.window_start >= $3 AND w.window_start < $4
         ORDER BY w.window_start, w.turbine_id",
    )
    .bind(farm_id)
    .bind(length_s)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?)
}

/// Mean power of the windows in one (1 m/s wind-speed bin, 1-degree vane bin) cell.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PowerVaneCell {
    /// Wind-speed bin centre, m/s: the bin holds `ws_bin - 0.5 <= wind speed < ws_bin + 0.5`,
    /// the bins of a model's estimate.
    pub ws_bin: i32,
    /// Vane bin centre, deg, likewise half a degree either side.
    pub vane_bin: i32,
    /// Mean of `power_kw_mean`, kW.
    pub power_kw: f64,
    pub windows: i64,
}

/// Power against vane angle, binned in the database so a chart gets at most one row per cell
/// however many windows the period holds: windows of one turbine and length with
/// `from <= window_start < to`, wind speed in `ws_bins` (bin centres, inclusive), vane mean
/// within `max_abs_vane_deg`, producing power (`power_kw_mean > 0`) and not pitched (pitch mean
/// at most `max_pitch_deg` where it is known). Cells with fewer than `min_windows` windows are
/// left out (one window's mean is mostly turbulence). By wind-speed bin, then vane bin.
#[allow(clippy::too_many_arguments)]
pub async fn power_by_vane(
    pool: &PgPool,
    turbine_id: i32,
    length_s: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    ws_bins: (i32, i32),
    max_abs_vane_deg: f64,
    max_pitch_deg: f64,
    min_windows: i64,
) -> Result<Vec<PowerVaneCell>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT floor(wind_speed_ms_mean + 0.5)::int AS ws_bin, floor(vane_deg_mean + 0.5)::int AS vane_bin,
                avg(power_kw_mean) AS power_kw, count(*) AS windows
         FROM windows
         WHERE turbine_id = $1 AND length_s = $2 AND window_start >= $3 AND window_start < $4
           AND wind_speed_ms_mean >= $5::int - 0.5 AND wind_speed_ms_mean < $6::int + 0.5
           AND abs(vane_deg_mean) <= $7 AND power_kw_mean > 0
           AND (pitch_deg_mean IS NULL OR pitch_deg_mean <= $8)
         GROUP BY 1, 2 HAVING count(*) >= $9 ORDER BY 1, 2",
    )
    .bind(turbine_id)
    .bind(length_s)
    .bind(from)
    .bind(to)
    .bind(ws_bins.0)
    .bind(ws_bins.1)
    .bind(max_abs_vane_deg)
    .bind(max_pitch_deg)
    .bind(min_windows)
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn spans_widen_to_whole_windows_and_merge_per_turbine() {
        let t = |m, s| Utc.with_ymd_and_hms(2025, 3, 1, 0, m, s).unwrap();
        let spans = [(2, t(0, 5), t(3, 0)), (1, t(12, 0), t(12, 1)), (2, t(9, 59), t(10, 30)), (2, t(40, 0), t(40, 0))];
        let merged = aligned_spans(600, &spans);
        assert_eq!(merged, vec![(1, t(10, 0), t(20, 0)), (2, t(0, 0), t(20, 0)), (2, t(40, 0), t(50, 0))]);
        assert_eq!(FAILED_POLL_MASK, 0b1111);
    }
}
