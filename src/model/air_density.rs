//! Air density from outdoor temperature, to take the seasons out of power before the vane
//! error is read from it.
//!
//! Below rated, power is `½ ρ A Cp v³`: at the same wind speed and pointing, power is
//! proportional to the air density ρ. Over a year ρ moves by several percent (La Haute Borne's
//! 2015 monthly means span 3-23 °C, about 7 % in ρ), and `cos^p` can only lower power, so a
//! model that does not know ρ reads a warm, thin-air season as misalignment, moving e away
//! from the power peak (docs/la-haute-borne.md). Density does not depend on how the rotor points,
//! so it may explain power (`docs/domain.md`, What misalignment moves besides power: only inputs
//! misalignment does not move may).
//!
//! # Assumptions
//! Ideal gas at a constant site pressure, so `ρ ∝ 1 / T` (kelvin); pressure's weather swings
//! (about ±2 %) and humidity (under 1 %) are not in SCADA exports and are left in the noise.
//! IEC 61400-12-1 normalises power curves to a reference density the same way, with measured
//! pressure where a met mast has it.

/// 0 °C in kelvin.
const CELSIUS_ZERO_K: f64 = 273.15;

/// Fewest fraction of windows with a temperature for the correction to be used at all: with
/// fewer, the windows without one (ratio 1) would be a second population the model must fit.
const MIN_FRACTION_WITH_TEMPERATURE: f64 = 0.5;

/// The reference temperature of the correction, kelvin: the mean of the present temperatures,
/// or `None` when fewer than half the windows have one (no correction).
pub fn reference_temp_k(temps_c: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let (mut n, mut present, mut sum) = (0usize, 0usize, 0.0);
    for t in temps_c {
        n += 1;
        if let Some(t) = t.filter(|t| t.is_finite()) {
            present += 1;
            sum += t + CELSIUS_ZERO_K;
        }
    }
    (n > 0 && present as f64 >= MIN_FRACTION_WITH_TEMPERATURE * n as f64).then(|| sum / present as f64)
}

/// Air density relative to the reference, `ρ / ρ_ref = T_ref / T`; 1 where the window has no
/// (finite) temperature.
pub fn density_ratio(temp_c: Option<f64>, reference_k: f64) -> f64 {
    match temp_c.filter(|t| t.is_finite()) {
        Some(t) => reference_k / (t + CELSIUS_ZERO_K),
        None => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colder_air_is_denser_and_a_missing_temperature_is_neutral() {
        let reference = reference_temp_k([Some(10.0), Some(20.0), None]).unwrap();
        assert!((reference - (15.0 + CELSIUS_ZERO_K)).abs() < 1e-9);
        // 3 °C against 23 °C: about 7 % denser, as at La Haute Borne between winter and summer
        let swing = density_ratio(Some(3.0), reference) / density_ratio(Some(23.0), reference);
        assert!((swing - 1.0723).abs() < 1e-3, "{swing}");
        assert_eq!(density_ratio(None, reference), 1.0);
        assert_eq!(density_ratio(Some(f64::NAN), reference), 1.0);
    }

    #[test]
    fn too_few_temperatures_mean_no_correction() {
        assert_eq!(reference_temp_k([Some(10.0), None, None]), None);
        assert_eq!(reference_temp_k(std::iter::empty()), None);
    }
}
