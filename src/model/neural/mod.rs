//! The `neural` vane-error estimator: physics in the structure, learning only where physics is
//! unknown. Predicted performance of window i is
//! `R(ws_i) · cos^p(γ_i)`, `γ_i = (vane_i − e_i)/(1 + k)`, `e_i = f_θ(ws_i, rpm_i, pitch_i) + c + d(t_i)`.
//!
//! # Steps
//! 1. Take prepared windows ([`crate::model::prep::prepare`]: producing, below rated, pitch ≤
//!    0.5 deg, no power-curve outliers). Fit a [`data::Normalizer`] on them: z-scores of ws, rpm,
//!    pitch; the performance target `power / (scale · (ws / 10)³)`; 7-day drift blocks from the
//!    first window.
//! 2. Train M members ([`NeuralConfig::ensemble_size`]), each on a bootstrap resample of the
//!    windows with its own seed: full-batch Adam on MSE of performance plus
//!    `drift_penalty · Σ_b |d_b − d_{b−1}|` (L1, so a re-mounted vane is one step, not a ramp),
//!    Adam on mini-batches for a fixed step budget with an early stop on plateau
//!    ([`training`]). Members train in parallel threads.
//! 3. Per 1 m/s bin 3..=15 m/s, evaluate each member's e at the bin centre and the median rpm and
//!    pitch of the training windows in the bin, in the current state (after the last drift
//!    block). Point = member mean; 95 % interval = mean ± t(0.975, M−1) · sd over members.
//! 4. Operating value = window-count-weighted mean over the 4-11 m/s bins, same interval rule.
//!    Drift events: block changes whose member interval excludes 0 and whose |Δ| ≥ 1 deg.
//!
//! # Model choices
//! - R sees wind speed only, never the vane (else it could absorb the cos^p peak and e would be
//!   unidentified) and not rpm or pitch either: below rated those respond to the aerodynamic
//!   torque, which falls with misalignment, so an R of rpm could explain the power loss of a
//!   misaligned window without the peak.
//! - f_θ sees the full operating state (wake bias depends on it); e and the mean vane trade off
//!   only through the cos^p peak, which the model keeps as an explicit function.
//! - p ∈ [1.8, 3] and k ∈ [−0.2, 0.2] by sigmoid. For small γ, cos^p(γ/(1+k)) depends on
//!   `p/(1+k)²` only, so power data pin that ratio, not p and k separately: the reported
//!   `gain` and `cos_exponent` are weakly identified and should not be read as measurements.
//!
//! # Assumptions
//! Those of the DOMAIN vane model: power ∝ cos^p of true misalignment below rated; a controller
//! dead band spreading the vane over several degrees around e; nacelle wind speed unbiased by
//! misalignment; drift piecewise constant on the block grid (a step inside a block is split
//! between two block changes or shows at the nearer boundary).
//!
//! # Uncertainty, honestly
//! The interval is the spread of a small bootstrap ensemble, inflated by the Student t factor
//! for M members. It covers sampling noise of the windows and optimiser randomness, not model
//! misspecification (a wrong power-loss law, biased wind speed). With M = 5 the sd itself is
//! uncertain by about ±35 %.
//!
//! # Sources and validation
//! DOMAIN.md (vane model, observability); NREL OpenOA `StaticYawMisalignment` for the cos^p
//! power-peak idea and bootstrap intervals; Burn `examples/simple-regression` and `guide` for
//! the layout. Validated only on synthetic turbines from `model::testdata` (`tests.rs`): static
//! e, wind-speed-dependent e and a mid-period step; see those tests for the tolerances met.
//! Not yet validated on field data.

mod data;
mod inference;
mod network;
mod training;

use burn::prelude::*;

pub use inference::NeuralFit;
pub use training::TrainReport;

use crate::model::prep::OperatingWindow;

