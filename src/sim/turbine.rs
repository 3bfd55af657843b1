//! One simulated turbine, stepped at 1 Hz: its local wind, operating state machine, rotor
//! dynamics, vane, yaw position sensor, anemometer and yaw controller.
//!
//! # Model
//! - States (register 7): running (1), curtailed (2, a farm power cap is active), stopped (0:
//!   one-minute mean wind below cut-in 3 m/s, or ten-minute mean above cut-out 25 m/s; it
//!   restarts after the one-minute mean has stayed above 3.5 m/s, and the ten-minute mean below
//!   22 m/s, for a minute) and fault (3, planned downtime: rotor braked, no yawing).
//! - Rotor: rotor speed follows its set point with an 8 s lag (rotor inertia), pitch moves at
//!   most 5 deg/s, power follows with a 2 s lag once the rotor has reached its connection speed
//!   and drops to 0 at once on a stop or fault; stopped rotors feather and idle slowly.
//! - Nacelle anemometer: the free wind less a deficit of 5 % of the rotor loading (what is left
//!   after the controller's nacelle transfer function), times `1 + g sin^2(gamma)` where the
//!   profile sets a yaw gain g (a yawed rotor induces less, and the flow meets the nacelle at an
//!   angle), plus 0.1-0.2 m/s of noise.
//! - Air: the farm's density ratio and stability factor (`super::weather`) scale the rotor's
//!   power as a wind `cbrt(factor)` times faster would; rotor speed and pitch follow the same
//!   torque balance.
//! - Vane: `(1 + k) * gamma + e + noise` (see [`super::vane`]); a stuck vane repeats its last
//!   reading, and the yaw controller acts on it, as a real one would.
//! - Yaw position sensor: true heading plus a per-turbine north offset.
//! - Missing signals are a SCADA-side dropout: the outputs go `None`, the controller is unaffected.

use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::StandardNormal;

use super::aero::{self, CAP_LEVELS, FEATHERED_PITCH_DEG, RPM_MIN};
use super::events::{DriftPlan, IntervalPlan};
use super::vane::{self, VaneParams, WakeBias};
use super::wind::{FarmWind, LocalWind};
use super::yaw::{YawController, YawParams};
use super::{TurbineCommands, TurbineOutputs};
use crate::domain::{wrap180, wrap360};

/// Per-step smoothing factors `1 - exp(-1 s / tau)`: rotor inertia (tau 8 s) and power (2 s).
const ROTOR_SPEED_ALPHA: f64 = 0.117_503;
const POWER_ALPHA: f64 = 0.393_469;
/// Pitch actuator rate limit, deg/s.
const PITCH_RATE_DEG_S: f64 = 5.0;

/// Bits of the missing-signal mask, in [`TurbineOutputs`] field order.
pub const MISSING_ALL: u32 = 0b11_1111;

/// Per-turbine parameters, drawn once from the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurbineParams {
    pub vane: VaneParams,
    /// Exponent p of the cos^p misalignment loss.
    pub cos_exponent_p: f64,
    /// Yaw position sensor reading minus true heading, deg.
    pub north_offset_deg: f64,
    pub yaw: YawParams,
    /// Standard deviation of the anemometer noise, m/s.
    pub anemometer_noise_ms: f64,
    /// Extra anemometer reading under yaw, `1 + g sin^2(gamma)` (the profile's, not drawn).
    pub anemometer_yaw_gain: f64,
}

impl TurbineParams {
    /// Draws parameters in the ranges of `docs/domain.md` and the module docs.
    pub fn draw(rng: &mut StdRng) -> Self {
        Self {
            vane: VaneParams {
                static_offset_deg: rng.random_range(-6.0..6.0),
                gain_k: rng.random_range(-0.1..0.1),
                wake: WakeBias {
                    base_deg: rng.random_range(-1.5..1.5),
                    swirl_deg: rng.random_range(1.0..3.5),
                    ws_slope_deg: rng.random_range(-2.0..2.0),
                },
                noise_deg: rng.random_range(1.0..2.0),
            },
            cos_exponent_p: rng.random_range(1.8..3.0),
            north_offset_deg: rng.random_range(-10.0..10.0),
            yaw: YawParams {
                filter_tau_s: rng.random_range(30.0..60.0),
                dead_band_deg: rng.random_range(6.0..10.0),
                hold_s: rng.random_range(5..=20),
                yaw_rate_deg_s: rng.random_range(0.3..0.5),
                stop_tolerance_deg: rng.random_range(1.0..2.0),
            },
            anemometer_noise_ms: rng.random_range(0.1..0.2),
            anemometer_yaw_gain: 0.0,
        }
    }
}

