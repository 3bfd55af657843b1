//! `GET /api/v1/turbines/{turbine}/report`: the calibration report (`crate::report`) as JSON,
//! the same numbers `trueyaw report` writes into its HTML, JSON and CSV.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::turbines::find;
use crate::report::{ReportError, build_turbine_report};
use crate::serve::http::{ApiError, Path, Problem, Viewer};
use crate::serve::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/turbines/{turbine}/report", get(report))
}

/// A turbine's calibration report (JSON; see `trueyaw report` for HTML and CSV).
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/report", tag = "estimates",
    params(("turbine" = String, Path, description = "Turbine name")),
    responses((status = 200, description = "The calibration report", content_type = "application/json"),
              (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    find(&state, &name)?;
    match build_turbine_report(&state.pool, &state.farm, &name).await {
        Ok(r) => Ok(Json(serde_json::to_value(&r).map_err(anyhow::Error::from)?)),
        Err(e) if e.is_usage() => Err(ApiError::NotFound(e.to_string())),
        Err(ReportError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Internal(anyhow::Error::new(e))),
    }
}
