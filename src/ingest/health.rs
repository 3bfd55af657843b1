//! The poller's own health: per turbine, when it last answered, how often polls failed and
//! why, and whether polls ran on schedule; farm-wide, the distribution of poll latency.
//! The poller logs a summary of it and stores it in `turbine_health` for the API.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::domain::TurbineName;

/// Health of one turbine's polling.
#[derive(Debug, Clone, Serialize)]
pub struct TurbineHealth {
    pub turbine_id: i32,
    pub turbine: TurbineName,
    /// Source address, e.g. `modbus://10.0.0.5:502/1`.
    pub source: String,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub polls_ok: u64,
    pub polls_failed: u64,
    /// Polls that finished later than one interval after they were due.
    pub polls_late: u64,
    /// Due polls that never ran because the previous one overran (or backoff was in force).
    pub ticks_skipped: u64,
    pub last_error: Option<String>,
    /// False once `offline_after_failures` polls in a row failed, until one succeeds.
    pub online: bool,
}

/// Poll latency distribution and counts across the farm.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub polls: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Shared, lock-per-turbine health record written by poll tasks and read by reporters.
#[derive(Debug)]
pub struct HealthBoard {
    turbines: Vec<Mutex<TurbineHealth>>,
    /// Poll latency in microseconds, from when the poll was due to when its answer was decoded.
    latency_us: Mutex<Histogram<u64>>,
}

impl HealthBoard {
    pub fn new(turbines: impl IntoIterator<Item = (i32, TurbineName, String)>) -> Self {
        let turbines = turbines
            .into_iter()
            .map(|(turbine_id, turbine, source)| {
                Mutex::new(TurbineHealth {
                    turbine_id,
                    turbine,
                    source,
                    last_attempt: None,
                    last_success: None,
                    consecutive_failures: 0,
                    polls_ok: 0,
                    polls_failed: 0,
                    polls_late: 0,
                    ticks_skipped: 0,
                    last_error: None,
                    online: true,
                })
            })
            .collect();
        // 1 us .. 1 h at 3 significant digits: small and precise enough for p99.
        let latency_us = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds");
        Self { turbines, latency_us: Mutex::new(latency_us) }
    }

    /// Records one poll of turbine `index`.
    pub fn record(&self, index: usize, outcome: PollOutcome) {
        let mut h = self.turbines[index].lock().expect("health lock");
        h.last_attempt = Some(outcome.time);
        if outcome.late {
            h.polls_late += 1;
        }
        h.ticks_skipped += outcome.ticks_skipped;
        match outcome.error {
            None => {
                h.polls_ok += 1;
                h.consecutive_failures = 0;
                h.last_success = Some(outcome.time);
                h.online = true;
            }
            Some(e) => {
                h.polls_failed += 1;
                h.consecutive_failures += 1;
                h.last_error = Some(e);
                if h.consecutive_failures >= outcome.offline_after {
                    h.online = false;
                }
            }
        }
        drop(h);
        let us = u64::try_from(outcome.latency.as_micros()).unwrap_or(u64::MAX).clamp(1, 3_600_000_000);
        self.latency_us.lock().expect("latency lock").saturating_record(us);
    }

    pub fn snapshot(&self) -> Vec<TurbineHealth> {
        self.turbines.iter().map(|m| m.lock().expect("health lock").clone()).collect()
    }

    pub fn latency(&self) -> LatencySummary {
        let h = self.latency_us.lock().expect("latency lock");
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            polls: h.len(),
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }

    pub fn len(&self) -> usize {
        self.turbines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.turbines.is_empty()
    }
}

/// What one poll did, as the poll task reports it.
#[derive(Debug, Clone)]
pub struct PollOutcome {
    pub time: DateTime<Utc>,
    pub latency: Duration,
    pub late: bool,
    pub ticks_skipped: u64,
    /// `None` on success, the reason on failure.
    pub error: Option<String>,
    /// Consecutive failures after which the turbine counts as offline.
    pub offline_after: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(error: Option<&str>) -> PollOutcome {
        PollOutcome {
            time: Utc::now(),
            latency: Duration::from_millis(3),
            late: false,
            ticks_skipped: 0,
            error: error.map(str::to_string),
            offline_after: 2,
        }
    }

    #[test]
    fn a_turbine_goes_offline_after_consecutive_failures_and_back_on_success() {
        let board = HealthBoard::new([(1, TurbineName::numbered(1), "modbus://x".to_string())]);
        board.record(0, outcome(Some("timeout")));
        assert!(board.snapshot()[0].online);
        board.record(0, outcome(Some("timeout")));
        let h = &board.snapshot()[0];
        assert!(!h.online);
        assert_eq!((h.polls_failed, h.consecutive_failures), (2, 2));
        board.record(0, outcome(None));
        let h = &board.snapshot()[0];
        assert!(h.online && h.consecutive_failures == 0 && h.polls_ok == 1);
        assert_eq!(h.last_error.as_deref(), Some("timeout"));
        let lat = board.latency();
        assert_eq!(lat.polls, 3);
        assert!((lat.p50_ms - 3.0).abs() < 0.01, "{lat:?}");
    }
}
