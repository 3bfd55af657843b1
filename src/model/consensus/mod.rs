//! Farm consensus of absolute wind direction: each turbine's yaw-position (north) offset, its
//! jumps, and live shifts of `nacelle_deg + vane_deg` against the rest of the farm.
//!
//! # Why it works
//! The yaw controller keeps the window-mean vane reading near zero, so for turbine i
//! `nacelle_deg + vane_deg ≈ true wind direction + north_offset_i + e_i` (plus gain `k·γ`, wake
//! and turbulence noise), and the corrected absolute direction
//! `wrap360(nacelle_deg + (vane_deg - e_i) / (1 + k_i))` carries only the north offset. All
//! turbines of a farm see nearly the same direction in the same 10-minute window, so comparing a
//! turbine with the others, window by window, cancels the weather and leaves its offset.
//!
//! # Steps (shared by both estimators)
//! 1. Windows are matched by identical `time`; a time counts only when at least
//!    [`ConsensusConfig::min_turbines`] turbines (the compared one included) have a window there.
//! 2. Alignment: each turbine's constant offset is fitted iteratively (median deviation,
//!    re-centred to a zero farm mean), so the others can be put on a common footing before their
//!    median is taken; without it the median would hop between turbines with different offsets.
//! 3. Deviation of turbine i at time t: `wrap180(dir_i(t) - circular median over j ≠ i of
//!    (dir_j(t) - offset_j))`. The turbine itself is excluded so a bad turbine cannot pull its
//!    own reference; the median makes every other turbine's consensus robust to one bad turbine
//!    when at least three others are present (with exactly two others it is their mean).
//! 4. Outlier windows (stuck vane, a front reaching turbines minutes apart) are dropped when
//!    they sit more than [`ConsensusConfig::outlier_mads`] scaled MADs (and at least
//!    [`ConsensusConfig::outlier_floor_deg`]) from the median of their day.
//! 5. Intervals honest for autocorrelated windows: circular moving-block bootstrap with a fixed
//!    seed for offsets and jumps (blocks of `3 (1 + ρ) / (1 - ρ)` windows from the lag-1
//!    autocorrelation ρ, at least `n^(1/3)`), and batch means with a Welch t interval for the
//!    short recent span of a shift, where a bootstrap is about a quarter too narrow.
//!
//! [`north_offsets`] adds binary segmentation on daily means to find offset jumps and reports
//! the offset of the latest segment, relative to the farm mean or to a named turbine.
//! [`direction_shifts`] compares recent windows with the ones before, for the drift watch.
//! [`direction_breaks`] gives the jumps of raw directions to the vane-error model as drift-block
//! boundaries.
//!
//! # What it cannot see
//! - A farm-wide north error: consensus only measures turbines against each other. Offsets are
//!   relative to the farm mean ([`Reference::Farm`]) or to a trusted turbine or met mast whose
//!   own error they inherit ([`Reference::Turbine`]).
//! - True direction differences between turbines: wake steering, wake-induced veer and terrain
//!   turning the flow differ by turbine and by direction sector; they appear as offset.
//! - Which of the two moved: a jump or shift of `nacelle + vane` is a north-offset change or a
//!   vane-error change (e); the power-based vane model tells them apart, this module does not.
//! - Direction-dependent offsets (a yaw encoder slipping with rotation) are averaged over the
//!   directions seen.
//!
//! Validation: the synthetic farms of `offsets_tests.rs` and `shifts_tests.rs`; figures on the
//! simulator's data come from `examples/consensus_synth.rs`.

mod bootstrap;
mod breaks;
mod grid;
mod jumps;
mod offsets;
mod shifts;

#[cfg(test)]
mod offsets_tests;
#[cfg(test)]
mod shifts_tests;
#[cfg(test)]
mod testfarm;

use chrono::{DateTime, Utc};

pub use breaks::{MIN_BREAK_DEG, direction_breaks};
pub use offsets::north_offsets;
pub use shifts::direction_shifts;

/// One window of one turbine: circular means of the window, degrees; operating windows only are
/// passed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectionWindow {
    pub turbine_id: i32,
    /// Window start, UTC; windows of different turbines are compared when their times are equal.
    pub time: DateTime<Utc>,
    /// Yaw position sensor, degrees clockwise from north, [0, 360).
    pub nacelle_deg: f64,
    /// Relative wind direction from the vane, degrees, (-180, 180].
    pub vane_deg: f64,
    /// Nacelle wind speed, m/s (for a wind-speed dependent vane error).
    pub wind_speed_ms: f64,
}

