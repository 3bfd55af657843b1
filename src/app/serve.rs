//! `trueyaw serve`: the API, the SCADA server and the scheduler in one process, and the poller
//! too when `serve.run_poller` is on. Stops on Ctrl-C or SIGTERM, flushing the poller's readings.

use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::database::Database;
use super::poll::{PollService, connect_and_migrate};
use super::scheduler::{self, SchedulerOptions};
use crate::config::FarmConfig;
use crate::serve::Server;
use crate::serve::state::{IngestCounts, IngestView};
use crate::store::private_server::PrivateDatabase;

/// Options of `trueyaw serve` beyond the config file.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database URL given (command line, environment or `[database] url`), if any.
    pub database_url: Option<String>,
    /// When to start a private PostgreSQL instead (without a given URL).
    pub private_database: PrivateDatabase,
    /// Training settings for scheduled and requested jobs.
    pub train: crate::model::training::TrainOptions,
}

/// Runs everything until a signal (or `stop`, for callers that embed it). A private
/// PostgreSQL it started is stopped when it returns.
pub async fn run(config: FarmConfig, opts: ServeOptions, stop: CancellationToken) -> anyhow::Result<()> {
    super::stop_on_signal(stop.clone());
    let db = Database::open(opts.database_url.clone(), opts.private_database).await?;
    let r = run_on(&config, &opts, &db.url, &stop).await;
    db.close().await;
    r
}

async fn run_on(
    config: &FarmConfig,
    opts: &ServeOptions,
    database_url: &str,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let pool = connect_and_migrate(database_url, config.database.max_connections, stop).await?;
    let poll = if config.serve.run_poller { Some(PollService::start(config, pool.clone()).await?) } else { None };
    let ingest = poll.as_ref().map(ingest_view);
    let server = Server::build(config, pool.clone(), ingest).await?;
    println!("trueyaw serving farm {}", config.farm.name);
    println!("  API         http://{}/api/v1  (docs: /api/v1/docs, spec: /api/v1/openapi.json)", server.api_addr());
    if let Some(a) = server.scada_addr() {
        println!("  SCADA       modbus tcp://{a}  (input registers 0-6, one unit id per turbine)");
    }
    let farm_id = server.state().farm_id;
    let mut tasks = tokio::task::JoinSet::new();
    if config.serve.run_jobs {
        let retrain = config.serve.retrain_every_h;
        let sched = SchedulerOptions {
            farm_id,
            worker: scheduler::default_worker(),
            retrain_every: (retrain > 0).then(|| Duration::from_secs(retrain * 3600)),
            poll_every: Duration::from_secs(5),
            lease: Duration::from_secs(3600),
            // trains on the windows the poller makes (`windows.length_min`)
            train: crate::model::training::TrainOptions {
                farm: config.farm.name.clone(),
                length_s: config.windows.length_min as i32 * 60,
                ..opts.train.clone()
            },
            database_url: database_url.to_string(),
        };
        tasks.spawn(scheduler::run(pool.clone(), sched, stop.clone()));
    }
    if let Some(p) = &poll {
        let (p_health, stop2, pool2) = (p.health(), stop.clone(), pool.clone());
        tasks.spawn(async move {
            loop {
                tokio::select! { _ = stop2.cancelled() => return, _ = tokio::time::sleep(Duration::from_secs(10)) => {} }
                super::poll::save_health(&pool2, &p_health).await;
            }
        });
    }
    let served = server.run(stop.clone()).await;
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    if let Some(p) = poll {
        p.stop().await.context("stopping the poller")?;
    }
    served
}

/// The poller's counters as `/metrics` reads them, summed over turbines at each scrape.
fn ingest_view(poll: &PollService) -> IngestView {
    let (health, writer) = (poll.health(), poll.writer_metrics_handle());
    IngestView::new(move || {
        let w = writer.snapshot();
        let (mut polls_ok, mut polls_failed) = (0, 0);
        for h in health.snapshot() {
            polls_ok += h.polls_ok;
            polls_failed += h.polls_failed;
        }
        IngestCounts {
            rows_written: w.rows_written,
            rows_spooled: w.rows_spooled,
            write_failures: w.write_failures,
            spool_bytes: w.spool_bytes,
            spool_segments: w.spool_segments,
            polls_ok,
            polls_failed,
        }
    })
}
