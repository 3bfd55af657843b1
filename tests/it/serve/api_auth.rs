//! Who may call what, and the problem+json shape of every refusal.

use crate::support::serve::Served;

async fn problem(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(ct, "application/problem+json", "errors are problem+json");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn health_metrics_and_docs_are_open_and_the_rest_needs_a_token() {
    let s = Served::start(false).await;
    assert_eq!(s.get("/health", None).await.status(), 200);
    let ready: serde_json::Value = s.get("/ready", None).await.json().await.unwrap();
    assert_eq!(ready["ready"], true);
    let spec: serde_json::Value = s.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/api/v1/turbines/{turbine}/correction"]["get"].is_object());
    let docs = s.get("/api/v1/docs/", None).await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().to_lowercase().contains("swagger"));

    let (status, p) = problem(s.get("/api/v1/turbines", None).await).await;
    assert_eq!(status, 401);
    assert_eq!(p["status"], 401);
    let (status, _) = problem(s.get("/api/v1/turbines", Some("ty_not-a-token")).await).await;
    assert_eq!(status, 401);
    let list: serde_json::Value = s.get("/api/v1/turbines", Some(&s.viewer)).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["turbine"], "T01");
    assert_eq!(list[0]["status"], "no_model");

    let metrics = s.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("trueyaw_http_requests_total"), "{metrics}");
    assert!(metrics.contains("trueyaw_uptime_seconds"));
    s.stop().await;
}

#[tokio::test]
async fn viewers_read_operators_change_and_every_change_is_audited() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.register_model("T01", 1.0, true).await;
    s.wait_for_version("T01", 2).await;
    let (status, p) =
        problem(s.post("/api/v1/turbines/T01/models/1/activate", Some(&s.viewer), &serde_json::json!({})).await).await;
    assert_eq!(status, 403);
    assert!(p["detail"].as_str().unwrap().contains("operator"), "{p}");
    let r = s.post("/api/v1/turbines/T01/models/1/activate", Some(&s.operator), &serde_json::json!({})).await;
    assert_eq!(r.status(), 200);
    let audit = trueyaw::store::audit::recent(&s.db.pool, Some("wf/T01"), 10).await.unwrap();
    assert_eq!(audit[0].action, "model.activate");
    assert_eq!(audit[0].actor, "token:o");
    assert_eq!(audit[0].detail["previous_version"], 2);
    s.stop().await;
}

#[tokio::test]
async fn open_read_lets_anyone_read_but_not_change_anything() {
    let s = Served::start(true).await;
    assert_eq!(s.get("/api/v1/turbines/T01", None).await.status(), 200);
    let (status, _) = problem(s.post("/api/v1/turbines/T01/train", None, &serde_json::json!({})).await).await;
    assert_eq!(status, 401);
    // a presented token is still checked
    let (status, _) = problem(s.get("/api/v1/turbines/T01", Some("ty_wrong")).await).await;
    assert_eq!(status, 401);
    s.stop().await;
}

#[tokio::test]
async fn unknown_paths_turbines_and_revoked_tokens_get_clear_problems() {
    let s = Served::start(false).await;
    let (status, p) = problem(s.get("/api/v1/nothing-here", Some(&s.viewer)).await).await;
    assert_eq!(status, 404);
    assert!(p["detail"].as_str().unwrap().contains("/api/v1/nothing-here"));
    let (status, p) = problem(s.get("/api/v1/turbines/T99", Some(&s.viewer)).await).await;
    assert_eq!(status, 404);
    assert!(p["detail"].as_str().unwrap().contains("T99"), "{p}");
    assert!(trueyaw::store::tokens::revoke_token(&s.db.pool, "a").await.unwrap());
    // the admin token was never used, so it is not cached: refused at once
    let (status, _) = problem(s.get("/api/v1/turbines", Some(&s.admin)).await).await;
    assert_eq!(status, 401);
    s.stop().await;
}
