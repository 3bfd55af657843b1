//! Synthetic farms for the consensus tests, built from the vane model of `docs/domain.md` directly:
//! a farm-wide direction random walk, per-turbine lateral turbulence (AR(1) over windows), a yaw
//! controller that keeps the window-mean vane reading within a dead band around 0, a vane reading
//! `(1 + k) γ + e + noise` and a yaw sensor reading heading + north offset.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::{DirectionWindow, VaneCorrection};
use crate::domain::{wrap180, wrap360};

/// Windows per day at 10 minutes.
pub const PER_DAY: usize = 144;

/// A change of one turbine's `nacelle + vane` by `delta_deg` over windows `[from, to)`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub turbine: usize,
    pub from: usize,
    pub to: usize,
    pub delta_deg: f64,
    /// true: a north-offset change (the corrected direction moves too); false: a vane-error
    /// change (e moves, the controller follows it).
    pub north: bool,
}

/// A farm to simulate.
pub struct TestFarm {
    pub north_offsets: Vec<f64>,
    pub vane_errors: Vec<f64>,
    pub gains: Vec<f64>,
    pub days: usize,
    /// Farm direction at the start, degrees.
    pub start_dir_deg: f64,
    /// Random-walk step of the farm direction per window, degrees (1 sd).
    pub walk_deg: f64,
    /// Per-turbine lateral noise of a window mean, degrees (1 sd), one per turbine.
    pub noise_deg: Vec<f64>,
    pub steps: Vec<Step>,
    /// Wake-bias slope per turbine: e moves by `slope * tanh((ws - 8) / 4)`, degrees.
    pub wake_slope_deg: Vec<f64>,
    /// From this window on the wind blows 10-12 m/s instead of 4-12 m/s.
    pub high_wind_from: usize,
}

impl TestFarm {
    /// Five turbines with offsets and vane errors like the simulator's (a few degrees each).
    pub fn five(days: usize) -> Self {
        Self {
            north_offsets: vec![-7.5, 5.6, 7.7, 8.8, -9.0],
            vane_errors: vec![3.8, 5.5, 4.2, -2.1, -4.4],
            gains: vec![-0.03, -0.05, 0.0, 0.06, 0.04],
            days,
            start_dir_deg: 240.0,
            walk_deg: 1.5,
            noise_deg: vec![1.5; 5],
            steps: Vec::new(),
            wake_slope_deg: vec![0.0; 5],
            high_wind_from: usize::MAX,
        }
    }

    pub fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    }

    pub fn time(k: usize) -> DateTime<Utc> {
        Self::start() + Duration::minutes(10 * k as i64)
    }

    /// Turbine ids are 1..=n.
    pub fn windows(&self, seed: u64) -> Vec<DirectionWindow> {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = self.north_offsets.len();
        let std = Normal::new(0.0, 1.0).unwrap();
        let mut dir = self.start_dir_deg;
        let mut local = vec![0.0; n];
        let mut out = Vec::with_capacity(self.days * PER_DAY * n);
        for k in 0..self.days * PER_DAY {
            dir += self.walk_deg * std.sample(&mut rng);
            let ws: f64 =
                if k >= self.high_wind_from { rng.random_range(10.0..12.0) } else { rng.random_range(4.0..12.0) };
            for (i, local) in local.iter_mut().enumerate() {
                *local = 0.6 * *local + 0.8 * self.noise_deg[i] * std.sample(&mut rng);
                let wake = self.wake_slope_deg[i] * ((ws - 8.0) / 4.0).tanh();
                let (mut north, mut e) = (self.north_offsets[i], self.vane_errors[i] + wake);
                for s in self.steps.iter().filter(|s| s.turbine == i && (s.from..s.to).contains(&k)) {
                    if s.north { north += s.delta_deg } else { e += s.delta_deg }
                }
                let k_gain = self.gains[i];
                // The controller holds the window-mean vane reading within ±2 degrees (1 sd).
                let v_target = 2.0 * std.sample(&mut rng);
                let gamma = (v_target - e) / (1.0 + k_gain);
                let heading = dir + *local - gamma;
                out.push(DirectionWindow {
                    turbine_id: i as i32 + 1,
                    time: Self::time(k),
                    nacelle_deg: wrap360(heading + north),
                    vane_deg: wrap180((1.0 + k_gain) * gamma + e + 0.3 * std.sample(&mut rng)),
                    wind_speed_ms: ws,
                });
            }
        }
        out
    }

    /// Offsets relative to the farm mean.
    pub fn offsets_minus_mean(&self) -> Vec<f64> {
        let m = self.north_offsets.iter().sum::<f64>() / self.north_offsets.len() as f64;
        self.north_offsets.iter().map(|o| o - m).collect()
    }

    /// The exact (constant) vane correction of this farm.
    pub fn correction(&self) -> Exact {
        Exact {
            e: self.vane_errors.iter().enumerate().map(|(i, e)| (i as i32 + 1, *e)).collect(),
            k: self.gains.iter().enumerate().map(|(i, k)| (i as i32 + 1, *k)).collect(),
        }
    }
}

/// A constant vane correction per turbine.
pub struct Exact {
    pub e: HashMap<i32, f64>,
    pub k: HashMap<i32, f64>,
}

impl VaneCorrection for Exact {
    fn vane_error_deg(&self, turbine_id: i32, _wind_speed_ms: f64) -> Option<f64> {
        self.e.get(&turbine_id).copied()
    }

    fn gain(&self, turbine_id: i32) -> f64 {
        self.k.get(&turbine_id).copied().unwrap_or(0.0)
    }
}
