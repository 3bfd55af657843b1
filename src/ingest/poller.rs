//! The poller: one task per turbine, each on its own fixed schedule, feeding the writer.
//!
//! Schedules are staggered across the interval so a farm's polls do not all fire in the same
//! millisecond. A poll that overruns makes the task skip the ticks it missed rather than fire a
//! burst to catch up (the missed ticks are counted). A turbine that fails
//! `offline_after_failures` polls in a row is retried with capped exponential backoff and
//! jitter, so a dead controller costs little and a farm-wide outage does not reconnect in
//! lockstep; the other turbines keep their schedules, and a recovered turbine resumes its
//! schedule with no restart. Sending to the writer awaits when the writer is saturated (spool
//! full): polling pauses rather than dropping a reading it already has.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::health::{HealthBoard, PollOutcome};
use super::modbus::ModbusReader;
use super::opcua::OpcUaReader;
use crate::config::{PollSettings, SourceConfig};
use crate::domain::{Reading, TurbineName};

/// A turbine to poll: its database id, name, source and period.
#[derive(Debug, Clone)]
pub struct PollTarget {
    pub turbine_id: i32,
    pub name: TurbineName,
    pub source: SourceConfig,
    pub interval: Duration,
}

/// A device source of either protocol.
enum Source {
    Modbus(Box<ModbusReader>),
    OpcUa(Box<OpcUaReader>),
}

impl Source {
    fn new(config: &SourceConfig, poll: &PollSettings) -> Self {
        match config {
            SourceConfig::Modbus(m) => Source::Modbus(Box::new(ModbusReader::new(m, poll))),
            SourceConfig::OpcUa(o) => Source::OpcUa(Box::new(OpcUaReader::new(o, poll))),
        }
    }

    fn describe(&self) -> String {
        match self {
            Source::Modbus(m) => m.describe(),
            Source::OpcUa(o) => o.describe(),
        }
    }

    /// Polls once; returns the reading and, for a failed poll, a reason for the health record.
    async fn poll(&mut self, turbine_id: i32) -> (Reading, Option<String>) {
        let time = Utc::now();
        let (reading, failure) = match self {
            Source::Modbus(m) => (m.poll(turbine_id, time).await, m.last_failure()),
            Source::OpcUa(o) => (o.poll(turbine_id, time).await, o.last_failure()),
        };
        let reason = reading
            .quality
            .is_failed_poll()
            .then(|| failure.map_or_else(|| reading.quality.names().join(","), |f| f.message.clone()));
        (reading, reason)
    }

    async fn close(&mut self) {
        match self {
            Source::Modbus(m) => m.close().await,
            Source::OpcUa(o) => o.close().await,
        }
    }
}

/// Running poll tasks. Dropping it does not stop them: call [`Poller::stop`].
pub struct Poller {
    tasks: JoinSet<()>,
    stop: CancellationToken,
    health: Arc<HealthBoard>,
}

impl Poller {
    /// Starts one task per target. Readings go to `out`; `health` must list the targets in
    /// the same order.
    pub fn start(
        targets: Vec<PollTarget>,
        settings: &PollSettings,
        out: mpsc::Sender<Reading>,
        health: Arc<HealthBoard>,
    ) -> Self {
        assert_eq!(targets.len(), health.len(), "one health slot per target");
        let stop = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let n = targets.len().max(1) as u32;
        for (index, target) in targets.into_iter().enumerate() {
            // Spread first polls evenly over one interval.
            let stagger = target.interval * index as u32 / n;
            let task = PollTask {
                index,
                source: Source::new(&target.source, settings),
                target,
                settings: settings.clone(),
                out: out.clone(),
                health: health.clone(),
                stop: stop.clone(),
            };
            tasks.spawn(task.run(Instant::now() + stagger));
        }
        Self { tasks, stop, health }
    }

    pub fn health(&self) -> Arc<HealthBoard> {
        self.health.clone()
    }

