//! Guarded write-back of yaw offsets to turbine controllers (holding registers
//! `commands.yaw_offset_deg` and `commands.correction_enable` of the turbine's register map).
//! Off by default: every turbine is dry-run until it is listed in
//! `writeback.enabled_turbines`.
//!
//! [`WriteBack::step`] runs one round for one turbine: read the command registers back, decide
//! with [`policy::decide`] (model interval, offset cap, step cap, rate limit), write and verify
//! by reading back, and audit the outcome in `yaw_offset_writes`. [`WriteBack::revert`] writes
//! offset 0 and correction off, verified and audited, whatever the step cap and rate limit say:
//! returning a turbine to its own behaviour is always allowed. A revert latches
//! (`store::writeback_latches`, taken before the write, so a failed revert latches too): the
//! turbine is held until an operator calls [`WriteBack::enable`], across restarts and on every
//! process.
//!
//! - What is stored: every write, failed write, revert and dry-run; a hold only when it differs
//!   from the turbine's previous row, or once an hour when it repeats ([`audit::HOLD_REPEAT`]).
//! - Rate limit: on an enabled turbine the last write, failed write or revert starts the
//!   interval, so a failed write is retried one interval later, never in a storm; a revert also
//!   counts, so after a re-enable stepping resumes from 0 one interval after the revert at the
//!   earliest. On a dry-run
//!   turbine the last dry-run starts the interval, so its audit shows the hourly cadence a real
//!   write-back would have.
//! - A device that cannot be read before deciding is an error and nothing is stored: no decision
//!   was made. A failed write is stored as `failed`, logged at error level, and returned as
//!   [`WriteBackError::WriteFailed`].
//! - Steps and reverts of one turbine are serialised, so a revert never interleaves with a step.
//! - One process writes to a turbine: an enabled turbine is stepped only by the process holding
//!   its PostgreSQL write lock (`store::writer_locks`); another process holds `other_writer`
//!   and takes the turbine over when the holder's connection closes (it stopped or died).
//! - The audit row is inserted after the device write: if PostgreSQL fails at that moment the
//!   error log carries the whole row.

mod audit;
pub mod device;
pub mod policy;
pub mod schedule;
mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

pub use crate::config::WriteBackSettings;
pub use audit::HOLD_REPEAT;
pub use device::{CommandDevice, DeviceError};
pub use policy::{Decision, DeviceState, HoldReason, PolicyInput, Target, decide};

use crate::config::ModbusSource;
use crate::domain::TurbineName;
use crate::store::StoreError;
use crate::store::writeback_latches::{self as latches, Latch};
use crate::store::writer_locks::WriterLocks;
use crate::store::yaw_offset_writes::{self as rows, NewYawOffsetWrite, WriteMode};
use verify::{WriteOutcome, write_verified};

/// The actor recorded for rounds of the write-back loop.
pub const STEP_ACTOR: &str = "writeback";

/// A turbine the write-back may talk to.
#[derive(Debug, Clone)]
pub struct WriteBackTurbine {
    pub name: TurbineName,
    /// `turbines.id`.
    pub turbine_id: i32,
    /// Where its controller is, with the register map holding the command registers.
    pub modbus: ModbusSource,
}

