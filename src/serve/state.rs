//! The one application state every handler and the SCADA server share: cheap to clone (an
//! `Arc`), holding the pool, the settings, the turbine directory and the in-memory caches.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use sqlx::PgPool;

use super::auth::TokenVerifier;
use super::latest::LatestReadings;
use super::model_cache::ModelCache;
use super::writeback::WriteBack;
use crate::config::ServeSettings;

/// A turbine of the served farm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurbineInfo {
    pub id: i32,
    pub name: String,
    /// Where it is polled from, e.g. `modbus://10.0.0.5:502/1`.
    pub source: String,
    /// Its unit id on the SCADA Modbus server.
    pub scada_unit_id: u8,
}

/// The farm's turbines by name, id and SCADA unit.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    turbines: Vec<TurbineInfo>,
    by_name: HashMap<String, usize>,
    by_id: HashMap<i32, usize>,
    by_unit: HashMap<u8, usize>,
}

impl Directory {
    pub fn new(turbines: Vec<TurbineInfo>) -> Self {
        let index = |f: &dyn Fn(&TurbineInfo) -> String| {
            turbines.iter().enumerate().map(|(i, t)| (f(t), i)).collect::<HashMap<_, _>>()
        };
        let by_name = index(&|t| t.name.clone());
        let by_id = turbines.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let by_unit = turbines.iter().enumerate().map(|(i, t)| (t.scada_unit_id, i)).collect();
        Self { turbines, by_name, by_id, by_unit }
    }
    pub fn all(&self) -> &[TurbineInfo] {
        &self.turbines
    }
    pub fn by_name(&self, name: &str) -> Option<&TurbineInfo> {
        self.by_name.get(name).map(|&i| &self.turbines[i])
    }
    pub fn by_id(&self, id: i32) -> Option<&TurbineInfo> {
        self.by_id.get(&id).map(|&i| &self.turbines[i])
    }
    pub fn by_unit(&self, unit: u8) -> Option<&TurbineInfo> {
        self.by_unit.get(&unit).map(|&i| &self.turbines[i])
    }
}

/// What `/metrics` reports of an in-process poller: its writer's counters and its polls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub rows_written: u64,
    pub rows_spooled: u64,
    pub write_failures: u64,
    pub spool_bytes: u64,
    pub spool_segments: u64,
    /// Polls answered, summed over the turbines.
    pub polls_ok: u64,
    /// Polls failed, summed over the turbines.
    pub polls_failed: u64,
}

/// Counters of an in-process poller, when `serve.run_poller` is on (for `/metrics`). The poller
/// is started by `app`, which hands serve only this way of reading it, so serve depends on
/// none of ingest's types.
#[derive(Clone)]
pub struct IngestView(Arc<dyn Fn() -> IngestCounts + Send + Sync>);

impl IngestView {
    /// A view that reads the counters with `counts` at every scrape.
    pub fn new(counts: impl Fn() -> IngestCounts + Send + Sync + 'static) -> Self {
        Self(Arc::new(counts))
    }

    pub fn counts(&self) -> IngestCounts {
        (self.0)()
    }
}

/// Shared state; clone freely.
#[derive(Clone)]
pub struct AppState(pub Arc<StateInner>);

pub struct StateInner {
    pub pool: PgPool,
    pub farm: String,
    pub farm_id: i32,
    pub settings: ServeSettings,
    pub turbines: Directory,
    pub models: Arc<ModelCache>,
    pub latest: Arc<LatestReadings>,
    pub tokens: TokenVerifier,
    pub ingest: Option<IngestView>,
    /// Requests answered by the SCADA server, once it is bound.
    pub scada_requests: std::sync::OnceLock<Arc<std::sync::atomic::AtomicU64>>,
    /// Of those, the ones answered with a Modbus exception.
    pub scada_exceptions: std::sync::OnceLock<Arc<std::sync::atomic::AtomicU64>>,
    /// Open drift alerts by turbine id (their shift, degrees), as the drift watch last saw them.
    pub drift_open: arc_swap::ArcSwap<HashMap<i32, f64>>,
    /// Guarded write-back of yaw offsets to the Modbus turbines.
    pub writeback: Arc<WriteBack>,
    /// Window length the drift watch reads, seconds (the poller's `windows.length_min`).
    pub window_length_s: i32,
    pub started: Instant,
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}
