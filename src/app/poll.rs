//! `trueyaw poll`: registers the farm's turbines, polls them into PostgreSQL until stopped,
//! and reports health. [`PollService`] is the reusable part (the demo and tests run it
//! in-process); [`run`] adds the database set-up, signal handling and the health reporter.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::FarmConfig;
use crate::ingest::health::HealthBoard;
use crate::ingest::poller::{PollTarget, Poller};
use crate::ingest::writer::{Writer, WriterMetricsSnapshot, WriterSettings};
use crate::store;

/// A running poller with its writer.
pub struct PollService {
    poller: Poller,
    writer: Writer,
    health: Arc<HealthBoard>,
    pool: PgPool,
}

/// What a poll run did, printed at the end.
#[derive(Debug, serde::Serialize)]
pub struct PollSummary {
    pub writer: WriterMetricsSnapshot,
    pub latency: crate::ingest::health::LatencySummary,
    pub turbines: Vec<crate::ingest::health::TurbineHealth>,
}

impl PollService {
    /// Registers the farm and its turbines (idempotent), starts the writer (which replays any
    /// spool left by an earlier run) and one poll task per turbine. The database must be
    /// migrated.
    pub async fn start(config: &FarmConfig, pool: PgPool) -> anyhow::Result<Self> {
        let farm_id = store::upsert_farm(&pool, &config.farm.name).await.context("registering the farm")?;
        let mut targets = Vec::with_capacity(config.turbines.len());
        for t in &config.turbines {
            let source = t.source.describe();
            let turbine_id = store::upsert_turbine(&pool, farm_id, t.name.as_str(), &source)
                .await
                .with_context(|| format!("registering turbine {}", t.name))?;
            targets.push(PollTarget {
                turbine_id,
                name: t.name.clone(),
                source: t.source.clone(),
                interval: Duration::from_millis(t.interval_ms),
            });
        }
        let health =
            Arc::new(HealthBoard::new(targets.iter().map(|t| (t.turbine_id, t.name.clone(), t.source.describe()))));
        let settings = WriterSettings::from_config(&config.storage, &config.windows);
        let writer = Writer::start(pool.clone(), settings).await.context("starting the writer")?;
        let poller = Poller::start(targets, &config.poll, writer.sender(), health.clone());
        tracing::info!(farm = %config.farm.name, turbines = config.turbines.len(), "polling started");
        Ok(Self { poller, writer, health, pool })
    }

    pub fn health(&self) -> Arc<HealthBoard> {
        self.health.clone()
    }

    /// The writer's live counters (for `/metrics` when `serve` runs the poller).
    pub fn writer_metrics_handle(&self) -> Arc<crate::ingest::writer::WriterMetrics> {
        self.writer.metrics()
    }

    pub fn writer_metrics(&self) -> WriterMetricsSnapshot {
        self.writer.metrics().snapshot()
    }

    /// Stores the current health in `turbine_health` (best effort: the database may be down).
    pub async fn save_health(&self) {
        save_health(&self.pool, &self.health).await;
    }

    /// Stops polling, flushes every reading (to the database, or the spool if it is down),
    /// refreshes windows and stores final health.
    pub async fn stop(self) -> anyhow::Result<PollSummary> {
        self.poller.stop().await;
        let writer = self.writer.finish().await.context("flushing the writer")?;
        save_health(&self.pool, &self.health).await;
        Ok(PollSummary { writer, latency: self.health.latency(), turbines: self.health.snapshot() })
    }
}

pub(super) async fn save_health(pool: &PgPool, health: &HealthBoard) {
    let rows: Vec<store::HealthRow> = health
        .snapshot()
        .into_iter()
        .map(|h| store::HealthRow {
            turbine_id: h.turbine_id,
            last_attempt: h.last_attempt,
            last_success: h.last_success,
            consecutive_failures: i32::try_from(h.consecutive_failures).unwrap_or(i32::MAX),
            polls_ok: i64::try_from(h.polls_ok).unwrap_or(i64::MAX),
            polls_failed: i64::try_from(h.polls_failed).unwrap_or(i64::MAX),
            last_error: h.last_error,
        })
        .collect();
    if let Err(e) = store::upsert_health(pool, &rows).await {
        tracing::warn!(error = %e, "could not store poller health (readings are unaffected)");
    }
}

/// Connects to the database, retrying while it is unreachable (a poller started before its
/// database should wait for it, not die), then migrates it.
pub async fn connect_and_migrate(url: &str, max_connections: u32, stop: &CancellationToken) -> anyhow::Result<PgPool> {
    let redacted = crate::config::redact_url(url);
    let mut delay = Duration::from_secs(1);
    let pool = loop {
        match store::connect(url, max_connections).await {
            Ok(pool) => break pool,
            Err(e) if e.is_connection() => {
                tracing::warn!(database = %redacted, error = %e, retry_in = ?delay, "database unreachable");
                tokio::select! {
                    _ = stop.cancelled() => anyhow::bail!("stopped while waiting for the database {redacted}"),
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e).with_context(|| format!("connecting to {redacted}")),
        }
    };
    store::migrate(&pool).await.with_context(|| format!("migrating {redacted}"))?;
    Ok(pool)
}

/// Options of `trueyaw poll` beyond the config file.
#[derive(Debug, Clone, Default)]
pub struct PollOptions {
    /// Stop after this long (for scripts and benchmarks); `None` runs until a signal.
    pub duration: Option<Duration>,
    /// Overrides every other source of the database URL.
    pub database_url: Option<String>,
}

/// Runs the poller until Ctrl-C, SIGTERM or the optional duration, then flushes.
pub async fn run(config: FarmConfig, opts: PollOptions) -> anyhow::Result<PollSummary> {
    let stop = CancellationToken::new();
    super::stop_on_signal(stop.clone());
    let url = opts.database_url.clone().unwrap_or_else(|| config.database_url());
    let pool = connect_and_migrate(&url, config.database.max_connections, &stop).await?;
    let service = PollService::start(&config, pool).await?;
    let report_every = Duration::from_secs(config.windows.refresh_s.clamp(5, 60));
    let deadline = opts.duration.map(|d| tokio::time::Instant::now() + d);
    loop {
        let tick = tokio::time::sleep(report_every);
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => break,
            _ = tick => {
                log_health(&service);
                service.save_health().await;
            }
        }
    }
    tracing::info!("stopping: flushing readings");
    let summary = service.stop().await?;
    tracing::info!(
        rows_written = summary.writer.rows_written,
        rows_spooled = summary.writer.rows_spooled,
        spool_segments = summary.writer.spool_segments,
        polls = summary.latency.polls,
        p50_ms = summary.latency.p50_ms,
        p99_ms = summary.latency.p99_ms,
        "poller stopped"
    );
    Ok(summary)
}

fn log_health(service: &PollService) {
    let turbines = service.health.snapshot();
    let online = turbines.iter().filter(|h| h.online).count();
    let failed: u64 = turbines.iter().map(|h| h.polls_failed).sum();
    let ok: u64 = turbines.iter().map(|h| h.polls_ok).sum();
    let lat = service.health.latency();
    let w = service.writer_metrics();
    tracing::info!(
        online,
        turbines = turbines.len(),
        polls_ok = ok,
        polls_failed = failed,
        p50_ms = lat.p50_ms,
        p99_ms = lat.p99_ms,
        rows_written = w.rows_written,
        spool_segments = w.spool_segments,
        database_up = w.database_up,
        "poller health"
    );
    for h in turbines.iter().filter(|h| !h.online) {
        tracing::warn!(turbine = %h.turbine, source = %h.source, last_error = ?h.last_error, "offline");
    }
}
