//! Outdoor temperature and the air density it gives, farm-wide.
//!
//! # Model
//! - Temperature: a yearly cosine (coldest on [`Seasons::coldest_day`] after the start of the
//!   run), a daily cosine (coldest at 05:00 of the run's clock), and a synoptic part (weather
//!   systems passing over days): three sinusoids of 3.1, 5.3 and 8.9 days with phases from the
//!   seed. Deterministic in simulated time, so the history writer and the physics agree without
//!   sharing state.
//! - Air density at a constant site pressure is inversely proportional to absolute temperature
//!   (ideal gas); the rotor's tables are for the ISO 1.225 kg/m^3 at 15 deg C, so the density
//!   ratio is `288.15 K / T`. Power below rated is proportional to density, so a cold winter
//!   against a warm summer (20 K apart) moves power by about 7 %.
//! - Atmospheric stability: at the same hub-height wind speed, a stable night (strong shear
//!   and veer across the rotor) and a convective afternoon give different power; field power
//!   curves split by stability differ by several percent (Wharton and Lundquist 2012,
//!   Environ. Res. Lett. 7 014005). SCADA has no stability signal, so this is power no input
//!   explains: a factor `1 + s` with s a daily cosine, stronger in summer, plus slow weather
//!   (sinusoids of 4.3 and 11.7 days), scaled to [`Seasons::stability_power_pct`].

use serde::{Deserialize, Serialize};

/// ISO standard atmosphere temperature the rotor's power tables assume, deg C.
pub const ISO_TEMP_C: f64 = 15.0;
const KELVIN: f64 = 273.15;
const YEAR_S: f64 = 365.25 * 86_400.0;
const SYNOPTIC_PERIODS_DAYS: [f64; 3] = [3.1, 5.3, 8.9];

/// Shape of the temperature over a run. [`Seasons::NONE`] keeps it at the ISO 15 deg C, so the
/// air density never changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Seasons {
    /// Yearly mean, deg C.
    pub mean_c: f64,
    /// Half the summer-to-winter swing of the daily mean, deg C.
    pub annual_amplitude_c: f64,
    /// Half the day-to-night swing, deg C.
    pub diurnal_amplitude_c: f64,
    /// Amplitude of each synoptic sinusoid, deg C.
    pub synoptic_amplitude_c: f64,
    /// Day of the run (from second 0) with the coldest yearly mean.
    pub coldest_day: f64,
    /// Amplitude of the power change with atmospheric stability, percent.
    #[serde(default)]
    pub stability_power_pct: f64,
}

impl Seasons {
    /// Constant ISO temperature: the air density of the rotor's tables all year.
    pub const NONE: Self = Self {
        mean_c: ISO_TEMP_C,
        annual_amplitude_c: 0.0,
        diurnal_amplitude_c: 0.0,
        synoptic_amplitude_c: 0.0,
        coldest_day: 0.0,
        stability_power_pct: 0.0,
    };

    /// A temperate inland site: 10 deg C mean, +-9 deg C over the year, +-4 over the day, a few
    /// degrees of passing weather, coldest on day 20 (late January for a run starting 1 January),
    /// and power moving by up to about 3 % with atmospheric stability.
    pub const TEMPERATE: Self = Self {
        mean_c: 10.0,
        annual_amplitude_c: 9.0,
        diurnal_amplitude_c: 4.0,
        synoptic_amplitude_c: 1.5,
        coldest_day: 20.0,
        stability_power_pct: 3.0,
    };
}

impl Default for Seasons {
    fn default() -> Self {
        Self::NONE
    }
}

/// The farm's weather over simulated time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weather {
    seasons: Seasons,
    /// Phases of the synoptic sinusoids, radians.
    phases: [f64; 3],
}

