//! The `neural` vane-error estimator: physics in the structure, learning only where physics is
//! unknown. Predicted performance of window i is
//! `R(ws_i) · cos^p(γ_i)`, `γ_i = (vane_i − e_i)/(1 + k)`, `e_i = f_θ(ws_i) + c + d(t_i)`.
//!
//! # Steps
//! 1. Take prepared windows ([`crate::model::prep::prepare`]: producing, below rated, pitch ≤
//!    0.5 deg, no power-curve outliers). Fit a `data::Normalizer` on them: z-score of ws; the
//!    performance target `power / (scale · (ρ/ρ_ref) · (ws / 10)³)`; 7-day drift blocks from the
//!    first window, plus a block start at each of the turbine's direction change points against
//!    the farm (`model::consensus::direction_breaks`, passed in by `train` for farms of three or
//!    more turbines).
//! 2. Train M members ([`NeuralConfig::ensemble_size`]), each on a bootstrap resample of the
//!    windows (whole days drawn with replacement, see `data::bootstrap`) with its own seed: Adam on mini-batches (fixed step budget, early stop on
//!    plateau, see `training`) minimising MSE of performance plus
//!    `drift_penalty · Σ_b |d_b − d_{b−1}|` (L1, so a re-mounted vane is one step, not a
//!    ramp) plus `bias_penalty · mean f_θ²`; with [`NeuralConfig::evidence_scaled_drift`] the
//!    drift penalty is multiplied by √VIF (`evidence`: how much more a drift block's mean
//!    residual against a model-free power curve varies than independent windows would make it).
//!    Members train in parallel threads.
//!    With [`NeuralConfig::relaxed_drift`], the penalised members only choose where the drift
//!    steps: per member and on its own resample, a change-point search over each block's own
//!    drift estimate, its variance weighed by the same VIF (`steps`), picks the steps, and the
//!    member is refitted with its drift tied to them and no drift penalty
//!    (`training::refit_member`), so a step keeps its full size and the drift is flat between
//!    steps.
//! 3. Per 1 m/s bin 3..=15 m/s, evaluate each member's e at the bin centre, in the current state (after the last drift
//!    block). Point = member mean; 95 % interval = mean ± t(0.975, M−1) · sd over members.
//! 4. Operating value = window-count-weighted mean over the 4-11 m/s bins, same interval rule.
//!    Drift events: runs of same-sign block changes (≥ 0.25 deg each), summed, whose member
//!    interval excludes 0 and whose |Δ| ≥ 1 deg; each direction change point starts its own
//!    run, except one within [`NeuralConfig::event_merge_days`] of the run's last change point
//!    when the two parts are not both events on their own (their sum is then the event).
//!
//! # Model choices
//! - **Only inputs that misalignment does not move explain power.** R(ws) = a piecewise-linear
//!   curve in nacelle wind speed (nodes every 0.25 m/s, initialised from the observed mean
//!   performance) plus a small tanh MLP correction, and f_θ sees the same wind speed alone.
//!   Below rated, a variable-speed rotor settles where its aerodynamic torque meets the
//!   generator's torque curve, so a yawed rotor turns slower, and pitch follows the same
//!   controller: rotor speed and pitch are consequences of the power the rotor makes. Given
//!   them, R explains the cos^p loss itself and e shrinks to 0 with a narrow interval
//!   (confidently wrong). Measured on a synthetic year whose rotor speed follows the torque
//!   balance (test `a_power_response_that_sees_rotor_speed_hides_the_vane_error`; an
//!   independent generator of the same physics showed it first: +0.2 deg [-0.4, +1.1] for a true
//!   +4.5). f_θ must not see them either: with R of ws alone and f_θ of (ws, rpm, pitch), f_θ
//!   used rpm, a power proxy, to lower the predicted level through cos^p, giving e ≈ 12 deg for
//!   a true 4. Below rated the operating state is itself a function of wind speed, so f(ws) still
//!   carries the wake bias by operating state. (`NeuralConfig::rotor_state` feeds rpm and pitch
//!   again, to measure the leak; models saved before it existed keep the inputs they had.)
//! - Why R is a curve plus a correction: a small MLP of ws alone could not follow the steep
//!   low-wind performance curve, and e(ws) bent to −20 deg at 4 m/s to make up the level
//!   through cos^p.
//! - The nacelle anemometer behind the rotor reads more when the rotor is yawed (less
//!   induction), `ws_read = ws · (1 + a sin²γ)`: misalignment moves the one wind input R has.
//!   Even in γ, it still moves where a fit puts the power peak: the controller keeps the vane
//!   near its zero, so a mispointed turbine's data lie on one side of the peak and locate it
//!   only through the curve's steepness; the over-read makes power fall faster than cos^p (by
//!   `2a · dln P/dln ws`, which changes with wind speed), and a model blind to it fits too
//!   flat a curve and places the peak too far out. So the network carries a learned a ∈ [0, 1]
//!   (`NeuralConfig::anemometer_yaw`): R is read at `ws_read / (1 + a sin²γ)` and the target's
//!   `ws³` corrected by the same factor. Measured on the field profile, seed 11: median bin
//!   RMSE 2.36 → 1.92 deg, coverage 80 → 88 % (docs/accuracy.md). The steepness is weakly
//!   identified from a vane spread of a few degrees, so the members settle on a flatter curve
//!   than the truth and part of the outward bias remains (same page).
//! - Air density (from the outdoor temperature, where the windows carry one) scales the
//!   performance target (`model::air_density`): it does not depend on pointing, and without it
//!   a warm season's thin air reads as misalignment.
//! - f_θ: 2×8 tanh MLP of the normalised state plus a static offset, with a weak penalty on
//!   mean f_θ² so e stays at the offset unless the data ask for structure in the state.
//! - d(t): one value per block (7 days, split at direction change points), block 0 fixed at 0,
//!   L1 penalty on consecutive differences, a quarter as heavy at change points. Why change
//!   points: the controller turns the nacelle as soon as the vane's error steps, so `nacelle +
//!   vane` moves against the farm within minutes, while power needs weeks of windows to show
//!   the step; with grid blocks alone a step is placed up to half a block (3.5 days) off and
//!   its size is shared between two boundaries. Power still decides the size: a yaw-position
//!   sensor step moves the direction but not the power peak, and fits as a change near zero.
//!   The current state (reported per bin and in the operating mean) is after the last block.
//! - Optional (`NeuralConfig::block_levels`, off by default): a performance level per drift
//!   block, `exp` of a centred parameter with a squared-difference penalty, so power that moves
//!   with the seasons is not explained by moving e off the peak (docs/accuracy.md).
//! - p ∈ [1.8, 3] and k ∈ [−0.2, 0.2] by sigmoid. For small γ, cos^p(γ/(1+k)) depends on
//!   `p/(1+k)²` only, so power data pin that ratio, not p and k separately: the reported
//!   `gain` and `cos_exponent` are weakly identified and should not be read as measurements
//!   (measured: p 2.09, k 0.10 for a true 2.0, 0.05).
//! - Loss: MSE of the performance `power / (scale · (ws/10)³)` (OpenOA's `use_power_coeff`
//!   idea), so low-wind windows weigh as much as high-wind ones.

