//! Raw readings: bulk writes by binary COPY, and reads for tests and the API.
//!
//! A write takes the fast path first: one `COPY readings FROM STDIN`, a single statement and so
//! a single transaction. Replayed spool segments and retried batches may contain rows already
//! stored; the COPY then fails as a whole with unique_violation and nothing of it remains, and
//! the batch goes the idempotent way instead: COPY into a temporary staging table, then
//! `INSERT ... ON CONFLICT DO NOTHING`. Writing the same batch twice therefore stores it once
//! and reports 0 new rows the second time.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};

use super::copy::{READING_COLUMNS, copy_binary, encode};
use super::{StoreError, partitions};
use crate::domain::{Quality, Reading};

/// SQLSTATE unique_violation: some row of the batch is already stored.
const UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE check_violation, which is what "no partition of relation found for row" carries.
const CHECK_VIOLATION: &str = "23514";

/// Writes readings and returns how many rows were newly inserted. Rows whose
/// (turbine_id, time) is already stored are skipped, so replaying a batch is harmless.
/// Creates the month partitions the batch needs.
pub async fn write_readings(pool: &PgPool, readings: &[Reading]) -> Result<u64, StoreError> {
    if readings.is_empty() {
        return Ok(0);
    }
    partitions::ensure_for(pool, readings).await?;
    let data = encode(readings);
    match copy_into_readings(pool, &data).await {
        Ok(n) => Ok(n),
        Err(e) if e.sqlstate().as_deref() == Some(UNIQUE_VIOLATION) => {
            tracing::debug!(rows = readings.len(), "batch overlaps stored rows; inserting the new ones only");
            insert_new_via_staging(pool, &data).await
        }
        Err(e) if e.sqlstate().as_deref() == Some(CHECK_VIOLATION) => {
            // A month we believed existed was dropped (retention) while we ran: recreate it and
            // take the idempotent path, which is right whether or not the first COPY got far.
            tracing::warn!(error = %e, "readings partition missing; recreating");
            partitions::forget(pool);
            partitions::ensure_for(pool, readings).await?;
            insert_new_via_staging(pool, &data).await
        }
        Err(e) => Err(e),
    }
}

/// The fast path: COPY straight into `readings`.
async fn copy_into_readings(pool: &PgPool, data: &[u8]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    copy_binary(&mut conn, &format!("COPY readings ({READING_COLUMNS}) FROM STDIN (FORMAT binary)"), data).await
}

/// The idempotent path: COPY into a per-transaction staging table, then insert what is new.
async fn insert_new_via_staging(pool: &PgPool, data: &[u8]) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("CREATE TEMP TABLE readings_staging (LIKE readings INCLUDING DEFAULTS) ON COMMIT DROP")
        .execute(&mut *tx)
        .await?;
    copy_binary(&mut tx, &format!("COPY readings_staging ({READING_COLUMNS}) FROM STDIN (FORMAT binary)"), data)
        .await?;
    // DO NOTHING also settles duplicates within the batch itself: the first one wins.
    // Only compile-time constants are interpolated into the statements of this module.
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO readings ({READING_COLUMNS}) SELECT {READING_COLUMNS} FROM readings_staging
         ON CONFLICT (turbine_id, time) DO NOTHING"
    )))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(inserted)
}

fn reading_from_row(row: &PgRow) -> Result<Reading, sqlx::Error> {
    Ok(Reading {
        turbine_id: row.try_get("turbine_id")?,
        time: row.try_get("time")?,
        wind_speed_ms: row.try_get("wind_speed_ms")?,
        vane_deg: row.try_get("vane_deg")?,
        nacelle_deg: row.try_get("nacelle_deg")?,
        power_kw: row.try_get("power_kw")?,
        rotor_rpm: row.try_get("rotor_rpm")?,
        pitch_deg: row.try_get("pitch_deg")?,
        state: row.try_get("state")?,
        quality: Quality(row.try_get("quality")?),
    })
}

