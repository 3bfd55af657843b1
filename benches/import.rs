//! Import throughput: `ingest::import::import_files` on a generic CSV of two years of
//! 10-minute windows from four turbines (420,480 rows), against `psql \copy` of the same file
//! into a plain staging table (no validation, no upsert), the floor for loading CSV.
//!
//! Generates the file (seeded, realistic values: wandering wind, cubic power curve to 2050 kW
//! rated, vane scatter around a few degrees of error, slowly yawing nacelle, one missing value
//! in a thousand), creates a fresh migrated database, then times: the first import (every row
//! new), the same import again (every row already present), and psql. Only loads are timed.
//! Prints a markdown table and a JSON line.
//!
//! `cargo bench --bench import` (env: DATABASE_URL for the server, BENCH_TURBINES default 4,
//! BENCH_DAYS default 730, BENCH_KEEP=1 to keep the database and file). Needs `psql`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trueyaw::ingest::import::{Format, ImportOptions, import_files};
use trueyaw::store;

const HEADER: &str = "turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg";

fn main() {
    let turbines: usize = env_or("BENCH_TURBINES", 4);
    let days: i64 = env_or("BENCH_DAYS", 730);
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    let tag = format!("trueyaw_bench_import_{}", std::process::id());
    let csv = std::env::temp_dir().join(format!("{tag}.csv"));
    let t = Instant::now();
    let n = generate(&csv, turbines, days);
    let mib = std::fs::metadata(&csv).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    eprintln!("generated {n} rows ({turbines} turbines x {days} days, {mib:.1} MiB) in {:.1?}", t.elapsed());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let url = format!("{}/{tag}", server_url());
        store::create_database_if_missing(&url).await.expect("create database");
        let pool = store::connect(&url, 4).await.expect("connect");
        store::migrate(&pool).await.expect("migrate");
        let opts =
            ImportOptions { format: Format::Generic, farm: "bench".into(), create_turbines: true, length_s: 600 };
        let files = [csv.clone()];

        let t = Instant::now();
        let first = import_files(&pool, &opts, &files, |_| {}).await.expect("first import");
        let first_time = t.elapsed();
        assert_eq!((first.inserted, first.bad.total()), (n, 0), "every row imported: {first}");

        let t = Instant::now();
        let again = import_files(&pool, &opts, &files, |_| {}).await.expect("second import");
        let again_time = t.elapsed();
        assert_eq!(again.already_present, n, "nothing new the second time: {again}");

        sqlx::query(
            "CREATE TABLE psql_staging (turbine text, time timestamptz, wind_speed_ms float8, vane_deg float8,
             nacelle_deg float8, power_kw float8, rotor_rpm float8, pitch_deg float8)",
        )
        .execute(&pool)
        .await
        .expect("create staging table");
        let psql_time = psql_copy(&url, &csv);
        report(n, first_time, again_time, psql_time);
        pool.close().await;
        if !keep {
            drop_database(&tag).await;
            let _ = std::fs::remove_file(&csv);
        }
    });
}

/// Writes the CSV; returns its row count.
fn generate(path: &PathBuf, turbines: usize, days: i64) -> u64 {
    let mut rng = StdRng::seed_from_u64(20_261_126);
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create CSV"));
    writeln!(w, "{HEADER}").expect("write CSV");
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let (mut wind, mut heading) = (8.0_f64, 220.0_f64);
    let vane_error: Vec<f64> = (0..turbines).map(|_| rng.random_range(-6.0..6.0)).collect();
    let mut n = 0;
    for i in 0..days * 144 {
        let time = (start + chrono::Duration::minutes(10 * i)).to_rfc3339();
        wind = (wind + rng.random_range(-0.8..0.8) + (8.0 - wind) * 0.02).clamp(0.0, 28.0);
        heading = (heading + rng.random_range(-4.0..4.0)).rem_euclid(360.0);
        for (t, e) in vane_error.iter().enumerate() {
            let ws = (wind * rng.random_range(0.9..1.1)).max(0.0);
            let power =
                if ws < 3.0 { rng.random_range(-5.0..0.0) } else { (2050.0 * ((ws - 3.0) / 9.0).powi(3)).min(2050.0) };
            let pitch = if ws > 12.0 { (ws - 12.0) * 2.0 } else { -1.0 };
            let vane = e + rng.random_range(-8.0..8.0);
            let nacelle = (heading + rng.random_range(-3.0..3.0)).rem_euclid(360.0);
            let rpm = if ws < 3.0 { 0.0 } else { (ws * 1.6).min(17.0) };
            let missing = rng.random_bool(0.001);
            let power = if missing { String::new() } else { format!("{power:.2}") };
            writeln!(w, "T{:02},{time},{ws:.2},{vane:.2},{nacelle:.2},{power},{rpm:.2},{pitch:.2}", t + 1)
                .expect("write CSV");
            n += 1;
        }
    }
    w.flush().expect("flush CSV");
    n
}

fn psql_copy(url: &str, csv: &Path) -> Duration {
    let t = Instant::now();
    let status = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("\\copy psql_staging from '{}' with (format csv, header)", csv.display()))
        .status()
        .expect("run psql (is it on the PATH?)");
    assert!(status.success(), "psql \\copy failed");
    t.elapsed()
}

fn report(n: u64, first: Duration, again: Duration, psql: Duration) {
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!("| rows | import s | import rows/s | re-import s | re-import rows/s | psql \\copy s | psql rows/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {n} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} | {:.0} |",
        first.as_secs_f64(),
        rate(first),
        again.as_secs_f64(),
        rate(again),
        psql.as_secs_f64(),
        rate(psql)
    );
    println!(
        "{{\"bench\":\"import\",\"rows\":{n},\"import_s\":{:.3},\"reimport_s\":{:.3},\"psql_s\":{:.3},\"import_per_s\":{:.0},\"psql_per_s\":{:.0}}}",
        first.as_secs_f64(),
        again.as_secs_f64(),
        psql.as_secs_f64(),
        rate(first),
        rate(psql)
    );
}

async fn drop_database(name: &str) {
    let admin = store::connect(&format!("{}/postgres", server_url()), 1).await.expect("connect to postgres");
    // The name is ours, made of [a-z0-9_] only.
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await {
        eprintln!("could not drop {name}: {e}");
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Server URL without a database name.
fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| trueyaw::config::DEFAULT_DATABASE_URL.to_string());
    url.rsplit_once('/').map(|(s, _)| s.to_string()).unwrap_or(url)
}