/// The planned events of one turbine.
#[derive(Debug, Clone)]
pub struct TurbinePlans {
    pub faults: IntervalPlan,
    pub stuck_vane: IntervalPlan,
    pub missing: IntervalPlan,
    pub drift: DriftPlan,
}

/// Dynamic state of one turbine. Fields are the true values; outputs are derived.
#[derive(Debug, Clone)]
pub struct Turbine {
    pub params: TurbineParams,
    pub plans: TurbinePlans,
    pub commands: TurbineCommands,
    local: LocalWind,
    rng: StdRng,
    yaw: YawController,
    /// True nacelle heading, unwrapped deg.
    heading_deg: f64,
    ws_1min: f64,
    ws_10min: f64,
    start_timer_s: u32,
    pub state: u16,
    pub free_wind_ms: f64,
    pub wind_dir_deg: f64,
    pub gamma_deg: f64,
    pub vane_error_deg: f64,
    pub rotor_rpm: f64,
    pub pitch_deg: f64,
    pub power_kw: f64,
    pub nacelle_ws_ms: f64,
    /// What the vane reports (and the controller uses), deg.
    pub vane_deg: f64,
    pub vane_stuck: bool,
    missing_mask: u32,
    pub operating_gamma_sum_deg: f64,
    /// Sum over operating steps of the fraction of power lost to misalignment, `1 - cos^p(gamma)`.
    pub operating_loss_sum: f64,
    pub operating_steps: u64,
    pub energy_kwh: f64,
}

impl Turbine {
    /// A turbine facing the farm's mean wind, running if there is wind to run in.
    pub fn new(params: TurbineParams, plans: TurbinePlans, farm: &FarmWind, mut rng: StdRng) -> Self {
        let local = LocalWind::new(&mut rng);
        let ws = farm.mean_ms * local.speed_factor;
        let running = ws > aero::CUT_IN_MS + 0.5 && ws < aero::CUT_OUT_MS - 3.0;
        let op = aero::aero().aligned(ws);
        Self {
            params,
            plans,
            commands: TurbineCommands::default(),
            local,
            rng,
            yaw: YawController::new(params.yaw),
            heading_deg: farm.direction_deg(),
            ws_1min: ws,
            ws_10min: ws,
            start_timer_s: 0,
            state: u16::from(running),
            free_wind_ms: ws,
            wind_dir_deg: wrap360(farm.direction_deg()),
            gamma_deg: 0.0,
            vane_error_deg: params.vane.static_offset_deg,
            rotor_rpm: if running { op.rotor_rpm } else { 0.0 },
            pitch_deg: if running { op.pitch_deg } else { FEATHERED_PITCH_DEG },
            power_kw: if running { op.power_kw } else { 0.0 },
            nacelle_ws_ms: ws,
            vane_deg: 0.0,
            vane_stuck: false,
            missing_mask: 0,
            operating_gamma_sum_deg: 0.0,
            operating_loss_sum: 0.0,
            operating_steps: 0,
            energy_kwh: 0.0,
        }
    }

