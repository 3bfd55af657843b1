//! The nacelle vane's error model of `docs/domain.md` (The vane model):
//! `vane = (1 + k) * gamma + e(state, t) + noise`, with
//! `e = static mount offset + wake bias(wind speed, rotor speed, pitch) + drift(t)`.
//!
//! This module owns `e`. The simulation and the ground truth both evaluate it through
//! [`vane_error_deg`], so what the simulated vane reads and what the truth file says it should
//! read agree by construction.
//!
//! # Wake bias
//! The vane sits behind the rotor, in flow the rotor has set turning: the swirl is the reaction
//! to rotor torque, and the swirl angle behind the rotor scales with the torque coefficient
//! `Cq = Cp / lambda` (Burton et al., *Wind Energy Handbook*, ch. 3, momentum theory with wake
//! rotation). The model is therefore
//! `base + swirl * Cq/Cq_opt + slope * tanh((ws - 8) / 4)`:
//! a constant nacelle flow distortion, a swirl term that is about constant in region 2 (constant
//! tip-speed ratio), grows in region 2.5 (rotor speed held, tip-speed ratio falling), shrinks
//! above rated as pitching unloads the rotor and vanishes when the rotor stops, and a smooth
//! speed trend for nacelle-induced flow curvature. Per-turbine parameters make it a few degrees,
//! not zero-centred, and different on every turbine.
//!
//! # Drift
//! Steps (a re-mounted or knocked vane) and slow linear ramps (wear, a loosening clamp),
//! cumulative: `drift(t)` is the sum over events of their contribution at `t`.

use serde::{Deserialize, Serialize};

use super::aero;

/// Per-turbine parameters of the wake bias, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WakeBias {
    /// Constant flow distortion at the vane position, deg.
    pub base_deg: f64,
    /// Swirl angle at the vane when the rotor runs at its optimal torque coefficient, deg.
    pub swirl_deg: f64,
    /// Amplitude of the smooth wind-speed trend `tanh((ws - 8) / 4)`, deg.
    pub ws_slope_deg: f64,
}

impl WakeBias {
    /// Wake bias at free wind `ws_ms`, rotor speed `rpm` and blade pitch `pitch_deg`, deg.
    pub fn deg(&self, ws_ms: f64, rpm: f64, pitch_deg: f64) -> f64 {
        self.deg_at_loading(ws_ms, torque_loading(ws_ms, rpm, pitch_deg))
    }

    /// Wake bias given the [`torque_loading`] already computed (the simulation needs it twice).
    pub fn deg_at_loading(&self, ws_ms: f64, loading: f64) -> f64 {
        self.base_deg + self.swirl_deg * loading + self.ws_slope_deg * ((ws_ms - 8.0) / 4.0).tanh()
    }
}

/// Rotor torque coefficient relative to its value at the optimal operating point: about 1 in
/// region 2, up to about 1.1 in region 2.5, falling above rated, 0 for a stopped rotor.
pub fn torque_loading(ws_ms: f64, rpm: f64, pitch_deg: f64) -> f64 {
    if rpm < 0.5 || ws_ms < 0.5 {
        return 0.0;
    }
    let tsr = aero::tip_speed_ratio(rpm, ws_ms);
    let cq = aero::power_coefficient(tsr, pitch_deg) / tsr;
    let cq_opt = aero::peak_power_coefficient() / aero::TSR_OPT;
    (cq / cq_opt).clamp(0.0, 2.0)
}

/// A drift event's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// The error jumps by `delta_deg` at the event time.
    Step,
    /// The error moves linearly by `delta_deg` over `duration_s` from the event time.
    Ramp,
}

/// One change of the vane error, at `start_s` seconds of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriftEvent {
    pub start_s: u64,
    pub kind: DriftKind,
    pub delta_deg: f64,
    /// 0 for steps.
    pub duration_s: u64,
}

impl DriftEvent {
    /// This event's contribution to the vane error at `t_s`, deg.
    pub fn offset_at(&self, t_s: f64) -> f64 {
        let since = t_s - self.start_s as f64;
        match self.kind {
            _ if since < 0.0 => 0.0,
            DriftKind::Step => self.delta_deg,
            DriftKind::Ramp => self.delta_deg * (since / self.duration_s.max(1) as f64).min(1.0),
        }
    }
}

/// Per-turbine vane parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VaneParams {
    /// Mounting offset, deg.
    pub static_offset_deg: f64,
    /// Gain error k: the vane reads `(1 + k)` times the true misalignment.
    pub gain_k: f64,
    pub wake: WakeBias,
    /// Standard deviation of the white measurement noise at 1 Hz, deg.
    pub noise_deg: f64,
}

/// The vane error e (deg) of a vane with `params` and drift history `drift`, at free wind
/// `ws_ms`, rotor speed `rpm`, pitch `pitch_deg` and `t_s` seconds of simulated time.
pub fn vane_error_deg(
    params: &VaneParams,
    drift: &[DriftEvent],
    ws_ms: f64,
    rpm: f64,
    pitch_deg: f64,
    t_s: f64,
) -> f64 {
    vane_error_at_loading(params, drift, ws_ms, torque_loading(ws_ms, rpm, pitch_deg), t_s)
}

/// [`vane_error_deg`] with the rotor's [`torque_loading`] already computed.
pub fn vane_error_at_loading(params: &VaneParams, drift: &[DriftEvent], ws_ms: f64, loading: f64, t_s: f64) -> f64 {
    let drift_deg: f64 = drift.iter().map(|d| d.offset_at(t_s)).sum();
    params.static_offset_deg + params.wake.deg_at_loading(ws_ms, loading) + drift_deg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> VaneParams {
        VaneParams {
            static_offset_deg: 2.0,
            gain_k: 0.0,
            wake: WakeBias { base_deg: 0.5, swirl_deg: 3.0, ws_slope_deg: 0.0 },
            noise_deg: 1.0,
        }
    }

    #[test]
    fn swirl_term_follows_the_operating_region() {
        let a = aero::aero();
        let load = |ws: f64| {
            let op = a.aligned(ws);
            torque_loading(ws, op.rotor_rpm, op.pitch_deg)
        };
        assert!((load(6.0) - 1.0).abs() < 0.02, "region 2 at the optimum: {}", load(6.0));
        assert!(load(11.0) > load(6.0), "region 2.5 loads the rotor more");
        assert!(load(20.0) < 0.6, "pitching unloads the rotor: {}", load(20.0));
        assert_eq!(torque_loading(8.0, 0.0, aero::FEATHERED_PITCH_DEG), 0.0);
    }

    #[test]
    fn steps_and_ramps_add_up() {
        let drift = [
            DriftEvent { start_s: 100, kind: DriftKind::Step, delta_deg: 3.0, duration_s: 0 },
            DriftEvent { start_s: 200, kind: DriftKind::Ramp, delta_deg: -2.0, duration_s: 100 },
        ];
        let p = params();
        let e = |t: f64| vane_error_deg(&p, &drift, 6.0, 0.0, 0.0, t);
        assert_eq!(e(99.0), 2.5);
        assert_eq!(e(100.0), 5.5);
        assert_eq!(e(250.0), 4.5);
        assert_eq!(e(1e6), 3.5);
    }
}
