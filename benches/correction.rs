//! Serving cost of the correction model: points/s of `CorrectionModel::vane_error_at` (and
//! `correct`) for a 5-member neural model loaded from its artifact, against the reference
//! `NeuralFit::vane_error_deg` (Burn tensors) on the same model in the same run, plus the
//! binned curve. One thread; also prints the largest difference from the reference seen.
//!
//! `CARGO_TARGET_DIR=/work/target-bench cargo bench --bench correction`
//! (env: BENCH_POINTS default 2000000 for the compiled paths, BENCH_REF_POINTS default 20000).
//! The ensemble is trained briefly on synthetic windows: its accuracy does not matter here,
//! only its size (5 members, default hidden width 8).

use std::hint::black_box;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trueyaw::model::neural::{NeuralConfig, estimate_neural};
use trueyaw::model::{CorrectionModel, OperatingPoint, OperatingWindow};

fn main() {
    let n_fast: usize = env_or("BENCH_POINTS", 2_000_000);
    let n_ref: usize = env_or("BENCH_REF_POINTS", 20_000);
    let t = Instant::now();
    let cfg = NeuralConfig::new().with_ensemble_size(5).with_steps(30).with_batch_size(512);
    let fit = estimate_neural(&windows(1, 4000), &cfg).expect("trains");
    let dir = tempfile::tempdir().expect("temp dir");
    fit.save(dir.path()).expect("saves");
    let estimate = fit.to_estimate("T1");
    let neural = CorrectionModel::load("neural", dir.path(), &estimate).expect("loads");
    let binned = CorrectionModel::load("binned", dir.path(), &{
        let mut e = estimate.clone();
        e.method = "binned".into();
        e
    })
    .expect("loads");
    println!("setup (train 5 members briefly, save, load): {:.1} s", t.elapsed().as_secs_f64());

    let points = operating_points(4096);
    let at = |i: usize| &points[i % points.len()];
    let mut rows = Vec::new();
    let mut time = |name: &str, n: usize, f: &mut dyn FnMut(usize) -> f64| {
        let t = Instant::now();
        let mut acc = 0.0;
        for i in 0..n {
            acc += f(i);
        }
        black_box(acc);
        let secs = t.elapsed().as_secs_f64();
        rows.push((name.to_string(), n, secs));
        n as f64 / secs
    };
    let reference = time("NeuralFit::vane_error_deg (Burn, reference)", n_ref, &mut |i| {
        let p = at(i);
        fit.vane_error_deg(p.wind_speed_ms, p.rotor_rpm, p.pitch_deg).0
    });
    let compiled = time("CorrectionModel::vane_error_at (neural)", n_fast, &mut |i| {
        neural.vane_error_at(black_box(at(i))).vane_error_deg
    });
    time("CorrectionModel::correct (neural)", n_fast, &mut |i| {
        let c = neural.correct(black_box(i as f64 * 1e-3 % 20.0 - 10.0), Some(123.0), black_box(at(i)));
        c.corrected_relative_deg
    });
    time("CorrectionModel::vane_error_at (binned)", n_fast, &mut |i| {
        binned.vane_error_at(black_box(at(i))).vane_error_deg
    });

    let mut worst: f64 = 0.0;
    for p in points.iter().take(2000) {
        let (e, ci) = fit.vane_error_deg(p.wind_speed_ms, p.rotor_rpm, p.pitch_deg);
        let got = neural.vane_error_at(p);
        worst =
            worst.max((got.vane_error_deg - e).abs()).max((got.ci95[0] - ci[0]).abs()).max((got.ci95[1] - ci[1]).abs());
    }

    println!("| evaluator | points | seconds | points/s | ns/point |");
    println!("|---|---|---|---|---|");
    for (name, n, secs) in &rows {
        println!("| {name} | {n} | {secs:.3} | {:.3} M | {:.1} |", *n as f64 / secs / 1e6, secs * 1e9 / *n as f64);
    }
    println!("speed-up of the compiled neural evaluator over the reference: {:.0}x", compiled / reference);
    println!("max |compiled - reference| over 2000 points (e and both ci95 bounds): {worst:.2e} deg");
    let json = serde_json::json!({
        "bench": "correction",
        "members": 5,
        "reference_points_per_s": reference,
        "compiled_points_per_s": compiled,
        "ratio": compiled / reference,
        "max_abs_diff_deg": worst,
    });
    println!("{json}");
}

/// Operating points over and beyond the training envelope, a quarter without rpm or pitch.
fn operating_points(n: usize) -> Vec<OperatingPoint> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let ws: f64 = rng.random_range(0.0..25.0);
            OperatingPoint {
                wind_speed_ms: ws,
                rotor_rpm: (i % 4 != 0).then(|| 8.0 + ws.min(12.0) + rng.random_range(-1.0..1.0)),
                pitch_deg: (i % 4 != 1).then(|| rng.random_range(0.0..3.0)),
            }
        })
        .collect()
}

/// Below-rated 10-minute windows of a turbine with e = 2 + 0.3(ws − 7) deg: vane spread by a
/// dead band, power a cubic curve times cos²(misalignment) with 3 % noise.
fn windows(seed: u64, n: usize) -> Vec<OperatingWindow> {
    let mut rng = StdRng::seed_from_u64(seed);
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let ws: f64 = rng.random_range(3.5..11.5);
            let e = 2.0 + 0.3 * (ws - 7.0);
            let vane: f64 = e + rng.random_range(-10.0..10.0);
            let gamma = (vane - e).to_radians();
            let power = 2000.0 * (ws.powi(3) - 27.0) / (1728.0 - 27.0) * gamma.cos().powi(2);
            OperatingWindow {
                time: t0 + Duration::minutes(10 * i as i64),
                wind_speed_ms: ws,
                vane_deg: vane,
                power_kw: power * (1.0 + rng.random_range(-0.03..0.03)),
                rotor_rpm: Some(8.0 + ws.min(12.0)),
                pitch_deg: Some(0.0),
                nacelle_deg: Some(rng.random_range(0.0..360.0)),
                reference_power_kw: None,
                outdoor_temp_c: None,
            }
        })
        .collect()
}

fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
