//! Tensor-free evaluation of a trained ensemble's vane error, for serving: the weights of each
//! member's f_θ MLP, its static offset and its current drift are copied out of Burn once, and
//! e at an operating point is then a few hundred multiply-adds in plain Rust (no device, no
//! allocation, no lock), fast enough to run on every request.
//!
//! It computes exactly what [`NeuralFit::vane_error_deg`] computes: per member
//! `e_m = DEG_PER_UNIT · (f_θ(state) + offset) + d(last block)`, then the member mean and
//! `mean ± t(0.975, M − 1) · sd` (the same `mean_ci`). Two deliberate differences, both far
//! below the 1e-3 deg the tests demand (measured max |Δ| in `correction::tests`):
//! - tanh is a rational approximation ([`fast_tanh`], |error| < 1e-6, checked by a test)
//!   instead of libm's, because it vectorises: with libm's tanhf the same forward pass took
//!   1150 ns/point instead of 190 (5 × 8 units, standalone copy, one core busy compiling);
//! - `DEG_PER_UNIT` is folded into the output layer, so rounding differs in the last f32 bits.
//!
//! Arithmetic is f32 like the trained weights (see [`Real`]); the normalised state is computed
//! in f64 and rounded to f32 exactly as `Normalizer::state` does for Burn.

use std::path::{Path, PathBuf};

use burn::nn::Linear;
use burn::prelude::*;
use serde::Deserialize;

use super::data::Normalizer;
use super::inference::widened_ci;
use super::network::{DEG_PER_UNIT, SteepnessStart, VaneNet};
use super::{NeuralFit, config_from_json};

/// Arithmetic type of the forward pass. f32 matches the stored weights and Burn's own
/// arithmetic; f64 would gain no agreement and cost twice the time (half the lanes per SSE
/// register: 135-150 vs ~350 ns/point measured on a standalone copy of this forward pass,
/// 5 members × 8 units).
type Real = f32;

/// Hidden units (members × width) and members evaluated with stack scratch space (the default
/// model has 5 × 8); bigger ensembles use heap buffers per call.
const STACK_UNITS: usize = 64;
const STACK_MEMBERS: usize = 32;

/// Normalised inputs are clamped to ± this: far outside any training envelope tanh has long
/// saturated, and it keeps huge or infinite speeds from turning into inf − inf = NaN.
const STATE_CLAMP: f32 = 1e6;

/// A missing, unreadable or inconsistent file of a neural artifact directory.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", file.display())]
pub struct ArtifactError {
    /// The file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl ArtifactError {
    fn new(file: &Path, problem: impl ToString) -> Self {
        Self { file: file.to_path_buf(), problem: problem.to_string() }
    }
}

/// A trained ensemble reduced to what evaluating e needs: the input normalisation and, per
/// member, the f_θ weights with offset and current drift folded into the output bias.
/// Hidden units of all members sit side by side (unit `m·H + j` is member m's unit j), so each
/// layer's tanh runs over M·H independent lanes: evaluated member by member the same
/// arithmetic took 3x longer (latency-bound tanh chains; measured 415 vs 135 ns/point).
#[derive(Debug, Clone)]
pub struct CompiledEnsemble {
    norm: Normalizer,
    /// `NeuralConfig::interval_inflation` of the trained model.
    interval_inflation: f64,
    /// Hidden width H of f_θ.
    hidden: usize,
    members: usize,
    /// Layer 1, input-major: `w1[i·MH + m·H + j]`, input i to member m's hidden unit j.
    w1: Vec<Real>,
    /// `[M·H]`.
    b1: Vec<Real>,
    /// Layer 2 per member: `w2[m·H² + j·H + k]`, hidden j to hidden k.
    w2: Vec<Real>,
    b2: Vec<Real>,
    /// Output weights times `DEG_PER_UNIT`, `[M·H]`.
    w3: Vec<Real>,
    /// Per member, degrees: `DEG_PER_UNIT · (output bias + offset) + d(last block)`.
    b3: Vec<f64>,
}

