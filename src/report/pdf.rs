//! PDF of a report page, printed by headless Chromium (`--print-to-pdf`).
//!
//! Why Chromium: the HTML page is already the report's layout, with print CSS (A4, margins, no
//! table or chart split across pages); a browser prints it exactly as an engineer would from the
//! browser's print dialog, with no second layout to keep in step and no PDF crate to bundle. The
//! cost is a run-time dependency, so it is optional: only `--format pdf` needs it.
//!
//! Which browser: an explicit path (`--chromium`, or `TRUEYAW_CHROMIUM`), else the first of
//! `chromium`, `chromium-browser`, `google-chrome` on `PATH`. Without one, [`PdfError`] says what
//! is missing and how to install it; the caller still writes the other formats.
//!
//! Each run gets a fresh temporary profile (no state shared with a user's browser or between
//! runs), no network beyond the local file, and a deadline after which the browser's whole
//! process group is killed.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Browser names looked up on `PATH`, in order.
pub const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// What to do when no browser is found, appended to the error.
const INSTALL: &str = "install Chromium (Debian/Ubuntu: apt-get install chromium) or set TRUEYAW_CHROMIUM \
                       to a Chromium or Chrome binary; the html, json and csv formats do not need it";

/// How to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOptions {
    /// Browser binary; `None` looks up [`BROWSERS`] on `PATH`.
    pub browser: Option<PathBuf>,
    /// Longest the browser may take; a hung browser is killed after it.
    pub timeout: Duration,
}

impl Default for PdfOptions {
    fn default() -> Self {
        // A report page prints in about a second; a minute allows for a cold start on a busy host.
        Self { browser: None, timeout: Duration::from_secs(60) }
    }
}

/// Why a PDF could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no browser to print the PDF: {} is not an executable file; {INSTALL}", .0.display())]
    BrowserMissing(PathBuf),
    #[error("no browser to print the PDF: none of {} is on PATH; {INSTALL}", BROWSERS.join(", "))]
    NoBrowser,
    #[error("starting {}: {source}", browser.display())]
    Spawn { browser: PathBuf, source: io::Error },
    #[error("{} did not print the PDF within {} s and was killed", browser.display(), timeout.as_secs_f64())]
    Timeout { browser: PathBuf, timeout: Duration },
    #[error("{} failed printing the PDF ({status}): {stderr}", browser.display())]
    Failed { browser: PathBuf, status: ExitStatus, stderr: String },
    #[error("{} exited without printing a PDF: {stderr}", browser.display())]
    NoOutput { browser: PathBuf, stderr: String },
    #[error("{what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: io::Error },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PdfError {
    let path = path.to_path_buf();
    move |source| PdfError::Io { what, path, source }
}

/// The browser to use: `explicit` if given (it must exist), else the first of [`BROWSERS`] on
/// `PATH`.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, PdfError> {
    if let Some(p) = explicit {
        // A bare name (`chromium`) is looked up on PATH like the defaults.
        let found = if p.components().count() == 1 { on_path(&p.to_string_lossy()) } else { None };
        return match found {
            Some(f) => Ok(f),
            None if is_executable(p) => Ok(p.to_path_buf()),
            None => Err(PdfError::BrowserMissing(p.to_path_buf())),
        };
    }
    BROWSERS.iter().find_map(|name| on_path(name)).ok_or(PdfError::NoBrowser)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Prints the self-contained page `html` to the PDF file `out` (replaced if present).
