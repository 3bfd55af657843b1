//! The table `trueyaw evaluate` prints: one row per scored model, then per method the share of
//! bins whose 95 % interval contains the truth.

use super::EvalReport;
use crate::model::training::fmt_deg;

/// The human-readable table.
pub fn table(r: &EvalReport) -> String {
    let mut s = format!("scoring the {} against {}\n", r.note, r.truth);
    s += &format!(
        "{:<10} {:<8} {:<7} {:>3} {:<10} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>4} {:>4} {:>4} {:>7} {:>5}\n",
        "farm",
        "turbine",
        "method",
        "ver",
        "status",
        "bins",
        "cover",
        "rmse deg",
        "model",
        "truth",
        "op err",
        "hit",
        "miss",
        "fa",
        "dt h",
        "ramps"
    );
    for x in &r.rows {
        s += &format!(
            "{:<10} {:<8} {:<7} {:>3} {:<10} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>4} {:>4} {:>4} {:>7} {:>5}\n",
            x.farm,
            x.turbine,
            x.method,
            x.model_version,
            x.status,
            x.bins_compared,
            x.bins_covered,
            x.rmse_bins_deg.map_or("-".to_string(), |v| format!("{v:.2}")),
            fmt_deg(x.model_operating_deg),
            fmt_deg(x.truth_operating_deg),
            fmt_deg(x.operating_error_deg),
            x.drift_hits,
            x.drift_misses,
            x.drift_false_alarms,
            x.drift_time_error_h.map_or("-".to_string(), |v| format!("{v:.1}")),
            format!("{}/{}", x.ramp_hits, x.ramp_hits + x.ramp_misses),
        );
    }
    for method in ["neural", "binned"] {
        let rows = r.rows.iter().filter(|x| x.method == method);
        let (covered, compared) = rows.fold((0, 0), |(c, n), x| (c + x.bins_covered, n + x.bins_compared));
        if compared > 0 {
            let pct = 100.0 * covered as f64 / compared as f64;
            s += &format!("95 % intervals containing the truth, {method}: {covered} of {compared} bins ({pct:.0} %)\n");
        }
    }
    s
}
