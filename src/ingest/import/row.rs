//! One CSV row to one window: the column layout both formats are mapped to, and the per-cell
//! validation (numbers, finiteness, ranges, angle wrapping, window alignment).

use chrono::{DateTime, Utc};
use csv::ByteRecord;

use super::report::BadReason;
use crate::domain::{Signal, wrap180, wrap360};
use crate::store::imports::VALUE_COLUMNS;

/// Window values in [`VALUE_COLUMNS`] order.
pub type Values = [Option<f64>; VALUE_COLUMNS.len()];

/// How a cell is checked and normalised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// A mean, minimum or maximum of a signal: within its range, angles wrapped.
    Signal(Signal),
    /// A standard deviation: zero or more.
    Spread,
    /// Outdoor temperature, deg C.
    Temperature,
    /// Absolute wind direction, deg, wrapped into [0, 360).
    Direction,
}

impl Check {
    /// Accepted input range. The vane range is widened to [-180, 360] because exports use
    /// either the (-180, 180] or the [0, 360) convention; both are wrapped to (-180, 180].
    fn range(self) -> (f64, f64) {
        match self {
            Check::Signal(Signal::Vane) => (-180.0, 360.0),
            Check::Signal(s) => s.default_range(),
            Check::Spread => (0.0, f64::MAX),
            Check::Temperature => (-60.0, 60.0),
            Check::Direction => (0.0, 360.0),
        }
    }

    fn normalise(self, v: f64) -> f64 {
        match self {
            Check::Signal(Signal::Vane) => wrap180(v),
            Check::Signal(Signal::NacellePosition) | Check::Direction => wrap360(v),
            _ => v,
        }
    }
}

/// One value cell: its CSV position and header name, the window column it fills, its check.
#[derive(Debug, Clone)]
pub struct Field {
    pub col: usize,
    pub name: String,
    pub value: usize,
    pub check: Check,
}

/// Where a format's cells are in one file, found from its header.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub turbine: usize,
    pub time: usize,
    pub fields: Vec<Field>,
    /// Number of header cells; every row must have as many.
    pub width: usize,
}

/// Position of `name` in the (trimmed) header cells.
pub fn position(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name)
}

impl ColumnMap {
    /// Validates one row: the raw turbine cell, the window start, and the values.
    pub fn parse<'r>(
        &self,
        rec: &'r ByteRecord,
        length_s: i32,
    ) -> Result<(&'r [u8], DateTime<Utc>, Values), BadReason> {
        if rec.len() != self.width {
            return Err(BadReason::WrongColumnCount { expected: self.width, found: rec.len() });
        }
        let time = text(&rec[self.time]);
        let start = DateTime::parse_from_rfc3339(time.trim())
            .map_err(|_| BadReason::BadTime { value: time.to_string() })?
            .with_timezone(&Utc);
        if start.timestamp_subsec_nanos() != 0 || start.timestamp().rem_euclid(i64::from(length_s)) != 0 {
            return Err(BadReason::MisalignedTime { value: time.to_string(), length_s });
        }
        let mut values = [None; VALUE_COLUMNS.len()];
        for f in &self.fields {
            values[f.value] = cell(&rec[f.col], f)?;
        }
        Ok((&rec[self.turbine], start, values))
    }
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// An empty cell is missing; anything else must be a finite number within the field's range.
fn cell(bytes: &[u8], f: &Field) -> Result<Option<f64>, BadReason> {
    let s = std::str::from_utf8(bytes).unwrap_or("\u{fffd}").trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v: f64 = s.parse().map_err(|_| BadReason::BadNumber { column: f.name.clone(), value: text(bytes).into() })?;
    if !v.is_finite() {
        return Err(BadReason::NotFinite { column: f.name.clone() });
    }
    let (lo, hi) = f.check.range();
    if !(lo..=hi).contains(&v) {
        return Err(BadReason::OutOfRange { column: f.name.clone(), value: v });
    }
    Ok(Some(f.check.normalise(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::imports::value_index;

    fn map() -> ColumnMap {
        let field = |col, name: &str, value, check| Field { col, name: name.into(), value: value_index(value), check };
        ColumnMap {
            turbine: 0,
            time: 1,
            fields: vec![
                field(2, "vane", "vane_deg_mean", Check::Signal(Signal::Vane)),
                field(3, "yaw", "nacelle_deg_mean", Check::Signal(Signal::NacellePosition)),
            ],
            width: 4,
        }
    }

    /// Window start, vane mean, nacelle mean.
    type Parsed = (DateTime<Utc>, Option<f64>, Option<f64>);

    fn parse(line: &str) -> Result<Parsed, BadReason> {
        let rec = ByteRecord::from(line.split(',').collect::<Vec<_>>());
        let (_, t, v) = map().parse(&rec, 600)?;
        Ok((t, v[value_index("vane_deg_mean")], v[value_index("nacelle_deg_mean")]))
    }

    #[test]
    fn angles_are_wrapped_and_offsets_converted_to_utc() {
        let (t, vane, nacelle) = parse("T1,2014-01-01T01:10:00+01:00,350,360").unwrap();
        assert_eq!(t.to_rfc3339(), "2014-01-01T00:10:00+00:00");
        assert_eq!((vane, nacelle), (Some(-10.0), Some(0.0)));
        assert_eq!(parse("T1,2014-01-01T00:10:00Z,-180, ").unwrap().1, Some(180.0));
    }

    #[test]
    fn each_kind_of_bad_cell_has_its_reason() {
        let key = |l: &str| parse(l).unwrap_err().summary_key();
        assert_eq!(key("T1,2014-01-01T00:10:00Z,abc,1"), "unparsable number in vane");
        assert_eq!(key("T1,2014-01-01T00:10:00Z,NaN,1"), "NaN or infinite in vane");
        assert_eq!(key("T1,2014-01-01T00:10:00Z,400,1"), "out of range in vane");
        assert_eq!(key("T1,2014-01-01T00:11:00Z,1,1"), "time not aligned to the window length");
        assert_eq!(key("T1,yesterday,1,1"), "bad time");
        assert_eq!(key("T1,2014-01-01T00:10:00Z,1"), "wrong column count");
    }
}
