//! CSV renderings of reports, one CSV per table, for spreadsheets and audits: a turbine's
//! `key,value` summary (every scalar of the report, filters, drift events and the binned
//! comparison flattened to dotted keys) and its per-bin table; a farm's ranking table.
//!
//! Numbers are written at full precision (Rust's shortest round-trip form), so a value read back
//! equals the JSON one; a missing value is an empty cell.

use super::{FarmReport, TurbineReport};

/// The two CSV tables of a turbine report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurbineCsv {
    /// `key,value` rows.
    pub summary: String,
    /// `ws,vane_error_deg,ci95_low,ci95_high,extrapolated,n_windows` rows.
    pub bins: String,
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn write(rows: &[Vec<String>]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r).expect("writing CSV to memory cannot fail");
    }
    String::from_utf8(w.into_inner().expect("flushing to memory cannot fail")).expect("CSV of UTF-8 strings")
}

/// The summary and bins tables of `r`.
pub fn turbine_csv(r: &TurbineReport) -> TurbineCsv {
    let mut kv: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| kv.push((k.to_string(), v));
    put("farm", r.farm.clone());
    put("turbine", r.turbine.clone());
    put("generated_at", r.generated_at.to_rfc3339());
    put("model_version", r.model.version.to_string());
    put("method", r.model.method.clone());
    put("model_created_at", r.model.created_at.to_rfc3339());
    put("data_from", r.coverage.data_from.map(|t| t.to_rfc3339()).unwrap_or_default());
    put("data_to", r.coverage.data_to.map(|t| t.to_rfc3339()).unwrap_or_default());
    put("length_s", r.coverage.length_s.to_string());
    put("windows_loaded", r.coverage.windows_loaded.map(|n| n.to_string()).unwrap_or_default());
    put("n_windows", r.coverage.n_windows.to_string());
    put("share_kept", num(r.coverage.share_kept));
    put("yaw_offset_deg", num(r.static_offset.yaw_offset_deg));
    put("yaw_offset_ci95_low", num(r.static_offset.ci95.map(|c| c[0])));
    put("yaw_offset_ci95_high", num(r.static_offset.ci95.map(|c| c[1])));
    put("gain", r.gain.to_string());
    put("cos_exponent", num(r.cos_exponent));
    put("misalignment_deg", num(r.misalignment_deg));
    put("north_offset_deg", num(r.north_offset_deg));
    let e = &r.energy;
    put("energy_loss_pct", num(e.energy_loss_pct));
    put("mean_power_kw", num(e.mean_power_kw));
    put("power_windows", e.power_windows.to_string());
    put("annual_energy_mwh", num(e.annual_energy_mwh));
    put("annual_loss_mwh", num(e.annual_loss_mwh));
    put("recoverable_pct", num(e.recoverable_pct));
    put("recoverable_mwh_per_year", num(e.recoverable_mwh_per_year));
    put("remaining_loss_pct", num(e.remaining_loss_pct));
    for f in &r.filter_counts {
        put(&format!("filter.{}", f.filter), f.windows.to_string());
    }
    for (i, d) in r.drift_events.iter().enumerate() {
        put(&format!("drift.{i}.time"), d.time.to_rfc3339());
        put(&format!("drift.{i}.delta_deg"), d.delta_deg.to_string());
        put(&format!("drift.{i}.ci95_low"), d.ci95[0].to_string());
        put(&format!("drift.{i}.ci95_high"), d.ci95[1].to_string());
        if let Some(e) = d.evidence {
            put(&format!("drift.{i}.evidence"), e.as_str().to_string());
        }
    }
    if let Some(b) = &r.binned_comparison {
        put("binned.version", b.version.to_string());
        put("binned.status", b.status.clone());
        put("binned.vane_error_deg", num(b.vane_error_deg));
        put("binned.ci95_low", num(b.ci95.map(|c| c[0])));
        put("binned.ci95_high", num(b.ci95.map(|c| c[1])));
        put("binned.misalignment_deg", num(b.misalignment_deg));
        put("binned.openoa_yaw_misalignment_deg", num(b.openoa_yaw_misalignment_deg));
    }
    let mut summary = vec![vec!["key".to_string(), "value".to_string()]];
    summary.extend(kv.into_iter().map(|(k, v)| vec![k, v]));

    let mut bins =
        vec![["ws", "vane_error_deg", "ci95_low", "ci95_high", "extrapolated", "n_windows"].map(String::from).to_vec()];
    bins.extend(r.bins.iter().map(|b| {
        vec![
            b.ws.to_string(),
            num(b.vane_error_deg),
            num(b.ci95.map(|c| c[0])),
            num(b.ci95.map(|c| c[1])),
            b.extrapolated.to_string(),
            b.n_windows.to_string(),
        ]
    }));
    TurbineCsv { summary: write(&summary), bins: write(&bins) }
}

/// The farm ranking, one row per turbine (rank order); turbines without a report are not rows.
pub fn farm_csv(r: &FarmReport) -> String {
    let header = [
        "rank",
        "turbine",
        "model_version",
        "method",
        "yaw_offset_deg",
        "ci95_low",
        "ci95_high",
        "misalignment_deg",
        "energy_loss_pct",
        "annual_energy_mwh",
        "annual_loss_mwh",
        "recoverable_mwh_per_year",
        "drift_events",
        "n_windows",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    rows.extend(r.turbines.iter().enumerate().map(|(i, t)| {
        vec![
            (i + 1).to_string(),
            t.turbine.clone(),
            t.model_version.to_string(),
            t.method.clone(),
            num(t.yaw_offset_deg),
            num(t.ci95.map(|c| c[0])),
            num(t.ci95.map(|c| c[1])),
            num(t.misalignment_deg),
            num(t.energy_loss_pct),
            num(t.annual_energy_mwh),
            num(t.annual_loss_mwh),
            num(t.recoverable_mwh_per_year),
            t.drift_events.to_string(),
            t.n_windows.to_string(),
        ]
    }));
    write(&rows)
}
