//! Calibration reports: what trueyaw learned about one turbine (or a whole farm), in a form an
//! engineer can file, print and act on: the yaw offset to apply, how sure we are, what it costs
//! not to apply it, and how the estimate was made.
//!
//! The report is built from the model registry (`store::models`) and the turbine's own windows,
//! never from a model artifact on disk, so it shows exactly what `serve` serves.
//!
//! - [`build`]: [`TurbineReport`] and [`FarmReport`] from the store, with the energy figures.
//! - [`csv`], [`html`] (with the hand-drawn chart of [`svg`]) and [`to_json`]: the renderers.
//!   Every number in the HTML is in the JSON and the CSV too.
//! - [`pdf`]: the HTML page printed to PDF by headless Chromium, when one is installed.
//! - [`Format`]: the formats by name, as `trueyaw report --format` takes them.
//!
//! Energy figures (all per turbine, documented on the fields of [`Energy`]):
//! - annual energy as operated = mean `power_kw_mean` of the turbine's windows over the model's
//!   data period x 8760 h / 1000 (MWh/year);
//! - `energy_loss_pct` L (from the estimate, `docs/domain.md`) is the share of the *aligned*
//!   production lost, so the annual loss is `E / (1 - L) x L`;
//! - the recoverable part is the loss the mean misalignment m causes, `1 - cos^p(m)` (capped at
//!   L): correcting the yaw offset removes the mean, not the scatter the controller's dead band
//!   leaves around it, which keeps costing `L - (1 - cos^p(m))`. To second order in the angles
//!   this is exact: `1 - mean cos^p(m + d) ~ p/2 (m^2 + var d)`, and only `p/2 m^2` goes away.

pub mod build;
pub mod charts;
pub mod csv;
mod format;
pub mod html;
pub mod pdf;
pub mod svg;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use self::build::{build_farm_report, build_turbine_report};
pub use self::format::Format;
pub use self::html::escape_html;
use crate::model::{BinVaneError, DriftEvent};
use crate::store::StoreError;

/// How the numbers relate to NREL OpenOA, printed wherever a binned result is shown.
pub const OPENOA_NOTE: &str = "NREL OpenOA's StaticYawMisalignment reports, per wind-speed bin, \
(power-peak vane angle) - (mean vane angle), which is minus misalignment_deg here; \
vane_error_deg is the yaw offset to apply (a controller uses vane_deg - yaw_offset_deg).";

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("farm {0:?} does not exist")]
    UnknownFarm(String),
    #[error("turbine {turbine:?} is not in farm {farm:?}")]
    UnknownTurbine { farm: String, turbine: String },
    #[error("turbine {turbine:?} of farm {farm:?} has no active model: {reason}")]
    NoActiveModel { farm: String, turbine: String, reason: String },
    #[error("no turbine of farm {0:?} has an active model (run `trueyaw train` first)")]
    NoActiveModels(String),
    #[error("model {version} of {farm}/{turbine} has an unreadable estimate: {message}")]
    BadEstimate { farm: String, turbine: String, version: i32, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReportError {
    /// True for mistakes in the command (farm, turbine, nothing trained): the CLI exits with code 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::UnknownFarm(_) | Self::UnknownTurbine { .. } | Self::NoActiveModel { .. } | Self::NoActiveModels(_)
        )
    }
}

/// The registered model a report describes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub version: i32,
    /// `neural` or `binned`.
    pub method: String,
    pub created_at: DateTime<Utc>,
}

/// The data the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// First and last window start.
    pub data_from: Option<DateTime<Utc>>,
    pub data_to: Option<DateTime<Utc>>,
    /// Window length, s (from the model's metrics; 600 when they do not say).
    pub length_s: i32,
    /// Windows loaded for training, before filtering (None when the metrics do not say).
    pub windows_loaded: Option<u64>,
    /// Windows the estimate used after filtering.
    pub n_windows: u64,
    /// `n_windows / windows_loaded`, 0..1.
    pub share_kept: Option<f64>,
}

/// Windows one data filter removed (or, for `input` and `kept`, the totals), in pipeline order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterCount {
    pub filter: String,
    pub windows: u64,
}

/// The correction to apply: the operating-range vane error (`docs/domain.md`: `yaw_offset_deg`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaticOffset {
    /// e averaged over 4-11 m/s after the last drift event, deg.
    pub yaw_offset_deg: Option<f64>,
    /// 95 % interval, deg.
    pub ci95: Option<[f64; 2]>,
}

