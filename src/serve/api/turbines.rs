//! `GET /api/v1/turbines` and `GET /api/v1/turbines/{turbine}`: what each turbine is, whether it
//! reports, and what it is being served.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::serve::http::{ApiError, Path, Problem, Viewer};
use crate::serve::live::{LiveStatus, live};
use crate::serve::state::{AppState, TurbineInfo};
use crate::store::{self, HealthRow};

pub fn router() -> Router<AppState> {
    Router::new().route("/turbines", get(list)).route("/turbines/{turbine}", get(detail))
}

/// The active model in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelBrief {
    pub version: i32,
    /// `neural` or `binned`.
    pub method: String,
    pub created_at: DateTime<Utc>,
    /// Operating-mean vane error (4-11 m/s), degrees.
    pub vane_error_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

/// One turbine as the API lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Turbine {
    pub turbine: String,
    /// Where it is polled from.
    pub source: String,
    /// Its unit id on the SCADA Modbus server.
    pub scada_unit_id: u8,
    /// Time of the newest usable reading (within the last day).
    pub last_reading_time: Option<DateTime<Utc>>,
    pub last_reading_age_s: Option<f64>,
    /// Status of the served correction.
    pub status: LiveStatus,
    pub active_model: Option<ModelBrief>,
    /// Why the active model could not be loaded, if it could not.
    pub model_error: Option<String>,
    /// Poll counts (absent until the poller has reported).
    pub quality: Option<HealthRow>,
}

fn describe(state: &AppState, t: &TurbineInfo, health: Option<HealthRow>) -> Turbine {
    let l = live(state, t.id);
    let model = state.models.get(t.id);
    Turbine {
        turbine: t.name.clone(),
        source: t.source.clone(),
        scada_unit_id: t.scada_unit_id,
        last_reading_time: state.latest.get(t.id).map(|r| r.time),
        last_reading_age_s: l.reading_age_s,
        status: l.status,
        active_model: model.map(|m| ModelBrief {
            version: m.version,
            method: m.method.clone(),
            created_at: m.created_at,
            vane_error_deg: m.estimate.vane_error_deg,
            ci95: m.estimate.ci95,
        }),
        model_error: state.models.errors().get(&t.id).cloned(),
        quality: health,
    }
}

/// The turbine called `name`, or a 404 that says which farm was searched.
pub fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a TurbineInfo, ApiError> {
    state
        .turbines
        .by_name(name)
        .ok_or_else(|| ApiError::NotFound(format!("farm {} has no turbine {name:?}", state.farm)))
}

/// Every turbine of the farm.
#[utoipa::path(get, path = "/api/v1/turbines", tag = "turbines",
    responses((status = 200, body = Vec<Turbine>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, _: Viewer) -> Result<Json<Vec<Turbine>>, ApiError> {
    let health = store::load_health(&state.pool).await?;
    let out = state
        .turbines
        .all()
        .iter()
        .map(|t| describe(&state, t, health.iter().find(|h| h.turbine_id == t.id).cloned()))
        .collect();
    Ok(Json(out))
}

/// One turbine.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}", tag = "turbines",
    params(("turbine" = String, Path, description = "Turbine name, e.g. T01")),
    responses((status = 200, body = Turbine), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn detail(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<Turbine>, ApiError> {
    let t = find(&state, &name)?;
    let health = store::load_health(&state.pool).await?.into_iter().find(|h| h.turbine_id == t.id);
    Ok(Json(describe(&state, t, health)))
}
