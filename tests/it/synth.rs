//! `trueyaw synth` and `sim::history`: the synthetic history's shape, determinism, agreement
//! with the physics it claims to aggregate, and its ground truth.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use trueyaw::domain::{circular_mean_deg, wrap180};
use trueyaw::sim::TurbineOutputs;
use trueyaw::sim::history::{self, CSV_HEADER, HistorySpec};
use trueyaw::sim::physics::{FarmPhysics, SimProfile};
use trueyaw::sim::truth::Truth;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn spec(turbines: usize, days: u32, seed: u64) -> HistorySpec {
    HistorySpec { turbines, days, seed, window_s: 600, start: start(), profile: SimProfile::realistic() }
}

fn csv_of(spec: &HistorySpec) -> Vec<u8> {
    let mut out = Vec::new();
    history::generate(spec, &mut out).unwrap();
    out
}

fn synth(args: &[&str], out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trueyaw")).arg("synth").args(args).arg("--out").arg(out).output().unwrap()
}

#[test]
fn two_turbines_for_two_days_give_576_rows_on_aligned_window_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = synth(&["--turbines", "2", "--days", "2", "--seed", "7"], dir.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    for f in ["scada.csv", "truth.json", "meta.json", "README.txt"] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    let text = std::fs::read_to_string(dir.path().join("scada.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    assert!(CSV_HEADER.starts_with("turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 288);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), CSV_HEADER.split(',').count());
        assert_eq!(row[0], ["T01", "T02"][k % 2]);
        let t = DateTime::parse_from_rfc3339(row[1]).unwrap();
        assert_eq!(t, start() + Duration::minutes(10 * (k / 2) as i64), "row {k}");
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("meta.json")).unwrap()).unwrap();
    assert_eq!((meta["rows"].as_u64(), meta["seed"].as_u64()), (Some(576), Some(7)));
}

#[test]
fn the_same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let a = csv_of(&spec(2, 1, 11));
    assert_eq!(a, csv_of(&spec(2, 1, 11)));
    assert_ne!(a, csv_of(&spec(2, 1, 12)));
}

/// Parses an optional cell.
fn cell(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

fn mean(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = v.flatten().collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn close(csv: Option<f64>, direct: Option<f64>, tol: f64, what: &str) {
    match (csv, direct) {
        (Some(a), Some(b)) => assert!(wrap180(a - b).abs() <= tol, "{what}: csv {a} vs direct {b}"),
        (a, b) => assert_eq!(a.is_some(), b.is_some(), "{what}: csv {a:?} vs direct {b:?}"),
    }
}

#[test]
fn window_means_match_a_direct_computation_from_the_physics() {
    let spec = HistorySpec { window_s: 60, days: 1, ..spec(1, 1, 5) };
    let text = String::from_utf8(csv_of(&spec)).unwrap();
    let mut physics = FarmPhysics::new(5, 1, &spec.profile);
    // Second t's sample is the state after t steps, as the generator promises.
    for (w, line) in text.lines().skip(1).take(30).enumerate() {
        let second: Vec<TurbineOutputs> = (0..60)
            .map(|_| {
                let o = physics.outputs(0);
                physics.step();
                o
            })
            .collect();
        let c: Vec<&str> = line.split(',').collect();
        assert_eq!(DateTime::parse_from_rfc3339(c[1]).unwrap(), start() + Duration::minutes(w as i64));
        close(cell(c[2]), mean(second.iter().map(|o| o.wind_speed_ms)), 0.0051, "wind speed");
        let vane = circular_mean_deg(second.iter().filter_map(|o| o.vane_deg)).map(|(m, _)| wrap180(m));
        close(cell(c[3]), vane, 0.0051, "vane");
        let nacelle = circular_mean_deg(second.iter().filter_map(|o| o.nacelle_deg)).map(|(m, _)| m);
        close(cell(c[4]), nacelle, 0.0051, "nacelle");
        close(cell(c[5]), mean(second.iter().map(|o| o.power_kw)), 0.051, "power");
        close(cell(c[6]), mean(second.iter().map(|o| o.rotor_rpm)), 0.0051, "rotor speed");
        close(cell(c[7]), mean(second.iter().map(|o| o.pitch_deg)), 0.0051, "pitch");
        let running = second.iter().filter(|o| matches!(o.state, 1 | 2)).count() as f64 / 60.0;
        close(cell(c[9]), Some(running), 0.00051, "running fraction");
    }
}

#[test]
fn the_truth_lists_the_drift_events_inside_the_history_and_its_bins_agree_with_the_vane_model() {
    let dir = tempfile::tempdir().unwrap();
    // Seed 2 drifts T02 (a ramp) on day 8 and T01 on day 25, after this history ends.
    let out = synth(&["--turbines", "2", "--days", "9", "--seed", "2", "--window-min", "60"], dir.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let truth = Truth::read(&dir.path().join("truth.json")).unwrap();
    let end = start() + Duration::days(9);
    assert_eq!(truth.planned_until, end);
    let events: Vec<_> = truth.turbines.iter().flat_map(|t| &t.drift_events).collect();
    assert!(!events.is_empty(), "seed 2 has a drift event in its first 9 days");
    for (i, t) in truth.turbines.iter().enumerate() {
        assert!(t.drift_events.iter().all(|d| d.time < end), "{}: events after the end are clipped", t.name);
        assert!(t.cos_exponent_p > 1.0 && t.gain_k.abs() < 0.2 && t.north_offset_deg.abs() <= 10.0);
        // One period, plus one per step and two per ramp (start, end), as far as they lie inside.
        assert!(t.vane_error_by_bin.len() > t.drift_events.len());
        assert!(t.vane_error_by_bin.last().unwrap().to.is_none());
        for p in &t.vane_error_by_bin {
            for b in &p.bins {
                let e = truth.vane_error_deg(i, b.ws, b.rotor_rpm, b.pitch_deg, p.from);
                assert!((e - b.vane_error_deg).abs() < 1e-9, "{} at {} bin {}", t.name, p.from, b.ws);
            }
        }
        for d in &t.drift_events {
            let (ws, rpm, pitch) = (7.0, 12.0, 0.0);
            let before = truth.vane_error_deg(i, ws, rpm, pitch, d.time - Duration::seconds(1));
            let after = truth.vane_error_deg(i, ws, rpm, pitch, d.time + Duration::seconds(d.duration_s as i64));
            assert!((after - before - d.delta_deg).abs() < 1e-9, "{}: event at {}", t.name, d.time);
        }
    }
}

#[test]
fn a_clean_history_has_no_empty_cells() {
    let spec = HistorySpec { profile: SimProfile::clean(), ..spec(2, 2, 3) };
    let text = String::from_utf8(csv_of(&spec)).unwrap();
    assert_eq!(text.lines().count(), 1 + 2 * 288);
    for line in text.lines().skip(1) {
        assert!(line.split(',').all(|c| !c.is_empty()), "empty cell in {line}");
    }
}

#[test]
fn bad_arguments_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--days", "0"][..],
        &["--days", "1", "--turbines", "0"],
        &["--days", "1", "--window-min", "7"],
        &["--days", "1", "--start", "2025-01-01T00:05:00Z"],
        &["--days", "1", "--start", "yesterday"],
    ] {
        let out = synth(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(!dir.path().join("scada.csv").exists());
}
