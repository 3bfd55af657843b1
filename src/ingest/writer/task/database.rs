//! The writer's conversations with PostgreSQL: writing a batch, probing while it is down,
//! refreshing windows. Every call is bounded in time and never panics on a database error.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::timeout;

use super::Task;
use crate::domain::Reading;
use crate::store::{self, StoreError};

/// A write that takes longer than this is treated as a lost connection: a half-open TCP
/// connection (cable pulled, no RST) would otherwise hang the writer for the kernel's
/// keepalive time. A healthy 10,000-row COPY takes well under a second.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// Window refreshes after a long outage cover hours of readings; give them room.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(300);

impl Task {
    /// Checks whether the database answers, within one retry interval.
    pub(super) async fn probe(&mut self) {
        let wait = self.settings.retry_interval.clamp(Duration::from_millis(500), store::ACQUIRE_TIMEOUT);
        if let Ok(Ok(_)) = timeout(wait, sqlx::query("SELECT 1").execute(&self.pool)).await {
            tracing::info!(spooled_segments = self.spooled, "database reachable again");
            self.db_up = true;
            self.metrics.database_up.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn mark_down(&mut self, e: &StoreError) {
        if self.db_up {
            tracing::warn!(error = %e, "database unreachable; spooling readings to disk");
        }
        self.db_up = false;
        self.metrics.database_up.store(false, Ordering::Relaxed);
    }

    /// Writes one batch to PostgreSQL and marks its windows dirty.
    pub(super) async fn write(&mut self, batch: &[Reading]) -> Result<(), StoreError> {
        let result = match timeout(WRITE_TIMEOUT, store::write_readings(&self.pool, batch)).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("write of {} readings took over {WRITE_TIMEOUT:?}", batch.len()),
            )))),
        };
        let m = &self.metrics;
        match result {
            Ok(inserted) => {
                m.rows_written.fetch_add(inserted, Ordering::Relaxed);
                m.rows_duplicate.fetch_add((batch.len() as u64).saturating_sub(inserted), Ordering::Relaxed);
                m.batches_written.fetch_add(1, Ordering::Relaxed);
                self.dirty.add(batch);
                Ok(())
            }
            Err(e) => {
                m.write_failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Recomputes the windows of everything written since the last refresh.
    pub(super) async fn refresh_windows(&mut self) {
        if self.dirty.is_empty() || !self.db_up {
            return;
        }
        let spans = self.dirty.spans();
        let length = self.settings.window_length_s;
        match timeout(REFRESH_TIMEOUT, store::refresh_windows(&self.pool, length, &spans)).await {
            Ok(Ok(n)) => {
                self.metrics.windows_refreshed.fetch_add(n, Ordering::Relaxed);
                self.dirty.clear();
            }
            Ok(Err(e)) if e.is_connection() => self.mark_down(&e),
            Ok(Err(e)) => {
                // Retrying the same spans would fail the same way; the readings are safe.
                tracing::error!(error = %e, turbines = spans.len(), "window refresh refused; skipping these spans");
                self.dirty.clear();
            }
            Err(_) => tracing::warn!(turbines = spans.len(), "window refresh timed out; retrying at the next refresh"),
        }
    }
}
