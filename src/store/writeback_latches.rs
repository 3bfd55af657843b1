//! Reverts that latch (`writeback_latches`, `migrations/0015_create_writeback_latches.sql`): a
//! turbine an operator reverted is not stepped again until an operator re-enables it. The row
//! outlives the process, so a restarted `serve`, or a second one, honours it too.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// A turbine held at its own behaviour by a revert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Latch {
    /// When the revert was asked for.
    pub since: DateTime<Utc>,
    /// Who asked for it (API token name or `cli`).
    pub actor: String,
}

/// Latches `turbine_id` (a later revert keeps the first one's time and actor: the turbine has
/// been held since then).
pub async fn latch(pool: &PgPool, turbine_id: i32, since: DateTime<Utc>, actor: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO writeback_latches (turbine_id, since, actor) VALUES ($1, $2, $3)
         ON CONFLICT (turbine_id) DO NOTHING",
    )
    .bind(turbine_id)
    .bind(since)
    .bind(actor)
    .execute(pool)
    .await?;
    Ok(())
}

/// The turbine's latch, if it has one.
pub async fn latch_of(pool: &PgPool, turbine_id: i32) -> Result<Option<Latch>, StoreError> {
    Ok(sqlx::query_as("SELECT since, actor FROM writeback_latches WHERE turbine_id = $1")
        .bind(turbine_id)
        .fetch_optional(pool)
        .await?)
}

/// Lifts the turbine's latch and returns what it was (None: it had none).
pub async fn release(pool: &PgPool, turbine_id: i32) -> Result<Option<Latch>, StoreError> {
    Ok(sqlx::query_as("DELETE FROM writeback_latches WHERE turbine_id = $1 RETURNING since, actor")
        .bind(turbine_id)
        .fetch_optional(pool)
        .await?)
}

/// Ids of every latched turbine (for overviews: one query, not one per turbine).
pub async fn latched_turbines(pool: &PgPool) -> Result<Vec<i32>, StoreError> {
    Ok(sqlx::query_scalar("SELECT turbine_id FROM writeback_latches ORDER BY turbine_id").fetch_all(pool).await?)
}
