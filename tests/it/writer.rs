//! The writer against a real PostgreSQL behind a proxy that tests cut and restore: outages,
//! restarts, a full spool and refused batches, without a reading lost or stored twice.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::time::{Instant, sleep};
use trueyaw::config::{StorageSettings, WindowSettings};
use trueyaw::domain::{Quality, Reading};
use trueyaw::ingest::writer::{Writer, WriterSettings};
use trueyaw::store;

use crate::support::db::TestDb;
use crate::support::proxy::Proxy;

fn settings(spool_dir: &Path, batch_max_rows: usize, spool_max_bytes: u64) -> WriterSettings {
    WriterSettings {
        batch_max_rows,
        batch_max_delay: Duration::from_millis(200),
        spool_dir: spool_dir.to_path_buf(),
        spool_max_bytes,
        window_length_s: 60,
        window_refresh: Duration::from_secs(1),
        retry_interval: Duration::from_millis(500),
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).unwrap()
}

/// Reading number `i` of a stream spread over four turbines, 10 ms apart.
fn nth(i: usize) -> Reading {
    let mut r =
        Reading::failed(1 + (i % 4) as i32, t0() + chrono::Duration::milliseconds(10 * i as i64), Quality::GOOD);
    r.wind_speed_ms = Some(7.0);
    r.vane_deg = Some((i % 20) as f32 - 10.0);
    r.state = Some(1);
    r
}

async fn register_turbines(db: &TestDb) {
    let farm = store::upsert_farm(&db.pool, "writer").await.unwrap();
    for name in ["T01", "T02", "T03", "T04"] {
        store::upsert_turbine(&db.pool, farm, name, "").await.unwrap();
    }
}

/// Every (turbine, time) stored, across the four turbines.
async fn stored_keys(db: &TestDb) -> BTreeSet<(i32, DateTime<Utc>)> {
    let rows: Vec<(i32, DateTime<Utc>)> =
        sqlx::query_as("SELECT turbine_id, time FROM readings").fetch_all(&db.pool).await.unwrap();
    rows.into_iter().collect()
}

fn segments_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "seg"))
        .count()
}

