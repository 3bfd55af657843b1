//! `trueyaw serve` over real sockets and a real PostgreSQL: every endpoint, role and error path
//! of the REST API, the model cache's swaps, and the SCADA server's live values.

mod api_auth;
mod api_correction;
mod api_data;
mod api_models;
mod api_writeback;
mod dashboard;
mod dashboard_turbine;
mod drift_watch;
mod fuzz;
mod scada_live;
mod scheduler;
