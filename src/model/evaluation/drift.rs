//! Matching a model's drift events to the true ones, for the drift scores of `evaluate` (see
//! the rules in the parent module's docs).

use chrono::{DateTime, Duration, Utc};

use super::{DRIFT_TOLERANCE, DriftShape, MIN_DRIFT_DEG, TruthDrift};
use crate::model::DriftEvent;

/// Drift scores of one turbine; see the parent module's docs.
pub(super) struct DriftScore {
    pub(super) hits: usize,
    pub(super) misses: usize,
    pub(super) false_alarms: usize,
    pub(super) time_error_h: Option<f64>,
    pub(super) ramp_hits: usize,
    pub(super) ramp_misses: usize,
}

/// Matches model events to truth events: each step (|delta| ≥ [`MIN_DRIFT_DEG`], inside the
/// data) to the nearest unused model event within [`DRIFT_TOLERANCE`]; then each such ramp to
/// an unused model event anywhere from its start to its end, widened by the tolerance. A model
/// event near no truth event (nor inside a ramp), of any size, is a false alarm.
pub(super) fn score_drift(
    model: &[DriftEvent],
    truth: &[TruthDrift],
    in_range: impl Fn(DateTime<Utc>) -> bool,
) -> DriftScore {
    let span = |e: &TruthDrift| (e.time - DRIFT_TOLERANCE, ramp_end(e) + DRIFT_TOLERANCE);
    let in_range = &in_range;
    let expected = |kind: DriftShape| {
        truth.iter().filter(move |e| e.kind == kind && e.delta_deg.abs() >= MIN_DRIFT_DEG && in_range(e.time))
    };
    let mut used = vec![false; model.len()];
    let (mut hits, mut misses, mut time_err_h) = (0, 0, Vec::new());
    for ev in expected(DriftShape::Step) {
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
    for ev in expected(DriftShape::Ramp) {
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
fn ramp_end(e: &TruthDrift) -> DateTime<Utc> {
    e.time + Duration::seconds(e.duration_s as i64)
}
