//! Poll health per turbine: what the poller last saw, kept across restarts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::StoreError;

/// The poll health of one turbine. Counters are totals since the turbine was first polled;
/// the poller loads them at startup ([`load_health`]) and keeps counting from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HealthRow {
    pub turbine_id: i32,
    /// When the last poll was sent.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the last poll that did not fail was sent.
    pub last_success: Option<DateTime<Utc>>,
    /// Failed polls since the last success; 0 while the turbine answers.
    pub consecutive_failures: i32,
    pub polls_ok: i64,
    pub polls_failed: i64,
    /// The most recent failure, for operators; kept after recovery until the next one.
    pub last_error: Option<String>,
}

/// Stores the given rows, replacing each turbine's previous row, in one statement.
pub async fn upsert_health(pool: &PgPool, rows: &[HealthRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.turbine_id).collect();
    let attempts: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.last_attempt).collect();
    let successes: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.last_success).collect();
    let consecutive: Vec<i32> = rows.iter().map(|r| r.consecutive_failures).collect();
    let ok: Vec<i64> = rows.iter().map(|r| r.polls_ok).collect();
    let failed: Vec<i64> = rows.iter().map(|r| r.polls_failed).collect();
    let errors: Vec<Option<String>> = rows.iter().map(|r| r.last_error.clone()).collect();
    sqlx::query(
        "INSERT INTO turbine_health (turbine_id, last_attempt, last_success, consecutive_failures,
                                     polls_ok, polls_failed, last_error, updated_at)
         SELECT *, now() FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[], $4::int[],
                                     $5::bigint[], $6::bigint[], $7::text[])
         ON CONFLICT (turbine_id) DO UPDATE SET
             last_attempt = EXCLUDED.last_attempt, last_success = EXCLUDED.last_success,
             consecutive_failures = EXCLUDED.consecutive_failures, polls_ok = EXCLUDED.polls_ok,
             polls_failed = EXCLUDED.polls_failed, last_error = EXCLUDED.last_error,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(ids)
    .bind(attempts)
    .bind(successes)
    .bind(consecutive)
    .bind(ok)
    .bind(failed)
    .bind(errors)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every turbine's health row, by turbine id.
pub async fn load_health(pool: &PgPool) -> Result<Vec<HealthRow>, StoreError> {
    let rows = sqlx::query_as(
        "SELECT turbine_id, last_attempt, last_success, consecutive_failures, polls_ok, polls_failed, last_error
         FROM turbine_health ORDER BY turbine_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}
