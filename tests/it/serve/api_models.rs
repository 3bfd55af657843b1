//! Model versions: listing, activation and roll back with the cache following, the gate that
//! keeps rejected models out, and training jobs queued once.

use serde_json::json;

use crate::support::serve::Served;

#[tokio::test]
async fn rolling_back_serves_the_older_version_and_rejected_ones_stay_out() {
    let s = Served::start(false).await;
    let op = Some(s.operator.as_str());
    s.register_model("T01", 0.0, true).await;
    s.register_model("T01", 3.0, true).await;
    s.register_model("T01", 9.0, false).await;
    s.wait_for_version("T01", 2).await;
    let versions: serde_json::Value = s.get("/api/v1/turbines/T01/models", op).await.json().await.unwrap();
    let statuses: Vec<&str> = versions.as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["rejected", "active", "superseded"]);
    assert_eq!(versions[0]["reason"], "interval too wide");

    let r: serde_json::Value =
        s.post("/api/v1/turbines/T01/models/1/activate", op, &json!({})).await.json().await.unwrap();
    assert_eq!(r["active_version"], 1);
    assert_eq!(r["previous_version"], 2);
    let c: serde_json::Value = s.get("/api/v1/turbines/T01/correction?ws=8", op).await.json().await.unwrap();
    assert_eq!(c["model_version"], 1, "the very next request sees the rollback");
    let est: serde_json::Value = s.get("/api/v1/turbines/T01/estimate", op).await.json().await.unwrap();
    assert_eq!(est["model_version"], 1);

    let r = s.post("/api/v1/turbines/T01/models/3/activate", op, &json!({})).await;
    assert_eq!(r.status(), 409);
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("interval too wide"), "{p}");
    assert_eq!(s.post("/api/v1/turbines/T01/models/7/activate", op, &json!({})).await.status(), 404);
    assert_eq!(s.post("/api/v1/turbines/T01/models/x/activate", op, &json!({})).await.status(), 400);
    let farm: serde_json::Value = s.get("/api/v1/estimates", op).await.json().await.unwrap();
    assert_eq!(farm["turbines"].as_array().unwrap().len(), 1, "T02 has no model");
    s.stop().await;
}

#[tokio::test]
async fn asking_twice_to_train_queues_one_job() {
    let s = Served::start(false).await;
    let op = Some(s.operator.as_str());
    let r = s.post("/api/v1/turbines/T02/train", op, &json!({})).await;
    assert_eq!(r.status(), 202);
    let job: serde_json::Value = r.json().await.unwrap();
    assert_eq!(job["status"], "queued");
    assert_eq!(job["turbine"], "T02");
    assert_eq!(job["requested_by"], "token:o");
    let again = s.post("/api/v1/turbines/T02/train", op, &json!({})).await;
    assert_eq!(again.status(), 200);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], job["id"]);
    let got: serde_json::Value = s.get(&format!("/api/v1/jobs/{}", job["id"]), op).await.json().await.unwrap();
    assert_eq!(got["id"], job["id"]);
    assert_eq!(s.get("/api/v1/jobs/999999", op).await.status(), 404);
    s.stop().await;
}

#[tokio::test]
async fn the_calibration_report_is_served_as_json_for_turbines_with_a_model() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    let v = Some(s.viewer.as_str());
    let r: serde_json::Value = s.get("/api/v1/turbines/T01/report", v).await.json().await.unwrap();
    assert_eq!(r["turbine"], "T01");
    let offset = r["static_offset"]["yaw_offset_deg"].as_f64().unwrap();
    assert!((offset - crate::support::serve::test_e(7.5)).abs() < 1e-9, "{r}");
    assert_eq!(s.get("/api/v1/turbines/T02/report", v).await.status(), 404, "no model");
    assert_eq!(s.get("/api/v1/turbines/T09/report", v).await.status(), 404);
    s.stop().await;
}
