//! The farm-wide settings sections of the farm file (`[farm]`, `[database]`, `[poll]`,
//! `[storage]`, `[windows]`), each with its documented defaults.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmSection {
    /// Farm name; models and reports are filed under it.
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// PostgreSQL URL. `DATABASE_URL` in the environment wins over this.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default = "defaults::max_connections")]
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: None, max_connections: defaults::max_connections() }
    }
}

/// How often and how patiently turbines are polled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSettings {
    /// Poll period, ms (default 1000: 1 Hz).
    #[serde(default = "defaults::interval_ms")]
    pub interval_ms: u64,
    /// Time allowed for one request to answer, ms.
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Time allowed to open a connection, ms.
    #[serde(default = "defaults::connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// First retry delay for an offline turbine, ms; doubles up to `backoff_max_ms`.
    #[serde(default = "defaults::backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    #[serde(default = "defaults::backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Consecutive failed polls after which a turbine counts as offline and is retried with backoff.
    #[serde(default = "defaults::offline_after_failures")]
    pub offline_after_failures: u32,
}

impl Default for PollSettings {
    fn default() -> Self {
        toml::Table::new().try_into().expect("poll defaults")
    }
}

impl PollSettings {
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
}

/// How readings reach PostgreSQL, and where they wait while it is away.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// A batch is written when it has this many readings...
    #[serde(default = "defaults::batch_max_rows")]
    pub batch_max_rows: usize,
    /// ...or when its oldest reading has waited this long, ms.
    #[serde(default = "defaults::batch_max_delay_ms")]
    pub batch_max_delay_ms: u64,
    /// Directory of the on-disk spool used while the database is unreachable. Relative paths
    /// are relative to the config file.
    #[serde(default = "defaults::spool_dir")]
    pub spool_dir: PathBuf,
    /// Spool size limit, MiB. When full, polling pauses (no polled reading is ever dropped).
    #[serde(default = "defaults::spool_max_mib")]
    pub spool_max_mib: u64,
}

impl Default for StorageSettings {
    fn default() -> Self {
        toml::Table::new().try_into().expect("storage defaults")
    }
}

/// Aggregated windows maintained from raw readings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSettings {
    /// Window length, minutes (10 is the SCADA standard; 1 gives the model more to learn from).
    #[serde(default = "defaults::window_length_min")]
    pub length_min: u32,
    /// How often windows with new readings are recomputed, seconds.
    #[serde(default = "defaults::window_refresh_s")]
    pub refresh_s: u64,
}

impl Default for WindowSettings {
    fn default() -> Self {
        toml::Table::new().try_into().expect("window defaults")
    }
}

mod defaults {
    use std::path::PathBuf;
    pub fn max_connections() -> u32 {
        8
    }
    pub fn interval_ms() -> u64 {
        1000
    }
    pub fn timeout_ms() -> u64 {
        800
    }
    pub fn connect_timeout_ms() -> u64 {
        2000
    }
    pub fn backoff_initial_ms() -> u64 {
        1000
    }
    pub fn backoff_max_ms() -> u64 {
        60_000
    }
    pub fn offline_after_failures() -> u32 {
        3
    }
    pub fn batch_max_rows() -> usize {
        10_000
    }
    pub fn batch_max_delay_ms() -> u64 {
        1000
    }
    pub fn spool_dir() -> PathBuf {
        PathBuf::from("spool")
    }
    pub fn spool_max_mib() -> u64 {
        1024
    }
    pub fn window_length_min() -> u32 {
        10
    }
    pub fn window_refresh_s() -> u64 {
        60
    }
}
