//! The network of the neural estimator: a power response R(ws), a vane-bias MLP f_θ(state), a
//! static offset, a piecewise-constant drift d(t), and the cos^p(γ) loss of misalignment between
//! them. Only the parts physics does not fix (R, f_θ) are learned freely.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::data::{Batch, Normalizer, R_GRID_STEP_MS};

/// Degrees per unit of the offset and drift parameters: Adam moves a parameter about `lr` per
/// step whatever its scale, so a few-degree error needs a coarser unit to be reached in a few
/// hundred steps.
pub(super) const DEG_PER_UNIT: f64 = 10.0;
/// Bounds of the cosine exponent p and the vane gain k (`docs/domain.md`: p in 1.8..3; |k| small).
pub(super) const P_RANGE: (f64, f64) = (1.8, 3.0);
pub(super) const K_RANGE: (f64, f64) = (-0.2, 0.2);
/// Bounds of the anemometer's yaw sensitivity a (nacelle wind speed `ws · (1 + a sin²γ)`): 0
/// (unmoved) to 1 (+3 % at 10 deg of yaw), a wide bound around the field profile's 0.25.
pub(super) const A_RANGE: (f64, f64) = (0.0, 1.0);
/// Where a member's steepness starts: the cosine exponent p and the anemometer's yaw gain a.
///
/// Why it matters: the controller keeps the vane near its zero, so a mispointed turbine's
/// windows sit on one side of its power peak, where the data pin the slope `p_eff · e` well and
/// the curvature that separates p_eff from e hardly at all. Adam then leaves the steepness near
/// where it started, and members that all start at one steepness agree on an e that is off by
/// `e · (p_true / p_start − 1)`, with a narrow interval. Members started across the prior of p
/// and a carry that ridge into the ensemble's spread: where windows straddle the peak the data
/// pull them together, where they do not the interval shows how little the data say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteepnessStart {
    pub cos_exponent: f64,
    pub anemometer_yaw_gain: f64,
}

impl Default for SteepnessStart {
    /// Mid-range p (2.4) and a ≈ 0.1 (raw −2.2, as models were trained before starts could
    /// spread) for every member.
    fn default() -> Self {
        Self { cos_exponent: 0.5 * (P_RANGE.0 + P_RANGE.1), anemometer_yaw_gain: 1.0 / (1.0 + 2.2_f64.exp()) }
    }
}

impl SteepnessStart {
    /// Member `m` of `members`: p at the `(m + ½)/M` quantile of [`P_RANGE`], a at another
    /// quantile of `[0, a_max]` (a Latin square, so the members also spread over the sum of
    /// the two, which is what the slope sees). A single member starts at the default.
    pub fn spread(m: usize, members: usize, a_max: f64) -> Self {
        if members <= 1 {
            return Self::default();
        }
        let quantile = |i: usize| (i % members) as f64 / members as f64 + 0.5 / members as f64;
        // a's order: every second member, so p and a are neither in step nor opposed
        let a_index = (2 * m + members / 2) % members;
        Self {
            cos_exponent: P_RANGE.0 + (P_RANGE.1 - P_RANGE.0) * quantile(m),
            anemometer_yaw_gain: a_max * quantile(a_index),
        }
    }
}

/// The raw (pre-sigmoid) value that [`squash`] maps to `value` in `range`, kept off the ends.
fn unsquash(value: f64, (lo, hi): (f64, f64)) -> f32 {
    let q = ((value - lo) / (hi - lo)).clamp(1e-3, 1.0 - 1e-3);
    (q / (1.0 - q)).ln() as f32
}

/// Two tanh hidden layers and a linear output.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden1: Linear,
    hidden2: Linear,
    output: Linear,
}

impl Mlp {
    /// Glorot-uniform weights from `rng` (not burn's device RNG, which is global and would make
    /// parallel trainings race for it), zero biases; the output layer scaled by `out_gain`.
    fn new(d_in: usize, hidden: usize, out_gain: f64, rng: &mut StdRng, device: &Device) -> Self {
        Self {
            hidden1: dense(d_in, hidden, 1.0, rng, device),
            hidden2: dense(hidden, hidden, 1.0, rng, device),
            output: dense(hidden, 1, out_gain, rng, device),
        }
    }

