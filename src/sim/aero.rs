//! Rotor aerodynamics and the operating schedule of the simulated 2 MW turbine: power, rotor
//! speed and pitch as functions of the effective wind speed, with and without a power cap.
//!
//! # Model
//! - Rotor: 87 m diameter, 2,000 kW rated, the size class of a Gamesa G87 or Vestas V90-2.0.
//! - Power coefficient at fine pitch: the analytic Cp(lambda) of Heier (1998, *Grid Integration
//!   of Wind Energy Conversion Systems*; also Slootweg et al. 2003 and MathWorks' wind turbine
//!   block), peak 0.48 at tip-speed ratio 8.1, times a drive-train and electrical efficiency of
//!   0.92, so the electrical Cp peaks at 0.44 (typical of MW-class turbines). Below a tip-speed
//!   ratio of 5.5 the fit falls far faster than a real, stalling rotor does (it would make
//!   fine-pitch power drop below rated at high wind), so Cp is held at its value there.
//! - Pitch: `Cp(lambda, beta) = Cp_fine(lambda) * exp(-beta / 10.7 deg)`. Heier's own pitch
//!   term is not monotonic at the low tip-speed ratios of region 3, so it cannot be inverted
//!   there; the exponential is monotonic, and its scale puts the pitch at cut-out near
//!   23 degrees, as in the steady-state schedule of the NREL 5-MW reference turbine (Jonkman et
//!   al. 2009, NREL/TP-500-38060). Pitch, power and the rotor's torque (which drives the vane's
//!   wake bias) all come from this one surface, so they are mutually consistent.
//! - Variable speed: region 2 tracks the optimal tip-speed ratio between 6 and 15 rpm; region
//!   2.5 holds 15 rpm while the tip-speed ratio falls; region 3 pitches to hold rated power.
//!   With cut-in 3 m/s and cut-out 25 m/s this gives rated power at about 12 m/s and a curve
//!   within a few percent of published 2 MW curves (for example 820 kW at 8 m/s).
//! - Yaw misalignment gamma: the rotor behaves like an aligned rotor in the effective wind
//!   `ws * cos(gamma)^(p/3)`, so below rated power falls exactly as cos^p (p in 1.8..3, see
//!   `docs/domain.md`) and above rated the pitch controller recovers the loss while it can.
//!   Rotor speed and pitch follow that effective wind, as a torque-controlled rotor does.
//! - A power cap (curtailment) is met by pitching at the normal rotor-speed schedule.
//!
//! Everything is tabulated once per process on a 0.05 m/s grid, so a simulation step costs a
//! table lookup.

use std::sync::OnceLock;

/// Rated electrical power, kW.
pub const RATED_POWER_KW: f64 = 2000.0;
/// Rotor diameter, m.
pub const ROTOR_DIAMETER_M: f64 = 87.0;
/// Air density, kg/m^3 (ISO standard atmosphere at sea level).
pub const AIR_DENSITY_KG_M3: f64 = 1.225;
/// The turbine starts when the one-minute mean wind exceeds this (plus a hysteresis), m/s.
pub const CUT_IN_MS: f64 = 3.0;
/// The turbine stops when the short-term mean wind exceeds this, m/s.
pub const CUT_OUT_MS: f64 = 25.0;
/// Lowest generator-connected rotor speed, rpm.
pub const RPM_MIN: f64 = 6.0;
/// Rated rotor speed, rpm.
pub const RPM_RATED: f64 = 15.0;
/// Pitch of a feathered (stopped or idling) rotor, degrees.
pub const FEATHERED_PITCH_DEG: f64 = 88.0;

/// Tip-speed ratio at which Cp peaks for the Heier coefficients.
pub const TSR_OPT: f64 = 8.1;
/// Mechanical and electrical losses between rotor and grid.
const DRIVETRAIN_EFFICIENCY: f64 = 0.92;
/// Below this tip-speed ratio the fine-pitch Cp is held constant (see the module docs).
const STALL_TSR: f64 = 5.5;
/// Pitch angle over which Cp falls by a factor e, deg.
const PITCH_SCALE_DEG: f64 = 10.7;
/// Table resolution and range of the effective wind speed, m/s.
const GRID_MS: f64 = 0.05;
const GRID_MAX_MS: f64 = 35.0;
/// Number of power-cap levels: level `n` caps at `n/10` of rated power, level 10 is no cap.
pub const CAP_LEVELS: usize = 10;

