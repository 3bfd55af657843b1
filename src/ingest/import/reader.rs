//! Reading the files, on a blocking thread: every header is checked before anything is written
//! (a missing column in the third file must not leave the first two half-imported), then rows
//! are streamed record by record (never a whole file in memory) and sent in batches.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use csv::ByteRecord;
use tokio::sync::mpsc;

use super::report::{BadReason, BadRow, BadRows};
use super::row::{ColumnMap, Values};
use super::{Format, ImportError, engie, generic};
use crate::domain::TurbineName;

/// One file, its delimiter and where its columns are.
#[derive(Debug, Clone)]
pub struct Plan {
    pub path: PathBuf,
    pub delimiter: u8,
    pub map: ColumnMap,
}

/// A good row; `turbine` indexes the names announced in [`Batch::new_names`].
#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub turbine: u32,
    pub window_start: DateTime<Utc>,
    pub values: Values,
    pub file_index: usize,
    pub line: u64,
}

/// Rows read since the previous batch.
#[derive(Debug, Default)]
pub struct Batch {
    pub rows: Vec<ParsedRow>,
    /// Turbine names first seen in this batch, continuing the numbering of earlier batches.
    pub new_names: Vec<String>,
    /// Data rows read, good and bad.
    pub rows_read: u64,
    /// Bytes of all files consumed so far, for progress.
    pub bytes_done: u64,
}

/// Opens every file, picks its delimiter and maps its header.
pub fn plan(files: &[PathBuf], format: Format) -> Result<Vec<Plan>, ImportError> {
    files.iter().map(|path| plan_one(path, format)).collect()
}

fn plan_one(path: &PathBuf, format: Format) -> Result<Plan, ImportError> {
    let file = path.display().to_string();
    let read_err = |source| ImportError::Open { file: file.clone(), source };
    let mut first = Vec::new();
    BufReader::new(File::open(path).map_err(read_err)?).read_until(b'\n', &mut first).map_err(read_err)?;
    // A header has no quoted delimiters in either format, so counting is enough.
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    let mut rdr = reader(File::open(path).map_err(read_err)?, delimiter);
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| ImportError::BadHeader { file: file.clone(), message: e.to_string() })?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let map = match format {
        Format::Generic => generic::column_map(&headers),
        Format::Engie => engie::column_map(&headers),
    }
    .map_err(|column| ImportError::MissingColumn { file: file.clone(), column, format })?;
    Ok(Plan { path: path.clone(), delimiter, map })
}

fn reader(file: File, delimiter: u8) -> csv::Reader<File> {
    // flexible: a short or long row is a bad row we report, not an error that ends the file.
    csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).buffer_capacity(1 << 16).from_reader(file)
}

/// Reads every planned file in order, sending batches of up to `batch_rows` good rows.
/// Returns the bad rows found; stops early, without error, if the receiver is gone.
pub fn stream(
    plans: &[Plan],
    length_s: i32,
    batch_rows: usize,
    tx: mpsc::Sender<Batch>,
) -> Result<BadRows, ImportError> {
    let mut bad = BadRows::default();
    let mut names: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut batch = Batch::default();
    let mut bytes_before = 0;
    for (file_index, plan) in plans.iter().enumerate() {
        let file = plan.path.display().to_string();
        let io_err = |source| ImportError::Io { file: file.clone(), source };
        let mut rdr = reader(File::open(&plan.path).map_err(io_err)?, plan.delimiter);
        let mut rec = ByteRecord::new();
        loop {
            let line_before = rdr.position().line();
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) if e.is_io_error() => return Err(io_err(std::io::Error::other(e.to_string()))),
                Err(e) => {
                    batch.rows_read += 1;
                    let reason = BadReason::Unreadable { message: e.to_string() };
                    bad.record(BadRow { file_index, file: file.clone(), line: line_before, reason });
                    continue;
                }
            }
            batch.rows_read += 1;
            let line = rec.position().map_or(line_before, |p| p.line());
            let parsed = plan.map.parse(&rec, length_s).and_then(|(name, start, values)| {
                let turbine = intern(&mut names, &mut batch.new_names, name)?;
                Ok(ParsedRow { turbine, window_start: start, values, file_index, line })
            });
            match parsed {
                Ok(row) => batch.rows.push(row),
                Err(reason) => bad.record(BadRow { file_index, file: file.clone(), line, reason }),
            }
            if batch.rows.len() >= batch_rows {
                batch.bytes_done = bytes_before + rdr.position().byte();
                if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                    return Ok(bad);
                }
            }
        }
        bytes_before += rdr.position().byte();
    }
    batch.bytes_done = bytes_before;
    let _ = tx.blocking_send(batch);
    Ok(bad)
}

/// The number of turbine `name`, validating it the first time it is seen.
fn intern(names: &mut HashMap<Vec<u8>, u32>, new_names: &mut Vec<String>, name: &[u8]) -> Result<u32, BadReason> {
    if let Some(&i) = names.get(name) {
        return Ok(i);
    }
    let text = String::from_utf8_lossy(name);
    let valid = TurbineName::parse(text.trim()).map_err(|_| BadReason::BadTurbineName { value: text.to_string() })?;
    let i = names.len() as u32;
    names.insert(name.to_vec(), i);
    new_names.push(valid.as_str().to_string());
    Ok(i)
}
