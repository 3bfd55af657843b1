//! Background jobs (`jobs`, `migrations/0012_create_jobs.sql`), shared by every trueyaw process
//! of a farm: enqueue (one pending job per turbine and kind), claim with `FOR UPDATE SKIP
//! LOCKED` (so workers never take the same job), finish, and read back for the API.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// `jobs.kind` of training one turbine.
pub const KIND_TRAIN: &str = "train";

/// A job as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub turbine_id: i32,
    pub params: serde_json::Value,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub run_after: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub worker: Option<String>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

const COLUMNS: &str = "id, kind, turbine_id, params, status, requested_by, created_at, run_after,
    started_at, finished_at, attempts, worker, result, error";

/// Queues a job, or returns the one of the same kind already pending for the turbine (asking
/// twice never trains twice). Returns `(job id, newly queued)`.
pub async fn enqueue(
    pool: &PgPool,
    kind: &str,
    turbine_id: i32,
    params: &serde_json::Value,
    requested_by: &str,
) -> Result<(i64, bool), StoreError> {
    loop {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, turbine_id, params, requested_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (turbine_id, kind) WHERE status IN ('queued', 'running') DO NOTHING
             RETURNING id",
        )
        .bind(kind)
        .bind(turbine_id)
        .bind(params)
        .bind(requested_by)
        .fetch_optional(pool)
        .await?;
        if let Some(id) = inserted {
            return Ok((id, true));
        }
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE turbine_id = $1 AND kind = $2 AND status IN ('queued', 'running')",
        )
        .bind(turbine_id)
        .bind(kind)
        .fetch_optional(pool)
        .await?;
        // None: the pending job finished between the two statements; queue a new one.
        if let Some(id) = pending {
            return Ok((id, false));
        }
    }
}

/// Claims the oldest due job (or one whose worker's lease ran out) for `worker`, holding it for
/// `lease`. Concurrent workers skip each other's locked rows instead of waiting.
pub async fn claim(pool: &PgPool, worker: &str, lease: Duration) -> Result<Option<JobRow>, StoreError> {
    let sql = format!(
        "UPDATE jobs SET status = 'running', started_at = now(), attempts = attempts + 1, worker = $1,
                lease_until = now() + make_interval(secs => $2)
         WHERE id = (SELECT id FROM jobs
                     WHERE (status = 'queued' AND run_after <= now())
                        OR (status = 'running' AND lease_until < now())
                     ORDER BY run_after, id
                     FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(worker).bind(lease.as_secs_f64()).fetch_optional(pool).await?)
}

/// Ends job `id` as `done` (with `result`) or `failed` (with `error`). Only the worker holding
/// it can finish it; false when the job was taken back meanwhile.
pub async fn finish(
    pool: &PgPool,
    id: i64,
    worker: &str,
    outcome: Result<serde_json::Value, String>,
) -> Result<bool, StoreError> {
    let (status, result, error) = match outcome {
        Ok(r) => ("done", Some(r), None),
        Err(e) => ("failed", None, Some(e)),
    };
    let done = sqlx::query(
        "UPDATE jobs SET status = $3, finished_at = now(), result = $4, error = $5, lease_until = NULL
         WHERE id = $1 AND worker = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(status)
    .bind(result)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Job `id`, if it exists.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<JobRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?)
}

/// Turbines of farm `farm_id` whose newest model is older than `age` (or that have none) and
/// that have no pending job of `kind`: what a retraining cadence should queue.
pub async fn turbines_due(pool: &PgPool, farm_id: i32, kind: &str, age: Duration) -> Result<Vec<i32>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT t.id FROM turbines t
         WHERE t.farm_id = $1
           AND coalesce((SELECT max(created_at) FROM models m WHERE m.turbine_id = t.id), '-infinity')
               < now() - make_interval(secs => $3)
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.turbine_id = t.id AND j.kind = $2
                           AND j.status IN ('queued', 'running'))
         ORDER BY t.name",
    )
    .bind(farm_id)
    .bind(kind)
    .bind(age.as_secs_f64())
    .fetch_all(pool)
    .await?)
}
