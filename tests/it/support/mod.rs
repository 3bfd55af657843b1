//! Helpers shared by the integration tests.

pub mod browser;
pub mod db;
pub mod fake_device;
pub mod farm;
pub mod golden;
pub mod proxy;
pub mod serve;
pub mod sim;

/// Says on the terminal that a test skipped part of itself because a peer is missing, with what
/// to install. Written to the process's stderr directly: libtest captures `eprintln!` of a
/// passing test, so the line would never be seen.
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {what}");
}
