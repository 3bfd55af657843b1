//! What every estimator reports for one turbine, in the shape of the `trueyaw estimates` JSON
//! (names and conventions of `docs/domain.md`, Derived quantities). Estimators fill it; the
//! registry stores it with the model; the CLI, API and reports read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The vane error in one 1 m/s wind-speed bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BinVaneError {
    /// Bin centre, m/s.
    pub ws: f64,
    /// Estimated e in this bin, degrees; `None` when the bin could not be estimated.
    pub vane_error_deg: Option<f64>,
    /// 95 % interval of `vane_error_deg`.
    pub ci95: Option<[f64; 2]>,
    /// True where the bin has no power signal to learn from (above rated, or no data) and the
    /// value is extrapolated from neighbouring bins.
    pub extrapolated: bool,
    /// Windows that fell in this bin after filtering.
    pub n_windows: usize,
}

/// A detected step or ramp in the vane calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DriftEvent {
    pub time: DateTime<Utc>,
    /// Change of e at `time`, degrees (new minus old).
    pub delta_deg: f64,
    pub ci95: [f64; 2],
    /// What saw the change, so an engineer can judge it; absent in estimates stored before it
    /// was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<DriftEvidence>,
}

/// What a drift event rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftEvidence {
    /// The power-vane peak moved; the turbine's direction against the farm did not step (a
    /// change every turbine shares, such as a farm-wide recalibration, shows only here, and so
    /// does a slow power trend the model could not tell from pointing).
    Power,
    /// The turbine's `nacelle_deg + vane_deg` stepped against the farm consensus, and power
    /// did not size it (north-offset jumps of the yaw-position sensor).
    Direction,
    /// Both: a direction change point of this turbine against the farm, sized by power.
    PowerAndDirection,
}

impl DriftEvidence {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Power => "power",
            Self::Direction => "direction",
            Self::PowerAndDirection => "power_and_direction",
        }
    }
}

/// One turbine's estimate. Angles in degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VaneErrorEstimate {
    pub turbine: String,
    /// `neural` or `binned`.
    pub method: String,
    /// e averaged over the 4-11 m/s operating range, current state (after the last drift event).
    pub vane_error_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// Per-bin values, 3..=15 m/s.
    pub bins: Vec<BinVaneError>,
    /// Vane gain error k (`vane = (1 + k) * gamma + e`); 0 where the method does not estimate it.
    pub gain: f64,
    /// Exponent p of the cos^p power loss.
    pub cos_exponent: Option<f64>,
    /// Mean true misalignment as operated: mean over operating windows of the corrected
    /// relative direction `(vane_deg - vane_error_deg) / (1 + k)`.
    pub misalignment_deg: Option<f64>,
    /// `1 - mean(cos^p(gamma))` over operating windows, weighted by power, in percent.
    pub energy_loss_pct: Option<f64>,
    /// Yaw-position (north) offset relative to the farm consensus or a reference, if estimated
    /// (`model::consensus`; needs three or more turbines trained together).
    pub north_offset_deg: Option<f64>,
    /// 95 % interval of `north_offset_deg`.
    #[serde(default)]
    pub north_offset_ci95: Option<[f64; 2]>,
    /// Jumps of the north offset (a re-mounted yaw sensor, or a vane step the model did not see).
    #[serde(default)]
    pub north_offset_jumps: Vec<DriftEvent>,
    pub drift_events: Vec<DriftEvent>,
    /// Registry version of the model that produced this; 0 before it is registered.
    pub model_version: i32,
    /// Windows the estimate used after filtering.
    pub n_windows: usize,
}

impl VaneErrorEstimate {
    /// An estimate with no values yet (a model that could not be fitted, or a starting point
    /// for an estimator to fill).
    pub fn empty(turbine: &str, method: &str, n_windows: usize) -> Self {
        Self {
            turbine: turbine.to_string(),
            method: method.to_string(),
            vane_error_deg: None,
            ci95: None,
            bins: Vec::new(),
            gain: 0.0,
            cos_exponent: None,
            misalignment_deg: None,
            energy_loss_pct: None,
            north_offset_deg: None,
            north_offset_ci95: None,
            north_offset_jumps: Vec::new(),
            drift_events: Vec::new(),
            model_version: 0,
            n_windows,
        }
    }
}