    /// Advances to simulated second `t` under the farm wind and a power cap level
    /// (`CAP_LEVELS` = no cap).
    /// `air_factor` is what the air does to power at the same wind: density over the ISO density
    /// of the rotor's tables, times the stability factor (`super::weather`).
    pub fn step(&mut self, t: u64, farm: &FarmWind, cap_level: usize, air_factor: f64) {
        let (ws, dir) = self.local.step(farm, &mut self.rng);
        self.free_wind_ms = ws;
        self.wind_dir_deg = wrap360(dir);
        self.ws_1min += (ws - self.ws_1min) / 60.0;
        self.ws_10min += (ws - self.ws_10min) / 600.0;
        self.update_state(t, cap_level);
        let operating = matches!(self.state, 1 | 2);

        let gamma = wrap180(dir - self.heading_deg);
        self.gamma_deg = gamma;
        let p = self.params.cos_exponent_p;
        let (rpm_target, pitch_target, power_target) = if operating {
            // Below rated, power is proportional to density times wind cubed: denser air acts
            // on the rotor like a faster wind of `cbrt(factor)` times the speed.
            let effective = aero::effective_wind_ms(ws, gamma, p) * air_factor.cbrt();
            let op = aero::aero().operating_point(effective, cap_level);
            (op.rotor_rpm, op.pitch_deg, op.power_kw)
        } else if self.state == 0 {
            ((0.12 * ws).min(2.0), FEATHERED_PITCH_DEG, 0.0)
        } else {
            (0.0, FEATHERED_PITCH_DEG, 0.0)
        };
        // Rotor inertia (8 s), pitch rate limit (5 deg/s), generator connection at 90 % of the
        // minimum rotor speed, power smoothing (2 s).
        self.rotor_rpm += (rpm_target - self.rotor_rpm) * ROTOR_SPEED_ALPHA;
        self.pitch_deg += (pitch_target - self.pitch_deg).clamp(-PITCH_RATE_DEG_S, PITCH_RATE_DEG_S);
        let connected = operating && self.rotor_rpm >= 0.9 * RPM_MIN;
        // Disconnection (stop, fault) drops power at once; while connected it follows the rotor.
        self.power_kw = if connected { self.power_kw + (power_target - self.power_kw) * POWER_ALPHA } else { 0.0 };

        let loading = vane::torque_loading(ws, self.rotor_rpm, self.pitch_deg);
        let e = vane::vane_error_at_loading(&self.params.vane, self.plans.drift.events(), ws, loading, t as f64);
        self.vane_error_deg = e;
        let stuck = self.plans.stuck_vane.active(t).is_some();
        if !stuck {
            let z: f64 = self.rng.sample(StandardNormal);
            self.vane_deg = wrap180((1.0 + self.params.vane.gain_k) * gamma + e + self.params.vane.noise_deg * z);
        }
        self.vane_stuck = stuck;

        let z: f64 = self.rng.sample(StandardNormal);
        let yawed = 1.0 + self.params.anemometer_yaw_gain * gamma.to_radians().sin().powi(2);
        self.nacelle_ws_ms = (ws * (1.0 - 0.05 * loading) * yawed + self.params.anemometer_noise_ms * z).max(0.0);

        let offset = if self.commands.correction_enable { self.commands.yaw_offset_deg } else { 0.0 };
        let sensor = self.heading_deg + self.params.north_offset_deg;
        self.heading_deg += self.yaw.step(t, sensor, self.vane_deg, offset, self.state != 3);

        self.missing_mask = self.plans.missing.active(t).map_or(0, |i| i.param);
        if operating {
            self.operating_gamma_sum_deg += gamma;
            self.operating_loss_sum += 1.0 - gamma.to_radians().cos().max(0.0).powf(p);
            self.operating_steps += 1;
        }
        self.energy_kwh += self.power_kw / 3600.0;
    }

    fn update_state(&mut self, t: u64, cap_level: usize) {
        let fault = self.plans.faults.active(t).is_some();
        let operating_state = if cap_level < CAP_LEVELS { 2 } else { 1 };
        self.state = match self.state {
            _ if fault => 3,
            3 => {
                self.start_timer_s = 0;
                0
            }
            1 | 2 if self.ws_1min < aero::CUT_IN_MS || self.ws_10min > aero::CUT_OUT_MS => 0,
            1 | 2 => operating_state,
            _ => {
                let can_start = self.ws_1min > aero::CUT_IN_MS + 0.5 && self.ws_10min < aero::CUT_OUT_MS - 3.0;
                self.start_timer_s = if can_start { self.start_timer_s + 1 } else { 0 };
                if self.start_timer_s >= 60 { operating_state } else { 0 }
            }
        };
    }

    /// What the controller shows: the true state through its sensors, with dropouts applied.
    pub fn outputs(&self) -> TurbineOutputs {
        let m = self.missing_mask;
        let keep = |bit: u32, v: f64| if m & (1 << bit) == 0 { Some(v) } else { None };
        TurbineOutputs {
            wind_speed_ms: keep(0, self.nacelle_ws_ms),
            vane_deg: keep(1, self.vane_deg),
            nacelle_deg: keep(2, self.nacelle_deg()),
            power_kw: keep(3, self.power_kw),
            rotor_rpm: keep(4, self.rotor_rpm),
            pitch_deg: keep(5, self.pitch_deg),
            state: self.state,
        }
    }

    /// Yaw position sensor reading, deg in [0, 360).
    pub fn nacelle_deg(&self) -> f64 {
        wrap360(self.heading_deg + self.params.north_offset_deg)
    }

    /// True nacelle heading, deg in [0, 360).
    pub fn heading_deg(&self) -> f64 {
        wrap360(self.heading_deg)
    }

    /// True while a yaw action is in progress.
    pub fn is_yawing(&self) -> bool {
        self.yaw.is_yawing()
    }

    /// Offset the controller currently applies, deg.
    pub fn applied_offset_deg(&self) -> f64 {
        if self.commands.correction_enable { self.commands.yaw_offset_deg } else { 0.0 }
    }
}
