//! Windows aggregated from known readings: counts, linear statistics, circular means across
//! the vane's ±180 seam and the nacelle's north, idempotent and incremental refreshes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use trueyaw::domain::{Quality, Reading};
use trueyaw::store::{self, WindowRow};

use crate::support::db::TestDb;

const LEN: i32 = 600;

fn at(m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 4, 2, 12, m, s).unwrap()
}

fn reading(
    turbine_id: i32,
    time: DateTime<Utc>,
    wind: f32,
    vane: Option<f32>,
    nacelle: Option<f32>,
    state: i16,
) -> Reading {
    Reading {
        turbine_id,
        time,
        wind_speed_ms: Some(wind),
        vane_deg: vane,
        nacelle_deg: nacelle,
        power_kw: Some(wind * 100.0 - 400.0),
        rotor_rpm: Some(wind + 5.0),
        pitch_deg: Some(wind - 5.0),
        state: Some(state),
        quality: if vane.is_none() { Quality::MISSING } else { Quality::GOOD },
    }
}

/// A turbine with readings in two windows: 12:00 (three polls and a failed one) and 12:10.
async fn setup(db: &TestDb) -> i32 {
    let farm = store::upsert_farm(&db.pool, "w").await.unwrap();
    let t = store::upsert_turbine(&db.pool, farm, "T01", "").await.unwrap();
    let rows = vec![
        reading(t, at(0, 0), 5.0, Some(179.0), Some(359.0), 1),
        reading(t, at(1, 0), 6.0, Some(-179.0), Some(1.0), 1),
        reading(t, at(2, 30), 7.0, None, None, 2),
        Reading::failed(t, at(9, 59), Quality::TIMEOUT),
        reading(t, at(15, 0), 10.0, Some(10.0), Some(90.0), 1),
    ];
    store::write_readings(&db.pool, &rows).await.unwrap();
    t
}

async fn windows(db: &TestDb, t: i32) -> Vec<WindowRow> {
    store::windows_between(&db.pool, t, LEN, at(0, 0) - Duration::hours(1), at(0, 0) + Duration::hours(1))
        .await
        .unwrap()
}

fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= tol)
}

