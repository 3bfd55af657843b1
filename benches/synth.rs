//! Synthetic history throughput: `sim::history::generate` of 5 turbines x 365 days of
//! 10-minute windows (157.7 M turbine-steps of the simulator's physics, aggregated and written
//! as CSV), in-process into a buffered file in the temp directory (removed afterwards).
//!
//! `cargo bench --bench synth` (env: BENCH_TURBINES default 5, BENCH_DAYS default 365,
//! BENCH_SEED default 1). Prints turbine-steps/s and total seconds as a markdown table row and a
//! JSON line.

use std::io::BufWriter;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use trueyaw::sim::history::{self, HistorySpec};
use trueyaw::sim::physics::SimProfile;

fn main() {
    let spec = HistorySpec {
        turbines: env_or("BENCH_TURBINES", 5),
        days: env_or("BENCH_DAYS", 365),
        seed: env_or("BENCH_SEED", 1),
        window_s: 600,
        start: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        profile: SimProfile::realistic(),
    };
    let path = std::env::temp_dir().join(format!("trueyaw_bench_synth_{}.csv", std::process::id()));
    let file = std::fs::File::create(&path).expect("create the bench CSV");
    let t = Instant::now();
    let (_, stats) = history::generate(&spec, BufWriter::with_capacity(1 << 20, file)).expect("generate");
    let secs = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(&path);
    let rate = stats.turbine_steps as f64 / secs;
    println!("| turbines | days | turbine-steps | rows | CSV MB | seconds | turbine-steps/s |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {:.1} | {secs:.2} | {:.1} M |",
        spec.turbines,
        spec.days,
        stats.turbine_steps,
        stats.rows,
        bytes as f64 / 1e6,
        rate / 1e6
    );
    let json = serde_json::json!({
        "bench": "synth",
        "turbines": spec.turbines,
        "days": spec.days,
        "window_s": spec.window_s,
        "turbine_steps": stats.turbine_steps,
        "rows": stats.rows,
        "csv_bytes": bytes,
        "seconds": secs,
        "turbine_steps_per_s": rate,
    });
    println!("{json}");
}

fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
