//! One polled reading of one turbine, the signals it carries and how trustworthy it is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The signals trueyaw reads from a turbine controller. The serde names are the column and
/// config-key names of `docs/domain.md` (Signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Nacelle anemometer wind speed, m/s.
    #[serde(rename = "wind_speed_ms")]
    WindSpeed,
    /// Relative wind direction from the nacelle vane, degrees in (-180, 180], clockwise positive.
    #[serde(rename = "vane_deg")]
    Vane,
    /// Yaw position sensor: nacelle heading, degrees clockwise from north in [0, 360).
    #[serde(rename = "nacelle_deg")]
    NacellePosition,
    /// Active power, kW.
    #[serde(rename = "power_kw")]
    Power,
    /// Rotor speed, rpm.
    #[serde(rename = "rotor_rpm")]
    RotorSpeed,
    /// Blade pitch angle, degrees.
    #[serde(rename = "pitch_deg")]
    Pitch,
    /// Operating state code, see [`OperatingState`].
    #[serde(rename = "state")]
    State,
}

impl Signal {
    pub const ALL: [Signal; 7] = [
        Signal::WindSpeed,
        Signal::Vane,
        Signal::NacellePosition,
        Signal::Power,
        Signal::RotorSpeed,
        Signal::Pitch,
        Signal::State,
    ];

    /// The name used in config files, the database and the API.
    pub fn name(self) -> &'static str {
        match self {
            Signal::WindSpeed => "wind_speed_ms",
            Signal::Vane => "vane_deg",
            Signal::NacellePosition => "nacelle_deg",
            Signal::Power => "power_kw",
            Signal::RotorSpeed => "rotor_rpm",
            Signal::Pitch => "pitch_deg",
            Signal::State => "state",
        }
    }

    /// The OPC UA field name of `docs/domain.md` (`<turbine>.<Field>`).
    pub fn opcua_field(self) -> &'static str {
        match self {
            Signal::WindSpeed => "WindSpeed",
            Signal::Vane => "Vane",
            Signal::NacellePosition => "NacellePosition",
            Signal::Power => "Power",
            Signal::RotorSpeed => "RotorSpeed",
            Signal::Pitch => "Pitch",
            Signal::State => "State",
        }
    }

    /// Physically plausible range, inclusive. A decoded value outside it is stored as missing
    /// and the row gets [`Quality::OUT_OF_RANGE`]. Register maps may narrow or widen it.
    pub fn default_range(self) -> (f64, f64) {
        match self {
            Signal::WindSpeed => (0.0, 80.0),
            Signal::Vane => (-180.0, 180.0),
            Signal::NacellePosition => (0.0, 360.0),
            Signal::Power => (-1_000.0, 20_000.0),
            Signal::RotorSpeed => (0.0, 60.0),
            Signal::Pitch => (-20.0, 95.0),
            Signal::State => (0.0, 3.0),
        }
    }
}

/// Turbine operating state, as coded in register 7 of the generic map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(i16)]
pub enum OperatingState {
    Stopped = 0,
    Running = 1,
    Curtailed = 2,
    Fault = 3,
}

impl OperatingState {
    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            0 => Some(Self::Stopped),
            1 => Some(Self::Running),
            2 => Some(Self::Curtailed),
            3 => Some(Self::Fault),
            _ => None,
        }
    }
}

/// Quality flags of one reading: a bit set, 0 meaning good. Stored as an integer column.
/// A failed poll still produces a row (all signals missing, flags saying why), so gaps in the
/// record are explained rather than silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quality(pub i32);

impl Quality {
    pub const GOOD: Quality = Quality(0);
    /// The device did not answer within the configured timeout.
    pub const TIMEOUT: Quality = Quality(1);
    /// The device answered with a protocol exception (Modbus exception code, OPC UA bad status).
    pub const DEVICE_EXCEPTION: Quality = Quality(1 << 1);
    /// The answer was short, garbled or not the one asked for.
    pub const BAD_FRAME: Quality = Quality(1 << 2);
    /// No connection could be made or it dropped during the request.
    pub const CONNECTION: Quality = Quality(1 << 3);
    /// At least one value decoded outside its valid range; that value is stored as missing.
    pub const OUT_OF_RANGE: Quality = Quality(1 << 4);
    /// At least one value was reported missing by the device (NaN or the map's sentinel).
    pub const MISSING: Quality = Quality(1 << 5);

    const NAMES: [(Quality, &'static str); 6] = [
        (Quality::TIMEOUT, "timeout"),
        (Quality::DEVICE_EXCEPTION, "device_exception"),
        (Quality::BAD_FRAME, "bad_frame"),
        (Quality::CONNECTION, "connection"),
        (Quality::OUT_OF_RANGE, "out_of_range"),
        (Quality::MISSING, "missing"),
    ];

    pub fn is_good(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, other: Quality) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when the poll itself failed (no values at all), as opposed to some values being
    /// missing or out of range.
    pub fn is_failed_poll(self) -> bool {
        self.0 & (Self::TIMEOUT.0 | Self::DEVICE_EXCEPTION.0 | Self::BAD_FRAME.0 | Self::CONNECTION.0) != 0
    }

    /// Flag names, for logs and the API.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().filter(|(q, _)| self.contains(*q)).map(|(_, n)| *n).collect()
    }
}

