//! Debian's headless Chromium for the dashboard tests: `--dump-dom` gives the DOM after the
//! browser followed redirects and rendered the page, `--screenshot` keeps a picture of it.

use std::path::Path;
use std::process::{Command, Output};

/// Debian's Chromium, if installed (CI installs it; elsewhere the browser tests are skipped).
pub fn chromium() -> Option<&'static str> {
    let found =
        ["chromium", "chromium-browser"].into_iter().find(|c| Command::new(c).arg("--version").output().is_ok());
    if found.is_none() {
        assert!(std::env::var("TRUEYAW_REQUIRE_INTEROP").is_err(), "chromium is required under CI");
        eprintln!("SKIPPED: no chromium on this machine");
    }
    found
}

/// Runs `browser` headless with the profile directory `profile` (cookies of one run are not
/// kept for the next: sign in within each run) and `args`, off the async runtime.
pub async fn headless(browser: &str, profile: &Path, args: &[String]) -> Output {
    let mut all = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--no-first-run".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    all.extend_from_slice(args);
    let browser = browser.to_string();
    tokio::task::spawn_blocking(move || Command::new(browser).args(all).output().expect("run chromium")).await.unwrap()
}

/// Where a screenshot named `name` is kept (`target/tmp`, which survives the test run).
pub fn screenshot_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}
