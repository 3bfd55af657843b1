//! Which windows need recomputing: per turbine, the earliest and latest reading written since
//! the last successful refresh. One span per turbine keeps the refresh a single cheap
//! statement; the price is recomputing the odd untouched window between two far-apart writes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::Reading;

#[derive(Debug, Default)]
pub(super) struct DirtySpans(HashMap<i32, (DateTime<Utc>, DateTime<Utc>)>);

impl DirtySpans {
    /// Marks the windows of every reading in `readings` dirty.
    pub(super) fn add(&mut self, readings: &[Reading]) {
        for r in readings {
            self.0
                .entry(r.turbine_id)
                .and_modify(|(lo, hi)| {
                    *lo = (*lo).min(r.time);
                    *hi = (*hi).max(r.time);
                })
                .or_insert((r.time, r.time));
        }
    }

    /// The spans in the shape `store::refresh_windows` takes.
    pub(super) fn spans(&self) -> Vec<(i32, DateTime<Utc>, DateTime<Utc>)> {
        self.0.iter().map(|(&t, &(lo, hi))| (t, lo, hi)).collect()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Quality;
    use chrono::TimeZone;

    #[test]
    fn spans_cover_the_earliest_to_the_latest_reading_per_turbine() {
        let t = |s| Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, s).unwrap();
        let mut d = DirtySpans::default();
        d.add(&[Reading::failed(1, t(30), Quality::GOOD), Reading::failed(2, t(5), Quality::GOOD)]);
        d.add(&[Reading::failed(1, t(10), Quality::GOOD), Reading::failed(1, t(50), Quality::GOOD)]);
        let mut spans = d.spans();
        spans.sort();
        assert_eq!(spans, vec![(1, t(10), t(50)), (2, t(5), t(5))]);
        d.clear();
        assert!(d.is_empty());
    }
}
