//! Estimates and drift events, in the `trueyaw estimates` JSON shape: per turbine
//! (`GET /api/v1/turbines/{turbine}/estimate`, `.../drift-events`) and per farm
//! (`GET /api/v1/estimates`). Read from the model cache: what is served is what is reported.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::turbines::find;
use crate::model::{DriftEvent, VaneErrorEstimate};
use crate::serve::http::{ApiError, Path, Problem, Viewer};
use crate::serve::state::AppState;
use crate::store::{self, drift_alerts::DriftAlertRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/estimates", get(farm_estimates))
        .route("/turbines/{turbine}/estimate", get(turbine_estimate))
        .route("/turbines/{turbine}/drift-events", get(drift_events))
        .route("/drift-alerts", get(open_alerts))
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
    responses((status = 200, body = VaneErrorEstimate), (status = 404, body = Problem)),
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
    /// Version of the active model (None without one).
    pub model_version: Option<i32>,
    /// Steps the active model found in its training data.
    pub drift_events: Vec<DriftEvent>,
    /// Live alerts of the drift watch (shifts since the model was trained), newest first.
    pub alerts: Vec<DriftAlertRow>,
}

/// Drift events the active model found and the drift watch's live alerts.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/drift-events", tag = "estimates",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, body = DriftEvents), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn drift_events(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<DriftEvents>, ApiError> {
    let t = find(&state, &name)?;
    let model = state.models.get(t.id);
    let alerts = store::drift_alerts::list(&state.pool, Some(t.id), 100).await?;
    Ok(Json(DriftEvents {
        turbine: t.name.clone(),
        model_version: model.as_ref().map(|m| m.version),
        drift_events: model.map(|m| m.estimate.drift_events.clone()).unwrap_or_default(),
        alerts,
    }))
}

/// Open drift alerts of the farm.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAlerts {
    pub farm: String,
    pub alerts: Vec<TurbineAlert>,
}

/// An open alert with its turbine's name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurbineAlert {
    pub turbine: String,
    #[serde(flatten)]
    pub alert: DriftAlertRow,
}

/// The farm's open drift alerts.
#[utoipa::path(get, path = "/api/v1/drift-alerts", tag = "estimates",
    responses((status = 200, body = OpenAlerts)), security(("bearer" = [])))]
pub async fn open_alerts(State(state): State<AppState>, _: Viewer) -> Result<Json<OpenAlerts>, ApiError> {
    let rows = store::drift_alerts::open_alerts(&state.pool, state.farm_id).await?;
    let alerts = rows
        .into_iter()
        .filter_map(|a| state.turbines.by_id(a.turbine_id).map(|t| TurbineAlert { turbine: t.name.clone(), alert: a }))
        .collect();
    Ok(Json(OpenAlerts { farm: state.farm.clone(), alerts }))
}
