//! The yaw-offset write-back audit trail (`yaw_offset_writes`,
//! `migrations/0013_create_yaw_offset_writes.sql`): every write, dry-run, hold, revert, failed
//! write and lifted latch of a controller, and the queries the write-back's rate limit and hold
//! de-duplication need. Append-only; the policy that decides what to store lives in
//! `serve::writeback`.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// `yaw_offset_writes.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteMode {
    /// An offset step written and verified.
    Write,
    /// A step computed for a turbine that is not enabled; nothing written.
    DryRun,
    /// Nothing written; the reason says why.
    Hold,
    /// Offset 0 and correction off, written and verified.
    Revert,
    /// A write or revert that was refused, unanswered, or read back different.
    Failed,
    /// An operator lifted a revert's latch (`writeback_latches`); nothing was written.
    Enable,
}

impl WriteMode {
    pub const ALL: [WriteMode; 6] =
        [WriteMode::Write, WriteMode::DryRun, WriteMode::Hold, WriteMode::Revert, WriteMode::Failed, WriteMode::Enable];

    /// The value stored in the `mode` column.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::Write => "write",
            WriteMode::DryRun => "dry_run",
            WriteMode::Hold => "hold",
            WriteMode::Revert => "revert",
            WriteMode::Failed => "failed",
            WriteMode::Enable => "enable",
        }
    }

    /// The mode stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<WriteMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A row to append. Angles in degrees; see the migration for what each column means per mode.
#[derive(Debug, Clone, PartialEq)]
pub struct NewYawOffsetWrite {
    pub turbine_id: i32,
    pub time: DateTime<Utc>,
    pub mode: WriteMode,
    pub before_deg: Option<f64>,
    pub before_enable: Option<bool>,
    pub after_deg: Option<f64>,
    pub after_enable: Option<bool>,
    pub target_deg: Option<f64>,
    pub model_version: Option<i32>,
    /// Who acted: `writeback` for the loop, the API token or `cli` for a revert.
    pub actor: String,
    pub reason: String,
    pub verified: Option<bool>,
}

/// A stored row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct YawOffsetWriteRow {
    pub id: i64,
    pub turbine_id: i32,
    pub time: DateTime<Utc>,
    /// One of [`WriteMode::as_str`].
    pub mode: String,
    pub before_deg: Option<f64>,
    pub before_enable: Option<bool>,
    pub after_deg: Option<f64>,
    pub after_enable: Option<bool>,
    pub target_deg: Option<f64>,
    pub model_version: Option<i32>,
    pub actor: String,
    pub reason: String,
    pub verified: Option<bool>,
}

impl YawOffsetWriteRow {
    /// The row's mode (`None` only if the table holds a value this code does not know).
    pub fn write_mode(&self) -> Option<WriteMode> {
        WriteMode::parse(&self.mode)
    }
}

const COLUMNS: &str = "id, turbine_id, time, mode, before_deg, before_enable, after_deg, after_enable,
    target_deg, model_version, actor, reason, verified";

/// Appends `w` and returns its id.
pub async fn insert_yaw_offset_write(pool: &PgPool, w: &NewYawOffsetWrite) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO yaw_offset_writes (turbine_id, time, mode, before_deg, before_enable, after_deg,
                                        after_enable, target_deg, model_version, actor, reason, verified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(w.turbine_id)
    .bind(w.time)
    .bind(w.mode.as_str())
    .bind(w.before_deg)
    .bind(w.before_enable)
    .bind(w.after_deg)
    .bind(w.after_enable)
    .bind(w.target_deg)
    .bind(w.model_version)
    .bind(&w.actor)
    .bind(&w.reason)
    .bind(w.verified)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Time of the turbine's latest row whose mode is one of `modes` (None if there is none).
/// The write-back's rate limit asks for `[Write, Failed, Revert]` (any attempt to change the
/// controller) or `[DryRun]`.
pub async fn last_write_time(
    pool: &PgPool,
    turbine_id: i32,
    modes: &[WriteMode],
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let modes: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
    let t = sqlx::query_scalar("SELECT max(time) FROM yaw_offset_writes WHERE turbine_id = $1 AND mode = ANY($2)")
        .bind(turbine_id)
        .bind(modes)
        .fetch_one(pool)
        .await?;
    Ok(t)
}

/// The turbine's latest `limit` rows, newest first.
pub async fn recent_yaw_offset_writes(
    pool: &PgPool,
    turbine_id: i32,
    limit: i64,
) -> Result<Vec<YawOffsetWriteRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM yaw_offset_writes WHERE turbine_id = $1 ORDER BY time DESC, id DESC LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(turbine_id).bind(limit.max(0)).fetch_all(pool).await?)
}
