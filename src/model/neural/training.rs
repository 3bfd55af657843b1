//! Training of one ensemble member: a hand-written Adam loop (burn `optim`) on random
//! mini-batches, a fixed step budget with exponential learning-rate decay, and an early stop
//! when the smoothed loss plateaus. Deterministic for a seed: weights come from a seeded
//! `StdRng`, so do the batches, and the flex backend runs each member on one thread.
//!
//! Steps rather than epochs: the cost of a member is then independent of how long the data
//! span is (a turbine-year trains as fast as a quarter), and the tiny networks converge after
//! a few hundred updates whatever the data size.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::NeuralConfig;
use super::data::{Batch, Normalizer};
use super::network::{SteepnessStart, VaneNet};
use crate::model::prep::OperatingWindow;

/// Steps whose batch losses are averaged before each plateau check.
const CHECK_EVERY: usize = 25;

/// How a member's training ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Adam steps run (≤ `cfg.steps`).
    pub steps: usize,
    /// Mean batch loss (performance MSE plus drift penalty) over the last check interval.
    pub loss: f64,
}

/// Trains one member on windows `w[idx]` (a bootstrap resample), its steepness starting at
/// `start`, with the drift's L1 penalty. Returns it on the autodiff device, so
/// [`refit_member`] can continue from it; `valid()` gives the inference model.
pub fn train_member(
    w: &[OperatingWindow],
    idx: &[usize],
    norm: &Normalizer,
    cfg: &NeuralConfig,
    start: SteepnessStart,
    seed: u64,
) -> (VaneNet, TrainReport) {
    let device = Device::flex().autodiff();
    let mut batches = Batches::new(w, idx, norm, cfg.batch_size, seed, &device);
    let model = VaneNet::new(cfg.bias_hidden_size, norm, norm.r_init(w, idx), start, seed, &device);
    let stage =
        Stage { steps: cfg.steps, lr: (cfg.learning_rate, cfg.learning_rate / 10.0), drift_penalty: cfg.drift_penalty };
    run_adam(model, &mut batches, norm, cfg, &stage)
}

/// The relaxed refit of a member [`train_member`] trained (a relaxed lasso): the drift tied to
/// the segments that start at `step_blocks` (chosen by `steps::drift_step_blocks`) and no drift
/// penalty, so each step takes the size the data give it and the drift is flat between them.
/// Returns the inference model; `report` is the first stage's, extended.
#[allow(clippy::too_many_arguments)]
pub fn refit_member(
    model: VaneNet,
    report: TrainReport,
    step_blocks: &[usize],
    w: &[OperatingWindow],
    idx: &[usize],
    norm: &Normalizer,
    cfg: &NeuralConfig,
    seed: u64,
) -> (VaneNet, TrainReport) {
    let device = Device::flex().autodiff();
    let mut batches = Batches::new(w, idx, norm, cfg.batch_size, seed ^ 0x4E1A_7ED0, &device);
    let n_drift = to_vec(model.drift_deg()).len();
    // Starts from the first stage's fit, so a third of its budget at a third of its initial
    // rate moves a step by the few degrees the penalty took from it.
    let stage =
        Stage { steps: cfg.steps / 3, lr: (cfg.learning_rate / 3.0, cfg.learning_rate / 10.0), drift_penalty: 0.0 };
    let (model, relaxed) =
        run_adam(model.tie_drift(&segment_of_blocks(step_blocks, n_drift)), &mut batches, norm, cfg, &stage);
    (model.untie_drift().valid(), TrainReport { steps: report.steps + relaxed.steps, loss: relaxed.loss })
}

/// For each of `n` drift blocks, the first block of its segment: segments start at block 0 and
/// at each of `step_blocks`.
pub fn segment_of_blocks(step_blocks: &[usize], n: usize) -> Vec<usize> {
    let mut current = 0;
    (0..n)
        .map(|b| {
            if step_blocks.contains(&b) {
                current = b;
            }
            current
        })
        .collect()
}

/// One stage of Adam: its step budget, learning rate decaying exponentially from `lr.0` to
/// `lr.1`, and the weight of the drift's L1 penalty.
struct Stage {
    steps: usize,
    lr: (f64, f64),
    drift_penalty: f64,
}