/// The readings of one turbine with `from <= time < to`, oldest first.
pub async fn readings_between(
    pool: &PgPool,
    turbine_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Reading>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {READING_COLUMNS} FROM readings WHERE turbine_id = $1 AND time >= $2 AND time < $3 ORDER BY time"
    )))
    .bind(turbine_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(reading_from_row).collect::<Result<_, _>>()?)
}

/// How many readings of one turbine are stored.
pub async fn count_readings(pool: &PgPool, turbine_id: i32) -> Result<i64, StoreError> {
    let n = sqlx::query_scalar("SELECT count(*) FROM readings WHERE turbine_id = $1")
        .bind(turbine_id)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// The newest reading of each turbine of farm `farm_id` that carries a wind speed and a vane
/// angle, looking back no further than `since` (so an offline turbine costs one bounded index
/// scan, not a walk through its whole history). Turbines without one are left out.
pub async fn latest_usable(pool: &PgPool, farm_id: i32, since: DateTime<Utc>) -> Result<Vec<Reading>, StoreError> {
    let cols = READING_COLUMNS.split(',').map(|c| format!("r.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {cols} FROM turbines t CROSS JOIN LATERAL (
             SELECT * FROM readings x
             WHERE x.turbine_id = t.id AND x.time >= $2
               AND x.wind_speed_ms IS NOT NULL AND x.vane_deg IS NOT NULL
             ORDER BY x.time DESC LIMIT 1) r
         WHERE t.farm_id = $1"
    )))
    .bind(farm_id)
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(reading_from_row).collect::<Result<_, _>>()?)
}

/// Up to `limit` readings of one turbine with `after < time < to`, oldest first: one page of a
/// cursor walk (the next page starts after the last time returned).
pub async fn readings_page(
    pool: &PgPool,
    turbine_id: i32,
    after: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Reading>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {READING_COLUMNS} FROM readings
         WHERE turbine_id = $1 AND time > $2 AND time < $3 ORDER BY time LIMIT $4"
    )))
    .bind(turbine_id)
    .bind(after)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(reading_from_row).collect::<Result<_, _>>()?)
}

/// One minute of a turbine's readings, averaged (for charts of recent hours).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MinuteMean {
    /// Start of the minute.
    pub minute: DateTime<Utc>,
    pub wind_speed_ms: f64,
    /// Circular mean, deg in (-180, 180].
    pub vane_deg: f64,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
    pub readings: i64,
}

/// The readings of one turbine with `from <= time < to` that carry a wind speed and a vane
/// angle, averaged per minute in the database (at most one row per minute however fast the
/// turbine is polled), oldest first.
pub async fn minute_means(
    pool: &PgPool,
    turbine_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<MinuteMean>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT date_bin('1 minute', time, TIMESTAMPTZ 'epoch') AS minute,
                avg(wind_speed_ms)::float8 AS wind_speed_ms,
                trueyaw_wrap180(degrees(atan2(avg(sin(radians(vane_deg))), avg(cos(radians(vane_deg)))))) AS vane_deg,
                avg(rotor_rpm)::float8 AS rotor_rpm, avg(pitch_deg)::float8 AS pitch_deg, count(*) AS readings
         FROM readings
         WHERE turbine_id = $1 AND time >= $2 AND time < $3 AND wind_speed_ms IS NOT NULL AND vane_deg IS NOT NULL
         GROUP BY 1 ORDER BY 1",
    )
    .bind(turbine_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?)
}

/// How many readings of one turbine with `from <= time < to` carry each quality value.
pub async fn quality_counts(
    pool: &PgPool,
    turbine_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Quality, i64)>, StoreError> {
    let rows: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT quality, count(*) FROM readings WHERE turbine_id = $1 AND time >= $2 AND time < $3
         GROUP BY 1 ORDER BY 1",
    )
    .bind(turbine_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(q, n)| (Quality(q), n)).collect())
}
