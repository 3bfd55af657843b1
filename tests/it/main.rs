//! Integration tests: one binary (so the library links once), one module per area. Every
//! test that needs PostgreSQL gets its own freshly created and migrated database.

mod support;

mod cli;
mod e2e;
mod import;
mod modbus_source;
mod opcua;
mod poller;
mod private_server;
mod report;
mod scada;
mod serve;
mod sim;
mod store;
mod synth;
mod train;
mod writeback;
mod writer;
