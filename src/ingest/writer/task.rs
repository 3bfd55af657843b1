//! The writer's event loop and its decisions: where each batch goes (database, spool or
//! `rejected/`), when the spool is replayed, when pollers are held back, when windows refresh.
//! Spool file I/O runs on the blocking pool so an fsync never stalls the runtime.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

use super::dirty::DirtySpans;
use super::{WriterMetrics, WriterMetricsSnapshot, WriterSettings};
use crate::domain::Reading;
use crate::ingest::spool::{Spool, SpoolError};
use crate::store::StoreError;

mod database;

/// Shortest timer period accepted from settings.
const MIN_PERIOD: std::time::Duration = std::time::Duration::from_millis(10);

pub(super) struct Task {
    pool: PgPool,
    settings: WriterSettings,
    metrics: Arc<WriterMetrics>,
    /// Only ever locked inside `spawn_blocking`, one operation at a time.
    spool: Arc<Mutex<Spool>>,
    rejected: Arc<Mutex<Spool>>,
    rx: mpsc::Receiver<Reading>,
    closing: oneshot::Receiver<()>,
    /// The batch being filled, and when it must be written at the latest.
    batch: Vec<Reading>,
    deadline: Instant,
    /// A batch neither the database nor the spool could take yet. While set, the channel is
    /// not read: that is the backpressure on the pollers.
    held: Option<Vec<Reading>>,
    /// Segments in the spool, mirrored so the loop need not lock it to decide.
    spooled: usize,
    db_up: bool,
    /// Cleared when the spool cannot be read, so replay pauses until the next retry tick
    /// instead of spinning on a broken disk.
    replay_ok: bool,
    /// Set by `Writer::finish`: from then on the spool takes what is in memory past its limit.
    shutting_down: bool,
    dirty: DirtySpans,
}

impl Task {
    pub(super) fn new(
        pool: PgPool,
        settings: WriterSettings,
        metrics: Arc<WriterMetrics>,
        spool: Spool,
        rejected: Spool,
        rx: mpsc::Receiver<Reading>,
        closing: oneshot::Receiver<()>,
    ) -> Task {
        let spooled = spool.len();
        metrics.spool_segments.store(spooled as u64, Ordering::Relaxed);
        metrics.spool_bytes.store(spool.bytes(), Ordering::Relaxed);
        Task {
            pool,
            batch: Vec::with_capacity(settings.batch_max_rows.min(65_536)),
            deadline: Instant::now(),
            settings,
            metrics,
            spool: Arc::new(Mutex::new(spool)),
            rejected: Arc::new(Mutex::new(rejected)),
            rx,
            closing,
            held: None,
            spooled,
            db_up: true,
            replay_ok: true,
            shutting_down: false,
            dirty: DirtySpans::default(),
        }
    }

