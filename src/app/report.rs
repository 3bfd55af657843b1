//! `trueyaw report`: writes the calibration report of one turbine (`<out>/<farm>-<turbine>.*`)
//! or the farm summary (`<out>/<farm>.*`) in the chosen formats. CSV is one file per table:
//! a turbine gives `-summary.csv` and `-bins.csv`, a farm `<farm>.csv`.
//!
//! PDF is printed last, from the same HTML page, by headless Chromium (`report::pdf`): when it
//! fails (no browser installed, a hung browser), every other format asked for is already on disk
//! and the error says which files were written.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::pdf::{self, PdfOptions};
use crate::report::{self, Format, csv, html};
use crate::store;

/// Connects, builds the report of `turbine` (the farm summary when None) and writes it into
/// `out` (created if missing) in each of `formats`. Returns the files written.
pub async fn run(
    database_url: &str,
    farm: &str,
    turbine: Option<&str>,
    out: &Path,
    formats: &[Format],
    pdf: &PdfOptions,
) -> anyhow::Result<Vec<PathBuf>> {
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 2).await.with_context(|| format!("opening {redacted}"))?;
    let result = match turbine {
        Some(t) => report::build_turbine_report(&pool, farm, t).await.map(|r| Built::Turbine(Box::new(r))),
        None => report::build_farm_report(&pool, farm).await.map(Built::Farm),
    };
    pool.close().await;
    let built = result?; // typed error outermost so `main` can map usage errors to exit 2
    // The browser blocks for a second or so; keep it off the runtime's worker threads.
    let (out, formats, pdf) = (out.to_path_buf(), formats.to_vec(), pdf.clone());
    let files = tokio::task::spawn_blocking(move || write_report(&built, &out, &formats, &pdf)).await??;
    for f in &files {
        println!("{}", f.display());
    }
    Ok(files)
}

/// A built report of either kind.
#[derive(Debug, Clone)]
pub enum Built {
    Turbine(Box<report::TurbineReport>),
    Farm(report::FarmReport),
}

impl Built {
    /// The page every other format is a rendering of.
    fn html(&self) -> String {
        match self {
            Built::Turbine(r) => html::turbine_html(r),
            Built::Farm(r) => html::farm_html(r),
        }
    }
}

/// Renders `built` into `out` in each format (each format once, in the order given; PDF after
/// the others, so a missing browser never costs the rest). On a PDF failure the error is the
/// typed [`pdf::PdfError`] with the files already written in its context.
pub fn write_report(built: &Built, out: &Path, formats: &[Format], pdf: &PdfOptions) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating the output directory {}", out.display()))?;
    let stem = match built {
        Built::Turbine(r) => format!("{}-{}", r.farm, r.turbine),
        Built::Farm(r) => r.farm.clone(),
    };
    let path = |suffix: &str| out.join(format!("{stem}{suffix}"));
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut done = Vec::new();
    for f in formats {
        if done.contains(f) {
            continue;
        }
        done.push(*f);
        match (f, built) {
            (Format::Json, Built::Turbine(r)) => files.push((path(".json"), report::to_json(r))),
            (Format::Json, Built::Farm(r)) => files.push((path(".json"), report::to_json(r))),
            (Format::Html, _) => files.push((path(".html"), built.html())),
            (Format::Csv, Built::Turbine(r)) => {
                let c = csv::turbine_csv(r);
                files.push((path("-summary.csv"), c.summary));
                files.push((path("-bins.csv"), c.bins));
            }
            (Format::Csv, Built::Farm(r)) => files.push((path(".csv"), csv::farm_csv(r))),
            (Format::Pdf, _) => {} // below
        }
    }
    let mut written = Vec::with_capacity(files.len() + 1);
    for (path, text) in files {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    if done.contains(&Format::Pdf) {
        let target = path(".pdf");
        if let Err(e) = pdf::html_to_pdf(&built.html(), &target, pdf) {
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            let kept = if names.is_empty() { "no other format was asked for".to_string() } else { names.join(", ") };
            return Err(anyhow::Error::new(e).context(format!("writing {} (written: {kept})", target.display())));
        }
        written.push(target);
    }
    Ok(written)
}
