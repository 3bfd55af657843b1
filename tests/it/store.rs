//! The store against a real PostgreSQL: readings by COPY, partitions, farms, health, errors.
//! Window aggregation has its own file, `store/windows.rs`.

mod windows;

use chrono::{DateTime, Duration, TimeZone, Utc};
use trueyaw::domain::{Quality, Reading};
use trueyaw::store::{self, HealthRow};

use crate::support::db::{TestDb, server_url};
use crate::support::proxy::Proxy;

/// `n` readings of one turbine, one a second from `start`, with some values missing and some
/// failed polls, at whole microseconds (PostgreSQL's resolution).
pub fn readings(turbine_id: i32, start: DateTime<Utc>, n: usize) -> Vec<Reading> {
    (0..n)
        .map(|i| {
            let time = start + Duration::seconds(i as i64) + Duration::microseconds(123);
            if i % 17 == 5 {
                return Reading::failed(turbine_id, time, Quality::TIMEOUT);
            }
            Reading {
                turbine_id,
                time,
                wind_speed_ms: Some(6.0 + (i % 7) as f32 * 0.25),
                vane_deg: Some(-4.5 + (i % 9) as f32),
                nacelle_deg: (i % 11 != 3).then_some((355.0 + i as f32 * 0.5) % 360.0),
                power_kw: Some(900.0 + i as f32),
                rotor_rpm: Some(12.5),
                pitch_deg: Some(-0.5),
                state: Some(1),
                quality: if i % 11 == 3 { Quality::MISSING } else { Quality::GOOD },
            }
        })
        .collect()
}

fn jan(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, day, h, m, s).unwrap()
}

