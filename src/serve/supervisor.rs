//! The long tasks of `trueyaw serve` (HTTP server, SCADA server, cache refreshers, drift watch,
//! write-back loop) run under one [`Supervisor`]. Each task runs until the stop token is
//! cancelled; one that ends before that (returns, fails or panics) leaves the process serving
//! stale or partial answers, so the supervisor then cancels the others and returns that task's
//! failure, and `serve` exits non-zero for its service manager to restart it. Every exit is
//! logged with the task's name.

use std::collections::HashMap;
use std::future::Future;

use anyhow::anyhow;
use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// Named tasks sharing one stop token.
pub struct Supervisor {
    stop: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    names: HashMap<Id, &'static str>,
}

/// How one task ended.
enum Exit {
    /// Returned after the stop: the normal end.
    Stopped,
    /// Returned while the others were still meant to run.
    Early,
    Failed(anyhow::Error),
    Panicked(String),
    /// Aborted from outside (the runtime shutting down).
    Cancelled,
}

impl Supervisor {
    /// Tasks spawned here are expected to return once `stop` is cancelled; the supervisor
    /// cancels it itself when one of them ends early.
    pub fn new(stop: CancellationToken) -> Self {
        Self { stop, tasks: JoinSet::new(), names: HashMap::new() }
    }

    /// Runs `task` as `name`.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handle = self.tasks.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Runs `task`, which cannot fail, as `name`.
    pub fn spawn_infallible<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(name, async move {
            task.await;
            Ok(())
        });
    }

    /// Waits for every task. Ok when all ended after the stop; otherwise the first failure,
    /// naming its task, once the others (cancelled at that moment) have ended too.
    pub async fn run(mut self) -> anyhow::Result<()> {
        let mut first_failure = None;
        while let Some(joined) = self.tasks.join_next_with_id().await {
            let (id, exit) = match joined {
                Ok((id, Ok(()))) if self.stop.is_cancelled() => (id, Exit::Stopped),
                Ok((id, Ok(()))) => (id, Exit::Early),
                Ok((id, Err(e))) => (id, Exit::Failed(e)),
                Err(e) => (e.id(), joined_error(e)),
            };
            let name = self.names.get(&id).copied().unwrap_or("unnamed task");
            let failure = match exit {
                Exit::Stopped => {
                    tracing::info!(task = name, "task stopped");
                    None
                }
                Exit::Early => {
                    tracing::error!(task = name, "task ended before the stop");
                    Some(anyhow!("{name} ended before the stop"))
                }
                Exit::Failed(e) => {
                    tracing::error!(task = name, error = format!("{e:#}"), "task failed");
                    Some(e.context(format!("{name} failed")))
                }
                Exit::Panicked(msg) => {
                    tracing::error!(task = name, panic = msg, "task panicked");
                    Some(anyhow!("{name} panicked: {msg}"))
                }
                Exit::Cancelled => {
                    tracing::warn!(task = name, "task cancelled");
                    (!self.stop.is_cancelled()).then(|| anyhow!("{name} was cancelled"))
                }
            };
            if let Some(f) = failure
                && first_failure.is_none()
            {
                if !self.stop.is_cancelled() {
                    tracing::error!(task = name, "stopping the other tasks");
                }
                self.stop.cancel();
                first_failure = Some(f);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }
}

fn joined_error(e: JoinError) -> Exit {
    if !e.is_panic() {
        return Exit::Cancelled;
    }
    let payload = e.into_panic();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    Exit::Panicked(msg)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A task that runs until the stop and counts that it saw it.
    async fn until_stopped(stop: CancellationToken, stopped: Arc<AtomicUsize>) {
        stop.cancelled().await;
        stopped.fetch_add(1, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn a_failing_task_stops_the_others_and_its_error_is_returned_with_its_name() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicUsize::new(0));
        let mut s = Supervisor::new(stop.clone());
        s.spawn_infallible("latest readings", until_stopped(stop.clone(), stopped.clone()));
        s.spawn_infallible("drift watch", until_stopped(stop.clone(), stopped.clone()));
        s.spawn("SCADA server", async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Err(anyhow!("address in use"))
        });
        let e = tokio::time::timeout(Duration::from_secs(5), s.run()).await.expect("the others stop").unwrap_err();
        assert_eq!(format!("{e:#}"), "SCADA server failed: address in use");
        assert!(stop.is_cancelled());
        assert_eq!(stopped.load(Ordering::SeqCst), 2, "both other tasks saw the stop");
    }

    #[tokio::test]
    async fn a_panicking_or_returning_task_counts_as_a_failure() {
        let stop = CancellationToken::new();
        let mut s = Supervisor::new(stop.clone());
        s.spawn_infallible("model listener", until_stopped(stop.clone(), Default::default()));
        s.spawn_infallible("write-back loop", async { panic!("register map changed") });
        let e = s.run().await.unwrap_err();
        assert_eq!(e.to_string(), "write-back loop panicked: register map changed");

        let stop = CancellationToken::new();
        let mut s = Supervisor::new(stop.clone());
        s.spawn_infallible("model listener", until_stopped(stop.clone(), Default::default()));
        s.spawn_infallible("latest readings", async {});
        let e = s.run().await.unwrap_err();
        assert_eq!(e.to_string(), "latest readings ended before the stop");
    }

    #[tokio::test]
    async fn the_stop_ends_every_task_and_returns_ok() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicUsize::new(0));
        let mut s = Supervisor::new(stop.clone());
        for name in ["a", "b", "c"] {
            s.spawn_infallible(name, until_stopped(stop.clone(), stopped.clone()));
        }
        let run = tokio::spawn(s.run());
        tokio::time::sleep(Duration::from_millis(10)).await;
        stop.cancel();
        run.await.unwrap().expect("a normal stop is no failure");
        assert_eq!(stopped.load(Ordering::SeqCst), 3);
    }
}
