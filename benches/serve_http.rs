//! HTTP throughput of `trueyaw serve`'s correction path, measured with wrk on this machine:
//! - `GET /api/v1/turbines/T01/correction?ws=..&rpm=..&pitch=..` (token checked, 5-member
//!   neural model) against a trivial axum handler served the same way in the same run (the
//!   ratio says how much of the budget trueyaw's own work takes);
//! - `POST /api/v1/turbines/T01/correct` with 1,000-reading batches, in readings/s.
//!
//! `cargo bench --bench serve_http` (env: DATABASE_URL for the server, BENCH_SECONDS default 10,
//! BENCH_CONNECTIONS default 32). Needs `wrk` (Debian package `wrk`). Server and wrk share the
//! machine's cores, as they would on a small farm server; each gets 2 threads.

#[path = "common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Duration;

use axum::routing::get;
use tokio_util::sync::CancellationToken;
use trueyaw::config::FarmConfig;
use trueyaw::model::neural::{NeuralConfig, estimate_neural};
use trueyaw::serve::Server;
use trueyaw::serve::auth::{Role, create_token};
use trueyaw::store::{self, NewModel};

fn main() {
    let seconds: u64 = common::env_or("BENCH_SECONDS", 10);
    let connections: u64 = common::env_or("BENCH_CONNECTIONS", 32);
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed (apt-get install wrk)");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let url = format!("{}/trueyaw_bench_serve_{}", common::server_url(), std::process::id());
        store::create_database_if_missing(&url).await.unwrap();
        let pool = store::connect(&url, 4).await.unwrap();
        store::migrate(&pool).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = farm_config(dir.path());
        let server = Server::build(&config, pool.clone(), None).await.unwrap();
        register_neural_model(&pool, &server, dir.path()).await;
        server.state().models.reload_all().await.unwrap();
        let token = create_token(&pool, "bench", Role::Viewer, "bench").await.unwrap();
        let api = server.api_addr();
        let stop = CancellationToken::new();
        let serving = tokio::spawn(server.run(stop.clone()));

        let trivial = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let trivial_addr = trivial.local_addr().unwrap();
        let app = axum::Router::new().route("/hello", get(|| async { "ok" }));
        let stop2 = stop.clone();
        tokio::spawn(async move {
            axum::serve(trivial, app).with_graceful_shutdown(async move { stop2.cancelled().await }).await.unwrap()
        });
        tokio::time::sleep(Duration::from_millis(200)).await;

        let auth = format!("Authorization: Bearer {token}");
        let correction = format!("http://{api}/api/v1/turbines/T01/correction?ws=7.3&rpm=12.1&pitch=0.5");
        let body_file = dir.path().join("batch.json");
        std::fs::write(&body_file, batch_body(1000)).unwrap();
        let script = dir.path().join("post.lua");
        std::fs::write(&script, post_script(&body_file, &token)).unwrap();
        let post_url = format!("http://{api}/api/v1/turbines/T01/correct");

        let trivial_run = wrk(&format!("http://{trivial_addr}/hello"), &[], seconds, connections).await;
        let get_run = wrk(&correction, &["-H", &auth], seconds, connections).await;
        let post_run = wrk(&post_url, &["-s", script.to_str().unwrap()], seconds, 8).await;

        println!("| path | requests/s | p50 | p99 | readings/s |");
        println!("|---|---|---|---|---|");
        for (name, r, per) in [
            ("trivial axum handler (reference)", &trivial_run, 1.0),
            ("GET .../correction (neural, 5 members)", &get_run, 1.0),
            ("POST .../correct (1,000 readings)", &post_run, 1000.0),
        ] {
            println!("| {name} | {:.0} | {:.2} ms | {:.2} ms | {:.0} |", r.rps, r.p50_ms, r.p99_ms, r.rps * per);
        }
        println!("ratio GET correction / trivial handler: {:.2}", get_run.rps / trivial_run.rps);
        println!(
            "{}",
            serde_json::json!({
                "bench": "serve_http", "seconds": seconds, "connections": connections,
                "trivial_rps": trivial_run.rps, "correction_rps": correction_ratio(&get_run, &trivial_run).0,
                "correction_p99_ms": get_run.p99_ms, "ratio": correction_ratio(&get_run, &trivial_run).1,
                "correct_readings_per_s": post_run.rps * 1000.0, "correct_p99_ms": post_run.p99_ms,
                "non_2xx": trivial_run.non_2xx + get_run.non_2xx + post_run.non_2xx,
            })
        );
        stop.cancel();
        let _ = serving.await;
        pool.close().await;
        common::drop_database(&url).await;
    });
}

