//! The model registry (`models` table, `migrations/0009_create_models.sql`): versions of each
//! turbine's trained vane-error models, which one is active, and why the others are not.
//!
//! Registering is two calls on one transaction so the caller can write the artifact directory
//! (whose path holds the version) between them: [`lock_next_version`] serialises trainings of
//! the same turbine and hands out the version, [`insert_model`] stores the row and, for an active
//! model, supersedes the previous one. If the caller drops the transaction nothing is registered.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::StoreError;

/// `models.status` of a model that passed its quality gates and is served.
pub const STATUS_ACTIVE: &str = "active";
/// `models.status` of a model that failed a quality gate (`reason` says which).
pub const STATUS_REJECTED: &str = "rejected";
/// `models.status` of a formerly active model replaced by a newer one.
pub const STATUS_SUPERSEDED: &str = "superseded";

/// A model to register; the version comes from [`lock_next_version`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub turbine_id: i32,
    pub version: i32,
    /// `binned` or `neural`.
    pub method: String,
    /// Whether the model passed its gates and becomes the turbine's active model.
    pub active: bool,
    /// Why it was rejected (None when active).
    pub reason: Option<String>,
    pub artifact_dir: String,
    /// First and last window start the model was trained on.
    pub data_from: Option<DateTime<Utc>>,
    pub data_to: Option<DateTime<Utc>>,
    /// Windows used after filtering.
    pub n_windows: i32,
    /// Filter counts and fit quality.
    pub metrics: serde_json::Value,
    /// The `VaneErrorEstimate` as JSON.
    pub estimate: serde_json::Value,
}

/// A registered model with its turbine and farm names.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ModelRow {
    pub id: i32,
    pub turbine_id: i32,
    pub turbine: String,
    pub farm: String,
    pub version: i32,
    pub method: String,
    pub created_at: DateTime<Utc>,
    pub active: bool,
    /// `active`, `rejected` or `superseded`.
    pub status: String,
    pub reason: Option<String>,
    pub artifact_dir: String,
    pub data_from: Option<DateTime<Utc>>,
    pub data_to: Option<DateTime<Utc>>,
    pub n_windows: Option<i32>,
    pub metrics: serde_json::Value,
    pub estimate: serde_json::Value,
}

/// Columns of [`ModelRow`], for `models m JOIN turbines t JOIN farms f`.
const SELECT: &str = "SELECT m.id, m.turbine_id, t.name AS turbine, f.name AS farm, m.version, m.method,
        m.created_at, m.active, m.status, m.reason, m.artifact_dir, m.data_from, m.data_to,
        m.n_windows, m.metrics, m.estimate
    FROM models m JOIN turbines t ON t.id = m.turbine_id JOIN farms f ON f.id = t.farm_id";

/// Locks turbine `turbine_id` until the transaction ends (so two trainings of one turbine cannot
/// take the same version) and returns its next model version, 1 for the first.
pub async fn lock_next_version(conn: &mut PgConnection, turbine_id: i32) -> Result<i32, StoreError> {
    sqlx::query("SELECT id FROM turbines WHERE id = $1 FOR UPDATE").bind(turbine_id).execute(&mut *conn).await?;
    let v: i32 = sqlx::query_scalar("SELECT coalesce(max(version), 0) + 1 FROM models WHERE turbine_id = $1")
        .bind(turbine_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(v)
}

/// Inserts `m`; when it is active, first marks the turbine's active model superseded. Run it in
/// the transaction of [`lock_next_version`]. Returns the new row's id.
pub async fn insert_model(conn: &mut PgConnection, m: &NewModel) -> Result<i32, StoreError> {
    if m.active {
        sqlx::query("UPDATE models SET active = false, status = $2 WHERE turbine_id = $1 AND active")
            .bind(m.turbine_id)
            .bind(STATUS_SUPERSEDED)
            .execute(&mut *conn)
            .await?;
    }
    let status = if m.active { STATUS_ACTIVE } else { STATUS_REJECTED };
    let id = sqlx::query_scalar(
        "INSERT INTO models (turbine_id, version, method, active, status, reason, artifact_dir,
                             data_from, data_to, n_windows, metrics, estimate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(m.turbine_id)
    .bind(m.version)
    .bind(&m.method)
    .bind(m.active)
    .bind(status)
    .bind(&m.reason)
    .bind(&m.artifact_dir)
    .bind(m.data_from)
    .bind(m.data_to)
    .bind(m.n_windows)
    .bind(&m.metrics)
    .bind(&m.estimate)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Every model of the farm `farm_id` (all farms when None), by farm, turbine and version.
pub async fn list_models(pool: &PgPool, farm_id: Option<i32>) -> Result<Vec<ModelRow>, StoreError> {
    let sql = format!("{SELECT} WHERE $1::int IS NULL OR t.farm_id = $1 ORDER BY f.name, t.name, m.version");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(farm_id).fetch_all(pool).await?)
}

/// The active model of each turbine of farm `farm_id` (all farms when None).
pub async fn active_models(pool: &PgPool, farm_id: Option<i32>) -> Result<Vec<ModelRow>, StoreError> {
    Ok(list_models(pool, farm_id).await?.into_iter().filter(|m| m.active).collect())
}

/// A turbine with its farm's name, for listings that cover turbines without models too.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TurbineRef {
    pub turbine_id: i32,
    pub turbine: String,
    pub farm: String,
}

/// The turbines of farm `farm_id` (all farms when None), by farm and turbine name.
pub async fn list_turbine_refs(pool: &PgPool, farm_id: Option<i32>) -> Result<Vec<TurbineRef>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.id AS turbine_id, t.name AS turbine, f.name AS farm
         FROM turbines t JOIN farms f ON f.id = t.farm_id
         WHERE $1::int IS NULL OR t.farm_id = $1 ORDER BY f.name, t.name",
    )
    .bind(farm_id)
    .fetch_all(pool)
    .await?)
}