/// Steady state of the rotor at one effective wind speed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OperatingPoint {
    pub power_kw: f64,
    pub rotor_rpm: f64,
    pub pitch_deg: f64,
}

fn heier_fine_pitch(tsr: f64) -> f64 {
    let inv_li = 1.0 / tsr - 0.035;
    (0.5176 * (116.0 * inv_li - 5.0) * (-21.0 * inv_li).exp() + 0.0068 * tsr).max(0.0)
}

/// The model's aerodynamic power coefficient (before drive-train losses) at tip-speed ratio
/// `tsr` and pitch `pitch_deg`: Heier's fine-pitch curve, held below a tip-speed ratio of 5.5,
/// times `exp(-pitch / 10.7 deg)`.
pub fn power_coefficient(tsr: f64, pitch_deg: f64) -> f64 {
    heier_fine_pitch(tsr.max(STALL_TSR)) * (-pitch_deg.max(0.0) / PITCH_SCALE_DEG).exp()
}

/// The peak of [`power_coefficient`], used to normalise torque in the wake-bias model.
pub fn peak_power_coefficient() -> f64 {
    power_coefficient(TSR_OPT, 0.0)
}

/// Tip-speed ratio at rotor speed `rpm` in wind `ws_ms` (floored to avoid dividing by zero).
pub fn tip_speed_ratio(rpm: f64, ws_ms: f64) -> f64 {
    rpm * std::f64::consts::TAU / 60.0 * (ROTOR_DIAMETER_M / 2.0) / ws_ms.max(0.5)
}

/// Rotor-speed set point of the variable-speed schedule: optimal tip-speed ratio, clamped.
pub fn scheduled_rpm(ws_ms: f64) -> f64 {
    let optimal = TSR_OPT * ws_ms / (ROTOR_DIAMETER_M / 2.0) * 60.0 / std::f64::consts::TAU;
    optimal.clamp(RPM_MIN, RPM_RATED)
}

fn power_kw(ws_ms: f64, rpm: f64, pitch_deg: f64) -> f64 {
    let area = std::f64::consts::PI * (ROTOR_DIAMETER_M / 2.0).powi(2);
    let cp = power_coefficient(tip_speed_ratio(rpm, ws_ms), pitch_deg);
    0.5 * AIR_DENSITY_KG_M3 * area * ws_ms.powi(3) * cp * DRIVETRAIN_EFFICIENCY / 1000.0
}

/// Steady state at `ws_ms` with power capped at `cap_kw`: fine pitch until the cap is reached,
/// then the pitch that sheds the excess.
fn solve(ws_ms: f64, cap_kw: f64) -> OperatingPoint {
    let rotor_rpm = scheduled_rpm(ws_ms);
    let fine = power_kw(ws_ms, rotor_rpm, 0.0);
    if fine <= cap_kw {
        return OperatingPoint { power_kw: fine, rotor_rpm, pitch_deg: 0.0 };
    }
    OperatingPoint { power_kw: cap_kw, rotor_rpm, pitch_deg: PITCH_SCALE_DEG * (fine / cap_kw).ln() }
}

/// The tabulated schedule, one table per cap level.
pub struct Aero {
    tables: Vec<Vec<OperatingPoint>>,
}

/// The process-wide schedule, built on first use (a few milliseconds).
pub fn aero() -> &'static Aero {
    static AERO: OnceLock<Aero> = OnceLock::new();
    AERO.get_or_init(Aero::build)
}

impl Aero {
    fn build() -> Self {
        let n = (GRID_MAX_MS / GRID_MS).round() as usize + 1;
        let tables = (1..=CAP_LEVELS)
            .map(|level| {
                let cap = RATED_POWER_KW * level as f64 / CAP_LEVELS as f64;
                (0..n).map(|j| solve(j as f64 * GRID_MS, cap)).collect()
            })
            .collect();
        Self { tables }
    }

    /// Steady state at effective wind `ws_eff_ms` with the power cap of `cap_level`
    /// (1..=[`CAP_LEVELS`], tenths of rated power; out-of-range levels are clamped).
    /// Linear interpolation between grid points; speeds beyond the grid use its last point.
    pub fn operating_point(&self, ws_eff_ms: f64, cap_level: usize) -> OperatingPoint {
        let table = &self.tables[cap_level.clamp(1, CAP_LEVELS) - 1];
        let x = (ws_eff_ms.max(0.0) / GRID_MS).min((table.len() - 1) as f64);
        let j = (x as usize).min(table.len() - 2);
        let f = x - j as f64;
        let (a, b) = (table[j], table[j + 1]);
        OperatingPoint {
            power_kw: a.power_kw + f * (b.power_kw - a.power_kw),
            rotor_rpm: a.rotor_rpm + f * (b.rotor_rpm - a.rotor_rpm),
            pitch_deg: a.pitch_deg + f * (b.pitch_deg - a.pitch_deg),
        }
    }

