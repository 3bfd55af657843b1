//! Turns the binned estimator's result ([`BinnedEstimate`]) into the common
//! [`VaneErrorEstimate`] every method reports, deriving what the binned method does not estimate
//! directly:
//! - bins 3..=15 m/s; a bin without its own fit takes e interpolated linearly between the
//!   nearest estimated bins (held flat beyond the first and last) and is flagged `extrapolated`;
//! - `gain` 0: the method assumes k = 0;
//! - `cos_exponent`: the window-count-weighted mean of the bins' fitted p;
//! - `misalignment_deg`: mean over the kept windows of `vane_deg - e(ws)` (gain 0);
//! - `energy_loss_pct`: `(1 - Σ P cos^p(γ) / Σ P) × 100` over the kept windows, γ as above.
//!
//! No drift events and no north offset: the method assumes a static vane error.

use crate::domain::wrap180;
use crate::model::{BinVaneError, BinnedEstimate, OperatingWindow, VaneErrorEstimate};

/// Wind-speed bins of the common estimate, m/s.
pub const REPORT_BINS_MS: std::ops::RangeInclusive<u32> = 3..=15;

/// e at wind speed `ws`, interpolated between the `(ws, e)` points (sorted by ws), held flat
/// outside them; None without points.
pub fn interpolate(points: &[(f64, f64)], ws: f64) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    if ws <= first.0 {
        return Some(first.1);
    }
    if ws >= last.0 {
        return Some(last.1);
    }
    let k = points.windows(2).position(|p| ws <= p[1].0)?;
    let ((x0, y0), (x1, y1)) = (points[k], points[k + 1]);
    Some(y0 + (y1 - y0) * (ws - x0) / (x1 - x0))
}

/// The common estimate of `turbine` from `fit`, computed on the prepared `windows` the fit saw.
pub fn to_estimate(turbine: &str, fit: &BinnedEstimate, windows: &[OperatingWindow]) -> VaneErrorEstimate {
    let mut points: Vec<(f64, f64)> = fit.bins.iter().filter_map(|b| b.vane_error_deg.map(|e| (b.ws, e))).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = REPORT_BINS_MS
        .map(|ws| {
            let ws = f64::from(ws);
            let own = fit.bins.iter().find(|b| (b.ws - ws).abs() < 1e-9 && b.vane_error_deg.is_some());
            // half-open 1 m/s bins around the centre, as the estimator bins
            let n_windows = windows.iter().filter(|w| w.wind_speed_ms >= ws - 0.5 && w.wind_speed_ms < ws + 0.5);
            match own {
                Some(b) => BinVaneError {
                    ws,
                    vane_error_deg: b.vane_error_deg,
                    ci95: b.ci95,
                    extrapolated: false,
                    n_windows: b.n_windows,
                },
                None => BinVaneError {
                    ws,
                    vane_error_deg: interpolate(&points, ws),
                    ci95: None,
                    extrapolated: true,
                    n_windows: n_windows.count(),
                },
            }
        })
        .collect();

    let (mut pn, mut n) = (0.0, 0.0);
    for b in fit.bins.iter().filter(|b| b.vane_error_deg.is_some()) {
        if let Some(p) = b.cos_exponent {
            pn += p * b.n_windows as f64;
            n += b.n_windows as f64;
        }
    }
    let cos_exponent = (n > 0.0).then(|| pn / n);
    let gammas: Vec<(f64, f64)> = windows
        .iter()
        .filter_map(|w| interpolate(&points, w.wind_speed_ms).map(|e| (wrap180(w.vane_deg - e), w.power_kw)))
        .collect();
    let misalignment_deg = (!gammas.is_empty()).then(|| gammas.iter().map(|g| g.0).sum::<f64>() / gammas.len() as f64);
    let energy_loss_pct = cos_exponent.and_then(|p| {
        let total: f64 = gammas.iter().map(|g| g.1.max(0.0)).sum();
        let kept: f64 = gammas.iter().map(|g| g.1.max(0.0) * g.0.to_radians().cos().max(0.0).powf(p)).sum();
        (total > 0.0).then(|| (1.0 - kept / total) * 100.0)
    });
    VaneErrorEstimate {
        turbine: turbine.to_string(),
        method: fit.method.to_string(),
        vane_error_deg: fit.vane_error_deg,
        ci95: fit.ci95,
        bins,
        gain: 0.0,
        cos_exponent,
        misalignment_deg,
        energy_loss_pct,
        north_offset_deg: None,
        north_offset_ci95: None,
        north_offset_jumps: Vec::new(),
        drift_events: Vec::new(),
        model_version: 0,
        n_windows: windows.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_linear_inside_and_flat_outside() {
        let pts = [(4.0, 1.0), (6.0, 3.0)];
        assert_eq!(interpolate(&pts, 5.0), Some(2.0));
        assert_eq!(interpolate(&pts, 3.0), Some(1.0));
        assert_eq!(interpolate(&pts, 9.0), Some(3.0));
        assert_eq!(interpolate(&[], 5.0), None);
    }
}
