//! Self-contained HTML pages of reports: inline CSS that prints on A4 (margins, no table, row or
//! chart split across pages, shading kept; what `report::pdf` prints), the inline SVG
//! chart of [`super::svg`], and tables of every number (the same numbers as the JSON and CSV,
//! rounded for reading). No script, no external asset. Every piece of text from the store goes
//! through [`escape_html`].
//!
//! The markup puts one block (heading, paragraph, table row) per line, so a golden-file diff
//! (tests/it/report/golden.rs) points at the line that changed.

use std::fmt::Write;

mod farm;
mod turbine;

pub use self::farm::farm_html;
pub use self::turbine::turbine_html;

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
@page{size:A4;margin:15mm 12mm}\
@media print{body{margin:0;padding:0;max-width:none;font-size:9.5pt}h2{break-after:avoid}\
table,svg,tr{break-inside:avoid}table.wide{font-size:7.5pt}th,td{padding:.1rem .3rem}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// `+1.23`, or `-` when missing.
pub(super) fn deg(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:+.2}"))
}

/// `[+1.00, +2.00]`, or `-` when missing.
pub(super) fn ci(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "-".into(), |[a, b]| format!("[{a:+.2}, {b:+.2}]"))
}

/// `v` with `digits` decimals, or `-` when missing.
pub(super) fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n\
         <body>\n{body}</body>\n</html>\n",
        escape_html(title)
    )
}

/// A two-column table of (label, value) rows; both are escaped.
pub(super) fn kv_table(rows: &[(&str, String)]) -> String {
    let mut o = String::from("<table>\n");
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><td class=\"k\">{}</td><td>{}</td></tr>", escape_html(k), escape_html(v));
    }
    o.push_str("</table>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TurbineReport;

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
