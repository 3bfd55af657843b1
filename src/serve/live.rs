//! What trueyaw serves for a turbine right now: its active model evaluated at its newest
//! reading, and a status that tells a controller whether to trust it. Shared by the REST API
//! and the SCADA server so both always say the same thing. Memory reads only.

use chrono::Utc;

use super::state::StateInner;
use crate::model::correction::{Corrected, OperatingPoint};

/// Status of a served correction; the numbers are the SCADA server's status register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    /// A current reading corrected by a confident model.
    Ok,
    /// No usable reading within `serve.stale_after_s`.
    Stale,
    /// The turbine has no active model.
    NoModel,
    /// The interval is wider than `serve.low_confidence_ci95_width_deg`, or the operating point
    /// is outside what the model learned from (extrapolated).
    LowConfidence,
}

/// A turbine's live correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The newest reading corrected, when there is both a reading and a model.
    pub corrected: Option<Corrected>,
    pub model_version: Option<i32>,
    /// Age of the newest usable reading, seconds.
    pub reading_age_s: Option<f64>,
    pub status: LiveStatus,
}

/// The live correction of turbine `turbine_id`.
pub fn live(state: &StateInner, turbine_id: i32) -> Live {
    let model = state.models.get(turbine_id);
    let reading = state.latest.get(turbine_id);
    let reading_age_s = reading.as_ref().map(|r| (Utc::now() - r.time).num_milliseconds().max(0) as f64 / 1000.0);
    let corrected = match (&model, &reading) {
        (Some(m), Some(r)) => match (r.vane_deg, r.wind_speed_ms) {
            (Some(vane), Some(ws)) => {
                let p = OperatingPoint {
                    wind_speed_ms: f64::from(ws),
                    rotor_rpm: r.rotor_rpm.map(f64::from),
                    pitch_deg: r.pitch_deg.map(f64::from),
                };
                Some(m.correction.correct(f64::from(vane), r.nacelle_deg.map(f64::from), &p))
            }
            _ => None,
        },
        _ => None,
    };
    let stale = reading_age_s.is_none_or(|a| a > state.settings.stale_after_s as f64);
    let status = if model.is_none() {
        LiveStatus::NoModel
    } else if stale {
        LiveStatus::Stale
    } else if corrected.is_none_or(|c| confidence_low(state, c.ci95, c.extrapolated)) {
        LiveStatus::LowConfidence
    } else {
        LiveStatus::Ok
    };
    Live { corrected, model_version: model.map(|m| m.version), reading_age_s, status }
}

/// Whether an interval (or extrapolation) makes a served value low confidence.
pub fn confidence_low(state: &StateInner, ci95: [f64; 2], extrapolated: bool) -> bool {
    extrapolated || ci95[1] - ci95[0] > state.settings.low_confidence_ci95_width_deg
}
