//! PostgreSQL: the pool, migrations, and one module per table family. Queries only; no
//! policy (batching, retrying, spooling) lives here.
//!
//! - [`pool`]: connecting, creating the database, applying the embedded migrations.
//! - [`private_server`]: a private PostgreSQL from the system's own binaries, for when no
//!   database was named and none answers (initdb, start, reuse, stop).
//! - [`farms`]: farms and turbines, the ids everything else refers to.
//! - [`readings`]: raw polled readings, written by binary COPY into monthly partitions.
//! - [`windows`]: windows aggregated from readings (or imported from SCADA exports).
//! - [`health`]: per-turbine poll health.
//! - [`imports`]: windows imported from SCADA exports (staging COPY + upsert).
//! - [`models`]: the registry of trained vane-error models (versions, active model, reasons).
//! - [`tokens`] and [`audit`]: API bearer tokens (hashed) and the audit log of state changes.
//! - [`drift_alerts`]: live drift alerts of the drift watch.
//! - [`jobs`]: background jobs (training) claimed with `FOR UPDATE SKIP LOCKED`.
//! - [`yaw_offset_writes`]: the audit trail of the yaw-offset write-back; [`writeback_latches`]:
//!   reverted turbines held until re-enabled; [`writer_locks`]: one writing process per turbine.
//!
//! Every function returns [`StoreError`], whose [`StoreError::is_connection`] tells an
//! unreachable database (retry later) from a refused request (do not retry as is).

pub mod audit;
mod copy;
pub mod drift_alerts;
mod error;
pub mod farms;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod models;
mod partitions;
pub mod pool;
pub mod private_server;
pub mod readings;
pub mod tokens;
pub mod windows;
pub mod writeback_latches;
pub mod writer_locks;
pub mod yaw_offset_writes;

pub use error::StoreError;
pub use farms::{TurbineRow, list_turbines, upsert_farm, upsert_turbine};
pub use health::{HealthRow, load_health, upsert_health};
pub use imports::{ImportCounts, ImportWindow, find_farm, write_import_windows};
pub use jobs::JobRow;
pub use models::{
    ModelRow, NewModel, TurbineRef, active_models, insert_model, list_models, list_turbine_refs, lock_next_version,
};
pub use partitions::ensure_readings_partitions;
pub use pool::{ACQUIRE_TIMEOUT, connect, connect_lazy, create_database_if_missing, migrate, open, server_answers};
pub use readings::{count_readings, readings_between, write_readings};
pub use windows::{WindowRow, refresh_windows, window_start, windows_between};

/// The connection pool type used throughout trueyaw.
pub use sqlx::PgPool;
