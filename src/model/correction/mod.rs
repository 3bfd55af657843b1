//! The serving-side correction model: a registered model (its `method`, artifact directory and
//! [`VaneErrorEstimate`]) turned, once, into a plain evaluator of `vane_error_deg` at an operating
//! point and of the corrected directions of `docs/domain.md` (Derived quantities). No Burn tensors,
//! no database, no allocation per call (for up to 64 hidden units over all members; the default
//! ensemble has 40): the API and the SCADA server call it on every request (`benches/correction.rs`
//! measures it), and share one instance per turbine in an `Arc`.
//!
//! - `neural`: the ensemble's f_θ weights compiled by [`CompiledEnsemble`]; equal to
//!   `NeuralFit::vane_error_deg` (current drift state, member mean, t-interval) within float
//!   rounding (tested to 1e-3 deg, measured far below).
//! - `binned`: the estimate's per-bin values and intervals, linear in wind speed between the
//!   bins estimated from their own data, flat beyond them ([`binned::BinCurve`]).
//!
//! `extrapolated` marks wind speeds outside the span of the bins estimated from their own data
//! (`bins[..].extrapolated == false`; a bin centred on c covers `[c − 0.5, c + 0.5]` m/s) and
//! any non-finite input. Non-finite inputs never panic and never produce NaN; see
//! [`CorrectionModel::vane_error_at`] and [`CorrectionModel::correct`] for what they give.

mod binned;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::{wrap180, wrap360};
use crate::model::estimate::VaneErrorEstimate;
use crate::model::neural::{ArtifactError, CompiledEnsemble};

use self::binned::BinCurve;

/// Wind speed where e is evaluated when neither the point nor the estimate gives a usable
/// value: the middle of the 4-11 m/s operating range, m/s.
const FALLBACK_WS_MS: f64 = 7.5;

/// An operating point. Wind speed m/s, rotor speed rpm, pitch deg (None where the turbine lacks it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatingPoint {
    pub wind_speed_ms: f64,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
}

/// e at one operating point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VaneErrorAt {
    /// Estimated vane error e, degrees (the `yaw_offset_deg` to serve).
    pub vane_error_deg: f64,
    /// 95 % interval of `vane_error_deg`, degrees.
    pub ci95: [f64; 2],
    /// True outside the wind speeds estimated from their own data, or for non-finite input.
    pub extrapolated: bool,
}

/// One raw reading corrected (formulas of `docs/domain.md`, Derived quantities).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corrected {
    /// = `vane_error_deg` at the reading's operating point, degrees.
    pub yaw_offset_deg: f64,
    pub ci95: [f64; 2],
    pub extrapolated: bool,
    /// True misalignment estimate `wrap180(wrap180(vane_deg − e) / (1 + k))`, degrees.
    pub corrected_relative_deg: f64,
    /// `wrap360(nacelle_deg − north_offset + corrected relative)`, degrees; None without a
    /// (finite) nacelle position.
    pub corrected_absolute_deg: Option<f64>,
}

/// Why a registered model cannot be loaded for serving.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    /// `models.method` names no method this build can serve.
    #[error("unknown model method {0:?} (expected \"neural\" or \"binned\")")]
    UnknownMethod(String),
    /// A file of the artifact directory is missing, unreadable or inconsistent.
    #[error("model artifact {}: {problem}", file.display())]
    Artifact { file: PathBuf, problem: String },
    /// The stored estimate cannot drive a correction.
    #[error("model estimate (method {method}): {problem}")]
    Estimate { method: String, problem: String },
}

impl From<ArtifactError> for CorrectionError {
    fn from(e: ArtifactError) -> Self {
        Self::Artifact { file: e.file, problem: e.problem }
    }
}

/// How e depends on the operating point.
#[derive(Debug, Clone)]
enum Curve {
    /// Boxed: the normalisation makes it ten times the size of the binned variant.
    Neural(Box<CompiledEnsemble>),
    Binned(BinCurve),
}

impl Curve {
    fn eval(&self, ws: f64, rotor_rpm: Option<f64>, pitch_deg: Option<f64>) -> (f64, [f64; 2]) {
        match self {
            Curve::Neural(net) => net.vane_error_deg(ws, rotor_rpm, pitch_deg),
            Curve::Binned(curve) => curve.eval(ws),
        }
    }
}

/// A loaded model, ready to evaluate. Immutable, `Send + Sync`; share it in an `Arc`.
#[derive(Debug, Clone)]
pub struct CorrectionModel {
    method: &'static str,
    curve: Curve,
    /// Vane gain error k of `vane = (1 + k)·γ + e`.
    gain: f64,
    north_offset_deg: f64,
    /// Wind speeds, m/s, covered by bins estimated from their own data; None: no such bin.
    supported_ms: Option<(f64, f64)>,
    /// What a point without a usable wind speed gets (always finite, flagged extrapolated).
    fallback: VaneErrorAt,
}

