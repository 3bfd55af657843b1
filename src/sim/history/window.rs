//! One turbine's window aggregate, the way a SCADA historian builds its 10-minute records from
//! the controller's 1 Hz values: arithmetic means of the linear signals, circular means of the
//! angles, each over the seconds the signal was present, plus the share of seconds in each
//! operating state. Adding a sample is a handful of additions and two `sin_cos`; nothing
//! allocates.

use crate::domain::{wrap180, wrap360};
use crate::sim::TurbineOutputs;

/// Running sum of a linear signal over the seconds it was present.
#[derive(Debug, Clone, Copy, Default)]
struct Linear {
    sum: f64,
    n: u32,
}

impl Linear {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            self.sum += v;
            self.n += 1;
        }
    }

    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }
}

/// Running sum of unit vectors of an angle over the seconds it was present.
#[derive(Debug, Clone, Copy, Default)]
struct Circular {
    sin: f64,
    cos: f64,
    n: u32,
}

impl Circular {
    fn add(&mut self, deg: Option<f64>) {
        if let Some(deg) = deg {
            let (s, c) = deg.to_radians().sin_cos();
            self.sin += s;
            self.cos += c;
            self.n += 1;
        }
    }

    /// Mean direction in degrees (unwrapped), or `None` if no sample was present or the samples
    /// cancel out (no direction is meaningful then).
    fn mean(&self) -> Option<f64> {
        let resultant = self.sin.hypot(self.cos);
        (self.n > 0 && resultant >= 1e-9 * f64::from(self.n)).then(|| self.sin.atan2(self.cos).to_degrees())
    }
}

/// What one turbine's window record holds. `None` is an empty CSV cell: the signal was missing
/// for the whole window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WindowRecord {
    /// Mean nacelle anemometer wind speed, m/s.
    pub wind_speed_ms: Option<f64>,
    /// Circular mean of the vane reading, deg in (-180, 180].
    pub vane_deg: Option<f64>,
    /// Circular mean of the yaw position sensor, deg in [0, 360).
    pub nacelle_deg: Option<f64>,
    /// Mean active power, kW (about 0 over stops and faults, as reported).
    pub power_kw: Option<f64>,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
    /// Population standard deviation of the 1 Hz wind speed, m/s (turbulence; filters use it).
    pub wind_speed_std: Option<f64>,
    /// Share of the window's seconds in state 1 (running) or 2 (curtailed): the turbine was
    /// producing under its own control.
    pub state_running_fraction: f64,
    /// Share of seconds in state 2 (a farm power cap was active).
    pub state_curtailed_fraction: f64,
    /// Share of seconds in state 3 (fault).
    pub state_fault_fraction: f64,
    /// Mean outdoor temperature, deg C (farm-wide; set by the history writer, not the
    /// accumulator, since the controller's outputs do not carry it).
    pub outdoor_temp_c: Option<f64>,
}

/// Accumulates one turbine's 1 Hz outputs over one window; [`WindowAccumulator::take`] yields the
/// record and starts the next window.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowAccumulator {
    wind_speed: Linear,
    wind_speed_sq: f64,
    vane: Circular,
    nacelle: Circular,
    power: Linear,
    rotor: Linear,
    pitch: Linear,
    seconds: u32,
    running: u32,
    curtailed: u32,
    fault: u32,
}

impl WindowAccumulator {
    /// Adds one second of what the controller reported.
    pub fn add(&mut self, o: &TurbineOutputs) {
        self.wind_speed.add(o.wind_speed_ms);
        self.wind_speed_sq += o.wind_speed_ms.map_or(0.0, |v| v * v);
        self.vane.add(o.vane_deg);
        self.nacelle.add(o.nacelle_deg);
        self.power.add(o.power_kw);
        self.rotor.add(o.rotor_rpm);
        self.pitch.add(o.pitch_deg);
        self.seconds += 1;
        self.running += u32::from(matches!(o.state, 1 | 2));
        self.curtailed += u32::from(o.state == 2);
        self.fault += u32::from(o.state == 3);
    }

    /// The record of the window so far, resetting the accumulator for the next window.
    pub fn take(&mut self) -> WindowRecord {
        let a = std::mem::take(self);
        let share = |k: u32| if a.seconds == 0 { 0.0 } else { f64::from(k) / f64::from(a.seconds) };
        let ws_mean = a.wind_speed.mean();
        WindowRecord {
            wind_speed_ms: ws_mean,
            vane_deg: a.vane.mean().map(wrap180),
            nacelle_deg: a.nacelle.mean().map(wrap360),
            power_kw: a.power.mean(),
            rotor_rpm: a.rotor.mean(),
            pitch_deg: a.pitch.mean(),
            // E[x^2] - E[x]^2 can dip below 0 by rounding when the wind is perfectly steady.
            wind_speed_std: ws_mean.map(|m| (a.wind_speed_sq / f64::from(a.wind_speed.n) - m * m).max(0.0).sqrt()),
            state_running_fraction: share(a.running),
            state_curtailed_fraction: share(a.curtailed),
            state_fault_fraction: share(a.fault),
            outdoor_temp_c: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vane(deg: f64) -> TurbineOutputs {
        TurbineOutputs { vane_deg: Some(deg), nacelle_deg: Some(wrap360(deg)), ..Default::default() }
    }

    #[test]
    fn the_circular_mean_across_plus_minus_180_stays_at_180() {
        let mut acc = WindowAccumulator::default();
        for d in [179.0, -179.0, 178.0, -178.0] {
            acc.add(&vane(d));
        }
        let r = acc.take();
        let v = r.vane_deg.unwrap();
        assert!((v - 180.0).abs() < 1e-9 || v == 180.0, "vane mean {v}");
        assert!(v > -180.0 && v <= 180.0);
        let n = r.nacelle_deg.unwrap();
        assert!((n - 180.0).abs() < 1e-9, "nacelle mean {n}");
    }

    #[test]
    fn the_nacelle_mean_across_north_is_near_0_not_180() {
        let mut acc = WindowAccumulator::default();
        for d in [358.0, 359.0, 1.0, 2.0, 0.5] {
            acc.add(&TurbineOutputs { nacelle_deg: Some(d), ..Default::default() });
        }
        let n = acc.take().nacelle_deg.unwrap();
        assert!((0.0..360.0).contains(&n));
        // The arithmetic mean of the unwrapped angles is 0.1; the circular mean differs by 3e-5.
        assert!(wrap180(n - 0.1).abs() < 1e-3, "nacelle mean {n}");
    }

    #[test]
    fn means_skip_missing_seconds_and_an_all_missing_signal_is_none() {
        let mut acc = WindowAccumulator::default();
        let mk = |ws: Option<f64>, state| TurbineOutputs {
            wind_speed_ms: ws,
            power_kw: Some(0.0),
            state,
            ..Default::default()
        };
        acc.add(&mk(Some(4.0), 1));
        acc.add(&mk(None, 3));
        acc.add(&mk(Some(6.0), 2));
        acc.add(&mk(None, 0));
        let r = acc.take();
        assert_eq!(r.wind_speed_ms, Some(5.0));
        assert!((r.wind_speed_std.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(r.power_kw, Some(0.0));
        assert_eq!((r.vane_deg, r.rotor_rpm), (None, None));
        assert_eq!(r.state_running_fraction, 0.5);
        assert_eq!(r.state_curtailed_fraction, 0.25);
        assert_eq!(r.state_fault_fraction, 0.25);
        assert_eq!(acc.take(), WindowRecord::default(), "take starts a fresh window");
    }
}
