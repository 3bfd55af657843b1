//! The serving half of `trueyaw demo`: history for the simulated turbines (the simulator's
//! physics with the same seed, as `trueyaw synth` writes it, whose end state the live turbines
//! carry on from) imported into the database, training queued for every turbine at the default
//! gates, and `serve` (API, SCADA server, scheduler, write-back on T01) running beside the
//! poller, so a newcomer sees models arrive and corrections served.

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
use crate::sim::history::{HistorySpec, generate};
use crate::sim::physics::{FarmPhysics, SimProfile};
use crate::store;

/// The demo's history: `days` of 10-minute windows of the simulator's physics (seed `seed`),
/// written as CSV under `dir`, ending at the last 10-minute boundary before now.
pub struct History {
    pub csv: std::path::PathBuf,
    pub days: u32,
    /// Time of the physics' second 0 (the first window's start).
    pub start: chrono::DateTime<Utc>,
    /// The physics where the history ended: the live turbines carry on from it, so what the
    /// models learned (drift events included) is what the live turbines do.
    pub physics: FarmPhysics,
}

/// Generates the history of `turbines` turbines (off the async runtime: it is CPU-bound).
pub async fn generate_history(turbines: usize, seed: u64, days: u32, dir: &Path) -> anyhow::Result<History> {
    let end = Utc::now().duration_trunc(TimeDelta::minutes(10))?;
    let start = end - TimeDelta::days(i64::from(days));
    let spec = HistorySpec { turbines, days, seed, window_s: 600, start, profile: SimProfile::realistic() };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let csv = dir.join("scada.csv");
    let path = csv.clone();
    let physics = tokio::task::spawn_blocking(move || -> anyhow::Result<FarmPhysics> {
        let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let (physics, _) = generate(&spec, std::io::BufWriter::with_capacity(1 << 20, file))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(physics)
    })
    .await??;
    Ok(History { csv, days, start, physics })
}

/// Imports the history's CSV into the demo farm; returns the windows inserted.
pub async fn import_history(pool: &PgPool, config: &FarmConfig, history: &History) -> anyhow::Result<u64> {
    let opts =
        ImportOptions { format: Format::Generic, farm: config.farm.name.clone(), create_turbines: true, length_s: 600 };
    let report =
        import_files(pool, &opts, std::slice::from_ref(&history.csv), |_| {}).await.context("importing the history")?;
    Ok(report.inserted)
}

/// A running demo server and its scheduler.
pub struct DemoServer {
    pub state: crate::serve::state::AppState,
    /// Where the API (and the dashboard) and the SCADA server listen.
    pub api: std::net::SocketAddr,
    pub scada: Option<std::net::SocketAddr>,
    /// The operator token created for the demo (its secret; shown once).
    pub token: String,
    /// The training job queued per turbine: `(turbine id, job id)`.
    pub jobs: Vec<(i32, i64)>,
    tasks: tokio::task::JoinSet<()>,
}

/// Binds the API on 8080 and the SCADA server on 5020 (or free ports when those are taken),
/// creates an operator token, queues training of every turbine and starts it all.
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
    let mut jobs = Vec::new();
    for t in state.turbines.all() {
        let (job, _) =
            store::jobs::enqueue(pool, store::jobs::KIND_TRAIN, t.id, &serde_json::json!({}), "demo").await?;
        jobs.push((t.id, job));
    }
    let mut train = crate::cli::default_train_options(&config.farm.name);
    train.models_dir = models_dir.to_path_buf();
    // The gates are `trueyaw train`'s own: the demo's history is long enough to pass them.
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
    Ok(DemoServer { state, api, scada, token, jobs, tasks })
}

impl DemoServer {
    /// Waits for the server and scheduler to end (after `stop`).
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}
