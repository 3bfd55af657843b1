//! Importing SCADA exports (CSV) as windows of origin `import`.
//!
//! Two stages run side by side: a blocking thread reads and validates the files
//! ([`reader`]) and sends batches of good rows; this task resolves turbine names to ids
//! (creating turbines when asked), drops keys repeated within a batch and writes each batch
//! with [`store::write_import_windows`] (binary COPY into a staging table, then an upsert that
//! never touches `poll` windows and leaves identical `import` windows alone).
//!
//! Bad rows never stop an import: each is counted with its file, line and reason
//! ([`report::BadRows`]). A file that cannot be opened or lacks a required column stops it
//! before anything is written ([`ImportError::is_usage`]). A database failure midway leaves
//! the batches written so far; running the same import again completes it.

pub mod engie;
pub mod generic;
pub mod reader;
pub mod report;
pub mod row;

use std::collections::HashMap;
use std::path::PathBuf;

use tokio::sync::mpsc;

pub use report::{BadReason, BadRow, BadRows, ImportReport, TimeRange};

use crate::store::{self, ImportWindow, PgPool, StoreError};

/// Good rows per database batch: large enough that per-statement costs vanish, small enough
/// that a batch (about 300 bytes a row) stays a few MB.
pub const BATCH_ROWS: usize = 20_000;

/// The file layouts `trueyaw import` reads (see `docs/domain.md`, SCADA CSV formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg`.
    Generic,
    /// ENGIE open data (La Haute Borne): `Wind_turbine_name;Date_time;Ba_avg;...`.
    Engie,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Generic => "generic",
            Format::Engie => "ENGIE",
        })
    }
}

/// What to import and where.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: Format,
    /// The farm the turbines belong to.
    pub farm: String,
    /// Add turbines (and the farm) that do not exist yet instead of reporting their rows.
    pub create_turbines: bool,
    /// Window length, seconds: every row's time must be a multiple of it.
    pub length_s: i32,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {file}: {source}")]
    Open { file: String, source: std::io::Error },
    #[error("{file}: cannot read the header: {message}")]
    BadHeader { file: String, message: String },
    #[error("{file}: missing required column {column:?} for the {format} format")]
    MissingColumn { file: String, column: &'static str, format: Format },
    #[error("farm {0:?} does not exist (--create-turbines creates it)")]
    UnknownFarm(String),
    #[error("reading {file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// True for mistakes in the command (files, columns, farm): the CLI exits with code 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ImportError::Open { .. }
                | ImportError::BadHeader { .. }
                | ImportError::MissingColumn { .. }
                | ImportError::UnknownFarm(_)
        )
    }
}

/// Imports `files` in order; `progress` is called with the bytes consumed so far.
pub async fn import_files(
    pool: &PgPool,
    opts: &ImportOptions,
    files: &[PathBuf],
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let plans = reader::plan(files, opts.format)?;
    let farm_id = match store::find_farm(pool, &opts.farm).await? {
        Some(id) => id,
        None if opts.create_turbines => store::upsert_farm(pool, &opts.farm).await?,
        None => return Err(ImportError::UnknownFarm(opts.farm.clone())),
    };
    let known: HashMap<String, i32> =
        store::list_turbines(pool, farm_id).await?.into_iter().map(|t| (t.name, t.id)).collect();
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut sink = Sink { known, names: Vec::new(), ids: Vec::new(), report: ImportReport::default(), farm_id };
    sink.report.files = files.len();

    let (tx, mut rx) = mpsc::channel(2);
    let length_s = opts.length_s;
    let read = tokio::task::spawn_blocking(move || reader::stream(&plans, length_s, BATCH_ROWS, tx));
    // One connection for the whole import keeps its staging table.
    let written = async {
        let mut conn = pool.acquire().await.map_err(StoreError::from)?;
        while let Some(batch) = rx.recv().await {
            let rows = sink.resolve(pool, batch.new_names, batch.rows, opts.create_turbines, &paths).await?;
            sink.report.rows_read += batch.rows_read;
            let counts = store::write_import_windows(&mut conn, opts.length_s, &rows).await?;
            sink.report.inserted += counts.inserted;
            sink.report.updated += counts.updated;
            sink.report.already_present += counts.unchanged;
            progress(batch.bytes_done);
        }
        Ok::<_, ImportError>(())
    }
    .await;
    // Dropping the receiver (on error) stops the reader at its next batch.
    drop(rx);
    let bad = read.await.map_err(|e| ImportError::Io { file: paths.join(", "), source: std::io::Error::other(e) })?;
    written?;
    sink.report.bad.merge(bad?);
    sink.report.turbines_created.sort();
    Ok(sink.report)
}

/// The writing side's state: turbine ids by name number, and the report being built.
struct Sink {
    farm_id: i32,
    known: HashMap<String, i32>,
    names: Vec<String>,
    /// Id per name number; `None` for a turbine that is unknown and may not be created.
    ids: Vec<Option<i32>>,
    report: ImportReport,
}

impl Sink {
    /// Turns parsed rows into storable windows: resolves turbine ids, records unknown turbines
    /// as bad rows, and keeps the last of rows sharing a (turbine, window) key, because one
    /// upsert statement cannot write the same row twice.
    async fn resolve(
        &mut self,
        pool: &PgPool,
        new_names: Vec<String>,
        rows: Vec<reader::ParsedRow>,
        create: bool,
        paths: &[String],
    ) -> Result<Vec<ImportWindow>, StoreError> {
        for name in new_names {
            let id = match self.known.get(&name) {
                Some(&id) => Some(id),
                None if create => {
                    let id = store::upsert_turbine(pool, self.farm_id, &name, "import").await?;
                    self.known.insert(name.clone(), id);
                    self.report.turbines_created.push(name.clone());
                    Some(id)
                }
                None => None,
            };
            self.names.push(name);
            self.ids.push(id);
        }
        let mut out: Vec<(ImportWindow, usize)> = Vec::with_capacity(rows.len());
        for row in rows {
            let name = &self.names[row.turbine as usize];
            let Some(turbine_id) = self.ids[row.turbine as usize] else {
                let reason = BadReason::UnknownTurbine { name: name.clone() };
                let file = paths[row.file_index].clone();
                self.report.bad.record(BadRow { file_index: row.file_index, file, line: row.line, reason });
                continue;
            };
            let t = row.window_start;
            // get_mut first: no name allocation per row.
            match self.report.per_turbine.get_mut(name) {
                Some(s) => (s.first, s.last, s.rows) = (s.first.min(t), s.last.max(t), s.rows + 1),
                None => _ = self.report.per_turbine.insert(name.clone(), TimeRange { first: t, last: t, rows: 1 }),
            }
            out.push((ImportWindow { turbine_id, window_start: t, values: row.values }, out.len()));
        }
        // Sort by key then arrival, and keep the last arrival of each key.
        out.sort_unstable_by_key(|(w, seq)| (w.turbine_id, w.window_start, *seq));
        let before = out.len();
        out.dedup_by(|later, earlier| {
            let same = later.0.turbine_id == earlier.0.turbine_id && later.0.window_start == earlier.0.window_start;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        self.report.already_present += (before - out.len()) as u64;
        Ok(out.into_iter().map(|(w, _)| w).collect())
    }
}
