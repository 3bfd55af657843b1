//! The drift watch raises an alert when a turbine's nacelle + vane moves against the farm by the
//! threshold and holds there through the recent span, and not for a passing wobble.

use chrono::{DurationRound, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trueyaw::serve::drift_watch::watch_once;
use trueyaw::store::imports::{ImportWindow, VALUE_COLUMNS, value_index, write_import_windows};

use crate::support::serve::Served;

/// Three days of 10-minute windows for every turbine up to now: a shared wandering wind
/// direction, per-turbine noise, and `step_deg` added to `stepped`'s vane for windows after
/// `step_hours_ago`.
async fn farm_history(s: &Served, turbines: &[&str], stepped: &str, step_deg: f64, step_hours_ago: i64) {
    let mut rng = StdRng::seed_from_u64(7);
    let end = Utc::now().duration_trunc(TimeDelta::minutes(10)).unwrap();
    let start = end - TimeDelta::days(3);
    let mut rows = Vec::new();
    let mut dir = 200.0f64;
    let mut t = start;
    while t < end {
        dir = (dir + rng.random_range(-2.0..2.0)).rem_euclid(360.0);
        for name in turbines {
            let mut values = [None; VALUE_COLUMNS.len()];
            let wobble: f64 = rng.random_range(-1.5..1.5);
            let step = if *name == stepped && t >= end - TimeDelta::hours(step_hours_ago) { step_deg } else { 0.0 };
            let vane = wobble + step;
            // the nacelle follows the wind; nacelle + vane = direction + noise + the vane's step
            let nacelle = (dir - wobble + rng.random_range(-1.0..1.0)).rem_euclid(360.0);
            values[value_index("nacelle_deg_mean")] = Some(nacelle);
            values[value_index("vane_deg_mean")] = Some(vane);
            values[value_index("wind_speed_ms_mean")] = Some(8.0);
            values[value_index("power_kw_mean")] = Some(900.0);
            rows.push(ImportWindow { turbine_id: s.turbine_id(name), window_start: t, values });
        }
        t += TimeDelta::minutes(10);
    }
    let mut conn = s.db.pool.acquire().await.unwrap();
    write_import_windows(&mut conn, 600, &rows).await.unwrap();
}

#[tokio::test]
async fn a_sustained_step_raises_one_alert_and_a_wobble_raises_none() {
    let s = Served::start_farm(4, false, |c| c.windows.length_min = 10).await;
    let names = ["T01", "T02", "T03", "T04"];
    farm_history(&s, &names, "T03", 3.0, 14).await;
    let round = watch_once(&s.state).await.unwrap();
    assert_eq!(round.raised, vec!["T03".to_string()], "{round:?}");
    assert!(round.compared >= 4);
    // the next round refreshes the open alert instead of raising another
    let round = watch_once(&s.state).await.unwrap();
    assert!(round.raised.is_empty());
    let alerts: serde_json::Value = s.get("/api/v1/drift-alerts", Some(&s.viewer)).await.json().await.unwrap();
    let alerts = alerts["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["turbine"], "T03");
    let shift = alerts[0]["shift_deg"].as_f64().unwrap();
    assert!((shift - 3.0).abs() < 1.0, "shift {shift}");
    let events: serde_json::Value =
        s.get("/api/v1/turbines/T03/drift-events", Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(events["alerts"].as_array().unwrap().len(), 1);
    let metrics = s.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.lines().any(|l| l.starts_with("trueyaw_drift_alert_open{turbine=\"T03\"} 1")), "{metrics}");
    s.stop().await;
}

#[tokio::test]
async fn a_step_only_two_hours_old_is_not_yet_sustained() {
    let s = Served::start_farm(4, false, |c| c.windows.length_min = 10).await;
    farm_history(&s, &["T01", "T02", "T03", "T04"], "T02", 3.0, 2).await;
    let round = watch_once(&s.state).await.unwrap();
    assert!(round.raised.is_empty(), "{round:?}");
    s.stop().await;
}
