//! `trueyaw demo`: the newcomer's first command. Creates and migrates the database, starts a
//! small simulated farm (Modbus turbines, plus one over OPC UA to show both protocols) running
//! faster than real time, polls it into PostgreSQL, and prints what is happening.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::database::Database;
use super::poll::{PollService, connect_and_migrate};
use crate::config::{
    DatabaseSettings, FarmConfig, FarmSection, ModbusSource, OpcUaSource, PollSettings, SourceConfig, StorageSettings,
    TurbineConfig, WindowSettings,
};
use crate::domain::{RegisterMap, Signal};
use crate::serve::state::AppState;
use crate::sim::farm::{SimHandle, SimOptions, SimProfile};
use crate::store;
use crate::store::private_server::PrivateDatabase;

/// Options of `trueyaw demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub turbines: usize,
    /// Days of synthetic history to import and train on before going live (0: no serving part).
    pub history_days: u32,
    pub duration: Duration,
    pub speedup: f64,
    pub seed: u64,
    /// The database URL given on the command line or in the environment, if any.
    pub database_url: Option<String>,
    /// When to start a private PostgreSQL instead (without a given URL).
    pub private_database: PrivateDatabase,
}

/// Runs the demo end to end and prints a status table every few seconds. A private
/// PostgreSQL it started is stopped when it returns, also after Ctrl-C or an error.
pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    anyhow::ensure!(opts.turbines >= 1, "--turbines must be at least 1");
    let stop = CancellationToken::new();
    super::stop_on_signal(stop.clone());
    let db = Database::open(opts.database_url.clone(), opts.private_database).await?;
    let r = run_on(&opts, &db.url, &stop).await;
    if let Some(dir) = db.private_data_dir() {
        println!("stopping the private PostgreSQL; its data stays in {} for the next run", dir.display());
    }
    db.close().await;
    r
}

async fn run_on(opts: &DemoOptions, database_url: &str, stop: &CancellationToken) -> anyhow::Result<()> {
    let redacted = crate::config::redact_url(database_url);
    if store::create_database_if_missing(database_url).await.with_context(|| format!("creating {redacted}"))? {
        println!("created database {redacted}");
    }
    let pool = connect_and_migrate(database_url, 4, stop).await?;
    println!("database {redacted} is migrated");

    let sim = crate::sim::farm::start(SimOptions {
        turbines: opts.turbines,
        base_port: 0,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        seed: opts.seed,
        speedup: opts.speedup,
        start: Utc::now(),
        opcua_port: (opts.turbines >= 2).then_some(0),
        truth_path: None,
        profile: SimProfile::realistic(),
    })
    .await
    .context("starting the simulated farm")?;
    let mut config = demo_config(&sim, database_url);
    let scratch = std::env::temp_dir().join(format!("trueyaw-demo-{}", std::process::id()));
    if opts.history_days > 0 {
        super::demo_serve::import_history(&pool, &config, opts.seed, opts.history_days, &scratch).await?;
    }
    for t in &config.turbines {
        let src = match &t.source {
            SourceConfig::Modbus(m) => format!("Modbus TCP {}:{} unit {}", m.host, m.port, m.unit_id),
            SourceConfig::OpcUa(o) => format!("OPC UA {}", o.endpoint),
        };
        println!("simulated turbine {} on {src}", t.name);
    }
    println!(
        "polling {} turbines at 1 Hz for {:?}; the simulated turbines run {}x faster than real time\n",
        config.turbines.len(),
        opts.duration,
        opts.speedup
    );

    let service = PollService::start(&config, pool.clone()).await?;
    let served = if opts.history_days > 0 {
        let models = scratch.join("models");
        Some(super::demo_serve::start(&pool, &mut config, database_url, &models, stop).await?)
    } else {
        None
    };
    let state = served.as_ref().map(|s| s.state.clone());
    let deadline = tokio::time::Instant::now() + opts.duration;
    let mut ticker = tokio::time::interval(Duration::from_secs(5));
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            _ = ticker.tick() => print_status(&service, &pool, &config, state.as_ref(), &sim).await,
        }
    }
    stop.cancel();
    if let Some(s) = served {
        s.join().await;
    }
    let summary = service.stop().await?;
    print_status_rows(&pool, &config, &summary.turbines, state.as_ref(), &sim).await;
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "\ndone: {} readings written, {} spooled, poll latency p50 {:.1} ms p99 {:.1} ms",
        summary.writer.rows_written, summary.writer.rows_spooled, summary.latency.p50_ms, summary.latency.p99_ms
    );
    println!("look inside: psql {redacted} -c 'select * from windows order by window_start desc limit 10'");
    Ok(())
}

