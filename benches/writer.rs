//! Write throughput: `store::write_readings` (binary COPY in 10,000-row batches) against
//! `psql \copy` of the same rows from a CSV file, the usual yardstick for bulk loading.
//!
//! Generates 1,000,000 realistic readings (200 turbines x 5000 s at 1 Hz, seeded), creates two
//! fresh migrated databases with the month partitions made ahead, times our writer into the
//! first and psql into the second, and prints readings/s for both and the ratio, as a
//! markdown table row and a JSON line. Only the loads are timed (not generating the CSV).
//!
//! `cargo bench --bench writer` (env: DATABASE_URL for the server, BENCH_TURBINES default
//! 200, BENCH_SECONDS default 5000, BENCH_BATCH default 10000, BENCH_KEEP=1 to keep the
//! databases). Needs `psql` on the PATH.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use trueyaw::domain::{Quality, Reading};
use trueyaw::store;

const COLUMNS: &str =
    "turbine_id, time, wind_speed_ms, vane_deg, nacelle_deg, power_kw, rotor_rpm, pitch_deg, state, quality";

fn main() {
    let turbines: i32 = env_or("BENCH_TURBINES", 200);
    let seconds: i64 = env_or("BENCH_SECONDS", 5000);
    let batch: usize = env_or("BENCH_BATCH", 10_000);
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let start = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        let readings = generate(turbines, start, seconds);
        let end = readings.last().map_or(start, |r| r.time);
        let n = readings.len() as u64;
        eprintln!("generated {n} readings ({turbines} turbines x {seconds} s)");

        let tag = format!("trueyaw_bench_writer_{}", std::process::id());
        let (ours_url, psql_url) = (format!("{}/{tag}_ours", server_url()), format!("{}/{tag}_psql", server_url()));
        let ours_db = fresh_database(&ours_url, start, end).await;
        let psql_db = fresh_database(&psql_url, start, end).await;

        let t = Instant::now();
        for chunk in readings.chunks(batch) {
            store::write_readings(&ours_db, chunk).await.expect("write batch");
        }
        let ours = t.elapsed();
        assert_eq!(count(&ours_db).await, n, "every reading stored by the writer");

        let csv = std::env::temp_dir().join(format!("{tag}.csv"));
        write_csv(&csv, &readings);
        let t = Instant::now();
        let status = Command::new("psql")
            .args([psql_url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!("\\copy readings ({COLUMNS}) from '{}' with (format csv)", csv.display()))
            .status()
            .expect("run psql (is it on the PATH?)");
        let theirs = t.elapsed();
        assert!(status.success(), "psql \\copy failed");
        assert_eq!(count(&psql_db).await, n, "every reading stored by psql");
        let _ = std::fs::remove_file(&csv);

        report(n, batch, ours, theirs);
        ours_db.close().await;
        psql_db.close().await;
        if !keep {
            drop_database(&format!("{tag}_ours")).await;
            drop_database(&format!("{tag}_psql")).await;
        }
    });
}

/// Readings as a 1 Hz poller would produce them: every turbine each second, with wind that
/// wanders, a vane that wobbles around a few degrees of error, power on a cubic curve up to
/// rated, and one failed poll in a thousand.
fn generate(turbines: i32, start: DateTime<Utc>, seconds: i64) -> Vec<Reading> {
    let mut rng = StdRng::seed_from_u64(20_251_126);
    let mut wind: Vec<f64> = (0..turbines).map(|_| rng.random_range(4.0..12.0)).collect();
    let heading: Vec<f64> = (0..turbines).map(|_| rng.random_range(0.0..360.0)).collect();
    let mut out = Vec::with_capacity(turbines as usize * seconds as usize);
    for s in 0..seconds {
        let time = start + chrono::Duration::seconds(s) + chrono::Duration::microseconds(rng.random_range(0..5_000));
        for t in 0..turbines {
            let i = t as usize;
            if rng.random_bool(0.001) {
                out.push(Reading::failed(t + 1, time, Quality::TIMEOUT));
                continue;
            }
            wind[i] = (wind[i] + rng.random_range(-0.3..0.3)).clamp(0.0, 25.0);
            let ws = wind[i];
            let power = if ws < 3.0 { 0.0 } else { (2050.0 * ((ws - 3.0) / 9.0).powi(3)).min(2050.0) };
            out.push(Reading {
                turbine_id: t + 1,
                time,
                wind_speed_ms: Some(ws as f32),
                vane_deg: Some((3.0 + rng.random_range(-8.0..8.0)) as f32),
                nacelle_deg: Some(((heading[i] + rng.random_range(-2.0..2.0)).rem_euclid(360.0)) as f32),
                power_kw: Some(power as f32),
                rotor_rpm: Some((ws * 1.6).min(16.0) as f32),
                pitch_deg: Some(if ws > 12.0 { ((ws - 12.0) * 2.0) as f32 } else { -0.5 }),
                state: Some(if ws < 3.0 { 0 } else { 1 }),
                quality: Quality::GOOD,
            });
        }
    }
    out
}

/// The same rows as CSV for psql: RFC 3339 times at microsecond resolution, empty = NULL.
fn write_csv(path: &Path, readings: &[Reading]) {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create CSV"));
    let opt = |v: Option<f32>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in readings {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{}",
            r.turbine_id,
            r.time.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            opt(r.wind_speed_ms),
            opt(r.vane_deg),
            opt(r.nacelle_deg),
            opt(r.power_kw),
            opt(r.rotor_rpm),
            opt(r.pitch_deg),
            r.state.map(|s| s.to_string()).unwrap_or_default(),
            r.quality.0
        )
        .expect("write CSV");
    }
    w.flush().expect("flush CSV");
}

/// Creates and migrates a database and its month partitions, so neither contender pays for
/// creating them while timed.
async fn fresh_database(url: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> PgPool {
    store::create_database_if_missing(url).await.expect("create database");
    let pool = store::connect(url, 4).await.expect("connect");
    store::migrate(&pool).await.expect("migrate");
    store::ensure_readings_partitions(&pool, from, to).await.expect("partitions");
    pool
}

async fn count(pool: &PgPool) -> u64 {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM readings").fetch_one(pool).await.expect("count");
    n as u64
}

async fn drop_database(name: &str) {
    let admin = store::connect(&format!("{}/postgres", server_url()), 1).await.expect("connect to postgres");
    // The name is ours, made of [a-z0-9_] only.
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await {
        eprintln!("could not drop {name}: {e}");
    }
}

fn report(n: u64, batch: usize, ours: Duration, theirs: Duration) {
    let ours_rate = n as f64 / ours.as_secs_f64();
    let psql_rate = n as f64 / theirs.as_secs_f64();
    let ratio = ours_rate / psql_rate;
    println!("| readings | batch | write_readings readings/s | psql \\copy readings/s | ratio |");
    println!("|---:|---:|---:|---:|---:|");
    println!("| {n} | {batch} | {ours_rate:.0} | {psql_rate:.0} | {ratio:.2} |");
    println!(
        "{{\"bench\":\"writer\",\"readings\":{n},\"batch_rows\":{batch},\"ours_s\":{:.3},\"psql_s\":{:.3},\"ours_per_s\":{ours_rate:.0},\"psql_per_s\":{psql_rate:.0},\"ratio\":{ratio:.3}}}",
        ours.as_secs_f64(),
        theirs.as_secs_f64()
    );
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Server URL without a database name.
fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| trueyaw::config::DEFAULT_DATABASE_URL.to_string());
    url.rsplit_once('/').map(|(s, _)| s.to_string()).unwrap_or(url)
}
