//! The write-back loop of `trueyaw serve`: every `writeback.interval_s`, one guarded step per
//! turbine toward its active model's operating-mean offset (`WriteBack::step` decides: write,
//! dry-run or hold, and audits). A turbine without an active model is stepped with no target,
//! which holds its current offset.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Target, WriteBack};
use crate::serve::state::AppState;

/// Steps every turbine once.
pub async fn step_all(wb: &WriteBack, state: &AppState) {
    let names: Vec<_> = wb.turbines().cloned().collect();
    for name in names {
        let Some(t) = state.turbines.by_name(name.as_str()) else { continue };
        let target = state.models.get(t.id).and_then(|m| Target::from_estimate(&m.estimate));
        match wb.step(&name, target).await {
            Ok(decision) => tracing::debug!(turbine = %name, ?decision, "write-back step"),
            Err(e) => tracing::warn!(turbine = %name, error = %e, "write-back step failed"),
        }
    }
}

/// Runs [`step_all`] every `writeback.interval_s` until `stop`, the first one an interval after
/// start (the caches have filled by then, and a restart loop cannot hammer the controllers).
pub async fn run(wb: Arc<WriteBack>, state: AppState, stop: CancellationToken) {
    let mut tick = tokio::time::interval(wb.settings().interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the immediate first tick
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => step_all(&wb, &state).await,
        }
    }
}
