//! `--format pdf`: the HTML page printed by headless Chromium (skipped where none is installed,
//! required under CI), and the clear failure without one, which still writes the other formats.

use std::path::Path;
use std::process::Command;

use trueyaw::app::report::{Built, write_report};
use trueyaw::report::Format;
use trueyaw::report::build_farm_report;
use trueyaw::report::pdf::{PdfError, PdfOptions};

use super::farm;
use crate::support::browser::chromium;

fn trueyaw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueyaw"))
}

/// The text of a PDF by `pdftotext` (Debian poppler-utils), whitespace runs (line breaks of
/// wrapped paragraphs) collapsed to one space; None when it is not installed (then the text
/// checks are skipped, except under CI where it is required).
fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext").arg(pdf).arg("-").output() {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext {}: {}", pdf.display(), String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(e) => {
            assert!(std::env::var("TRUEYAW_REQUIRE_INTEROP").is_err(), "pdftotext is required under CI: {e}");
            crate::support::skipped(&format!("the PDF text checks: no pdftotext, {e} (apt-get install poppler-utils)"));
            None
        }
    }
}

fn assert_pdf(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"%PDF-"), "{} is not a PDF", path.display());
}

#[tokio::test]
async fn the_report_prints_to_a_pdf_beside_the_other_formats_with_the_turbine_and_its_vane_error() {
    let Some(browser) = chromium() else { return };
    let f = farm().await;
    let dir = tempfile::tempdir().unwrap();
    let out = trueyaw()
        .args(["report", "--farm", "wf", "--turbine", "T01", "--format", "html,json,csv,pdf", "--out"])
        .arg(dir.path())
        .env("DATABASE_URL", &f.db.url)
        .env("TRUEYAW_CHROMIUM", &browser)
        .output()
        .unwrap();
    assert!(out.status.success(), "report failed: {}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
    for name in ["wf-T01.html", "wf-T01.json", "wf-T01-summary.csv", "wf-T01-bins.csv", "wf-T01.pdf"] {
        assert!(dir.path().join(name).exists(), "{name} missing");
        assert!(listed.iter().any(|l| l.ends_with(name)), "{name} not listed: {listed:?}");
    }
    let pdf = dir.path().join("wf-T01.pdf");
    assert_pdf(&pdf);
    if let Some(text) = pdf_text(&pdf) {
        let e = f.t01.vane_error_deg.unwrap();
        assert!(text.contains("Vane calibration: wf / T01"), "turbine name missing: {text}");
        assert!(text.contains(&format!("yaw_offset_deg = {e:+.2} deg")), "vane error missing: {text}");
        assert!(text.contains("Vane error against wind speed"), "chart section missing: {text}");
    }

    // The farm summary prints too, with every ranked turbine.
    let r = build_farm_report(&f.db.pool, "wf").await.unwrap();
    let total = format!("{:.1} MWh/year", r.total_recoverable_mwh_per_year);
    let opts = PdfOptions { browser: Some(browser.into()), ..Default::default() };
    let files = write_report(&Built::Farm(r), dir.path(), &[Format::Pdf], &opts).unwrap();
    assert_eq!(files, [dir.path().join("wf.pdf")]);
    assert_pdf(&files[0]);
    if let Some(text) = pdf_text(&files[0]) {
        assert!(text.contains("farm wf") && text.contains("T01") && text.contains("T02"), "{text}");
        assert!(text.contains(&total), "total {total} missing: {text}");
    }
    f.db.drop_now().await;
}

#[tokio::test]
async fn without_a_browser_the_pdf_fails_clearly_and_the_other_formats_are_still_written() {
    let f = farm().await;
    let dir = tempfile::tempdir().unwrap();
    let out = trueyaw()
        .args(["report", "--farm", "wf", "--turbine", "T01", "--format", "pdf,html,json,csv", "--out"])
        .arg(dir.path())
        .env("DATABASE_URL", &f.db.url)
        .env("TRUEYAW_CHROMIUM", "/nonexistent/chromium")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("/nonexistent/chromium"), "names what is missing: {stderr}");
    assert!(stderr.contains("apt-get install chromium"), "says how to install it: {stderr}");
    assert!(stderr.contains("wf-T01.html"), "says what was written: {stderr}");
    for name in ["wf-T01.html", "wf-T01.json", "wf-T01-summary.csv", "wf-T01-bins.csv"] {
        assert!(dir.path().join(name).metadata().is_ok_and(|m| m.len() > 0), "{name} lost");
    }
    assert!(!dir.path().join("wf-T01.pdf").exists());

    // In the library the failure is the typed error.
    let r = build_farm_report(&f.db.pool, "wf").await.unwrap();
    let opts = PdfOptions { browser: Some("/nonexistent/chromium".into()), ..Default::default() };
    let err = write_report(&Built::Farm(r), dir.path(), &[Format::Pdf, Format::Csv], &opts).unwrap_err();
    assert!(matches!(err.downcast_ref::<PdfError>(), Some(PdfError::BrowserMissing(_))), "{err:#}");
    assert!(dir.path().join("wf.csv").exists());
    f.db.drop_now().await;
}