async fn partitions(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'readings'::regclass ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn copy_writes_rows_that_read_back_equal() {
    let db = TestDb::migrated().await;
    let batch = readings(3, jan(10, 12, 0, 0), 500);
    assert_eq!(store::write_readings(&db.pool, &batch).await.unwrap(), 500);
    let back = store::readings_between(&db.pool, 3, jan(10, 0, 0, 0), jan(11, 0, 0, 0)).await.unwrap();
    assert_eq!(back, batch);
    assert_eq!(store::count_readings(&db.pool, 3).await.unwrap(), 500);
    assert_eq!(store::count_readings(&db.pool, 4).await.unwrap(), 0);
    assert_eq!(store::write_readings(&db.pool, &[]).await.unwrap(), 0);
    db.drop_now().await;
}

#[tokio::test]
async fn writing_the_same_batch_twice_inserts_nothing_new_and_does_not_error() {
    let db = TestDb::migrated().await;
    let batch = readings(1, jan(5, 0, 0, 0), 300);
    assert_eq!(store::write_readings(&db.pool, &batch).await.unwrap(), 300);
    assert_eq!(store::write_readings(&db.pool, &batch).await.unwrap(), 0);
    // A batch overlapping stored rows stores only the new ones, and duplicates within one
    // batch are stored once.
    let mut overlapping = readings(1, jan(5, 0, 4, 0), 120);
    overlapping.push(overlapping[119].clone());
    assert_eq!(store::write_readings(&db.pool, &overlapping).await.unwrap(), 60);
    assert_eq!(store::count_readings(&db.pool, 1).await.unwrap(), 360);
    db.drop_now().await;
}

#[tokio::test]
async fn a_batch_spanning_two_months_creates_both_partitions() {
    let db = TestDb::migrated().await;
    let batch = readings(2, jan(31, 23, 59, 0), 120);
    assert_eq!(store::write_readings(&db.pool, &batch).await.unwrap(), 120);
    assert_eq!(partitions(&db).await, vec!["readings_y2025m01", "readings_y2025m02"]);
    let january: i64 = sqlx::query_scalar("SELECT count(*) FROM readings_y2025m01").fetch_one(&db.pool).await.unwrap();
    assert_eq!(january, 60, "months are UTC months");
    db.drop_now().await;
}

#[tokio::test]
async fn a_month_dropped_for_retention_is_recreated_by_the_next_write() {
    let db = TestDb::migrated().await;
    store::write_readings(&db.pool, &readings(1, jan(2, 0, 0, 0), 10)).await.unwrap();
    sqlx::query("DROP TABLE readings_y2025m01").execute(&db.pool).await.unwrap();
    // The process still believes January exists; the write must notice and recover.
    assert_eq!(store::write_readings(&db.pool, &readings(1, jan(3, 0, 0, 0), 10)).await.unwrap(), 10);
    assert_eq!(store::count_readings(&db.pool, 1).await.unwrap(), 10);
    db.drop_now().await;
}

#[tokio::test]
async fn partitions_can_be_created_ahead_and_concurrently() {
    let db = TestDb::migrated().await;
    let (a, b) = tokio::join!(
        store::ensure_readings_partitions(&db.pool, jan(1, 0, 0, 0), jan(1, 0, 0, 0) + Duration::days(70)),
        sqlx::query_scalar::<_, String>("SELECT trueyaw_ensure_readings_partition('2025-02-15Z')").fetch_one(&db.pool),
    );
    a.unwrap();
    assert_eq!(b.unwrap(), "readings_y2025m02");
    assert_eq!(partitions(&db).await, vec!["readings_y2025m01", "readings_y2025m02", "readings_y2025m03"]);
    db.drop_now().await;
}

#[tokio::test]
async fn farms_and_turbines_keep_their_ids_and_take_the_latest_source() {
    let db = TestDb::migrated().await;
    let farm = store::upsert_farm(&db.pool, "haute-borne").await.unwrap();
    assert_eq!(store::upsert_farm(&db.pool, "haute-borne").await.unwrap(), farm);
    let t2 = store::upsert_turbine(&db.pool, farm, "T02", "modbus://10.0.0.2:502/1").await.unwrap();
    let t1 = store::upsert_turbine(&db.pool, farm, "T01", "modbus://10.0.0.1:502/1").await.unwrap();
    assert_eq!(store::upsert_turbine(&db.pool, farm, "T02", "opcua:opc.tcp://h:4840").await.unwrap(), t2);
    let listed = store::list_turbines(&db.pool, farm).await.unwrap();
    let summary: Vec<_> = listed.iter().map(|t| (t.id, t.name.as_str(), t.source.as_str())).collect();
    assert_eq!(summary, vec![(t1, "T01", "modbus://10.0.0.1:502/1"), (t2, "T02", "opcua:opc.tcp://h:4840")]);
    db.drop_now().await;
}

#[tokio::test]
async fn health_rows_round_trip_and_replace_the_previous_ones() {
    let db = TestDb::migrated().await;
    let farm = store::upsert_farm(&db.pool, "f").await.unwrap();
    let t1 = store::upsert_turbine(&db.pool, farm, "T01", "").await.unwrap();
    let t2 = store::upsert_turbine(&db.pool, farm, "T02", "").await.unwrap();
    let mut rows = vec![
        HealthRow {
            turbine_id: t1,
            last_attempt: Some(jan(1, 0, 0, 1)),
            last_success: Some(jan(1, 0, 0, 1)),
            consecutive_failures: 0,
            polls_ok: 10,
            polls_failed: 0,
            last_error: None,
        },
        HealthRow {
            turbine_id: t2,
            last_attempt: Some(jan(1, 0, 0, 2)),
            last_success: None,
            consecutive_failures: 4,
            polls_ok: 0,
            polls_failed: 4,
            last_error: Some("timeout after 800 ms".into()),
        },
    ];
    store::upsert_health(&db.pool, &rows).await.unwrap();
    rows[1].consecutive_failures = 0;
    rows[1].polls_ok = 1;
    store::upsert_health(&db.pool, &rows[1..]).await.unwrap();
    assert_eq!(store::load_health(&db.pool).await.unwrap(), rows);
    db.drop_now().await;
}

#[tokio::test]
async fn a_missing_database_is_created_once() {
    let name = format!("trueyaw_test_{:016x}", rand::random::<u64>());
    let url = format!("{}/{name}", server_url());
    assert!(store::create_database_if_missing(&url).await.unwrap());
    assert!(!store::create_database_if_missing(&url).await.unwrap());
    let pool = store::connect(&url, 2).await.unwrap();
    store::migrate(&pool).await.unwrap();
    store::migrate(&pool).await.unwrap();
    pool.close().await;
    let admin = store::connect(&format!("{}/postgres", server_url()), 1).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&admin).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_database_is_a_connection_error_and_a_bad_row_is_not() {
    let db = TestDb::migrated().await;
    let (proxy, url) = Proxy::for_url(&db.url).await;
    assert_ne!(proxy.addr().port(), 0);
    proxy.cut();
    let err = store::connect(&url, 1).await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    let lazy = store::connect_lazy(&url, 1).unwrap();
    let err = store::write_readings(&lazy, &readings(1, jan(1, 0, 0, 0), 3)).await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    // A time before 4713 BC is outside PostgreSQL's timestamp range: the data is at fault.
    let ancient = Reading::failed(1, Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).unwrap(), Quality::GOOD);
    let err = store::write_readings(&db.pool, &[ancient]).await.unwrap_err();
    assert!(!err.is_connection(), "{err}");
    assert!(store::connect("postgres://[broken", 1).await.is_err());
    db.drop_now().await;
}
