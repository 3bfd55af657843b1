//! The `trueyaw` binary as a user runs it: exit codes, messages, and a short real poll.

use std::process::Command;

use crate::support::db::TestDb;
use crate::support::fake_device::FakeDevice;

fn trueyaw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueyaw"))
}

/// Writes a farm file with one Modbus turbine T01 on 127.0.0.1:`port`, plus `sections`.
fn one_turbine_farm(dir: &std::path::Path, port: u16, sections: &str) -> std::path::PathBuf {
    let path = dir.join("farm.toml");
    let text = format!(
        "[farm]\nname = \"clitest\"\n{sections}[[turbine]]\nname = \"T01\"\n\
         modbus = {{ host = \"127.0.0.1\", port = {port} }}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bad_config_exits_with_code_2_and_names_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("farm.toml");
    std::fs::write(&path, "[farm]\nname = \"x\"\n[poll]\ninterval_ms = -5\n").unwrap();
    let out = trueyaw().args(["poll", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("farm.toml") && stderr.contains("poll.interval_ms"), "stderr: {stderr}");
}

#[test]
fn a_missing_config_file_exits_with_code_2() {
    let out = trueyaw().args(["poll", "--config", "/nonexistent/farm.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/farm.toml"));
}

#[test]
fn bad_usage_exits_with_code_2_and_help_exits_0() {
    assert_eq!(trueyaw().args(["poll", "--bogus"]).output().unwrap().status.code(), Some(2));
    assert_eq!(trueyaw().args(["simulate", "--speedup", "0"]).output().unwrap().status.code(), Some(2));
    for cmd in ["migrate", "simulate", "poll", "demo"] {
        let out = trueyaw().args([cmd, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn an_unreachable_database_is_a_runtime_failure_with_exit_code_1() {
    let out = trueyaw().arg("migrate").env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn poll_with_a_duration_polls_a_device_into_the_database_and_exits_0() {
    let device = FakeDevice::steady().await;
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let path = one_turbine_farm(dir.path(), device.port, "[poll]\ninterval_ms = 250\n");
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        trueyaw()
            .args(["--log-format", "json", "poll", "--duration", "2", "--config"])
            .arg(&path)
            .env("DATABASE_URL", url)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.lines().any(|l| l.starts_with('{') && l.contains("poller stopped")), "JSON logs: {stderr}");
    let n: i64 =
        sqlx::query_scalar("select count(*) from readings where quality = 0").fetch_one(&db.pool).await.unwrap();
    assert!(n >= 6, "about 8 readings expected at 4 Hz for 2 s, found {n}");
    db.drop_now().await;
}

#[tokio::test]
async fn sigterm_stops_the_poller_with_every_polled_reading_stored() {
    let device = FakeDevice::steady().await;
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let config =
        one_turbine_farm(dir.path(), device.port, "[poll]\ninterval_ms = 100\n[storage]\nbatch_max_delay_ms = 5000\n");
    let summary = dir.path().join("summary.json");
    // A long batch delay means most readings are still in memory when the signal arrives.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trueyaw"))
        .args(["--log", "warn", "poll", "--config"])
        .arg(&config)
        .arg("--summary")
        .arg(&summary)
        .env("DATABASE_URL", &db.url)
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let polls =
        summary["turbines"][0]["polls_ok"].as_u64().unwrap() + summary["turbines"][0]["polls_failed"].as_u64().unwrap();
    let stored: i64 = sqlx::query_scalar("select count(*) from readings").fetch_one(&db.pool).await.unwrap();
    assert!(polls >= 10, "polled {polls}");
    assert_eq!(stored as u64, polls, "every polled reading was flushed before exit");
    db.drop_now().await;
}

#[tokio::test]
async fn serve_with_the_poller_answers_with_a_cli_token_and_stops_on_sigterm() {
    let device = FakeDevice::steady().await;
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let (api, scada) = (crate::support::farm::free_port(), crate::support::farm::free_port());
    let sections = format!(
        "[poll]\ninterval_ms = 200\n[serve]\napi_addr = \"127.0.0.1:{api}\"\nscada_addr = \"127.0.0.1:{scada}\"\n\
         run_poller = true\nlatest_refresh_ms = 200\nretrain_every_h = 0\n"
    );
    let config = one_turbine_farm(dir.path(), device.port, &sections);
    // `serve` migrates; the token command does too, so either may come first
    let out = trueyaw()
        .args(["token", "create", "--name", "ops", "--role", "viewer"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("ty_"));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trueyaw"))
        .args(["--log", "warn", "serve", "--config"])
        .arg(&config)
        .env("DATABASE_URL", &db.url)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("http://127.0.0.1:{api}{p}");
    let mut up = false;
    for _ in 0..100 {
        if http.get(url("/health")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(up, "serve answered /health within 20 s");
    // the in-process poller feeds the latest-readings cache
    let mut age = None;
    for _ in 0..50 {
        let t: serde_json::Value =
            http.get(url("/api/v1/turbines/T01")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        age = t["last_reading_age_s"].as_f64();
        if age.is_some() {
            assert_eq!(t["status"], "no_model");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(age.is_some(), "a polled reading reached the API");
    let metrics = http.get(url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("trueyaw_rows_written_total"), "{metrics}");
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
    db.drop_now().await;
}

#[tokio::test]
async fn import_train_and_estimates_work_on_an_empty_database() {
    // A database that exists but was never migrated, as on a new server.
    let db = TestDb::empty().await;
    let slice = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/la_haute_borne_slice.csv");
    let run = |args: &[&str]| trueyaw().args(args).env("DATABASE_URL", &db.url).output().unwrap();
    let out = run(&["--log", "warn", "import", "--format", "engie", "--farm", "lhb", "--create-turbines", slice]);
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
    let models = tempfile::tempdir().unwrap();
    let dir = models.path().to_str().unwrap();
    let out = run(&["--log", "warn", "train", "--farm", "lhb", "--method", "binned", "--models-dir", dir]);
    assert!(out.status.success(), "train: {}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["--log", "warn", "estimates", "--format", "json"]);
    assert!(out.status.success(), "estimates: {}", String::from_utf8_lossy(&out.stderr));
    let windows: i64 = sqlx::query_scalar("SELECT count(*) FROM windows").fetch_one(&db.pool).await.unwrap();
    assert!(windows > 0, "the import stored its windows");
    db.drop_now().await;
}
