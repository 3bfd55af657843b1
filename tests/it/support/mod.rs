//! Helpers shared by the integration tests.

pub mod db;
pub mod farm;
pub mod fake_device;
pub mod proxy;
