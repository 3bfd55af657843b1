//! How much independent evidence a turbine's windows carry at the scale of a drift block, so
//! the drift penalty can ask weather-correlated data for as much evidence as independent data.
//!
//! # Why
//! A drift step between blocks is fitted when the gradient of the performance MSE at that
//! boundary, `(2/N) Σ r_i g_i` over the windows after it, outweighs the L1 penalty. With
//! independent windows that gradient's noise is `∝ σ √(n/N)`; when power departs from the curve
//! for days at a time (atmospheric stability, turbulence, icing, a season's density), the sum
//! of a block's residuals has `VIF` times the variance independent windows would give it, and
//! its noise grows by `√VIF`. A penalty set for independent windows then buys a step for every
//! odd week of weather. Scaling the penalty by `√VIF` keeps the false-step rate of the
//! independent case ([`crate::model::neural::NeuralConfig::evidence_scaled_drift`]).
//!
//! # Steps
//! 1. Residual of each window against a model-free power curve: performance target over the
//!    median target of its 0.5 m/s wind-speed bin, minus 1. No vane angle, no network: the
//!    measurement must not depend on the fit it is there to regularise.
//! 2. Mean residual per regular drift block (`block_days` from the first window; change-point
//!    blocks are too short to measure with), standardised by `σ / √n` of its own window count
//!    `n`: under independence each is a unit normal.
//! 3. `VIF` = the variance of those standardised means, estimated robustly from the differences
//!    of consecutive blocks (`(1.4826 · MAD)² / 2`), so a real level step or a slow season moves
//!    one difference or none and not the estimate. Floored at 1.
//!
//! # Assumptions
//! Consecutive blocks' weather is nearly independent (a correlation ρ between neighbouring
//! blocks lowers the estimate by `1 − ρ`); vane drift moves performance much less than weather
//! does at the block scale (a 3 deg step near the peak changes performance by under 1 %).

use super::data::Normalizer;
use crate::model::prep::OperatingWindow;
use crate::model::stats::median_in_place;

/// Width of the wind-speed bins of the model-free power curve, m/s.
const CURVE_BIN_MS: f64 = 0.5;
/// Fewest windows a wind-speed bin needs to have a median; windows of thinner bins are left out.
const MIN_BIN_WINDOWS: usize = 20;
/// A block counts when it has at least this fraction of the median block's windows.
const MIN_BLOCK_FRACTION: f64 = 0.25;
/// Fewest consecutive-block differences to estimate from; fewer give 1 (no scaling).
const MIN_DIFFERENCES: usize = 8;

