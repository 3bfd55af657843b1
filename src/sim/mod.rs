//! The turbine simulator: virtual turbines with honest physics (wind, yaw control, power
//! curve, a biased and drifting vane), served over real Modbus TCP and OPC UA so the poller,
//! the model and write-back can be tested end to end, with the ground truth written out.
//!
//! The physics loop writes each turbine's [`TurbinePanel`] (what its controller shows the
//! outside world) and reads the commands written to it; the servers only read and write panels.

use std::sync::{Arc, RwLock};

pub mod aero;
pub mod events;
pub mod farm;
pub mod history;
pub mod modbus_server;
pub mod opcua_server;
pub mod physics;
mod runner;
pub mod truth;
pub mod turbine;
pub mod vane;
pub mod weather;
pub mod wind;
pub mod yaw;

/// What one simulated turbine's controller shows at one instant. `None` means the signal is
/// missing (served as the register map's sentinel, or a bad OPC UA status).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurbineOutputs {
    pub wind_speed_ms: Option<f64>,
    pub vane_deg: Option<f64>,
    pub nacelle_deg: Option<f64>,
    pub power_kw: Option<f64>,
    pub rotor_rpm: Option<f64>,
    pub pitch_deg: Option<f64>,
    /// 0 stopped, 1 running, 2 curtailed, 3 fault.
    pub state: u16,
}

impl TurbineOutputs {
    /// The value of one signal (the state code as a number).
    pub fn get(&self, signal: crate::domain::Signal) -> Option<f64> {
        use crate::domain::Signal;
        match signal {
            Signal::WindSpeed => self.wind_speed_ms,
            Signal::Vane => self.vane_deg,
            Signal::NacellePosition => self.nacelle_deg,
            Signal::Power => self.power_kw,
            Signal::RotorSpeed => self.rotor_rpm,
            Signal::Pitch => self.pitch_deg,
            Signal::State => Some(f64::from(self.state)),
        }
    }
}

/// What a farm controller has written to a simulated turbine (holding registers 100, 101).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TurbineCommands {
    /// Yaw offset command, degrees: with correction enabled the yaw controller steers
    /// `vane_deg - yaw_offset_deg` to zero instead of `vane_deg`.
    pub yaw_offset_deg: f64,
    pub correction_enable: bool,
}

/// The controller interface of one simulated turbine, shared by the physics loop and servers.
#[derive(Debug, Default)]
pub struct TurbinePanel {
    pub outputs: RwLock<TurbineOutputs>,
    pub commands: RwLock<TurbineCommands>,
}

/// Panels of the whole farm, index `i` holding turbine `T{i+1:02}`.
pub type Panels = Arc<[TurbinePanel]>;
