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

use super::{
    ConsensusConfig, ConsensusError, DirectionWindow, NorthOffset, OffsetJump, Reference, VaneCorrection, north_offsets,
};

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
/// before it began in the tail of an earlier ramp, another turbine's step moved the consensus,
/// and direction-sector veer between turbines moves daily means by a degree). A needless boundary costs a parameter under the L1 penalty, and
/// change points a day or two apart are read as one drift event (`NeuralConfig::event_merge_days`).
pub const MIN_BREAK_DEG: f64 = 1.0;

/// A turbine id and its change points, oldest first.
pub type TurbineBreaks = (i32, Vec<DateTime<Utc>>);

/// How close two turbines' change points must be to be one step seen twice, see [`drop_echoes`].
const ECHO_WITHIN: chrono::Duration = chrono::Duration::hours(1);

/// Change points of each turbine's raw direction against the farm consensus (the offset jumps of
/// [`north_offsets`] on uncorrected vanes, at [`MIN_BREAK_DEG`], without echoes, see
/// [`drop_echoes`]), oldest first, per turbine id. Turbines whose latest segment is too short to
/// report are left out.
///
/// # Errors
/// Those of [`north_offsets`]: fewer than three turbines, no common window time, bad windows.
pub fn direction_breaks(
    windows: &[DirectionWindow],
    cfg: &ConsensusConfig,
) -> Result<Vec<TurbineBreaks>, ConsensusError> {
    let cfg = ConsensusConfig { min_jump_deg: cfg.min_jump_deg.min(MIN_BREAK_DEG), ..cfg.clone() };
    let offsets = north_offsets(windows, &Raw, &Reference::Farm, &cfg)?;
    Ok(drop_echoes(&offsets))
}

/// The jumps of each turbine less its echoes. One turbine's step moves the consensus the
/// others are measured against: in a farm of three the consensus is the mean of the two others,
/// so a +3 deg vane step shows as -1.5 deg in each of them at the same window, and with more
/// turbines a median can still move by part of it. A jump is an echo when another turbine
/// jumped the other way within [`ECHO_WITHIN`] and by more. Two real vane steps of opposite
/// sign within the hour on two turbines would lose the smaller one; the power model would then
/// place it on its 7-day grid.
fn drop_echoes(offsets: &[NorthOffset]) -> Vec<TurbineBreaks> {
    let echo = |id: i32, j: &OffsetJump| {
        offsets.iter().filter(|o| o.turbine_id != id).flat_map(|o| &o.jumps).any(|k| {
            (k.time - j.time).abs() <= ECHO_WITHIN
                && k.delta_deg.signum() != j.delta_deg.signum()
                && k.delta_deg.abs() > j.delta_deg.abs()
        })
    };
    offsets
        .iter()
        .map(|o| (o.turbine_id, o.jumps.iter().filter(|j| !echo(o.turbine_id, j)).map(|j| j.time).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn offset(turbine_id: i32, jumps: &[(i64, f64)]) -> NorthOffset {
        let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        NorthOffset {
            turbine_id,
            north_offset_deg: 0.0,
            ci95: [-0.3, 0.3],
            n_windows: 1000,
            jumps: jumps
                .iter()
                .map(|&(minutes, delta_deg)| OffsetJump {
                    time: t0 + chrono::Duration::minutes(minutes),
                    delta_deg,
                    ci95: [delta_deg - 0.2, delta_deg + 0.2],
                })
                .collect(),
        }
    }

    #[test]
    fn a_step_seen_in_the_others_consensus_is_kept_only_where_it_happened() {
        // T2 stepped +3 at minute 600; T1 and T3 see -1.5 against a consensus holding T2. T3
        // also has a step of its own a day later, and T1 one of the same sign as T2's.
        let offsets =
            [offset(1, &[(600, -1.5), (5000, 2.0)]), offset(2, &[(600, 3.0)]), offset(3, &[(610, -1.4), (2040, -2.5)])];
        let times = |id: i32| drop_echoes(&offsets).into_iter().find(|b| b.0 == id).unwrap().1;
        let at = |minutes: i64| Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minutes);
        assert_eq!(times(1), vec![at(5000)]);
        assert_eq!(times(2), vec![at(600)]);
        assert_eq!(times(3), vec![at(2040)]);
    }
}
