//! Typed settings for a farm: the TOML farm file, overridden by `TRUEYAW_*` environment
//! variables (and `DATABASE_URL`), then by CLI flags. Everything is checked before anything
//! starts; an error names the file, the key and what is wrong.

mod env;
mod farm;
mod settings;
mod writeback;

pub use farm::{FarmConfig, ModbusSource, OpcUaSource, SourceConfig, TurbineConfig};
pub use settings::{DatabaseSettings, FarmSection, PollSettings, ServeSettings, StorageSettings, WindowSettings};
pub use writeback::WriteBackSettings;

use std::path::Path;

/// A configuration problem. The CLI exits with code 2 on any of these.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

/// Default database when neither `DATABASE_URL` nor the config names one.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/trueyaw";

/// The database URL every command uses: `DATABASE_URL` wins, then `TRUEYAW_DATABASE__URL`,
/// then the config file's `[database] url`, then [`DEFAULT_DATABASE_URL`].
pub fn database_url(from_file: Option<&str>) -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("TRUEYAW_DATABASE__URL").ok().filter(|s| !s.is_empty()))
        .or_else(|| from_file.map(str::to_string))
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
}

/// Loads a farm file and applies environment overrides from the process environment.
pub fn load(path: &Path) -> Result<FarmConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
    FarmConfig::parse(&text, path, std::env::vars())
}

/// A database URL with any password replaced by `***`, safe for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
