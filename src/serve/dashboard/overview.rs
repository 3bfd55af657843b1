//! The farm overview at `/`: every turbine with its live status, newest reading age, active
//! model, vane error with interval, misalignment, energy loss, drift alert and write-back mode,
//! each name linking to its turbine page. Refreshes itself every 10 s, sortable by links.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::{fmt, page_shell, signed_in, with_interval};
use crate::report::escape_html;
use crate::serve::http::{ApiError, Viewer};
use crate::serve::live::{LiveStatus, live};
use crate::serve::state::AppState;

/// One row of the overview.
struct Row {
    turbine: String,
    status: &'static str,
    age_s: Option<f64>,
    model: Option<i32>,
    vane_error: Option<(f64, Option<[f64; 2]>)>,
    misalignment: Option<f64>,
    loss_pct: Option<f64>,
    /// Energy the misalignment costs per year, MWh (from the calibration report's figures).
    loss_mwh: Option<f64>,
    drift_deg: Option<f64>,
    writeback: &'static str,
    served: LiveStatus,
}

fn rows(state: &AppState, loss_mwh: &std::collections::HashMap<String, f64>, latched: &[i32]) -> Vec<Row> {
    let drift = state.drift_open.load();
    state
        .turbines
        .all()
        .iter()
        .map(|t| {
            let l = live(state, t.id);
            let m = state.models.get(t.id);
            let e = m.as_ref().map(|m| &m.estimate);
            let status = match l.reading_age_s {
                None => "offline",
                Some(a) if a > state.settings.stale_after_s as f64 => "stale",
                Some(_) => "live",
            };
            let wb = &state.writeback;
            let writeback = match wb.turbines().find(|n| n.as_str() == t.name) {
                Some(_) if latched.contains(&t.id) => "reverted", // held until re-enabled
                Some(n) if wb.settings().is_enabled(n) => "write",
                Some(_) => "dry-run",
                None => "-", // no command register (OPC UA)
            };
            Row {
                turbine: t.name.clone(),
                status,
                age_s: l.reading_age_s,
                model: l.model_version,
                vane_error: e.and_then(|e| e.vane_error_deg.map(|v| (v, e.ci95))),
                misalignment: e.and_then(|e| e.misalignment_deg),
                loss_pct: e.and_then(|e| e.energy_loss_pct),
                loss_mwh: loss_mwh.get(&t.name).copied(),
                drift_deg: drift.get(&t.id).copied(),
                writeback,
                served: l.status,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    /// `turbine` (default), `status`, `age`, `vane`, `loss`.
    sort: Option<String>,
}

pub(super) async fn overview(
    State(state): State<AppState>,
    viewer: Result<Option<Viewer>, ApiError>,
    Query(q): Query<OverviewQuery>,
) -> Response {
    if let Err(login) = signed_in(&state, viewer, "/") {
        return login.into_response();
    }
    // MWh/year needs each turbine's mean power from its windows: one report query per page
    // (every 10 s per open page), not on the correction path
    let loss_mwh = match crate::report::build_farm_report(&state.pool, &state.farm).await {
        Ok(r) => r.turbines.into_iter().filter_map(|t| Some((t.turbine, t.annual_loss_mwh?))).collect(),
        Err(_) => Default::default(),
    };
    // A page without the latches would show a reverted turbine as writing: say it, don't guess.
    let latched = match crate::store::writeback_latches::latched_turbines(&state.pool).await {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut rows = rows(&state, &loss_mwh, &latched);
    let key = q.sort.as_deref().unwrap_or("turbine");
    let desc =
        |a: Option<f64>, b: Option<f64>| b.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.unwrap_or(f64::NEG_INFINITY));
    match key {
        "status" => rows.sort_by_key(|r| r.status),
        "age" => rows.sort_by(|a, b| desc(a.age_s, b.age_s)),
        "vane" => rows.sort_by(|a, b| desc(a.vane_error.map(|v| v.0.abs()), b.vane_error.map(|v| v.0.abs()))),
        "loss" => rows.sort_by(|a, b| desc(a.loss_pct, b.loss_pct)),
        _ => rows.sort_by(|a, b| a.turbine.cmp(&b.turbine)),
    }
    Html(page(&state.farm, key, &rows)).into_response()
}

fn page(farm: &str, sort: &str, rows: &[Row]) -> String {
    let head = [("turbine", "Turbine"), ("status", "Status"), ("age", "Reading age s")];
    let mut h = String::new();
    for (k, label) in head {
        h += &format!(
            "<th scope=col><a href=\"/?sort={k}\"{}>{label}</a></th>",
            if k == sort { " aria-sort=ascending" } else { "" }
        );
    }
    h += "<th scope=col>Model</th><th scope=col><a href=\"/?sort=vane\">Vane error deg [95 %]</a></th>\
          <th scope=col>Misalignment deg</th><th scope=col><a href=\"/?sort=loss\">Energy loss %</a></th><th scope=col>Loss MWh/year</th>\
          <th scope=col>Drift alert</th><th scope=col>Write-back</th><th scope=col>Served</th>";
    let mut body = String::new();
    for r in rows {
        let vane = with_interval(r.vane_error.map(|v| v.0), r.vane_error.and_then(|v| v.1));
        let drift = r.drift_deg.map_or_else(|| "-".into(), |d| format!("<span class=alert>{d:+.1} deg</span>"));
        body += &format!(
            "<tr><td><a href=\"/turbines/{t}\">{t}</a></td><td class={s}>{s}</td><td>{age}</td><td>{model}</td>\
             <td>{vane}</td><td>{mis}</td><td>{loss}</td><td>{mwh}</td><td>{drift}</td><td>{wb}</td><td>{served}</td></tr>",
            t = escape_html(&r.turbine),
            s = r.status,
            age = fmt(r.age_s, 0),
            model = r.model.map_or_else(|| "-".into(), |v| format!("v{v}")),
            mis = fmt(r.misalignment, 2),
            loss = fmt(r.loss_pct, 2),
            mwh = fmt(r.loss_mwh, 1),
            wb = r.writeback,
            served = match r.served {
                LiveStatus::Ok => "ok",
                LiveStatus::Stale => "stale",
                LiveStatus::NoModel => "no model",
                LiveStatus::LowConfidence => "low confidence",
            },
        );
    }
    let farm = escape_html(farm);
    page_shell(
        &format!("trueyaw {farm}"),
        10,
        &format!(
            "<h1>trueyaw: farm {farm}</h1>\
             <p>{n} turbines, updated {now} UTC (refreshes every 10 s). API: <a href=/api/v1/docs/>/api/v1/docs</a>.</p>\
             <table><caption>Turbines, sorted by {sort}</caption><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>",
            n = rows.len(),
            now = Utc::now().format("%Y-%m-%d %H:%M:%S"),
            sort = escape_html(sort),
        ),
    )
}