/// Energy figures; see the module docs for the formulas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Energy {
    /// `1 - mean(cos^p(gamma))`, power-weighted, % of the aligned production (from the estimate).
    pub energy_loss_pct: Option<f64>,
    /// Mean `power_kw_mean` over the turbine's windows in the data period, kW.
    pub mean_power_kw: Option<f64>,
    /// Windows behind `mean_power_kw`.
    pub power_windows: u64,
    /// Annual energy as operated, `mean_power_kw x 8760 / 1000`, MWh/year.
    pub annual_energy_mwh: Option<f64>,
    /// Annual energy lost to misalignment, `E / (1 - L) x L`, MWh/year.
    pub annual_loss_mwh: Option<f64>,
    /// Loss removed by correcting the mean misalignment, `1 - cos^p(misalignment_deg)` capped at
    /// `energy_loss_pct`, % of the aligned production.
    pub recoverable_pct: Option<f64>,
    /// Expected gain after correction, `E / (1 - L) x recoverable`, MWh/year.
    pub recoverable_mwh_per_year: Option<f64>,
    /// Loss that stays after correction (the scatter around the mean), %.
    pub remaining_loss_pct: Option<f64>,
}

/// The latest `binned` (OpenOA-style) model beside a neural one, for context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinnedComparison {
    pub version: i32,
    /// `active`, `rejected` or `superseded`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// Its operating-range vane error, deg.
    pub vane_error_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// Its `misalignment_deg`; OpenOA would report minus this.
    pub misalignment_deg: Option<f64>,
    /// OpenOA's own figure as the binned fit computed it, when stored in its metrics.
    pub openoa_yaw_misalignment_deg: Option<f64>,
    /// [`OPENOA_NOTE`].
    pub note: String,
}

/// One turbine's calibration report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurbineReport {
    pub farm: String,
    pub turbine: String,
    pub generated_at: DateTime<Utc>,
    pub model: ModelInfo,
    pub coverage: Coverage,
    pub filter_counts: Vec<FilterCount>,
    /// How the method works, in a paragraph.
    pub method_note: String,
    pub static_offset: StaticOffset,
    /// Per-bin vane error, 3..=15 m/s, with intervals and extrapolated flags.
    pub bins: Vec<BinVaneError>,
    pub drift_events: Vec<DriftEvent>,
    /// Vane gain error k.
    pub gain: f64,
    /// Exponent p of the cos^p power loss.
    pub cos_exponent: Option<f64>,
    /// Mean true misalignment as operated, deg.
    pub misalignment_deg: Option<f64>,
    /// Yaw-position (north) offset, deg, when the farm was trained together.
    pub north_offset_deg: Option<f64>,
    pub energy: Energy,
    /// The latest binned model when the active one is neural.
    pub binned_comparison: Option<BinnedComparison>,
}

/// One turbine's line in the farm report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurbineSummary {
    pub turbine: String,
    pub model_version: i32,
    pub method: String,
    pub yaw_offset_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub misalignment_deg: Option<f64>,
    pub energy_loss_pct: Option<f64>,
    pub annual_energy_mwh: Option<f64>,
    pub annual_loss_mwh: Option<f64>,
    pub recoverable_mwh_per_year: Option<f64>,
    pub drift_events: usize,
    pub n_windows: u64,
}

impl From<&TurbineReport> for TurbineSummary {
    fn from(r: &TurbineReport) -> Self {
        Self {
            turbine: r.turbine.clone(),
            model_version: r.model.version,
            method: r.model.method.clone(),
            yaw_offset_deg: r.static_offset.yaw_offset_deg,
            ci95: r.static_offset.ci95,
            misalignment_deg: r.misalignment_deg,
            energy_loss_pct: r.energy.energy_loss_pct,
            annual_energy_mwh: r.energy.annual_energy_mwh,
            annual_loss_mwh: r.energy.annual_loss_mwh,
            recoverable_mwh_per_year: r.energy.recoverable_mwh_per_year,
            drift_events: r.drift_events.len(),
            n_windows: r.coverage.n_windows,
        }
    }
}

/// A turbine left out of the farm report, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithoutReport {
    pub turbine: String,
    pub reason: String,
}

/// Every turbine of a farm, ranked by recoverable MWh/year (largest first, unknown last).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FarmReport {
    pub farm: String,
    pub generated_at: DateTime<Utc>,
    pub turbines: Vec<TurbineSummary>,
    /// Sum of `recoverable_mwh_per_year` over the turbines that have it.
    pub total_recoverable_mwh_per_year: f64,
    pub without_report: Vec<WithoutReport>,
}

/// Pretty JSON of a report.
pub fn to_json<T: Serialize>(report: &T) -> String {
    serde_json::to_string_pretty(report).expect("a report serialises")
}
