//! Getting readings in: device sources (Modbus TCP, OPC UA), the poller that schedules them,
//! and the writer that batches readings into PostgreSQL, spooling to disk while it is away.

pub mod health;
pub mod import;
pub mod modbus;
pub mod opcua;
pub mod poller;
pub mod spool;
pub mod writer;

use crate::domain::Quality;

/// Why a poll failed: the quality flag stored on the row and a message for health and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollFailure {
    pub quality: Quality,
    pub message: String,
}

impl PollFailure {
    pub fn new(quality: Quality, message: String) -> Self {
        Self { quality, message }
    }
}
