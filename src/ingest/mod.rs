//! Getting readings in: device sources (Modbus TCP, OPC UA), the poller that schedules them,
//! and the writer that batches readings into PostgreSQL, spooling to disk while it is away.

pub mod health;
pub mod modbus;
pub mod opcua;
pub mod poller;
pub mod spool;
pub mod writer;
