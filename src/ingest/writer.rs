//! The writer task: takes readings from the pollers over a bounded channel, batches them by
//! size or age, and writes each batch to PostgreSQL with binary COPY. It keeps windows of the
//! turbines it wrote up to date, and it never loses a reading:
//!
//! - While the database answers and the spool is empty, batches go straight to PostgreSQL.
//! - When a write fails because the database is unreachable, the batch goes to the on-disk
//!   [`Spool`](super::spool::Spool), and so does every later batch until the spool has been
//!   replayed (oldest first, so order is preserved). The database is retried every
//!   `retry_interval`.
//! - When the spool is full the writer stops taking readings from the channel: pollers block
//!   on `send` (backpressure) rather than readings being dropped.
//! - A batch the database refuses for a data reason is logged and kept in the spool's
//!   `rejected/` folder for inspection, instead of being retried forever.
//!
//! [`Writer::finish`] flushes everything (to the database, or the spool if it is down; at that
//! point the spool may exceed its limit by what is still in memory) and refreshes windows.

mod dirty;
mod task;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::spool::{Spool, SpoolError};
use crate::config::{StorageSettings, WindowSettings};
use crate::domain::Reading;

/// How the writer batches, where it spools, and how often it refreshes and retries.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    /// A batch is written once it holds this many readings...
    pub batch_max_rows: usize,
    /// ...or once its first reading has waited this long.
    pub batch_max_delay: Duration,
    /// Spool directory; rejected batches go to its `rejected/` subfolder.
    pub spool_dir: PathBuf,
    /// Spool size limit, bytes; when reached, the writer applies backpressure.
    pub spool_max_bytes: u64,
    /// Length of the windows kept up to date, seconds.
    pub window_length_s: i32,
    /// How often windows touched by new readings are recomputed.
    pub window_refresh: Duration,
    /// How often the database is retried while it is down.
    pub retry_interval: Duration,
}

impl WriterSettings {
    /// Retry period while the database is down: short enough that replay starts within
    /// seconds of recovery, long enough not to hammer a server that is restarting.
    pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(2);

    /// Settings from the farm file's `[storage]` and `[windows]` sections.
    pub fn from_config(storage: &StorageSettings, windows: &WindowSettings) -> Self {
        Self {
            batch_max_rows: storage.batch_max_rows.max(1),
            batch_max_delay: Duration::from_millis(storage.batch_max_delay_ms.max(1)),
            spool_dir: storage.spool_dir.clone(),
            spool_max_bytes: storage.spool_max_mib.saturating_mul(1024 * 1024),
            window_length_s: i32::try_from(u64::from(windows.length_min) * 60).unwrap_or(i32::MAX),
            window_refresh: Duration::from_secs(windows.refresh_s.max(1)),
            retry_interval: Self::DEFAULT_RETRY_INTERVAL,
        }
    }
}

/// Live counters of a writer, shared with whoever reports on it. Rows are readings.
#[derive(Debug, Default)]
pub struct WriterMetrics {
    /// Readings newly stored in PostgreSQL, directly or replayed from the spool.
    pub rows_written: AtomicU64,
    /// Readings PostgreSQL already had (a segment replayed twice after a crash, say).
    pub rows_duplicate: AtomicU64,
    /// Readings appended to the spool.
    pub rows_spooled: AtomicU64,
    /// Readings taken from the spool and written to PostgreSQL.
    pub rows_replayed: AtomicU64,
    /// Readings the database refused, kept in `rejected/`.
    pub rows_rejected: AtomicU64,
    /// Batches (including replayed segments) committed to PostgreSQL.
    pub batches_written: AtomicU64,
    /// Write attempts that failed, for any reason.
    pub write_failures: AtomicU64,
    /// Window rows recomputed.
    pub windows_refreshed: AtomicU64,
    /// Segments waiting in the spool.
    pub spool_segments: AtomicU64,
    /// Bytes waiting in the spool.
    pub spool_bytes: AtomicU64,
    /// True while the spool is full and pollers are held back.
    pub backpressure: AtomicBool,
    /// False from a failed write until the database answers again.
    pub database_up: AtomicBool,
}

