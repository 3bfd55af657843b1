//! The REST API: routers by resource, merged here under `/api/v1`, with the process endpoints
//! (`/health`, `/ready`, `/metrics`) at the root. Every error is a problem+json body
//! ([`error::Problem`]); the OpenAPI 3 spec is served at `/api/v1/openapi.json` and a Swagger UI
//! page (its assets built into the binary, nothing fetched at run time) at `/api/v1/docs`.

pub mod correction;
pub mod data;
pub mod error;
pub mod estimates;
mod extract;
pub use extract::{TOKEN_COOKIE, Viewer, cookie_token};
pub mod models;
pub mod report;
pub mod system;
pub mod turbines;
pub mod writeback;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

use self::error::ApiError;
use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "trueyaw", description = "Vane-error corrections and yaw offsets for wind turbines. \
        Angles in degrees with the conventions of trueyaw's docs/domain.md: `vane_error_deg` = e, \
        `yaw_offset_deg` = e at the operating point, a controller uses `vane_deg - yaw_offset_deg`."),
    paths(
        system::health, system::ready, system::metrics,
        turbines::list, turbines::detail,
        data::readings, data::windows,
        correction::correction, correction::correct,
        estimates::farm_estimates, estimates::turbine_estimate, estimates::drift_events, estimates::open_alerts, report::report,
        models::list_versions, models::activate, models::train, models::job,
        writeback::status, writeback::revert,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Process health and metrics (no token needed)"),
        (name = "turbines", description = "The farm's turbines and their live status"),
        (name = "data", description = "Stored readings and windows, paged"),
        (name = "corrections", description = "Yaw offsets and corrected wind direction"),
        (name = "estimates", description = "Learned vane errors and drift events"),
        (name = "models", description = "Model versions, activation, training jobs"),
        (name = "writeback", description = "Guarded yaw-offset write-back to the controllers"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.settings.request_timeout_s);
    let body_limit = state.settings.max_body_bytes;
    let v1 = Router::new()
        .merge(turbines::router())
        .merge(data::router())
        .merge(correction::router())
        .merge(estimates::router())
        .merge(models::router())
        .merge(report::router())
        .merge(writeback::router());
    Router::new()
        .merge(system::router())
        .merge(super::dashboard::router())
        .nest("/api/v1", v1)
        .fallback(not_found)
        .with_state(state)
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .layer(axum::middleware::from_fn(super::metrics::track))
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