pub fn html_to_pdf(html: &str, out: &Path, opts: &PdfOptions) -> Result<(), PdfError> {
    let browser = find_browser(opts.browser.as_deref())?;
    let tmp = tempfile::Builder::new()
        .prefix("trueyaw-pdf-")
        .tempdir()
        .map_err(io_err("creating", Path::new("a temporary directory")))?;
    let page = tmp.path().join("report.html");
    std::fs::write(&page, html).map_err(io_err("writing", &page))?;
    let printed = tmp.path().join("report.pdf");
    let profile = tmp.path().join("profile");
    let log = tmp.path().join("browser.log");
    let log_file = File::create(&log).map_err(io_err("creating", &log))?;
    let mut cmd = Command::new(&browser);
    cmd.args([
        "--headless",
        // Runs as root in containers and CI, where the sandbox cannot start.
        "--no-sandbox",
        "--disable-gpu",
        // Nothing but the local file: no update checks, sync, QUIC probes or first-run pages.
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // The report's own header carries the names and dates; no browser URL/date lines.
        "--no-pdf-header-footer",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--print-to-pdf={}", printed.display()))
    .arg(file_url(&page))
    .stdin(Stdio::null())
    // To a file, not a pipe: Chromium logs a lot, and a full pipe would stall it.
    .stdout(log_file.try_clone().map_err(io_err("opening", &log))?)
    .stderr(log_file);
    #[cfg(unix)]
    {
        // Its own process group, so a timeout kills the renderer and helper processes too.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|source| PdfError::Spawn { browser: browser.clone(), source })?;
    let deadline = Instant::now() + opts.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                kill_group(&mut child);
                return Err(PdfError::Timeout { browser, timeout: opts.timeout });
            }
            Err(e) => return Err(io_err("waiting for", &browser)(e)),
        }
    };
    let stderr = || log_tail(&log);
    if !status.success() {
        return Err(PdfError::Failed { browser, status, stderr: stderr() });
    }
    let is_pdf = std::fs::read(&printed).is_ok_and(|b| b.starts_with(b"%PDF-"));
    if !is_pdf {
        return Err(PdfError::NoOutput { browser, stderr: stderr() });
    }
    // Copied, not renamed: the temporary directory may be on another file system.
    std::fs::copy(&printed, out).map_err(io_err("writing", out))?;
    Ok(())
}

/// Kills the child's process group (see `process_group(0)` above), then the child itself.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of the browser's log, without the D-Bus noise a headless host always produces.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("dbus") && !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
    if tail.is_empty() { "(no output)".to_string() } else { tail }
}

/// `file://` URL of an absolute path, percent-encoding everything but unreserved bytes and `/`.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake browser: a shell script with `body`.
    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("fake-browser");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn a_missing_browser_names_the_path_and_how_to_install_one() {
        let err = find_browser(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, PdfError::BrowserMissing(_)), "{msg}");
        assert!(msg.contains("/nonexistent/chromium") && msg.contains("apt-get install chromium"), "{msg}");
    }

    #[test]
    fn a_hung_browser_is_killed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let opts = PdfOptions { browser: Some(script(dir.path(), "sleep 30")), timeout: Duration::from_millis(300) };
        let started = Instant::now();
        let err = html_to_pdf("<p>x</p>", &dir.path().join("out.pdf"), &opts).unwrap_err();
        assert!(matches!(err, PdfError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(!dir.path().join("out.pdf").exists());
    }

    #[test]
    fn a_browser_that_prints_nothing_or_fails_is_an_error_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.pdf");
        let opts = PdfOptions { browser: Some(script(dir.path(), "echo hello >&2")), ..Default::default() };
        let err = html_to_pdf("<p>x</p>", &out, &opts).unwrap_err();
        assert!(matches!(err, PdfError::NoOutput { .. }) && err.to_string().contains("hello"), "{err}");
        let opts = PdfOptions { browser: Some(script(dir.path(), "echo broken >&2; exit 3")), ..Default::default() };
        let err = html_to_pdf("<p>x</p>", &out, &opts).unwrap_err();
        assert!(matches!(err, PdfError::Failed { .. }) && err.to_string().contains("broken"), "{err}");
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(file_url(Path::new("/tmp/a b/r%.html")), "file:///tmp/a%20b/r%25.html");
    }
}
