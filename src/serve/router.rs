//! The whole HTTP application in one place: the API's process endpoints, the dashboard's pages,
//! the API under `/api/v1` and its docs, the 404 fallback, and the layers every request passes
//! (metrics, body limit, timeout, panic catcher).

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use super::http::ApiError;
use super::state::AppState;
use super::{api, dashboard, metrics};

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.settings.request_timeout_s);
    let body_limit = state.settings.max_body_bytes;
    Router::new()
        .merge(api::system::router())
        .merge(dashboard::router())
        .nest("/api/v1", api::v1_router())
        .fallback(not_found)
        .with_state(state)
        .merge(api::docs())
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(CatchPanicLayer::custom(|_| panic_response()))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no endpoint at {}; see /api/v1/openapi.json", uri.path()))
}

fn panic_response() -> Response {
    ApiError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
}
