//! Helpers shared by the integration tests.

pub mod browser;
pub mod db;
pub mod fake_device;
pub mod farm;
pub mod proxy;
pub mod serve;
pub mod sim;
