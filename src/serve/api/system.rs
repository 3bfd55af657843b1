//! Process endpoints, open without a token: `GET /health` (the process answers), `GET /ready`
//! (database reachable and every active model loaded), `GET /metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::serve::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready)).route("/metrics", get(metrics))
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

/// Readiness, with what is missing when not ready.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub ready: bool,
    pub database: bool,
    pub models_loaded: usize,
    /// Turbines whose active model failed to load, with the reason.
    pub model_errors: Vec<String>,
}

/// Ready to serve: the database answers and every active model is loaded (503 otherwise).
#[utoipa::path(get, path = "/ready", tag = "system",
    responses((status = 200, body = Ready), (status = 503, description = "Not ready", body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let database = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let errors = state.models.errors();
    let model_errors: Vec<String> =
        state.turbines.all().iter().filter_map(|t| errors.get(&t.id).map(|e| format!("{}: {e}", t.name))).collect();
    let ready = database && model_errors.is_empty();
    let body = Ready { ready, database, models_loaded: state.models.snapshot().len(), model_errors };
    (if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::serve::metrics::render(&state))
}
