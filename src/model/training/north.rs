//! North offsets after a farm is trained: each turbine's yaw-position offset from the farm
//! consensus of corrected absolute direction (`model::consensus::north_offsets`), using the
//! vane errors the turbines' new models just learned. Written into the registered estimates (the
//! row's update notifies `serve`, whose corrected absolute direction then uses it).
//! Needs three or more turbines; relative to the farm (offsets sum to zero), or to a reference
//! turbine named with `--north-reference`.

use std::collections::HashMap;

use sqlx::PgPool;

use super::TrainOutcome;
use super::binned::interpolate;
use crate::model::consensus::{ConsensusConfig, Reference, VaneCorrection, north_offsets};
use crate::model::{DriftEvent, DriftEvidence, VaneErrorEstimate};
use crate::store::{self, StoreError};

/// e(ws) of each turbine, from its new estimate's bins. A turbine whose model has no curve
/// still takes part with its raw vane (e = 0): every turbine is aligned by its own fitted
/// offset before the consensus is taken, so a constant unknown e cannot bias the others; its
/// own offset is then not reported (it would be north offset plus e).
struct FromEstimates(HashMap<i32, (Vec<(f64, f64)>, f64)>);

impl VaneCorrection for FromEstimates {
    fn vane_error_deg(&self, turbine_id: i32, ws: f64) -> Option<f64> {
        self.0.get(&turbine_id).map(|(points, _)| interpolate(points, ws).unwrap_or(0.0))
    }
    fn gain(&self, turbine_id: i32) -> f64 {
        self.0.get(&turbine_id).map_or(0.0, |(_, k)| *k)
    }
}

fn curve(e: &VaneErrorEstimate) -> Vec<(f64, f64)> {
    e.bins.iter().filter_map(|b| b.vane_error_deg.map(|v| (b.ws, v))).collect()
}

/// Estimates north offsets for the trained turbines and stores them with their models. Returns
/// how many turbines got one; `Ok(0)` when the farm is too small or the data too thin (logged).
pub async fn estimate_north_offsets(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    period: super::Period,
    outcomes: &mut [(i32, TrainOutcome)],
    reference: Option<i32>,
) -> Result<usize, StoreError> {
    let trained: HashMap<i32, usize> = outcomes.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut windows = super::farm_directions(pool, farm_id, length_s, period).await?;
    windows.retain(|w| trained.contains_key(&w.turbine_id));
    let corr = FromEstimates(outcomes.iter().map(|(id, o)| (*id, (curve(&o.estimate), o.estimate.gain))).collect());
    let reference = reference.map_or(Reference::Farm, Reference::Turbine);
    let offsets = match north_offsets(&windows, &corr, &reference, &ConsensusConfig::default()) {
        Ok(o) => o,
        Err(e) => {
            tracing::info!(error = %e, "no north offsets estimated");
            return Ok(0);
        }
    };
    let mut n = 0;
    for off in offsets {
        let Some(&i) = trained.get(&off.turbine_id) else { continue };
        let (turbine_id, outcome) = &mut outcomes[i];
        if curve(&outcome.estimate).is_empty() {
            continue;
        }
        let e = &mut outcome.estimate;
        e.north_offset_deg = Some(off.north_offset_deg);
        e.north_offset_ci95 = Some(off.ci95);
        e.north_offset_jumps = off
            .jumps
            .iter()
            .map(|j| DriftEvent {
                time: j.time,
                delta_deg: j.delta_deg,
                ci95: j.ci95,
                evidence: Some(DriftEvidence::Direction),
            })
            .collect();
        let json = serde_json::to_value(&*e).expect("an estimate serialises");
        store::models::update_estimate(pool, *turbine_id, outcome.version, &json).await?;
        n += 1;
    }
    Ok(n)
}
