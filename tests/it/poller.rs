//! The poller end to end: real devices over TCP, real PostgreSQL.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use serde_json::json;
use trueyaw::app::poll::PollService;
use trueyaw::domain::{Quality, Signal};
use trueyaw::store;

use crate::support::db::TestDb;
use crate::support::farm::{PyDevice, farm, modbus, python_has};

#[tokio::test]
async fn polled_rows_in_postgres_match_what_a_pymodbus_device_served() {
    if !python_has("pymodbus") {
        return;
    }
    let values = json!({"wind_speed_ms": 9.5, "vane_deg": 3.75, "nacelle_deg": 12.5, "power_kw": 1500.25,
                        "rotor_rpm": 14.2, "pitch_deg": -0.5, "state": 1});
    let device = PyDevice::start(&values).await;
    let db = TestDb::migrated().await;
    let spool = tempfile::tempdir().unwrap();
    let config = farm("py", vec![modbus(device.port, 1)], spool.path());
    let service = PollService::start(&config, db.pool.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let summary = service.stop().await.unwrap();

    let polls = summary.turbines[0].polls_ok;
    assert!(polls >= 8, "expected about 12 polls at 5 Hz in 2.5 s, got {polls}");
    let turbine_id = summary.turbines[0].turbine_id;
    let now = Utc::now();
    let rows = store::readings_between(&db.pool, turbine_id, now - ChronoDuration::minutes(5), now).await.unwrap();
    assert_eq!(rows.len() as u64, polls, "every poll is one row");
    for r in &rows {
        assert!(r.quality.is_good());
        for s in Signal::ALL {
            let want = values[s.name()].as_f64().unwrap();
            let got = r.get(s).unwrap();
            assert!((got - want).abs() < 0.051, "{s:?}: device {want}, stored {got}");
        }
    }
    let windows =
        store::windows_between(&db.pool, turbine_id, 60, now - ChronoDuration::minutes(5), now).await.unwrap();
    let in_windows: i64 = windows.iter().map(|w| i64::from(w.n_readings)).sum();
    assert_eq!(in_windows, rows.len() as i64, "windows cover every reading");
    db.drop_now().await;
}

#[tokio::test]
async fn a_turbine_killed_and_restarted_mid_run_is_recovered_while_the_others_keep_their_schedule() {
    let sim = crate::support::sim::clean_farm(3, 11, 1.0, Utc::now()).await;
    let db = TestDb::migrated().await;
    let spool = tempfile::tempdir().unwrap();
    let sources = (0..3).map(|i| modbus(sim.modbus_addr(i).port(), 1)).collect();
    let config = farm("killrestart", sources, spool.path());
    let service = PollService::start(&config, db.pool.clone()).await.unwrap();

    tokio::time::sleep(Duration::from_secs(2)).await;
    let killed_at = Utc::now();
    sim.stop_turbine(1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!service.health().snapshot()[1].online, "T02 should be marked offline while stopped");
    sim.restart_turbine(1).await;
    let restarted_at = Utc::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let summary = service.stop().await.unwrap();
    sim.shutdown().await;

    let h = &summary.turbines;
    assert!(h[1].online, "T02 back online after restart: {:?}", h[1]);
    assert!(h[1].polls_failed >= 2, "T02 failures recorded: {:?}", h[1]);
    for i in [0, 2] {
        assert_eq!(h[i].polls_failed, 0, "{} unaffected: {:?}", h[i].turbine, h[i]);
        // 8 s at 5 Hz = 40 polls; allow for start-up stagger and a slow CI machine.
        assert!(h[i].polls_ok >= 34, "{} kept its schedule: {:?}", h[i].turbine, h[i]);
    }
    let now = Utc::now();
    let rows = store::readings_between(&db.pool, h[1].turbine_id, now - ChronoDuration::minutes(5), now).await.unwrap();
    let failed: Vec<_> = rows.iter().filter(|r| r.quality.is_failed_poll()).collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|r| r.quality.contains(Quality::CONNECTION) || r.quality.contains(Quality::TIMEOUT)));
    assert!(failed.iter().all(|r| r.time >= killed_at && r.time <= restarted_at + ChronoDuration::seconds(1)));
    let good_after = rows.iter().filter(|r| r.time > restarted_at && r.quality.is_good()).count();
    assert!(good_after >= 5, "T02 polled normally after restart ({good_after} good rows)");
    db.drop_now().await;
}

#[tokio::test]
async fn a_database_outage_of_30_seconds_mid_run_loses_no_polled_reading() {
    let device = crate::support::fake_device::FakeDevice::steady().await;
    let db = TestDb::migrated().await;
    let (proxy, proxied_url) = crate::support::proxy::Proxy::for_url(&db.url).await;
    let pool = store::connect(&proxied_url, 4).await.unwrap();
    let spool = tempfile::tempdir().unwrap();
    let config = farm("outage", vec![modbus(device.port, 1), modbus(device.port, 1)], spool.path());
    let service = PollService::start(&config, pool.clone()).await.unwrap();

    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = service.writer_metrics();
    assert!(!during.database_up, "the writer noticed the outage: {during:?}");
    assert!(during.rows_spooled > 0, "readings went to the spool during the outage: {during:?}");
    proxy.restore();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let summary = service.stop().await.unwrap();

    let polls: u64 = summary.turbines.iter().map(|t| t.polls_ok + t.polls_failed).sum();
    assert!(polls >= 2 * 150, "about 35 s at 5 Hz on two turbines, got {polls} polls");
    assert_eq!(summary.writer.spool_segments, 0, "spool drained: {:?}", summary.writer);
    let stored: i64 = sqlx::query_scalar("select count(*) from readings").fetch_one(&db.pool).await.unwrap();
    assert_eq!(stored as u64, polls, "every polled reading is stored exactly once");
    let distinct: i64 = sqlx::query_scalar("select count(distinct (turbine_id, time)) from readings")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(distinct, stored);
    pool.close().await;
    db.drop_now().await;
}
