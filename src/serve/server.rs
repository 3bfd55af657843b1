//! `trueyaw serve` assembled: registers the farm's turbines, loads the active models, binds the
//! API and SCADA listeners (so tests can bind port 0 and read the ports back), and runs the
//! servers and the cache-refreshing tasks under one [`Supervisor`] until stopped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::auth::TokenVerifier;
use super::latest::LatestReadings;
use super::live::{LiveStatus, live};
use super::model_cache::ModelCache;
use super::scada::{ScadaLimits, ScadaServer, ScadaSource, ScadaStatus, ScadaValues};
use super::state::{AppState, Directory, IngestView, StateInner, TurbineInfo};
use super::supervisor::Supervisor;
use super::writeback::{WriteBack, WriteBackTurbine};
use crate::config::{FarmConfig, SourceConfig};
use crate::store;

/// A bound, not yet running, server.
pub struct Server {
    state: AppState,
    api: TcpListener,
    scada: Option<ScadaServer>,
}

impl Server {
    /// Registers the farm and turbines (idempotent), loads the active models and binds the
    /// listeners of `config.serve`. The database must be migrated.
    pub async fn build(config: &FarmConfig, pool: PgPool, ingest: Option<IngestView>) -> anyhow::Result<Self> {
        let farm_id = store::upsert_farm(&pool, &config.farm.name).await.context("registering the farm")?;
        let mut turbines = Vec::with_capacity(config.turbines.len());
        for t in &config.turbines {
            let source = t.source.describe();
            let id = store::upsert_turbine(&pool, farm_id, t.name.as_str(), &source)
                .await
                .with_context(|| format!("registering turbine {}", t.name))?;
            turbines.push(TurbineInfo { id, name: t.name.to_string(), source, scada_unit_id: t.scada_unit_id });
        }
        let settings = config.serve.clone();
        let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let models = Arc::new(ModelCache::new(pool.clone(), farm_id, turbines.iter().map(|t| t.id), base));
        models.reload_all().await.context("loading the active models")?;
        let latest = Arc::new(LatestReadings::default());
        if let Err(e) = latest.refresh(&pool, farm_id).await {
            tracing::warn!(error = %e, "first read of the latest readings failed; retrying in the background");
        }
        let wb_turbines: Vec<WriteBackTurbine> = config
            .turbines
            .iter()
            .zip(&turbines)
            .filter_map(|(c, t)| match &c.source {
                SourceConfig::Modbus(m) => {
                    Some(WriteBackTurbine { name: c.name.clone(), turbine_id: t.id, modbus: m.clone() })
                }
                SourceConfig::OpcUa(_) => None, // no command register over OPC UA yet
            })
            .collect();
        let writeback = WriteBack::new(pool.clone(), config.writeback.clone(), wb_turbines)
            .map(Arc::new)
            .context("setting up write-back ([writeback] section)")?;
        let state = AppState(Arc::new(StateInner {
            tokens: TokenVerifier::new(pool.clone()),
            pool,
            farm: config.farm.name.clone(),
            farm_id,
            turbines: Directory::new(turbines),
            models,
            latest,
            ingest,
            scada_requests: Default::default(),
            scada_exceptions: Default::default(),
            drift_open: Default::default(),
            writeback,
            window_length_s: config.windows.length_min as i32 * 60,
            started: Instant::now(),
            settings,
        }));
        super::metrics::handle();
        let api = TcpListener::bind(state.settings.api_addr)
            .await
            .with_context(|| format!("binding the API to {} (serve.api_addr)", state.settings.api_addr))?;
        let scada = if state.settings.scada_enabled {
            let source: Arc<dyn ScadaSource> = Arc::new(ScadaBridge(state.clone()));
            let s = ScadaServer::bind(state.settings.scada_addr, source).await.with_context(|| {
                format!("binding the SCADA server to {} (serve.scada_addr)", state.settings.scada_addr)
            })?;
            let s = s.with_limits(ScadaLimits {
                idle_timeout: Duration::from_secs(state.settings.scada_idle_timeout_s),
                frame_timeout: Duration::from_secs(state.settings.scada_frame_timeout_s),
                max_connections: state.settings.scada_max_connections,
            });
            let _ = state.scada_requests.set(s.requests_served());
            let _ = state.scada_exceptions.set(s.exceptions_sent());
            Some(s)
        } else {
            None
        };
        Ok(Self { state, api, scada })
    }

    pub fn api_addr(&self) -> SocketAddr {
        self.api.local_addr().expect("bound listener has an address")
    }

    pub fn scada_addr(&self) -> Option<SocketAddr> {
        self.scada.as_ref().map(ScadaServer::local_addr)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `stop`, then lets in-flight requests finish. If any of the servers or
    /// background tasks ends before `stop` (fails, panics or returns), the others are stopped
    /// too and its failure is returned: a process half serving is worse than one restarted.
    pub async fn run(self, stop: CancellationToken) -> anyhow::Result<()> {
        let state = self.state;
        let mut tasks = Supervisor::new(stop.clone());
        tasks.spawn_infallible("model change listener", state.models.clone().listen(stop.clone()));
        let period = Duration::from_millis(state.settings.latest_refresh_ms);
        let latest = state.latest.clone().run(state.pool.clone(), state.farm_id, period, stop.clone());
        tasks.spawn_infallible("latest readings refresh", latest);
        // Off (0) means not started, rather than a task that returns at once and would count as
        // ending early.
        if state.settings.drift_watch_every_s > 0 {
            tasks.spawn_infallible("drift watch", super::drift_watch::run(state.clone(), stop.clone()));
        }
        let writeback = super::writeback::schedule::run(state.writeback.clone(), state.models.clone(), stop.clone());
        tasks.spawn_infallible("write-back loop", writeback);
        if let Some(scada) = self.scada {
            let stop = stop.clone();
            tasks.spawn("SCADA server", async move { Ok(scada.run(stop).await?) });
        }
        tracing::info!(api = %self.api.local_addr()?, farm = %state.farm, "serving");
        let app = super::router::app(state.clone());
        let shutdown = stop.clone();
        let http = axum::serve(self.api, app).with_graceful_shutdown(async move { shutdown.cancelled().await });
        tasks.spawn("HTTP server", async move { Ok(http.await?) });
        tasks.run().await
    }
}

/// The SCADA server's view of the live corrections.
struct ScadaBridge(AppState);

impl ScadaSource for ScadaBridge {
    fn values(&self, unit_id: u8) -> Option<ScadaValues> {
        let t = self.0.turbines.by_unit(unit_id)?;
        let l = live(&self.0, t.id);
        Some(ScadaValues {
            corrected_relative_deg: l.corrected.map(|c| c.corrected_relative_deg),
            corrected_absolute_deg: l.corrected.and_then(|c| c.corrected_absolute_deg),
            yaw_offset_deg: l.corrected.map(|c| c.yaw_offset_deg),
            ci95_half_width_deg: l.corrected.map(|c| (c.ci95[1] - c.ci95[0]) / 2.0),
            model_version: l.model_version,
            reading_age_s: l.reading_age_s,
            status: match l.status {
                LiveStatus::Ok => ScadaStatus::Ok,
                LiveStatus::Stale => ScadaStatus::Stale,
                LiveStatus::NoModel => ScadaStatus::NoModel,
                LiveStatus::LowConfidence => ScadaStatus::LowConfidence,
            },
        })
    }
}
