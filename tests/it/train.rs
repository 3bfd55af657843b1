//! `trueyaw train`, `estimates` and `evaluate` on synthetic history: the model registry
//! (versions, activation, rejection reasons), artifact directories, the estimates JSON shape,
//! scoring against the truth, and the CLI's exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trueyaw::app::synth::{self, SynthOptions};
use trueyaw::ingest::import::{Format, ImportOptions, import_files};
use trueyaw::model::training::{Method, TrainOptions, train_farm};
use trueyaw::sim::history::HistorySpec;
use trueyaw::sim::physics::SimProfile;
use trueyaw::sim::truth::Truth;

use crate::support::db::TestDb;

/// Seed whose two turbines have small operating vane errors (+0.1 and -0.7 deg): the binned
/// method needs the power peak inside the range the window-mean vane wanders over (about
/// ±5 deg in this simulator); seed 1 (+6.1, +7.7 deg) gets no estimate at all.
const SEED: u64 = 4;
/// Measured: operating errors -0.23 and -0.81 deg, bin RMSE 0.87 and 0.90 deg for this seed.
const TOLERANCE_DEG: f64 = 1.5;

/// Writes `days` of clean synthetic history of `turbines` turbines into `dir`.
fn synth(dir: &Path, turbines: usize, days: u32) -> PathBuf {
    synth_seeded(dir, turbines, days, SEED)
}

fn synth_seeded(dir: &Path, turbines: usize, days: u32, seed: u64) -> PathBuf {
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc();
    let spec = HistorySpec { turbines, days, seed, window_s: 600, start, profile: SimProfile::clean() };
    synth::run(&SynthOptions { spec, out: dir.to_path_buf() }).expect("synth");
    dir.join("scada.csv")
}

async fn import(db: &TestDb, farm: &str, csv: &Path) {
    let opts = ImportOptions { format: Format::Generic, farm: farm.into(), create_turbines: true, length_s: 600 };
    import_files(&db.pool, &opts, &[csv.to_path_buf()], |_| {}).await.expect("import");
}

fn options(farm: &str, models_dir: &Path) -> TrainOptions {
    TrainOptions { method: Method::Binned, models_dir: models_dir.to_path_buf(), ..TrainOptions::new(farm) }
}

