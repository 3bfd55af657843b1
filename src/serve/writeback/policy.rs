//! The write-back decision as a pure function: given the guardrails, whether the turbine is
//! enabled, what its controller holds now, what the active model asks for and when the last
//! step was taken, [`decide`] says write, dry-run or hold, and why. No I/O and no clock, so every
//! guardrail is unit-tested at its boundary (`policy_tests.rs`).
//!
//! # Rules, in the order they are checked
//! 0. On an enabled turbine: a revert's latch -> hold `reverted` until an operator re-enables
//!    it; another process holding the turbine's write lock -> hold `other_writer`.
//! 1. No target (no active model) -> hold `no_model`.
//! 2. A target that is not finite, an interval that is not finite or is upside down, or a model
//!    version below 1 (never registered) -> hold `invalid_target`.
//! 3. The 95 % interval is not narrower than `max_ci95_width_deg` -> hold `interval_too_wide`.
//!    The interval judged is that of the operating-mean vane error (4-11 m/s), the same figure
//!    the target is taken from (see [`Target::from_estimate`]): a write-back that steps at most
//!    once an hour writes one slowly moving offset, not one that chases the wind speed of the
//!    moment, so the interval that matters is the one of that mean.
//! 4. The target is capped to +-`max_abs_offset_deg`, rounded to the command register's
//!    resolution; when the controller already applies it -> hold `at_target`.
//! 5. Less than `min_step_interval_s` since the last step -> hold `rate_limited` (a last step
//!    in the future, from a clock step backwards, also holds: waiting is always safe).
//! 6. Otherwise the next offset is the applied one moved toward the capped target by at most
//!    `max_step_deg` (whole register counts, never more than the cap): `Write` on an enabled
//!    turbine, `DryRun` on any other.
//!
//! The applied offset is the command register when correction is enabled and 0 when it is not
//! (the controller then ignores the register), so a stale value in a disabled register never
//! becomes the starting point of a step. Every write sets correction enable to 1.
//! A hold leaves the controller as it is: losing the model keeps the last offset written rather
//! than walking it back, since no write happens without a trustworthy model; `revert` is the
//! way back to the turbine's own behaviour.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::config::WriteBackSettings;
use crate::model::estimate::VaneErrorEstimate;
use crate::store::writeback_latches::Latch;

/// The yaw offset an active model asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// `yaw_offset_deg` = the model's operating-mean `vane_error_deg`, deg. The controller yaws
    /// to `vane - yaw_offset_deg`, so a vane reading e degrees too high needs +e.
    pub yaw_offset_deg: f64,
    /// 95 % interval of `yaw_offset_deg`, deg, `[low, high]`.
    pub ci95: [f64; 2],
    /// Registry version of the model it comes from (1 and up).
    pub model_version: i32,
}

impl Target {
    /// The target of an estimate: its operating-mean (4-11 m/s) vane error and interval.
    /// `None` when the estimate has no mean value or no interval. The caller passes only the
    /// turbine's *active* model's estimate.
    pub fn from_estimate(estimate: &VaneErrorEstimate) -> Option<Target> {
        Some(Target {
            yaw_offset_deg: estimate.vane_error_deg?,
            ci95: estimate.ci95?,
            model_version: estimate.model_version,
        })
    }

    /// Width of the 95 % interval, deg.
    pub fn ci95_width_deg(&self) -> f64 {
        self.ci95[1] - self.ci95[0]
    }
}

/// What a controller's command registers hold, as read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceState {
    /// The yaw offset command register, deg.
    pub yaw_offset_deg: f64,
    /// The correction enable register.
    pub correction_enable: bool,
}

impl DeviceState {
    /// The offset the controller applies: the command when enabled, else 0.
    pub fn applied_offset_deg(&self) -> f64 {
        if self.correction_enable { self.yaw_offset_deg } else { 0.0 }
    }
}

/// Everything [`decide`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub settings: &'a WriteBackSettings,
    /// Whether the turbine is in `enabled_turbines` (else dry-run).
    pub enabled: bool,
    /// The command registers as read back just before deciding.
    pub device: DeviceState,
    /// One raw count of the yaw offset register, deg (the map's scale, e.g. 0.01).
    pub resolution_deg: f64,
    /// What the active model asks for, if there is one.
    pub target: Option<&'a Target>,
    /// When the last step of this mode was taken (a write, failed write or revert on an enabled
    /// turbine; a dry-run on a dry-run turbine).
    pub last_step: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// The turbine's revert latch, if an operator reverted it and has not re-enabled it.
    pub latch: Option<&'a Latch>,
    /// Whether this process holds the turbine's write lock (`store::writer_locks`); only
    /// asked for on enabled turbines, true on the others.
    pub write_lock: bool,
}

/// What to do this round.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Write this offset (deg) and correction enable 1.
    Write { to: f64 },
    /// The turbine is not enabled: this is what would be written.
    DryRun { would_write_to: f64 },
    /// Write nothing.
    Hold { reason: HoldReason },
}

/// Why nothing is written.
#[derive(Debug, Clone, PartialEq)]
pub enum HoldReason {
    /// The turbine has no active model.
    NoModel,
    /// The target or its interval cannot be used (what is wrong with it).
    InvalidTarget(String),
    /// The model's 95 % interval is not narrower than the limit.
    IntervalTooWide { width_deg: f64, max_deg: f64 },
    /// The controller already applies the (capped) target.
    AtTarget { offset_deg: f64 },
    /// The last step was too recent; the next is allowed in this many seconds.
    RateLimited { wait_s: u64 },
    /// The read-back state cannot be stepped from (what is wrong with it).
    InvalidDevice(String),
    /// An operator reverted the turbine; it stays at its own behaviour until re-enabled.
    Reverted(Latch),
    /// Another process holds the turbine's write lock and writes to it.
    OtherWriter,
}

