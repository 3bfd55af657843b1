//! The physics loop of the running farm: advances [`FarmPhysics`] in step with the wall clock
//! (times the speed-up) and moves commands and outputs between it and the panels.
//!
//! The physics runs on the blocking thread pool in batches (one batch per tick of
//! `clamp(1/speedup, 10 ms, 1 s)`), so a large farm at a high speed-up never stalls the servers'
//! async tasks. Before a batch the commands are read from the panels; after it, the outputs are
//! written to them. A batch holds the physics for at most [`BATCH_BUDGET`]; if the machine
//! cannot keep up, simulated time runs slower than asked and a warning says so once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::Panels;
use super::physics::FarmPhysics;
use super::truth::Truth;

/// Longest a physics batch may hold the farm, so `true_state` and `truth` stay responsive.
const BATCH_BUDGET: Duration = Duration::from_millis(100);

/// State shared by the handle and the physics loop.
pub struct Shared {
    pub physics: Mutex<FarmPhysics>,
    pub panels: Panels,
    /// Simulated seconds of the outputs on the panels.
    pub sim_seconds: AtomicU64,
    pub start: DateTime<Utc>,
    pub speedup: f64,
    pub truth_path: Option<PathBuf>,
}

impl Shared {
    /// The physics, locked (a poisoned lock is taken over: the state is still consistent).
    pub fn physics(&self) -> MutexGuard<'_, FarmPhysics> {
        self.physics.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ground truth as planned so far.
    pub fn truth(&self) -> Truth {
        Truth::from_physics(&self.physics(), self.start, self.speedup, "trueyaw simulate")
    }

    /// Writes the truth file, if there is one.
    pub fn write_truth(&self) -> anyhow::Result<()> {
        match &self.truth_path {
            Some(path) => self.truth().write(path),
            None => Ok(()),
        }
    }
}

/// Copies every turbine's outputs to its panel.
pub fn publish(physics: &FarmPhysics, panels: &Panels) {
    for (i, panel) in panels.iter().enumerate() {
        *panel.outputs.write().unwrap_or_else(PoisonError::into_inner) = physics.outputs(i);
    }
}

/// Runs `steps` physics steps (fewer if the batch budget runs out) between reading commands
/// and publishing outputs; returns the steps done and whether the truth grew.
fn run_batch(shared: &Shared, steps: u64) -> (u64, bool) {
    let mut physics = shared.physics();
    for (i, panel) in shared.panels.iter().enumerate() {
        physics.set_commands(i, *panel.commands.read().unwrap_or_else(PoisonError::into_inner));
    }
    let revision = physics.revision();
    let began = Instant::now();
    let mut done = 0;
    while done < steps && (done % 16 != 0 || began.elapsed() < BATCH_BUDGET) {
        physics.step();
        done += 1;
    }
    publish(&physics, &shared.panels);
    shared.sim_seconds.store(physics.sim_time_s(), Ordering::Release);
    (done, physics.revision() != revision)
}

/// Runs until `stop` is cancelled.
pub async fn run_physics(shared: Arc<Shared>, stop: CancellationToken) {
    let period = Duration::from_secs_f64((1.0 / shared.speedup).clamp(0.01, 1.0));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut origin = Instant::now();
    let mut done: u64 = 0;
    let mut warned = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let due = (origin.elapsed().as_secs_f64() * shared.speedup) as u64;
        if due <= done {
            continue;
        }
        let batch = shared.clone();
        let Ok((stepped, grew)) = tokio::task::spawn_blocking(move || run_batch(&batch, due - done)).await else {
            tracing::error!("simulation physics panicked; the simulated turbines are frozen");
            return;
        };
        done += stepped;
        if grew {
            let writer = shared.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || writer.write_truth()).await {
                tracing::error!(error = format!("{e:#}"), "cannot rewrite the ground truth file");
            }
        }
        // More than two real seconds behind: this machine cannot run the farm this fast.
        // Re-anchor so simulated time runs as fast as it can instead of piling up a backlog.
        if due - done > (2.0 * shared.speedup).max(16.0) as u64 {
            if !warned {
                tracing::warn!(speedup = shared.speedup, "the simulator cannot keep up; simulated time runs slower");
                warned = true;
            }
            origin = Instant::now() - Duration::from_secs_f64(done as f64 / shared.speedup);
        }
    }
}
