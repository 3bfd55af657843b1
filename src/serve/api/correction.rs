//! The correction path: `GET /api/v1/turbines/{turbine}/correction` (the offset at an operating
//! point, or at the newest reading) and `POST /api/v1/turbines/{turbine}/correct` (a batch of raw
//! readings corrected). Memory only: the active model comes from the model cache, the newest
//! reading from the latest-readings cache; no database access per request.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::turbines::find;
use crate::model::correction::{Corrected, OperatingPoint};
use crate::serve::http::{ApiError, JsonBody, Path, Problem, Query, Viewer};
use crate::serve::live::{LiveStatus, confidence_low, live};
use crate::serve::model_cache::ServedModel;
use crate::serve::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/turbines/{turbine}/correction", get(correction))
        .route("/turbines/{turbine}/correct", post(correct))
}

/// An operating point; give none of them to use the newest reading.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Nacelle wind speed, m/s (0..=60).
    pub ws: Option<f64>,
    /// Rotor speed, rpm (0..=100).
    pub rpm: Option<f64>,
    /// Blade pitch, degrees (-10..=95).
    pub pitch: Option<f64>,
}

/// The correction to apply at one operating point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Correction {
    pub turbine: String,
    /// What a controller subtracts from the vane reading: `vane_deg - yaw_offset_deg` is its yaw error.
    pub yaw_offset_deg: f64,
    /// The vane error e at this point (equal to `yaw_offset_deg`).
    pub vane_error_deg: f64,
    /// 95 % interval of `vane_error_deg`.
    pub ci95: [f64; 2],
    /// True outside the wind speeds the model learned from (above rated, say).
    pub extrapolated: bool,
    pub wind_speed_ms: f64,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
    /// `request` when the point came from the query, `latest_reading` otherwise.
    pub point_from: String,
    /// Time of the reading used, when the point came from it.
    pub reading_time: Option<DateTime<Utc>>,
    pub model_version: i32,
    pub method: String,
    pub status: LiveStatus,
}

fn model_of(state: &AppState, id: i32, name: &str) -> Result<std::sync::Arc<ServedModel>, ApiError> {
    state.models.get(id).ok_or_else(|| match state.models.errors().get(&id) {
        Some(e) => ApiError::Unavailable(format!("turbine {name}'s active model failed to load: {e}")),
        None => ApiError::Conflict(format!("turbine {name} has no active model; train one first")),
    })
}

/// Checks that an optional value is finite and in `lo..=hi`.
fn in_range(field: &str, v: Option<f64>, lo: f64, hi: f64, unit: &str) -> Result<(), ApiError> {
    match v {
        Some(x) if !x.is_finite() || !(lo..=hi).contains(&x) => {
            Err(ApiError::field(field, format!("{field} = {x} is outside {lo}..={hi} {unit}")))
        }
        _ => Ok(()),
    }
}

/// The yaw offset at an operating point.
#[utoipa::path(get, path = "/api/v1/turbines/{turbine}/correction", tag = "corrections",
    params(("turbine" = String, Path, description = "Turbine name"), PointQuery),
    responses((status = 200, body = Correction), (status = 404, body = Problem),
               (status = 409, description = "No active model, or no reading to take the point from", body = Problem),
               (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn correction(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
    Query(q): Query<PointQuery>,
) -> Result<Json<Correction>, ApiError> {
    let t = find(&state, &name)?;
    in_range("ws", q.ws, 0.0, 60.0, "m/s")?;
    in_range("rpm", q.rpm, 0.0, 100.0, "rpm")?;
    in_range("pitch", q.pitch, -10.0, 95.0, "deg")?;
    let model = model_of(&state, t.id, &name)?;
    let (point, point_from, reading_time, status) = match q.ws {
        Some(ws) => {
            let p = OperatingPoint { wind_speed_ms: ws, rotor_rpm: q.rpm, pitch_deg: q.pitch };
            (p, "request", None, None)
        }
        None if q.rpm.is_some() || q.pitch.is_some() => {
            return Err(ApiError::field(
                "ws",
                "give ws with rpm and pitch (or no point at all for the newest reading)",
            ));
        }
        None => {
            let r = state.latest.get(t.id).ok_or_else(|| {
                ApiError::Conflict(format!("turbine {name} has no usable reading in the last day; pass ?ws=..."))
            })?;
            let ws = r.wind_speed_ms.map(f64::from).unwrap_or_default();
            let p = OperatingPoint {
                wind_speed_ms: ws,
                rotor_rpm: r.rotor_rpm.map(f64::from),
                pitch_deg: r.pitch_deg.map(f64::from),
            };
            (p, "latest_reading", Some(r.time), Some(live(&state, t.id).status))
        }
    };
    let at = model.correction.vane_error_at(&point);
    let status = status.unwrap_or(if confidence_low(&state, at.ci95, at.extrapolated) {
        LiveStatus::LowConfidence
    } else {
        LiveStatus::Ok
    });
    Ok(Json(Correction {
        turbine: t.name.clone(),
        yaw_offset_deg: at.vane_error_deg,
        vane_error_deg: at.vane_error_deg,
        ci95: at.ci95,
        extrapolated: at.extrapolated,
        wind_speed_ms: point.wind_speed_ms,
        rotor_rpm: point.rotor_rpm,
        pitch_deg: point.pitch_deg,
        point_from: point_from.into(),
        reading_time,
        model_version: model.version,
        method: model.method.clone(),
        status,
    }))
}

/// One raw reading to correct.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReading {
    /// Passed through to the output, so results can be matched to inputs.
    pub time: Option<DateTime<Utc>>,
    /// Vane (relative wind direction), degrees, -180..=180.
    pub vane_deg: f64,
    /// Yaw position, degrees from north, 0..360; without it no absolute direction is given.
    pub nacelle_deg: Option<f64>,
    /// Nacelle wind speed, m/s.
    pub wind_speed_ms: f64,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
}

/// A batch of raw readings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    pub readings: Vec<RawReading>,
}

