//! Where the vane's error stepped: a change-point search over one drift estimate per block, for
//! the relaxed refit ([`crate::model::neural::NeuralConfig::relaxed_drift`]).
//!
//! # Why
//! The L1 penalty on drift differences is meant to choose a few steps, but trained by Adam it
//! does not: Adam moves every parameter by about its learning rate whatever the gradient's size,
//! so the penalised drift comes out as a ramp of many sub-threshold changes (a 4 deg step under
//! a heavy penalty: a ramp over 30 weeks ending 0.7 deg short). Its sizes are shrunk and its
//! support is not sparse, so neither can be refitted as it is. Here the steps are chosen on
//! their own evidence instead, and sized by the unpenalised refit (`training::refit_member`).
//!
//! # Steps
//! Every member runs these steps on its own bootstrap resample, so the ensemble repeats the
//! selection as well as the fit: where the data leave it open whether or where the drift
//! stepped, the members choose differently and the interval carries that uncertainty (one
//! selection shared by all members would hide it, and did: it served confidently wrong
//! turbines on the field profile).
//! 1. Per block, the drift the block's windows alone would give with the rest of the member
//!    fixed: the squared-error sum of its windows at e shifted by −1, 0, +1 deg is
//!    a parabola (one Gauss-Newton step), whose vertex is the estimate and whose curvature
//!    `Σ J²` gives its variance `σ²/Σ J²` (σ² the block's mean squared residual). A block
//!    whose parabola opens downward or that has fewer than [`MIN_BLOCK_WINDOWS`] windows has no
//!    estimate.
//! 2. Each block's variance times the evidence's VIF (`evidence`): where power departs from
//!    the curve for days, a block's windows are worth fewer independent ones.
//! 3. Optimal partitioning of that sequence into segments of constant drift: minimise
//!    `Σ (d_b − μ_segment)² / var_b + β · segments` by dynamic programming, β = 2 ln n (n the
//!    blocks with an estimate; the Schwarz criterion for a change in a normal mean of known
//!    variance). The segment starts are the steps.
//!
//! # Assumptions
//! Block estimates independent given the VIF (neighbouring blocks' weather is nearly so, see
//! `evidence`); the member's other parameters (R, f_θ, p) are those of the penalised fit, whose
//! ramp leaves them near their values under the true drift; the squared error near the
//! member's drift is quadratic over ±1 deg (cos^p is, for the small γ of operating data).
//!
//! # Sources
//! Killick, Fearnhead & Eckley (2012), optimal partitioning and PELT, for the search; Schwarz
//! (1978) for the penalty; Meinshausen (2007), the relaxed lasso, for selecting with one fit
//! and sizing with another; Efron (2014), estimation and accuracy after model selection, for
//! repeating the selection inside the bootstrap.

use burn::prelude::*;

use super::data::{Batch, Normalizer};
use super::network::VaneNet;
use crate::model::prep::OperatingWindow;

/// Shift of e, degrees, at which a block's squared error is read on either side of the member's
/// drift.
const PROBE_DEG: f64 = 1.0;
/// Fewest windows a block needs to give a drift estimate (a day of 10-minute windows).
pub const MIN_BLOCK_WINDOWS: usize = 144;

/// A block's drift estimate, degrees, and its variance, degrees².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockDrift {
    pub drift_deg: f64,
    pub variance: f64,
}

/// The blocks where one member's drift steps (steps 1-3 of the module docs), ascending, never
/// block 0. `idx` is the member's own resample, so each member repeats the selection.
pub fn drift_step_blocks(
    member: &VaneNet,
    w: &[OperatingWindow],
    idx: &[usize],
    norm: &Normalizer,
    vif: f64,
) -> Vec<usize> {
    let weighed: Vec<Option<BlockDrift>> = block_drifts(member, w, idx, norm)
        .into_iter()
        .map(|d| d.map(|d| BlockDrift { variance: vif.max(1.0) * d.variance, ..d }))
        .collect();
    partition(&weighed)
}

