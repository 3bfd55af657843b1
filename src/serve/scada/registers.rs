//! Encoding of [`ScadaValues`] into the seven input registers of the SCADA server.
//!
//! Rules, the same for every request so a controller can rely on them:
//! - angles are rounded to the nearest 0.01 deg (half away from zero);
//! - a missing value, and a value that is not a finite number, is the generic map's sentinel:
//!   -32768 (0x8000) for i16 registers, 65535 (0xFFFF) for u16 registers;
//! - a value outside its register's range saturates at the nearest valid word and never wraps.
//!   The nearest valid word stops one short of the sentinel (i16 -32767..=32767, u16
//!   0..=65534), so an out-of-range value is never read as missing. The exception is the age
//!   of the latest reading, which saturates at 65535 as specified: 65535 s (18 h) and "no
//!   reading" both mean stale, and register 6 tells them apart (status 1 either way);
//! - the absolute wind direction is a compass bearing, normalised into [0, 360) before encoding
//!   (361 deg is 1 deg, -10 deg is 350 deg, 359.996 deg rounds to 0), so it is always
//!   0..=35999;
//! - the age counts whole seconds elapsed (rounded down), negative ages (clock skew) are 0.

use super::{INPUT_REGISTERS, ScadaValues};

/// Register word for a missing i16 value (-32768).
pub const MISSING_I16: u16 = 0x8000;
/// Register word for a missing u16 value.
pub const MISSING_U16: u16 = 0xFFFF;

/// The seven input registers for `v`, address 0 first. See the module docs for the rules.
pub fn encode(v: &ScadaValues) -> [u16; INPUT_REGISTERS as usize] {
    [
        angle_i16(v.corrected_relative_deg),
        bearing_u16(v.corrected_absolute_deg),
        angle_i16(v.yaw_offset_deg),
        angle_u16(v.ci95_half_width_deg),
        version_u16(v.model_version),
        age_u16(v.reading_age_s),
        v.status as u16,
    ]
}

/// The finite value, or `None` for missing, NaN and infinities.
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Signed angle, 0.01 deg, saturating at ±327.67 deg.
fn angle_i16(deg: Option<f64>) -> u16 {
    match finite(deg) {
        // The clamp keeps the value inside i16 (and off the sentinel), so the cast is exact.
        Some(d) => ((d * 100.0).round().clamp(-32767.0, 32767.0) as i16) as u16,
        None => MISSING_I16,
    }
}

/// Non-negative angle, 0.01 deg, saturating at 0 and 655.34 deg.
fn angle_u16(deg: Option<f64>) -> u16 {
    match finite(deg) {
        Some(d) => (d * 100.0).round().clamp(0.0, 65534.0) as u16,
        None => MISSING_U16,
    }
}

/// Compass bearing, 0.01 deg in 0..=35999.
fn bearing_u16(deg: Option<f64>) -> u16 {
    match finite(deg) {
        // `rem_euclid` is exact for floats; rounding can still reach 36000, which is north.
        Some(d) => ((d.rem_euclid(360.0) * 100.0).round() as u32 % 36000) as u16,
        None => MISSING_U16,
    }
}

fn version_u16(version: Option<i32>) -> u16 {
    match version {
        Some(n) => n.clamp(0, 65534) as u16,
        None => MISSING_U16,
    }
}

/// Whole seconds, saturating at 65535 (see the module docs).
fn age_u16(age_s: Option<f64>) -> u16 {
    match finite(age_s) {
        Some(s) => s.floor().clamp(0.0, 65535.0) as u16,
        None => MISSING_U16,
    }
}

#[cfg(test)]
mod tests {
    use super::super::ScadaStatus;
    use super::*;

    fn values() -> ScadaValues {
        ScadaValues {
            corrected_relative_deg: Some(-3.25),
            corrected_absolute_deg: Some(271.5),
            yaw_offset_deg: Some(4.1),
            ci95_half_width_deg: Some(0.6),
            model_version: Some(7),
            reading_age_s: Some(2.9),
            status: ScadaStatus::Ok,
        }
    }