/// One reading corrected.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectedReading {
    pub time: Option<DateTime<Utc>>,
    /// The offset applied (= vane error at the reading's operating point), degrees.
    pub yaw_offset_deg: f64,
    pub ci95: [f64; 2],
    pub extrapolated: bool,
    /// `(vane_deg - yaw_offset_deg) / (1 + gain)`, degrees.
    pub corrected_relative_deg: f64,
    /// `wrap360(nacelle_deg - north_offset + corrected relative)`, degrees from north.
    pub corrected_absolute_deg: Option<f64>,
}

/// The corrected batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectResponse {
    pub turbine: String,
    pub model_version: i32,
    pub method: String,
    pub gain: f64,
    pub north_offset_deg: f64,
    pub corrected: Vec<CorrectedReading>,
}

fn check_reading(i: usize, r: &RawReading) -> Result<(), ApiError> {
    // field names are only formatted for the error: this runs for every reading of a batch
    let checks = [
        ("vane_deg", Some(r.vane_deg), -180.0, 180.0, "deg"),
        ("nacelle_deg", r.nacelle_deg, 0.0, 360.0, "deg"),
        ("wind_speed_ms", Some(r.wind_speed_ms), 0.0, 60.0, "m/s"),
        ("rotor_rpm", r.rotor_rpm, 0.0, 100.0, "rpm"),
        ("pitch_deg", r.pitch_deg, -10.0, 95.0, "deg"),
    ];
    for (name, v, lo, hi, unit) in checks {
        if v.is_some_and(|x| !x.is_finite() || !(lo..=hi).contains(&x)) {
            return in_range(&format!("readings[{i}].{name}"), v, lo, hi, unit);
        }
    }
    Ok(())
}

/// Corrects a batch of raw readings with the active model.
#[utoipa::path(post, path = "/api/v1/turbines/{turbine}/correct", tag = "corrections",
    params(("turbine" = String, Path, description = "Turbine name")),
    request_body = CorrectRequest,
    responses((status = 200, body = CorrectResponse), (status = 404, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn correct(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<CorrectRequest>,
) -> Result<Json<CorrectResponse>, ApiError> {
    let t = find(&state, &name)?;
    let max = state.settings.max_batch_readings;
    if req.readings.len() > max {
        return Err(ApiError::field("readings", format!("{} readings; at most {max} per request", req.readings.len())));
    }
    for (i, r) in req.readings.iter().enumerate() {
        check_reading(i, r)?;
    }
    let model = model_of(&state, t.id, &name)?;
    let corrected = req
        .readings
        .iter()
        .map(|r| {
            let p = OperatingPoint { wind_speed_ms: r.wind_speed_ms, rotor_rpm: r.rotor_rpm, pitch_deg: r.pitch_deg };
            let c: Corrected = model.correction.correct(r.vane_deg, r.nacelle_deg, &p);
            CorrectedReading {
                time: r.time,
                yaw_offset_deg: c.yaw_offset_deg,
                ci95: c.ci95,
                extrapolated: c.extrapolated,
                corrected_relative_deg: c.corrected_relative_deg,
                corrected_absolute_deg: c.corrected_absolute_deg,
            }
        })
        .collect();
    Ok(Json(CorrectResponse {
        turbine: t.name.clone(),
        model_version: model.version,
        method: model.method.clone(),
        gain: model.correction.gain(),
        north_offset_deg: model.correction.north_offset_deg(),
        corrected,
    }))
}