/// Step 1 of the module docs for one member: each block's drift estimate from the windows
/// `w[idx]` (a resample: a window drawn twice counts twice), `None` where it has none.
pub fn block_drifts(
    member: &VaneNet,
    w: &[OperatingWindow],
    idx: &[usize],
    norm: &Normalizer,
) -> Vec<Option<BlockDrift>> {
    let device = Device::flex();
    let batch = Batch::new(w, idx, norm, &device);
    let current = to_vec(member.drift_deg());
    let blocks: Vec<usize> = idx.iter().map(|&i| norm.block_of(w[i].time)).collect();
    let target = to_vec(batch.target.clone());
    // e + h is the same as the vane reading − h: γ and everything after depends on vane − e
    let sse = |h: f64| {
        let shifted = Batch { vane_deg: batch.vane_deg.clone().sub_scalar(h), ..batch.clone() };
        let pred = to_vec(member.forward(&shifted).performance);
        let mut sums = vec![0.0; norm.n_blocks];
        for ((p, t), &b) in pred.iter().zip(&target).zip(&blocks) {
            sums[b] += (p - t).powi(2);
        }
        sums
    };
    let (minus, zero, plus) = (sse(-PROBE_DEG), sse(0.0), sse(PROBE_DEG));
    let mut counts = vec![0usize; norm.n_blocks];
    for &b in &blocks {
        counts[b] += 1;
    }
    (0..norm.n_blocks)
        .map(|b| {
            // SSE(h) ≈ zero − 2h Σ rJ + h² Σ J²
            let curvature = (plus[b] + minus[b] - 2.0 * zero[b]) / (2.0 * PROBE_DEG * PROBE_DEG);
            let slope = (plus[b] - minus[b]) / (2.0 * PROBE_DEG);
            (counts[b] >= MIN_BLOCK_WINDOWS && curvature > 0.0).then(|| BlockDrift {
                drift_deg: current[b] - slope / (2.0 * curvature),
                variance: (zero[b] / counts[b] as f64) / curvature,
            })
        })
        .collect()
}

/// Step 3 of the module docs: the starts of the segments after the first, as block indices.
/// Blocks without an estimate join the segment they fall in.
pub fn partition(blocks: &[Option<BlockDrift>]) -> Vec<usize> {
    let known: Vec<(usize, BlockDrift)> = blocks.iter().enumerate().filter_map(|(b, d)| d.map(|d| (b, d))).collect();
    let n = known.len();
    if n < 2 {
        return Vec::new();
    }
    let beta = 2.0 * (n as f64).ln();
    // prefix sums of w, w·d, w·d² give any segment's weighted squared deviation in O(1)
    let mut sw = vec![0.0; n + 1];
    let mut swd = vec![0.0; n + 1];
    let mut swd2 = vec![0.0; n + 1];
    for (i, (_, d)) in known.iter().enumerate() {
        let wt = 1.0 / d.variance;
        sw[i + 1] = sw[i] + wt;
        swd[i + 1] = swd[i] + wt * d.drift_deg;
        swd2[i + 1] = swd2[i] + wt * d.drift_deg * d.drift_deg;
    }
    let cost = |i: usize, j: usize| {
        let (w, wd, wd2) = (sw[j] - sw[i], swd[j] - swd[i], swd2[j] - swd2[i]);
        wd2 - wd * wd / w
    };
    // best[j]: least cost of the first j estimates; from[j]: where its last segment starts
    let mut best = vec![0.0; n + 1];
    let mut from = vec![0usize; n + 1];
    for j in 1..=n {
        let (cost_j, start) = (0..j)
            .map(|i| (if i == 0 { 0.0 } else { best[i] + beta } + cost(i, j), i))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("j > 0");
        best[j] = cost_j;
        from[j] = start;
    }
    let mut starts = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = from[j];
        if i > 0 {
            starts.push(known[i].0);
        }
        j = i;
    }
    starts.reverse();
    starts
}

fn to_vec(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f32>().map(f64::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(drifts: &[f64], sd: f64) -> Vec<Option<BlockDrift>> {
        drifts.iter().map(|&d| Some(BlockDrift { drift_deg: d, variance: sd * sd })).collect()
    }

    #[test]
    fn a_step_well_above_the_noise_is_one_segment_start_and_noise_is_none() {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
        let noise = rand_distr::Normal::new(0.0, 0.5).unwrap();
        let mut draw = || rand_distr::Distribution::sample(&noise, &mut rng);
        let flat: Vec<f64> = (0..100).map(|_| draw()).collect();
        assert_eq!(partition(&blocks(&flat, 0.5)), Vec::<usize>::new(), "noise alone");
        let stepped: Vec<f64> = (0..100).map(|b| if b >= 60 { 2.0 } else { 0.0 } + draw()).collect();
        assert_eq!(partition(&blocks(&stepped, 0.5)), vec![60]);
    }

    #[test]
    fn the_same_step_in_blocks_worth_less_evidence_is_not_a_step() {
        let stepped: Vec<f64> = (0..50).map(|b| if b >= 25 { 1.0 } else { 0.0 }).collect();
        assert_eq!(partition(&blocks(&stepped, 0.3)), vec![25]);
        assert_eq!(partition(&blocks(&stepped, 3.0)), Vec::<usize>::new());
    }

    #[test]
    fn blocks_without_an_estimate_join_their_segment() {
        let mut b = blocks(&[0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0], 0.2);
        b[4] = None;
        assert_eq!(partition(&b), vec![5]);
    }
}
