//! The farm summary page: turbines ranked by expected gain after correction.

use std::fmt::Write;

use super::{ci, deg, escape_html, fixed, kv_table, page};
use crate::report::{FarmReport, OPENOA_NOTE};

/// The farm summary page: turbines ranked by expected gain after correction.
pub fn farm_html(r: &FarmReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Vane calibration: farm {}</h1>\n<p class=\"sub\">Generated {}. Turbines ranked by expected gain \
         after correction. Total: <b>{:.1} MWh/year</b>.</p>\n",
        escape_html(&r.farm),
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
        r.total_recoverable_mwh_per_year,
    );
    b.push_str(
        "<table class=\"wide\">\n<tr><th>#</th><th class=\"k\">turbine</th><th class=\"k\">model</th><th>yaw_offset_deg</th>\
         <th>95 % interval</th><th>misalignment_deg</th><th>energy_loss_pct</th><th>annual energy (MWh)</th>\
         <th>annual loss (MWh)</th><th>gain after correction (MWh/year)</th><th>drift events</th><th>windows</th></tr>\n",
    );
    for (i, t) in r.turbines.iter().enumerate() {
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"k\">{}</td><td class=\"k\">v{} {}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape_html(&t.turbine),
            t.model_version,
            escape_html(&t.method),
            deg(t.yaw_offset_deg),
            ci(t.ci95),
            deg(t.misalignment_deg),
            fixed(t.energy_loss_pct, 2),
            fixed(t.annual_energy_mwh, 1),
            fixed(t.annual_loss_mwh, 1),
            fixed(t.recoverable_mwh_per_year, 1),
            t.drift_events,
            t.n_windows,
        );
    }
    b.push_str("</table>\n");
    if !r.without_report.is_empty() {
        b.push_str("<h2>Turbines without a report</h2>\n");
        let rows: Vec<(&str, String)> =
            r.without_report.iter().map(|w| (w.turbine.as_str(), w.reason.clone())).collect();
        b.push_str(&kv_table(&rows));
    }
    let _ = writeln!(b, "<p class=\"note\">{}</p>", escape_html(OPENOA_NOTE));
    page(&format!("Vane calibration farm {}", r.farm), &b)
}
