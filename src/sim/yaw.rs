//! The simulated turbine's yaw controller: it only knows its vane and its yaw position sensor,
//! exactly like a real one, so every vane error becomes a pointing error.
//!
//! # Model
//! The controller low-pass filters the wind direction it infers, `nacelle + vane - offset`
//! (time constant 30-60 s), and compares it with the nacelle position. When the difference
//! stays beyond a dead band (6-10 degrees) for a hold time (5-20 s), it yaws towards it at a
//! fixed rate (0.3-0.5 deg/s) until the difference is inside a stop tolerance (1-2 degrees).
//! Filtering the inferred *absolute* direction, rather than the vane angle, is what lets a real
//! controller stop on target: the nacelle's own movement does not lag through the filter.
//! `offset` is the yaw offset command when correction is enabled, else 0, so the controller
//! steers `vane - offset` to zero on average.
//!
//! Values are typical of MW-class turbines: yaw rates of 0.3-0.5 deg/s (the NREL 5-MW reference
//! turbine uses 0.3 deg/s, Jonkman et al. 2009, NREL/TP-500-38060), averaging over tens of
//! seconds and dead bands of several degrees to limit yaw-drive wear (Kragh & Hansen 2014,
//! "Potential of power gain with improved yaw alignment", Wind Energy 18).
//!
//! A yaw action longer than five minutes is treated as a runaway (a stuck vane can ask for
//! endless yawing): the controller stops and locks the yaw out for an hour, as real controllers
//! do after a yaw fault.

use serde::{Deserialize, Serialize};

use crate::domain::wrap180;

/// Longest single yaw action before the runaway protection trips, s.
const MAX_YAW_ACTION_S: u32 = 300;
/// How long the yaw stays locked out after a runaway, s.
const LOCKOUT_S: u64 = 3600;

/// Per-turbine yaw controller settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YawParams {
    /// Time constant of the low-pass filter on the inferred wind direction, s.
    pub filter_tau_s: f64,
    /// Yaw starts when the filtered yaw error exceeds this, deg.
    pub dead_band_deg: f64,
    /// ... continuously for this long, s.
    pub hold_s: u32,
    /// Yaw drive speed, deg/s.
    pub yaw_rate_deg_s: f64,
    /// Yaw stops when the filtered yaw error is within this, deg.
    pub stop_tolerance_deg: f64,
}

/// Yaw controller state.
#[derive(Debug, Clone)]
pub struct YawController {
    params: YawParams,
    alpha: f64,
    /// Filtered inferred wind direction in the yaw sensor's frame, unwrapped deg.
    filtered_dir_deg: Option<f64>,
    over_band_s: u32,
    /// 0 idle, +1 yawing clockwise, -1 counter-clockwise.
    direction: f64,
    action_s: u32,
    locked_until: u64,
}

impl YawController {
    /// An idle controller that has not seen a reading yet.
    pub fn new(params: YawParams) -> Self {
        Self {
            params,
            alpha: 1.0 - (-1.0 / params.filter_tau_s).exp(),
            filtered_dir_deg: None,
            over_band_s: 0,
            direction: 0.0,
            action_s: 0,
            locked_until: 0,
        }
    }

    /// One 1 s step at simulated second `t`, given the yaw sensor reading, the vane reading
    /// the controller sees and the offset it applies. `enabled` is false while the turbine is in
    /// fault. Returns the nacelle movement this step, deg clockwise.
    pub fn step(&mut self, t: u64, nacelle_sensor_deg: f64, vane_deg: f64, offset_deg: f64, enabled: bool) -> f64 {
        let inferred = nacelle_sensor_deg + vane_deg - offset_deg;
        let filtered = match self.filtered_dir_deg {
            None => inferred,
            Some(f) => f + self.alpha * wrap180(inferred - f),
        };
        self.filtered_dir_deg = Some(filtered);
        let error = wrap180(filtered - nacelle_sensor_deg);
        if !enabled || t < self.locked_until {
            self.direction = 0.0;
            self.over_band_s = 0;
            return 0.0;
        }
        if self.direction == 0.0 {
            self.over_band_s = if error.abs() > self.params.dead_band_deg { self.over_band_s + 1 } else { 0 };
            if self.over_band_s < self.params.hold_s {
                return 0.0;
            }
            self.direction = error.signum();
            self.over_band_s = 0;
            self.action_s = 0;
        }
        if error * self.direction <= self.params.stop_tolerance_deg {
            self.direction = 0.0;
            return 0.0;
        }
        self.action_s += 1;
        if self.action_s > MAX_YAW_ACTION_S {
            self.direction = 0.0;
            self.locked_until = t + LOCKOUT_S;
            return 0.0;
        }
        self.direction * self.params.yaw_rate_deg_s.min(error.abs())
    }

    /// True while a yaw action is in progress.
    pub fn is_yawing(&self) -> bool {
        self.direction != 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> YawParams {
        YawParams { filter_tau_s: 40.0, dead_band_deg: 8.0, hold_s: 10, yaw_rate_deg_s: 0.4, stop_tolerance_deg: 1.5 }
    }

    /// Runs the controller against a constant wind direction with a perfect vane.
    fn settle(wind_deg: f64, vane_error: f64, offset: f64) -> f64 {
        let mut c = YawController::new(params());
        let mut heading = 0.0;
        for t in 0..3600 {
            let vane = wrap180(wind_deg - heading) + vane_error;
            heading += c.step(t, heading, vane, offset, true);
        }
        wrap180(wind_deg - heading)
    }

    #[test]
    fn yaws_to_within_the_stop_tolerance_of_a_steady_wind() {
        let gamma = settle(30.0, 0.0, 0.0);
        assert!(gamma.abs() <= 2.0, "misalignment after settling {gamma}");
    }

    #[test]
    fn a_vane_error_e_leaves_the_rotor_mispointed_by_minus_e_and_the_offset_removes_it() {
        let gamma = settle(30.0, 5.0, 0.0);
        assert!((gamma + 5.0).abs() <= 2.0, "uncorrected misalignment {gamma}");
        let gamma = settle(30.0, 5.0, 5.0);
        assert!(gamma.abs() <= 2.0, "corrected misalignment {gamma}");
    }

    #[test]
    fn small_errors_inside_the_dead_band_do_not_yaw() {
        let mut c = YawController::new(params());
        for t in 0..600 {
            assert_eq!(c.step(t, 100.0, 6.0, 0.0, true), 0.0);
        }
    }

    #[test]
    fn a_stuck_vane_trips_the_runaway_protection() {
        let mut c = YawController::new(params());
        let mut heading = 0.0;
        let mut moved = 0.0;
        for t in 0..3000 {
            let d = c.step(t, heading, 20.0, 0.0, true);
            heading += d;
            moved += d.abs();
        }
        assert!(moved <= 0.4 * MAX_YAW_ACTION_S as f64 + 1e-9, "moved {moved} deg");
    }
}
