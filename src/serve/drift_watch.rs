//! The drift watch: every `serve.drift_watch_every_s`, compare each turbine's absolute direction
//! (nacelle + vane window means) against the farm consensus over the recent span
//! (`serve.drift_recent_h`) with the baseline before it (`serve.drift_baseline_days`). A vane
//! whose calibration stepped by e.g. 2 deg moves nacelle + vane against the farm by 2 deg at
//! once (the controller turns the nacelle, the sum shows it), so a sustained shift of at least
//! `serve.drift_threshold_deg` raises a drift alert within the recent span: hours, not the weeks
//! a power-based estimate needs. Needs three or more reporting turbines; cannot tell a vane
//! step from a yaw-position sensor step (both need a look and a retrain).
//!
//! Alerts are stored (`drift_alerts`), counted in `/metrics`, listed by the API, and cleared
//! when the shift is no longer seen (after the baseline has caught up, or a repair).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::state::AppState;
use crate::model::consensus::{ConsensusConfig, DirectionWindow, direction_shifts};
use crate::store::{self, drift_alerts::Shift};

/// Windows slower than this are not operating (their direction means little).
const MIN_WS_MS: f64 = 3.0;

/// What one round found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WatchRound {
    /// Turbines with an alert raised this round.
    pub raised: Vec<String>,
    /// Turbines whose alert was cleared this round.
    pub cleared: Vec<String>,
    /// Turbines compared (enough windows in both spans).
    pub compared: usize,
}

/// One comparison over the windows up to now.
pub async fn watch_once(state: &AppState) -> anyhow::Result<WatchRound> {
    let s = &state.settings;
    let now = Utc::now();
    let recent_from = now - chrono::Duration::hours(s.drift_recent_h as i64);
    let from = recent_from - chrono::Duration::days(s.drift_baseline_days as i64);
    let rows =
        store::windows::farm_direction_windows(&state.pool, state.farm_id, state.window_length_s, from, now, MIN_WS_MS)
            .await?;
    let windows: Vec<DirectionWindow> = rows.iter().map(DirectionWindow::from).collect();
    let mut round = WatchRound::default();
    let shifts = match direction_shifts(&windows, recent_from, &ConsensusConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "drift watch: no comparison this round");
            return Ok(round);
        }
    };
    round.compared = shifts.len();
    let mut open = HashMap::new();
    for t in state.turbines.all() {
        let shift = shifts.iter().find(|x| x.turbine_id == t.id);
        match shift {
            Some(x) if x.sustained && x.shift_deg.abs() >= s.drift_threshold_deg => {
                let model_version = state.models.get(t.id).map(|m| m.version);
                let stored = Shift {
                    turbine_id: t.id,
                    recent_from: x.recent_from,
                    recent_to: x.recent_to,
                    shift_deg: x.shift_deg,
                    ci95: x.ci95,
                    model_version,
                };
                let (_, new) = store::drift_alerts::raise(&state.pool, &stored).await?;
                if new {
                    tracing::warn!(turbine = t.name, shift_deg = x.shift_deg, ci95 = ?x.ci95, "drift alert: direction shifted against the farm");
                    metrics::counter!("trueyaw_drift_alerts_raised_total", "turbine" => t.name.clone()).increment(1);
                    round.raised.push(t.name.clone());
                }
                open.insert(t.id, x.shift_deg);
            }
            // compared and quiet: close an open alert
            Some(_) => {
                if store::drift_alerts::clear(&state.pool, t.id).await? {
                    tracing::info!(turbine = t.name, "drift alert cleared");
                    round.cleared.push(t.name.clone());
                }
            }
            // not compared this round (too few windows): keep what is open as it is
            None => {
                if let Some(&v) = state.drift_open.load().get(&t.id) {
                    open.insert(t.id, v);
                }
            }
        }
    }
    state.drift_open.store(Arc::new(open));
    Ok(round)
}

/// Runs [`watch_once`] every `serve.drift_watch_every_s` until `stop`.
pub async fn run(state: AppState, stop: CancellationToken) {
    let every = Duration::from_secs(state.settings.drift_watch_every_s);
    if every.is_zero() {
        return;
    }
    // Open alerts survive restarts: start from what is stored.
    if let Ok(rows) = store::drift_alerts::open_alerts(&state.pool, state.farm_id).await {
        state.drift_open.store(Arc::new(rows.iter().map(|r| (r.turbine_id, r.shift_deg)).collect()));
    }
    loop {
        if let Err(e) = watch_once(&state).await {
            tracing::warn!(error = format!("{e:#}"), "drift watch round failed");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