    /// Aligned, uncapped steady state at free wind `ws_ms`: the "typical operating state"
    /// the ground truth evaluates vane errors at.
    pub fn aligned(&self, ws_ms: f64) -> OperatingPoint {
        self.operating_point(ws_ms, CAP_LEVELS)
    }
}

/// Effective wind speed of a rotor misaligned by `gamma_deg` with loss exponent `p`: the
/// aligned wind that gives the same available power, `ws * cos(gamma)^(p/3)`.
pub fn effective_wind_ms(ws_ms: f64, gamma_deg: f64, p: f64) -> f64 {
    let c = gamma_deg.to_radians().cos();
    if c <= 0.0 { 0.0 } else { ws_ms * (c.ln() * p / 3.0).exp() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_curve_has_the_shape_of_a_2_mw_turbine() {
        let a = aero();
        let p = |ws: f64| a.aligned(ws).power_kw;
        assert!(p(2.9) < 40.0, "hardly any power below cut-in: {}", p(2.9));
        let mut last = 0.0;
        for i in 30..=250 {
            let now = p(i as f64 / 10.0);
            assert!(now >= last - 1e-6, "monotonic at {} m/s", i as f64 / 10.0);
            last = now;
        }
        let rated_at = (300..2500).map(|i| i as f64 / 100.0).find(|ws| p(*ws) >= RATED_POWER_KW - 0.5).unwrap();
        assert!((11.5..12.5).contains(&rated_at), "rated at {rated_at} m/s");
        assert!((750.0..900.0).contains(&p(8.0)), "8 m/s gives {}", p(8.0));
        assert!((p(20.0) - RATED_POWER_KW).abs() < 0.5);
        let cp_peak = peak_power_coefficient() * DRIVETRAIN_EFFICIENCY;
        assert!((0.42..0.46).contains(&cp_peak), "electrical Cp peak {cp_peak}");
    }

    #[test]
    fn rotor_speed_and_pitch_follow_the_operating_region() {
        let a = aero();
        assert_eq!(a.aligned(3.0).rotor_rpm, RPM_MIN);
        assert!(a.aligned(7.0).rotor_rpm > RPM_MIN && a.aligned(7.0).rotor_rpm < RPM_RATED);
        assert_eq!(a.aligned(11.0).rotor_rpm, RPM_RATED);
        assert_eq!(a.aligned(10.0).pitch_deg, 0.0);
        let (p15, p20, p25) = (a.aligned(15.0).pitch_deg, a.aligned(20.0).pitch_deg, a.aligned(25.0).pitch_deg);
        assert!(p15 > 4.0 && p20 > p15 && p25 > p20, "pitch rises above rated: {p15} {p20} {p25}");
        assert!((20.0..26.0).contains(&p25), "pitch at cut-out {p25}");
    }

    #[test]
    fn misalignment_loss_below_rated_is_cos_to_the_p() {
        let a = aero();
        for p in [1.8, 2.4, 3.0] {
            for gamma in [5.0_f64, 10.0, 20.0, -15.0] {
                let ratio = a.aligned(effective_wind_ms(8.0, gamma, p)).power_kw / a.aligned(8.0).power_kw;
                let want = gamma.to_radians().cos().powf(p);
                assert!((ratio - want).abs() < 2e-3, "p {p} gamma {gamma}: {ratio} vs {want}");
            }
        }
        // Well above rated the pitch controller absorbs a small misalignment.
        let eff = effective_wind_ms(18.0, 10.0, 2.0);
        assert!((a.aligned(eff).power_kw - RATED_POWER_KW).abs() < 0.5);
    }

    #[test]
    fn a_power_cap_is_met_by_pitching() {
        let a = aero();
        let capped = a.operating_point(14.0, 6);
        assert!((capped.power_kw - 1200.0).abs() < 1.0, "{capped:?}");
        assert!(capped.pitch_deg > a.aligned(14.0).pitch_deg);
        assert_eq!(a.operating_point(5.0, 6), a.aligned(5.0));
    }
}
