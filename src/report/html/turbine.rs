//! The calibration report page of one turbine: the correction to apply, every number, the
//! vane-error chart and its table, filters, drift events, the binned comparison and the method.

use std::fmt::Write;

use super::{ci, deg, escape_html, fixed, kv_table, page};
use crate::report::svg::vane_error_chart;
use crate::report::{OPENOA_NOTE, TurbineReport};

/// The calibration report page of one turbine.
pub fn turbine_html(r: &TurbineReport) -> String {
    let (farm, turbine) = (escape_html(&r.farm), escape_html(&r.turbine));
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
    };
    let e = &r.energy;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Vane calibration: {farm} / {turbine}</h1>\n<p class=\"sub\">Model version {} ({}) trained {}; \
         report generated {}.</p>\n",
        r.model.version,
        escape_html(&r.model.method),
        time(Some(r.model.created_at)),
        time(Some(r.generated_at)),
    );
    let _ = write!(
        b,
        "<h2>Correction to apply</h2>\n<p><span class=\"big\">yaw_offset_deg = {} deg</span> \
         (95 % interval {} deg). A controller uses vane_deg - yaw_offset_deg as its yaw error.</p>\n",
        deg(r.static_offset.yaw_offset_deg),
        ci(r.static_offset.ci95),
    );
    b.push_str("<h2>Numbers</h2>\n");
    b.push_str(&kv_table(&[
        ("vane_error_deg, 4-11 m/s (deg)", deg(r.static_offset.yaw_offset_deg)),
        ("95 % interval (deg)", ci(r.static_offset.ci95)),
        ("misalignment_deg as operated (deg)", deg(r.misalignment_deg)),
        ("vane gain error k", format!("{:+.3}", r.gain)),
        ("cos exponent p", fixed(r.cos_exponent, 2)),
        ("north_offset_deg (deg)", deg(r.north_offset_deg)),
        ("energy_loss_pct (% of aligned production)", fixed(e.energy_loss_pct, 2)),
        ("mean power as operated (kW)", fixed(e.mean_power_kw, 1)),
        ("annual energy as operated (MWh/year)", fixed(e.annual_energy_mwh, 1)),
        ("annual loss to misalignment (MWh/year)", fixed(e.annual_loss_mwh, 1)),
        ("recoverable by correction (%)", fixed(e.recoverable_pct, 2)),
        ("expected gain after correction (MWh/year)", fixed(e.recoverable_mwh_per_year, 1)),
        ("loss remaining after correction (%)", fixed(e.remaining_loss_pct, 2)),
        ("data from", time(r.coverage.data_from)),
        ("data to", time(r.coverage.data_to)),
        ("window length (s)", r.coverage.length_s.to_string()),
        ("windows loaded", r.coverage.windows_loaded.map_or("-".into(), |n| n.to_string())),
        ("windows used", r.coverage.n_windows.to_string()),
        ("share kept (%)", fixed(r.coverage.share_kept.map(|s| s * 100.0), 1)),
    ]));
    b.push_str(
        "<p class=\"note\">Annual energy = mean power_kw_mean of the turbine's windows in the data period \
         x 8760 h / 1000. Annual loss = annual energy / (1 - L) x L, L = energy_loss_pct. Recoverable = \
         1 - cos^p(misalignment_deg), capped at L: correcting the offset removes the mean misalignment, \
         not the scatter around it.</p>\n",
    );

    b.push_str("<h2>Vane error against wind speed</h2>\n");
    b.push_str(&vane_error_chart(&r.bins));
    b.push('\n');
    b.push_str(
        "<p class=\"note\">Line: estimated vane error; band: 95 % interval; shaded bins and hollow \
         markers: extrapolated (no power signal to learn from).</p>\n<table>\n<tr><th>wind speed (m/s)</th>\
         <th>vane_error_deg</th><th>95 % interval</th><th>windows</th><th class=\"k\">extrapolated</th></tr>\n",
    );
    for bin in &r.bins {
        let _ = writeln!(
            b,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"k\">{}</td></tr>",
            if bin.extrapolated { " class=\"extrap\"" } else { "" },
            bin.ws,
            deg(bin.vane_error_deg),
            ci(bin.ci95),
            bin.n_windows,
            if bin.extrapolated { "yes" } else { "no" },
        );
    }
    b.push_str("</table>\n");

    b.push_str("<h2>Data filters</h2>\n");
    if r.filter_counts.is_empty() {
        b.push_str("<p class=\"note\">The model's metrics hold no filter counts.</p>\n");
    } else {
        let rows: Vec<(&str, String)> =
            r.filter_counts.iter().map(|f| (f.filter.as_str(), f.windows.to_string())).collect();
        b.push_str(&kv_table(&rows));
    }

    b.push_str("<h2>Drift events</h2>\n");
    if r.drift_events.is_empty() {
        b.push_str("<p>None detected.</p>\n");
    } else {
        b.push_str("<table>\n<tr><th class=\"k\">time</th><th>change of e (deg)</th><th>95 % interval</th><th>seen in</th></tr>\n");
        for d in &r.drift_events {
            let _ = writeln!(
                b,
                "<tr><td class=\"k\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(Some(d.time)),
                deg(Some(d.delta_deg)),
                ci(Some(d.ci95)),
                d.evidence.map_or("-", |e| e.as_str()).replace('_', " ")
            );
        }
        b.push_str("</table>\n");
    }

    if let Some(c) = &r.binned_comparison {
        b.push_str("<h2>Binned (OpenOA-style) model for comparison</h2>\n");
        b.push_str(&kv_table(&[
            ("version", c.version.to_string()),
            ("status", c.status.clone()),
            ("trained", time(Some(c.created_at))),
            ("vane_error_deg (deg)", deg(c.vane_error_deg)),
            ("95 % interval (deg)", ci(c.ci95)),
            ("misalignment_deg (deg)", deg(c.misalignment_deg)),
            ("OpenOA yaw misalignment (deg)", deg(c.openoa_yaw_misalignment_deg)),
        ]));
        let _ = writeln!(b, "<p class=\"note\">{}</p>", escape_html(&c.note));
    }
    let _ = write!(
        b,
        "<h2>Method</h2>\n<p>{}</p>\n<p class=\"note\">{}</p>\n",
        escape_html(&r.method_note),
        escape_html(OPENOA_NOTE)
    );
    page(&format!("Vane calibration {} / {}", r.farm, r.turbine), &b)
}
