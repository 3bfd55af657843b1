//! `trueyaw simulate`: runs the simulated farm until Ctrl-C or SIGTERM, logging where each
//! turbine listens and a farm status line every ten seconds. The farm itself writes the ground
//! truth file (at start, whenever its plan of events grows, and at shutdown).

use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::sim::farm::{self, SimHandle, SimOptions};

/// How often the status line is logged, real time.
const STATUS_EVERY: Duration = Duration::from_secs(10);

/// Runs the simulator with `opts` until stopped, then shuts it down cleanly.
pub async fn run(opts: SimOptions) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    super::stop_on_signal(stop.clone());
    let truth_path = opts.truth_path.clone();
    let sim = farm::start(opts.clone()).await.context("starting the simulated farm")?;
    log_listeners(&sim, &opts);
    if let Some(path) = &truth_path {
        tracing::info!(path = %path.display(), "ground truth written");
    }

    let mut ticker = tokio::time::interval(STATUS_EVERY);
    ticker.tick().await;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticker.tick() => {
                let s = sim.status();
                tracing::info!(
                    sim_time = %s.sim_time.format("%Y-%m-%dT%H:%M:%SZ"),
                    mean_wind_ms = %format!("{:.1}", s.mean_wind_ms),
                    power_kw = %format!("{:.0}", s.total_power_kw),
                    operating = s.operating,
                    turbines = opts.turbines,
                    "farm status"
                );
            }
        }
    }
    sim.shutdown().await;
    tracing::info!("simulator stopped");
    Ok(())
}

fn log_listeners(sim: &SimHandle, opts: &SimOptions) {
    let names = sim.names();
    // A 2,000-turbine bench would flood the log: list the first few, then the range.
    const LISTED: usize = 10;
    for (i, name) in names.iter().enumerate().take(LISTED) {
        tracing::info!(turbine = %name, addr = %sim.modbus_addr(i), unit_id = 1, "Modbus TCP turbine listening");
    }
    if names.len() > LISTED {
        let last = names.len() - 1;
        tracing::info!(
            turbines = names.len(),
            last = %names[last],
            last_addr = %sim.modbus_addr(last),
            "... and the remaining turbines up to this one"
        );
    }
    if let Some(endpoint) = sim.opcua_endpoint() {
        tracing::info!(%endpoint, "OPC UA server listening (namespace 2, node ids <turbine>.<Field>)");
    }
    tracing::info!(seed = opts.seed, speedup = opts.speedup, start = %opts.start, "simulation running");
}
