//! Direction change points for the vane-error model: where a turbine's raw `nacelle_deg +
//! vane_deg` stepped against the rest of the farm.
//!
//! The yaw controller keeps the vane reading near zero, so a vane whose error steps by x
//! degrees turns the nacelle by about x within minutes, and `nacelle + vane` moves by x against
//! the farm at once. Power shows the same step only statistically, over weeks of windows; the
//! direction shows it to the window. The power-based model (`model::neural`) therefore starts
//! a drift block at each change point found here and lets power say how large the vane-error
//! change was (a yaw-position sensor step moves the direction but not the power peak, and
//! comes out as a change near zero).

use chrono::{DateTime, Utc};

use super::{ConsensusConfig, ConsensusError, DirectionWindow, Reference, VaneCorrection, north_offsets};

/// Compares raw directions: e = 0 and k = 0 for every turbine.
struct Raw;

impl VaneCorrection for Raw {
    fn vane_error_deg(&self, _: i32, _: f64) -> Option<f64> {
        Some(0.0)
    }
    fn gain(&self, _: i32) -> f64 {
        0.0
    }
}

/// Smallest direction step used as a change point, degrees: half the 2 degree drift events
/// reported, because the consensus can see a vane step much smaller than it is (on the
/// simulator a +3.1 deg step 14 days before the next showed as +1.2 to +2.0: the segment
/// before it ended in another drift's ramp, and direction-sector veer between turbines moves
/// daily means by a degree). A needless boundary costs a parameter under the L1 penalty, and
/// change points a day or two apart are read as one drift event (`NeuralConfig::event_merge_days`).
pub const MIN_BREAK_DEG: f64 = 1.0;

/// A turbine id and its change points, oldest first.
pub type TurbineBreaks = (i32, Vec<DateTime<Utc>>);

/// Change points of each turbine's raw direction against the farm consensus (the offset jumps of
/// [`north_offsets`] on uncorrected vanes, at [`MIN_BREAK_DEG`]), oldest first, per turbine id.
/// Turbines whose latest segment is too short to report are left out.
///
/// # Errors
/// Those of [`north_offsets`]: fewer than three turbines, no common window time, bad windows.
pub fn direction_breaks(
    windows: &[DirectionWindow],
    cfg: &ConsensusConfig,
) -> Result<Vec<TurbineBreaks>, ConsensusError> {
    let cfg = ConsensusConfig { min_jump_deg: cfg.min_jump_deg.min(MIN_BREAK_DEG), ..cfg.clone() };
    let offsets = north_offsets(windows, &Raw, &Reference::Farm, &cfg)?;
    Ok(offsets.into_iter().map(|o| (o.turbine_id, o.jumps.iter().map(|j| j.time).collect())).collect())
}
