//! The turbine page at `/turbines/{name}`: loads what its sections draw (`sections`) in a
//! handful of bounded queries, all binned or averaged in the database:
//!
//! - power against vane angle: the turbine's windows over the active model's data period (the
//!   last [`MAX_PERIOD_DAYS`] of it at most; the last [`DEFAULT_PERIOD_DAYS`] without a model
//!   or a recorded period), as mean power per (1 m/s, 1 deg) cell, [`WS_BINS`] m/s;
//! - raw against corrected direction: the last [`RECENT_H`] hours of readings as 1-minute
//!   means, corrected by the served model (what a controller would be sent);
//! - reading quality over the last [`QUALITY_H`] hours; the model registry; open drift alerts.
//!
//! Refreshes every 60 s, not every 10 like the overview: its charts move slowly, and a page
//! with buttons should not reload under a keyboard user too often.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::{page_shell, sections, signed_in};
use crate::domain::Quality;
use crate::model::VaneErrorEstimate;
use crate::model::correction::OperatingPoint;
use crate::model::prep::PrepConfig;
use crate::report::charts::{PowerAtVane, PowerVanePanel};
use crate::report::escape_html;
use crate::serve::auth::Caller;
use crate::serve::http::{ApiError, Viewer};
use crate::serve::live::{Live, live};
use crate::serve::state::AppState;
use crate::store::drift_alerts::DriftAlertRow;
use crate::store::{self, ModelRow};

/// Wind-speed bins (centres, m/s) of the power-against-vane small multiples: the 4-11 m/s
/// operating range below rated, where power still carries the alignment signal.
pub const WS_BINS: (i32, i32) = (4, 11);
/// Vane angles charted, ± deg; the controller keeps window means well inside.
pub const VANE_SPAN_DEG: f64 = 15.0;
/// A (wind-speed, vane) cell needs this many windows to be drawn.
const MIN_CELL_WINDOWS: i64 = 3;
/// Longest period of windows the power chart reads, days.
pub const MAX_PERIOD_DAYS: i64 = 90;
/// Period read when the model records none, days.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;
/// Hours of readings in the raw-against-corrected chart.
pub const RECENT_H: i64 = 6;
/// Hours of readings whose quality flags are counted.
pub const QUALITY_H: i64 = 24;