/// The active model of turbine `turbine_id`, if it has one.
pub async fn active_model(pool: &PgPool, turbine_id: i32) -> Result<Option<ModelRow>, StoreError> {
    let sql = format!("{SELECT} WHERE m.turbine_id = $1 AND m.active");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(turbine_id).fetch_optional(pool).await?)
}

/// Every model of turbine `turbine_id`, newest version first.
pub async fn turbine_models(pool: &PgPool, turbine_id: i32) -> Result<Vec<ModelRow>, StoreError> {
    let sql = format!("{SELECT} WHERE m.turbine_id = $1 ORDER BY m.version DESC");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(turbine_id).fetch_all(pool).await?)
}

/// Why a version could not be activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivateRefusal {
    NoSuchVersion,
    /// The version failed its quality gates; the reason it was rejected.
    Rejected(String),
}

/// Makes `version` the turbine's active model (an operator's activate or roll back), marking the
/// active one superseded, in the caller's transaction. Rejected models cannot be activated: the
/// gate that refused them still holds. Returns the version that was active before, if any.
pub async fn activate_version(
    conn: &mut PgConnection,
    turbine_id: i32,
    version: i32,
) -> Result<Result<Option<i32>, ActivateRefusal>, StoreError> {
    lock_next_version(conn, turbine_id).await?; // serialises with trainings of this turbine
    let target: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, reason FROM models WHERE turbine_id = $1 AND version = $2")
            .bind(turbine_id)
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    match target {
        None => return Ok(Err(ActivateRefusal::NoSuchVersion)),
        Some((status, reason)) if status == STATUS_REJECTED => {
            return Ok(Err(ActivateRefusal::Rejected(reason.unwrap_or_default())));
        }
        Some(_) => {}
    }
    let before: Option<i32> = sqlx::query_scalar("SELECT version FROM models WHERE turbine_id = $1 AND active")
        .bind(turbine_id)
        .fetch_optional(&mut *conn)
        .await?;
    if before != Some(version) {
        sqlx::query("UPDATE models SET active = false, status = $2 WHERE turbine_id = $1 AND active")
            .bind(turbine_id)
            .bind(STATUS_SUPERSEDED)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE models SET active = true, status = $3 WHERE turbine_id = $1 AND version = $2")
            .bind(turbine_id)
            .bind(version)
            .bind(STATUS_ACTIVE)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Ok(before))
}

/// Replaces the stored estimate of a registered model (north offsets are added after the whole
/// farm is trained). The update notifies `serve` like any model change.
pub async fn update_estimate(
    pool: &PgPool,
    turbine_id: i32,
    version: i32,
    estimate: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE models SET estimate = $3 WHERE turbine_id = $1 AND version = $2")
        .bind(turbine_id)
        .bind(version)
        .bind(estimate)
        .execute(pool)
        .await?;
    Ok(())
}
