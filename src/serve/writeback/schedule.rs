//! The write-back loop of `trueyaw serve`: every `writeback.interval_s`, one guarded step per
//! turbine toward its active model's operating-mean offset (`WriteBack::step` decides: write,
//! dry-run or hold, and audits). A turbine without an active model is stepped with no target,
//! which holds its current offset.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Target, WriteBack};
use crate::serve::model_cache::ModelCache;

/// Steps every turbine once, toward the target of its model in `models`.
pub async fn step_all(wb: &WriteBack, models: &ModelCache) {
    let turbines: Vec<_> = wb.turbine_ids().map(|(name, id)| (name.clone(), id)).collect();
    for (name, turbine_id) in turbines {
        let target = models.get(turbine_id).and_then(|m| Target::from_estimate(&m.estimate));
        match wb.step(&name, target).await {
            Ok(decision) => tracing::debug!(turbine = %name, ?decision, "write-back step"),
            Err(e) => tracing::warn!(turbine = %name, error = %e, "write-back step failed"),
        }
    }
}

/// Runs [`step_all`] every `writeback.interval_s` until `stop`, the first one an interval after
/// start (the caches have filled by then, and a restart loop cannot hammer the controllers).
pub async fn run(wb: Arc<WriteBack>, models: Arc<ModelCache>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(wb.settings().interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the immediate first tick
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => step_all(&wb, &models).await,
        }
    }
}
