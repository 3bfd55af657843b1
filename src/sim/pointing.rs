//! Truth summaries of how well a simulated turbine pointed over a stretch of time, for whoever
//! wants to show or test what a correction really did: the mean true misalignment, the power
//! lost to it by the turbine's own `cos^p` law, and the energy a better pointing recovered.
//! Everything is read from the physics' running sums ([`TrueState`]), never from what trueyaw
//! estimated, so a wrong estimate cannot make itself look good.

use super::aero;
use super::physics::{FarmPhysics, TrueState};

/// Free wind speeds whose vane errors make up the operating vane error, m/s: the 4-11 m/s bins
/// the estimators' `vane_error_deg` and `trueyaw evaluate` average over (`docs/domain.md`).
const OPERATING_BINS_MS: std::ops::RangeInclusive<u32> = 4..=11;

const HOURS_PER_YEAR: f64 = 8766.0;

/// The true operating vane error of turbine `index` now: the mean of e over the 4-11 m/s bins,
/// each at its aligned steady state, the same quantity the truth file and the estimators give.
pub fn operating_vane_error_deg(physics: &FarmPhysics, index: usize) -> f64 {
    let a = aero::aero();
    let t = physics.sim_time_s() as f64;
    let n = OPERATING_BINS_MS.clone().count() as f64;
    OPERATING_BINS_MS
        .map(|ws| {
            let op = a.aligned(f64::from(ws));
            physics.vane_error_deg(index, f64::from(ws), op.rotor_rpm, op.pitch_deg, t)
        })
        .sum::<f64>()
        / n
}

/// How a turbine pointed between two of its [`TrueState`]s (over steps in state 1 or 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pointing {
    /// Simulated hours between the two states, and the hours of them spent operating.
    pub hours: f64,
    pub operating_hours: f64,
    /// Mean true misalignment gamma, deg: the bias an offset can remove.
    pub mean_gamma_deg: f64,
    /// Mean |gamma|, deg: the bias plus the wander of yaw control (dead band, turbulence).
    pub mean_abs_gamma_deg: f64,
    /// Mean fraction of power lost to misalignment, `1 - cos^p(gamma)` with the true p.
    pub loss_fraction: f64,
    /// Energy produced, kWh, and the mean power over all the hours, kW.
    pub energy_kwh: f64,
    pub mean_power_kw: f64,
}

impl Pointing {
    /// The pointing from `a` to the later `b`, or None if the turbine did not operate between.
    pub fn between(a: &TrueState, b: &TrueState) -> Option<Pointing> {
        let steps = b.operating_steps.checked_sub(a.operating_steps).filter(|&n| n > 0)? as f64;
        let hours = b.sim_time_s.saturating_sub(a.sim_time_s) as f64 / 3600.0;
        let energy_kwh = b.energy_kwh - a.energy_kwh;
        Some(Pointing {
            hours,
            operating_hours: steps / 3600.0,
            mean_gamma_deg: (b.operating_gamma_sum_deg - a.operating_gamma_sum_deg) / steps,
            mean_abs_gamma_deg: (b.operating_abs_gamma_sum_deg - a.operating_abs_gamma_sum_deg) / steps,
            loss_fraction: (b.operating_loss_sum - a.operating_loss_sum) / steps,
            energy_kwh,
            mean_power_kw: if hours > 0.0 { energy_kwh / hours } else { 0.0 },
        })
    }
}

/// Energy that pointing as in `after` instead of as in `before` recovered, from the loss
/// fractions alone so that a windier `after` period does not pass for a gain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovered {
    /// Share of the aligned turbine's power won back, percentage points.
    pub power_pct: f64,
    /// Over the `after` period, kWh: what it produced, scaled by the loss it avoided.
    pub energy_kwh: f64,
    /// Over a year at the `after` period's mean power, MWh (a rough scale: one period's wind
    /// is not a year's).
    pub mwh_per_year: f64,
}

/// What `after`'s pointing recovered over `before`'s (negative if it pointed worse).
pub fn recovered(before: &Pointing, after: &Pointing) -> Recovered {
    let gained = before.loss_fraction - after.loss_fraction;
    // The energy an aligned turbine would have produced in `after` is what it did produce over
    // the share it kept; the recovered part is `gained` of that.
    let aligned_kwh = after.energy_kwh / (1.0 - after.loss_fraction).max(1e-6);
    let aligned_kw = after.mean_power_kw / (1.0 - after.loss_fraction).max(1e-6);
    Recovered {
        power_pct: 100.0 * gained,
        energy_kwh: aligned_kwh * gained,
        mwh_per_year: aligned_kw * gained * HOURS_PER_YEAR / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(t: u64, steps: u64, gamma: f64, abs: f64, loss: f64, kwh: f64) -> TrueState {
        let mut s = FarmPhysics::new(1, 1, &super::super::physics::SimProfile::clean()).true_state(0);
        s.sim_time_s = t;
        s.operating_steps = steps;
        s.operating_gamma_sum_deg = gamma;
        s.operating_abs_gamma_sum_deg = abs;
        s.operating_loss_sum = loss;
        s.energy_kwh = kwh;
        s
    }

    #[test]
    fn pointing_is_the_mean_over_operating_steps_between_two_states() {
        let a = state(0, 0, 0.0, 0.0, 0.0, 0.0);
        let b = state(7200, 3600, 3600.0 * -3.0, 3600.0 * 4.0, 3600.0 * 0.02, 1000.0);
        let p = Pointing::between(&a, &b).unwrap();
        assert_eq!((p.hours, p.operating_hours), (2.0, 1.0));
        assert!((p.mean_gamma_deg + 3.0).abs() < 1e-9 && (p.mean_abs_gamma_deg - 4.0).abs() < 1e-9);
        assert!((p.loss_fraction - 0.02).abs() < 1e-12 && (p.mean_power_kw - 500.0).abs() < 1e-9);
        assert!(Pointing::between(&b, &b).is_none(), "no operating steps between");
    }

    #[test]
    fn recovered_energy_follows_the_loss_not_the_wind() {
        let before = Pointing {
            hours: 1.0,
            operating_hours: 1.0,
            mean_gamma_deg: -4.0,
            mean_abs_gamma_deg: 5.0,
            loss_fraction: 0.03,
            energy_kwh: 2000.0,
            mean_power_kw: 2000.0,
        };
        // Half the wind's energy after, one point less loss: a gain, not a loss of 1000 kWh.
        let after = Pointing { loss_fraction: 0.02, energy_kwh: 980.0, mean_power_kw: 980.0, ..before };
        let r = recovered(&before, &after);
        assert!((r.power_pct - 1.0).abs() < 1e-9);
        assert!((r.energy_kwh - 10.0).abs() < 1e-9, "{r:?}");
        assert!((r.mwh_per_year - 87.66).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn the_operating_vane_error_is_the_truths_mean_over_the_operating_bins() {
        let physics = FarmPhysics::new(3, 2, &super::super::physics::SimProfile::clean());
        let truth = super::super::truth::Truth::from_physics(&physics, chrono::Utc::now(), 1.0, "test");
        let bins = &truth.turbines[1].vane_error_by_bin[0].bins;
        let ops: Vec<f64> = bins.iter().filter(|b| (4.0..=11.0).contains(&b.ws)).map(|b| b.vane_error_deg).collect();
        let mean = ops.iter().sum::<f64>() / ops.len() as f64;
        assert!((operating_vane_error_deg(&physics, 1) - mean).abs() < 1e-9);
    }
}
