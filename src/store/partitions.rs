//! Monthly partitions of `readings`, created on demand before rows for a new month arrive.
//!
//! Asking the database for every batch would cost a round trip per batch, so the months known
//! to exist are cached process-wide, keyed by server and database: one process may write to
//! several databases (the integration tests do), and a month that exists in one says nothing
//! about another. The cache can go stale when an operator drops an old month while the process
//! runs; [`forget`] clears it when a write finds no partition for a row.

use std::collections::{BTreeSet, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::PgPool;

use super::StoreError;
use crate::domain::Reading;

/// (database key, month index) pairs known to have a partition.
static KNOWN: LazyLock<Mutex<HashSet<(String, i32)>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// Identifies the database a pool talks to, for the cache key.
fn database_key(pool: &PgPool) -> String {
    let o = pool.connect_options();
    let db = o.get_database().unwrap_or(o.get_username());
    match o.get_socket() {
        Some(socket) => format!("{}/{db}", socket.display()),
        None => format!("{}:{}/{db}", o.get_host(), o.get_port()),
    }
}

/// Months counted from year 0, so consecutive months are consecutive integers.
fn month_index(t: DateTime<Utc>) -> i32 {
    t.year() * 12 + t.month0() as i32
}

fn month_start(index: i32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1, 0, 0, 0).single()
}

/// Makes sure every month that `readings` touch has its partition.
pub(crate) async fn ensure_for(pool: &PgPool, readings: &[Reading]) -> Result<(), StoreError> {
    let months: BTreeSet<i32> = readings.iter().map(|r| month_index(r.time)).collect();
    ensure_months(pool, months).await
}

/// Makes sure the given months (see [`month_index`]) have their partitions.
async fn ensure_months(pool: &PgPool, months: BTreeSet<i32>) -> Result<(), StoreError> {
    let key = database_key(pool);
    let missing: Vec<i32> = {
        let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        months.into_iter().filter(|m| !known.contains(&(key.clone(), *m))).collect()
    };
    for month in missing {
        // Every month of a valid DateTime has a first day; skipping is only for the impossible.
        let Some(start) = month_start(month) else { continue };
        let name: String =
            sqlx::query_scalar("SELECT trueyaw_ensure_readings_partition($1)").bind(start).fetch_one(pool).await?;
        tracing::debug!(partition = %name, "readings partition ready");
        KNOWN.lock().unwrap_or_else(PoisonError::into_inner).insert((key.clone(), month));
    }
    Ok(())
}

/// Forgets the cached months of this pool's database, after a write found a month missing.
pub(crate) fn forget(pool: &PgPool) {
    let key = database_key(pool);
    KNOWN.lock().unwrap_or_else(PoisonError::into_inner).retain(|(k, _)| *k != key);
}

/// Creates the partitions for every month from `from` to `to` inclusive, e.g. ahead of a bulk
/// load, so no writer has to take the parent table's lock to create one mid-stream.
pub async fn ensure_readings_partitions(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure_months(pool, (month_index(from)..=month_index(to)).collect()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_indices_round_trip_across_year_ends() {
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap();
        let m = month_index(t);
        assert_eq!(month_start(m), Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).single());
        assert_eq!(month_start(m + 1), Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single());
    }
}