fn trueyaw(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trueyaw")).args(args).env("DATABASE_URL", &db.url).output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    let start = text.find('{').expect("JSON in stdout");
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// (version, status, active) of every model of `turbine`, by version.
async fn models_of(db: &TestDb, turbine: &str) -> Vec<(i32, String, bool)> {
    sqlx::query_as(
        "SELECT m.version, m.status, m.active FROM models m JOIN turbines t ON t.id = m.turbine_id
         WHERE t.name = $1 ORDER BY m.version",
    )
    .bind(turbine)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn training_120_days_activates_models_that_match_the_truth_and_retraining_supersedes_them() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = synth(&dir.path().join("syn"), 2, 120);
    import(&db, "syn", &csv).await;
    let models_dir = dir.path().join("models");

    let outcomes = train_farm(&db.pool, &options("syn", &models_dir)).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    for o in &outcomes {
        assert!(o.active, "{} rejected: {:?}", o.turbine, o.reason);
        assert_eq!(o.version, 1);
        assert_eq!(o.artifact_dir, models_dir.join("syn").join(&o.turbine).join("1"));
        for f in ["config.json", "estimate.json", "metrics.json", "fit.json"] {
            assert!(o.artifact_dir.join(f).is_file(), "{f} in {}", o.artifact_dir.display());
        }
        let metrics: serde_json::Value =
            serde_json::from_slice(&std::fs::read(o.artifact_dir.join("metrics.json")).unwrap()).unwrap();
        assert_eq!(metrics["filter_counts"]["input"], 17280);
        assert!(metrics["data_from"].is_string() && metrics["data_to"].is_string());
    }

    let est = stdout_json(&trueyaw(&db, &["estimates", "--farm", "syn", "--format", "json"]));
    let truth = Truth::read(&dir.path().join("syn/truth.json")).unwrap();
    let turbines = est["turbines"].as_array().unwrap();
    assert_eq!(turbines.len(), 2);
    for (t, tt) in turbines.iter().zip(&truth.turbines) {
        assert_eq!(t["turbine"], tt.name.as_str());
        for key in ["gain", "cos_exponent", "misalignment_deg", "energy_loss_pct", "north_offset_deg", "n_windows"] {
            assert!(t.get(key).is_some(), "{key} in {t}");
        }
        assert_eq!((t["model_version"].as_i64(), t["method"].as_str()), (Some(1), Some("binned")));
        assert!(t["drift_events"].as_array().unwrap().is_empty());
        assert_eq!(t["ci95"].as_array().unwrap().len(), 2);
        let bins = t["bins"].as_array().unwrap();
        assert_eq!(bins.len(), 13, "3..=15 m/s");
        assert_eq!((bins[1]["ws"].as_f64(), bins[1]["extrapolated"].as_bool()), (Some(4.0), Some(false)));
        assert_eq!(bins[12]["extrapolated"], true, "15 m/s is above rated");
        let current = &tt.vane_error_by_bin.last().unwrap().bins;
        let ops: Vec<f64> = current.iter().filter(|b| (4.0..=11.0).contains(&b.ws)).map(|b| b.vane_error_deg).collect();
        let truth_mean = ops.iter().sum::<f64>() / ops.len() as f64;
        let e = t["vane_error_deg"].as_f64().unwrap();
        assert!((e - truth_mean).abs() <= TOLERANCE_DEG, "{}: {e:+.2} vs truth {truth_mean:+.2}", tt.name);
    }

    let truth_path = dir.path().join("syn/truth.json");
    let eval = trueyaw(&db, &["evaluate", "--truth", truth_path.to_str().unwrap(), "--farm", "syn"]);
    let text = String::from_utf8_lossy(&eval.stdout).to_string();
    assert!(text.contains("rmse deg"), "{text}");
    let report = stdout_json(&eval);
    for row in report["rows"].as_array().unwrap() {
        assert_eq!(row["bins_compared"], 8);
        assert!(row["rmse_bins_deg"].as_f64().unwrap() < 2.0, "{row}");
    }

    let again = train_farm(&db.pool, &options("syn", &models_dir)).await.unwrap();
    assert!(again.iter().all(|o| o.version == 2 && o.active));
    assert_eq!(models_of(&db, "T01").await, vec![(1, "superseded".into(), false), (2, "active".into(), true)]);
    assert!(models_dir.join("syn/T01/2/estimate.json").is_file() && models_dir.join("syn/T01/1").is_dir());
    db.drop_now().await;
}

#[tokio::test]
async fn three_days_of_data_are_rejected_with_a_stored_reason_and_leave_no_active_model() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = synth(&dir.path().join("small"), 1, 3);
    import(&db, "small", &csv).await;
    let models = dir.path().join("models");

    let out = trueyaw(&db, &["train", "--farm", "small", "--turbine", "T01", "--models-dir", models.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("rejected") && text.contains("need at least 1000"), "{text}");
    assert_eq!(models_of(&db, "T01").await, vec![(1, "rejected".into(), false)]);
    let reason: String = sqlx::query_scalar("SELECT reason FROM models").fetch_one(&db.pool).await.unwrap();
    assert!(reason.contains("windows after filtering, need at least 1000"), "{reason}");
    assert!(models.join("small/T01/1/metrics.json").is_file(), "rejected models keep their artifact");

    let est = stdout_json(&trueyaw(&db, &["estimates", "--format", "json"]));
    assert!(est["turbines"].as_array().unwrap().is_empty());
    let without = &est["without_model"][0];
    assert_eq!(without["turbine"], "T01");
    assert!(without["reason"].as_str().unwrap().contains("need at least 1000"), "{without}");
    let table = trueyaw(&db, &["estimates", "--farm", "small"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("no active model: model 1 (neural) rejected"));

    // --since/--until bound the history learned from (and recorded with the model)
    let period = ["--since", "2025-01-02", "--until", "2025-01-03T12:00:00Z"];
    let args =
        [&["train", "--farm", "small", "--method", "binned", "--models-dir", models.to_str().unwrap()][..], &period];
    assert_eq!(trueyaw(&db, &args.concat()).status.code(), Some(0));
    let (from, to): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT data_from, data_to FROM models WHERE version = 2").fetch_one(&db.pool).await.unwrap();
    assert_eq!(
        (from.to_rfc3339(), to.to_rfc3339()),
        ("2025-01-02T00:00:00+00:00".into(), "2025-01-03T11:50:00+00:00".into())
    );
    db.drop_now().await;
}

#[tokio::test]
async fn usage_mistakes_exit_2_and_an_unreachable_database_exits_1() {
    let db = TestDb::migrated().await;
    let code = |args: &[&str]| trueyaw(&db, args).status.code();
    assert_eq!(code(&["train", "--farm", "nowhere"]), Some(2));
    assert_eq!(code(&["train", "--farm", "x", "--method", "bogus"]), Some(2));
    assert_eq!(code(&["estimates", "--farm", "nowhere"]), Some(2));
    assert_eq!(code(&["evaluate", "--truth", "/nonexistent/truth.json"]), Some(2));
    assert_eq!(code(&["train", "--farm", "x", "--since", "yesterday"]), Some(2));
    let backwards = trueyaw(&db, &["train", "--farm", "x", "--since", "2025-02-01", "--until", "2025-01-01"]);
    assert_eq!(backwards.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("training period is empty"));
    assert_eq!(code(&["estimates", "--format", "json"]), Some(0));
    for cmd in ["train", "estimates", "evaluate"] {
        assert_eq!(code(&[cmd, "--help"]), Some(0), "{cmd} --help");
    }
    let away = Command::new(env!("CARGO_BIN_EXE_trueyaw"))
        .args(["estimates"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")
        .output()
        .unwrap();
    assert_eq!(away.status.code(), Some(1));
    db.drop_now().await;
}

/// Seed 1's T01 has an operating vane error of +6.1 deg: beyond where the window-mean vane
/// wanders, so binned finds no power peak, while the neural model's cos^p structure still
/// locates it from the curvature. Measured: +7.18 deg (error +1.04), bin RMSE 1.45 deg.
#[tokio::test]
async fn the_neural_model_finds_a_vane_error_beyond_the_dead_band_where_binned_finds_no_peak() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = synth_seeded(&dir.path().join("far"), 1, 120, 1);
    import(&db, "far", &csv).await;
    let models_dir = dir.path().join("models");
    let binned = train_farm(&db.pool, &options("far", &models_dir)).await.unwrap();
    assert!(!binned[0].active && binned[0].estimate.vane_error_deg.is_none(), "{:?}", binned[0].reason);
    let neural =
        train_farm(&db.pool, &TrainOptions { method: Method::Neural, ..options("far", &models_dir) }).await.unwrap();
    let o = &neural[0];
    assert!(o.active, "neural rejected: {:?}", o.reason);
    for f in ["config.json", "meta.json", "member_0.bpk", "prep.json", "estimate.json", "metrics.json"] {
        assert!(o.artifact_dir.join(f).is_file(), "{f} in {}", o.artifact_dir.display());
    }
    let truth = Truth::read(&dir.path().join("far/truth.json")).unwrap();
    let current = &truth.turbines[0].vane_error_by_bin.last().unwrap().bins;
    let ops: Vec<f64> = current.iter().filter(|b| (4.0..=11.0).contains(&b.ws)).map(|b| b.vane_error_deg).collect();
    let truth_mean = ops.iter().sum::<f64>() / ops.len() as f64;
    let e = o.estimate.vane_error_deg.unwrap();
    assert!((e - truth_mean).abs() <= TOLERANCE_DEG, "neural {e:+.2} vs truth {truth_mean:+.2}");
    let [lo, hi] = o.estimate.ci95.unwrap();
    assert!(lo < e && e < hi);
    // The saved ensemble loads into today's code and gives the same estimate.
    let loaded = trueyaw::model::neural::NeuralFit::load(&o.artifact_dir).unwrap();
    assert_eq!(loaded.to_estimate("T01").vane_error_deg, o.estimate.vane_error_deg);
    db.drop_now().await;
}

#[tokio::test]
async fn training_a_farm_of_three_estimates_north_offsets_against_the_farm_consensus() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = synth(&dir.path().join("three"), 3, 40);
    import(&db, "nf", &csv).await;
    let outcomes = train_farm(&db.pool, &options("nf", &dir.path().join("models"))).await.unwrap();
    let truth = Truth::read(&dir.path().join("three/truth.json")).unwrap();
    let mean = truth.turbines.iter().map(|t| t.north_offset_deg).sum::<f64>() / 3.0;
    let mut reported = 0;
    for (o, t) in outcomes.iter().zip(&truth.turbines) {
        // a turbine whose vane error the binned method could not estimate gets no offset
        let Some(got) = o.estimate.north_offset_deg else {
            assert!(o.estimate.bins.iter().all(|b| b.vane_error_deg.is_none()), "{}", o.turbine);
            continue;
        };
        reported += 1;
        let ci = o.estimate.north_offset_ci95.unwrap();
        let want = t.north_offset_deg - mean;
        // the consensus corrects each vane with its model: the offset inherits that model's error
        assert!(
            (got - want).abs() < 1.5,
            "{}: north offset {got:.2}, true {want:.2} (relative to the farm)",
            o.turbine
        );
        assert!(ci[0] <= got && got <= ci[1]);
    }
    assert!(reported >= 2, "offsets for the turbines with a vane-error curve");
    // stored with the model, so `estimates` and `serve` see it
    let rows = trueyaw::store::list_models(&db.pool, None).await.unwrap();
    assert_eq!(rows.iter().filter(|r| r.estimate["north_offset_deg"].is_number()).count(), reported);
    db.drop_now().await;
}

/// A generic CSV of three turbines seeing the same wind for `days`, each vane keeping the rotor
/// within a few degrees; T02's vane error steps from +1 to +4 deg at `step_day`.
fn farm_with_a_vane_step(path: &Path, days: i64, step_day: i64) {
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-01T00:00:00Z").unwrap().to_utc();
    let mut csv = String::from("turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg\n");
    let mut state: u64 = 7;
    let mut noise = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0 // uniform in [-1, 1)
    };
    for i in 0..days * 144 {
        let time = start + chrono::Duration::minutes(10 * i);
        let t = i as f64 / 144.0;
        let direction = 200.0 + 60.0 * (t / 3.0).sin() + 20.0 * (t * 1.7).cos();
        let ws = 7.5 + 2.5 * (t * 2.3).sin();
        for (name, north, e_before) in [("T01", 2.0, 0.0), ("T02", -1.0, 1.0), ("T03", 0.5, -2.0)] {
            let e = if name == "T02" && i >= step_day * 144 { e_before + 3.0 } else { e_before };
            let gamma = 3.0 * noise(); // the controller's dead band
            let vane = gamma + e + 0.5 * noise();
            let nacelle = (direction - gamma + north + 360.0) % 360.0;
            let power = 1800.0 * (ws / 11.0f64).powi(3) * gamma.to_radians().cos().powi(2) * (1.0 + 0.02 * noise());
            csv += &format!("{name},{},{ws:.2},{vane:.2},{nacelle:.2},{power:.1},12.0,0.0\n", time.to_rfc3339());
        }
    }
    std::fs::write(path, csv).unwrap();
}

#[tokio::test]
async fn neural_training_starts_a_drift_block_at_a_turbines_direction_step_against_the_farm() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("step.csv");
    farm_with_a_vane_step(&csv, 20, 12);
    import(&db, "cp", &csv).await;
    let neural = trueyaw::model::neural::NeuralConfig::new().with_ensemble_size(2).with_steps(50);
    let opts = TrainOptions { method: Method::Neural, neural, ..options("cp", &dir.path().join("models")) };
    let outcomes = train_farm(&db.pool, &opts).await.unwrap();
    let step = chrono::DateTime::parse_from_rfc3339("2025-03-13T00:00:00Z").unwrap().to_utc();
    for o in &outcomes {
        let metrics: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(o.artifact_dir.join("metrics.json")).unwrap()).unwrap();
        let points: Vec<chrono::DateTime<chrono::Utc>> =
            serde_json::from_value(metrics["direction_change_points"].clone()).unwrap();
        if o.turbine == "T02" {
            assert_eq!(points.len(), 1, "T02: {points:?}");
            assert!((points[0] - step).num_minutes().abs() <= 60, "T02's change point {} vs step {step}", points[0]);
        } else {
            assert!(points.is_empty(), "{}: {points:?}", o.turbine);
        }
    }
    db.drop_now().await;
}
