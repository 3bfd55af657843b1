//! Small robust statistics shared by the model code: median, median absolute deviation and
//! percentiles of `f64` samples. NaN-free inputs are the caller's job (prep removes them first).

/// Median of `values`, reordering the slice in place. `None` for an empty slice.
pub fn median_in_place(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    Some(if n % 2 == 1 { values[n / 2] } else { 0.5 * (values[n / 2 - 1] + values[n / 2]) })
}

/// Median and raw (unscaled) median absolute deviation of `values`. Raw, not multiplied by
/// 1.4826, because OpenOA's `bin_filter(threshold_type="mad")` uses the raw MAD and our
/// thresholds are quoted in its units.
pub fn median_mad(values: &[f64]) -> Option<(f64, f64)> {
    let mut v = values.to_vec();
    let med = median_in_place(&mut v)?;
    for x in &mut v {
        *x = (*x - med).abs();
    }
    let mad = median_in_place(&mut v)?;
    Some((med, mad))
}

/// The `q`-th percentile (0..=100) with linear interpolation between order statistics (the
/// numpy default, so intervals compare with OpenOA's `np.percentile`). Sorts in place.
pub fn percentile_in_place(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let pos = (q.clamp(0.0, 100.0) / 100.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(values[lo] + (values[hi] - values[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad_of_small_samples_match_hand_values() {
        assert_eq!(median_in_place(&mut []), None);
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_in_place(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        // deviations from 3: 2, 1, 0, 1, 97 -> MAD 1
        assert_eq!(median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some((3.0, 1.0)));
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let mut v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile_in_place(&mut v, 0.0), Some(1.0));
        assert_eq!(percentile_in_place(&mut v, 100.0), Some(5.0));
        assert!((percentile_in_place(&mut v, 2.5).unwrap() - 1.1).abs() < 1e-12);
        assert_eq!(percentile_in_place(&mut v, 50.0), Some(3.0));
    }
}