impl std::ops::BitOr for Quality {
    type Output = Quality;
    fn bitor(self, rhs: Quality) -> Quality {
        Quality(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Quality {
    fn bitor_assign(&mut self, rhs: Quality) {
        self.0 |= rhs.0;
    }
}

/// One poll of one turbine. `turbine_id` is the database id (see `store::turbines`); values
/// are `None` when missing, out of range or when the poll failed (see `quality`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub turbine_id: i32,
    /// When the request was sent (UTC).
    pub time: DateTime<Utc>,
    pub wind_speed_ms: Option<f32>,
    pub vane_deg: Option<f32>,
    pub nacelle_deg: Option<f32>,
    pub power_kw: Option<f32>,
    pub rotor_rpm: Option<f32>,
    pub pitch_deg: Option<f32>,
    /// Operating state code (0 stopped, 1 running, 2 curtailed, 3 fault).
    pub state: Option<i16>,
    pub quality: Quality,
}

impl Reading {
    /// A row recording a failed poll: every value missing, `quality` saying why.
    pub fn failed(turbine_id: i32, time: DateTime<Utc>, quality: Quality) -> Self {
        Self {
            turbine_id,
            time,
            wind_speed_ms: None,
            vane_deg: None,
            nacelle_deg: None,
            power_kw: None,
            rotor_rpm: None,
            pitch_deg: None,
            state: None,
            quality,
        }
    }

    pub fn get(&self, s: Signal) -> Option<f64> {
        match s {
            Signal::WindSpeed => self.wind_speed_ms.map(f64::from),
            Signal::Vane => self.vane_deg.map(f64::from),
            Signal::NacellePosition => self.nacelle_deg.map(f64::from),
            Signal::Power => self.power_kw.map(f64::from),
            Signal::RotorSpeed => self.rotor_rpm.map(f64::from),
            Signal::Pitch => self.pitch_deg.map(f64::from),
            Signal::State => self.state.map(f64::from),
        }
    }

    /// Sets a signal from a decoded value, after the range check the caller has done.
    pub fn set(&mut self, s: Signal, value: Option<f64>) {
        let f = value.map(|v| v as f32);
        match s {
            Signal::WindSpeed => self.wind_speed_ms = f,
            Signal::Vane => self.vane_deg = f,
            Signal::NacellePosition => self.nacelle_deg = f,
            Signal::Power => self.power_kw = f,
            Signal::RotorSpeed => self.rotor_rpm = f,
            Signal::Pitch => self.pitch_deg = f,
            Signal::State => self.state = value.map(|v| v.round() as i16),
        }
    }

    /// Stores a raw decoded value after checking it against `range`: a NaN becomes missing
    /// ([`Quality::MISSING`]), a value outside the range becomes missing with
    /// [`Quality::OUT_OF_RANGE`]. A vane reading of exactly -180 is folded to +180.
    pub fn set_checked(&mut self, s: Signal, value: Option<f64>, range: (f64, f64)) {
        let v = match value {
            None => {
                self.quality |= Quality::MISSING;
                None
            }
            Some(v) if v.is_nan() => {
                self.quality |= Quality::MISSING;
                None
            }
            Some(v) if !(range.0..=range.1).contains(&v) => {
                self.quality |= Quality::OUT_OF_RANGE;
                None
            }
            Some(v) => Some(match s {
                Signal::Vane => super::wrap180(v),
                Signal::NacellePosition => super::wrap360(v),
                _ => v,
            }),
        };
        self.set(s, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_flags_combine_and_name_themselves() {
        let q = Quality::TIMEOUT | Quality::MISSING;
        assert!(q.contains(Quality::TIMEOUT));
        assert!(!q.contains(Quality::BAD_FRAME));
        assert!(q.is_failed_poll());
        assert_eq!(q.names(), vec!["timeout", "missing"]);
        assert!(!(Quality::OUT_OF_RANGE).is_failed_poll());
    }

    #[test]
    fn checked_values_outside_range_or_nan_become_missing_with_a_flag() {
        let mut r = Reading::failed(1, Utc::now(), Quality::GOOD);
        r.set_checked(Signal::WindSpeed, Some(12.5), Signal::WindSpeed.default_range());
        assert_eq!(r.wind_speed_ms, Some(12.5));
        assert!(r.quality.is_good());
        r.set_checked(Signal::Vane, Some(250.0), Signal::Vane.default_range());
        assert_eq!(r.vane_deg, None);
        assert!(r.quality.contains(Quality::OUT_OF_RANGE));
        r.set_checked(Signal::Power, Some(f64::NAN), Signal::Power.default_range());
        assert!(r.quality.contains(Quality::MISSING));
        r.set_checked(Signal::Vane, Some(-180.0), Signal::Vane.default_range());
        assert_eq!(r.vane_deg, Some(180.0));
        r.set_checked(Signal::NacellePosition, Some(360.0), Signal::NacellePosition.default_range());
        assert_eq!(r.nacelle_deg, Some(0.0));
    }
}