/// Circular distance between two headings, degrees.
fn angle_gap(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[tokio::test]
async fn windows_over_known_readings_have_the_right_counts_and_statistics() {
    let db = TestDb::migrated().await;
    let t = setup(&db).await;
    assert_eq!(store::refresh_windows(&db.pool, LEN, &[(t, at(0, 0), at(15, 0))]).await.unwrap(), 2);
    let w = windows(&db, t).await;
    assert_eq!(w.len(), 2);
    let (a, b) = (&w[0], &w[1]);
    assert_eq!((a.window_start, b.window_start), (at(0, 0), at(10, 0)));
    assert_eq!((a.origin.as_str(), a.length_s), ("poll", LEN));
    assert_eq!((a.n_readings, a.n_valid, a.n_running), (4, 3, Some(2)));
    assert!(close(a.wind_speed_ms_mean, 6.0, 1e-9) && close(a.wind_speed_ms_std, 1.0, 1e-9));
    assert_eq!((a.wind_speed_ms_min, a.wind_speed_ms_max), (Some(5.0), Some(7.0)));
    assert!(close(a.power_kw_mean, 200.0, 1e-9) && close(a.power_kw_std, 100.0, 1e-9));
    assert!(close(a.rotor_rpm_mean, 11.0, 1e-9) && close(a.pitch_deg_max, 2.0, 1e-9));
    // Two vanes 1 degree either side of the seam: R = cos 1 deg.
    let spread = (-2.0 * 1f64.to_radians().cos().ln()).sqrt().to_degrees();
    assert!(close(a.vane_deg_mean, 180.0, 1e-6), "vane mean {:?}", a.vane_deg_mean);
    assert!(close(a.vane_deg_std, spread, 1e-6), "vane std {:?} vs {spread}", a.vane_deg_std);
    assert_eq!((a.vane_deg_min, a.vane_deg_max), (Some(-179.0), Some(179.0)));
    let nacelle = a.nacelle_deg_mean.unwrap();
    assert!((0.0..360.0).contains(&nacelle) && angle_gap(nacelle, 0.0) < 1e-6, "nacelle mean {nacelle}");
    assert!(close(a.nacelle_deg_std, spread, 1e-6));
    // One reading: no sample spread for linear signals, zero circular spread.
    assert_eq!((b.n_readings, b.wind_speed_ms_std), (1, None));
    assert!(close(b.vane_deg_mean, 10.0, 1e-4) && close(b.vane_deg_std, 0.0, 1e-3));
    assert!(close(b.nacelle_deg_mean, 90.0, 1e-4));
    db.drop_now().await;
}

#[tokio::test]
async fn refreshing_twice_changes_nothing_and_a_new_reading_updates_only_its_window() {
    let db = TestDb::migrated().await;
    let t = setup(&db).await;
    let spans = [(t, at(0, 0), at(15, 0))];
    store::refresh_windows(&db.pool, LEN, &spans).await.unwrap();
    let first = windows(&db, t).await;
    assert_eq!(store::refresh_windows(&db.pool, LEN, &spans).await.unwrap(), 2);
    let second = windows(&db, t).await;
    let strip = |w: &[WindowRow]| {
        w.iter().map(|r| WindowRow { updated_at: DateTime::UNIX_EPOCH, ..r.clone() }).collect::<Vec<_>>()
    };
    assert_eq!(strip(&first), strip(&second));

    store::write_readings(&db.pool, &[reading(t, at(6, 0), 8.0, Some(0.0), Some(0.0), 1)]).await.unwrap();
    assert_eq!(store::refresh_windows(&db.pool, LEN, &[(t, at(6, 0), at(6, 0))]).await.unwrap(), 1);
    let third = windows(&db, t).await;
    assert_eq!(third[0].n_readings, 5);
    assert!(close(third[0].wind_speed_ms_mean, 6.5, 1e-9));
    assert_eq!(third[1], second[1], "the 12:10 window was not touched");
    db.drop_now().await;
}

#[tokio::test]
async fn imported_windows_and_unknown_turbines_are_left_alone() {
    let db = TestDb::migrated().await;
    let t = setup(&db).await;
    sqlx::query(
        "INSERT INTO windows (turbine_id, length_s, window_start, origin, n_readings, n_valid, wind_speed_ms_mean)
         VALUES ($1, $2, $3, 'import', 600, 600, 11.5)",
    )
    .bind(t)
    .bind(LEN)
    .bind(at(10, 0))
    .execute(&db.pool)
    .await
    .unwrap();
    store::write_readings(&db.pool, &[reading(9_999, at(1, 0), 5.0, Some(0.0), Some(0.0), 1)]).await.unwrap();
    let written =
        store::refresh_windows(&db.pool, LEN, &[(t, at(0, 0), at(15, 0)), (9_999, at(0, 0), at(2, 0))]).await.unwrap();
    assert_eq!(written, 1, "only the polled 12:00 window of the known turbine");
    let w = windows(&db, t).await;
    assert_eq!((w[1].origin.as_str(), w[1].n_readings, w[1].wind_speed_ms_mean), ("import", 600, Some(11.5)));
    assert_eq!(store::refresh_windows(&db.pool, LEN, &[]).await.unwrap(), 0);
    db.drop_now().await;
}

#[test]
fn window_starts_align_to_the_unix_epoch() {
    assert_eq!(store::window_start(at(7, 31), 600), at(0, 0));
    assert_eq!(store::window_start(at(7, 31), 60), at(7, 0));
    let before_epoch = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap();
    assert_eq!(store::window_start(before_epoch, 600), Utc.with_ymd_and_hms(1969, 12, 31, 23, 50, 0).unwrap());
}
