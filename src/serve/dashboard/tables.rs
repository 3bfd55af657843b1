//! The turbine page's tables: data quality (what each training filter removed, the quality
//! flags of recent readings) and model versions with their activate / roll-back buttons.

use super::sections::{section, when};
use super::turbine::{QUALITY_H, TurbineData};
use super::with_interval;
use crate::model::VaneErrorEstimate;
use crate::model::prep::FilterCounts;
use crate::report::escape_html;
use crate::serve::auth::Role;
use crate::store::models::{STATUS_ACTIVE, STATUS_REJECTED};

pub(super) fn quality_section(d: &TurbineData) -> String {
    let filters = match d.active.as_ref().and_then(|(m, _)| {
        serde_json::from_value::<FilterCounts>(m.metrics.get("filter_counts")?.clone()).ok().map(|c| (m.version, c))
    }) {
        Some((v, c)) => {
            // pipeline order of `model::prep`: each window is counted by the first filter that removes it
            let removed = [
                ("missing", "a needed mean missing", c.missing),
                ("out_of_range", "a value out of range", c.out_of_range),
                ("stuck", "a stuck (constant) signal", c.stuck),
                ("downtime", "stopped or not producing", c.downtime),
                ("pitched", "pitched (above rated or curtailed)", c.pitched),
                ("plateau", "at the rated-power plateau", c.plateau),
                ("power_curve_outlier", "a power-curve outlier", c.power_curve_outlier),
            ];
            let pct =
                |n: usize| if c.input > 0 { format!("{:.1}", 100.0 * n as f64 / c.input as f64) } else { "-".into() };
            let mut rows = format!(
                "<tr><th scope=row>input</th><td class=text>windows loaded</td><td>{}</td><td>100.0</td></tr>",
                c.input
            );
            for (name, what, n) in removed {
                rows += &format!(
                    "<tr><th scope=row>{name}</th><td class=text>removed: {what}</td><td>{n}</td><td>{}</td></tr>",
                    pct(n)
                );
            }
            rows += &format!(
                "<tr><th scope=row>kept</th><td class=text>used by the model</td><td>{}</td><td>{}</td></tr>",
                c.kept,
                pct(c.kept)
            );
            format!(
                "<table><caption>Training data of model v{v}</caption><thead><tr><th scope=col>filter</th>\
                 <th scope=col>meaning</th><th scope=col>windows</th><th scope=col>% of input</th></tr></thead>\
                 <tbody>{rows}</tbody></table>"
            )
        }
        None => "<p>The active model records no filter counts (or there is no active model).</p>".into(),
    };
    let total: i64 = d.quality.iter().map(|q| q.1).sum();
    let readings = if total == 0 {
        format!("<p>No readings in the last {QUALITY_H} hours.</p>")
    } else {
        let good: i64 = d.quality.iter().filter(|q| q.0.is_good()).map(|q| q.1).sum();
        let mut flags: Vec<(&str, i64)> = Vec::new();
        for (q, n) in &d.quality {
            for name in q.names() {
                match flags.iter_mut().find(|f| f.0 == name) {
                    Some(f) => f.1 += n,
                    None => flags.push((name, *n)),
                }
            }
        }
        let mut rows =
            format!("<tr><th scope=row>all</th><td>{total}</td></tr><tr><th scope=row>good</th><td>{good}</td></tr>");
        for (name, n) in flags {
            rows += &format!("<tr><th scope=row>{name}</th><td>{n}</td></tr>");
        }
        format!(
            "<table><caption>Readings of the last {QUALITY_H} hours by quality flag (a reading may carry several)\
             </caption><thead><tr><th scope=col>flag</th><th scope=col>readings</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    section("quality", "Data quality", &format!("<div class=tables>{filters}{readings}</div>"))
}

pub(super) fn versions_section(d: &TurbineData) -> String {
    let name = escape_html(&d.name);
    let operator = d.caller.role >= Role::Operator;
    let buttons = operator && d.csrf.is_some();
    let active_version = d.models.iter().find(|m| m.active).map(|m| m.version);
    let mut rows = String::new();
    for m in &d.models {
        let e = serde_json::from_value::<VaneErrorEstimate>(m.estimate.clone()).ok();
        let status = match (m.status.as_str(), &m.reason) {
            (STATUS_ACTIVE, _) => "<strong>active</strong>".to_string(),
            (STATUS_REJECTED, r) => format!("rejected: {}", escape_html(r.as_deref().unwrap_or("no reason recorded"))),
            (s, _) => format!("inactive ({})", escape_html(s)),
        };
        let period = match (m.data_from, m.data_to) {
            (Some(a), Some(b)) => format!("{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
            _ => "-".into(),
        };
        let action = if !buttons {
            String::new()
        } else if m.active {
            "<td>serving</td>".into()
        } else if m.status == STATUS_REJECTED {
            "<td>cannot be activated (failed its gates)</td>".into()
        } else {
            let verb = if active_version.is_some_and(|a| m.version < a) { "Roll back to" } else { "Activate" };
            format!(
                "<td><form method=post action=\"/turbines/{name}/models/{v}/activate\">\
                 <input type=hidden name=csrf value=\"{csrf}\">\
                 <button type=submit aria-label=\"{verb} model version {v} of {name}\">{verb} v{v}</button></form></td>",
                v = m.version,
                csrf = escape_html(d.csrf.as_deref().unwrap_or_default()),
            )
        };
        rows += &format!(
            "<tr><td>v{}</td><td>{}</td><td>{status}</td><td>{}</td><td>{period}</td><td>{}</td><td>{}</td>{action}</tr>",
            m.version,
            escape_html(&m.method),
            when(m.created_at),
            m.n_windows.map_or_else(|| "-".into(), |n| n.to_string()),
            e.map_or_else(|| "-".into(), |e| with_interval(e.vane_error_deg, e.ci95)),
        );
    }
    if d.models.is_empty() {
        return section("models", "Model versions", "<p>No model trained yet.</p>");
    }
    let note = match (operator, buttons) {
        (true, true) => {
            "<p class=note>Activating makes a version the served one at once (rolling back is \
                         activating an older version); every change is audited.</p>"
        }
        (true, false) => {
            "<p class=note>Sign in through this dashboard's form to get the activate buttons \
                          (scripts use the API).</p>"
        }
        _ => "<p class=note>Viewing only: an operator or admin token can activate or roll back versions.</p>",
    };
    let action_head = if buttons { "<th scope=col>action</th>" } else { "" };
    let body = format!(
        "{note}<table><caption>All versions, newest first</caption><thead><tr><th scope=col>version</th>\
         <th scope=col>method</th><th scope=col>status</th><th scope=col>trained UTC</th><th scope=col>data period</th>\
         <th scope=col>windows</th><th scope=col>vane_error_deg [95 %]</th>{action_head}</tr></thead><tbody>{rows}</tbody></table>"
    );
    section("models", "Model versions", &body)
}
