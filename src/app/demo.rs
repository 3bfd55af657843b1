//! `trueyaw demo`: the newcomer's first command. Creates and migrates the database, then runs
//! the loop of [`super::demo_loop`] (history, a small simulated farm, polling, training,
//! serving, write-back) and prints what happens ([`super::demo_print`]), ending with what the
//! corrections did to the simulated turbines' true pointing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::database::{Database, PrivateDatabase};
use super::poll::connect_and_migrate;
use crate::config::{
    DatabaseSettings, FarmConfig, FarmSection, ModbusSource, OpcUaSource, PollSettings, SourceConfig, StorageSettings,
    TurbineConfig, WindowSettings,
};
use crate::domain::{RegisterMap, Signal};
use crate::sim::farm::SimHandle;
use crate::store;

/// Options of `trueyaw demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub turbines: usize,
    /// Days of synthetic history to import and train on before going live (0: no serving part).
    pub history_days: u32,
    pub duration: Duration,
    pub speedup: f64,
    pub seed: u64,
    /// The database the demo runs on (given, the default, or a private PostgreSQL's).
    pub database_url: String,
    /// How often to print the status table (None: never).
    pub status_every: Option<Duration>,
}

/// Runs the demo end to end on the database `given_url` names, or without one on the default
/// address or a private PostgreSQL as `private` says (started here and stopped when it returns,
/// also after Ctrl-C or an error), and prints what happens (see [`super::demo_loop`]).
pub async fn run(mut opts: DemoOptions, given_url: Option<String>, private: PrivateDatabase) -> anyhow::Result<()> {
    anyhow::ensure!(opts.turbines >= 1, "--turbines must be at least 1");
    let stop = CancellationToken::new();
    super::stop_on_signal(stop.clone());
    let db = Database::open(given_url, private).await?;
    opts.database_url = db.url.clone();
    let r = run_on(&opts, &stop).await;
    if let Some(dir) = db.private_data_dir() {
        println!("stopping the private PostgreSQL; its data stays in {} for the next run", dir.display());
    }
    db.close().await;
    r
}

async fn run_on(opts: &DemoOptions, stop: &CancellationToken) -> anyhow::Result<()> {
    let redacted = crate::config::redact_url(&opts.database_url);
    if store::create_database_if_missing(&opts.database_url).await.with_context(|| format!("creating {redacted}"))? {
        println!("created database {redacted}");
    }
    let pool = connect_and_migrate(&opts.database_url, 4, stop).await?;
    println!("database {redacted} is migrated");

    let summary = super::demo_loop::run(&pool, opts, stop, &mut |e| super::demo_print::event(&e)).await?;
    super::demo_print::summary(&summary);
    println!("look inside: psql {redacted} -c 'select * from windows order by window_start desc limit 10'");
    Ok(())
}

/// The demo farm's configuration for the running `sim`.
pub(super) fn demo_config(sim: &SimHandle, opts: &DemoOptions) -> FarmConfig {
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
        database: DatabaseSettings { url: Some(opts.database_url.clone()), max_connections: 4 },
        poll: PollSettings::default(),
        storage: StorageSettings { spool_dir: std::env::temp_dir().join("trueyaw-demo-spool"), ..Default::default() },
        // One-minute windows refreshed every 10 s, so windows appear within a short demo.
        windows: WindowSettings { length_min: 1, refresh_s: 10 },
        // The live corrections, with the usual ports and the default confidence threshold; the
        // drift watch is off (a few minutes of demo have no baseline to compare against).
        serve: crate::config::ServeSettings { drift_watch_every_s: 0, retrain_every_h: 0, ..Default::default() },
        // Write-back enabled on T01 only, at the default guardrails (interval gate, cap, 0.5 deg
        // steps) except the rate: a step every 5 s so the demo shows it moving.
        writeback: crate::config::WriteBackSettings {
            enabled_turbines: vec!["T01".into()],
            min_step_interval_s: 5,
            interval_s: 5,
            ..Default::default()
        },
        turbines,
    }
}
