//! The farm-wide settings sections of the farm file (`[farm]`, `[database]`, `[poll]`,
//! `[storage]`, `[windows]`), each with its documented defaults.

use std::net::SocketAddr;
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

/// `trueyaw serve`: the REST API, the SCADA Modbus server, scheduled learning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    /// Address of the REST API and dashboard.
    #[serde(default = "defaults::api_addr")]
    pub api_addr: SocketAddr,
    /// Address of the SCADA Modbus TCP server farm controllers poll.
    #[serde(default = "defaults::scada_addr")]
    pub scada_addr: SocketAddr,
    /// Run the SCADA Modbus server.
    #[serde(default = "defaults::yes")]
    pub scada_enabled: bool,
    /// A SCADA connection that sends nothing for this long is closed, seconds.
    #[serde(default = "defaults::scada_idle_timeout_s")]
    pub scada_idle_timeout_s: u64,
    /// A SCADA connection that sent part of a request and not the rest for this long is
    /// closed, seconds.
    #[serde(default = "defaults::scada_frame_timeout_s")]
    pub scada_frame_timeout_s: u64,
    /// Most SCADA connections open at once; more are closed as they arrive.
    #[serde(default = "defaults::scada_max_connections")]
    pub scada_max_connections: usize,
    /// Also poll the farm's turbines in this process (instead of a separate `trueyaw poll`).
    #[serde(default)]
    pub run_poller: bool,
    /// Let requests without a token read (GET) everything; state changes still need a token.
    #[serde(default)]
    pub open_read: bool,
    /// A turbine whose newest usable reading is older than this is served as stale, seconds.
    #[serde(default = "defaults::stale_after_s")]
    pub stale_after_s: u64,
    /// A served offset whose 95 % interval is wider than this is flagged low confidence, degrees.
    #[serde(default = "defaults::low_confidence_ci95_width_deg")]
    pub low_confidence_ci95_width_deg: f64,
    /// How often the newest reading of each turbine is fetched for the correction cache, ms.
    #[serde(default = "defaults::latest_refresh_ms")]
    pub latest_refresh_ms: u64,
    /// Most readings one `POST .../correct` may carry.
    #[serde(default = "defaults::max_batch_readings")]
    pub max_batch_readings: usize,
    /// Largest request body, bytes.
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 503, seconds.
    #[serde(default = "defaults::request_timeout_s")]
    pub request_timeout_s: u64,
    /// Root of trained model artifacts (relative to the working directory, like `trueyaw train`).
    #[serde(default = "defaults::models_dir")]
    pub models_dir: PathBuf,
    /// Retrain each turbine when its newest model is older than this, hours (0: only on demand).
    #[serde(default = "defaults::retrain_every_h")]
    pub retrain_every_h: u64,
    /// Run queued jobs (training) in this process. Several processes may share the queue.
    #[serde(default = "defaults::yes")]
    pub run_jobs: bool,
    /// How often the drift watch compares recent windows with the baseline, seconds (0: off).
    #[serde(default = "defaults::drift_watch_every_s")]
    pub drift_watch_every_s: u64,
    /// The recent span a shift must hold through to raise a drift alert, hours.
    #[serde(default = "defaults::drift_recent_h")]
    pub drift_recent_h: u64,
    /// The baseline before the recent span, days.
    #[serde(default = "defaults::drift_baseline_days")]
    pub drift_baseline_days: u64,
    /// Smallest shift of nacelle + vane against the farm consensus that raises an alert, degrees.
    #[serde(default = "defaults::drift_threshold_deg")]
    pub drift_threshold_deg: f64,
}

impl Default for ServeSettings {
    fn default() -> Self {
        toml::Table::new().try_into().expect("serve defaults")
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
    pub fn api_addr() -> std::net::SocketAddr {
        ([127, 0, 0, 1], 8080).into()
    }
    pub fn scada_addr() -> std::net::SocketAddr {
        ([127, 0, 0, 1], 5020).into()
    }
    pub fn scada_idle_timeout_s() -> u64 {
        120
    }
    pub fn scada_frame_timeout_s() -> u64 {
        10
    }
    pub fn scada_max_connections() -> usize {
        1024
    }
    pub fn yes() -> bool {
        true
    }
    pub fn stale_after_s() -> u64 {
        60
    }
    pub fn low_confidence_ci95_width_deg() -> f64 {
        4.0
    }
    pub fn latest_refresh_ms() -> u64 {
        1000
    }
    pub fn max_batch_readings() -> usize {
        10_000
    }
    pub fn max_body_bytes() -> usize {
        8 * 1024 * 1024
    }
    pub fn request_timeout_s() -> u64 {
        30
    }
    pub fn models_dir() -> PathBuf {
        PathBuf::from("models")
    }
    pub fn retrain_every_h() -> u64 {
        168
    }
    pub fn drift_watch_every_s() -> u64 {
        600
    }
    pub fn drift_recent_h() -> u64 {
        12
    }
    pub fn drift_baseline_days() -> u64 {
        7
    }
    pub fn drift_threshold_deg() -> f64 {
        2.0
    }
}
