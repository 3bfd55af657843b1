//! One writer per turbine across processes: a PostgreSQL session advisory lock per turbine,
//! held on a connection of its own for as long as the process writes to that turbine. Two
//! `serve` processes with write-back enabled on one turbine cannot both write; when the holder
//! dies (even by SIGKILL) its connection closes, the server releases the lock, and the next
//! process to ask takes the turbine over.
//!
//! The lock is checked on a live connection before every write, so a holder whose connection
//! was lost (database restarted, connection killed) stops writing until it holds the lock again.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::Mutex;

use super::StoreError;

/// First key of the advisory locks; the second is `turbines.id`. Chosen so other users of
/// two-key advisory locks on the same database do not collide with these by accident.
pub const LOCK_CLASS: i32 = 0x7961_7731; // "yaw1"

/// The write locks of one process.
pub struct WriterLocks {
    options: PgConnectOptions,
    connection: Mutex<Option<PgConnection>>,
}

impl WriterLocks {
    /// Locks taken on connections to `pool`'s database (not from the pool: a session lock
    /// lives as long as its connection, and the pool recycles them).
    pub fn new(pool: &PgPool) -> Self {
        Self { options: (*pool.connect_options()).clone(), connection: Mutex::new(None) }
    }

    /// Whether this process holds (or has just taken) the write lock of `turbine_id`. False
    /// when another process holds it. Reconnects when the lock connection was lost, so a lock
    /// that vanished with it is asked for again, never assumed.
    pub async fn hold(&self, turbine_id: i32) -> Result<bool, StoreError> {
        let mut guard = self.connection.lock().await;
        if let Some(conn) = guard.as_mut()
            && conn.ping().await.is_err()
        {
            tracing::warn!("write-lock connection lost; asking PostgreSQL for the locks again");
            *guard = None;
        }
        let conn = match guard.as_mut() {
            Some(conn) => conn,
            None => guard.insert(PgConnection::connect_with(&self.options).await?),
        };
        let held: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2 AND granted)",
        )
        .bind(i64::from(LOCK_CLASS))
        .bind(i64::from(turbine_id))
        .fetch_one(&mut *conn)
        .await?;
        if held {
            return Ok(true);
        }
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LOCK_CLASS)
            .bind(turbine_id)
            .fetch_one(&mut *conn)
            .await?;
        if taken {
            tracing::info!(turbine_id, "write lock taken: this process writes to the turbine");
        }
        Ok(taken)
    }

    /// Releases every lock this process holds (closing the connection; also what dropping it
    /// or the process's death does).
    pub async fn release_all(&self) {
        if let Some(conn) = self.connection.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}
