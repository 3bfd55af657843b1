//! The vocabulary every layer shares: angles and their wrapping, turbine names, one polled
//! reading with its quality flags, operating states, and the Modbus register map with its codec.
//! Nothing here does I/O.

pub mod angle;
pub mod reading;
pub mod register_map;
pub mod turbine;

pub use angle::{circular_mean_deg, wrap180, wrap360};
pub use reading::{OperatingState, Quality, Reading, Signal};
pub use register_map::RegisterMap;
pub use turbine::TurbineName;
