//! Model versions and training: list a turbine's versions with their metrics, activate one (or
//! roll back to an older one), queue a training job and follow it. Every change is audited in
//! the same transaction as the change itself. The model cache swaps through the NOTIFY that
//! migration 0011 sends, exactly as for a change made by another process.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::turbines::find;
use crate::serve::activation::activate_version;
use crate::serve::http::{ApiError, Operator, Path, Problem, Viewer};
use crate::serve::state::AppState;
use crate::store::{self, JobRow, ModelRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/turbines/{turbine}/models", get(list_versions))
        .route("/turbines/{turbine}/models/{version}/activate", post(activate))
        .route("/turbines/{turbine}/train", post(train))
        .route("/jobs/{id}", get(job))
}

/// One registered model version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelVersion {
    pub version: i32,
    pub method: String,
    pub created_at: DateTime<Utc>,
    /// `active`, `rejected` (a quality gate failed) or `superseded`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub data_from: Option<DateTime<Utc>>,
    pub data_to: Option<DateTime<Utc>>,
    pub n_windows: Option<i32>,
    pub vane_error_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// Filter counts and fit quality, as stored with the model.
    pub metrics: serde_json::Value,
}

impl From<ModelRow> for ModelVersion {
    fn from(m: ModelRow) -> Self {
        fn field<T: serde::de::DeserializeOwned>(estimate: &serde_json::Value, k: &str) -> Option<T> {
            estimate.get(k).cloned().and_then(|v| serde_json::from_value(v).ok())
        }
        Self {
            version: m.version,
            vane_error_deg: field(&m.estimate, "vane_error_deg"),
            ci95: field(&m.estimate, "ci95"),
            method: m.method,
            created_at: m.created_at,
            status: m.status,
            reason: m.reason,
            data_from: m.data_from,
            data_to: m.data_to,
            n_windows: m.n_windows,
            metrics: m.metrics,
        }
    }
}

/// A turbine's model versions, newest first.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/models", tag = "models",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = Vec<ModelVersion>), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_versions(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<Vec<ModelVersion>>, ApiError> {
    let t = find(&state, &name)?;
    let rows = store::models::turbine_models(&state.pool, t.id).await?;
    Ok(Json(rows.into_iter().map(ModelVersion::from).collect()))
}

/// Result of an activation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    pub turbine: String,
    pub active_version: i32,
    pub previous_version: Option<i32>,
}

/// Makes a version the active one (operator). Rolling back is activating an older version.
#[utoipa::path(post, path = "/api/v1/turbines/{turbine}/models/{version}/activate", tag = "models",
    params(("turbine" = String, Path, description = "Turbine name"), ("version" = i32, Path, description = "Model version")),
    responses((status = 200, body = Activated), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, description = "The version was rejected by a quality gate", body = Problem)),
    security(("bearer" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path((name, version)): Path<(String, i32)>,
) -> Result<Json<Activated>, ApiError> {
    let a = activate_version(&state, &caller, &name, version).await?;
    Ok(Json(Activated { turbine: a.turbine, active_version: a.active_version, previous_version: a.previous_version }))
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub turbine: Option<String>,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    /// What the job produced (for training: the model version and whether it became active).
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

fn job_out(state: &AppState, j: JobRow) -> Job {
    Job {
        id: j.id,
        kind: j.kind,
        turbine: state.turbines.by_id(j.turbine_id).map(|t| t.name.clone()),
        status: j.status,
        requested_by: j.requested_by,
        created_at: j.created_at,
        started_at: j.started_at,
        finished_at: j.finished_at,
        attempts: j.attempts,
        result: j.result,
        error: j.error,
    }
}

/// Queues training of one turbine (operator). Asking while a training of it is pending
/// returns that job (200) instead of queuing another (202).
#[utoipa::path(post, path = "/api/v1/turbines/{turbine}/train", tag = "models",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 202, description = "Queued", body = Job), (status = 200, description = "Already pending", body = Job),
              (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn train(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let t = find(&state, &name)?;
    let (id, new) =
        store::jobs::enqueue(&state.pool, store::jobs::KIND_TRAIN, t.id, &serde_json::json!({}), &caller.actor).await?;
    if new {
        let target = format!("{}/{}", state.farm, t.name);
        store::audit::record(
            &state.pool,
            &caller.actor,
            "train.request",
            Some(&target),
            &serde_json::json!({ "job": id }),
        )
        .await?;
    }
    let job = store::jobs::get(&state.pool, id).await?.ok_or_else(|| anyhow::anyhow!("job {id} vanished"))?;
    Ok((if new { StatusCode::ACCEPTED } else { StatusCode::OK }, Json(job_out(&state, job))))
}

/// A job's state.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "models",
    params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, body = Job), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn job(State(state): State<AppState>, _: Viewer, Path(id): Path<i64>) -> Result<Json<Job>, ApiError> {
    let j = store::jobs::get(&state.pool, id).await?.ok_or_else(|| ApiError::NotFound(format!("no job {id}")))?;
    if state.turbines.by_id(j.turbine_id).is_none() {
        return Err(ApiError::NotFound(format!("no job {id} in farm {}", state.farm)));
    }
    Ok(Json(job_out(&state, j)))
}
