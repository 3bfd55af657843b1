//! Live drift alerts (`drift_alerts`, `migrations/0014_create_drift_alerts.sql`): raised,
//! refreshed and cleared by the drift watch; read by the API and `/metrics`.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DriftAlertRow {
    pub id: i64,
    pub turbine_id: i32,
    pub detected_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub recent_from: DateTime<Utc>,
    pub recent_to: DateTime<Utc>,
    /// Shift of nacelle + vane against the farm consensus, degrees (new minus baseline).
    pub shift_deg: f64,
    pub ci95_lo: f64,
    pub ci95_hi: f64,
    pub model_version: Option<i32>,
    pub cleared_at: Option<DateTime<Utc>>,
}

/// What the watch saw for one turbine.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub turbine_id: i32,
    pub recent_from: DateTime<Utc>,
    pub recent_to: DateTime<Utc>,
    pub shift_deg: f64,
    pub ci95: [f64; 2],
    pub model_version: Option<i32>,
}

/// Opens an alert for the turbine, or refreshes its open one. Returns `(id, newly raised)`.
pub async fn raise(pool: &PgPool, s: &Shift) -> Result<(i64, bool), StoreError> {
    let updated: Option<i64> = sqlx::query_scalar(
        "UPDATE drift_alerts SET last_seen = now(), recent_to = $2, shift_deg = $3, ci95_lo = $4, ci95_hi = $5
         WHERE turbine_id = $1 AND cleared_at IS NULL RETURNING id",
    )
    .bind(s.turbine_id)
    .bind(s.recent_to)
    .bind(s.shift_deg)
    .bind(s.ci95[0])
    .bind(s.ci95[1])
    .fetch_optional(pool)
    .await?;
    if let Some(id) = updated {
        return Ok((id, false));
    }
    let id = sqlx::query_scalar(
        "INSERT INTO drift_alerts (turbine_id, recent_from, recent_to, shift_deg, ci95_lo, ci95_hi, model_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(s.turbine_id)
    .bind(s.recent_from)
    .bind(s.recent_to)
    .bind(s.shift_deg)
    .bind(s.ci95[0])
    .bind(s.ci95[1])
    .bind(s.model_version)
    .fetch_one(pool)
    .await?;
    Ok((id, true))
}

/// Clears the turbine's open alert, if any; true when one was cleared.
pub async fn clear(pool: &PgPool, turbine_id: i32) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE drift_alerts SET cleared_at = now() WHERE turbine_id = $1 AND cleared_at IS NULL")
        .bind(turbine_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Alerts of one turbine (all turbines when None), newest first, at most `limit`.
pub async fn list(pool: &PgPool, turbine_id: Option<i32>, limit: i64) -> Result<Vec<DriftAlertRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, turbine_id, detected_at, last_seen, recent_from, recent_to, shift_deg, ci95_lo, ci95_hi,
                model_version, cleared_at
         FROM drift_alerts WHERE $1::int IS NULL OR turbine_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(turbine_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Open alerts of a farm's turbines.
pub async fn open_alerts(pool: &PgPool, farm_id: i32) -> Result<Vec<DriftAlertRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.turbine_id, a.detected_at, a.last_seen, a.recent_from, a.recent_to, a.shift_deg,
                a.ci95_lo, a.ci95_hi, a.model_version, a.cleared_at
         FROM drift_alerts a JOIN turbines t ON t.id = a.turbine_id
         WHERE t.farm_id = $1 AND a.cleared_at IS NULL ORDER BY a.turbine_id",
    )
    .bind(farm_id)
    .fetch_all(pool)
    .await?)
}
