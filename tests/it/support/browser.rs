//! The headless browser the browser tests (dashboard) and the PDF tests (report) need.

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
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}
