//! Scheduled learning: queue a training job for each turbine whose newest model is older than
//! `serve.retrain_every_h`, and run queued jobs (also those the API queued). Jobs live in
//! PostgreSQL and are claimed with `FOR UPDATE SKIP LOCKED`, so several `trueyaw serve`
//! processes share the work and never train the same turbine at once. Training is CPU-bound for
//! seconds: it runs on its own thread with its own runtime and database connections, so the API
//! and SCADA server keep their latency while a model trains.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::model::training::{TrainOptions, train_farm};
use crate::store::{self, JobRow};

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub farm_id: i32,
    /// Name written to `jobs.worker` (host and process id by default).
    pub worker: String,
    /// Retrain a turbine whose newest model is older than this; None: only on demand.
    pub retrain_every: Option<Duration>,
    /// How often to look for due turbines and queued jobs.
    pub poll_every: Duration,
    /// How long a claimed job is held before another worker may take it back.
    pub lease: Duration,
    /// Training settings; `turbine` is set per job.
    pub train: TrainOptions,
    pub database_url: String,
}

/// A worker name unique to this process.
pub fn default_worker() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Runs until `stop`. A job under way when stop comes is finished first (its lease would
/// otherwise make it wait for another worker).
pub async fn run(pool: PgPool, opts: SchedulerOptions, stop: CancellationToken) {
    loop {
        if let Err(e) = tick(&pool, &opts).await {
            tracing::warn!(error = format!("{e:#}"), "scheduler tick failed; retrying");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(opts.poll_every) => {}
        }
    }
}

/// One round: queue what is due, then run queued jobs until none is left.
pub async fn tick(pool: &PgPool, opts: &SchedulerOptions) -> anyhow::Result<()> {
    if let Some(age) = opts.retrain_every {
        for turbine_id in store::jobs::turbines_due(pool, opts.farm_id, store::jobs::KIND_TRAIN, age).await? {
            let (id, new) =
                store::jobs::enqueue(pool, store::jobs::KIND_TRAIN, turbine_id, &serde_json::json!({}), "scheduler")
                    .await?;
            if new {
                tracing::info!(job = id, turbine_id, "retraining due; job queued");
            }
        }
    }
    while let Some(job) = store::jobs::claim(pool, &opts.worker, opts.lease).await? {
        let outcome = run_job(pool, opts, &job).await.map_err(|e| format!("{e:#}"));
        match &outcome {
            Ok(r) => tracing::info!(job = job.id, result = %r, "job done"),
            Err(e) => tracing::warn!(job = job.id, error = %e, "job failed"),
        }
        if !store::jobs::finish(pool, job.id, &opts.worker, outcome).await? {
            tracing::warn!(job = job.id, "job was taken back by another worker before it finished");
        }
    }
    Ok(())
}

async fn run_job(pool: &PgPool, opts: &SchedulerOptions, job: &JobRow) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(job.kind == store::jobs::KIND_TRAIN, "unknown job kind {:?}", job.kind);
    let turbines = store::list_turbines(pool, opts.farm_id).await?;
    let turbine = turbines
        .into_iter()
        .find(|t| t.id == job.turbine_id)
        .with_context(|| format!("turbine id {} is not in this farm", job.turbine_id))?;
    let mut train = opts.train.clone();
    train.turbine = Some(turbine.name.clone());
    let url = opts.database_url.clone();
    let outcomes = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async {
            let pool = store::connect(&url, 2).await?;
            let r = train_farm(&pool, &train).await;
            pool.close().await;
            anyhow::Ok(r?)
        })
    })
    .await
    .context("training thread panicked")??;
    let o = outcomes.first().context("training produced no model")?;
    Ok(serde_json::json!({
        "turbine": o.turbine, "version": o.version, "method": o.method, "active": o.active, "reason": o.reason,
        "vane_error_deg": o.estimate.vane_error_deg, "ci95": o.estimate.ci95,
    }))
}
