//! The wind the simulated farm sees, at 1 Hz: a farm-wide mean speed and direction plus
//! turbulence that is partly shared across the farm and partly local to each turbine.
//!
//! # Model
//! - Mean speed: regimes lasting exponentially distributed times (mean 6 h) whose target is
//!   drawn from a Weibull distribution (scale 8.5 m/s, shape 2, a good onshore site at hub
//!   height); the mean relaxes towards the target as an Ornstein-Uhlenbeck (OU) process with a
//!   1 h time constant and 0.6 m/s of its own variability.
//! - Longitudinal turbulence: standard deviation from the IEC 61400-1 ed. 3 normal turbulence
//!   model's expected value, `I_ref * (0.75 * U + 3.8)` with `I_ref = 0.10` (about 12 % at
//!   8 m/s, 10 % at 15 m/s). It is the sum of a farm-wide OU process (60 s) carrying 40 % of
//!   the variance and a per-turbine OU process (20-60 s, drawn per turbine).
//! - Direction: a slow random walk (about 6 degrees per day), a farm-wide meander (OU, 6 deg,
//!   15 min), frontal shifts of 20-60 degrees that veer the mean over 15-90 minutes, and lateral
//!   turbulence at each turbine of `atan(0.8 * sigma_u / U)` (the lateral-to-longitudinal ratio
//!   of IEC 61400-1), shared and local like the speed turbulence.
//!
//! OU processes are stepped exactly (`x' = a x + sqrt(1 - a^2) z`), so the statistics do not
//! depend on the step length. Nothing here allocates per step.

use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Exp, StandardNormal, Weibull};

/// Share of turbulence variance common to the whole farm.
const SHARED_VARIANCE: f64 = 0.4;
/// Reference turbulence intensity of the expected-value turbulence model.
const I_REF: f64 = 0.10;

/// Unit-variance Ornstein-Uhlenbeck process stepped at 1 s.
#[derive(Debug, Clone, Copy)]
pub struct UnitOu {
    a: f64,
    b: f64,
    pub x: f64,
}

impl UnitOu {
    /// A process with time constant `tau_s` seconds, starting at `x0`.
    pub fn new(tau_s: f64, x0: f64) -> Self {
        let a = (-1.0 / tau_s).exp();
        Self { a, b: (1.0 - a * a).sqrt(), x: x0 }
    }

    /// Advances one second and returns the new value.
    pub fn step(&mut self, rng: &mut StdRng) -> f64 {
        let z: f64 = rng.sample(StandardNormal);
        self.x = self.a * self.x + self.b * z;
        self.x
    }
}

/// Longitudinal turbulence standard deviation at mean speed `u`, m/s.
pub fn sigma_u(u: f64) -> f64 {
    I_REF * (0.75 * u + 3.8)
}

/// Farm-wide wind state.
#[derive(Debug, Clone)]
pub struct FarmWind {
    /// Target of the current regime, m/s, and the step at which the regime ends.
    regime_ms: f64,
    regime_ends: u64,
    /// Mean speed without its own variability, relaxing towards the regime target, m/s.
    core_ms: f64,
    /// Ten-minute-scale mean wind speed, m/s.
    pub mean_ms: f64,
    mean_noise: UnitOu,
    /// Shared parts of the speed and lateral turbulence (unit variance).
    pub gust: UnitOu,
    pub lateral: UnitOu,
    /// Slowly wandering synoptic direction (unwrapped degrees) and its meander.
    base_dir_deg: f64,
    meander: UnitOu,
    /// Frontal shift in progress: degrees still to veer and degrees per step.
    front_left_deg: f64,
    front_rate_deg: f64,
    next_front: u64,
    fronts_per_day: f64,
}

impl FarmWind {
    /// The farm wind at step 0, with `fronts_per_day` frontal shifts a day on average.
    pub fn new(rng: &mut StdRng, fronts_per_day: f64) -> Self {
        let regime_ms = draw_regime(rng);
        let mut w = Self {
            regime_ms,
            regime_ends: 0,
            core_ms: regime_ms,
            mean_ms: regime_ms,
            mean_noise: UnitOu::new(3600.0, 0.0),
            gust: UnitOu::new(60.0, rng.sample(StandardNormal)),
            lateral: UnitOu::new(60.0, rng.sample(StandardNormal)),
            base_dir_deg: rng.random_range(0.0..360.0),
            meander: UnitOu::new(900.0, rng.sample(StandardNormal)),
            front_left_deg: 0.0,
            front_rate_deg: 0.0,
            next_front: u64::MAX,
            fronts_per_day,
        };
        w.regime_ends = draw_duration(rng, 6.0 * 3600.0);
        w.next_front = next_event(rng, 0, fronts_per_day);
        w
    }

