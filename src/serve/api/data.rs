//! Time-range queries of stored data: `GET /api/v1/turbines/{turbine}/readings` and
//! `.../windows`. Always bounded: a page holds at most `limit` rows (default 1,000, at most
//! 10,000) and ends with a `next_cursor` to continue from when more rows remain.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::turbines::find;
use crate::serve::http::{ApiError, Path, Problem, Query, Viewer};
use crate::serve::state::AppState;
use crate::store::{self, WindowRow};

const DEFAULT_LIMIT: i64 = 1000;
const MAX_LIMIT: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/turbines/{turbine}/readings", get(readings))
        .route("/turbines/{turbine}/windows", get(windows))
}

/// A time range and a page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Start (inclusive), RFC 3339; default: one day before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive), RFC 3339; default: now.
    pub to: Option<DateTime<Utc>>,
    /// Rows per page, 1..=10000 (default 1000).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<DateTime<Utc>>,
    /// Windows only: window length in minutes (default 10).
    pub length_min: Option<i32>,
}

/// Resolves the range into `(after, to, limit)`: rows with `after < time < to`.
fn page(q: &RangeQuery) -> Result<(DateTime<Utc>, DateTime<Utc>, i64), ApiError> {
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - Duration::days(1));
    if from >= to {
        return Err(ApiError::field("from", format!("from ({from}) must be before to ({to})")));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", format!("limit {limit} is outside 1..={MAX_LIMIT}")));
    }
    // `after` is exclusive; one microsecond before `from` makes `from` itself inclusive
    let after = match q.cursor {
        Some(c) if c < from || c >= to => {
            return Err(ApiError::field("cursor", "cursor is outside the from..to range it was issued for"));
        }
        Some(c) => c,
        None => from - Duration::microseconds(1),
    };
    Ok((after, to, limit))
}

/// One stored reading; angles in degrees.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingOut {
    pub time: DateTime<Utc>,
    pub wind_speed_ms: Option<f32>,
    pub vane_deg: Option<f32>,
    pub nacelle_deg: Option<f32>,
    pub power_kw: Option<f32>,
    pub rotor_rpm: Option<f32>,
    pub pitch_deg: Option<f32>,
    pub state: Option<i16>,
    /// Quality flag bits (0 = good); see docs/history.md, "Data quality".
    pub quality: i32,
}

/// A page of readings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingsPage {
    pub turbine: String,
    pub readings: Vec<ReadingOut>,
    /// Pass as `cursor` (with the same from/to) for the next page; absent on the last page.
    pub next_cursor: Option<DateTime<Utc>>,
}

/// Raw polled readings in a time range.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/readings", tag = "data",
    params(("turbine" = String, Path, description = "Turbine name"), RangeQuery),
    responses((status = 200, body = ReadingsPage), (status = 400, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn readings(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<ReadingsPage>, ApiError> {
    let t = find(&state, &name)?;
    let (after, to, limit) = page(&q)?;
    let rows = store::readings::readings_page(&state.pool, t.id, after, to, limit).await?;
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.time)).flatten();
    let readings = rows
        .into_iter()
        .map(|r| ReadingOut {
            time: r.time,
            wind_speed_ms: r.wind_speed_ms,
            vane_deg: r.vane_deg,
            nacelle_deg: r.nacelle_deg,
            power_kw: r.power_kw,
            rotor_rpm: r.rotor_rpm,
            pitch_deg: r.pitch_deg,
            state: r.state,
            quality: r.quality.0,
        })
        .collect();
    Ok(Json(ReadingsPage { turbine: t.name.clone(), readings, next_cursor }))
}

/// A page of windows.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowsPage {
    pub turbine: String,
    pub length_min: i32,
    pub windows: Vec<WindowRow>,
    pub next_cursor: Option<DateTime<Utc>>,
}

/// Aggregated windows (polled or imported) in a time range.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/windows", tag = "data",
    params(("turbine" = String, Path, description = "Turbine name"), RangeQuery),
    responses((status = 200, body = WindowsPage), (status = 400, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn windows(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<WindowsPage>, ApiError> {
    let t = find(&state, &name)?;
    let (after, to, limit) = page(&q)?;
    let length_min = q.length_min.unwrap_or(10);
    if !(1..=1440).contains(&length_min) {
        return Err(ApiError::field("length_min", format!("length_min {length_min} is outside 1..=1440")));
    }
    let rows = store::windows::windows_page(&state.pool, t.id, length_min * 60, after, to, limit).await?;
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|w| w.window_start)).flatten();
    Ok(Json(WindowsPage { turbine: t.name.clone(), length_min, windows: rows, next_cursor }))
}
