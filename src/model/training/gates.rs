//! Quality gates a trained model must pass before it is served. They read only the common
//! [`VaneErrorEstimate`], so every method is judged the same way.

use serde::{Deserialize, Serialize};

use crate::model::VaneErrorEstimate;

/// Operating range whose bins count towards [`Gates::min_bins`], m/s (`docs/domain.md`: 4-11 m/s).
const OPERATING_BINS_MS: (f64, f64) = (4.0, 11.0);

/// Thresholds of the quality gates, with the CLI defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gates {
    /// Fewest operating windows after filtering [1000, about 7 days of 10-minute data].
    pub min_windows: usize,
    /// Fewest bins of 4-11 m/s estimated from their own data, not extrapolated [4].
    pub min_bins: usize,
    /// Widest acceptable 95 % interval of the operating vane error, degrees [4]. A correction
    /// less certain than this could make pointing worse. (It was 2 while the neural intervals
    /// were the bare ensemble spread; they are twice as wide since `interval_inflation`, so
    /// the same models pass.)
    pub max_ci95_width_deg: f64,
}

impl Default for Gates {
    fn default() -> Self {
        Self { min_windows: 1000, min_bins: 4, max_ci95_width_deg: 4.0 }
    }
}

impl Gates {
    /// None when `est` passes every gate, else the failures, `; `-separated, each saying what
    /// was found and what is needed.
    pub fn check(&self, est: &VaneErrorEstimate) -> Option<String> {
        let mut fails = Vec::new();
        if est.n_windows < self.min_windows {
            fails.push(format!(
                "{} windows after filtering, need at least {}: more producing history below rated power",
                est.n_windows, self.min_windows
            ));
        }
        let (lo, hi) = OPERATING_BINS_MS;
        let bins = est
            .bins
            .iter()
            .filter(|b| b.ws >= lo && b.ws <= hi && !b.extrapolated && b.vane_error_deg.is_some())
            .count();
        if bins < self.min_bins {
            fails.push(format!(
                "{bins} wind-speed bins of 4-11 m/s estimated, need at least {}: history over more wind speeds",
                self.min_bins
            ));
        }
        match (est.vane_error_deg, est.ci95) {
            (None, _) => fails.push("no operating vane error estimated".to_string()),
            (Some(_), None) => fails.push("no 95 % interval for the operating vane error".to_string()),
            (Some(_), Some([a, b])) if b - a > self.max_ci95_width_deg => {
                fails.push(interval_too_wide(b - a, self.max_ci95_width_deg, est))
            }
            _ => {}
        }
        (!fails.is_empty()).then(|| fails.join("; "))
    }
}

/// The interval failure with what data would fix it: sampling intervals shrink as one over the
/// square root of the windows behind them, and the current state rests on the windows since the
/// last drift event (a rough guide: bias does not shrink with more data).
fn interval_too_wide(width: f64, max: f64, est: &VaneErrorEstimate) -> String {
    let factor = (width / max).powi(2);
    let since = est.drift_events.iter().map(|e| e.time).max();
    let basis = match since {
        Some(t) => format!("the windows since the drift event of {}", t.format("%Y-%m-%d")),
        None => "the windows".to_string(),
    };
    let mut reason = format!(
        "95 % interval {width:.2} deg wide, need at most {max:.2} deg: about {factor:.1} times {basis} would narrow \
         it that far, if the spread is sampling noise"
    );
    if let Some(m) = est.misalignment_deg.filter(|m| m.abs() >= FAR_FROM_PEAK_DEG) {
        reason.push_str(&format!(
            ", or data nearer the power peak: the turbine points {m:+.1} deg off it, so its windows lie on one \
             side and place the peak only through the steepness of the power curve; a trial yaw offset of \
             about {:+.0} deg for a few weeks would put windows on both sides",
            -m / 2.0
        ));
    }
    reason
}

/// Mean misalignment from which the interval failure also names a trial offset: the
/// controller's dead band spreads the window-mean vane over a few degrees, so beyond about
/// this much the turbine's windows no longer reach the power peak.
const FAR_FROM_PEAK_DEG: f64 = 3.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BinVaneError;

    fn est(n_windows: usize, bins: usize, ci: [f64; 2]) -> VaneErrorEstimate {
        let mut e = VaneErrorEstimate::empty("T01", "binned", n_windows);
        e.vane_error_deg = Some(3.0);
        e.ci95 = Some(ci);
        e.bins = (3..=15)
            .map(|ws| BinVaneError {
                ws: f64::from(ws),
                vane_error_deg: Some(3.0),
                ci95: None,
                extrapolated: !(4..4 + bins as u32).contains(&ws),
                n_windows: 10,
            })
            .collect();
        e
    }

    #[test]
    fn a_well_supported_estimate_passes_and_each_shortfall_is_named() {
        let g = Gates::default();
        assert_eq!(g.check(&est(5000, 8, [2.5, 3.5])), None);
        let reason = g.check(&est(300, 2, [1.0, 6.0])).unwrap();
        assert!(reason.contains("300 windows after filtering, need at least 1000"), "{reason}");
        assert!(reason.contains("2 wind-speed bins"), "{reason}");
        assert!(reason.contains("5.00 deg wide"), "{reason}");
        assert!(reason.contains("about 1.6 times the windows"), "{reason}");
        assert!(!reason.contains("trial yaw offset"), "{reason}");
    }

    #[test]
    fn a_turbine_pointing_far_off_its_power_peak_is_told_how_to_reach_it() {
        let mut far = est(5000, 8, [1.0, 6.0]);
        far.misalignment_deg = Some(-6.2);
        let reason = Gates::default().check(&far).unwrap();
        assert!(reason.contains("points -6.2 deg off it"), "{reason}");
        assert!(reason.contains("trial yaw offset of about +3 deg"), "{reason}");
    }
}