/// What a revert found and left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reverted {
    /// The registers before, if they could be read (a revert proceeds even if not).
    pub before: Option<DeviceState>,
    /// The registers as read back after: offset 0, correction off.
    pub after: DeviceState,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    #[error("invalid write-back settings: {0}")]
    Settings(String),
    #[error("write-back: unknown turbine {0:?}")]
    UnknownTurbine(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A write or revert was refused, not answered, or read back different; it is audited as
    /// `failed`.
    #[error("turbine {turbine}: {what} failed: {cause}")]
    WriteFailed { turbine: TurbineName, what: String, cause: String },
    #[error("write-back audit: {0}")]
    Store(#[from] StoreError),
}

/// Returns the current time; replaceable for tests of the rate limit.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

struct Entry {
    turbine_id: i32,
    device: CommandDevice,
    /// Serialises steps and reverts of this turbine.
    lock: tokio::sync::Mutex<()>,
}

/// The write-back service: cheap to share behind an `Arc`, one instance per process.
pub struct WriteBack {
    pool: PgPool,
    settings: WriteBackSettings,
    turbines: HashMap<TurbineName, Entry>,
    clock: Clock,
    locks: WriterLocks,
}

impl WriteBack {
    /// Checks the settings and every turbine's register map (both command registers must
    /// exist) and that every name in `enabled_turbines` is one of `turbines`.
    pub fn new(
        pool: PgPool,
        settings: WriteBackSettings,
        turbines: Vec<WriteBackTurbine>,
    ) -> Result<Self, WriteBackError> {
        settings.validate().map_err(WriteBackError::Settings)?;
        let mut map = HashMap::new();
        for t in turbines {
            let device = CommandDevice::new(t.name.clone(), &t.modbus)?;
            map.insert(t.name, Entry { turbine_id: t.turbine_id, device, lock: tokio::sync::Mutex::new(()) });
        }
        if let Some(unknown) = settings.enabled_turbines.iter().find(|n| !map.keys().any(|k| k.as_str() == *n)) {
            return Err(WriteBackError::Settings(format!(
                "writeback.enabled_turbines: {unknown:?} is not a Modbus turbine of this farm"
            )));
        }
        let locks = WriterLocks::new(&pool);
        Ok(Self { pool, settings, turbines: map, clock: Arc::new(Utc::now), locks })
    }

    /// Replaces the clock (tests step through hours without waiting).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the connect and per-request timeout of every device (default 2 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        for e in self.turbines.values_mut() {
            e.device = e.device.clone().with_timeout(timeout);
        }
        self
    }

    pub fn settings(&self) -> &WriteBackSettings {
        &self.settings
    }

    /// The turbines this service knows, in no particular order.
    pub fn turbines(&self) -> impl Iterator<Item = &TurbineName> {
        self.turbines.keys()
    }

    /// The turbines this service knows with their `turbines.id`, in no particular order.
    pub fn turbine_ids(&self) -> impl Iterator<Item = (&TurbineName, i32)> {
        self.turbines.iter().map(|(name, e)| (name, e.turbine_id))
    }

    /// Reads a turbine's command registers (for status displays; writes nothing).
    pub async fn read_device(&self, turbine: &TurbineName) -> Result<DeviceState, WriteBackError> {
        let e = self.entry(turbine)?;
        let mut session = e.device.session();
        let state = session.read().await;
        session.close().await;
        Ok(state?)
    }

    /// One round for `turbine` toward `target` (the active model's, or None without one).
    /// Returns the decision taken; see the module docs for what is stored and when it fails.
    pub async fn step(&self, turbine: &TurbineName, target: Option<Target>) -> Result<Decision, WriteBackError> {
        let e = self.entry(turbine)?;
        let _serialised = e.lock.lock().await;
        let now = (self.clock)();
        let mut session = e.device.session();
        let before = match session.read().await {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(turbine = %turbine, error = %err, "write-back cannot read the controller; no decision");
                session.close().await;
                return Err(err.into());
            }
        };
        let enabled = self.settings.is_enabled(turbine);
        let counted: &[WriteMode] =
            if enabled { &[WriteMode::Write, WriteMode::Failed, WriteMode::Revert] } else { &[WriteMode::DryRun] };
        let last_step = rows::last_write_time(&self.pool, e.turbine_id, counted).await?;
        // A dry-run writes nothing: it needs neither the latch nor the lock.
        let (latch, write_lock) = if enabled {
            (latches::latch_of(&self.pool, e.turbine_id).await?, self.locks.hold(e.turbine_id).await?)
        } else {
            (None, true)
        };
        let decision = decide(&PolicyInput {
            settings: &self.settings,
            enabled,
            device: before,
            resolution_deg: e.device.resolution_deg(),
            target: target.as_ref(),
            last_step,
            now,
            latch: latch.as_ref(),
            write_lock,
        });
        let row =
            |mode, reason| audit::row(e.turbine_id, now, mode, Some(&before), target.as_ref(), STEP_ACTOR, reason);
        let toward = |to: f64| {
            let t = target.as_ref().expect("a step has a target");
            format!(
                "{:+.2} -> {to:+.2} deg toward target {:+.2} deg (model v{})",
                before.applied_offset_deg(),
                t.yaw_offset_deg,
                t.model_version
            )
        };
        match &decision {
            Decision::Hold { reason } => {
                let previous = rows::recent_yaw_offset_writes(&self.pool, e.turbine_id, 1).await?;
                if audit::store_hold(previous.first(), reason, target.as_ref(), now) {
                    self.insert(row(WriteMode::Hold, reason.to_string())).await?;
                }
            }
            Decision::DryRun { would_write_to } => {
                let would = DeviceState { yaw_offset_deg: *would_write_to, correction_enable: true };
                let reason =
                    format!("dry_run: not in writeback.enabled_turbines; would step {}", toward(*would_write_to));
                self.insert(audit::with_after(row(WriteMode::DryRun, reason), Some(&would))).await?;
            }
            Decision::Write { to } => {
                let wanted = DeviceState { yaw_offset_deg: *to, correction_enable: true };
                let what = format!("step {}", toward(*to));
                let outcome = write_verified(&e.device, &mut session, wanted).await;
                session.close().await;
                self.finish(row(WriteMode::Write, format!("write: {what}")), turbine, &what, outcome).await?;
            }
        }
        Ok(decision)
    }

    /// Writes offset 0 and correction off to `turbine`, verifies and audits it with `actor`
    /// (an API token name or `cli`). Ignores the step cap, the rate limit and whether the
    /// turbine is enabled: a turbine may always be returned to its own behaviour.
    pub async fn revert(&self, turbine: &TurbineName, actor: &str) -> Result<Reverted, WriteBackError> {
        let e = self.entry(turbine)?;
        let _serialised = e.lock.lock().await;
        let now = (self.clock)();
        // Latched first: should the write fail, the loop must still not step the turbine again.
        latches::latch(&self.pool, e.turbine_id, now, actor).await?;
        let mut session = e.device.session();
        // Revert even when the registers cannot be read (e.g. an enable value other than 0/1).
        let before = session
            .read()
            .await
            .inspect_err(
                |err| tracing::warn!(turbine = %turbine, error = %err, "revert: cannot read the controller first"),
            )
            .ok();
        let zero = DeviceState { yaw_offset_deg: 0.0, correction_enable: false };
        let outcome = write_verified(&e.device, &mut session, zero).await;
        session.close().await;
        let row = audit::row(e.turbine_id, now, WriteMode::Revert, before.as_ref(), None, actor, String::new());
        let what = "revert to offset 0, correction off";
        let after = self
            .finish(
                NewYawOffsetWrite { reason: "revert: offset 0, correction off".into(), ..row },
                turbine,
                what,
                outcome,
            )
            .await?;
        Ok(Reverted { before, after })
    }

    /// Lifts a revert's latch on `turbine` so the loop may step it again (when it is enabled),
    /// audited as an `enable` row with `actor`. Writes nothing to the controller. Returns the
    /// latch lifted; None (and nothing stored) when the turbine was not latched.
    pub async fn enable(&self, turbine: &TurbineName, actor: &str) -> Result<Option<Latch>, WriteBackError> {
        let e = self.entry(turbine)?;
        let _serialised = e.lock.lock().await;
        let Some(latch) = latches::release(&self.pool, e.turbine_id).await? else {
            return Ok(None);
        };
        let reason = format!(
            "enable: latch of the revert by {} at {} lifted",
            latch.actor,
            latch.since.format("%Y-%m-%d %H:%M:%S UTC")
        );
        let row = audit::row(e.turbine_id, (self.clock)(), WriteMode::Enable, None, None, actor, reason);
        tracing::info!(turbine = %turbine, actor, "{}", row.reason);
        self.insert(row).await?;
        Ok(Some(latch))
    }

    /// The turbine's revert latch, if it is held by one (for status displays).
    pub async fn latch(&self, turbine: &TurbineName) -> Result<Option<Latch>, WriteBackError> {
        Ok(latches::latch_of(&self.pool, self.entry(turbine)?.turbine_id).await?)
    }

    /// Audits a write's outcome: `row` as is when verified, as `failed` (with an error log)
    /// when not. Returns the read-back state of a verified write.
    async fn finish(
        &self,
        row: NewYawOffsetWrite,
        turbine: &TurbineName,
        what: &str,
        outcome: WriteOutcome,
    ) -> Result<DeviceState, WriteBackError> {
        match outcome {
            WriteOutcome::Verified(after) => {
                let row = NewYawOffsetWrite { verified: Some(true), ..audit::with_after(row, Some(&after)) };
                tracing::info!(turbine = %turbine, actor = %row.actor, "{}", row.reason);
                self.insert(row).await?;
                Ok(after)
            }
            WriteOutcome::Failed { after, cause } => {
                let reason = format!("failed: {what}: {cause}");
                let row = NewYawOffsetWrite {
                    mode: WriteMode::Failed,
                    reason,
                    verified: Some(false),
                    ..audit::with_after(row, after.as_ref())
                };
                tracing::error!(turbine = %turbine, actor = %row.actor, "yaw offset write-back alarm: {}", row.reason);
                self.insert(row).await?;
                Err(WriteBackError::WriteFailed { turbine: turbine.clone(), what: what.to_string(), cause })
            }
        }
    }

    async fn insert(&self, row: NewYawOffsetWrite) -> Result<(), WriteBackError> {
        if let Err(err) = rows::insert_yaw_offset_write(&self.pool, &row).await {
            tracing::error!(error = %err, row = ?row, "cannot store a yaw offset write-back audit row");
            return Err(err.into());
        }
        Ok(())
    }

    fn entry(&self, turbine: &TurbineName) -> Result<&Entry, WriteBackError> {
        self.turbines.get(turbine).ok_or_else(|| WriteBackError::UnknownTurbine(turbine.to_string()))
    }
}