    /// # Shapes
    /// - `x`: `[n, d_in]`
    /// - output: `[n]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let h = self.hidden1.forward(x).tanh();
        let h = self.hidden2.forward(h).tanh();
        let out = self.output.forward(h);
        let n = out.dims()[0];
        out.reshape([n])
    }
}

fn dense(d_in: usize, d_out: usize, gain: f64, rng: &mut StdRng, device: &Device) -> Linear {
    let bound = gain * (6.0 / (d_in + d_out) as f64).sqrt();
    let w: Vec<f32> = (0..d_in * d_out).map(|_| rng.random_range(-bound..bound) as f32).collect();
    let weight = Tensor::<2>::from_data(TensorData::new(w, [d_in, d_out]), device);
    let bias = Tensor::<1>::zeros([d_out], device);
    Linear { weight: Param::from_tensor(weight), bias: Some(Param::from_tensor(bias)) }
}

fn scalar_param(v: f32, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(vec![v], [1]), device))
}

/// One ensemble member: predicted performance `R(ws) · L(block) · cos^p(γ)`,
/// `γ = (vane − e)/(1 + k)`, `e = f_θ(state) + offset + d(block)`; the block level L is
/// 1 unless `NeuralConfig::block_levels`.
#[derive(Module, Debug)]
pub struct VaneNet {
    /// R, part 1: performance of the aligned rotor at the nodes of a piecewise-linear curve in
    /// wind speed, shape `[r_grid_nodes]` (the steep low-wind curve an MLP fits poorly).
    power: Param<Tensor<1>>,
    /// R, part 2: additive correction from the operating state, which holds wind speed alone
    /// unless `NeuralConfig::rotor_state` (see the `neural` module docs for why rotor speed and
    /// pitch must not explain power).
    power_state: Mlp,
    /// f_θ: state-dependent part of e, in units of [`DEG_PER_UNIT`].
    bias: Mlp,
    /// Static part of e, units of [`DEG_PER_UNIT`], shape `[1]`.
    offset: Param<Tensor<1>>,
    /// Drift parameters, units of [`DEG_PER_UNIT`]; see [`VaneNet::drift_deg`] for how they
    /// become d. Centred: one per block, shape `[max(n_blocks, 2)]`; pinned at block 0 (models
    /// saved before December 2026): blocks 1.., shape `[max(n_blocks − 1, 1)]`. An unused extra
    /// when there is one block.
    drift: Param<Tensor<1>>,
    /// Whether `drift` is centred on its mean (true) or block 0 is pinned at 0 (false). Set from
    /// the normalisation when the member is built; not part of the weight file.
    #[module(skip)]
    centred_drift: bool,
    /// While the drift is refitted on the steps the L1 penalty chose ([`VaneNet::tie_drift`]):
    /// for each drift parameter, the one whose value it takes (the first block of its
    /// segment). `None` otherwise; never part of the weight file (the tie is written into the
    /// parameters before a member is saved).
    #[module(skip)]
    tied_drift: Option<Vec<i64>>,
    /// Performance level of each drift block, log scale, centred on its mean, shape
    /// `[max(n_blocks, 2)]`; `None` unless `NeuralConfig::block_levels`. Why: on field data the
    /// power of a season or a week moves for reasons besides yaw (air density, soiling, icing,
    /// grid), and cos^p can only lower power, so without a level of its own the drift moved e
    /// away from the peak, either way, to explain a low-power stretch: on La Haute Borne the
    /// drift wandered over 20 deg and the members disagreed by 5 deg. With a level per block,
    /// the drift is left what a level cannot mimic: where the power peak sits in vane angle.
    level: Option<Param<Tensor<1>>>,
    /// p before the sigmoid squashing into [`P_RANGE`], shape `[1]`.
    p_raw: Param<Tensor<1>>,
    /// k before the sigmoid squashing into [`K_RANGE`], shape `[1]`.
    k_raw: Param<Tensor<1>>,
    /// The nacelle anemometer's yaw sensitivity a before the sigmoid squashing into
    /// [`A_RANGE`], shape `[1]`; `None` unless `NeuralConfig::anemometer_yaw`. Why: behind a
    /// yawed rotor the anemometer reads `ws · (1 + a sin²γ)` (less induction), so R is read at
    /// too high a wind speed exactly where the rotor is yawed, and the loss power shows over
    /// vane angle is steeper than cos^p by `2a · dln P/dln ws`, which varies with wind speed.
    /// Even in γ, it still moves the peak: the turbine points at the vane's zero, so its data
    /// sit on one side of the true peak, and a least-squares fit of too flat a curve places the
    /// peak further out, by e · (steepness / fitted steepness − 1) (measured on the field
    /// profile: 0.9-3.4 deg further from zero than the truth without this term).
    anemometer: Option<Param<Tensor<1>>>,
}

