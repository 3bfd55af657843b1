//! Self-contained HTML pages of reports: inline CSS that prints on A4/Letter, the inline SVG
//! chart of [`super::svg`], and tables of every number (the same numbers as the JSON and CSV,
//! rounded for reading). No script, no external asset. Every piece of text from the store goes
//! through [`escape_html`].

use std::fmt::Write;

use super::svg::vane_error_chart;
use super::{FarmReport, OPENOA_NOTE, TurbineReport};

/// Escapes `&`, `<`, `>`, `"` and `'` for element text and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;max-width:52rem;\
margin:1.5rem auto;padding:0 1rem;line-height:1.4}h1{font-size:1.5rem;margin-bottom:.2rem}\
h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:1.6rem}table{border-collapse:collapse;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}th{background:#f2f2f2}td.k,th.k{text-align:left}\
.sub,.note{color:#555;font-size:.9rem}.big{font-size:1.3rem;font-weight:bold}\
svg.chart{width:100%;height:auto;font-size:11px;fill:#333}svg .grid{stroke:#e3e3e3}svg .zero{stroke:#888}\
svg .extrap{fill:#f4ecd8}svg .band{fill:#9ecae1;fill-opacity:.5;stroke:none}svg .line{fill:none;stroke:#08519c;\
stroke-width:2}svg .pt{fill:#08519c}svg .extrap-pt{fill:#fff;stroke:#08519c}tr.extrap td{background:#f9f4e8}\
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}table,svg{break-inside:avoid}}";

/// `+1.23`, or `-` when missing.
fn deg(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:+.2}"))
}

/// `[+1.00, +2.00]`, or `-` when missing.
fn ci(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "-".into(), |[a, b]| format!("[{a:+.2}, {b:+.2}]"))
}

/// `v` with `digits` decimals, or `-` when missing.
fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head>\
         <body>{body}</body></html>\n",
        escape_html(title)
    )
}