//! # Assumptions
//! Those of the vane model of `docs/domain.md`: power ∝ cos^p of true misalignment below rated; a
//! controller dead band spreading the vane over several degrees around e; nacelle wind speed moved
//! by misalignment as `1 + a sin²γ`, if at all; air density ∝ 1/T at a constant site pressure;
//! drift piecewise constant on the block grid (a step inside a block is split between two block
//! changes or shows at the nearer boundary). The L1 penalty shrinks steps: a 3 deg step came out as
//! a 2.0 deg event plus sub-threshold catch-ups; the current state still carried the full 3.1 deg.
//! Trained by Adam, the penalty does not make the drift sparse either (every parameter moves by
//! about the learning rate), so under a heavy penalty a step becomes a ramp; the relaxed refit
//! (`NeuralConfig::relaxed_drift`) chooses steps by their own evidence instead and assumes the
//! block estimates independent once weighed by the VIF (`steps`).
//!
//! # Uncertainty, honestly
//! The interval is the spread of a small bootstrap ensemble, inflated by the Student t factor
//! for M members and then by [`NeuralConfig::interval_inflation`]. From one side of the power
//! peak the data pin `p_eff · e` and hardly `p_eff` itself, and the optimiser leaves the
//! steepness near its start, so members started alike agree on an e that is only as right as
//! their start; [`NeuralConfig::spread_steepness_starts`] (off by default) starts them across
//! the prior of p and a so the spread shows it. The spread covers sampling noise and optimiser
//! randomness (and with that option the weakly identified steepness), not
//! model misspecification (a wrong
//! power-loss law, biased wind speed, the L1 shrinkage of a recent step); the inflation factor
//! is calibrated for that on synthetic farms whose seeds the accuracy benchmark does not score,
//! so it is only as good as the simulator is like the field. With M = 5 the sd itself is
//! uncertain by about ±35 %.
//!
//! # Sources and validation
//! `docs/domain.md` (The vane model, How vane error is observable); NREL OpenOA
//! `StaticYawMisalignment` for the cos^p power-peak idea and bootstrap intervals; Burn
//! `examples/simple-regression` and `guide` for the layout. Validated only on synthetic turbines
//! from `model::testdata` (`tests.rs`): static e, wind-speed-dependent e and a mid-period step; see
//! those tests for the tolerances met. Not yet validated on field data. Measured in release on one
//! synthetic year (2 members): static +4 → 3.91 [3.19, 4.62]; e = 1 + 0.6(ws − 4) → bin RMSE 0.21
//! deg over 4-11 m/s; a +3 deg step at mid-year → one event in the right week. The 4 m/s and 11 m/s
//! ends of a sloped e are pulled toward the middle (penalty and smooth MLP). With the default M = 5
//! on three seeds each: static +4 → 4.03-4.22, static −3 → −3.04 to −3.11, sloped e → bin RMSE
//! 0.18-0.26 deg (binned on the same data: 0.24-0.70 deg); 8-12 s per turbine-year on 2 cores.

