//! The per-turbine table `train` prints, and the angle formats the other command tables
//! (`estimates`, `evaluate`) share with it.

use super::TrainOutcome;

/// The per-turbine table `train` prints.
pub fn table(outcomes: &[TrainOutcome]) -> String {
    let mut s = format!(
        "{:<8} {:<7} {:>3} {:<9} {:>8} {:>9} {:>17}  reason\n",
        "turbine", "method", "ver", "status", "windows", "vane deg", "ci95 deg"
    );
    for o in outcomes {
        let e = &o.estimate;
        s += &format!(
            "{:<8} {:<7} {:>3} {:<9} {:>8} {:>9} {:>17}  {}\n",
            o.turbine,
            o.method,
            o.version,
            if o.active { "active" } else { "rejected" },
            e.n_windows,
            fmt_deg(e.vane_error_deg),
            fmt_ci(e.ci95),
            o.reason.as_deref().unwrap_or(""),
        );
    }
    s
}

/// `+1.23` or `-` when missing.
pub fn fmt_deg(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:+.2}"))
}

/// `[+1.00, +2.00]` or `-` when missing.
pub fn fmt_ci(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "-".to_string(), |[a, b]| format!("[{a:+.2}, {b:+.2}]"))
}