/// Everything the sections draw.
pub(super) struct TurbineData {
    pub farm: String,
    pub name: String,
    pub caller: Caller,
    /// The CSRF token of the caller's session, for the forms (None: no cookie session).
    pub csrf: Option<String>,
    /// Every model version, newest first.
    pub models: Vec<ModelRow>,
    /// The active model and its estimate, when it has one that parses.
    pub active: Option<(ModelRow, VaneErrorEstimate)>,
    pub live: Live,
    pub period: (DateTime<Utc>, DateTime<Utc>),
    pub length_s: i32,
    pub panels: Vec<PowerVanePanel>,
    pub open_alerts: Vec<DriftAlertRow>,
    pub now: DateTime<Utc>,
    /// Minute, raw vane mean, corrected relative direction (None without a served model).
    pub recent: Vec<(DateTime<Utc>, f64, Option<f64>)>,
    pub quality: Vec<(Quality, i64)>,
    /// A message after an action (the GET of post-redirect-get).
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TurbineQuery {
    /// Set by the redirect after an activation: the version now active.
    activated: Option<i32>,
    /// ... and the one that was active before.
    previous: Option<i32>,
}

pub(super) async fn turbine_page(
    State(state): State<AppState>,
    viewer: Result<Option<Viewer>, ApiError>,
    axum::extract::Path(name): axum::extract::Path<String>,
    Query(q): Query<TurbineQuery>,
    headers: HeaderMap,
) -> Response {
    let caller = match signed_in(&state, viewer, &format!("/turbines/{name}")) {
        Ok(c) => c,
        Err(login) => return login.into_response(),
    };
    let Some(t) = state.turbines.by_name(&name).cloned() else {
        let text = format!("Farm {} has no turbine {name}.", state.farm);
        return message_page(&state, StatusCode::NOT_FOUND, &text, None);
    };
    let notice = q.activated.map(|v| match q.previous {
        Some(p) if p != v => format!("Version {v} is now active (was version {p})."),
        _ => format!("Version {v} is active."),
    });
    match load(&state, t.id, &t.name, caller, super::actions::csrf_token(&headers), notice).await {
        Ok(d) => Html(sections::page(&d)).into_response(),
        Err(e) => {
            tracing::error!(turbine = t.name, error = %e, "turbine page failed");
            let text = "The database did not answer; retry shortly.";
            message_page(&state, StatusCode::SERVICE_UNAVAILABLE, text, Some(&t.name))
        }
    }
}

async fn load(
    state: &AppState,
    id: i32,
    name: &str,
    caller: Caller,
    csrf: Option<String>,
    notice: Option<String>,
) -> Result<TurbineData, store::StoreError> {
    let pool = &state.pool;
    let now = Utc::now();
    let models = store::models::turbine_models(pool, id).await?;
    let active = models.iter().find(|m| m.active).and_then(|m| {
        // an unreadable estimate shows as a model without values, not as a broken page
        serde_json::from_value::<VaneErrorEstimate>(m.estimate.clone()).ok().map(|e| (m.clone(), e))
    });
    let length_s = active
        .as_ref()
        .and_then(|(m, _)| m.metrics.get("length_s")?.as_i64())
        .map_or(state.window_length_s, |v| v as i32);
    let period = period(active.as_ref().map(|(m, _)| m), now);
    let cells = store::windows::power_by_vane(
        pool,
        id,
        length_s,
        period.0,
        period.1,
        WS_BINS,
        VANE_SPAN_DEG,
        PrepConfig::default().max_pitch_deg,
        MIN_CELL_WINDOWS,
    )
    .await?;
    let estimate = active.as_ref().map(|(_, e)| e);
    let panels = (WS_BINS.0..=WS_BINS.1)
        .map(|ws| PowerVanePanel {
            ws: f64::from(ws),
            points: cells
                .iter()
                .filter(|c| c.ws_bin == ws)
                .map(|c| PowerAtVane { vane_deg: f64::from(c.vane_bin), power_kw: c.power_kw, windows: c.windows })
                .collect(),
            vane_error_deg: estimate.and_then(|e| {
                e.bins.iter().find(|b| (b.ws - f64::from(ws)).abs() < 1e-6).and_then(|b| b.vane_error_deg)
            }),
            cos_exponent: estimate.and_then(|e| e.cos_exponent),
        })
        .collect();
    let open_alerts =
        store::drift_alerts::list(pool, Some(id), 20).await?.into_iter().filter(|a| a.cleared_at.is_none()).collect();
    let served = state.models.get(id);
    let recent = store::readings::minute_means(pool, id, now - Duration::hours(RECENT_H), now)
        .await?
        .into_iter()
        .map(|m| {
            let p = OperatingPoint { wind_speed_ms: m.wind_speed_ms, rotor_rpm: m.rotor_rpm, pitch_deg: m.pitch_deg };
            let corrected = served.as_ref().map(|s| s.correction.correct(m.vane_deg, None, &p).corrected_relative_deg);
            (m.minute, m.vane_deg, corrected)
        })
        .collect();
    let quality = store::readings::quality_counts(pool, id, now - Duration::hours(QUALITY_H), now).await?;
    Ok(TurbineData {
        farm: state.farm.clone(),
        name: name.to_string(),
        caller,
        csrf,
        models,
        active,
        live: live(state, id),
        period,
        length_s,
        panels,
        open_alerts,
        now,
        recent,
        quality,
        notice,
    })
}

/// The period of windows the power chart reads: the model's data period, cut to its last
/// [`MAX_PERIOD_DAYS`]; without one, the last [`DEFAULT_PERIOD_DAYS`] up to `now`.
fn period(model: Option<&ModelRow>, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    match model.and_then(|m| m.data_from.zip(m.data_to)) {
        // data_to is the last window start: include it
        Some((from, to)) => {
            let to = to + Duration::microseconds(1);
            (from.max(to - Duration::days(MAX_PERIOD_DAYS)), to)
        }
        None => (now - Duration::days(DEFAULT_PERIOD_DAYS), now),
    }
}

/// A short page saying what went wrong, with the way back (to the turbine's page when given).
pub(super) fn message_page(state: &AppState, status: StatusCode, text: &str, turbine: Option<&str>) -> Response {
    let farm = escape_html(&state.farm);
    let back = match turbine.filter(|t| state.turbines.by_name(t).is_some()) {
        Some(t) => format!("<a href=\"/turbines/{t}\">Back to turbine {t}</a>", t = escape_html(t)),
        None => "<a href=\"/\">Back to the farm overview</a>".to_string(),
    };
    let body =
        format!("<h1>trueyaw: farm {farm}</h1><p class=\"msg err\" role=alert>{}</p><p>{back}</p>", escape_html(text));
    (status, Html(page_shell(&format!("trueyaw {farm}"), 0, &body))).into_response()
}
