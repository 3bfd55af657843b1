//! Turning write-back decisions into `yaw_offset_writes` rows, and the rule that keeps holds
//! from filling the table: a hold is stored only when the turbine's previous row is not the same
//! hold (another mode, another reason code or another model version), or when the same hold was
//! last stored [`HOLD_REPEAT`] ago or more, as a heartbeat that the loop is alive.

use chrono::{DateTime, Utc};

use super::policy::{DeviceState, HoldReason, Target};
use crate::store::yaw_offset_writes::{NewYawOffsetWrite, WriteMode, YawOffsetWriteRow};

/// Least time between two stored copies of the same hold.
pub const HOLD_REPEAT: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// A row with the decision's context filled in; the caller sets what happened after.
pub(super) fn row(
    turbine_id: i32,
    time: DateTime<Utc>,
    mode: WriteMode,
    before: Option<&DeviceState>,
    target: Option<&Target>,
    actor: &str,
    reason: String,
) -> NewYawOffsetWrite {
    NewYawOffsetWrite {
        turbine_id,
        time,
        mode,
        before_deg: before.map(DeviceState::applied_offset_deg),
        before_enable: before.map(|b| b.correction_enable),
        after_deg: None,
        after_enable: None,
        target_deg: target.map(|t| t.yaw_offset_deg),
        model_version: target.map(|t| t.model_version),
        actor: actor.to_string(),
        reason,
        verified: None,
    }
}

/// Sets the after-state columns from a read-back (or a would-be state for a dry-run).
pub(super) fn with_after(mut row: NewYawOffsetWrite, after: Option<&DeviceState>) -> NewYawOffsetWrite {
    row.after_deg = after.map(DeviceState::applied_offset_deg);
    row.after_enable = after.map(|a| a.correction_enable);
    row
}

/// Whether a hold for `reason` at `now` is worth a row, given the turbine's latest row.
pub(super) fn store_hold(
    previous: Option<&YawOffsetWriteRow>,
    reason: &HoldReason,
    target: Option<&Target>,
    now: DateTime<Utc>,
) -> bool {
    let Some(prev) = previous else { return true };
    let same_hold = prev.write_mode() == Some(WriteMode::Hold)
        && prev.reason.split_once(':').map(|(code, _)| code) == Some(reason.code())
        && prev.model_version == target.map(|t| t.model_version);
    !same_hold || now - prev.time >= HOLD_REPEAT
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn prev(mode: &str, reason: &str, version: Option<i32>, time: DateTime<Utc>) -> YawOffsetWriteRow {
        YawOffsetWriteRow {
            id: 1,
            turbine_id: 1,
            time,
            mode: mode.into(),
            before_deg: None,
            before_enable: None,
            after_deg: None,
            after_enable: None,
            target_deg: None,
            model_version: version,
            actor: "writeback".into(),
            reason: reason.into(),
            verified: None,
        }
    }

    #[test]
    fn a_hold_is_stored_when_it_differs_from_the_previous_row_or_an_hour_has_passed() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let target = Target { yaw_offset_deg: 1.0, ci95: [0.5, 1.5], model_version: 2 };
        let limited = HoldReason::RateLimited { wait_s: 100 };
        let minute = chrono::TimeDelta::minutes(1);
        assert!(store_hold(None, &limited, Some(&target), t0));
        let same = prev("hold", "rate_limited: next allowed in 160 s", Some(2), t0);
        assert!(!store_hold(Some(&same), &limited, Some(&target), t0 + minute), "same code, numbers differ");
        assert!(store_hold(Some(&same), &limited, Some(&target), t0 + HOLD_REPEAT), "hourly heartbeat");
        assert!(store_hold(Some(&same), &HoldReason::AtTarget { offset_deg: 1.0 }, Some(&target), t0 + minute));
        let newer_model = Target { model_version: 3, ..target };
        assert!(store_hold(Some(&same), &limited, Some(&newer_model), t0 + minute));
        let write = prev("write", "step: ...", Some(2), t0);
        assert!(store_hold(Some(&write), &limited, Some(&target), t0 + minute));
        let no_model = prev("hold", "no_model: no active model", None, t0);
        assert!(!store_hold(Some(&no_model), &HoldReason::NoModel, None, t0 + minute));
    }
}