impl From<&crate::store::windows::DirectionRow> for DirectionWindow {
    /// A stored operating window's direction means.
    fn from(r: &crate::store::windows::DirectionRow) -> Self {
        Self {
            turbine_id: r.turbine_id,
            time: r.window_start,
            nacelle_deg: r.nacelle_deg_mean,
            vane_deg: r.vane_deg_mean,
            wind_speed_ms: r.wind_speed_ms_mean,
        }
    }
}

/// What to subtract from a turbine's vane before comparing: its active model's vane error e and
/// gain k (e at the window's wind speed when you have it; a constant per turbine is acceptable).
pub trait VaneCorrection {
    /// Vane error e in degrees at `wind_speed_ms`; `None` when the turbine has no model, and its
    /// windows are then left out of [`north_offsets`] (return `Some(0.0)` to compare raw vanes).
    fn vane_error_deg(&self, turbine_id: i32, wind_speed_ms: f64) -> Option<f64>;
    /// Vane gain error k (0 when unknown).
    fn gain(&self, turbine_id: i32) -> f64;
}

/// Where offsets are measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The farm: each window is compared with the circular median of the other turbines, and
    /// the reported offsets have zero mean over the reported turbines.
    Farm,
    /// A trusted turbine (or a met mast fed in as one): its offset is 0 by definition.
    Turbine(i32),
}

/// A turbine's north offset (`nacelle_deg` minus true heading, up to the reference's own error).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NorthOffset {
    pub turbine_id: i32,
    /// Offset of the latest segment (after the last jump), degrees, (-180, 180].
    pub north_offset_deg: f64,
    /// 95 % interval of `north_offset_deg`, degrees.
    pub ci95: [f64; 2],
    /// Windows behind `north_offset_deg` (latest segment, outliers removed).
    pub n_windows: usize,
    /// Offset jumps found, oldest first.
    pub jumps: Vec<OffsetJump>,
}

/// A step in a turbine's deviation from the consensus.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OffsetJump {
    /// Start of the first window after the step.
    pub time: DateTime<Utc>,
    /// New level minus old level, degrees.
    pub delta_deg: f64,
    /// 95 % interval of `delta_deg`, degrees; excludes 0.
    pub ci95: [f64; 2],
}

/// Shift of one turbine's `nacelle_deg + vane_deg` against the consensus, recent vs baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DirectionShift {
    pub turbine_id: i32,
    /// Recent mean deviation minus baseline mean deviation, degrees. A vane error shift of x
    /// degrees (or a north offset change of x) shows as about +x.
    pub shift_deg: f64,
    /// 95 % interval of `shift_deg`, degrees.
    pub ci95: [f64; 2],
    /// `recent_from` as passed in.
    pub recent_from: DateTime<Utc>,
    /// Start of the turbine's last recent window.
    pub recent_to: DateTime<Utc>,
    pub n_recent: usize,
    pub n_baseline: usize,
    /// true when the shift holds through the whole recent span (not a transient) and its
    /// interval excludes 0; see [`ConsensusConfig::sustain_parts`].
    pub sustained: bool,
}

impl DirectionShift {
    /// Whether this shift is a drift event at threshold `min_shift_deg` (e.g. 2 degrees):
    /// sustained and at least that large.
    pub fn is_drift(&self, min_shift_deg: f64) -> bool {
        self.sustained && self.shift_deg.abs() >= min_shift_deg
    }
}

