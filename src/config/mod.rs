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
    given_database_url(from_file).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
}

/// The database URL someone named (`DATABASE_URL`, `TRUEYAW_DATABASE__URL` or the config
/// file's `[database] url`, in that order), or `None` when all are silent and the default
/// applies. Only then may `demo` and `serve` start a private PostgreSQL instead.
pub fn given_database_url(from_file: Option<&str>) -> Option<String> {
    given_url_from(from_file, |var| std::env::var(var).ok())
}

/// [`given_database_url`] over any environment, so the order is testable without touching the
/// process environment. Empty variables count as unset.
fn given_url_from(from_file: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["DATABASE_URL", "TRUEYAW_DATABASE__URL"]
        .into_iter()
        .find_map(|var| env(var).filter(|s| !s.is_empty()))
        .or_else(|| from_file.filter(|s| !s.is_empty()).map(str::to_string))
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
    fn a_url_counts_as_given_from_either_variable_or_the_file_and_the_default_does_not() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(given_url_from(None, env(&[])), None);
        assert_eq!(given_url_from(None, env(&[("DATABASE_URL", "")])), None, "empty counts as unset");
        assert_eq!(given_url_from(Some("postgres://f/db"), env(&[])).as_deref(), Some("postgres://f/db"));
        let both = env(&[("DATABASE_URL", "postgres://a/db"), ("TRUEYAW_DATABASE__URL", "postgres://b/db")]);
        assert_eq!(given_url_from(Some("postgres://f/db"), both).as_deref(), Some("postgres://a/db"));
        let second = env(&[("TRUEYAW_DATABASE__URL", "postgres://b/db")]);
        assert_eq!(given_url_from(Some("postgres://f/db"), second).as_deref(), Some("postgres://b/db"));
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
