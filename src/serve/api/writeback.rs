//! Write-back over the API: the state of a turbine's yaw-offset command (mode, what the
//! controller holds now, the audited decisions, a revert's latch), the one-call revert to the
//! turbine's own behaviour and the re-enable that lifts its latch (operator).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::turbines::find;
use crate::domain::TurbineName;
use crate::serve::http::{ApiError, Operator, Path, Problem, Viewer};
use crate::serve::state::AppState;
use crate::serve::writeback::{DeviceState, WriteBack};
use crate::store::writeback_latches::Latch;
use crate::store::{self, yaw_offset_writes::YawOffsetWriteRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/turbines/{turbine}/writeback", get(status))
        .route("/turbines/{turbine}/writeback/revert", post(revert))
        .route("/turbines/{turbine}/writeback/enable", post(enable))
}

/// The controller's command registers as read now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registers {
    pub yaw_offset_deg: f64,
    pub correction_enable: bool,
}

impl From<DeviceState> for Registers {
    fn from(d: DeviceState) -> Self {
        Self { yaw_offset_deg: d.yaw_offset_deg, correction_enable: d.correction_enable }
    }
}

/// Write-back state of one turbine.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteBackStatus {
    pub turbine: String,
    /// `write` when enabled for this turbine (`writeback.enabled_turbines`), else `dry_run`.
    pub mode: String,
    /// What the controller holds now; None when it could not be read (`device_error` says why).
    pub registers: Option<Registers>,
    pub device_error: Option<String>,
    /// Set when an operator reverted the turbine: no step until it is re-enabled.
    pub latch: Option<Latch>,
    /// Audited decisions, newest first (at most 50).
    pub recent: Vec<YawOffsetWriteRow>,
}

fn writeback_of<'a>(state: &'a AppState, name: &str) -> Result<(&'a WriteBack, TurbineName), ApiError> {
    let wb = &*state.writeback;
    let turbine = wb.turbines().find(|t| t.as_str() == name).cloned().ok_or_else(|| {
        ApiError::Conflict(format!("turbine {name} has no yaw-offset command register (Modbus only)"))
    })?;
    Ok((wb, turbine))
}

/// A turbine's write-back mode, registers and recent decisions.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/writeback", tag = "writeback",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = WriteBackStatus), (status = 404, body = Problem),
              (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<WriteBackStatus>, ApiError> {
    let t = find(&state, &name)?;
    let (wb, turbine) = writeback_of(&state, &name)?;
    let (registers, device_error) = match wb.read_device(&turbine).await {
        Ok(d) => (Some(d.into()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let recent = store::yaw_offset_writes::recent_yaw_offset_writes(&state.pool, t.id, 50).await?;
    let mode = if wb.settings().is_enabled(&turbine) { "write" } else { "dry_run" };
    let latch = store::writeback_latches::latch_of(&state.pool, t.id).await?;
    Ok(Json(WriteBackStatus { turbine: name, mode: mode.into(), registers, device_error, latch, recent }))
}

/// The outcome of a revert.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevertOutcome {
    pub turbine: String,
    pub before: Option<Registers>,
    /// Read back after the revert: offset 0, correction off.
    pub after: Registers,
}

/// Reverts a turbine to its own yaw behaviour: offset 0, correction off, verified (operator).
/// Ignores the step cap and rate limit on purpose; audited. The turbine stays reverted
/// (latched, on every process) until `POST .../writeback/enable`.
#[utoipa::path(post, path = "/api/v1/turbines/{turbine}/writeback/revert", tag = "writeback",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = RevertOutcome), (status = 403, body = Problem),
              (status = 409, body = Problem),
              (status = 503, description = "The controller did not take the revert", body = Problem)),
    security(("bearer" = [])))]
pub async fn revert(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path(name): Path<String>,
) -> Result<Json<RevertOutcome>, ApiError> {
    find(&state, &name)?;
    let (wb, turbine) = writeback_of(&state, &name)?;
    let r = wb.revert(&turbine, &caller.actor).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let target = format!("{}/{}", state.farm, name);
    store::audit::record(&state.pool, &caller.actor, "writeback.revert", Some(&target), &serde_json::json!({})).await?;
    Ok(Json(RevertOutcome { turbine: name, before: r.before.map(Into::into), after: r.after.into() }))
}

/// The outcome of a re-enable.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnableOutcome {
    pub turbine: String,
    /// The latch lifted; None when the turbine was not reverted (nothing changed).
    pub lifted: Option<Latch>,
    /// `write` when the turbine is in `writeback.enabled_turbines` (stepping resumes), else
    /// `dry_run`.
    pub mode: String,
}

/// Lifts a revert's latch so the write-back may step the turbine again (operator). Writes
/// nothing to the controller; audited.
#[utoipa::path(post, path = "/api/v1/turbines/{turbine}/writeback/enable", tag = "writeback",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = EnableOutcome), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    Operator(caller): Operator,
    Path(name): Path<String>,
) -> Result<Json<EnableOutcome>, ApiError> {
    find(&state, &name)?;
    let (wb, turbine) = writeback_of(&state, &name)?;
    let lifted = wb.enable(&turbine, &caller.actor).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if lifted.is_some() {
        let target = format!("{}/{}", state.farm, name);
        store::audit::record(&state.pool, &caller.actor, "writeback.enable", Some(&target), &serde_json::json!({}))
            .await?;
    }
    let mode = if wb.settings().is_enabled(&turbine) { "write" } else { "dry_run" };
    Ok(Json(EnableOutcome { turbine: name, lifted, mode: mode.into() }))
}
