//! A third-party fuzzer (schemathesis, from PyPI) reads our OpenAPI spec and throws generated
//! requests at every operation with an operator token: none may get a 5xx. The write-back revert
//! is left out: its controllers do not exist here, and an unreachable controller is a 503 by
//! design (tested in `api_writeback`).

use std::process::Command;

use chrono::Utc;

use crate::support::farm::{python, python_has};
use crate::support::serve::Served;

#[tokio::test]
async fn schemathesis_finds_no_server_error_in_any_operation() {
    if !python_has("schemathesis") {
        return;
    }
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    s.add_reading("T01", Utc::now(), 8.0, 2.0, 180.0).await;
    let spec = s.url("/api/v1/openapi.json");
    let auth = format!("Authorization: Bearer {}", s.operator);
    let base = s.url("");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .args(["-m", "schemathesis.cli", "run", &spec, "--url", &base, "-H", &auth])
            .args(["--checks", "not_a_server_error", "--max-examples", "25", "--seed", "1"])
            .args(["--exclude-path-regex", "writeback/revert", "--request-timeout", "10"])
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    assert!(text.contains("passed"), "{text}");
    s.stop().await;
}