impl Weather {
    /// Weather of `seasons` with synoptic phases drawn from `seed`.
    pub fn new(seed: u64, seasons: Seasons) -> Self {
        let mut x = seed ^ 0x5EA5_0115;
        let phases = std::array::from_fn(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU
        });
        Self { seasons, phases }
    }

    /// Outdoor temperature at simulated second `t_s`, deg C.
    pub fn temp_c(&self, t_s: f64) -> f64 {
        let s = &self.seasons;
        let tau = std::f64::consts::TAU;
        let yearly = -(tau * (t_s - s.coldest_day * 86_400.0) / YEAR_S).cos();
        let daily = -(tau * (t_s - 5.0 * 3600.0) / 86_400.0).cos();
        let synoptic: f64 = SYNOPTIC_PERIODS_DAYS
            .iter()
            .zip(self.phases)
            .map(|(days, phase)| (tau * t_s / (days * 86_400.0) + phase).sin())
            .sum();
        s.mean_c + s.annual_amplitude_c * yearly + s.diurnal_amplitude_c * daily + s.synoptic_amplitude_c * synoptic
    }

    /// Power at simulated second `t_s` over the power of the rotor's tables in the same wind and
    /// air density: the stability factor `1 + s`.
    pub fn stability_factor(&self, t_s: f64) -> f64 {
        let s = &self.seasons;
        if s.stability_power_pct == 0.0 {
            return 1.0;
        }
        let tau = std::f64::consts::TAU;
        // Stable nights make more power at the same hub wind here, convective afternoons less;
        // the daily swing is twice as strong at midsummer as at midwinter.
        let summer = 0.75 - 0.25 * (tau * (t_s - s.coldest_day * 86_400.0) / YEAR_S).cos();
        let daily = (tau * (t_s - 3.0 * 3600.0) / 86_400.0).cos() * summer;
        let slow = 0.5 * (tau * t_s / (4.3 * 86_400.0) + self.phases[0]).sin()
            + 0.5 * (tau * t_s / (11.7 * 86_400.0) + self.phases[1]).sin();
        1.0 + s.stability_power_pct / 100.0 * (0.7 * daily + 0.3 * slow)
    }

    /// Air density over the ISO density of the rotor's tables at simulated second `t_s`.
    pub fn density_ratio(&self, t_s: f64) -> f64 {
        (ISO_TEMP_C + KELVIN) / (self.temp_c(t_s) + KELVIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_seasons_is_iso_air_all_year() {
        let w = Weather::new(7, Seasons::NONE);
        for t in [0.0, 1e6, 2e7, 3e7] {
            assert_eq!(w.temp_c(t), ISO_TEMP_C);
            assert_eq!(w.density_ratio(t), 1.0);
            assert_eq!(w.stability_factor(t), 1.0);
        }
    }

    #[test]
    fn stability_moves_power_by_a_few_percent_and_more_by_night_than_by_day() {
        let w = Weather::new(3, Seasons::TEMPERATE);
        let f: Vec<f64> = (0..365 * 24).map(|h| w.stability_factor(f64::from(h) * 3600.0)).collect();
        let (lo, hi) = f.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(lo > 0.96 && hi < 1.04 && hi - lo > 0.03, "stability factor {lo:.3}..{hi:.3}");
        let at = |day: f64, hour: f64| w.stability_factor(day * 86_400.0 + hour * 3600.0);
        assert!(at(200.0, 3.0) > at(200.0, 15.0), "a summer night beats the afternoon");
    }

    #[test]
    fn a_temperate_year_is_cold_in_winter_warm_in_summer_and_moves_density_by_several_percent() {
        let w = Weather::new(7, Seasons::TEMPERATE);
        let day_mean = |day: f64| (0..24).map(|h| w.temp_c(day * 86_400.0 + f64::from(h) * 3600.0)).sum::<f64>() / 24.0;
        let (winter, summer) = (day_mean(20.0), day_mean(202.0));
        assert!(winter < 4.0 && summer > 16.0, "winter {winter:.1}, summer {summer:.1}");
        let density = |day: f64| (0..24).map(|h| w.density_ratio(day * 86_400.0 + f64::from(h) * 3600.0)).sum::<f64>();
        let ratio = density(20.0) / density(202.0);
        assert!(ratio > 1.04 && ratio < 1.10, "winter air over summer air {ratio:.3}");
        assert!(
            w.temp_c(5.0 * 3600.0 + 20.0 * 86_400.0) < w.temp_c(17.0 * 3600.0 + 20.0 * 86_400.0),
            "nights are colder"
        );
    }
}
