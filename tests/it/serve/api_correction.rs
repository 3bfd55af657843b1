//! The correction path: offsets at a point or at the newest reading, batches of raw readings,
//! and the 4xx (never 5xx) answers to bad input.

use chrono::Utc;
use serde_json::json;

use crate::support::serve::{Served, test_e};

#[tokio::test]
async fn the_offset_at_a_point_comes_from_the_active_model_with_its_interval() {
    let s = Served::start(false).await;
    assert_eq!(s.get("/api/v1/turbines/T01/correction?ws=8", Some(&s.viewer)).await.status(), 409, "no model yet");
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    let c: serde_json::Value =
        s.get("/api/v1/turbines/T01/correction?ws=7.5&rpm=12&pitch=0", Some(&s.viewer)).await.json().await.unwrap();
    let e = c["yaw_offset_deg"].as_f64().unwrap();
    assert!((e - test_e(7.5)).abs() < 1e-9, "{c}");
    assert_eq!(c["vane_error_deg"], c["yaw_offset_deg"]);
    let ci: Vec<f64> = serde_json::from_value(c["ci95"].clone()).unwrap();
    assert!(ci[0] < e && e < ci[1]);
    assert_eq!(c["extrapolated"], false);
    assert_eq!(c["model_version"], 1);
    assert_eq!(c["point_from"], "request");
    assert_eq!(c["status"], "ok");
    let above_rated: serde_json::Value =
        s.get("/api/v1/turbines/T01/correction?ws=14", Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(above_rated["extrapolated"], true);
    assert_eq!(above_rated["status"], "low_confidence");
    s.stop().await;
}

#[tokio::test]
async fn without_a_point_the_newest_reading_is_corrected_and_a_new_version_is_served_at_once() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    let r = s.get("/api/v1/turbines/T01/correction", Some(&s.viewer)).await;
    assert_eq!(r.status(), 409, "no reading yet");
    let now = Utc::now();
    s.add_reading("T01", now, 8.0, 5.0, 10.0).await;
    let c: serde_json::Value = s.get("/api/v1/turbines/T01/correction", Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(c["point_from"], "latest_reading");
    assert!((c["wind_speed_ms"].as_f64().unwrap() - 8.0).abs() < 1e-6);
    assert_eq!(c["status"], "ok");
    // a model registered by another process (train) reaches the cache through NOTIFY
    s.register_model("T01", 1.5, true).await;
    s.wait_for_version("T01", 2).await;
    let c: serde_json::Value =
        s.get("/api/v1/turbines/T01/correction?ws=8", Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(c["model_version"], 2);
    assert!((c["yaw_offset_deg"].as_f64().unwrap() - (1.5 + test_e(8.0))).abs() < 1e-9);
    s.stop().await;
}

#[tokio::test]
async fn a_batch_of_raw_readings_comes_back_corrected_in_order() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    let body = json!({"readings": [
        {"time": "2026-01-01T00:00:00Z", "vane_deg": 4.0, "nacelle_deg": 359.0, "wind_speed_ms": 8.0},
        {"vane_deg": -179.5, "nacelle_deg": 10.0, "wind_speed_ms": 6.0, "rotor_rpm": 10.0, "pitch_deg": 0.0},
        {"vane_deg": 0.0, "wind_speed_ms": 9.0},
    ]});
    let r: serde_json::Value =
        s.post("/api/v1/turbines/T01/correct", Some(&s.viewer), &body).await.json().await.unwrap();
    let c = r["corrected"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c[0]["time"], "2026-01-01T00:00:00Z");
    // relative = vane - e (gain 0); absolute = wrap360(nacelle + relative)
    let rel0 = 4.0 - test_e(8.0);
    assert!((c[0]["corrected_relative_deg"].as_f64().unwrap() - rel0).abs() < 1e-9);
    assert!((c[0]["corrected_absolute_deg"].as_f64().unwrap() - (359.0 + rel0 - 360.0)).abs() < 1e-9, "{}", c[0]);
    // -179.5 - 1.8 wraps to +178.7
    let rel1 = c[1]["corrected_relative_deg"].as_f64().unwrap();
    assert!((rel1 - (-179.5 - test_e(6.0) + 360.0)).abs() < 1e-9, "{rel1}");
    assert!(c[2]["corrected_absolute_deg"].is_null());
    s.stop().await;
}

async fn expect_problem(resp: reqwest::Response, status: u16, field: Option<&str>) -> serde_json::Value {
    assert_eq!(resp.status().as_u16(), status);
    let p: serde_json::Value = resp.json().await.unwrap();
    if let Some(f) = field {
        assert_eq!(p["field"], f, "{p}");
    }
    assert!(!p["detail"].as_str().unwrap().is_empty());
    p
}

#[tokio::test]
async fn bad_points_and_batches_are_refused_naming_the_field() {
    let served = Served::start(false).await;
    let s = &served;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    let v = Some(s.viewer.as_str());
    expect_problem(s.get("/api/v1/turbines/T01/correction?ws=-1", v).await, 422, Some("ws")).await;
    expect_problem(s.get("/api/v1/turbines/T01/correction?ws=NaN", v).await, 422, Some("ws")).await;
    expect_problem(s.get("/api/v1/turbines/T01/correction?ws=8&pitch=400", v).await, 422, Some("pitch")).await;
    expect_problem(s.get("/api/v1/turbines/T01/correction?ws=fast", v).await, 400, None).await;
    expect_problem(s.get("/api/v1/turbines/T01/correction?rpm=10", v).await, 422, Some("ws")).await;

    let post = |body: serde_json::Value| async move { s.post("/api/v1/turbines/T01/correct", v, &body).await };
    let p = expect_problem(
        post(json!({"readings": [{"vane_deg": 1.0, "wind_speed_ms": 8.0}, {"vane_deg": 200.0, "wind_speed_ms": 8.0}]}))
            .await,
        422,
        Some("readings[1].vane_deg"),
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("200"));
    expect_problem(post(json!({"readings": [{"vane_deg": 1.0}]})).await, 422, None).await;
    expect_problem(post(json!({"readings": [{"vane_deg": 1.0, "wind_speed_ms": 8.0, "extra": 1}]})).await, 422, None)
        .await;
    let too_many: Vec<_> = (0..101).map(|_| json!({"vane_deg": 1.0, "wind_speed_ms": 8.0})).collect();
    expect_problem(post(json!({ "readings": too_many })).await, 422, Some("readings")).await;
    let raw = s
        .http
        .post(s.url("/api/v1/turbines/T01/correct"))
        .bearer_auth(&s.viewer)
        .header("content-type", "application/json")
        .body("{\"readings\": [")
        .send()
        .await
        .unwrap();
    expect_problem(raw, 400, None).await;
    let big = s
        .http
        .post(s.url("/api/v1/turbines/T01/correct"))
        .bearer_auth(&s.viewer)
        .header("content-type", "application/json")
        .body(vec![b' '; 9 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    expect_problem(big, 413, None).await;
    served.stop().await;
}