/// Settings of the consensus estimators. [`Default`] gives the documented values, chosen for
/// 10-minute windows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsensusConfig {
    /// Turbines that must have a window at a time for it to count, the compared one included
    /// (default 3: at least two others form its consensus). Must be at least 3.
    pub min_turbines: usize,
    /// Windows a north offset needs in its latest segment to be reported (default 144, a day).
    pub min_windows: usize,
    /// Outlier threshold in scaled MADs (1.4826 × MAD) from the day's median (default 5).
    pub outlier_mads: f64,
    /// Smallest outlier threshold, degrees, so a very quiet day keeps its windows (default 3).
    pub outlier_floor_deg: f64,
    /// Bootstrap replicates (default 500, at least 100).
    pub bootstrap_reps: usize,
    /// Fixed block length in windows; `None` picks it from the lag-1 autocorrelation.
    pub block_windows: Option<usize>,
    /// Seed of the bootstrap; the same inputs and seed give the same outputs.
    pub seed: u64,
    /// Smallest half-width of a north offset's interval, degrees (default 0.25). Resampling
    /// sees noise, not bias: on the simulator's data the errors left by the vane correction
    /// (wind-speed interpolation of e, gain) reach 0.2 degrees, beyond the bootstrap's
    /// ±0.05-0.1 over 30 days.
    pub min_offset_half_width_deg: f64,
    /// Smallest offset jump reported, degrees (default 2).
    pub min_jump_deg: f64,
    /// Shortest segment between jumps, in days with enough windows (default 2).
    pub min_segment_days: usize,
    /// Windows a UTC day needs for its daily mean to enter jump detection (default 36, 6 h).
    pub min_day_windows: usize,
    /// Smallest shift called sustained, degrees (default 1.5): a 12-hour mean of an unchanged
    /// turbine's deviation wanders by about 0.4 degrees (1 sd) on synthetic farms, so smaller
    /// shifts would raise false alarms; the drift threshold (2 degrees) sits above it.
    pub min_shift_deg: f64,
    /// The recent span is cut into this many equal parts (default 4); a sustained shift shows
    /// in every part that has at least 3 windows, and at least half the parts have them.
    pub sustain_parts: usize,
    /// Shift each part must show, in the overall shift's direction, degrees (default 0.5).
    pub min_part_shift_deg: f64,
    /// Baseline windows a turbine needs for a shift to be computed (default 288, two days: on
    /// the simulator, baselines of under two days at low wind raised false alarms).
    pub min_baseline_windows: usize,
    /// Recent windows a turbine needs for a shift to be computed (default 12, 2 h).
    pub min_recent_windows: usize,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        Self {
            min_turbines: 3,
            min_windows: 144,
            outlier_mads: 5.0,
            outlier_floor_deg: 3.0,
            bootstrap_reps: 500,
            block_windows: None,
            seed: 0x5eed_c0de,
            min_offset_half_width_deg: 0.25,
            min_jump_deg: 2.0,
            min_segment_days: 2,
            min_day_windows: 36,
            min_shift_deg: 1.5,
            sustain_parts: 4,
            min_part_shift_deg: 0.5,
            min_baseline_windows: 288,
            min_recent_windows: 12,
        }
    }
}

impl ConsensusConfig {
    fn validate(&self) -> Result<(), ConsensusError> {
        let bad =
            |field: &'static str, reason: &str| Err(ConsensusError::InvalidConfig { field, reason: reason.into() });
        if self.min_turbines < 3 {
            return bad("min_turbines", "must be at least 3 (a turbine and two others)");
        }
        if self.bootstrap_reps < 100 {
            return bad("bootstrap_reps", "must be at least 100 for a 95 % interval");
        }
        if self.block_windows == Some(0) {
            return bad("block_windows", "must be at least 1");
        }
        if self.sustain_parts == 0 {
            return bad("sustain_parts", "must be at least 1");
        }
        if self.min_segment_days == 0 {
            return bad("min_segment_days", "must be at least 1");
        }
        for (field, v) in [
            ("outlier_mads", self.outlier_mads),
            ("outlier_floor_deg", self.outlier_floor_deg),
            ("min_offset_half_width_deg", self.min_offset_half_width_deg),
            ("min_jump_deg", self.min_jump_deg),
            ("min_shift_deg", self.min_shift_deg),
            ("min_part_shift_deg", self.min_part_shift_deg),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(field, "must be a positive number");
            }
        }
        Ok(())
    }
}

/// Why a consensus could not be formed.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    #[error("farm consensus needs at least {required} turbines with windows, got {found}")]
    TooFewTurbines { found: usize, required: usize },
    #[error("no window time has {required} or more turbines reporting; windows are matched by identical time")]
    NoCommonWindows { required: usize },
    #[error("reference turbine {0} has no usable windows")]
    UnknownReference(i32),
    #[error("reference turbine {turbine_id} has {n_windows} windows in its latest segment, {required} needed")]
    ReferenceUnderSampled { turbine_id: i32, n_windows: usize, required: usize },
    #[error("no baseline: no time before {recent_from} has {required} or more turbines reporting")]
    NoBaseline { recent_from: DateTime<Utc>, required: usize },
    #[error("window of turbine {turbine_id} at {time} is not finite (nacelle, vane or wind speed)")]
    NonFinite { turbine_id: i32, time: DateTime<Utc> },
    #[error("turbine {turbine_id} has two windows at {time}")]
    DuplicateWindow { turbine_id: i32, time: DateTime<Utc> },
    #[error("consensus config: {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
}
