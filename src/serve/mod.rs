//! Serving corrections: the REST API, the SCADA Modbus server that farm controllers poll, and
//! the guarded write-back of yaw offsets to turbine controllers. Reads models and readings
//! through `store` and `model`; never imports `app`.

pub mod activation;
pub mod api;
pub mod auth;
pub mod dashboard;
pub mod drift_watch;
pub mod http;
pub mod latest;
pub mod live;
pub mod metrics;
pub mod model_cache;
pub mod router;
pub mod scada;
pub mod server;
pub mod state;
pub mod supervisor;
pub mod writeback;

pub use server::Server;