async fn wait_for(what: &str, deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let until = Instant::now() + deadline;
    while !done().await {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_loses_no_reading_when_the_database_is_cut_for_30_seconds() {
    let db = TestDb::migrated().await;
    register_turbines(&db).await;
    let (proxy, url) = Proxy::for_url(&db.url).await;
    let spool = tempfile::tempdir().unwrap();
    let pool = store::connect_lazy(&url, 4).unwrap();
    let writer = Writer::start(pool, settings(spool.path(), 100, 64 << 20)).await.unwrap();
    let tx = writer.sender();
    let metrics = writer.metrics();
    // ~100 readings/s: 3 s up, 30 s cut, 4 s up again.
    let (before, during, after) = (300, 3_000, 400);
    let mut next = Instant::now();
    for i in 0..before + during + after {
        if i == before {
            proxy.cut();
        }
        if i == before + during {
            assert!(!metrics.database_up.load(Ordering::Relaxed), "the writer noticed the outage");
            assert!(metrics.spool_segments.load(Ordering::Relaxed) > 0, "and spooled meanwhile");
            proxy.restore();
        }
        tx.send(nth(i)).await.unwrap();
        next += Duration::from_millis(10);
        tokio::time::sleep_until(next).await;
    }
    drop(tx);
    let m = writer.finish().await.unwrap();
    let expected: BTreeSet<_> = (0..before + during + after).map(|i| (nth(i).turbine_id, nth(i).time)).collect();
    let stored = stored_keys(&db).await;
    assert_eq!(stored.len(), expected.len(), "{m:?}");
    assert_eq!(stored, expected);
    assert!(proxy.was_tried_while_cut());
    assert!(m.rows_spooled >= during as u64 && m.rows_replayed == m.rows_spooled, "{m:?}");
    assert_eq!((m.spool_segments, m.rows_rejected, m.rows_written), (0, 0, expected.len() as u64), "{m:?}");
    assert_eq!(segments_in(spool.path()), 0);
    let windows = store::windows_between(&db.pool, 1, 60, t0(), t0() + chrono::Duration::hours(1)).await.unwrap();
    let counted: i32 = windows.iter().map(|w| w.n_readings).sum();
    assert_eq!(counted as usize, expected.len() / 4, "windows cover every reading of turbine 1");
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_survives_a_writer_restart_and_is_replayed() {
    let db = TestDb::migrated().await;
    register_turbines(&db).await;
    let (proxy, url) = Proxy::for_url(&db.url).await;
    proxy.cut();
    let spool = tempfile::tempdir().unwrap();
    let first =
        Writer::start(store::connect_lazy(&url, 2).unwrap(), settings(spool.path(), 50, 64 << 20)).await.unwrap();
    let tx = first.sender();
    for i in 0..300 {
        tx.send(nth(i)).await.unwrap();
    }
    drop(tx);
    let m = first.finish().await.unwrap();
    assert_eq!((m.rows_spooled, m.rows_written, m.database_up), (300, 0, false), "{m:?}");
    assert_eq!(segments_in(spool.path()), m.spool_segments as usize);
    assert!(stored_keys(&db).await.is_empty());

    let second = Writer::start(db.pool.clone(), settings(spool.path(), 50, 64 << 20)).await.unwrap();
    wait_for("the replay", Duration::from_secs(20), async || stored_keys(&db).await.len() == 300).await;
    let m = second.finish().await.unwrap();
    assert_eq!((m.rows_replayed, m.rows_written, m.spool_segments), (300, 300, 0), "{m:?}");
    assert_eq!(segments_in(spool.path()), 0);
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_holds_the_senders_back_instead_of_dropping_readings() {
    let db = TestDb::migrated().await;
    let (proxy, url) = Proxy::for_url(&db.url).await;
    proxy.cut();
    let spool = tempfile::tempdir().unwrap();
    // Room for two segments of 10 readings (16 + 10 * 47 bytes each).
    let writer = Writer::start(store::connect_lazy(&url, 2).unwrap(), settings(spool.path(), 10, 1_000)).await.unwrap();
    let metrics = writer.metrics();
    let sent = Arc::new(AtomicUsize::new(0));
    let feeder = tokio::spawn({
        let (tx, sent) = (writer.sender(), sent.clone());
        async move {
            for i in 0..400 {
                tx.send(nth(i)).await.unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    wait_for("backpressure", Duration::from_secs(20), async || metrics.backpressure.load(Ordering::Relaxed)).await;
    sleep(Duration::from_secs(2)).await;
    let held_at = sent.load(Ordering::Relaxed);
    assert!(held_at < 100, "senders are held back, {held_at} sent");
    assert!(metrics.spool_bytes.load(Ordering::Relaxed) <= 1_000);
    assert_eq!(metrics.rows_spooled.load(Ordering::Relaxed), 20);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(sent.load(Ordering::Relaxed), held_at, "still held while the database is away");

    proxy.restore();
    tokio::time::timeout(Duration::from_secs(30), feeder).await.expect("senders released").unwrap();
    let m = writer.finish().await.unwrap();
    assert_eq!(stored_keys(&db).await.len(), 400, "{m:?}");
    assert_eq!((m.spool_segments, m.rows_rejected, m.backpressure), (0, 0, false), "{m:?}");
    db.drop_now().await;
}

#[tokio::test]
async fn a_batch_the_database_refuses_is_kept_aside_and_the_rest_flows_on() {
    let db = TestDb::migrated().await;
    let spool = tempfile::tempdir().unwrap();
    let writer = Writer::start(db.pool.clone(), settings(spool.path(), 1, 64 << 20)).await.unwrap();
    let tx = writer.sender();
    // Before 4713 BC: outside PostgreSQL's timestamp range, so no retry can ever store it.
    tx.send(Reading::failed(1, Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).unwrap(), Quality::GOOD)).await.unwrap();
    for i in 0..5 {
        tx.send(nth(i)).await.unwrap();
    }
    drop(tx);
    let m = tokio::time::timeout(Duration::from_secs(30), writer.finish()).await.expect("no endless retry").unwrap();
    assert_eq!((m.rows_rejected, m.rows_written, m.spool_segments), (1, 5, 0), "{m:?}");
    assert_eq!(segments_in(&spool.path().join("rejected")), 1);
    assert_eq!(stored_keys(&db).await.len(), 5);
    db.drop_now().await;
}

#[test]
fn settings_come_from_the_farm_file_sections() {
    let s = WriterSettings::from_config(&StorageSettings::default(), &WindowSettings::default());
    assert_eq!((s.batch_max_rows, s.batch_max_delay), (10_000, Duration::from_secs(1)));
    assert_eq!((s.spool_max_bytes, s.window_length_s), (1024 * 1024 * 1024, 600));
    assert_eq!((s.window_refresh, s.retry_interval), (Duration::from_secs(60), Duration::from_secs(2)));
}
