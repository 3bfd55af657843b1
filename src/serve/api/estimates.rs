//! Estimates and drift events, in the `trueyaw estimates` JSON shape: per turbine
//! (`GET /api/v1/turbines/{turbine}/estimate`, `.../drift-events`) and per farm
//! (`GET /api/v1/estimates`). Read from the model cache: what is served is what is reported.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Path, Viewer};
use super::turbines::find;
use crate::model::{DriftEvent, VaneErrorEstimate};
use crate::serve::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/estimates", get(farm_estimates))
        .route("/turbines/{turbine}/estimate", get(turbine_estimate))
        .route("/turbines/{turbine}/drift-events", get(drift_events))
}

/// Every turbine's active estimate (turbines without an active model are left out).
#[derive(Debug, Serialize, ToSchema)]
pub struct FarmEstimates {
    pub farm: String,
    pub turbines: Vec<VaneErrorEstimate>,
}

/// The farm's active estimates.
#[utoipa::path(get, path = "/api/v1/estimates", tag = "estimates",
    responses((status = 200, body = FarmEstimates)), security(("bearer" = [])))]
pub async fn farm_estimates(State(state): State<AppState>, _: Viewer) -> Json<FarmEstimates> {
    let models = state.models.snapshot();
    let turbines = state.turbines.all().iter().filter_map(|t| models.get(&t.id).map(|m| m.estimate.clone())).collect();
    Json(FarmEstimates { farm: state.farm.clone(), turbines })
}

fn active_estimate(state: &AppState, name: &str) -> Result<VaneErrorEstimate, ApiError> {
    let t = find(state, name)?;
    state
        .models
        .get(t.id)
        .map(|m| m.estimate.clone())
        .ok_or_else(|| ApiError::NotFound(format!("turbine {name} has no active model")))
}

/// One turbine's active estimate.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/estimate", tag = "estimates",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = VaneErrorEstimate), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
pub async fn turbine_estimate(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<VaneErrorEstimate>, ApiError> {
    active_estimate(&state, &name).map(Json)
}

/// Drift events of one turbine.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftEvents {
    pub turbine: String,
    pub model_version: i32,
    /// Steps the active model found in its training data.
    pub drift_events: Vec<DriftEvent>,
}

/// Drift events the active model found.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/drift-events", tag = "estimates",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = DriftEvents), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
pub async fn drift_events(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<DriftEvents>, ApiError> {
    let e = active_estimate(&state, &name)?;
    Ok(Json(DriftEvents { turbine: e.turbine, model_version: e.model_version, drift_events: e.drift_events }))
}
