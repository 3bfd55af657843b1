//! `trueyaw evaluate`: scores stored models against a ground-truth file (`trueyaw synth` or
//! `simulate --truth`). It takes the **latest model of each method** of every turbine, active or
//! not, so both methods can be compared even where the gates rejected one of them.
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

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::training::{TrainError, farm_id, fmt_deg};
use crate::model::{DriftEvent, VaneErrorEstimate};
use crate::sim::truth::{DriftEventTruth, Truth, TurbineTruth};
use crate::sim::vane::DriftKind;
use crate::store::{self, PgPool};

/// Smallest truth drift event a model is expected to find, degrees.
pub const MIN_DRIFT_DEG: f64 = 2.0;
/// How far a model event may be from a truth event to count as finding it.
pub const DRIFT_TOLERANCE: Duration = Duration::days(3);

/// Output of `evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// The table, then the JSON.
    Both,
    Table,
    Json,
}

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

/// Reads the truth, connects, scores and prints.
pub async fn run(
    database_url: &str,
    truth_path: &Path,
    farm: Option<&str>,
    format: EvalFormat,
) -> anyhow::Result<EvalReport> {
    let truth = Truth::read(truth_path)
        .map_err(|e| TrainError::BadTruth { path: truth_path.display().to_string(), message: format!("{e:#}") })?;
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 2).await.with_context(|| format!("opening {redacted}"))?;
    let result = evaluate(&pool, &truth, farm).await;
    pool.close().await;
    let mut report = result?;
    report.truth = truth_path.display().to_string();
    if format != EvalFormat::Json {
        print!("{}", table(&report));
    }
    if format != EvalFormat::Table {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(report)
}

/// Scores the latest model of each method of every turbine of `farm` (all farms when None) that
/// the truth names.
pub async fn evaluate(pool: &PgPool, truth: &Truth, farm: Option<&str>) -> Result<EvalReport, TrainError> {
    let models = store::list_models(pool, farm_id(pool, farm).await?).await?;
    let mut rows = Vec::new();
    for (i, m) in models.iter().enumerate() {
        // models come ordered by farm, turbine, version: keep the last of each method
        let newer = models[i + 1..].iter().any(|n| n.turbine_id == m.turbine_id && n.method == m.method);
        let Some(tt) = truth.turbines.iter().find(|t| t.name.as_str() == m.turbine) else { continue };
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
    let current = truth.vane_error_by_bin.last().map(|p| p.bins.as_slice()).unwrap_or_default();
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
    let drift = score_drift(&est.drift_events, &truth.drift_events, in_range);
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

/// Drift scores of one turbine; see the module docs.
struct DriftScore {
    hits: usize,
    misses: usize,
    false_alarms: usize,
    time_error_h: Option<f64>,
    ramp_hits: usize,
    ramp_misses: usize,
}

/// Matches model events to truth events: each step (|delta| ≥ [`MIN_DRIFT_DEG`], inside the
/// data) to the nearest unused model event within [`DRIFT_TOLERANCE`]; then each such ramp to
/// an unused model event anywhere from its start to its end, widened by the tolerance. A model
/// event near no truth event (nor inside a ramp), of any size, is a false alarm.
fn score_drift(
    model: &[DriftEvent],
    truth: &[DriftEventTruth],
    in_range: impl Fn(DateTime<Utc>) -> bool,
) -> DriftScore {
    let span = |e: &DriftEventTruth| (e.time - DRIFT_TOLERANCE, ramp_end(e) + DRIFT_TOLERANCE);
    let in_range = &in_range;
    let expected = |kind: DriftKind| {
        truth.iter().filter(move |e| e.kind == kind && e.delta_deg.abs() >= MIN_DRIFT_DEG && in_range(e.time))
    };
    let mut used = vec![false; model.len()];
    let (mut hits, mut misses, mut time_err_h) = (0, 0, Vec::new());
    for ev in expected(DriftKind::Step) {
        let nearest = (0..model.len())
            .filter(|&k| !used[k] && (model[k].time - ev.time).abs() <= DRIFT_TOLERANCE)
            .min_by_key(|&k| (model[k].time - ev.time).abs());
        match nearest {
            Some(k) => {
                used[k] = true;
                hits += 1;
                time_err_h.push((model[k].time - ev.time).num_seconds().abs() as f64 / 3600.0);
            }
            None => misses += 1,
        }
    }
    let (mut ramp_hits, mut ramp_misses) = (0, 0);
    for ev in expected(DriftKind::Ramp) {
        let (lo, hi) = span(ev);
        match (0..model.len()).find(|&k| !used[k] && lo <= model[k].time && model[k].time <= hi) {
            Some(k) => {
                used[k] = true;
                ramp_hits += 1;
            }
            None => ramp_misses += 1,
        }
    }
    // A model event near a smaller truth event is not a false alarm either.
    let false_alarms = (0..model.len())
        .filter(|&k| !used[k])
        .filter(|&k| {
            !truth.iter().any(|e| {
                let (lo, hi) = span(e);
                lo <= model[k].time && model[k].time <= hi
            })
        })
        .count();
    DriftScore {
        hits,
        misses,
        false_alarms,
        time_error_h: (!time_err_h.is_empty()).then(|| time_err_h.iter().sum::<f64>() / time_err_h.len() as f64),
        ramp_hits,
        ramp_misses,
    }
}

/// When a truth event's change is complete (its time for a step).
fn ramp_end(e: &DriftEventTruth) -> DateTime<Utc> {
    e.time + Duration::seconds(e.duration_s as i64)
}

/// The human-readable table.
pub fn table(r: &EvalReport) -> String {
    let mut s = format!("scoring the {} against {}\n", r.note, r.truth);
    s += &format!(
        "{:<10} {:<8} {:<7} {:>3} {:<10} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>4} {:>4} {:>4} {:>7} {:>5}\n",
        "farm",
        "turbine",
        "method",
        "ver",
        "status",
        "bins",
        "cover",
        "rmse deg",
        "model",
        "truth",
        "op err",
        "hit",
        "miss",
        "fa",
        "dt h",
        "ramps"
    );
    for x in &r.rows {
        s += &format!(
            "{:<10} {:<8} {:<7} {:>3} {:<10} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>4} {:>4} {:>4} {:>7} {:>5}\n",
            x.farm,
            x.turbine,
            x.method,
            x.model_version,
            x.status,
            x.bins_compared,
            x.bins_covered,
            x.rmse_bins_deg.map_or("-".to_string(), |v| format!("{v:.2}")),
            fmt_deg(x.model_operating_deg),
            fmt_deg(x.truth_operating_deg),
            fmt_deg(x.operating_error_deg),
            x.drift_hits,
            x.drift_misses,
            x.drift_false_alarms,
            x.drift_time_error_h.map_or("-".to_string(), |v| format!("{v:.1}")),
            format!("{}/{}", x.ramp_hits, x.ramp_hits + x.ramp_misses),
        );
    }
    for method in ["neural", "binned"] {
        let rows = r.rows.iter().filter(|x| x.method == method);
        let (covered, compared) = rows.fold((0, 0), |(c, n), x| (c + x.bins_covered, n + x.bins_compared));
        if compared > 0 {
            let pct = 100.0 * covered as f64 / compared as f64;
            s += &format!("95 % intervals containing the truth, {method}: {covered} of {compared} bins ({pct:.0} %)\n");
        }
    }
    s
}