    /// Stops every task after its poll in flight (that reading is still sent) and waits for
    /// them, so every polled reading has reached the writer's channel when this returns.
    pub async fn stop(mut self) {
        self.stop.cancel();
        while let Some(res) = self.tasks.join_next().await {
            if let Err(e) = res {
                tracing::error!(error = %e, "poll task ended abnormally");
            }
        }
    }
}

struct PollTask {
    index: usize,
    target: PollTarget,
    source: Source,
    settings: PollSettings,
    out: mpsc::Sender<Reading>,
    health: Arc<HealthBoard>,
    stop: CancellationToken,
}

impl PollTask {
    async fn run(mut self, first: Instant) {
        let interval = self.target.interval;
        let mut due = first;
        let mut failures: u32 = 0;
        tracing::debug!(turbine = %self.target.name, source = %self.source.describe(), "polling");
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => break,
                _ = sleep_until(due) => {}
            }
            let (reading, error) = self.source.poll(self.target.turbine_id).await;
            let done = Instant::now();
            let latency = done.saturating_duration_since(due);
            if let Some(e) = &error {
                failures += 1;
                if failures == self.settings.offline_after_failures {
                    tracing::warn!(turbine = %self.target.name, error = %e, "turbine offline, backing off");
                }
            } else {
                if failures >= self.settings.offline_after_failures {
                    tracing::info!(turbine = %self.target.name, after = failures, "turbine back online");
                }
                failures = 0;
            }
            let (next, skipped) = self.next_due(due, done, failures);
            self.health.record(
                self.index,
                PollOutcome {
                    time: reading.time,
                    latency,
                    late: latency > interval,
                    ticks_skipped: skipped,
                    error,
                    offline_after: self.settings.offline_after_failures,
                },
            );
            if self.out.send(reading).await.is_err() {
                tracing::error!(turbine = %self.target.name, "writer is gone; stopping this poll task");
                break;
            }
            due = next;
        }
        self.source.close().await;
    }

    /// When to poll next, and how many due ticks that skips. On schedule: the next tick of the
    /// fixed grid after `now`. Offline: a backoff delay with jitter, off the grid until the
    /// turbine answers again (then the grid restarts from that success).
    fn next_due(&self, due: Instant, now: Instant, failures: u32) -> (Instant, u64) {
        let interval = self.target.interval;
        let grid_next = {
            let mut next = due + interval;
            let mut skipped = 0u64;
            if next <= now {
                let behind = now.duration_since(next).as_nanos() / interval.as_nanos().max(1);
                skipped = behind as u64 + 1;
                next += interval * (skipped as u32);
            }
            (next, skipped)
        };
        if failures < self.settings.offline_after_failures {
            return grid_next;
        }
        let delay = backoff_delay(&self.settings, failures - self.settings.offline_after_failures, &mut rand::rng());
        let next = now + delay.max(interval);
        let skipped = (next.duration_since(due).as_nanos() / interval.as_nanos().max(1)).saturating_sub(1) as u64;
        (next, skipped)
    }
}

/// Capped exponential backoff with "equal jitter": half the delay fixed, half random, so
/// retries of many turbines spread out but none retries sooner than half its step.
pub fn backoff_delay(settings: &PollSettings, attempt: u32, rng: &mut impl Rng) -> Duration {
    let base = settings.backoff_initial_ms.saturating_mul(1u64 << attempt.min(20));
    let capped = base.min(settings.backoff_max_ms);
    let half = capped / 2;
    Duration::from_millis(half + rng.random_range(0..=capped - half))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let s = PollSettings { backoff_initial_ms: 1000, backoff_max_ms: 8000, ..PollSettings::default() };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for (attempt, lo, hi) in [(0, 500, 1000), (1, 1000, 2000), (2, 2000, 4000), (3, 4000, 8000), (9, 4000, 8000)] {
            for _ in 0..50 {
                let d = backoff_delay(&s, attempt, &mut rng).as_millis() as u64;
                assert!((lo..=hi).contains(&d), "attempt {attempt}: {d} not in {lo}..={hi}");
            }
        }
    }
}
