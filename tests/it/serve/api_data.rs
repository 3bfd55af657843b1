//! Readings and windows come back in bounded pages that a cursor walks without gaps or repeats.

use chrono::{Duration, TimeZone, Utc};

use crate::support::serve::Served;

#[tokio::test]
async fn a_cursor_walks_every_reading_of_a_range_exactly_once() {
    let s = Served::start(false).await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let id = s.turbine_id("T01");
    let readings: Vec<_> = (0..25)
        .map(|i| trueyaw::domain::Reading {
            turbine_id: id,
            time: t0 + Duration::seconds(i),
            wind_speed_ms: Some(8.0),
            vane_deg: Some(i as f32 / 10.0),
            nacelle_deg: Some(180.0),
            power_kw: Some(1000.0),
            rotor_rpm: None,
            pitch_deg: None,
            state: Some(1),
            quality: trueyaw::domain::Quality::GOOD,
        })
        .collect();
    trueyaw::store::write_readings(&s.db.pool, &readings).await.unwrap();
    let (from, to) = ("2026-03-01T00:00:00Z", "2026-03-01T01:00:00Z");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/api/v1/turbines/T01/readings?from={from}&to={to}&limit=10");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", c.replace('+', "%2B")));
        }
        let page: serde_json::Value = s.get(&path, Some(&s.viewer)).await.json().await.unwrap();
        pages += 1;
        for r in page["readings"].as_array().unwrap() {
            seen.push(r["vane_deg"].as_f64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "the cursor walk must end");
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    assert!(pages >= 3);
    s.stop().await;
}

#[tokio::test]
async fn ranges_and_limits_are_checked() {
    let s = Served::start(false).await;
    let v = Some(s.viewer.as_str());
    let bad = [
        ("/api/v1/turbines/T01/readings?limit=0", 422, "limit"),
        ("/api/v1/turbines/T01/readings?limit=10001", 422, "limit"),
        ("/api/v1/turbines/T01/readings?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", 422, "from"),
        ("/api/v1/turbines/T01/windows?length_min=0", 422, "length_min"),
    ];
    for (path, status, field) in bad {
        let r = s.get(path, v).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(p["field"], field, "{path}: {p}");
    }
    let r = s.get("/api/v1/turbines/T01/readings?from=yesterday", v).await;
    assert_eq!(r.status(), 400);
    let w: serde_json::Value = s.get("/api/v1/turbines/T01/windows", v).await.json().await.unwrap();
    assert_eq!(w["windows"].as_array().unwrap().len(), 0);
    assert!(w["next_cursor"].is_null());
    s.stop().await;
}
