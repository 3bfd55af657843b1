//! Direction change points of a farm's turbines before training (`model::consensus::
//! direction_breaks`): the neural model starts a drift block at each, so a vane step is fitted
//! at its own time. Needs three or more turbines with windows; otherwise, or when the farm's
//! windows share no times, every turbine trains on the regular block grid alone (logged).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::model::consensus::{ConsensusConfig, direction_breaks};
use crate::store::StoreError;

/// Change points per turbine id (empty map when there is no consensus to compare with).
pub async fn farm_breaks(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    period: super::Period,
) -> Result<HashMap<i32, Vec<DateTime<Utc>>>, StoreError> {
    let windows = super::farm_directions(pool, farm_id, length_s, period).await?;
    // CPU work of a few seconds for a farm-year: off the async workers
    let found = tokio::task::spawn_blocking(move || direction_breaks(&windows, &ConsensusConfig::default()))
        .await
        .expect("direction change points panicked");
    match found {
        Ok(b) => {
            let n: usize = b.iter().map(|(_, t)| t.len()).sum();
            tracing::info!(turbines = b.len(), change_points = n, "direction change points from the farm consensus");
            for (turbine_id, times) in &b {
                tracing::debug!(turbine_id, change_points = times.len(), "direction change points of one turbine");
            }
            Ok(b.into_iter().collect())
        }
        Err(e) => {
            tracing::info!(error = %e, "no direction change points: drift blocks on the regular grid only");
            Ok(HashMap::new())
        }
    }
}