/// A two-column table of (label, value) rows; both are escaped.
fn kv_table(rows: &[(&str, String)]) -> String {
    let mut o = String::from("<table>");
    for (k, v) in rows {
        let _ = write!(o, "<tr><td class=\"k\">{}</td><td>{}</td></tr>", escape_html(k), escape_html(v));
    }
    o.push_str("</table>");
    o
}

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
        "<h1>Vane calibration: {farm} / {turbine}</h1><p class=\"sub\">Model version {} ({}) trained {}; \
         report generated {}.</p>",
        r.model.version,
        escape_html(&r.model.method),
        time(Some(r.model.created_at)),
        time(Some(r.generated_at)),
    );
    let _ = write!(
        b,
        "<h2>Correction to apply</h2><p><span class=\"big\">yaw_offset_deg = {} deg</span> \
         (95 % interval {} deg). A controller uses vane_deg - yaw_offset_deg as its yaw error.</p>",
        deg(r.static_offset.yaw_offset_deg),
        ci(r.static_offset.ci95),
    );
    b.push_str("<h2>Numbers</h2>");
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
         not the scatter around it.</p>",
    );

    b.push_str("<h2>Vane error against wind speed</h2>");
    b.push_str(&vane_error_chart(&r.bins));
    b.push_str(
        "<p class=\"note\">Line: estimated vane error; band: 95 % interval; shaded bins and hollow \
         markers: extrapolated (no power signal to learn from).</p><table><tr><th>wind speed (m/s)</th>\
         <th>vane_error_deg</th><th>95 % interval</th><th>windows</th><th class=\"k\">extrapolated</th></tr>",
    );
    for bin in &r.bins {
        let _ = write!(
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
    b.push_str("</table>");

    b.push_str("<h2>Data filters</h2>");
    if r.filter_counts.is_empty() {
        b.push_str("<p class=\"note\">The model's metrics hold no filter counts.</p>");
    } else {
        let rows: Vec<(&str, String)> =
            r.filter_counts.iter().map(|f| (f.filter.as_str(), f.windows.to_string())).collect();
        b.push_str(&kv_table(&rows));
    }

    b.push_str("<h2>Drift events</h2>");
    if r.drift_events.is_empty() {
        b.push_str("<p>None detected.</p>");
    } else {
        b.push_str("<table><tr><th class=\"k\">time</th><th>change of e (deg)</th><th>95 % interval</th></tr>");
        for d in &r.drift_events {
            let _ = write!(
                b,
                "<tr><td class=\"k\">{}</td><td>{}</td><td>{}</td></tr>",
                time(Some(d.time)),
                deg(Some(d.delta_deg)),
                ci(Some(d.ci95))
            );
        }
        b.push_str("</table>");
    }

    if let Some(c) = &r.binned_comparison {
        b.push_str("<h2>Binned (OpenOA-style) model for comparison</h2>");
        b.push_str(&kv_table(&[
            ("version", c.version.to_string()),
            ("status", c.status.clone()),
            ("trained", time(Some(c.created_at))),
            ("vane_error_deg (deg)", deg(c.vane_error_deg)),
            ("95 % interval (deg)", ci(c.ci95)),
            ("misalignment_deg (deg)", deg(c.misalignment_deg)),
            ("OpenOA yaw misalignment (deg)", deg(c.openoa_yaw_misalignment_deg)),
        ]));
        let _ = write!(b, "<p class=\"note\">{}</p>", escape_html(&c.note));
    }
    let _ = write!(
        b,
        "<h2>Method</h2><p>{}</p><p class=\"note\">{}</p>",
        escape_html(&r.method_note),
        escape_html(OPENOA_NOTE)
    );
    page(&format!("Vane calibration {} / {}", r.farm, r.turbine), &b)
}

/// The farm summary page: turbines ranked by expected gain after correction.
pub fn farm_html(r: &FarmReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Vane calibration: farm {}</h1><p class=\"sub\">Generated {}. Turbines ranked by expected gain \
         after correction. Total: <b>{:.1} MWh/year</b>.</p>",
        escape_html(&r.farm),
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
        r.total_recoverable_mwh_per_year,
    );
    b.push_str(
        "<table><tr><th>#</th><th class=\"k\">turbine</th><th class=\"k\">model</th><th>yaw_offset_deg</th>\
         <th>95 % interval</th><th>misalignment_deg</th><th>energy_loss_pct</th><th>annual energy (MWh)</th>\
         <th>annual loss (MWh)</th><th>gain after correction (MWh/year)</th><th>drift events</th><th>windows</th></tr>",
    );
    for (i, t) in r.turbines.iter().enumerate() {
        let _ = write!(
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
    b.push_str("</table>");
    if !r.without_report.is_empty() {
        b.push_str("<h2>Turbines without a report</h2>");
        let rows: Vec<(&str, String)> =
            r.without_report.iter().map(|w| (w.turbine.as_str(), w.reason.clone())).collect();
        b.push_str(&kv_table(&rows));
    }
    let _ = write!(b, "<p class=\"note\">{}</p>", escape_html(OPENOA_NOTE));
    page(&format!("Vane calibration farm {}", r.farm), &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(escape_html(r#"a<b>&"c"'d'"#), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
        assert_eq!(escape_html("T01-wf_2.x"), "T01-wf_2.x");
    }

    #[test]
    fn names_from_the_store_are_escaped_in_the_page() {
        use crate::report::{Coverage, ModelInfo, StaticOffset};
        let now = chrono::Utc::now();
        let r = TurbineReport {
            farm: "a<b".into(),
            turbine: "T&1".into(),
            generated_at: now,
            model: ModelInfo { version: 1, method: "<i>".into(), created_at: now },
            coverage: Coverage {
                data_from: None,
                data_to: None,
                length_s: 600,
                windows_loaded: None,
                n_windows: 0,
                share_kept: None,
            },
            filter_counts: Vec::new(),
            method_note: "x > y".into(),
            static_offset: StaticOffset { yaw_offset_deg: Some(1.0), ci95: None },
            bins: Vec::new(),
            drift_events: Vec::new(),
            gain: 0.0,
            cos_exponent: None,
            misalignment_deg: None,
            north_offset_deg: None,
            energy: crate::report::build::energy(&crate::model::VaneErrorEstimate::empty("T", "neural", 0), None, 0),
            binned_comparison: None,
        };
        let page = turbine_html(&r);
        assert!(page.contains("a&lt;b / T&amp;1") && page.contains("x &gt; y") && page.contains("&lt;i&gt;"));
        assert!(!page.contains("a<b") && !page.contains("T&1") && !page.contains("<i>"));
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(deg(Some(2.0)), "+2.00");
        assert_eq!(ci(Some([-0.5, 1.25])), "[-0.50, +1.25]");
        assert_eq!(fixed(Some(8760.04), 1), "8760.0");
        assert_eq!(fixed(None, 1), "-");
    }
}