/// The parts of `meta.json` evaluation needs (the rest is ignored).
#[derive(Deserialize)]
struct MetaFile {
    norm: Normalizer,
    members: Vec<serde::de::IgnoredAny>,
}

impl CompiledEnsemble {
    /// Reads what [`NeuralFit::save`] wrote into `dir` (`config.json`, `meta.json`,
    /// `member_<m>.bpk`) and compiles it. Every error names the file at fault.
    pub fn load(dir: &Path) -> Result<Self, ArtifactError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| ArtifactError::new(&path, e))?;
        let config = config_from_json(&text).map_err(|e| ArtifactError::new(&path, e))?;
        let path = dir.join("meta.json");
        let text = std::fs::read_to_string(&path).map_err(|e| ArtifactError::new(&path, e))?;
        let meta: MetaFile = serde_json::from_str(&text).map_err(|e| ArtifactError::new(&path, e))?;
        if meta.members.is_empty() || meta.norm.n_blocks == 0 || meta.norm.r_grid_nodes < 2 {
            return Err(ArtifactError::new(&path, "no members, drift blocks or R grid nodes"));
        }
        let device = Device::flex();
        let nets = (0..meta.members.len())
            .map(|m| {
                let path = dir.join(format!("member_{m}.bpk"));
                if !path.is_file() {
                    return Err(ArtifactError::new(&path, "missing"));
                }
                let r_init = vec![0.0; meta.norm.r_grid_nodes];
                VaneNet::new(config.bias_hidden_size, &meta.norm, r_init, SteepnessStart::default(), 0, &device)
                    .try_load_file(&path)
                    .map_err(|e| ArtifactError::new(&path, format!("{e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&meta.norm, &nets, config.interval_inflation)
            .map_err(|(m, problem)| ArtifactError::new(&dir.join(format!("member_{m}.bpk")), problem))
    }

    /// Copies the weights out of `nets` (at least one). Shapes are checked against member 0's;
    /// `Err` gives the member at fault and what does not fit.
    fn new(norm: &Normalizer, nets: &[VaneNet], interval_inflation: f64) -> Result<Self, (usize, String)> {
        let members = nets.len();
        let hidden = nets.first().map_or(0, |n| n.vane_error_layers().0[0].weight.dims()[1]);
        if hidden == 0 {
            return Err((0, "no f_θ hidden units".into()));
        }
        let last_block = norm.n_blocks - 1;
        let mut out = Self {
            norm: norm.clone(),
            interval_inflation,
            hidden,
            members,
            w1: Vec::with_capacity(members * 3 * hidden),
            b1: Vec::with_capacity(members * hidden),
            w2: Vec::with_capacity(members * hidden * hidden),
            b2: Vec::with_capacity(members * hidden),
            w3: Vec::with_capacity(members * hidden),
            b3: Vec::with_capacity(members),
        };
        let mut w1_by_input: [Vec<Real>; 3] = Default::default();
        for (m, net) in nets.iter().enumerate() {
            let ([l1, l2, l3], offset) = net.vane_error_layers();
            let (w1, b1) = linear(l1, [3, hidden]).map_err(|e| (m, format!("f_θ layer 1: {e}")))?;
            let (w2, b2) = linear(l2, [hidden, hidden]).map_err(|e| (m, format!("f_θ layer 2: {e}")))?;
            let (w3, b3) = linear(l3, [hidden, 1]).map_err(|e| (m, format!("f_θ output layer: {e}")))?;
            let drift = floats(net.drift_deg());
            let d_last = *drift.get(last_block).ok_or_else(|| (m, format!("no drift value for block {last_block}")))?;
            let offset = floats(offset)[0];
            let b3 = DEG_PER_UNIT * (f64::from(b3[0]) + f64::from(offset)) + f64::from(d_last);
            let finite = |v: &[Real]| v.iter().all(|x| x.is_finite());
            if !(finite(&w1) && finite(&b1) && finite(&w2) && finite(&b2) && finite(&w3) && b3.is_finite()) {
                return Err((m, "non-finite weights".into()));
            }
            w1_by_input.iter_mut().zip(w1.chunks_exact(hidden)).for_each(|(to, row)| to.extend(row));
            out.b1.extend(b1);
            out.w2.extend(w2);
            out.b2.extend(b2);
            out.w3.extend(w3.iter().map(|w| w * DEG_PER_UNIT as Real));
            out.b3.push(b3);
        }
        out.w1 = w1_by_input.concat();
        Ok(out)
    }

    /// Ensemble members M.
    pub fn members(&self) -> usize {
        self.members
    }

    /// e at one operating point in the current drift state, degrees, with its 95 % ensemble
    /// interval: the value of [`NeuralFit::vane_error_deg`]. Wind speed m/s, rotor speed rpm,
    /// pitch deg; a missing rpm or pitch takes the training mean, as in training. Finite
    /// inputs give finite output (huge ones saturate); NaN inputs give NaN.
    pub fn vane_error_deg(&self, ws: f64, rotor_rpm: Option<f64>, pitch_deg: Option<f64>) -> (f64, [f64; 2]) {
        let x = self.norm.state(ws, rotor_rpm, pitch_deg).map(|v| v.clamp(-STATE_CLAMP, STATE_CLAMP) as Real);
        let (units, m) = (self.hidden * self.members, self.members);
        if units <= STACK_UNITS && m <= STACK_MEMBERS {
            let (mut z1, mut z2, mut e) = ([0.0; STACK_UNITS], [0.0; STACK_UNITS], [0.0; STACK_MEMBERS]);
            self.forward(x, &mut z1[..units], &mut z2[..units], &mut e[..m])
        } else {
            self.forward(x, &mut vec![0.0; units], &mut vec![0.0; units], &mut vec![0.0; m])
        }
    }

    /// The ensemble at normalised state `x`, with scratch space `z1`, `z2` `[M·H]`, `e` `[M]`.
    fn forward(&self, x: [Real; 3], z1: &mut [Real], z2: &mut [Real], e: &mut [f64]) -> (f64, [f64; 2]) {
        let (h, units) = (self.hidden, z1.len());
        let (wa, rest) = self.w1.split_at(units);
        let (wb, wc) = rest.split_at(units);
        for ((((z, b), wa), wb), wc) in z1.iter_mut().zip(&self.b1).zip(wa).zip(wb).zip(wc) {
            *z = b + x[0] * wa + x[1] * wb + x[2] * wc;
        }
        z1.iter_mut().for_each(|z| *z = fast_tanh(*z));
        z2.copy_from_slice(&self.b2);
        for ((a1, a2), w2) in z1.chunks_exact(h).zip(z2.chunks_exact_mut(h)).zip(self.w2.chunks_exact(h * h)) {
            for (a, row) in a1.iter().zip(w2.chunks_exact(h)) {
                a2.iter_mut().zip(row).for_each(|(z, w)| *z += a * w);
            }
        }
        z2.iter_mut().for_each(|z| *z = fast_tanh(*z));
        for ((e, a2), (w3, b3)) in e.iter_mut().zip(z2.chunks_exact(h)).zip(self.w3.chunks_exact(h).zip(&self.b3)) {
            *e = f64::from(a2.iter().zip(w3).map(|(a, w)| a * w).sum::<Real>()) + b3;
        }
        widened_ci(e, self.interval_inflation)
    }
}

impl NeuralFit {
    /// The ensemble compiled for tensor-free evaluation ([`CompiledEnsemble`]).
    pub fn compile(&self) -> CompiledEnsemble {
        let (norm, nets) = self.parts();
        CompiledEnsemble::new(norm, nets, self.config().interval_inflation)
            .unwrap_or_else(|(m, e)| panic!("trained member {m} is inconsistent: {e}"))
    }
}

/// Weights `[d_in · d_out]` (row i = input i) and bias `[d_out]` of `l`, checked against `dims`.
fn linear(l: &Linear, dims: [usize; 2]) -> Result<(Vec<Real>, Vec<Real>), String> {
    let w = l.weight.val();
    if w.dims() != dims {
        return Err(format!("weight shape {:?}, expected {dims:?}", w.dims()));
    }
    let b = l.bias.as_ref().map_or_else(|| vec![0.0; dims[1]], |b| floats(b.val()));
    if b.len() != dims[1] {
        return Err(format!("bias length {}, expected {}", b.len(), dims[1]));
    }
    let w = w.into_data().try_into_vec_as::<f32>().map_err(|e| format!("{e:?}"))?;
    Ok((w, b))
}

fn floats(t: Tensor<1>) -> Vec<Real> {
    t.into_data().try_into_vec_as::<f32>().expect("float tensor")
}

/// tanh(x) as the rational function of Eigen's `generic_fast_tanh_float` (odd degree-13
/// numerator over even degree-6 denominator on x clamped to ±7.905, where tanh is 1 within f32
/// precision). Branch-free, so loops over it vectorise; |error| < 1e-6 (measured 4.3e-7, test below).
#[inline(always)]
pub(super) fn fast_tanh(x: Real) -> Real {
    const CLAMP: Real = 7.905_311;
    const A: [Real; 7] =
        [-2.760_768_5e-16, 2.000_188e-13, -8.604_672e-11, 5.122_297e-8, 1.485_722_4e-5, 6.372_619_3e-4, 4.893_524_6e-3];
    const B: [Real; 4] = [1.198_258_4e-6, 1.185_347e-4, 2.268_434_6e-3, 4.893_525e-3];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let p = A[1..].iter().fold(A[0], |p, &a| p * x2 + a) * x;
    let q = B[1..].iter().fold(B[0], |q, &b| q * x2 + b);
    p / q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::neural::{NeuralConfig, estimate_neural};
    use crate::model::testdata::Synth;

    #[test]
    fn a_net_wider_than_the_stack_scratch_is_evaluated_on_the_heap_and_agrees() {
        let w = Synth::new(|ws| 2.0 + 0.3 * ws).windows(5, 1_000);
        let w: Vec<_> = w.into_iter().filter(|x| x.power_kw > 0.0).collect();
        let wide = STACK_UNITS / 2 + 3; // 2 members: more units than the stack holds
        let cfg = NeuralConfig::new()
            .with_ensemble_size(2)
            .with_bias_hidden_size(wide)
            .with_steps(10)
            .with_min_windows(100)
            .with_batch_size(256);
        let fit = estimate_neural(&w, &cfg).expect("trains");
        let compiled = fit.compile();
        assert_eq!((compiled.hidden, compiled.members()), (wide, 2));
        for ws in [3.0, 6.5, 9.0, 14.0] {
            let (a, ca) = compiled.vane_error_deg(ws, Some(12.0), None);
            let (b, cb) = fit.vane_error_deg(ws, Some(12.0), None);
            assert!((a - b).abs() < 1e-3 && (ca[0] - cb[0]).abs() < 1e-3 && (ca[1] - cb[1]).abs() < 1e-3);
        }
    }

    #[test]
    fn fast_tanh_is_within_1e6_of_tanh_everywhere() {
        let mut worst: f64 = 0.0;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4; // -20..20
            worst = worst.max((f64::from(fast_tanh(x)) - f64::from(x).tanh()).abs());
        }
        assert!(worst < 1e-6, "max |fast_tanh - tanh| = {worst:e}");
        assert_eq!(fast_tanh(f32::INFINITY), fast_tanh(100.0));
        assert!(fast_tanh(1e30) <= 1.0 && fast_tanh(-1e30) >= -1.0);
    }
}
