//! `trueyaw import`: loads SCADA CSV exports into the `windows` table (origin `import`), with a
//! progress bar on a terminal and a summary at the end.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::ingest::import;
pub use crate::ingest::import::{ImportError, ImportOptions, ImportReport};
use crate::store;

/// Connects to `database_url` and imports `files`; prints the summary to stdout.
pub async fn run(database_url: &str, opts: ImportOptions, files: Vec<PathBuf>) -> anyhow::Result<ImportReport> {
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 4).await.with_context(|| format!("opening {redacted}"))?;
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress_bar(total);
    let started = std::time::Instant::now();
    let result = import::import_files(&pool, &opts, &files, |done| bar.set_position(done)).await;
    bar.finish_and_clear();
    pool.close().await;
    // Not `.context()`: the typed error must stay the outermost so `main` can map it to exit 2.
    let report = result?;
    print!("{report}");
    let secs = started.elapsed().as_secs_f64();
    println!("took {secs:.1} s ({:.0} rows/s)", report.rows_read as f64 / secs.max(1e-9));
    Ok(report)
}

/// A byte-based bar on stderr when it is a terminal; hidden otherwise (logs, CI, pipes).
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}") {
        bar.set_style(style);
    }
    bar
}