/// What a forward pass returns. All `[n]`.
pub struct Prediction {
    /// Predicted performance (normalised power / ws³).
    pub performance: Tensor<1>,
    /// True misalignment γ of each window, degrees.
    pub gamma_deg: Tensor<1>,
}

impl VaneNet {
    /// A fresh member, deterministic for `seed`: R starts at `r_init` (the observed mean
    /// performance per node, so no steps are spent finding the curve), e at 0, p and a at
    /// `start`, k at 0, block levels at 0. The normalisation gives the number of drift blocks,
    /// the drift's gauge ([`VaneNet::drift_deg`]) and whether blocks have levels.
    pub fn new(
        bias_hidden: usize,
        norm: &Normalizer,
        r_init: Vec<f32>,
        start: SteepnessStart,
        seed: u64,
        device: &Device,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let (n_blocks, centred_drift) = (norm.n_blocks, norm.centred_drift);
        let n_drift = if centred_drift { n_blocks.max(2) } else { n_blocks.saturating_sub(1).max(1) };
        let nodes = r_init.len();
        Self {
            power: Param::from_tensor(Tensor::from_data(TensorData::new(r_init, [nodes]), device)),
            power_state: Mlp::new(3, bias_hidden, 0.1, &mut rng, device),
            // small output gain: e starts at the offset, the MLP grows only where data ask
            bias: Mlp::new(3, bias_hidden, 0.1, &mut rng, device),
            offset: scalar_param(0.0, device),
            drift: Param::from_tensor(Tensor::zeros([n_drift], device)),
            centred_drift,
            tied_drift: None,
            level: norm.block_levels.then(|| Param::from_tensor(Tensor::zeros([n_blocks.max(2)], device))),
            p_raw: scalar_param(unsquash(start.cos_exponent, P_RANGE), device),
            k_raw: scalar_param(0.0, device),
            anemometer: norm.anemometer_yaw.then(|| scalar_param(unsquash(start.anemometer_yaw_gain, A_RANGE), device)),
        }
    }

    /// Cosine exponent p, shape `[1]`.
    pub fn cos_exponent(&self) -> Tensor<1> {
        squash(self.p_raw.val(), P_RANGE)
    }

    /// Anemometer yaw sensitivity a, shape `[1]`; `None` when the model has no such term.
    pub fn anemometer_yaw_gain(&self) -> Option<Tensor<1>> {
        self.anemometer.as_ref().map(|a| squash(a.val(), A_RANGE))
    }

    /// Vane gain k, shape `[1]`.
    pub fn gain(&self) -> Tensor<1> {
        squash(self.k_raw.val(), K_RANGE)
    }

    /// Drift of every block, degrees, block 0 first.
    ///
    /// Only `offset + d` is observable, so d needs a gauge. Centred (current models): d is the
    /// parameters minus their mean, so a level every block shares has no gradient in the drift
    /// and stays in the offset, and no block is the reference of the others. Pinned (older
    /// models): d_0 = 0, so the first block's data alone (a week, or less up to the first
    /// change point) fixed the level every later drift value was measured from.
    ///
    /// # Shapes
    /// - output: `[max(n_blocks, 2)]` (the last entry unused when there is one block)
    pub fn drift_deg(&self) -> Tensor<1> {
        let mut d = self.drift.val();
        if let Some(rep) = &self.tied_drift {
            let rep = Tensor::<1, Int>::from_data(TensorData::new(rep.clone(), [rep.len()]), &d.device());
            d = d.select(0, rep);
        }
        if self.centred_drift {
            let mean = d.clone().mean();
            return (d - mean).mul_scalar(DEG_PER_UNIT);
        }
        let zero = Tensor::<1>::zeros([1], &d.device());
        Tensor::cat(vec![zero, d], 0).mul_scalar(DEG_PER_UNIT)
    }

