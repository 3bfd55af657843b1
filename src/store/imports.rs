//! Windows imported from SCADA exports (origin `import`): binary COPY into a per-connection
//! staging table, then one `INSERT ... ON CONFLICT` into `windows`.
//!
//! Conflict policy, per (turbine_id, length_s, window_start):
//! - no row yet: inserted;
//! - an `import` row with different values: updated (a corrected re-export replaces the old one),
//!   `updated_at` set to now();
//! - an `import` row with the same values: left alone, `updated_at` included, so importing the
//!   same file twice changes nothing;
//! - a `poll` row: never touched; data measured by trueyaw itself wins over an export.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use super::StoreError;
use super::copy::{copy_binary, end_stream, put_timestamptz, start_stream};

/// The value columns an import writes, in COPY order (after the key and count columns).
pub const VALUE_COLUMNS: [&str; 24] = [
    "wind_speed_ms_mean",
    "wind_speed_ms_std",
    "wind_speed_ms_min",
    "wind_speed_ms_max",
    "power_kw_mean",
    "power_kw_std",
    "power_kw_min",
    "power_kw_max",
    "rotor_rpm_mean",
    "rotor_rpm_std",
    "rotor_rpm_min",
    "rotor_rpm_max",
    "pitch_deg_mean",
    "pitch_deg_std",
    "pitch_deg_min",
    "pitch_deg_max",
    "vane_deg_mean",
    "vane_deg_std",
    "vane_deg_min",
    "vane_deg_max",
    "nacelle_deg_mean",
    "nacelle_deg_std",
    "outdoor_temp_c_mean",
    "wind_dir_deg_mean",
];

/// Position of a value column in [`VALUE_COLUMNS`]; panics on a name that is not there, which
/// only a programming error can cause.
pub fn value_index(column: &str) -> usize {
    VALUE_COLUMNS.iter().position(|c| *c == column).unwrap_or_else(|| panic!("unknown window column {column}"))
}

/// One imported window, ready to store. `values` follow [`VALUE_COLUMNS`] (already validated
/// and wrapped: vane in (-180, 180], headings in [0, 360)).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportWindow {
    pub turbine_id: i32,
    pub window_start: DateTime<Utc>,
    pub values: [Option<f64>; VALUE_COLUMNS.len()],
}

/// What one write did to `windows`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Windows that did not exist.
    pub inserted: u64,
    /// `import` windows whose values changed.
    pub updated: u64,
    /// Windows left as they were: same values, or a `poll` window.
    pub unchanged: u64,
}

/// Key and count columns, then [`VALUE_COLUMNS`]; the COPY and INSERT column list.
fn column_list() -> String {
    format!("turbine_id, length_s, window_start, origin, n_readings, n_valid, {}", VALUE_COLUMNS.join(", "))
}

/// Id of the farm called `name`, if it exists.
pub async fn find_farm(pool: &PgPool, name: &str) -> Result<Option<i32>, StoreError> {
    Ok(sqlx::query_scalar("SELECT id FROM farms WHERE name = $1").bind(name).fetch_optional(pool).await?)
}

/// Writes `rows` as `length_s`-second windows of origin `import`, following the policy in the
/// module docs, in one transaction. `rows` must not repeat a (turbine, window_start) key: one
/// statement cannot update the same row twice.
pub async fn write_import_windows(
    conn: &mut PgConnection,
    length_s: i32,
    rows: &[ImportWindow],
) -> Result<ImportCounts, StoreError> {
    if rows.is_empty() {
        return Ok(ImportCounts::default());
    }
    let cols = column_list();
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // Created once per connection; ON COMMIT DELETE ROWS empties it after every batch.
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS windows_import_staging (LIKE windows INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    )
    .execute(&mut *tx)
    .await?;
    let data = encode(length_s, rows);
    copy_binary(&mut tx, &format!("COPY windows_import_staging ({cols}) FROM STDIN (FORMAT binary)"), &data).await?;
    let set: Vec<String> = VALUE_COLUMNS.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
    let old: Vec<String> = VALUE_COLUMNS.iter().map(|c| format!("w.{c}")).collect();
    let new: Vec<String> = VALUE_COLUMNS.iter().map(|c| format!("EXCLUDED.{c}")).collect();
    // Only compile-time column names are interpolated. xmax = 0 marks a freshly inserted row.
    let sql = format!(
        "WITH done AS (
            INSERT INTO windows AS w ({cols}) SELECT {cols} FROM windows_import_staging
            ON CONFLICT (turbine_id, length_s, window_start) DO UPDATE SET {}, updated_at = now()
            WHERE w.origin = 'import' AND ({}) IS DISTINCT FROM ({})
            RETURNING (xmax = 0) AS inserted
        ) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM done",
        set.join(", "),
        old.join(", "),
        new.join(", ")
    );
    let (inserted, updated): (i64, i64) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    let (inserted, updated) = (inserted as u64, updated as u64);
    Ok(ImportCounts { inserted, updated, unchanged: rows.len() as u64 - inserted - updated })
}

/// Binary COPY stream of `rows`, in the layout `store::copy` uses for readings (see there for
/// the format reference). One exported row is one aggregate whose sample count is unknown, so
/// `n_readings` and `n_valid` are 1.
fn encode(length_s: i32, rows: &[ImportWindow]) -> Vec<u8> {
    use bytes::BufMut;
    const FIELDS: i16 = 6 + VALUE_COLUMNS.len() as i16;
    let mut buf = start_stream(rows.len(), 2 + 30 * 4 + 32 + 24 * 8);
    for r in rows {
        buf.put_i16(FIELDS);
        for v in [r.turbine_id, length_s] {
            buf.put_i32(4);
            buf.put_i32(v);
        }
        put_timestamptz(&mut buf, r.window_start);
        buf.put_i32(6);
        buf.put_slice(b"import");
        for n in [1, 1] {
            buf.put_i32(4);
            buf.put_i32(n);
        }
        for v in r.values {
            match v {
                Some(v) => {
                    buf.put_i32(8);
                    buf.put_f64(v);
                }
                None => buf.put_i32(-1),
            }
        }
    }
    end_stream(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_columns_are_unique_and_indexable() {
        for (i, c) in VALUE_COLUMNS.iter().enumerate() {
            assert_eq!(value_index(c), i);
        }
    }

    #[test]
    fn an_empty_window_encodes_as_key_counts_and_nulls() {
        let t = DateTime::from_timestamp(946_684_800, 0).unwrap();
        let data = encode(600, &[ImportWindow { turbine_id: 7, window_start: t, values: [None; 24] }]);
        let row = &data[19..data.len() - 2];
        assert_eq!(&row[..2], &30i16.to_be_bytes());
        assert_eq!(&row[2..18], &[0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 4, 0, 0, 2, 88]);
        assert_eq!(&row[18..30], &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(row.len(), 2 + 16 + 12 + 10 + 16 + 24 * 4);
    }
}
