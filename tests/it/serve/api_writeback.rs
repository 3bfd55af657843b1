//! Write-back through `serve`: the loop steps an enabled simulated turbine toward its active
//! model's offset, dry-runs the others, an operator's revert hands the controller back and
//! latches until the operator re-enables it.

use std::time::Duration;

use chrono::Utc;
use trueyaw::config::SourceConfig;
use trueyaw::serve::writeback::schedule::step_all;

use crate::support::farm::modbus;
use crate::support::serve::{Served, test_e};

#[tokio::test]
async fn the_loop_steps_enabled_turbines_dry_runs_the_rest_and_revert_hands_back() {
    let sim = crate::support::sim::clean_farm(2, 4, 1.0, Utc::now()).await;
    let addrs = [sim.modbus_addr(0), sim.modbus_addr(1)];
    let s = Served::start_farm(2, false, |c| {
        for (t, a) in c.turbines.iter_mut().zip(addrs) {
            t.source = modbus(a.port(), 1);
        }
        c.writeback.enabled_turbines = vec!["T01".into()];
        assert!(matches!(c.turbines[0].source, SourceConfig::Modbus(_)));
    })
    .await;
    s.register_model("T01", 0.0, true).await;
    s.register_model("T02", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    s.wait_for_version("T02", 1).await;
    let wb = s.state.writeback.clone();
    step_all(&wb, &s.state.models).await;

    let v = Some(s.viewer.as_str());
    let t01: serde_json::Value = s.get("/api/v1/turbines/T01/writeback", v).await.json().await.unwrap();
    assert_eq!(t01["mode"], "write");
    // first step: 0.5 deg toward the operating-mean offset test_e(7.5) = 1.95 deg
    assert_eq!(t01["registers"]["yaw_offset_deg"], 0.5, "{t01}");
    assert_eq!(t01["registers"]["correction_enable"], true);
    assert_eq!(t01["recent"][0]["mode"], "write");
    assert!((t01["recent"][0]["target_deg"].as_f64().unwrap() - test_e(7.5)).abs() < 1e-9);
    let t02: serde_json::Value = s.get("/api/v1/turbines/T02/writeback", v).await.json().await.unwrap();
    assert_eq!(t02["mode"], "dry_run");
    assert_eq!(t02["registers"]["yaw_offset_deg"], 0.0, "dry run writes nothing");
    assert_eq!(t02["recent"][0]["mode"], "dry_run");

    assert_eq!(s.post("/api/v1/turbines/T01/writeback/revert", v, &serde_json::json!({})).await.status(), 403);
    let r: serde_json::Value = s
        .post("/api/v1/turbines/T01/writeback/revert", Some(&s.operator), &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["before"]["yaw_offset_deg"], 0.5);
    assert_eq!(r["after"]["yaw_offset_deg"], 0.0);
    assert_eq!(r["after"]["correction_enable"], false);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.true_state(0).applied_offset_deg, 0.0);
    let audit = trueyaw::store::audit::recent(&s.db.pool, Some("wf/T01"), 5).await.unwrap();
    assert_eq!(audit[0].action, "writeback.revert");

    // The revert latches: the loop holds T01 until an operator re-enables it.
    let t01: serde_json::Value = s.get("/api/v1/turbines/T01/writeback", v).await.json().await.unwrap();
    assert!(t01["latch"]["actor"].is_string() && t01["latch"]["since"].is_string(), "{t01}");
    assert_eq!(s.post("/api/v1/turbines/T01/writeback/enable", v, &serde_json::json!({})).await.status(), 403);
    let e: serde_json::Value = s
        .post("/api/v1/turbines/T01/writeback/enable", Some(&s.operator), &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((e["mode"].as_str(), e["lifted"]["actor"].is_string()), (Some("write"), true), "{e}");
    let t01: serde_json::Value = s.get("/api/v1/turbines/T01/writeback", v).await.json().await.unwrap();
    assert!(t01["latch"].is_null(), "{t01}");
    assert_eq!(t01["recent"][0]["mode"], "enable");
    let audit = trueyaw::store::audit::recent(&s.db.pool, Some("wf/T01"), 5).await.unwrap();
    assert_eq!(audit[0].action, "writeback.enable");
    s.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_controller_is_reported_not_a_server_error() {
    let s = Served::start(false).await;
    let st: serde_json::Value = s.get("/api/v1/turbines/T01/writeback", Some(&s.viewer)).await.json().await.unwrap();
    assert!(st["registers"].is_null());
    assert!(st["device_error"].as_str().unwrap().contains("T01"), "{st}");
    let r = s.post("/api/v1/turbines/T01/writeback/revert", Some(&s.operator), &serde_json::json!({})).await;
    assert_eq!(r.status(), 503);
    s.stop().await;
}
