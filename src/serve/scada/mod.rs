//! The SCADA Modbus TCP server that farm controllers poll for corrected wind direction.
//!
//! Read-only, one Modbus unit id per turbine. Function 0x04 (read input registers) serves seven
//! registers, 0-based, one 16-bit big-endian word each:
//!
//! | addr | value | type | unit |
//! |---|---|---|---|
//! | 0 | corrected relative wind direction | i16 | 0.01 deg |
//! | 1 | corrected absolute wind direction, clockwise from north | u16 | 0.01 deg, 0..=35999 |
//! | 2 | `yaw_offset_deg` | i16 | 0.01 deg |
//! | 3 | half-width of the 95 % interval of `yaw_offset_deg` | u16 | 0.01 deg |
//! | 4 | active model version | u16 | |
//! | 5 | age of the latest reading | u16 | s, saturating at 65535 |
//! | 6 | status: 0 ok, 1 stale data, 2 no model, 3 low confidence | u16 | |
//!
//! A missing value is sent as the sentinel of the generic register map
//! (`config/registers/generic.toml`): -32768 (0x8000) for i16, 65535 (0xFFFF) for u16. See
//! [`encode`] for rounding and saturation.
//!
//! Exceptions: a unit id the [`ScadaSource`] does not know gets 0x0B GatewayTargetDevice (a
//! controller polling an unconfigured unit learns why at once instead of timing out); any
//! function other than 0x04, writes included, gets 0x01 IllegalFunction; a quantity of 0 or
//! more than 125 gets 0x03 IllegalDataValue; a range reaching past register 6 gets 0x02
//! IllegalDataAddress. Checks run in that order (unit, function, quantity, address), the order
//! of the Modbus application protocol's state diagram.
//!
//! Frames tokio-modbus 0.17 cannot decode (wrong protocol id, zero length field, a known
//! function's PDU of the wrong size, a function code of 0x80 or above) cannot be answered with
//! an exception: its codec ends that one connection. Other connections are separate tasks
//! and are not affected.
//!
//! Layout: [`registers`] encodes values into words, [`service`] answers one request,
//! [`server`] accepts connections and shuts down. Values come from a [`ScadaSource`] the
//! application implements over its model cache and latest readings.

pub mod registers;
pub mod server;
pub mod service;

pub use registers::encode;
pub use server::{ScadaLimits, ScadaServer};
pub use service::ScadaService;

/// Number of input registers served (addresses 0 to 6).
pub const INPUT_REGISTERS: u16 = 7;

/// The default address of the SCADA server: loopback, port 5020 (an unprivileged stand-in for
/// the Modbus port 502). Expose it beyond the host deliberately, through configuration.
pub const DEFAULT_ADDR: std::net::SocketAddr =
    std::net::SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 5020));

/// Register 6: whether a controller should trust the other registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ScadaStatus {
    /// Fresh readings and an active model with an acceptable interval.
    Ok = 0,
    /// The latest reading is too old to correct the current wind direction.
    Stale = 1,
    /// The turbine has no active model: there is nothing to correct with.
    NoModel = 2,
    /// A model is active but its 95 % interval is too wide to rely on.
    LowConfidence = 3,
}

/// What the server answers for one unit at the moment of the request. Angles in degrees,
/// conventions of `docs/domain.md`. `None` is sent as the register's missing sentinel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScadaValues {
    /// Corrected relative wind direction, deg, clockwise positive.
    pub corrected_relative_deg: Option<f64>,
    /// Corrected absolute wind direction, deg clockwise from north.
    pub corrected_absolute_deg: Option<f64>,
    /// The yaw offset a controller subtracts from its vane reading, deg.
    pub yaw_offset_deg: Option<f64>,
    /// Half-width of the 95 % interval of `yaw_offset_deg`, deg.
    pub ci95_half_width_deg: Option<f64>,
    /// Version of the active model.
    pub model_version: Option<i32>,
    /// Age of the latest reading, s.
    pub reading_age_s: Option<f64>,
    /// Overall status for the controller.
    pub status: ScadaStatus,
}

/// Where values come from. Called on every request, from the connection's task: it must be
/// cheap and never block on I/O (read a cache the application keeps up to date).
pub trait ScadaSource: Send + Sync + 'static {
    /// The values of `unit_id` now, or `None` when no turbine is configured on that unit id.
    fn values(&self, unit_id: u8) -> Option<ScadaValues>;
}
