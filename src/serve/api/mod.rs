//! The REST API: routers by resource, merged here under `/api/v1`, with the process endpoints
//! (`/health`, `/ready`, `/metrics`) at the root. Every error is a problem+json body
//! ([`Problem`](crate::serve::http::Problem)); the OpenAPI 3 spec is served at
//! `/api/v1/openapi.json` and a Swagger UI page (its assets built into the binary, nothing
//! fetched at run time) at `/api/v1/docs`. The whole application, dashboard included, is
//! assembled in [`crate::serve::router`].

pub mod correction;
pub mod data;
pub mod estimates;
pub mod models;
pub mod report;
pub mod system;
pub mod turbines;
pub mod writeback;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

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
        writeback::status, writeback::revert, writeback::enable,
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

/// The resource endpoints, to be nested under `/api/v1` (the process endpoints, at the root, are
/// [`system::router`]).
pub fn v1_router() -> Router<AppState> {
    Router::new()
        .merge(turbines::router())
        .merge(data::router())
        .merge(correction::router())
        .merge(estimates::router())
        .merge(models::router())
        .merge(report::router())
        .merge(writeback::router())
}

/// The OpenAPI spec and the Swagger UI page (stateless, so merged after the state is given).
pub fn docs() -> SwaggerUi {
    SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", ApiDoc::openapi())
}
