//! The newest usable reading of every turbine, refreshed from PostgreSQL every
//! `serve.latest_refresh_ms` by one task, so a correction "at the latest reading" (HTTP or
//! SCADA) is a memory read. One query per refresh for the whole farm, whatever the request rate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::Utc;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::Reading;
use crate::store;

/// How far back the refresh looks for a usable reading: older than this, a turbine has no
/// current operating point worth correcting.
const LOOKBACK: chrono::Duration = chrono::Duration::hours(24);

/// Latest usable reading by turbine id.
#[derive(Default)]
pub struct LatestReadings {
    readings: ArcSwap<HashMap<i32, Reading>>,
    /// When the last refresh succeeded.
    refreshed: ArcSwap<Option<chrono::DateTime<Utc>>>,
}

impl LatestReadings {
    /// The newest usable reading of a turbine (within the last day).
    pub fn get(&self, turbine_id: i32) -> Option<Reading> {
        self.readings.load().get(&turbine_id).cloned()
    }

    /// When the cache was last refreshed from the database.
    pub fn refreshed_at(&self) -> Option<chrono::DateTime<Utc>> {
        **self.refreshed.load()
    }

    /// Replaces the cached readings (used by the refresh task; tests may set it directly).
    pub fn publish(&self, readings: impl IntoIterator<Item = Reading>) {
        self.readings.store(Arc::new(readings.into_iter().map(|r| (r.turbine_id, r)).collect()));
        self.refreshed.store(Arc::new(Some(Utc::now())));
    }

    /// One refresh for the farm `farm_id`.
    pub async fn refresh(&self, pool: &PgPool, farm_id: i32) -> Result<(), store::StoreError> {
        let rows = store::readings::latest_usable(pool, farm_id, Utc::now() - LOOKBACK).await?;
        self.publish(rows);
        Ok(())
    }

    /// Refreshes every `period` until `stop`. A failed refresh keeps the previous readings (they
    /// age, and the served status turns stale on its own) and is logged once per outage.
    pub async fn run(self: Arc<Self>, pool: PgPool, farm_id: i32, period: Duration, stop: CancellationToken) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.refresh(&pool, farm_id).await {
                Ok(()) if failing => {
                    tracing::info!("latest readings refresh recovered");
                    failing = false;
                }
                Ok(()) => {}
                Err(e) if !failing => {
                    tracing::warn!(error = %e, "latest readings refresh failed; serving the previous ones");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    }
}