/// Variance inflation of drift-block mean residuals over independent windows, ≥ 1 (module docs).
pub fn block_variance_inflation(w: &[OperatingWindow], norm: &Normalizer) -> f64 {
    let bin = |x: &OperatingWindow| (x.wind_speed_ms / CURVE_BIN_MS).floor() as i64;
    let mut by_bin: std::collections::HashMap<i64, Vec<f64>> = std::collections::HashMap::new();
    for x in w {
        by_bin.entry(bin(x)).or_default().push(f64::from(norm.performance(x)));
    }
    let curve: std::collections::HashMap<i64, f64> = by_bin
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_BIN_WINDOWS)
        .filter_map(|(k, mut v)| median_in_place(&mut v).filter(|m| *m > 0.0).map(|m| (k, m)))
        .collect();
    let block_len_s = norm.block_days * 86_400.0;
    let mut blocks: std::collections::BTreeMap<i64, (f64, usize)> = std::collections::BTreeMap::new();
    let mut residuals = Vec::with_capacity(w.len());
    for x in w {
        let Some(m) = curve.get(&bin(x)) else { continue };
        let r = f64::from(norm.performance(x)) / m - 1.0;
        if !r.is_finite() {
            continue;
        }
        residuals.push(r);
        let block = ((x.time - norm.t0).num_seconds() as f64 / block_len_s).floor() as i64;
        let slot = blocks.entry(block).or_insert((0.0, 0));
        slot.0 += r;
        slot.1 += 1;
    }
    let n = residuals.len() as f64;
    if n < 2.0 {
        return 1.0;
    }
    let mean = residuals.iter().sum::<f64>() / n;
    let sd = (residuals.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let mut counts: Vec<f64> = blocks.values().map(|(_, c)| *c as f64).collect();
    let Some(typical) = median_in_place(&mut counts) else { return 1.0 };
    let z: Vec<(i64, f64)> = blocks
        .iter()
        .filter(|(_, (_, c))| *c as f64 >= MIN_BLOCK_FRACTION * typical && *c >= 2)
        .map(|(b, (s, c))| (*b, (s / *c as f64 - mean) * (*c as f64).sqrt() / sd))
        .collect();
    let mut diffs: Vec<f64> = z.windows(2).filter(|p| p[1].0 == p[0].0 + 1).map(|p| p[1].1 - p[0].1).collect();
    if diffs.len() < MIN_DIFFERENCES || sd <= 0.0 {
        return 1.0;
    }
    let centre = median_in_place(&mut diffs.clone()).unwrap_or(0.0);
    for d in &mut diffs {
        *d = (*d - centre).abs();
    }
    let mad = median_in_place(&mut diffs).unwrap_or(0.0);
    ((1.4826 * mad).powi(2) / 2.0).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};

    /// A year of 10-minute windows on a cubic curve whose performance carries `noise(i)`.
    fn year(mut noise: impl FnMut(usize) -> f64) -> Vec<OperatingWindow> {
        let t0 = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let mut rng = StdRng::seed_from_u64(7);
        (0..52_560)
            .map(|i| {
                let ws: f64 = rng.random_range(4.0..11.0);
                let power_kw = 2000.0 * (ws / 12.0).powi(3) * (1.0 + noise(i));
                OperatingWindow {
                    time: t0 + Duration::minutes(10 * i as i64),
                    wind_speed_ms: ws,
                    vane_deg: 0.0,
                    power_kw,
                    rotor_rpm: None,
                    pitch_deg: None,
                    nacelle_deg: None,
                    reference_power_kw: None,
                    outdoor_temp_c: None,
                }
            })
            .collect()
    }

    fn inflation(w: &[OperatingWindow]) -> f64 {
        block_variance_inflation(w, &Normalizer::fit(w, 7.0, &[], false))
    }

    #[test]
    fn independent_windows_carry_no_inflation_and_weather_that_lasts_days_does() {
        let mut rng = StdRng::seed_from_u64(1);
        let white = Normal::new(0.0, 0.05).unwrap();
        let independent = inflation(&year(|_| white.sample(&mut rng)));
        assert!(independent < 2.0, "independent windows: {independent}");

        // AR(1) with a 2-day memory at the same marginal spread: weather that lasts days
        let rho: f64 = (-1.0 / 288.0_f64).exp();
        let innovation = Normal::new(0.0, 0.05 * (1.0 - rho * rho).sqrt()).unwrap();
        let mut rng = StdRng::seed_from_u64(2);
        let mut state = 0.0;
        let lasting = inflation(&year(|_| {
            state = rho * state + innovation.sample(&mut rng);
            state
        }));
        // block of 1008 windows, memory 288: VIF ≈ 2 · 288 · (1 − ~0.14) ≈ 500
        assert!(lasting > 100.0, "two-day weather: {lasting}");
    }

    #[test]
    fn a_level_step_does_not_count_as_correlated_evidence() {
        let mut rng = StdRng::seed_from_u64(3);
        let white = Normal::new(0.0, 0.05).unwrap();
        let stepped = inflation(&year(|i| white.sample(&mut rng) + if i > 26_000 { -0.03 } else { 0.0 }));
        assert!(stepped < 2.0, "a step of 3 % of performance at mid-year: {stepped}");
    }
}
