//! The whole loop on a simulated farm with known vane errors. History comes from `synth` with the
//! same seed and physics as the live simulator; it is imported and trained on (the neural model);
//! then the live turbines are polled, `serve` loads the models, the write-back steps each
//! controller's yaw offset toward its model's value under the default guardrails, and the
//! simulated turbines' true misalignment falls below 1 deg and their misalignment loss recovers.

use std::time::Duration;

use chrono::Utc;
use trueyaw::app::poll::PollService;
use trueyaw::app::synth::{self, SynthOptions};
use trueyaw::ingest::import::{Format, ImportOptions, import_files};
use trueyaw::model::training::{Gates, Method, TrainOptions, train_farm};
use trueyaw::serve::Server;
use trueyaw::serve::writeback::schedule::step_all;
use trueyaw::sim::farm::{SimHandle, SimProfile};
use trueyaw::sim::history::HistorySpec;

use crate::support::db::TestDb;
use crate::support::farm::{farm, modbus};

/// Seed 5: T01's operating vane error is +3.5 deg, T02's -0.5 deg (truth.json). Measured over
/// 6 simulated hours before and after: T01 -4.05 -> +0.20 deg, T02 +0.72 -> -0.43 deg, T01's mean
/// loss to misalignment 1.89 % -> 1.55 % (over 3 h in an earlier run: T01 -3.65 -> -0.18, T02
/// +0.09 -> +0.86: T02's e swings from -1.7 deg at 4 m/s to +0.9 deg at 11 m/s, and one static
/// offset follows only its mean, so the hours' wind speeds move its result).
const SEED: u64 = 5;

/// Mean true misalignment and mean misalignment loss (`1 - cos^p`) of turbine `i` while
/// operating over `hours` simulated hours, after one hour for the yaw controller to settle.
async fn pointing(sim: &SimHandle, i: usize, hours: u64) -> (f64, f64) {
    let wait_until = |t: u64| async move {
        while sim.true_state(i).sim_time_s < t {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    wait_until(sim.true_state(i).sim_time_s + 3600).await;
    let a = sim.true_state(i);
    wait_until(a.sim_time_s + hours * 3600).await;
    let b = sim.true_state(i);
    let n = (b.operating_steps - a.operating_steps) as f64;
    assert!(n > (hours * 1800) as f64, "turbine {i} operated only {n} s");
    ((b.operating_gamma_sum_deg - a.operating_gamma_sum_deg) / n, (b.operating_loss_sum - a.operating_loss_sum) / n)
}

#[tokio::test]
async fn learned_offsets_written_back_point_the_simulated_turbines_into_the_wind() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc();
    let spec = HistorySpec { turbines: 2, days: 90, seed: SEED, window_s: 600, start, profile: SimProfile::clean() };
    synth::run(&SynthOptions { spec, out: dir.path().join("history") }).unwrap();
    let import = ImportOptions { format: Format::Generic, farm: "e2e".into(), create_turbines: true, length_s: 600 };
    import_files(&db.pool, &import, &[dir.path().join("history/scada.csv")], |_| {}).await.unwrap();
    let train = TrainOptions {
        method: Method::Neural,
        models_dir: dir.path().join("models"),
        gates: Gates { max_ci95_width_deg: 6.0, ..Gates::default() },
        ..TrainOptions::new("e2e")
    };
    let outcomes = train_farm(&db.pool, &train).await.unwrap();
    assert!(outcomes.iter().all(|o| o.active), "{outcomes:?}");

    let sim = crate::support::sim::clean_farm(2, SEED, 20_000.0, Utc::now()).await;
    let mut config =
        farm("e2e", (0..2).map(|i| modbus(sim.modbus_addr(i).port(), 1)).collect(), &dir.path().join("spool"));
    config.serve.api_addr = "127.0.0.1:0".parse().unwrap();
    config.serve.scada_addr = "127.0.0.1:0".parse().unwrap();
    config.writeback.enabled_turbines = vec!["T01".into(), "T02".into()];
    config.writeback.max_ci95_width_deg = 6.0;
    config.writeback.min_step_interval_s = 0; // the simulated hours pass in seconds here
    let poller = PollService::start(&config, db.pool.clone()).await.unwrap();
    let server = Server::build(&config, db.pool.clone(), None).await.unwrap();
    let state = server.state();
    assert_eq!(state.models.snapshot().len(), 2, "both active models loaded");

    let (b0, b1) = tokio::join!(pointing(&sim, 0, 6), pointing(&sim, 1, 6));
    let before = [b0, b1];
    let wb = state.writeback.clone();
    for _ in 0..20 {
        step_all(&wb, &state.models).await; // 0.5 deg a step, capped at the target
    }
    let written: Vec<f64> = (0..2).map(|i| sim.true_state(i).applied_offset_deg).collect();
    let (a0, a1) = tokio::join!(pointing(&sim, 0, 6), pointing(&sim, 1, 6));
    let after = [a0, a1];
    eprintln!("before {before:?}, written {written:?}, after {after:?}");
    for (i, a) in after.iter().enumerate() {
        assert!(a.0.abs() < 1.0, "T0{}: misalignment {:.2} deg after write-back", i + 1, a.0);
    }
    assert!(before[0].0 < -2.5, "T01 started about 3.5 deg off: {:.2}", before[0].0);
    // Most of the mean loss is the yaw error's wander (dead band, turbulence), which no offset
    // removes; the static 3.5 deg costs about p/2 * (3.5 deg)^2 = 0.4 % of the power.
    let recovered = before[0].1 - after[0].1;
    assert!(recovered > 0.002, "T01's misalignment loss {:.4} -> {:.4}", before[0].1, after[0].1);
    poller.stop().await.unwrap();
    sim.shutdown().await;
    db.drop_now().await;
}