impl CorrectionModel {
    /// From a registered model: `method` "neural" loads the artifact dir's weights; "binned"
    /// uses the estimate's per-bin values (linear in wind speed between estimated bins, flat
    /// beyond). Errors name the file or the estimate field at fault.
    pub fn load(method: &str, artifact_dir: &Path, estimate: &VaneErrorEstimate) -> Result<Self, CorrectionError> {
        let bad = |problem: String| CorrectionError::Estimate { method: method.to_string(), problem };
        let (method, curve) = match method {
            "neural" => ("neural", Curve::Neural(Box::new(CompiledEnsemble::load(artifact_dir)?))),
            "binned" => ("binned", Curve::Binned(BinCurve::from_estimate(estimate).map_err(bad)?)),
            other => return Err(CorrectionError::UnknownMethod(other.to_string())),
        };
        if !estimate.method.is_empty() && estimate.method != method {
            return Err(bad(format!("the estimate is of method {:?}", estimate.method)));
        }
        let gain = estimate.gain;
        if !gain.is_finite() || gain.abs() >= 1.0 {
            return Err(bad(format!("gain {gain}: the vane gain error k must lie in (-1, 1)")));
        }
        let north_offset_deg = estimate.north_offset_deg.unwrap_or(0.0);
        if !north_offset_deg.is_finite() {
            return Err(bad(format!("north_offset_deg {north_offset_deg} is not finite")));
        }
        let own: Vec<f64> =
            estimate.bins.iter().filter(|b| !b.extrapolated && b.vane_error_deg.is_some()).map(|b| b.ws).collect();
        let supported_ms = own.iter().copied().reduce(f64::min).zip(own.iter().copied().reduce(f64::max));
        let supported_ms = supported_ms.map(|(lo, hi)| (lo - 0.5, hi + 0.5));
        let fallback = fallback(&curve, estimate).ok_or_else(|| bad("the model gives no finite vane error".into()))?;
        Ok(Self { method, curve, gain, north_offset_deg, supported_ms, fallback })
    }

    /// `neural` or `binned`.
    pub fn method(&self) -> &str {
        self.method
    }

    /// Vane gain error k.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// North (yaw position) offset, degrees: the estimate's, or 0 where none was estimated.
    pub fn north_offset_deg(&self) -> f64 {
        self.north_offset_deg
    }

    /// e at `p` in the model's current state. A non-finite wind speed gives the operating-range
    /// value (the estimate's `vane_error_deg` and `ci95`, see `docs/domain.md`, Derived
    /// quantities); a non-finite rpm or pitch is treated as missing; both are flagged extrapolated.
    pub fn vane_error_at(&self, p: &OperatingPoint) -> VaneErrorAt {
        let ws = p.wind_speed_ms;
        if !ws.is_finite() {
            return self.fallback;
        }
        let rotor_rpm = p.rotor_rpm.filter(|v| v.is_finite());
        let pitch_deg = p.pitch_deg.filter(|v| v.is_finite());
        let dropped = rotor_rpm.is_none() != p.rotor_rpm.is_none() || pitch_deg.is_none() != p.pitch_deg.is_none();
        let (vane_error_deg, ci95) = self.curve.eval(ws, rotor_rpm, pitch_deg);
        if !(vane_error_deg.is_finite() && ci95[0].is_finite() && ci95[1].is_finite()) {
            return self.fallback; // not reached with the weights `load` checked; a guard, not a path
        }
        let inside = self.supported_ms.is_some_and(|(lo, hi)| (lo..=hi).contains(&ws));
        VaneErrorAt { vane_error_deg, ci95, extrapolated: dropped || !inside }
    }

    /// One raw reading corrected at its operating point (`docs/domain.md`, Derived quantities):
    /// relative `wrap180(wrap180(vane_deg − e) / (1 + k))` (the inner wrap keeps the result
    /// continuous across the vane's ±180 seam; with |vane − e| ≤ 180 it changes nothing), absolute
    /// `wrap360(nacelle_deg − north_offset + relative)`. A non-finite `vane_deg` gives relative 0
    /// (no yaw action), no absolute direction and `extrapolated`; a non-finite `nacelle_deg` gives
    /// no absolute direction and `extrapolated`.
    pub fn correct(&self, vane_deg: f64, nacelle_deg: Option<f64>, p: &OperatingPoint) -> Corrected {
        let at = self.vane_error_at(p);
        let vane_ok = vane_deg.is_finite();
        let nacelle = nacelle_deg.filter(|n| n.is_finite());
        let relative = if vane_ok { wrap180(wrap180(vane_deg - at.vane_error_deg) / (1.0 + self.gain)) } else { 0.0 };
        Corrected {
            yaw_offset_deg: at.vane_error_deg,
            ci95: at.ci95,
            extrapolated: at.extrapolated || !vane_ok || nacelle.is_none() != nacelle_deg.is_none(),
            corrected_relative_deg: relative,
            corrected_absolute_deg: nacelle.filter(|_| vane_ok).map(|n| wrap360(n - self.north_offset_deg + relative)),
        }
    }
}

/// The value for points without a usable wind speed: the estimate's operating-range value,
/// else the curve at [`FALLBACK_WS_MS`]; None if neither is finite.
fn fallback(curve: &Curve, estimate: &VaneErrorEstimate) -> Option<VaneErrorAt> {
    let finite = |(e, ci): (f64, [f64; 2])| (e.is_finite() && ci.iter().all(|c| c.is_finite())).then_some((e, ci));
    let (vane_error_deg, ci95) = estimate
        .vane_error_deg
        .zip(estimate.ci95)
        .and_then(finite)
        .or_else(|| finite(curve.eval(FALLBACK_WS_MS, None, None)))?;
    Some(VaneErrorAt { vane_error_deg, ci95, extrapolated: true })
}

#[cfg(test)]
mod tests;