    /// Ties the drift to segments for the relaxed refit: block b takes the value of block
    /// `segment_of[b]` (the first block of its segment), so only the steps at segment starts
    /// remain free. Each segment starts at the mean of its blocks' drift, the nearest tied
    /// state to the penalised fit. Centred drift only (the pinned gauge of older models is
    /// never retrained).
    ///
    /// Why a tie rather than a second penalty: a chosen step is then fitted at the size the
    /// data give it, and the drift between steps stays exactly flat.
    pub fn tie_drift(mut self, segment_of: &[usize]) -> Self {
        debug_assert!(self.centred_drift, "only centred drift is refitted");
        let values: Vec<f32> = self.drift.val().into_data().iter::<f32>().collect();
        let mut sums = vec![(0.0_f64, 0usize); values.len()];
        for (b, &v) in values.iter().enumerate() {
            sums[segment_of[b]].0 += f64::from(v);
            sums[segment_of[b]].1 += 1;
        }
        let start: Vec<f32> =
            (0..values.len()).map(|b| (sums[segment_of[b]].0 / sums[segment_of[b]].1 as f64) as f32).collect();
        self.drift = self.drift.map(|d| {
            let device = d.device();
            Tensor::from_data(TensorData::new(start, [values.len()]), &device).require_grad()
        });
        self.tied_drift = Some(segment_of.iter().map(|&b| b as i64).collect());
        self
    }

    /// Writes the tie of [`VaneNet::tie_drift`] into the drift parameters and lifts it, so
    /// the member saves and predicts as it was refitted.
    pub fn untie_drift(mut self) -> Self {
        if let Some(rep) = self.tied_drift.take() {
            let device = self.drift.val().device();
            let rep = Tensor::<1, Int>::from_data(TensorData::new(rep.clone(), [rep.len()]), &device);
            self.drift = self.drift.map(|d| d.select(0, rep));
        }
        self
    }

    /// Sum of `w_b · |d_b − d_{b−1}|` over consecutive blocks, degrees, shape `[1]` (the L1
    /// penalty).
    ///
    /// # Shapes
    /// - `weights`: `[n_drift]`, one per step (block 1.. against the one before)
    pub fn drift_steps_l1(&self, weights: Tensor<1>) -> Tensor<1> {
        let d = self.drift_deg();
        let n = d.dims()[0];
        ((d.clone().slice(1..n) - d.slice(0..n - 1)).abs() * weights).sum()
    }

    /// Sum of squared changes of the block performance level between consecutive blocks, shape
    /// `[1]`, `None` without levels: its penalty lets the level follow a season but not jump
    /// with a vane step, whose power drop the drift must explain.
    pub fn level_steps_square(&self) -> Option<Tensor<1>> {
        let l = self.level.as_ref()?.val();
        let n = l.dims()[0];
        Some((l.clone().slice(1..n) - l.slice(0..n - 1)).square().sum())
    }

    /// Mean square of the state-dependent part f_θ of e, degrees², shape `[1]`: its penalty
    /// shrinks e toward the static offset unless the data ask for structure in the state.
    ///
    /// # Shapes
    /// - `state`: `[n, 3]`
    pub fn bias_mean_square(&self, state: Tensor<2>) -> Tensor<1> {
        self.bias.forward(state).mul_scalar(DEG_PER_UNIT).square().mean()
    }

    /// The layers of f_θ (hidden 1, hidden 2, output) and the static offset (units of
    /// [`DEG_PER_UNIT`], shape `[1]`), for tensor-free evaluation (`compiled`).
    pub(super) fn vane_error_layers(&self) -> ([&Linear; 3], Tensor<1>) {
        ([&self.bias.hidden1, &self.bias.hidden2, &self.bias.output], self.offset.val())
    }