/// The member's mini-batches: the whole resample when it fits in one batch, else random draws.
struct Batches<'a> {
    w: &'a [OperatingWindow],
    idx: &'a [usize],
    norm: &'a Normalizer,
    size: usize,
    full: Option<Batch>,
    rng: StdRng,
    device: Device,
}

impl<'a> Batches<'a> {
    fn new(
        w: &'a [OperatingWindow],
        idx: &'a [usize],
        norm: &'a Normalizer,
        size: usize,
        seed: u64,
        device: &Device,
    ) -> Self {
        let full = (idx.len() <= size).then(|| Batch::new(w, idx, norm, device));
        Self { w, idx, norm, size, full, rng: StdRng::seed_from_u64(seed ^ 0x7EA1_B47C), device: device.clone() }
    }

    fn next(&mut self) -> Batch {
        if let Some(full) = &self.full {
            return full.clone();
        }
        let pick: Vec<usize> = (0..self.size).map(|_| self.idx[self.rng.random_range(0..self.idx.len())]).collect();
        Batch::new(self.w, &pick, self.norm, &self.device)
    }
}

/// Runs one stage on `model`, with a fresh optimiser (the refit changes which parameters move,
/// so the first stage's moment estimates do not carry over).
fn run_adam(
    mut model: VaneNet,
    batches: &mut Batches,
    norm: &Normalizer,
    cfg: &NeuralConfig,
    stage: &Stage,
) -> (VaneNet, TrainReport) {
    let weights = norm.step_penalty_weights(cfg.break_penalty_factor);
    let step_weights = Tensor::<1>::from_data(TensorData::new(weights.clone(), [weights.len()]), &batches.device);
    let mut optim = AdamConfig::new().init();
    let (mut best, mut since_best, mut acc, mut since_check) = (f64::INFINITY, 0, 0.0, 0);
    let mut report = TrainReport { steps: 0, loss: f64::NAN };
    let (lr_start, lr_end) = stage.lr;
    for step in 0..stage.steps {
        let batch = batches.next();
        let pred = model.forward(&batch);
        let mse = (pred.performance - batch.target).square().mean();
        let mut loss = mse + model.bias_mean_square(batch.state.clone()).mul_scalar(cfg.bias_penalty);
        if stage.drift_penalty > 0.0 {
            loss = loss + model.drift_steps_l1(step_weights.clone()).mul_scalar(stage.drift_penalty);
        }
        if let Some(level_steps) = model.level_steps_square() {
            loss = loss + level_steps.mul_scalar(cfg.level_penalty);
        }
        acc += f64::from(loss.clone().into_scalar::<f32>());
        since_check += 1;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        // large early moves, then settle below batch noise
        let lr = lr_start * (lr_end / lr_start).powf(step as f64 / stage.steps as f64);
        model = optim.step(lr, model, grads);
        if (step + 1) % CHECK_EVERY == 0 {
            let mean = acc / CHECK_EVERY as f64;
            (acc, since_check) = (0.0, 0);
            report = TrainReport { steps: step + 1, loss: mean };
            if mean < best * (1.0 - cfg.plateau_tolerance) {
                (best, since_best) = (mean, 0);
            } else {
                since_best += 1;
                if since_best >= cfg.patience {
                    break;
                }
            }
        }
    }
    if report.steps == 0 && since_check > 0 {
        // a budget shorter than one check interval: the loss over the steps it ran
        report = TrainReport { steps: since_check, loss: acc / since_check as f64 };
    }
    (model, report)
}

fn to_vec(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f32>().map(f64::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_block_takes_the_drift_of_its_segments_first_block() {
        assert_eq!(segment_of_blocks(&[3, 6], 8), vec![0, 0, 0, 3, 3, 3, 6, 6]);
        assert_eq!(segment_of_blocks(&[], 3), vec![0, 0, 0], "no events: one level throughout");
        assert_eq!(segment_of_blocks(&[0, 2], 3), vec![0, 0, 2]);
    }
}