    fn i16_of(word: u16) -> i16 {
        word as i16
    }

    #[test]
    fn encodes_every_register_in_address_order() {
        assert_eq!(encode(&values()), [(-325i16) as u16, 27150, 410, 60, 7, 2, 0]);
    }

    #[test]
    fn angles_round_to_the_nearest_hundredth_of_a_degree() {
        let at = |deg: f64| i16_of(encode(&ScadaValues { corrected_relative_deg: Some(deg), ..values() })[0]);
        assert_eq!(at(1.234), 123);
        assert_eq!(at(1.236), 124);
        assert_eq!(at(-1.236), -124);
        assert_eq!(at(-0.004), 0);
        assert_eq!(at(179.999), 18000);
        assert_eq!(at(-180.0), -18000);
        let ci = |deg: f64| encode(&ScadaValues { ci95_half_width_deg: Some(deg), ..values() })[3];
        assert_eq!(ci(0.456), 46);
        assert_eq!(ci(0.004), 0);
    }

    #[test]
    fn out_of_range_values_saturate_short_of_the_sentinel() {
        let v = ScadaValues {
            corrected_relative_deg: Some(400.0),
            yaw_offset_deg: Some(-1e9),
            ci95_half_width_deg: Some(1000.0),
            model_version: Some(70_000),
            reading_age_s: Some(1e12),
            ..values()
        };
        let w = encode(&v);
        assert_eq!(i16_of(w[0]), 32767);
        assert_eq!(i16_of(w[2]), -32767, "saturates at -327.67, not at the missing sentinel");
        assert_eq!(w[3], 65534);
        assert_eq!(w[4], 65534);
        assert_eq!(w[5], 65535, "the age saturates at 65535 as specified");
        let low = ScadaValues {
            ci95_half_width_deg: Some(-1.0),
            model_version: Some(-3),
            reading_age_s: Some(-2.0),
            ..values()
        };
        let w = encode(&low);
        assert_eq!((w[3], w[4], w[5]), (0, 0, 0));
    }

    #[test]
    fn the_absolute_direction_is_a_bearing_in_0_to_360() {
        let at = |deg: f64| encode(&ScadaValues { corrected_absolute_deg: Some(deg), ..values() })[1];
        assert_eq!(at(0.0), 0);
        assert_eq!(at(359.99), 35999);
        assert_eq!(at(359.996), 0, "rounds up to north");
        assert_eq!(at(360.0), 0);
        assert_eq!(at(361.0), 100);
        assert_eq!(at(-10.0), 35000);
        assert_eq!(at(-0.001), 0);
    }

    #[test]
    fn missing_and_non_finite_values_are_sentinels() {
        let none = ScadaValues {
            corrected_relative_deg: None,
            corrected_absolute_deg: None,
            yaw_offset_deg: None,
            ci95_half_width_deg: None,
            model_version: None,
            reading_age_s: None,
            status: ScadaStatus::NoModel,
        };
        assert_eq!(encode(&none), [0x8000, 0xFFFF, 0x8000, 0xFFFF, 0xFFFF, 0xFFFF, 2]);
        let nan = ScadaValues {
            corrected_relative_deg: Some(f64::NAN),
            corrected_absolute_deg: Some(f64::INFINITY),
            yaw_offset_deg: Some(f64::NEG_INFINITY),
            ci95_half_width_deg: Some(f64::NAN),
            model_version: None,
            reading_age_s: Some(f64::NAN),
            status: ScadaStatus::Stale,
        };
        assert_eq!(encode(&nan), [0x8000, 0xFFFF, 0x8000, 0xFFFF, 0xFFFF, 0xFFFF, 1]);
    }

    #[test]
    fn status_words_match_the_documented_codes() {
        let code = |status| encode(&ScadaValues { status, ..values() })[6];
        assert_eq!(code(ScadaStatus::Ok), 0);
        assert_eq!(code(ScadaStatus::Stale), 1);
        assert_eq!(code(ScadaStatus::NoModel), 2);
        assert_eq!(code(ScadaStatus::LowConfidence), 3);
    }
}