/// Hyper-parameters of [`estimate_neural`]; saved beside the weights as `config.json`.
#[derive(Config, Debug, PartialEq)]
pub struct NeuralConfig {
    /// Width of the two tanh hidden layers of R and of f_θ.
    #[config(default = 16)]
    pub hidden_size: usize,
    /// Most Adam steps per member (the budget replaces epochs, see [`training`]).
    #[config(default = 600)]
    pub steps: usize,
    /// Windows per mini-batch, drawn at random from the member's resample; full batch when
    /// the resample is smaller.
    #[config(default = 2048)]
    pub batch_size: usize,
    /// Initial Adam learning rate; decays exponentially to a tenth over `steps`.
    #[config(default = 0.02)]
    pub learning_rate: f64,
    /// Stop when the smoothed loss has not improved by this relative amount for `patience`
    /// checks (one check per 25 steps).
    #[config(default = 1e-3)]
    pub plateau_tolerance: f64,
    /// Checks without improvement before the early stop.
    #[config(default = 4)]
    pub patience: usize,
    /// Ensemble members M (bootstrap resamples, one seed each).
    #[config(default = 5)]
    pub ensemble_size: usize,
    /// Drift block length, days.
    #[config(default = 7.0)]
    pub drift_block_days: f64,
    /// Weight of the L1 penalty on consecutive drift differences, per degree, in units of the
    /// performance MSE.
    #[config(default = 1e-6)]
    pub drift_penalty: f64,
    /// Fewest training windows a 1 m/s bin needs not to be flagged extrapolated.
    #[config(default = 50)]
    pub min_bin_windows: usize,
    /// Fewest windows to train at all.
    #[config(default = 500)]
    pub min_windows: usize,
    /// Seed of member 0; member m uses `seed + m`.
    #[config(default = 0x5EED)]
    pub seed: u64,
}

/// Why [`estimate_neural`] or [`NeuralFit::load`] failed.
#[derive(Debug, thiserror::Error)]
pub enum NeuralError {
    /// Not enough windows to train.
    #[error("{n} windows, the neural estimator needs at least {min}")]
    TooFewWindows { n: usize, min: usize },
    /// The configuration cannot be used.
    #[error("invalid neural config: {0}")]
    InvalidConfig(String),
    /// Reading or writing the model directory failed.
    #[error("model directory: {0}")]
    Io(#[from] std::io::Error),
    /// The stored JSON (config or normalisation) could not be read.
    #[error("model metadata: {0}")]
    Metadata(String),
    /// Burn could not save or load the weights.
    #[error("model weights: {0}")]
    Weights(String),
}

/// Trains the ensemble of the module docs on prepared windows of one turbine.
pub fn estimate_neural(windows: &[OperatingWindow], cfg: &NeuralConfig) -> Result<NeuralFit, NeuralError> {
    if windows.len() < cfg.min_windows.max(1) {
        return Err(NeuralError::TooFewWindows { n: windows.len(), min: cfg.min_windows.max(1) });
    }
    if cfg.ensemble_size == 0 || cfg.hidden_size == 0 || cfg.batch_size == 0 || cfg.drift_block_days.is_nan() || cfg.drift_block_days <= 0.0
    {
        return Err(NeuralError::InvalidConfig("ensemble_size, hidden_size, batch_size and drift_block_days must be > 0".into()));
    }
    let norm = data::Normalizer::fit(windows, cfg.drift_block_days);
    let train = |m: usize| {
        let seed = cfg.seed.wrapping_add(m as u64);
        training::train_member(windows, &data::bootstrap(windows.len(), seed), &norm, cfg, seed)
    };
    // members are independent: one thread each, up to the cores available (results keep member
    // order, so the fit does not depend on the thread count)
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(cfg.ensemble_size);
    let mut trained: Vec<Option<(network::VaneNet, TrainReport)>> = vec![None; cfg.ensemble_size];
    std::thread::scope(|s| {
        let chunks: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (t..cfg.ensemble_size).step_by(threads).map(|m| (m, train(m))).collect::<Vec<_>>()))
            .collect();
        for chunk in chunks {
            for (m, member) in chunk.join().expect("training thread panicked") {
                trained[m] = Some(member);
            }
        }
    });
    let (members, reports) = trained.into_iter().map(|m| m.expect("every member trained")).unzip();
    Ok(NeuralFit::new(cfg.clone(), norm, members, reports, windows))
}

#[cfg(test)]
mod tests;
