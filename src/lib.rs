//! trueyaw learns each wind turbine's nacelle-vane error from operating data and serves yaw
//! corrections. Data flows one way through the modules below:
//!
//! ```text
//! sim (virtual turbines) ─┐
//! real controllers ───────┴─> ingest (Modbus / OPC UA sources, poller, writer, spool,
//! SCADA CSV exports ────────────────   CSV import)
//!                               └─> store (PostgreSQL: readings, windows, health)
//!                                     └─> model (vane error) ─> serve / report
//! ```
//!
//! - [`domain`]: angles, turbine names, readings, quality flags, register maps.
//! - [`config`]: the farm file with environment overrides, checked before anything starts.
//! - [`store`]: PostgreSQL pool, migrations, and one module per table family.
//! - [`ingest`]: device sources, the poller, the batch writer with its on-disk spool, and the
//!   import of SCADA CSV exports into windows.
//! - [`model`]: vane-error estimation: data preparation, the binned power-peak baseline and the
//!   neural estimator, training into the model registry, scoring against ground truth.
//! - [`report`]: per-turbine and farm calibration reports (HTML with an SVG chart, JSON, CSV).
//! - [`serve`]: the REST API, the SCADA Modbus server and guarded yaw-offset write-back.
//! - [`sim`]: the turbine simulator (physics, Modbus and OPC UA servers, ground truth) and the
//!   synthetic-history generator behind `trueyaw synth`.
//! - [`app`]: the commands the CLI runs (`migrate`, `simulate`, `poll`, `demo`, `import`, `synth`, ...),
//!   each adapting its arguments to the layer that does the work.
//! - [`opcua_pki`]: the OPC UA certificate-store location both the poller and the simulator use.
//! - [`cli`] and [`telemetry`]: argument parsing and logging.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod ingest;
pub mod model;
pub mod opcua_pki;
pub mod report;
pub mod serve;
pub mod sim;
pub mod store;
pub mod telemetry;
