//! What `trueyaw demo` watches while it runs: training verdicts (the newest model of each
//! turbine, beside the simulator's true vane error), write-back decisions as the write-back
//! audits them in `yaw_offset_writes`, the status table's rows, and the simulator's true state
//! at the first and last write, from which each turbine's before/after pointing is measured.

use std::collections::HashMap;

use sqlx::PgPool;

use super::demo_loop::{DemoEvent, TurbineSummary};
use super::poll::PollService;
use crate::config::FarmConfig;
use crate::serve::state::AppState;
use crate::sim::farm::{SimHandle, TrueState};
use crate::sim::pointing::{Pointing, recovered};
use crate::store;
use crate::store::yaw_offset_writes::WriteMode;

/// A turbine's training verdict, with the truth it should have found.
#[derive(Debug, Clone)]
pub struct Trained {
    pub turbine: String,
    /// The simulator's true operating vane error (4-11 m/s) when training finished, deg.
    pub true_vane_error_deg: f64,
    /// The model's operating vane error and its 95 % interval, deg.
    pub estimate_deg: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub version: Option<i32>,
    /// Passed the gates and is served.
    pub served: bool,
    /// Why it is not served (the gates' reason, or the training job's error).
    pub reason: Option<String>,
}

/// One stored write-back decision.
#[derive(Debug, Clone)]
pub struct Step {
    pub turbine: String,
    /// `write`, `dry_run`, `hold`, `revert` or `failed`.
    pub mode: String,
    pub from_deg: Option<f64>,
    pub to_deg: Option<f64>,
    pub reason: String,
}

/// One line of the status table.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub turbine: String,
    pub online: bool,
    pub polls_ok: u64,
    pub polls_failed: u64,
    pub wind_ms: Option<f32>,
    pub vane_deg: Option<f32>,
    pub power_kw: Option<f32>,
    pub model: Option<i32>,
    pub offset_deg: Option<f64>,
    pub served: Option<String>,
    pub written_deg: f64,
    pub true_vane_error_deg: f64,
    pub true_gamma_deg: f64,
}

#[derive(Default)]
struct PerTurbine {
    id: Option<i32>,
    job: Option<i64>,
    trained: Option<Trained>,
    last_row: i64,
    writes: usize,
    dry_runs: usize,
    first_write: Option<TrueState>,
    last_write: Option<TrueState>,
}

/// The watch over a running demo.
pub struct Watch {
    names: Vec<String>,
    enabled: Vec<String>,
    state: Option<AppState>,
    live_start: Vec<TrueState>,
    turbines: Vec<PerTurbine>,
}

impl Watch {
    /// Starts watching: the live period begins now. `served` is the server's state and the
    /// training job of each turbine id, when the demo serves.
    pub fn new(sim: &SimHandle, config: &FarmConfig, served: Option<(AppState, Vec<(i32, i64)>)>) -> Self {
        let names: Vec<String> = config.turbines.iter().map(|t| t.name.to_string()).collect();
        let jobs: HashMap<i32, i64> = served.as_ref().map(|(_, j)| j.iter().copied().collect()).unwrap_or_default();
        let turbines = names
            .iter()
            .map(|n| {
                let id = served.as_ref().and_then(|(s, _)| s.turbines.by_name(n).map(|t| t.id));
                PerTurbine { id, job: id.and_then(|id| jobs.get(&id).copied()), ..Default::default() }
            })
            .collect();
        Self {
            live_start: (0..names.len()).map(|i| sim.true_state(i)).collect(),
            names,
            enabled: config.writeback.enabled_turbines.iter().map(|t| t.to_string()).collect(),
            state: served.map(|(s, _)| s),
            turbines,
        }
    }

    /// The server's state, if the demo serves.
    pub fn state(&self) -> Option<&AppState> {
        self.state.as_ref()
    }

