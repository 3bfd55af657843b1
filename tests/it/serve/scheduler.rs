//! Scheduled and requested training: jobs shared through PostgreSQL with SKIP LOCKED, run by the
//! scheduler, and the resulting model served without a restart.

use std::time::Duration;

use trueyaw::app::scheduler::{self, SchedulerOptions};
use trueyaw::app::synth::{self, SynthOptions};
use trueyaw::ingest::import::{Format, ImportOptions, import_files};
use trueyaw::model::training::{Gates, Method, TrainOptions};
use trueyaw::sim::history::HistorySpec;
use trueyaw::sim::physics::SimProfile;
use trueyaw::store;

use crate::support::db::TestDb;
use crate::support::serve::Served;

#[tokio::test]
async fn two_workers_never_claim_the_same_job_and_a_dead_workers_job_comes_back() {
    let db = TestDb::migrated().await;
    let farm = store::upsert_farm(&db.pool, "wf").await.unwrap();
    let a = store::upsert_turbine(&db.pool, farm, "T01", "").await.unwrap();
    let b = store::upsert_turbine(&db.pool, farm, "T02", "").await.unwrap();
    for t in [a, b] {
        store::jobs::enqueue(&db.pool, store::jobs::KIND_TRAIN, t, &serde_json::json!({}), "test").await.unwrap();
    }
    let lease = Duration::from_secs(60);
    let (x, y) = tokio::join!(store::jobs::claim(&db.pool, "w1", lease), store::jobs::claim(&db.pool, "w2", lease));
    let (x, y) = (x.unwrap().expect("w1 got a job"), y.unwrap().expect("w2 got a job"));
    assert_ne!(x.id, y.id);
    assert!(store::jobs::claim(&db.pool, "w3", lease).await.unwrap().is_none());
    // w1 dies holding its job: once the lease is over, another worker takes it back
    sqlx::query("UPDATE jobs SET lease_until = now() - interval '1 s' WHERE id = $1")
        .bind(x.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let again = store::jobs::claim(&db.pool, "w3", lease).await.unwrap().expect("expired lease is reclaimed");
    assert_eq!(again.id, x.id);
    assert_eq!(again.attempts, 2);
    assert!(!store::jobs::finish(&db.pool, x.id, "w1", Ok(serde_json::json!({}))).await.unwrap(), "w1 lost it");
    assert!(store::jobs::finish(&db.pool, x.id, "w3", Ok(serde_json::json!({}))).await.unwrap());
    db.drop_now().await;
}

#[tokio::test]
async fn a_training_asked_for_over_the_api_runs_and_its_model_is_served() {
    let s = Served::start(false).await;
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc();
    // seed 4: small vane errors the binned method can see (see tests/it/train.rs)
    let spec = HistorySpec { turbines: 2, days: 60, seed: 4, window_s: 600, start, profile: SimProfile::clean() };
    synth::run(&SynthOptions { spec, out: dir.path().to_path_buf() }).unwrap();
    let opts = ImportOptions { format: Format::Generic, farm: "wf".into(), create_turbines: false, length_s: 600 };
    import_files(&s.db.pool, &opts, &[dir.path().join("scada.csv")], |_| {}).await.unwrap();

    let job: serde_json::Value =
        s.post("/api/v1/turbines/T01/train", Some(&s.operator), &serde_json::json!({})).await.json().await.unwrap();
    let train = TrainOptions {
        method: Method::Binned,
        models_dir: dir.path().join("models"),
        gates: Gates { min_windows: 500, min_bins: 2, max_ci95_width_deg: 10.0 },
        ..TrainOptions::new("wf")
    };
    let sched = SchedulerOptions {
        farm_id: s.state.farm_id,
        worker: "test-worker".into(),
        retrain_every: None,
        poll_every: Duration::from_secs(1),
        lease: Duration::from_secs(600),
        train,
        database_url: s.db.url.clone(),
    };
    scheduler::tick(&s.db.pool, &sched).await.unwrap();
    let done: serde_json::Value =
        s.get(&format!("/api/v1/jobs/{}", job["id"]), Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["result"]["version"], 1);
    assert_eq!(done["result"]["active"], true, "{done}");
    s.wait_for_version("T01", 1).await;
    let c = s.get("/api/v1/turbines/T01/correction?ws=8", Some(&s.viewer)).await;
    assert_eq!(c.status(), 200);

    // a cadence queues every turbine whose newest model is too old (T02 has none; T01 is fresh)
    let sched = SchedulerOptions { retrain_every: Some(Duration::from_secs(3600)), ..sched };
    let due =
        store::jobs::turbines_due(&s.db.pool, s.state.farm_id, store::jobs::KIND_TRAIN, Duration::from_secs(3600))
            .await
            .unwrap();
    assert_eq!(due, vec![s.turbine_id("T02")]);
    scheduler::tick(&s.db.pool, &sched).await.unwrap();
    s.wait_for_version("T02", 1).await;
    s.stop().await;
}