    pub(super) async fn run(mut self) -> WriterMetricsSnapshot {
        // A zero period would make the timers spin (tokio refuses it outright).
        let retry_every = self.settings.retry_interval.max(MIN_PERIOD);
        let refresh_every = self.settings.window_refresh.max(MIN_PERIOD);
        let start = Instant::now();
        let mut retry = interval_at(start + retry_every, retry_every);
        let mut refresh = interval_at(start + refresh_every, refresh_every);
        retry.set_missed_tick_behavior(MissedTickBehavior::Delay);
        refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let accepting = self.held.is_none();
            let replay = self.db_up && self.replay_ok && self.spooled > 0;
            tokio::select! {
                // Err means the Writer was dropped without finish: treat it as a finish.
                _ = &mut self.closing, if !self.shutting_down => {
                    self.shutting_down = true;
                    self.retry_held().await;
                }
                received = self.rx.recv(), if accepting => match received {
                    Some(reading) => {
                        if self.batch.is_empty() {
                            self.deadline = Instant::now() + self.settings.batch_max_delay;
                        }
                        self.batch.push(reading);
                        if self.batch.len() >= self.settings.batch_max_rows {
                            self.flush().await;
                        }
                    }
                    None => break,
                },
                _ = sleep_until(self.deadline), if accepting && !self.batch.is_empty() => self.flush().await,
                _ = std::future::ready(()), if replay => self.replay_one().await,
                _ = retry.tick() => self.on_retry_tick().await,
                _ = refresh.tick() => self.refresh_windows().await,
            }
        }
        self.shutting_down = true;
        self.flush().await;
        while self.held.is_some() {
            // Only a failing spool disk with the database down gets here: nothing can be
            // saved, so keep trying rather than drop readings.
            tokio::time::sleep(retry_every).await;
            self.on_retry_tick().await;
        }
        if !self.db_up {
            self.probe().await;
        }
        while self.db_up && self.replay_ok && self.spooled > 0 {
            self.replay_one().await;
        }
        self.refresh_windows().await;
        self.metrics.snapshot()
    }

    async fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.settings.batch_max_rows.min(65_536)));
        self.place(batch).await;
    }

    /// Sends a batch where it belongs: the database if nothing older waits in the spool,
    /// otherwise (or if the database is away) the end of the spool.
    async fn place(&mut self, batch: Vec<Reading>) {
        if self.spooled == 0 && self.db_up {
            match self.write(&batch).await {
                Ok(()) => return,
                Err(e) if e.is_connection() => self.mark_down(&e),
                Err(e) => return self.reject(batch, &e).await,
            }
        }
        self.append_to_spool(batch).await;
    }

    async fn append_to_spool(&mut self, batch: Vec<Reading>) {
        let over_limit = self.shutting_down;
        let (batch, result) = self
            .with_spool(move |s| {
                let r = if over_limit { s.append_over_limit(&batch) } else { s.append(&batch) };
                (batch, r)
            })
            .await;
        match result {
            Ok(()) => {
                self.metrics.rows_spooled.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            Err(SpoolError::Full { used, max, .. }) => {
                if !self.metrics.backpressure.swap(true, Ordering::Relaxed) {
                    tracing::warn!(used, max, "spool full: holding pollers back until the database takes readings");
                }
                self.held = Some(batch);
            }
            Err(e) => {
                tracing::error!(error = %e, rows = batch.len(), "cannot spool readings; holding them in memory and retrying");
                self.held = Some(batch);
            }
        }
    }

    /// Retries a held batch: room in the spool or a database back up lets it go.
    async fn retry_held(&mut self) {
        if let Some(batch) = self.held.take() {
            self.place(batch).await;
            if self.held.is_none() && self.metrics.backpressure.swap(false, Ordering::Relaxed) {
                tracing::info!("spool has room again: taking readings from the pollers");
            }
        }
    }

    /// Replays the oldest spool segment.
    async fn replay_one(&mut self) {
        let oldest = self.with_spool(|s| s.oldest()).await;
        let (id, readings) = match oldest {
            Ok(Some(segment)) => segment,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the spool; pausing replay until the next retry");
                self.replay_ok = false;
                return;
            }
        };
        match self.write(&readings).await {
            Ok(()) => {
                self.metrics.rows_replayed.fetch_add(readings.len() as u64, Ordering::Relaxed);
            }
            Err(e) if e.is_connection() => return self.mark_down(&e),
            Err(e) => self.reject(readings, &e).await,
        }
        if let Err(e) = self.with_spool(move |s| s.remove(id)).await {
            // Replaying it again later is harmless (writes are idempotent) but must not spin.
            tracing::error!(error = %e, segment = %id, "cannot remove a replayed spool segment");
            self.replay_ok = false;
        }
        if self.spooled == 0 {
            tracing::info!("spool replayed; writing straight to the database again");
        }
        self.retry_held().await;
    }

    async fn on_retry_tick(&mut self) {
        self.replay_ok = true;
        if !self.db_up {
            self.probe().await;
        }
        self.retry_held().await;
    }

    /// Sets aside a batch the database refused, so it is neither retried forever nor lost.
    async fn reject(&mut self, batch: Vec<Reading>, e: &StoreError) {
        let rows = batch.len();
        let first = batch.first().map(|r| (r.turbine_id, r.time));
        tracing::error!(error = %e, rows, ?first, "database refused a batch; keeping it in the spool's rejected/ folder");
        let rejected = self.rejected.clone();
        let saved = tokio::task::spawn_blocking(move || lock(&rejected).append(&batch)).await;
        match saved.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
            Ok(()) => {
                self.metrics.rows_rejected.fetch_add(rows as u64, Ordering::Relaxed);
            }
            Err(error) => tracing::error!(%error, rows, "could not save a rejected batch: its readings are lost"),
        }
    }

    /// Runs a spool operation on the blocking pool and mirrors the spool's size afterwards.
    async fn with_spool<T: Send + 'static>(&mut self, op: impl FnOnce(&mut Spool) -> T + Send + 'static) -> T {
        let spool = self.spool.clone();
        let (out, len, bytes) = tokio::task::spawn_blocking(move || {
            let mut s = lock(&spool);
            let out = op(&mut s);
            (out, s.len(), s.bytes())
        })
        .await
        .unwrap_or_else(|e| {
            // The closure only does file I/O and returns errors as values: only a bug (a panic)
            // or a runtime shutting down gets here, and this task cannot go on after either;
            // `Writer::finish` reports it. The segments on disk are unaffected.
            std::panic::resume_unwind(if e.is_panic() { e.into_panic() } else { Box::new("spool operation cancelled") })
        });
        self.spooled = len;
        self.metrics.spool_segments.store(len as u64, Ordering::Relaxed);
        self.metrics.spool_bytes.store(bytes, Ordering::Relaxed);
        out
    }
}

/// A poisoned lock only means an earlier operation panicked; the spool's state is still the
/// files on disk, so carry on with it.
fn lock(spool: &Mutex<Spool>) -> std::sync::MutexGuard<'_, Spool> {
    spool.lock().unwrap_or_else(PoisonError::into_inner)
}
