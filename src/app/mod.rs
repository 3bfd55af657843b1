//! The commands the CLI runs. Each takes typed options, does its work through the lower
//! layers (training and evaluation are `model::training` and `model::evaluation`), prints what
//! it got, and returns `anyhow::Result` so `main` can report the cause chain.

pub mod database;
pub mod demo;
mod demo_serve;
pub mod dispatch;
pub mod estimates;
pub mod evaluate;
pub mod import;
pub mod migrate;
pub mod poll;
pub mod report;
pub mod scheduler;
pub mod serve;
pub mod simulate;
pub mod synth;
pub mod token;
pub mod train;
pub mod writeback;

use tokio_util::sync::CancellationToken;

/// Cancels `stop` on Ctrl-C or SIGTERM, so every command shuts down through the same path
/// (flushing what it holds) whether a person or a service manager stops it.
pub fn stop_on_signal(stop: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
            _ = term => tracing::info!("SIGTERM received, shutting down"),
        }
        stop.cancel();
    });
}
