//! Synthetic 10-minute windows for the model tests, drawn straight from the vane model of
//! `docs/domain.md` (not from the simulator, which sits above this layer): the controller keeps the
//! window-mean vane reading wandering around zero inside its dead band, so the true misalignment is
//! γ = (v − e)/(1 + k) with v ~ N(0, dead band); the vane reads (1 + k)γ + e + noise; power is
//! (ρ/ρ_ref)·P(ws)·cos^p(γ) capped at rated, with multiplicative noise; the nacelle anemometer may
//! read more behind a yawed rotor (`Synth::anemometer_yaw_gain`). Below rated the rotor speed
//! settles where aerodynamic torque meets the generator's torque curve: along the optimal tip-speed
//! ratio it follows the cube root of the aerodynamic power, so a yawed rotor (or thinner air) turns
//! slower, as a real variable-speed rotor does (`docs/domain.md`, What misalignment moves besides
//! power).

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Weibull};

use super::prep::OperatingWindow;

/// Rated power of the synthetic turbine, kW.
pub const RATED_KW: f64 = 2000.0;

/// A synthetic turbine: vane error as a function of true wind speed, and the model constants.
pub struct Synth<E: Fn(f64) -> f64> {
    pub vane_error: E,
    /// Vane gain error k.
    pub gain_k: f64,
    /// Power-loss exponent p.
    pub cos_p: f64,
    /// Spread of the window-mean vane reading the dead band allows, degrees (1 sd).
    pub dead_band_sd_deg: f64,
    /// Vane measurement noise of a window mean, degrees (1 sd).
    pub vane_noise_deg: f64,
    /// Multiplicative power noise (1 sd).
    pub power_noise: f64,
    /// Outdoor temperature: annual mean and amplitude (deg C, coldest on 1 January); `None`:
    /// constant reference density and no temperature recorded.
    pub seasons: Option<(f64, f64)>,
    /// Yaw sensitivity a of the nacelle anemometer: it reads `ws · (1 + a sin²γ)` (0: unmoved).
    pub anemometer_yaw_gain: f64,
}

impl<E: Fn(f64) -> f64> Synth<E> {
    pub fn new(vane_error: E) -> Self {
        Self {
            vane_error,
            gain_k: 0.05,
            cos_p: 2.0,
            dead_band_sd_deg: 6.0,
            vane_noise_deg: 1.0,
            power_noise: 0.03,
            seasons: None,
            anemometer_yaw_gain: 0.0,
        }
    }

    /// `n` consecutive 10-minute windows from 2025-01-01, Weibull(8 m/s, 2) winds.
    pub fn windows(&self, seed: u64, n: usize) -> Vec<OperatingWindow> {
        let mut rng = StdRng::seed_from_u64(seed);
        let wind = Weibull::new(8.0, 2.0).expect("valid Weibull");
        let std = Normal::new(0.0, 1.0).expect("valid normal");
        let t0 = DateTime::<Utc>::from_timestamp(1_735_689_600, 0).expect("valid time");
        (0..n)
            .map(|i| {
                let ws: f64 = wind.sample(&mut rng);
                let e = (self.vane_error)(ws);
                let v: f64 = self.dead_band_sd_deg * std.sample(&mut rng);
                let gamma = (v - e) / (1.0 + self.gain_k);
                let vane = (1.0 + self.gain_k) * gamma + e + self.vane_noise_deg * std.sample(&mut rng);
                let time = t0 + Duration::minutes(10 * i as i64);
                let temp_c = self.seasons.map(|(mean, amplitude)| {
                    let year = (time - t0).num_minutes() as f64 / (365.0 * 1440.0);
                    mean - amplitude * (std::f64::consts::TAU * year).cos()
                });
                let density = temp_c.map_or(1.0, |t| (REFERENCE_TEMP_C + 273.15) / (t + 273.15));
                let aero = density * available_kw(ws) * gamma.to_radians().cos().powf(self.cos_p);
                let producing = aero > 0.0;
                let power = aero.min(RATED_KW) * (1.0 + self.power_noise * std.sample(&mut rng));
                let pitch = if aero > RATED_KW { 1.0 + 2.0 * (ws - 11.0).max(0.0) } else { 0.0 };
                OperatingWindow {
                    time,
                    wind_speed_ms: (ws * (1.0 + self.anemometer_yaw_gain * gamma.to_radians().sin().powi(2))
                        + 0.1 * std.sample(&mut rng))
                    .max(0.0),
                    vane_deg: vane,
                    power_kw: if producing { power } else { 0.0 },
                    rotor_rpm: Some(if producing { torque_balance_rpm(aero) } else { 0.0 }),
                    pitch_deg: Some(if producing { pitch } else { 88.0 }),
                    nacelle_deg: Some(rng.random_range(0.0..360.0)),
                    reference_power_kw: None,
                    outdoor_temp_c: temp_c,
                }
            })
            .collect()
    }
}

/// Temperature of the reference air density (ISO sea-level atmosphere), deg C.
const REFERENCE_TEMP_C: f64 = 15.0;

/// Rotor speed where aerodynamic torque meets the optimal-tip-speed-ratio generator curve
/// `T = k ω²`: `P = k ω³`, so ω follows the cube root of the aerodynamic power (6 rpm at cut-in
/// to 15 rpm, then held at 15 rpm while power rises to rated).
pub fn torque_balance_rpm(aero_kw: f64) -> f64 {
    (15.0 * (aero_kw.max(0.0) / available_kw(10.0)).cbrt()).clamp(6.0, 15.0)
}

/// Aerodynamic power before the rated cap: cubic from cut-in 3 m/s to 12 m/s, zero outside
/// 3-25 m/s.
pub fn available_kw(ws: f64) -> f64 {
    if !(3.0..=25.0).contains(&ws) {
        return 0.0;
    }
    RATED_KW * (ws.powi(3) - 27.0) / (12.0_f64.powi(3) - 27.0)
}
