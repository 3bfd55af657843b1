//! `trueyaw demo`'s core end to end on one turbine: the demo's own history length and default
//! gates, training, serving, write-back on T01, and the simulator's truth afterwards.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use trueyaw::app::demo::DemoOptions;
use trueyaw::app::demo_loop::{self, DemoEvent};

use crate::support::db::TestDb;

/// A seed whose T01 passes the default gates on the demo's history and points a few degrees
/// off before write-back (see the measurements in docs/serving.md, "The demo").
const SEED: u64 = 3;

#[tokio::test]
async fn the_demo_writes_back_to_t01_and_its_true_misalignment_falls() {
    let db = TestDb::migrated().await;
    let opts = DemoOptions {
        turbines: 1,
        history_days: trueyaw::cli::DEMO_HISTORY_DAYS,
        duration: Duration::from_secs(100),
        // More simulated time per real second than the demo's 30x: hours before/after periods
        // to average the true misalignment over in a short test.
        speedup: 300.0,
        seed: SEED,
        database_url: db.url.clone(),
        status_every: None,
    };
    let mut events = Vec::new();
    let stop = CancellationToken::new();
    let summary = demo_loop::run(&db.pool, &opts, &stop, &mut |e| events.push(e)).await.unwrap();
    let t01 = &summary.turbines[0];
    eprintln!("{t01:#?}");
    let trained = t01.trained.as_ref().expect("T01 trained within the run");
    assert!(trained.served, "T01 passed the default gates: {:?}", trained.reason);
    assert!(t01.writeback_enabled && t01.writes >= 1, "at least one step written to T01: {t01:?}");
    assert!(events.iter().any(|e| matches!(e, DemoEvent::Step(s) if s.mode == "write")), "the write was reported");
    let (before, after) = (t01.before.expect("a before period"), t01.after.expect("an after period"));
    assert!(
        after.mean_gamma_deg.abs() < before.mean_gamma_deg.abs(),
        "T01's true misalignment {:+.2} deg before, {:+.2} deg after",
        before.mean_gamma_deg,
        after.mean_gamma_deg
    );
    assert!(summary.dashboard_url.as_deref().is_some_and(|u| u.contains("/login?token=")));
    db.drop_now().await;
}