    /// Looks for finished training and new write-back rows; hands each on as it is found.
    pub async fn poll(&mut self, pool: &PgPool, sim: &SimHandle, on: &mut (dyn FnMut(DemoEvent) + Send)) {
        for (i, t) in self.turbines.iter_mut().enumerate() {
            let Some(id) = t.id else { continue };
            if t.trained.is_none()
                && let Some(done) = trained(pool, id, t.job, &self.names[i], sim.operating_vane_error_deg(i)).await
            {
                on(DemoEvent::Trained(done.clone()));
                t.trained = Some(done);
            }
            let Ok(mut rows) = store::yaw_offset_writes::recent_yaw_offset_writes(pool, id, 50).await else { continue };
            rows.retain(|r| r.id > t.last_row);
            rows.sort_by_key(|r| r.id);
            for r in rows {
                t.last_row = r.id;
                let first_dry_run = r.write_mode() == Some(WriteMode::DryRun) && t.dry_runs == 0;
                match r.write_mode() {
                    Some(WriteMode::Write) => {
                        let now = sim.true_state(i);
                        t.first_write.get_or_insert(now);
                        t.last_write = Some(now);
                        t.writes += 1;
                    }
                    Some(WriteMode::DryRun) => t.dry_runs += 1,
                    _ => {}
                }
                // A dry-run repeats the same step every interval: only the first is handed on.
                if r.write_mode() != Some(WriteMode::DryRun) || first_dry_run {
                    let (from_deg, to_deg) = (r.before_deg, r.after_deg);
                    let step =
                        Step { turbine: self.names[i].clone(), mode: r.mode, from_deg, to_deg, reason: r.reason };
                    on(DemoEvent::Step(step));
                }
            }
        }
    }

    /// Each turbine's summary, measured on the simulator's truth as it stands now.
    pub fn summaries(&self, sim: &SimHandle) -> Vec<TurbineSummary> {
        self.turbines
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let end = sim.true_state(i);
                let before = Pointing::between(&self.live_start[i], t.first_write.as_ref().unwrap_or(&end));
                let after = t.last_write.as_ref().and_then(|w| Pointing::between(w, &end));
                TurbineSummary {
                    name: self.names[i].clone(),
                    writeback_enabled: self.enabled.contains(&self.names[i]),
                    true_vane_error_deg: sim.operating_vane_error_deg(i),
                    cos_exponent_p: sim.cos_exponent_p(i),
                    trained: t.trained.clone(),
                    writes: t.writes,
                    dry_runs: t.dry_runs,
                    written_offset_deg: end.applied_offset_deg,
                    recovered: before.zip(after).map(|(b, a)| recovered(&b, &a)),
                    before,
                    after,
                }
            })
            .collect()
    }
}

/// The verdict on turbine `id`'s newest model, or its job's error, once training ended.
async fn trained(pool: &PgPool, id: i32, job: Option<i64>, name: &str, truth_deg: f64) -> Option<Trained> {
    let verdict = |version, estimate: Option<&serde_json::Value>, served, reason| Trained {
        turbine: name.to_string(),
        true_vane_error_deg: truth_deg,
        estimate_deg: estimate.and_then(|e| e["vane_error_deg"].as_f64()),
        ci95: estimate.and_then(|e| serde_json::from_value(e["ci95"].clone()).ok()),
        version,
        served,
        reason,
    };
    if let Some(m) = store::models::turbine_models(pool, id).await.ok()?.into_iter().next() {
        return Some(verdict(Some(m.version), Some(&m.estimate), m.active, m.reason));
    }
    let j = store::jobs::get(pool, job?).await.ok()??;
    (j.status == "failed").then(|| verdict(None, None, false, j.error.or(Some("training failed".into()))))
}

/// The status table's rows now.
pub async fn status_rows(
    service: &PollService,
    pool: &PgPool,
    config: &FarmConfig,
    state: Option<&AppState>,
    sim: &SimHandle,
) -> Vec<StatusRow> {
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    for (i, (t, h)) in config.turbines.iter().zip(service.health().snapshot()).enumerate() {
        let latest = store::readings_between(pool, h.turbine_id, now - chrono::Duration::seconds(10), now)
            .await
            .ok()
            .and_then(|r| r.into_iter().rev().find(|r| !r.quality.is_failed_poll()));
        let live = state.map(|st| crate::serve::live::live(st, h.turbine_id));
        let truth = sim.true_state(i);
        rows.push(StatusRow {
            turbine: t.name.to_string(),
            online: h.online,
            polls_ok: h.polls_ok,
            polls_failed: h.polls_failed,
            wind_ms: latest.as_ref().and_then(|r| r.wind_speed_ms),
            vane_deg: latest.as_ref().and_then(|r| r.vane_deg),
            power_kw: latest.as_ref().and_then(|r| r.power_kw),
            model: live.as_ref().and_then(|l| l.model_version),
            offset_deg: live.as_ref().and_then(|l| l.corrected.map(|c| c.yaw_offset_deg)),
            served: live.map(|l| format!("{:?}", l.status)),
            written_deg: truth.applied_offset_deg,
            true_vane_error_deg: sim.operating_vane_error_deg(i),
            true_gamma_deg: truth.gamma_deg,
        });
    }
    rows
}
