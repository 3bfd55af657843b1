//! The serving half of `trueyaw demo`: history for the simulated turbines (the simulator's
//! physics with the same seed, as `trueyaw synth` writes it) imported into the database,
//! training queued for every turbine, and `serve` (API, SCADA server, scheduler, write-back on
//! T01) running beside the poller, so a newcomer sees models arrive and corrections served.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DurationRound, TimeDelta, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::scheduler::{self, SchedulerOptions};
use crate::config::FarmConfig;
use crate::ingest::import::{Format, ImportOptions, import_files};
use crate::serve::Server;
use crate::serve::auth::{Role, create_token};
use crate::sim::history::HistorySpec;
use crate::sim::physics::SimProfile;
use crate::store;

/// Writes `days` of history for the demo farm's turbines (seed `seed`, ending now) and imports it.
pub async fn import_history(
    pool: &PgPool,
    config: &FarmConfig,
    seed: u64,
    days: u32,
    dir: &Path,
) -> anyhow::Result<()> {
    let end = Utc::now().duration_trunc(TimeDelta::minutes(10))?;
    let spec = HistorySpec {
        turbines: config.turbines.len(),
        days,
        seed,
        window_s: 600,
        start: end - TimeDelta::days(i64::from(days)),
        profile: SimProfile::realistic(),
    };
    let out = dir.join("history");
    let synth = super::synth::SynthOptions { spec, out: out.clone() };
    tokio::task::spawn_blocking(move || super::synth::run(&synth)).await??;
    let opts =
        ImportOptions { format: Format::Generic, farm: config.farm.name.clone(), create_turbines: true, length_s: 600 };
    let report = import_files(pool, &opts, &[out.join("scada.csv")], |_| {}).await.context("importing the history")?;
    println!("imported {days} days of 10-minute history ({} windows) from the simulator's physics", report.inserted);
    Ok(())
}

/// A running demo server and its scheduler.
pub struct DemoServer {
    pub state: crate::serve::state::AppState,
    tasks: tokio::task::JoinSet<()>,
}

/// Binds the API on 8080 and the SCADA server on 5020 (or free ports when those are taken),
/// creates a viewer token, queues training of every turbine and starts it all.
pub async fn start(
    pool: &PgPool,
    config: &mut FarmConfig,
    database_url: &str,
    models_dir: &Path,
    stop: &CancellationToken,
) -> anyhow::Result<DemoServer> {
    let server = match Server::build(config, pool.clone(), None).await {
        Ok(s) => s,
        Err(_) => {
            config.serve.api_addr = "127.0.0.1:0".parse()?;
            config.serve.scada_addr = "127.0.0.1:0".parse()?;
            Server::build(config, pool.clone(), None).await?
        }
    };
    let (api, scada, state) = (server.api_addr(), server.scada_addr(), server.state());
    let token = create_token(pool, &format!("demo-{}", Utc::now().timestamp_millis()), Role::Operator, "demo").await?;
    for t in state.turbines.all() {
        store::jobs::enqueue(pool, store::jobs::KIND_TRAIN, t.id, &serde_json::json!({}), "demo").await?;
    }
    let mut train = crate::model::training::TrainOptions::new(&config.farm.name);
    train.models_dir = models_dir.to_path_buf();
    // Two months of data: a 6 deg interval gate (instead of `trueyaw train`'s 4 deg, which
    // wants about a year) so the models pass within the demo.
    train.gates.max_ci95_width_deg = 6.0;
    let sched = SchedulerOptions {
        farm_id: state.farm_id,
        worker: scheduler::default_worker(),
        retrain_every: None,
        poll_every: Duration::from_secs(2),
        lease: Duration::from_secs(3600),
        train,
        database_url: database_url.to_string(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(scheduler::run(pool.clone(), sched, stop.clone()));
    let stop2 = stop.clone();
    tasks.spawn(async move {
        if let Err(e) = server.run(stop2).await {
            tracing::error!(error = format!("{e:#}"), "demo server stopped");
        }
    });
    println!("\nAPI       http://{api}/api/v1   docs: http://{api}/api/v1/docs/");
    if let Some(s) = scada {
        println!("SCADA     modbus tcp://{s}  unit 1 = T01 (input registers 0-6)");
    }
    println!("token     {token}   (operator; shown once)");
    println!("try       curl -H 'Authorization: Bearer {token}' http://{api}/api/v1/turbines/T01/correction");
    println!("training  one job per turbine queued; models appear in the table as they finish");
    println!(
        "writeback T01 enabled (0.5 deg steps, one per {} s), the others dry-run\n",
        config.writeback.min_step_interval_s
    );
    Ok(DemoServer { state, tasks })
}

impl DemoServer {
    /// Waits for the server and scheduler to end (after `stop`).
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}