    /// e without drift (block 0 state): `f_θ(state) + offset`, degrees.
    ///
    /// # Shapes
    /// - `state`: `[n, 3]` normalised ws, rpm, pitch
    /// - output: `[n]`
    pub fn static_vane_error_deg(&self, state: Tensor<2>) -> Tensor<1> {
        (self.bias.forward(state) + self.offset.val()).mul_scalar(DEG_PER_UNIT)
    }

    /// # Shapes
    /// - `batch.state`: `[n, 3]`; `vane_deg`, `block` (Int), `r_left` (Int), `r_frac`: `[n]`
    /// - output: every field `[n]`
    pub fn forward(&self, batch: &Batch) -> Prediction {
        let drift = self.drift_deg().select(0, batch.block.clone());
        let e = self.static_vane_error_deg(batch.state.clone()) + drift;
        let gamma_deg = (batch.vane_deg.clone() - e) / self.gain().add_scalar(1.0);
        let gamma_rad = gamma_deg.clone().mul_scalar(std::f64::consts::PI / 180.0);

        let r = self.power.val();
        let left = r.clone().select(0, batch.r_left.clone());
        let right = r.select(0, batch.r_left.clone().add_scalar(1));
        let slope_per_ms = (right.clone() - left.clone()).div_scalar(R_GRID_STEP_MS);
        let mut performance =
            left.clone() + (right - left) * batch.r_frac.clone() + self.power_state.forward(batch.state.clone());
        if let Some(a) = self.anemometer_yaw_gain() {
            // The anemometer reads u = 1 + a sin²γ times the free wind: R belongs at ws/u (first
            // order in R's slope), and the target divides power by the measured ws³, u³ too much.
            let excess = gamma_rad.clone().sin().square() * a;
            let u = excess.clone().add_scalar(1.0);
            let overread_ms = batch.wind_speed_ms.clone() * excess / u.clone();
            performance = (performance - slope_per_ms * overread_ms) / u.powi_scalar(3);
        }
        if let Some(level) = &self.level {
            let level = level.val();
            let centred = level.clone() - level.mean();
            performance = performance * centred.select(0, batch.block.clone()).exp();
        }
        // cos^p as exp(p ln cos): p is a tensor; cos > 0 for the |γ| < 90 deg of operating data
        let cos = gamma_rad.cos().clamp_min(1e-4);
        let loss_factor = (cos.log() * self.cos_exponent()).exp();
        Prediction { performance: performance * loss_factor, gamma_deg }
    }
}

/// `lo + (hi − lo) · sigmoid(x)`.
fn squash(x: Tensor<1>, (lo, hi): (f64, f64)) -> Tensor<1> {
    sigmoid(x).mul_scalar(hi - lo).add_scalar(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_start_across_the_prior_of_the_steepness_once_each() {
        let a_max = 0.5;
        let starts: Vec<SteepnessStart> = (0..5).map(|m| SteepnessStart::spread(m, 5, a_max)).collect();
        let mut p: Vec<f64> = starts.iter().map(|s| s.cos_exponent).collect();
        let mut a: Vec<f64> = starts.iter().map(|s| s.anemometer_yaw_gain).collect();
        p.sort_by(f64::total_cmp);
        a.sort_by(f64::total_cmp);
        // one member per fifth of each range, at its middle
        for (i, (p, a)) in p.iter().zip(&a).enumerate() {
            let q = (i as f64 + 0.5) / 5.0;
            assert!((p - (P_RANGE.0 + q * (P_RANGE.1 - P_RANGE.0))).abs() < 1e-12, "p {p} for quantile {q}");
            assert!((a - q * a_max).abs() < 1e-12, "a {a} for quantile {q}");
        }
        // the two are not in step: the steepest p does not also get the largest a
        let steepest = starts.iter().max_by(|x, y| x.cos_exponent.total_cmp(&y.cos_exponent)).unwrap();
        assert!(steepest.anemometer_yaw_gain < a[4]);
        // a raw start maps back to the value asked for
        let raw = unsquash(2.0, P_RANGE);
        let back = 1.0 / (1.0 + (-f64::from(raw)).exp()) * (P_RANGE.1 - P_RANGE.0) + P_RANGE.0;
        assert!((back - 2.0).abs() < 1e-6);
        assert_eq!(SteepnessStart::spread(0, 1, a_max), SteepnessStart::default());
    }
}
