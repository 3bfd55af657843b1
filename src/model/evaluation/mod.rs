//! Scoring stored models against ground truth (the `truth.json` of `trueyaw synth` or
//! `simulate --truth`, read by the caller into [`TurbineTruth`]s). It takes the **latest model
//! of each method** of every turbine, active or not, so both methods can be compared even where
//! the gates rejected one of them. `trueyaw evaluate` prints the [`table`] and the JSON;
//! `drift` matches the drift events.
//!
//! Scores per turbine and method:
//! - `rmse_bins_deg`: RMSE of the model's `vane_error_deg` against the truth over the 4-11 m/s
//!   bins, current state (the truth's last `vane_error_by_bin` period). Extrapolated model bins
//!   count too: a served correction uses them. Truth bins are at free wind speed, model bins at
//!   nacelle wind speed; the difference is part of what is measured.
//! - `operating_error_deg`: model operating `vane_error_deg` minus the truth's mean over 4-11 m/s.
//! - `bins_covered`: of the compared bins, those whose 95 % interval contains the truth (the
//!   target is at least 90 % of bins over a benchmark).
//! - drift: a truth step with |delta| ≥ 2 deg inside the model's data range is hit when a model
//!   event lies within ±3 days (each model event matches once); `drift_time_error_h` is the mean
//!   absolute time error of those hits. A ramp (the error moving over 3-30 days) has no single
//!   time: it is hit when a model event lies between its start and end, ±3 days, and counted
//!   apart (`ramp_hits`, `ramp_misses`). Model events near no truth event are false alarms.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

mod drift;
mod table;

pub use self::table::table;
use crate::model::VaneErrorEstimate;
use crate::model::training::{TrainError, farm_id};
use crate::store::{self, PgPool};

/// What really happened to one turbine's vane, as far as the scores need it (from
/// `sim::truth::TurbineTruth`).
#[derive(Debug, Clone, PartialEq)]
pub struct TurbineTruth {
    pub name: String,
    /// The current state: e per wind-speed bin of the truth's last `vane_error_by_bin` period.
    pub current_bins: Vec<TruthBin>,
    pub drift_events: Vec<TruthDrift>,
}

/// The true vane error of one bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthBin {
    /// Bin centre (free wind speed), m/s.
    pub ws: f64,
    pub vane_error_deg: f64,
}

/// A true change of the vane error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthDrift {
    pub time: DateTime<Utc>,
    pub kind: DriftShape,
    pub delta_deg: f64,
    /// How long the change takes, s (a ramp's length).
    pub duration_s: u64,
}

/// How a true vane error changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftShape {
    /// At once, at its time.
    Step,
    /// Linearly over its duration.
    Ramp,
}

/// Smallest truth drift event a model is expected to find, degrees.
pub const MIN_DRIFT_DEG: f64 = 2.0;
/// How far a model event may be from a truth event to count as finding it.
pub const DRIFT_TOLERANCE: Duration = Duration::days(3);

/// The scores of one turbine's latest model of one method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalRow {
    pub farm: String,
    pub turbine: String,
    pub method: String,
    pub model_version: i32,
    /// `active`, `rejected` or `superseded`.
    pub status: String,
    pub bins_compared: usize,
    /// Compared bins whose 95 % interval contains the truth.
    pub bins_covered: usize,
    pub rmse_bins_deg: Option<f64>,
    pub model_operating_deg: Option<f64>,
    pub truth_operating_deg: Option<f64>,
    pub operating_error_deg: Option<f64>,
    pub drift_hits: usize,
    pub drift_misses: usize,
    pub drift_false_alarms: usize,
    pub drift_time_error_h: Option<f64>,
    /// Truth ramps (|delta| ≥ 2 deg) with a model event between their start and end (± 3 days).
    pub ramp_hits: usize,
    pub ramp_misses: usize,
}

/// What `evaluate` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub truth: String,
    /// Which models were scored, in words.
    pub note: &'static str,
    pub rows: Vec<EvalRow>,
}

/// Scores the latest model of each method of every turbine of `farm` (all farms when None) that
/// the truth names.
pub async fn evaluate(pool: &PgPool, truth: &[TurbineTruth], farm: Option<&str>) -> Result<EvalReport, TrainError> {
    let models = store::list_models(pool, farm_id(pool, farm).await?).await?;
    let mut rows = Vec::new();
    for (i, m) in models.iter().enumerate() {
        // models come ordered by farm, turbine, version: keep the last of each method
        let newer = models[i + 1..].iter().any(|n| n.turbine_id == m.turbine_id && n.method == m.method);
        let Some(tt) = truth.iter().find(|t| t.name == m.turbine) else { continue };
        if newer {
            continue;
        }
        let Ok(est) = serde_json::from_value::<VaneErrorEstimate>(m.estimate.clone()) else { continue };
        let mut row = score(&est, tt, m.data_from, m.data_to);
        row.farm = m.farm.clone();
        row.status = m.status.clone();
        rows.push(row);
    }
    let note = "latest model of each method per turbine, active or not";
    Ok(EvalReport { truth: String::new(), note, rows })
}

/// Scores one estimate against its turbine's truth; events outside `[from, to]` are not expected.
pub fn score(
    est: &VaneErrorEstimate,
    truth: &TurbineTruth,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> EvalRow {
    let operating = |ws: f64| (4.0..=11.0).contains(&ws);
    let current = &truth.current_bins;
    let truth_ops: Vec<f64> = current.iter().filter(|b| operating(b.ws)).map(|b| b.vane_error_deg).collect();
    let truth_operating_deg = (!truth_ops.is_empty()).then(|| truth_ops.iter().sum::<f64>() / truth_ops.len() as f64);
    let pairs: Vec<(&crate::model::BinVaneError, f64)> = est
        .bins
        .iter()
        .filter(|b| operating(b.ws) && b.vane_error_deg.is_some())
        .filter_map(|b| Some((b, current.iter().find(|t| (t.ws - b.ws).abs() < 1e-9)?.vane_error_deg)))
        .collect();
    let sq: Vec<f64> = pairs.iter().filter_map(|(b, t)| Some((b.vane_error_deg? - t).powi(2))).collect();
    let bins_covered = pairs.iter().filter(|(b, t)| b.ci95.is_some_and(|[lo, hi]| lo <= *t && *t <= hi)).count();
    let rmse_bins_deg = (!sq.is_empty()).then(|| (sq.iter().sum::<f64>() / sq.len() as f64).sqrt());

    let in_range = |t: DateTime<Utc>| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
    let drift = drift::score_drift(&est.drift_events, &truth.drift_events, in_range);
    EvalRow {
        farm: String::new(),
        turbine: est.turbine.clone(),
        method: est.method.clone(),
        model_version: est.model_version,
        status: String::new(),
        bins_compared: sq.len(),
        bins_covered,
        rmse_bins_deg,
        model_operating_deg: est.vane_error_deg,
        truth_operating_deg,
        operating_error_deg: est.vane_error_deg.zip(truth_operating_deg).map(|(m, t)| m - t),
        drift_hits: drift.hits,
        drift_misses: drift.misses,
        drift_false_alarms: drift.false_alarms,
        drift_time_error_h: drift.time_error_h,
        ramp_hits: drift.ramp_hits,
        ramp_misses: drift.ramp_misses,
    }
}
