//! PostgreSQL binary COPY: the stream framing and field encoders every bulk load shares
//! (readings here, imported windows in `imports`), and sending a stream. The fastest way to load
//! rows, with no text formatting or parsing of floats and timestamps on either side.
//! Format: <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>.

use bytes::BufMut;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::StoreError;
use crate::domain::Reading;

/// The column list every COPY of readings uses, in encoding order.
pub(crate) const READING_COLUMNS: &str =
    "turbine_id, time, wind_speed_ms, vane_deg, nacelle_deg, power_kw, rotor_rpm, pitch_deg, state, quality";

/// Signature, flags (no OIDs) and header-extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// Upper bound of one encoded row, for preallocation: field count, 10 length words, 2 x 4-byte
/// ints, 8-byte time, 6 x 4-byte floats, 2-byte state.
const MAX_ROW_BYTES: usize = 2 + 10 * 4 + 8 + 8 + 6 * 4 + 2;

/// Starts a stream with room for `rows` rows of at most `row_bytes` each: writes the header.
pub(crate) fn start_stream(rows: usize, row_bytes: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(HEADER.len() + rows * row_bytes + 2);
    buf.put_slice(HEADER);
    buf
}

/// Ends a stream: the trailer.
pub(crate) fn end_stream(buf: &mut Vec<u8>) {
    buf.put_i16(-1);
}

/// Appends a non-null `timestamptz` field.
pub(crate) fn put_timestamptz(buf: &mut Vec<u8>, t: DateTime<Utc>) {
    buf.put_i32(8);
    // Floors to whole microseconds, PostgreSQL's resolution.
    buf.put_i64(t.timestamp_micros() - PG_EPOCH_OFFSET_US);
}

/// Sends a complete stream with `statement` (a `COPY ... FROM STDIN (FORMAT binary)`),
/// returning the rows copied.
pub(crate) async fn copy_binary(conn: &mut PgConnection, statement: &str, data: &[u8]) -> Result<u64, StoreError> {
    let mut copy = conn.copy_in_raw(statement).await?;
    if let Err(e) = copy.send(data).await {
        // The connection is broken; abort only to release it tidily, its error adds nothing.
        let _ = copy.abort("send failed").await;
        return Err(e.into());
    }
    Ok(copy.finish().await?)
}

/// Encodes readings as one complete binary COPY stream (header, rows, trailer).
pub(crate) fn encode(readings: &[Reading]) -> Vec<u8> {
    let mut buf = start_stream(readings.len(), MAX_ROW_BYTES);
    for r in readings {
        buf.put_i16(10);
        buf.put_i32(4);
        buf.put_i32(r.turbine_id);
        put_timestamptz(&mut buf, r.time);
        for v in [r.wind_speed_ms, r.vane_deg, r.nacelle_deg, r.power_kw, r.rotor_rpm, r.pitch_deg] {
            match v {
                Some(v) => {
                    buf.put_i32(4);
                    buf.put_f32(v);
                }
                None => buf.put_i32(-1),
            }
        }
        match r.state {
            Some(s) => {
                buf.put_i32(2);
                buf.put_i16(s);
            }
            None => buf.put_i32(-1),
        }
        buf.put_i32(4);
        buf.put_i32(r.quality.0);
    }
    end_stream(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Quality;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_failed_poll_encodes_as_nulls_with_its_quality() {
        let t = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap();
        let data = encode(&[Reading::failed(7, t, Quality::TIMEOUT)]);
        let row = &data[HEADER.len()..data.len() - 2];
        assert_eq!(&row[..2], &10i16.to_be_bytes());
        assert_eq!(&row[2..10], &[0, 0, 0, 4, 0, 0, 0, 7]);
        assert_eq!(&row[14..22], &1_000_000i64.to_be_bytes());
        assert!(row[22..50].chunks(4).all(|c| c == (-1i32).to_be_bytes()), "7 NULL fields");
        assert_eq!(&row[50..], &[0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(&data[data.len() - 2..], &[0xff, 0xff]);
    }
}
