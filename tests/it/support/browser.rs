//! The headless browser the browser tests (dashboard) and the PDF tests (report) need:
//! `--dump-dom` gives the DOM after the browser followed redirects and rendered the page,
//! `--screenshot` keeps a picture of it.

use std::path::Path;
use std::process::{Command, Output};

/// Chromium or Chrome as `trueyaw report --format pdf` would find it (`TRUEYAW_CHROMIUM`, else
/// `chromium`, `chromium-browser`, `google-chrome` on PATH), or None, and the test is skipped.
/// CI installs Debian's `chromium` and sets TRUEYAW_REQUIRE_INTEROP=1, under which a missing
/// browser fails the test instead.
pub fn chromium() -> Option<String> {
    let explicit = std::env::var_os("TRUEYAW_CHROMIUM").map(std::path::PathBuf::from);
    match trueyaw::report::pdf::find_browser(explicit.as_deref()) {
        Ok(path) => Some(path.display().to_string()),
        Err(e) => {
            assert!(std::env::var("TRUEYAW_REQUIRE_INTEROP").is_err(), "chromium is required under CI: {e}");
            super::skipped(&format!("{e} (apt-get install chromium)"));
            None
        }
    }
}

/// Runs `browser` headless with the profile directory `profile` (cookies of one run are not
/// kept for the next: sign in within each run) and `args`, off the async runtime. Background
/// networking is off: this machine's closed network refuses it, many connections at a time.
async fn headless(browser: &str, profile: &Path, args: &[String]) -> Output {
    let mut all = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    all.extend_from_slice(args);
    let browser = browser.to_string();
    tokio::task::spawn_blocking(move || Command::new(browser).args(all).output().expect("run chromium")).await.unwrap()
}

/// Where a screenshot named `name` is kept (`target/tmp`, which survives the test run).
fn screenshot_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Opens `login` (a `/login?token=...` URL that redirects to the page under test) in a fresh
/// profile, returns the DOM as rendered after the redirects, and keeps a screenshot of the page
/// `window` wide and high (Chromium's `W,H`) named `shot` in `target/tmp`.
pub async fn render_signed_in(browser: &str, login: &str, window: &str, shot: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = headless(browser, profile.path(), &["--dump-dom".to_string(), login.to_string()]).await;
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    let path = screenshot_path(shot);
    let args = [format!("--window-size={window}"), format!("--screenshot={}", path.display()), login.to_string()];
    headless(browser, profile.path(), &args).await;
    assert!(std::fs::metadata(&path).is_ok_and(|m| m.len() > 1000), "screenshot kept at {}", path.display());
    dom
}
