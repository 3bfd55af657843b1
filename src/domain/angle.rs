//! Angle arithmetic in degrees, with the wrapping conventions of `docs/domain.md`:
//! relative angles (vane, misalignment) live in (-180, 180], headings in [0, 360).

/// Wraps an angle into (-180, 180], the range of `vane_deg` and of yaw misalignment.
pub fn wrap180(deg: f64) -> f64 {
    let w = deg.rem_euclid(360.0); // [0, 360)
    if w > 180.0 { w - 360.0 } else { w }
}

/// Wraps an angle into [0, 360), the range of `nacelle_deg` and absolute wind direction.
pub fn wrap360(deg: f64) -> f64 {
    let w = deg.rem_euclid(360.0);
    // rem_euclid can return 360.0 for tiny negative inputs because of rounding.
    if w >= 360.0 { 0.0 } else { w }
}

/// Circular mean of angles in degrees, in [0, 360), with the mean resultant length R in [0, 1].
/// Returns `None` for an empty input or when the angles cancel out (R below 1e-9), where no
/// direction is meaningful. Arithmetic means of headings fail across north (359 and 1 average
/// to 180); this does not.
pub fn circular_mean_deg(angles: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut s, mut c, mut n) = (0.0_f64, 0.0_f64, 0usize);
    for a in angles {
        let r = a.to_radians();
        s += r.sin();
        c += r.cos();
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let r_len = (s * s + c * c).sqrt() / n as f64;
    if r_len < 1e-9 {
        return None;
    }
    Some((wrap360(s.atan2(c).to_degrees()), r_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap180_keeps_plus_180_and_maps_minus_180_to_plus_180() {
        assert_eq!(wrap180(180.0), 180.0);
        assert_eq!(wrap180(-180.0), 180.0);
        assert!((wrap180(190.0) + 170.0).abs() < 1e-12);
        assert!((wrap180(-190.0) - 170.0).abs() < 1e-12);
        assert_eq!(wrap180(0.0), 0.0);
    }

    #[test]
    fn wrap360_maps_into_zero_to_360() {
        assert_eq!(wrap360(360.0), 0.0);
        assert!((wrap360(-1.0) - 359.0).abs() < 1e-12);
        assert!((wrap360(725.0) - 5.0).abs() < 1e-12);
        assert!(wrap360(-1e-17) < 360.0);
    }

    #[test]
    fn circular_mean_averages_across_north() {
        let (m, r) = circular_mean_deg([359.0, 1.0]).unwrap();
        assert!(m < 1e-9 || (360.0 - m) < 1e-9, "mean was {m}");
        assert!(r > 0.99);
        assert!(circular_mean_deg([0.0, 180.0]).is_none());
        assert!(circular_mean_deg(std::iter::empty()).is_none());
    }
}
