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
/// `start`, and returns it on the plain (inference) flex device.
pub fn train_member(
    w: &[OperatingWindow],
    idx: &[usize],
    norm: &Normalizer,
    cfg: &NeuralConfig,
    start: SteepnessStart,
    seed: u64,
) -> (VaneNet, TrainReport) {
    let device = Device::flex().autodiff();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7EA1_B47C);
    let full = (idx.len() <= cfg.batch_size).then(|| Batch::new(w, idx, norm, &device));
    let mut model = VaneNet::new(cfg.bias_hidden_size, norm, norm.r_init(w, idx), start, seed, &device);
    let weights = norm.step_penalty_weights(cfg.break_penalty_factor);
    let step_weights = Tensor::<1>::from_data(TensorData::new(weights.clone(), [weights.len()]), &device);
    let mut optim = AdamConfig::new().init();
    let (mut best, mut since_best, mut acc) = (f64::INFINITY, 0, 0.0);
    let mut report = TrainReport { steps: 0, loss: f64::NAN };
    for step in 0..cfg.steps {
        let batch = full.clone().unwrap_or_else(|| {
            let pick: Vec<usize> = (0..cfg.batch_size).map(|_| idx[rng.random_range(0..idx.len())]).collect();
            Batch::new(w, &pick, norm, &device)
        });
        let pred = model.forward(&batch);
        let mse = (pred.performance - batch.target).square().mean();
        let mut loss = mse
            + model.drift_steps_l1(step_weights.clone()).mul_scalar(cfg.drift_penalty)
            + model.bias_mean_square(batch.state.clone()).mul_scalar(cfg.bias_penalty);
        if let Some(level_steps) = model.level_steps_square() {
            loss = loss + level_steps.mul_scalar(cfg.level_penalty);
        }
        acc += f64::from(loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        // decays to lr/10 over the budget: large early moves, then settle below batch noise
        let lr = cfg.learning_rate * 0.1_f64.powf(step as f64 / cfg.steps as f64);
        model = optim.step(lr, model, grads);
        if (step + 1) % CHECK_EVERY == 0 {
            let mean = acc / CHECK_EVERY as f64;
            acc = 0.0;
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
    (model.valid(), report)
}
