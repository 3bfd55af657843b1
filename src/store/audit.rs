//! The audit log (`audit_log`, `migrations/0010_create_api_tokens_and_audit.sql`): one row per
//! state-changing call, from the API or the CLI. Append-only.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use super::StoreError;

/// One audited action.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub time: DateTime<Utc>,
    /// Token name (`token:<name>`) or `cli`.
    pub actor: String,
    /// Dotted verb, e.g. `model.activate`, `train.request`, `token.create`.
    pub action: String,
    /// What it acted on, e.g. `demo/T01`.
    pub target: Option<String>,
    pub detail: serde_json::Value,
}

/// Appends an audit row. Takes any executor so a change and its audit row can share a
/// transaction (the row exists exactly when the change does).
pub async fn record<'e>(
    db: impl PgExecutor<'e>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    detail: &serde_json::Value,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .fetch_one(db)
        .await?)
}

/// The latest `limit` rows, newest first, optionally only for one target.
pub async fn recent(pool: &PgPool, target: Option<&str>, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, time, actor, action, target, detail FROM audit_log
         WHERE $1::text IS NULL OR target = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(target)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
