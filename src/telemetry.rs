//! Logging: tracing to stderr as text or JSON lines, filtered by `--log`/`RUST_LOG`.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// The OPC UA stack logs every failed connect attempt as an error and every session at info;
/// the poller already reports those per turbine (health, quality flags), once per state change.
const DEFAULT_FILTER: &str = "info,opcua_client=off,opcua_core=warn,opcua_server=warn";

/// Installs the global subscriber. The filter comes from `filter`, then `RUST_LOG`, then [`DEFAULT_FILTER`].
pub fn init(format: LogFormat, filter: Option<&str>) {
    let filter = filter
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
