//! The ground truth of a synthetic history, clipped to the history's end. The physics plans
//! events a month ahead; events after the last window never reach the CSV, and an estimator
//! scored on this file must not be asked to find them.

use chrono::{DateTime, Utc};

use crate::sim::truth::Truth;

/// Drops drift events, outages and curtailments that start at or after `end`, and the vane-error
/// periods they opened, keeping the period a ramp in progress at `end` is heading to (a
/// `ramping` period is read against the next one). Sets `planned_until` to `end`: the file is
/// exact up to there. Intervals that straddle `end` are kept whole.
pub fn clip_to(truth: &mut Truth, end: DateTime<Utc>) {
    truth.planned_until = truth.planned_until.min(end);
    truth.curtailments.retain(|c| c.from < end);
    for t in &mut truth.turbines {
        t.outages.retain(|o| o.from < end);
        // A ramp that started before the end still defines e up to the end, so it stays.
        t.drift_events.retain(|d| d.time < end);
        let mut keep = t.vane_error_by_bin.iter().take_while(|p| p.from < end).count();
        if keep > 0 && t.vane_error_by_bin[keep - 1].ramping {
            keep += 1;
        }
        t.vane_error_by_bin.truncate(keep);
        if let Some(last) = t.vane_error_by_bin.last_mut() {
            last.to = None;
        }
    }
}
