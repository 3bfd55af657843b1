//! The core of `trueyaw demo`, without its printing: history, the simulated farm carrying on
//! from it, polling, training at the default gates, serving and write-back, watched until the
//! deadline. What happens is handed to an observer as [`DemoEvent`]s as it happens; what it
//! achieved comes back as a [`DemoSummary`] measured on the simulator's truth (never on
//! trueyaw's own estimate), so a test can assert that the loop closed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::demo::DemoOptions;
use super::demo_watch::{self, StatusRow, Watch};
use super::poll::PollService;
use crate::config::{FarmConfig, SourceConfig};
use crate::sim::farm::{SimOptions, SimProfile};
use crate::sim::pointing::{Pointing, Recovered};

/// Something the demo did, in the order it happened.
#[derive(Debug, Clone)]
pub enum DemoEvent {
    /// The history was generated and imported.
    History { days: u32, windows: u64, seconds: f64 },
    /// The farm runs and is polled: each turbine and where it is served.
    Farm { sources: Vec<(String, String)> },
    /// The API, dashboard and SCADA server are up.
    Serving { api: SocketAddr, scada: Option<SocketAddr>, token: String, writeback: Vec<String> },
    /// A turbine's training finished: the truth beside the estimate, and the gates' verdict.
    Trained(demo_watch::Trained),
    /// A write-back decision stored in `yaw_offset_writes`.
    Step(demo_watch::Step),
    /// The periodic status table.
    Status(Vec<StatusRow>),
}

/// What the demo achieved per turbine, from the simulator's truth.
#[derive(Debug, Clone)]
pub struct TurbineSummary {
    pub name: String,
    pub writeback_enabled: bool,
    /// The true operating vane error (4-11 m/s) at the end, deg.
    pub true_vane_error_deg: f64,
    /// The turbine's true `cos^p` exponent.
    pub cos_exponent_p: f64,
    /// The training verdict, if training finished within the run.
    pub trained: Option<demo_watch::Trained>,
    /// Steps written to the controller and dry-run steps computed.
    pub writes: usize,
    pub dry_runs: usize,
    /// The offset the simulated controller applies at the end, deg.
    pub written_offset_deg: f64,
    /// Live pointing before the first write (the whole run if nothing was written), and after
    /// the last write to the end (None if nothing was written or the turbine did not operate).
    pub before: Option<Pointing>,
    pub after: Option<Pointing>,
    pub recovered: Option<Recovered>,
}

/// The demo's result.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub turbines: Vec<TurbineSummary>,
    /// `http://<api>/login?token=...`: paste it to open the dashboard signed in.
    pub dashboard_url: Option<String>,
    pub rows_written: u64,
    pub rows_spooled: u64,
    pub poll_p50_ms: f64,
    pub poll_p99_ms: f64,
}

/// Runs the demo on `pool` (created and migrated) until `opts.duration` passes or `stop`.
pub async fn run(
    pool: &PgPool,
    opts: &DemoOptions,
    stop: &CancellationToken,
    on: &mut (dyn FnMut(DemoEvent) + Send),
) -> anyhow::Result<DemoSummary> {
    let scratch = std::env::temp_dir().join(format!("trueyaw-demo-{}-{}", std::process::id(), opts.seed));
    let result = run_in(pool, opts, stop, on, &scratch).await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

async fn run_in(
    pool: &PgPool,
    opts: &DemoOptions,
    stop: &CancellationToken,
    on: &mut (dyn FnMut(DemoEvent) + Send),
    scratch: &Path,
) -> anyhow::Result<DemoSummary> {
    let began = std::time::Instant::now();
    let history = match opts.history_days {
        0 => None,
        days => {
            Some(super::demo_serve::generate_history(opts.turbines, opts.seed, days, &scratch.join("history")).await?)
        }
    };
    let sim_opts = SimOptions {
        turbines: opts.turbines,
        base_port: 0,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        seed: opts.seed,
        speedup: opts.speedup,
        start: history.as_ref().map_or_else(Utc::now, |h| h.start),
        opcua_port: (opts.turbines >= 2).then_some(0),
        truth_path: None,
        profile: SimProfile::realistic(),
    };
    let sim = match &history {
        Some(h) => crate::sim::farm::start_from(sim_opts, h.physics.clone()).await,
        None => crate::sim::farm::start(sim_opts).await,
    };
    let sim = anyhow::Context::context(sim, "starting the simulated farm")?;
    let mut config = super::demo::demo_config(&sim, opts);
    if let Some(h) = &history {
        let windows = super::demo_serve::import_history(pool, &config, h).await?;
        on(DemoEvent::History { days: h.days, windows, seconds: began.elapsed().as_secs_f64() });
    }
    on(DemoEvent::Farm { sources: sources(&config) });

    let service = PollService::start(&config, pool.clone()).await?;
    let served = match &history {
        Some(_) => {
            let models = scratch.join("models");
            Some(super::demo_serve::start(pool, &mut config, &opts.database_url, &models, stop).await?)
        }
        None => None,
    };
    if let Some(s) = &served {
        let writeback = config.writeback.enabled_turbines.clone();
        on(DemoEvent::Serving { api: s.api, scada: s.scada, token: s.token.clone(), writeback });
    }
    let mut watch = Watch::new(&sim, &config, served.as_ref().map(|s| (s.state.clone(), s.jobs.clone())));
    let deadline = tokio::time::Instant::now() + opts.duration;
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    let mut status = opts.status_every.map(|d| tokio::time::interval_at(tokio::time::Instant::now() + d, d));
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            _ = every_second.tick() => watch.poll(pool, &sim, on).await,
            _ = async { status.as_mut().expect("guarded").tick().await }, if status.is_some() => {
                on(DemoEvent::Status(demo_watch::status_rows(&service, pool, &config, watch.state(), &sim).await));
            }
        }
    }
    // One last look, so steps of the final second are counted.
    watch.poll(pool, &sim, on).await;
    let turbines = watch.summaries(&sim);
    stop.cancel();
    let dashboard_url = served.as_ref().map(|s| format!("http://{}/login?token={}", s.api, s.token));
    if let Some(s) = served {
        s.join().await;
    }
    let polled = service.stop().await?;
    sim.shutdown().await;
    Ok(DemoSummary {
        turbines,
        dashboard_url,
        rows_written: polled.writer.rows_written,
        rows_spooled: polled.writer.rows_spooled,
        poll_p50_ms: polled.latency.p50_ms,
        poll_p99_ms: polled.latency.p99_ms,
    })
}

fn sources(config: &FarmConfig) -> Vec<(String, String)> {
    config
        .turbines
        .iter()
        .map(|t| {
            let src = match &t.source {
                SourceConfig::Modbus(m) => format!("Modbus TCP {}:{} unit {}", m.host, m.port, m.unit_id),
                SourceConfig::OpcUa(o) => format!("OPC UA {}", o.endpoint),
            };
            (t.name.to_string(), src)
        })
        .collect()
}