/// A point-in-time copy of [`WriterMetrics`], for logs, the API and the end-of-run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterMetricsSnapshot {
    pub rows_written: u64,
    pub rows_duplicate: u64,
    pub rows_spooled: u64,
    pub rows_replayed: u64,
    pub rows_rejected: u64,
    pub batches_written: u64,
    pub write_failures: u64,
    pub windows_refreshed: u64,
    pub spool_segments: u64,
    pub spool_bytes: u64,
    pub backpressure: bool,
    pub database_up: bool,
}

impl WriterMetrics {
    /// Reads every counter. Each is read atomically, not all together: fine for reporting.
    pub fn snapshot(&self) -> WriterMetricsSnapshot {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WriterMetricsSnapshot {
            rows_written: n(&self.rows_written),
            rows_duplicate: n(&self.rows_duplicate),
            rows_spooled: n(&self.rows_spooled),
            rows_replayed: n(&self.rows_replayed),
            rows_rejected: n(&self.rows_rejected),
            batches_written: n(&self.batches_written),
            write_failures: n(&self.write_failures),
            windows_refreshed: n(&self.windows_refreshed),
            spool_segments: n(&self.spool_segments),
            spool_bytes: n(&self.spool_bytes),
            backpressure: self.backpressure.load(Ordering::Relaxed),
            database_up: self.database_up.load(Ordering::Relaxed),
        }
    }
}

/// Why the writer could not start or did not finish cleanly.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// The spool directory could not be opened.
    #[error("cannot open the spool: {0}")]
    Spool(#[from] SpoolError),
    /// The writer task panicked or was cancelled; readings it held in memory may be lost, those
    /// in the spool are not.
    #[error("writer task failed: {0}")]
    Task(String),
}

/// A running writer. Feed it through [`Writer::sender`]; stop it with [`Writer::finish`].
pub struct Writer {
    tx: mpsc::Sender<Reading>,
    closing: oneshot::Sender<()>,
    metrics: Arc<WriterMetrics>,
    task: JoinHandle<WriterMetricsSnapshot>,
}

impl Writer {
    /// Opens the spool (and its `rejected/` folder) and starts the writer task, which first
    /// replays whatever an earlier run left in the spool once the database answers.
    /// Does not wait for the database.
    pub async fn start(pool: PgPool, settings: WriterSettings) -> Result<Writer, WriterError> {
        let (main_dir, max) = (settings.spool_dir.clone(), settings.spool_max_bytes);
        let (spool, rejected) = tokio::task::spawn_blocking(move || -> Result<_, SpoolError> {
            // Rejected batches are few and must never be refused, hence no limit.
            let rejected = Spool::open(main_dir.join("rejected"), u64::MAX)?;
            Ok((Spool::open(main_dir, max)?, rejected))
        })
        .await
        .map_err(|e| WriterError::Task(e.to_string()))??;
        let metrics = Arc::new(WriterMetrics::default());
        metrics.database_up.store(true, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(settings.batch_max_rows.saturating_mul(4).max(1));
        let (closing, closing_rx) = oneshot::channel();
        let task = task::Task::new(pool, settings, metrics.clone(), spool, rejected, rx, closing_rx);
        let task = tokio::spawn(task.run());
        Ok(Writer { tx, closing, metrics, task })
    }

    /// A sender for pollers. The channel holds four batches; `send` waits when it is full.
    pub fn sender(&self) -> mpsc::Sender<Reading> {
        self.tx.clone()
    }

    /// The writer's live counters, for health reports and the API.
    pub fn metrics(&self) -> Arc<WriterMetrics> {
        self.metrics.clone()
    }

    /// Stops the writer: waits until every other sender is dropped and the channel is drained,
    /// writes the last batch (to the database, or to the spool if it is down), replays the
    /// spool if the database answers, refreshes windows, and returns the final counters.
    /// Stop the pollers first: from here on the spool limit no longer holds back senders.
    pub async fn finish(self) -> Result<WriterMetricsSnapshot, WriterError> {
        let Writer { tx, closing, metrics: _, task } = self;
        drop(tx);
        // The task may already be gone (panicked); its JoinHandle reports that below.
        let _ = closing.send(());
        task.await.map_err(|e| WriterError::Task(e.to_string()))
    }
}
