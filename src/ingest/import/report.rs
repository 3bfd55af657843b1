//! What an import did: rows read, stored, skipped, the bad rows with the reason for each, and
//! the time span per turbine; printed as the summary at the end of `trueyaw import`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

/// How many bad rows are kept verbatim (file, line, reason); the rest are only counted.
pub const MAX_EXAMPLES: usize = 20;

/// Why a row was not imported.
#[derive(Debug, Clone, PartialEq)]
pub enum BadReason {
    /// A cell that should be a number is not one.
    BadNumber { column: String, value: String },
    /// NaN or infinity.
    NotFinite { column: String },
    /// Outside the plausible range of its signal (`domain::Signal::default_range`).
    OutOfRange { column: String, value: f64 },
    /// The time cell is empty or not RFC 3339 with a UTC offset.
    BadTime { value: String },
    /// The time is not the start of a window of the import's length.
    MisalignedTime { value: String, length_s: i32 },
    /// The turbine name is empty or not a valid turbine name.
    BadTurbineName { value: String },
    /// The turbine is not in the farm and `--create-turbines` was not given.
    UnknownTurbine { name: String },
    /// The row has a different number of cells than the header.
    WrongColumnCount { expected: usize, found: usize },
    /// The CSV itself could not be read at this row (e.g. broken quoting).
    Unreadable { message: String },
}

impl BadReason {
    /// The key bad rows are counted under in the summary: the kind, and the column if any.
    pub fn summary_key(&self) -> String {
        match self {
            BadReason::BadNumber { column, .. } => format!("unparsable number in {column}"),
            BadReason::NotFinite { column } => format!("NaN or infinite in {column}"),
            BadReason::OutOfRange { column, .. } => format!("out of range in {column}"),
            BadReason::BadTime { .. } => "bad time".into(),
            BadReason::MisalignedTime { .. } => "time not aligned to the window length".into(),
            BadReason::BadTurbineName { .. } => "invalid turbine name".into(),
            BadReason::UnknownTurbine { .. } => "unknown turbine".into(),
            BadReason::WrongColumnCount { .. } => "wrong column count".into(),
            BadReason::Unreadable { .. } => "unreadable CSV".into(),
        }
    }
}

impl fmt::Display for BadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadReason::BadNumber { column, value } => write!(f, "{column}: {value:?} is not a number"),
            BadReason::NotFinite { column } => write!(f, "{column}: NaN or infinite"),
            BadReason::OutOfRange { column, value } => write!(f, "{column}: {value} is out of range"),
            BadReason::BadTime { value } => write!(f, "time {value:?} is not RFC 3339 with a UTC offset"),
            BadReason::MisalignedTime { value, length_s } => {
                write!(f, "time {value} is not the start of a {length_s} s window")
            }
            BadReason::BadTurbineName { value } => write!(f, "invalid turbine name {value:?}"),
            BadReason::UnknownTurbine { name } => {
                write!(f, "unknown turbine {name:?} (use --create-turbines to add it)")
            }
            BadReason::WrongColumnCount { expected, found } => {
                write!(f, "{found} cells where the header has {expected}")
            }
            BadReason::Unreadable { message } => write!(f, "unreadable: {message}"),
        }
    }
}

/// One bad row: where it is and why it was skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// Position of the file in the import's file list, to order examples.
    pub file_index: usize,
    pub file: String,
    /// 1-based line number, the header being line 1.
    pub line: u64,
    pub reason: BadReason,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Bad rows seen so far: the first [`MAX_EXAMPLES`] in full, all of them counted by reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BadRows {
    pub examples: Vec<BadRow>,
    pub by_reason: BTreeMap<String, u64>,
}

impl BadRows {
    pub fn record(&mut self, row: BadRow) {
        *self.by_reason.entry(row.reason.summary_key()).or_default() += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(row);
        }
    }

    /// Total bad rows.
    pub fn total(&self) -> u64 {
        self.by_reason.values().sum()
    }

    /// Adds `other`'s counts; keeps the first examples in file and line order.
    pub fn merge(&mut self, other: BadRows) {
        for (k, n) in other.by_reason {
            *self.by_reason.entry(k).or_default() += n;
        }
        self.examples.extend(other.examples);
        self.examples.sort_by_key(|r| (r.file_index, r.line));
        self.examples.truncate(MAX_EXAMPLES);
    }
}

/// First and last window start of one turbine, and how many rows it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub rows: u64,
}

/// The outcome of one `trueyaw import`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub files: usize,
    /// Data rows read (header excluded), good and bad.
    pub rows_read: u64,
    /// Windows that did not exist and were inserted.
    pub inserted: u64,
    /// Imported windows whose values changed since an earlier import.
    pub updated: u64,
    /// Good rows whose window was already stored with the same values, or as a `poll` window,
    /// or repeated within the import.
    pub already_present: u64,
    pub bad: BadRows,
    /// Turbines added to the farm (`--create-turbines`), by name.
    pub turbines_created: Vec<String>,
    /// Window-start span of the good rows, per turbine name.
    pub per_turbine: BTreeMap<String, TimeRange>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "files:           {}", self.files)?;
        writeln!(f, "rows read:       {}", self.rows_read)?;
        writeln!(f, "imported:        {}", self.inserted)?;
        writeln!(f, "updated:         {}", self.updated)?;
        writeln!(f, "already present: {}", self.already_present)?;
        writeln!(f, "bad rows:        {}", self.bad.total())?;
        for row in &self.bad.examples {
            writeln!(f, "  {row}")?;
        }
        if self.bad.total() > self.bad.examples.len() as u64 {
            writeln!(f, "  ... {} more", self.bad.total() - self.bad.examples.len() as u64)?;
        }
        for (reason, n) in &self.bad.by_reason {
            writeln!(f, "  {n:>8} {reason}")?;
        }
        let created = if self.turbines_created.is_empty() { "none".into() } else { self.turbines_created.join(", ") };
        writeln!(f, "turbines created: {created}")?;
        for (name, r) in &self.per_turbine {
            writeln!(f, "  {name}: {} .. {} ({} rows)", r.first.to_rfc3339(), r.last.to_rfc3339(), r.rows)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(file_index: usize, line: u64) -> BadRow {
        let reason = BadReason::NotFinite { column: "power_kw".into() };
        BadRow { file_index, file: format!("f{file_index}.csv"), line, reason }
    }

    #[test]
    fn only_the_first_twenty_bad_rows_are_kept_but_all_are_counted() {
        let mut a = BadRows::default();
        (0..30).for_each(|l| a.record(bad(1, l)));
        let mut b = BadRows::default();
        b.record(bad(0, 99));
        a.merge(b);
        assert_eq!(a.total(), 31);
        assert_eq!(a.examples.len(), MAX_EXAMPLES);
        assert_eq!(a.examples[0].to_string(), "f0.csv:99: power_kw: NaN or infinite");
        assert_eq!(a.by_reason["NaN or infinite in power_kw"], 31);
    }
}