    /// Advances the farm wind to step `t` (seconds since start).
    pub fn step(&mut self, t: u64, rng: &mut StdRng) {
        if t >= self.regime_ends {
            self.regime_ms = draw_regime(rng);
            self.regime_ends = t + draw_duration(rng, 6.0 * 3600.0);
        }
        // Relax towards the regime target with a 1 h time constant; the OU term adds its own
        // slow variability so a regime is never a flat line.
        self.core_ms = self.regime_ms + self.mean_noise.a * (self.core_ms - self.regime_ms);
        self.mean_ms = (self.core_ms + 0.6 * self.mean_noise.step(rng)).max(0.3);
        self.gust.step(rng);
        self.lateral.step(rng);
        self.meander.step(rng);
        let walk: f64 = rng.sample(StandardNormal);
        self.base_dir_deg += 0.02 * walk;
        if t >= self.next_front {
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            self.front_left_deg = sign * rng.random_range(20.0..60.0);
            self.front_rate_deg = self.front_left_deg / rng.random_range(900.0..5400.0);
            self.next_front = next_event(rng, t, self.fronts_per_day);
        }
        if self.front_left_deg != 0.0 {
            let d = if self.front_left_deg.abs() <= self.front_rate_deg.abs() {
                self.front_left_deg
            } else {
                self.front_rate_deg
            };
            self.base_dir_deg += d;
            self.front_left_deg -= d;
        }
    }

    /// Farm-mean wind direction, degrees (unwrapped; callers wrap).
    pub fn direction_deg(&self) -> f64 {
        self.base_dir_deg + 6.0 * self.meander.x
    }
}

/// The local wind at one turbine: site speed-up and the local turbulence processes.
#[derive(Debug, Clone)]
pub struct LocalWind {
    /// Mean speed-up of the site relative to the farm mean (terrain, wakes).
    pub speed_factor: f64,
    gust: UnitOu,
    lateral: UnitOu,
}

impl LocalWind {
    /// Draws a site's speed-up and turbulence time constant (20-60 s).
    pub fn new(rng: &mut StdRng) -> Self {
        let tau = rng.random_range(20.0..60.0);
        Self {
            speed_factor: rng.random_range(0.96..1.04),
            gust: UnitOu::new(tau, rng.sample(StandardNormal)),
            lateral: UnitOu::new(tau, rng.sample(StandardNormal)),
        }
    }

    /// Advances the local turbulence and returns (free wind speed m/s, direction deg unwrapped).
    pub fn step(&mut self, farm: &FarmWind, rng: &mut StdRng) -> (f64, f64) {
        let shared = SHARED_VARIANCE.sqrt();
        let own = (1.0 - SHARED_VARIANCE).sqrt();
        let g = shared * farm.gust.x + own * self.gust.step(rng);
        let l = shared * farm.lateral.x + own * self.lateral.step(rng);
        let u_mean = farm.mean_ms * self.speed_factor;
        let su = sigma_u(u_mean);
        let ws = (u_mean + su * g).max(0.0);
        // Lateral turbulence seen as a direction fluctuation; capped because at near-calm the
        // small-angle picture breaks down and the direction is simply ill-defined.
        let sigma_dir = (0.8 * su / u_mean.max(0.5)).atan().to_degrees().min(25.0);
        (ws, farm.direction_deg() + sigma_dir * l)
    }
}

fn draw_regime(rng: &mut StdRng) -> f64 {
    let w = Weibull::new(8.5_f64, 2.0).expect("valid Weibull parameters");
    w.sample(rng).clamp(0.5, 24.0)
}

/// An exponentially distributed duration with the given mean, at least one minute.
fn draw_duration(rng: &mut StdRng, mean_s: f64) -> u64 {
    let e = Exp::new(1.0 / mean_s).expect("positive rate");
    (e.sample(rng) as u64).max(60)
}

/// Time of the next event of a Poisson process with `per_day` events per day after `t`.
pub fn next_event(rng: &mut StdRng, t: u64, per_day: f64) -> u64 {
    if per_day <= 0.0 {
        return u64::MAX;
    }
    t + draw_duration(rng, 86_400.0 / per_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn turbulence_intensity_is_about_ten_percent_and_mean_speed_is_site_like() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut farm = FarmWind::new(&mut rng, 0.5);
        let mut local = LocalWind::new(&mut rng);
        let (mut sum, mut n, mut ti_sum, mut ti_n) = (0.0, 0.0, 0.0, 0.0);
        let mut window = Vec::with_capacity(600);
        for t in 0..30 * 86_400u64 {
            farm.step(t, &mut rng);
            let (ws, _) = local.step(&farm, &mut rng);
            sum += ws;
            n += 1.0;
            window.push(ws);
            if window.len() == 600 {
                let m = window.iter().sum::<f64>() / 600.0;
                let sd = (window.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 600.0).sqrt();
                if (7.0..9.0).contains(&m) {
                    ti_sum += sd / m;
                    ti_n += 1.0;
                }
                window.clear();
            }
        }
        let mean = sum / n;
        assert!((5.0..10.0).contains(&mean), "30-day mean wind {mean}");
        let ti = ti_sum / ti_n;
        assert!((0.07..0.14).contains(&ti), "10-minute TI at 8 m/s {ti}");
    }
}