mod compiled;
mod data;
mod evidence;
mod inference;
mod network;
mod steps;
mod training;

use burn::prelude::*;
use chrono::{DateTime, Utc};

pub use compiled::{ArtifactError, CompiledEnsemble};
pub use inference::{DriftBlock, LossShape, NeuralFit};
pub use training::TrainReport;

use crate::model::prep::OperatingWindow;

/// Hyper-parameters of [`estimate_neural`]; saved beside the weights as `config.json`.
#[derive(Config, Debug, PartialEq)]
pub struct NeuralConfig {
    /// Width of the two tanh hidden layers of the vane-bias MLP f_θ.
    #[config(default = 8)]
    pub bias_hidden_size: usize,
    /// Most Adam steps per member (the budget replaces epochs, see `training`).
    #[config(default = 1500)]
    pub steps: usize,
    /// Windows per mini-batch, drawn at random from the member's resample; full batch when
    /// the resample is smaller.
    #[config(default = 2048)]
    pub batch_size: usize,
    /// Initial Adam learning rate; decays exponentially to a tenth over `steps`.
    #[config(default = 0.05)]
    pub learning_rate: f64,
    /// Stop when the smoothed loss has not improved by this relative amount for `patience`
    /// checks (one check per 25 steps).
    #[config(default = 1e-4)]
    pub plateau_tolerance: f64,
    /// Checks without improvement before the early stop.
    #[config(default = 8)]
    pub patience: usize,
    /// Ensemble members M (bootstrap resamples, one seed each).
    #[config(default = 5)]
    pub ensemble_size: usize,
    /// Drift block length, days.
    #[config(default = 7.0)]
    pub drift_block_days: f64,
    /// Weight of the L1 penalty on consecutive drift differences, per degree, in units of the
    /// performance MSE.
    #[config(default = 3e-7)]
    pub drift_penalty: f64,
    /// Scale `drift_penalty` by `√VIF`, the square root of how much more a drift block's mean
    /// residual varies than independent windows would make it (`evidence`): where power departs
    /// from the curve for days at a time, a penalty set for independent windows buys a step for
    /// every odd week of weather (docs/la-haute-borne.md). The penalty is unchanged where the
    /// windows are independent (VIF 1). Off by default: on La Haute Borne it cut drift events
    /// from 12-29 to 3-17 per turbine and served 2 of 4 instead of 1, but the heavier L1 penalty
    /// also shrinks the real late-2014 change, leaving the current state 1.1-1.9 deg short of
    /// binned after it on 3 of 4 turbines, and moved one untouched turbine by 1.15 deg; steps
    /// need refitting without the penalty once chosen before this can be the default.
    #[config(default = false)]
    pub evidence_scaled_drift: bool,
    /// Choose the drift steps by a change-point search over per-block drift estimates whose
    /// variance is weighed by the evidence (`steps`), then refit each member with the drift
    /// tied to those steps and no drift penalty (`training::refit_member`): the drift is then
    /// flat between steps, and a step takes the size the data give it instead of the size the
    /// L1 penalty leaves it.
    #[config(default = false)]
    pub relaxed_drift: bool,
    /// Factor on `drift_penalty` for a step at a direction change point: the direction already
    /// says something moved there, so power needs less evidence to place a step, and the step
    /// is shrunk less (the L1 shrinkage otherwise leaves the current state partly before it).
    #[config(default = 0.25)]
    pub break_penalty_factor: f64,
    /// Direction change points closer than this many days to the previous one of a drift
    /// event are read as part of it (see `NeuralFit::drift_events`): power cannot size the level
    /// of a day or two between two change points, so only their summed step is reported.
    #[config(default = 3.0)]
    pub event_merge_days: f64,
    /// Give each drift block its own performance level (`network::VaneNet`), so power that moves
    /// for reasons besides yaw (air density over the seasons, soiling, icing) is not read as
    /// drift. Off by default: on the accuracy benchmark's farms, which have no such causes, it
    /// cost coverage (92 -> 86 %), ramps (31 -> 27 of 35) and RMSE (0.70 -> 0.77 deg), since a
    /// level also soaks up part of the power a vane step costs; on La Haute Borne it narrowed
    /// the neural intervals (docs/la-haute-borne.md).
    #[config(default = false)]
    pub block_levels: bool,
    /// With `block_levels`: weight of the penalty on squared changes of the level (log scale)
    /// between consecutive blocks, in units of the performance MSE: heavy enough that a 1 % jump
    /// within a week costs more than it explains, light enough that a season's ±4 % spread
    /// over months costs little.
    #[config(default = 1e-2)]
    pub level_penalty: f64,
    /// Weight of the penalty on the mean square of f_θ (degrees²), in units of the performance
    /// MSE: a weak prior that the state-dependent part of e is small.
    #[config(default = 1e-7)]
    pub bias_penalty: f64,
    /// Factor on the ensemble's half-width for the 95 % intervals of e (bins and operating
    /// mean): the bootstrap sees sampling noise, not the bias the model's structure leaves
    /// (penalty shrinkage, a power law that is not exactly cos^p), so its spread alone covers
    /// the truth too rarely. Calibrated on synthetic farms of seeds the accuracy benchmark does
    /// not score (docs/accuracy.md). Drift-event intervals are not widened.
    /// Measured (`benches/accuracy.sh` on seeds 11-13): the 90th percentile of |error| over
    /// half-width was 1.93 over 120 bins; 2 is that rounded up.
    #[config(default = 2.0)]
    pub interval_inflation: f64,
    /// Performance target `power / reference power` (the median power of the farm's other
    /// producing turbines in the same window, `OperatingWindow::reference_power_kw`) instead of
    /// `power / ws³`; windows without a reference are left out. Off by default: on the
    /// accuracy benchmark's farms it raised the median bin RMSE from 0.75 to 3.37 deg, most
    /// likely because neighbours' yaw errors move with the same wind shifts, so their power
    /// falls with this turbine's and the ratio flattens the cos^p peak (docs/accuracy.md, "Farm
    /// reference power").
    #[config(default = false)]
    pub reference_power: bool,
    /// Feed rotor speed and pitch to f_θ and R beside wind speed. Off by default, and not for
    /// serving: below rated both follow the power the rotor makes, so misalignment moves them,
    /// and R(rpm) then explains the cos^p loss and e shrinks to 0 with a narrow interval (module
    /// docs, "Model choices"). Kept so the leak can be measured
    /// (`a_power_response_that_sees_rotor_speed_hides_the_vane_error`).
    #[config(default = false)]
    pub rotor_state: bool,
    /// Carry the nacelle anemometer's yaw sensitivity in the network (`network::VaneNet`,
    /// field `anemometer`): a learned a in `ws_read = ws · (1 + a sin²γ)`. Misalignment moves
    /// the nacelle wind speed, the one wind input R has, so R must be read at the wind the rotor
    /// met, or the steeper loss moves e away from zero.
    #[config(default = true)]
    pub anemometer_yaw: bool,
    /// Start the members' steepness (p and the anemometer gain a) across their prior ranges
    /// instead of all at mid-range (`network::SteepnessStart`): from one side of the power peak
    /// the data hardly separate steepness from e, the optimiser leaves it near its start, and
    /// an ensemble started at one steepness agrees on an e that is off by as much as the start
    /// is off, with an interval too narrow to show it. Off by default: on the field profile it
    /// raised coverage from 80 to 92 % and left no turbine served, with the estimate's bias
    /// unchanged (docs/accuracy.md, "Members started across the steepness prior").
    #[config(default = false)]
    pub spread_steepness_starts: bool,
    /// With `spread_steepness_starts` and `anemometer_yaw`: the members' anemometer gains a
    /// start evenly over 0 (a reading yaw does not move) to this.
    #[config(default = 0.2)]
    pub anemometer_start_max: f64,
    /// Take air density out of the performance target where the windows carry an outdoor
    /// temperature (`model::air_density`): density does not depend on pointing, so it may
    /// explain power, and without it a warm season reads as misalignment.
    #[config(default = true)]
    pub air_density: bool,
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

/// Fields `config.json` gained after models were first saved, with the value that reproduces
/// how a model saved without them was trained and reported (no change points, intervals as
/// the ensemble gave them, change points read one at a time as drift events).
fn added_config_fields() -> [(&'static str, serde_json::Value); 13] {
    [
        ("break_penalty_factor", 1.0.into()),
        ("interval_inflation", 1.0.into()),
        ("reference_power", false.into()),
        ("event_merge_days", 0.0.into()),
        ("level_penalty", 0.0.into()),
        ("block_levels", false.into()),
        ("rotor_state", true.into()),
        ("air_density", false.into()),
        ("anemometer_yaw", false.into()),
        ("spread_steepness_starts", false.into()),
        ("anemometer_start_max", 0.2.into()),
        ("evidence_scaled_drift", false.into()),
        ("relaxed_drift", false.into()),
    ]
}

/// Reads a saved `config.json`, filling in [`added_config_fields`] that an older model lacks
/// (Burn's `Config` derive gives missing fields no default).
pub(crate) fn config_from_json(text: &str) -> Result<NeuralConfig, serde_json::Error> {
    let mut v: serde_json::Value = serde_json::from_str(text)?;
    if let Some(obj) = v.as_object_mut() {
        for (key, value) in added_config_fields() {
            obj.entry(key).or_insert(value);
        }
    }
    serde_json::from_value(v)
}

impl NeuralConfig {
    /// This config with `key = value` settings applied (`trueyaw train --neural-set`), so a
    /// hyper-parameter can be tried without a rebuild; the trained model's `config.json` keeps
    /// what was used.
    ///
    /// # Errors
    /// An unknown key, or a value of the wrong type for its key, named in the message.
    pub fn with_settings(&self, settings: &[(String, serde_json::Value)]) -> Result<Self, String> {
        let mut v = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let obj = v.as_object_mut().ok_or("neural config is not a JSON object")?;
        for (key, value) in settings {
            match obj.get_mut(key) {
                Some(slot) => *slot = value.clone(),
                None => {
                    let mut known: Vec<&str> = obj.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    return Err(format!("unknown neural setting {key:?}; known: {}", known.join(", ")));
                }
            }
        }
        serde_json::from_value(v).map_err(|e| format!("neural settings {settings:?}: {e}"))
    }
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

/// Trains the ensemble of the module docs on prepared windows of one turbine, with drift blocks
/// on the regular grid only.
pub fn estimate_neural(windows: &[OperatingWindow], cfg: &NeuralConfig) -> Result<NeuralFit, NeuralError> {
    estimate_neural_with_breaks(windows, cfg, &[])
}

/// [`estimate_neural`] with extra drift-block starts at `breaks`: the times where the turbine's
/// `nacelle_deg + vane_deg` stepped against the farm (`model::consensus::direction_breaks`), so
/// a vane step is fitted at its own time rather than at the nearest grid boundary.
pub fn estimate_neural_with_breaks(
    windows: &[OperatingWindow],
    cfg: &NeuralConfig,
    breaks: &[DateTime<Utc>],
) -> Result<NeuralFit, NeuralError> {
    if windows.len() < cfg.min_windows.max(1) {
        return Err(NeuralError::TooFewWindows { n: windows.len(), min: cfg.min_windows.max(1) });
    }
    if cfg.ensemble_size == 0
        || cfg.bias_hidden_size == 0
        || cfg.batch_size == 0
        || cfg.drift_block_days.is_nan()
        || cfg.drift_block_days <= 0.0
    {
        return Err(NeuralError::InvalidConfig(
            "ensemble_size, bias_hidden_size, batch_size and drift_block_days must be > 0".into(),
        ));
    }
    if !(cfg.event_merge_days.is_finite() && cfg.event_merge_days >= 0.0) {
        return Err(NeuralError::InvalidConfig(format!("event_merge_days must be >= 0, got {}", cfg.event_merge_days)));
    }
    if !(0.0..=network::A_RANGE.1).contains(&cfg.anemometer_start_max) {
        return Err(NeuralError::InvalidConfig(format!(
            "anemometer_start_max must be in [0, {}], got {}",
            network::A_RANGE.1,
            cfg.anemometer_start_max
        )));
    }
    let referred: Vec<OperatingWindow>;
    let windows = if cfg.reference_power {
        referred = windows.iter().filter(|w| w.reference_power_kw.is_some_and(|r| r > 0.0)).cloned().collect();
        if referred.len() < cfg.min_windows.max(1) {
            return Err(NeuralError::TooFewWindows { n: referred.len(), min: cfg.min_windows.max(1) });
        }
        &referred[..]
    } else {
        windows
    };
    let mut norm = data::Normalizer::fit(windows, cfg.drift_block_days, breaks, cfg.reference_power);
    norm.block_levels = cfg.block_levels;
    norm.rotor_state = cfg.rotor_state;
    norm.anemometer_yaw = cfg.anemometer_yaw;
    if cfg.air_density && !cfg.reference_power {
        norm.density_ref_temp_k = crate::model::air_density::reference_temp_k(windows.iter().map(|w| w.outdoor_temp_c));
    }
    if cfg.evidence_scaled_drift {
        norm.drift_variance_inflation = Some(evidence::block_variance_inflation(windows, &norm));
    }
    let mut train_cfg = cfg.clone();
    train_cfg.drift_penalty *= norm.drift_penalty_scale();
    let train_cfg = &train_cfg;
    let member_seed = |m: usize| cfg.seed.wrapping_add(m as u64);
    // each member's own resample, the same for its first fit and its relaxed refit
    let resamples: Vec<Vec<usize>> = (0..cfg.ensemble_size).map(|m| data::bootstrap(windows, member_seed(m))).collect();
    let first = in_parallel(cfg.ensemble_size, |m| {
        let seed = member_seed(m);
        let start = if cfg.spread_steepness_starts {
            network::SteepnessStart::spread(m, cfg.ensemble_size, cfg.anemometer_start_max)
        } else {
            network::SteepnessStart::default()
        };
        training::train_member(windows, &resamples[m], &norm, train_cfg, start, seed)
    });
    let (members, reports): (Vec<_>, Vec<_>) = if cfg.relaxed_drift && norm.centred_drift {
        let vif = norm.drift_variance_inflation.unwrap_or_else(|| evidence::block_variance_inflation(windows, &norm));
        in_parallel(cfg.ensemble_size, |m| {
            let (model, report) = first[m].clone();
            let seed = member_seed(m);
            let steps = steps::drift_step_blocks(&model.valid(), windows, &resamples[m], &norm, vif);
            training::refit_member(model, report, &steps, windows, &resamples[m], &norm, train_cfg, seed)
        })
        .into_iter()
        .unzip()
    } else {
        first.into_iter().map(|(m, r)| (m.valid(), r)).unzip()
    };
    Ok(NeuralFit::new(cfg.clone(), norm, members, reports, windows))
}

/// `f(0..n)`, one thread per core up to `n` (members are independent); results keep their
/// order, so a fit does not depend on the thread count.
fn in_parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get()).min(n).max(1);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let f = &f;
        let chunks: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (t..n).step_by(threads).map(|m| (m, f(m))).collect::<Vec<_>>()))
            .collect();
        for chunk in chunks {
            for (m, value) in chunk.join().expect("training thread panicked") {
                out[m] = Some(value);
            }
        }
    });
    out.into_iter().map(|v| v.expect("every member trained")).collect()
}

#[cfg(test)]
mod tests;