impl HoldReason {
    /// A stable identifier of the kind of hold, the prefix of the audited reason text; two
    /// holds with the same code count as the same decision for audit de-duplication.
    pub fn code(&self) -> &'static str {
        match self {
            HoldReason::NoModel => "no_model",
            HoldReason::InvalidTarget(_) => "invalid_target",
            HoldReason::IntervalTooWide { .. } => "interval_too_wide",
            HoldReason::AtTarget { .. } => "at_target",
            HoldReason::RateLimited { .. } => "rate_limited",
            HoldReason::InvalidDevice(_) => "invalid_device",
            HoldReason::Reverted(_) => "reverted",
            HoldReason::OtherWriter => "other_writer",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match self {
            HoldReason::NoModel => write!(f, "no active model"),
            HoldReason::InvalidTarget(why) | HoldReason::InvalidDevice(why) => write!(f, "{why}"),
            HoldReason::IntervalTooWide { width_deg, max_deg } => {
                write!(f, "95 % interval {width_deg:.2} deg wide, must be narrower than {max_deg:.2} deg")
            }
            HoldReason::AtTarget { offset_deg } => write!(f, "controller already applies {offset_deg:+.2} deg"),
            HoldReason::RateLimited { wait_s } => write!(f, "last step too recent, next allowed in {wait_s} s"),
            HoldReason::Reverted(latch) => write!(
                f,
                "reverted by {} at {}; held at the turbine's own behaviour until an operator re-enables it \
                 (`trueyaw writeback enable` or POST .../writeback/enable)",
                latch.actor,
                latch.since.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            HoldReason::OtherWriter => write!(f, "another trueyaw process holds this turbine's write lock"),
        }
    }
}

/// Decides one round for one turbine. See the module docs for the rules.
pub fn decide(input: &PolicyInput<'_>) -> Decision {
    let hold = |reason| Decision::Hold { reason };
    let s = input.settings;
    if input.enabled {
        if let Some(latch) = input.latch {
            return hold(HoldReason::Reverted(latch.clone()));
        }
        if !input.write_lock {
            return hold(HoldReason::OtherWriter);
        }
    }
    let Some(target) = input.target else {
        return hold(HoldReason::NoModel);
    };
    if let Err(why) = check_target(target) {
        return hold(HoldReason::InvalidTarget(why));
    }
    let width = target.ci95_width_deg();
    // Written so that a NaN limit (settings not validated) fails closed.
    let narrow_enough = width < s.max_ci95_width_deg;
    if !narrow_enough {
        return hold(HoldReason::IntervalTooWide { width_deg: width, max_deg: s.max_ci95_width_deg });
    }
    let res = input.resolution_deg.abs();
    let applied = input.device.applied_offset_deg();
    if !(res.is_finite() && res > 0.0) {
        return hold(HoldReason::InvalidDevice(format!(
            "register resolution {} deg is not usable",
            input.resolution_deg
        )));
    }
    if !applied.is_finite() {
        return hold(HoldReason::InvalidDevice(format!("controller reports offset {applied} deg")));
    }
    // Work in whole register counts so the cap and the step limit hold exactly after encoding.
    // The small epsilon keeps 10.0 / 0.01 = 999.999... from losing a count to floating point.
    let counts = |deg: f64| (deg / res + 1e-6).floor() as i64;
    let cap = counts(s.max_abs_offset_deg);
    let max_step = counts(s.max_step_deg);
    if max_step == 0 {
        return hold(HoldReason::InvalidDevice(format!(
            "max_step_deg {} is below one register count ({res} deg)",
            s.max_step_deg
        )));
    }
    let current = (applied / res).round() as i64;
    let wanted = ((target.yaw_offset_deg / res).round() as i64).clamp(-cap, cap);
    if wanted == current {
        return hold(HoldReason::AtTarget { offset_deg: applied });
    }
    if s.min_step_interval_s > 0
        && let Some(last) = input.last_step
    {
        let min_ms = i64::try_from(s.min_step_interval_s).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
        let elapsed_ms = (input.now - last).num_milliseconds();
        if elapsed_ms < min_ms {
            // A last step in the future (the clock went back) waits until it is min apart too.
            // Round up so "0 s" never means "not yet".
            let wait_ms = min_ms.saturating_sub(elapsed_ms);
            return hold(HoldReason::RateLimited { wait_s: (wait_ms as u64).div_ceil(1000) });
        }
    }
    let next = current + (wanted - current).clamp(-max_step, max_step);
    let to = next as f64 * res;
    if input.enabled { Decision::Write { to } } else { Decision::DryRun { would_write_to: to } }
}

fn check_target(t: &Target) -> Result<(), String> {
    if !t.yaw_offset_deg.is_finite() {
        return Err(format!("target offset {} deg is not a number", t.yaw_offset_deg));
    }
    let [lo, hi] = t.ci95;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(format!("95 % interval [{lo}, {hi}] deg is not a finite ordered pair"));
    }
    if t.model_version < 1 {
        return Err(format!("model version {} is not a registered model", t.model_version));
    }
    Ok(())
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