fn demo_config(sim: &SimHandle, database_url: &str) -> FarmConfig {
    let names = sim.names();
    let opcua = sim.opcua_endpoint();
    let turbines = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let last = i + 1 == names.len();
            let source = match (&opcua, last) {
                (Some(endpoint), true) => SourceConfig::OpcUa(OpcUaSource {
                    endpoint: endpoint.clone(),
                    nodes: Signal::ALL
                        .iter()
                        .map(|s| (*s, format!("ns=2;s={name}.{}", s.opcua_field())))
                        .collect::<BTreeMap<_, _>>(),
                }),
                _ => {
                    let addr = sim.modbus_addr(i);
                    SourceConfig::Modbus(ModbusSource {
                        host: addr.ip().to_string(),
                        port: addr.port(),
                        unit_id: 1,
                        register_map: RegisterMap::generic(),
                    })
                }
            };
            TurbineConfig { name: name.clone(), source, interval_ms: 1000, scada_unit_id: (i + 1) as u8 }
        })
        .collect();
    FarmConfig {
        path: PathBuf::from("<demo>"),
        farm: FarmSection { name: "demo".into() },
        database: DatabaseSettings { url: Some(database_url.to_string()), max_connections: 4 },
        poll: PollSettings::default(),
        storage: StorageSettings { spool_dir: std::env::temp_dir().join("trueyaw-demo-spool"), ..Default::default() },
        // One-minute windows refreshed every 10 s, so windows appear within a short demo.
        windows: WindowSettings { length_min: 1, refresh_s: 10 },
        // The live corrections, with the usual ports; the drift watch is off (a one-minute demo
        // has no baseline to compare against).
        // Two months of history give intervals up to about 6 deg: the demo accepts them (gate,
        // served status and write-back alike) where a year of data would be held to 4 deg.
        serve: crate::config::ServeSettings {
            drift_watch_every_s: 0,
            retrain_every_h: 0,
            low_confidence_ci95_width_deg: 6.0,
            ..Default::default()
        },
        // Write-back enabled on T01 only, a step every 10 s so the demo shows it moving.
        writeback: crate::config::WriteBackSettings {
            enabled_turbines: vec!["T01".into()],
            min_step_interval_s: 10,
            interval_s: 5,
            max_ci95_width_deg: 6.0,
            ..Default::default()
        },
        turbines,
    }
}

async fn print_status(
    service: &PollService,
    pool: &sqlx::PgPool,
    config: &FarmConfig,
    state: Option<&AppState>,
    sim: &SimHandle,
) {
    print_status_rows(pool, config, &service.health().snapshot(), state, sim).await;
    let w = service.writer_metrics();
    println!(
        "  writer: {} rows written, {} spooled, database {}\n",
        w.rows_written,
        w.rows_spooled,
        if w.database_up { "up" } else { "DOWN" }
    );
}

async fn print_status_rows(
    pool: &sqlx::PgPool,
    config: &FarmConfig,
    health: &[crate::ingest::health::TurbineHealth],
    state: Option<&AppState>,
    sim: &SimHandle,
) {
    println!(
        "{:<5} {:<7} {:>6} {:>6} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7} | {:>5} {:>10} {:<14} {:>9} {:>9}",
        "turb",
        "status",
        "ok",
        "failed",
        "wind m/s",
        "vane deg",
        "yaw deg",
        "power kW",
        "rows",
        "windows",
        "model",
        "offset deg",
        "served",
        "written",
        "true gam"
    );
    let now = Utc::now();
    for (t, h) in config.turbines.iter().zip(health) {
        let latest = store::readings_between(pool, h.turbine_id, now - chrono::Duration::seconds(10), now)
            .await
            .ok()
            .and_then(|r| r.into_iter().rev().find(|r| !r.quality.is_failed_poll()));
        let rows = store::count_readings(pool, h.turbine_id).await.unwrap_or(-1);
        let windows = store::windows_between(pool, h.turbine_id, 60, now - chrono::Duration::days(1), now)
            .await
            .map(|w| w.len() as i64)
            .unwrap_or(-1);
        let f = |v: Option<f32>, p: usize| v.map_or_else(|| "-".to_string(), |v| format!("{v:.p$}"));
        let i = config.turbines.iter().position(|c| c.name == t.name).unwrap_or(0);
        let truth = sim.true_state(i);
        let (model, offset, served) = match state {
            Some(st) => {
                let l = crate::serve::live::live(st, h.turbine_id);
                let offset = l.corrected.map_or_else(|| "-".into(), |c| format!("{:+.2}", c.yaw_offset_deg));
                let model = l.model_version.map_or_else(|| "-".into(), |v| format!("v{v}"));
                (model, offset, format!("{:?}", l.status))
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        print!(
            "{:<5} {:<7} {:>6} {:>6} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}",
            t.name.as_str(),
            if h.online { "online" } else { "OFFLINE" },
            h.polls_ok,
            h.polls_failed,
            f(latest.as_ref().and_then(|r| r.wind_speed_ms), 1),
            f(latest.as_ref().and_then(|r| r.vane_deg), 1),
            f(latest.as_ref().and_then(|r| r.nacelle_deg), 1),
            f(latest.as_ref().and_then(|r| r.power_kw), 0),
            rows,
            windows
        );
        println!(
            " | {model:>5} {offset:>10} {served:<14} {:>+9.2} {:>+9.1}",
            truth.applied_offset_deg, truth.gamma_deg
        );
    }
}