fn correction_ratio(get: &WrkRun, trivial: &WrkRun) -> (f64, f64) {
    (get.rps, get.rps / trivial.rps)
}

fn farm_config(dir: &std::path::Path) -> FarmConfig {
    let text = r#"
        [farm]
        name = "bench"
        [serve]
        api_addr = "127.0.0.1:0"
        scada_enabled = false
        drift_watch_every_s = 0
        run_jobs = false
        [writeback]
        interval_s = 86400
        [[turbine]]
        name = "T01"
        modbus = { host = "127.0.0.1", port = 1 }
    "#;
    FarmConfig::parse(text, &dir.join("bench.toml"), Vec::new()).expect("bench config")
}

/// Trains a 5-member ensemble briefly on synthetic windows (its accuracy does not matter here,
/// only its size) and registers it as T01's active model.
async fn register_neural_model(pool: &sqlx::PgPool, server: &Server, dir: &std::path::Path) {
    let cfg = NeuralConfig::new().with_ensemble_size(5).with_steps(30).with_batch_size(512);
    let fit = estimate_neural(&common::windows(1, 4000), &cfg).expect("trains");
    let artifact = dir.join("model");
    fit.save(&artifact).expect("saves");
    let estimate = fit.to_estimate("T01");
    let id = server.state().turbines.by_name("T01").unwrap().id;
    let mut tx = pool.begin().await.unwrap();
    let version = store::lock_next_version(&mut tx, id).await.unwrap();
    let m = NewModel {
        turbine_id: id,
        version,
        method: "neural".into(),
        active: true,
        reason: None,
        artifact_dir: artifact.display().to_string(),
        data_from: None,
        data_to: None,
        n_windows: 4000,
        metrics: serde_json::json!({}),
        estimate: serde_json::to_value(&estimate).unwrap(),
    };
    store::insert_model(&mut tx, &m).await.unwrap();
    tx.commit().await.unwrap();
}

fn batch_body(n: usize) -> String {
    let readings: Vec<_> = (0..n)
        .map(|i| {
            let x = i as f64;
            serde_json::json!({
                "vane_deg": (x * 0.37).sin() * 8.0, "nacelle_deg": (x * 0.5) % 360.0,
                "wind_speed_ms": 4.0 + (x * 0.013) % 8.0, "rotor_rpm": 9.0 + (x * 0.007) % 5.0, "pitch_deg": 0.0,
            })
        })
        .collect();
    serde_json::json!({ "readings": readings }).to_string()
}

fn post_script(body: &std::path::Path, token: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {token}\"\nlocal f = io.open(\"{}\", \"r\")\n\
         wrk.body = f:read(\"*a\")\nf:close()\n",
        body.display()
    )
}

struct WrkRun {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

/// Runs wrk (2 threads, `--latency`) off the runtime's threads and parses its report.
async fn wrk(url: &str, extra: &[&str], seconds: u64, connections: u64) -> WrkRun {
    let mut args: Vec<String> =
        vec!["-t2".into(), format!("-c{connections}"), format!("-d{seconds}s"), "--latency".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(url.to_string());
    let out =
        tokio::task::spawn_blocking(move || Command::new("wrk").args(&args).output().expect("run wrk")).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    eprintln!("{text}");
    let field = |prefix: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string())).unwrap_or_default()
    };
    WrkRun {
        rps: field("Requests/sec:").parse().unwrap_or(0.0),
        p50_ms: ms(&field("50%")),
        p99_ms: ms(&field("99%")),
        non_2xx: field("Non-2xx or 3xx responses:").parse().unwrap_or(0),
    }
}

/// wrk's latency ("812.00us", "1.23ms", "2.01s") in milliseconds.
fn ms(v: &str) -> f64 {
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    if let Some(x) = v.strip_suffix("us") {
        num(x) / 1000.0
    } else if let Some(x) = v.strip_suffix("ms") {
        num(x)
    } else if let Some(x) = v.strip_suffix('s') {
        num(x) * 1000.0
    } else {
        f64::NAN
    }
}
