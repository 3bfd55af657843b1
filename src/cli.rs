//! Command-line interface: one subcommand per job, `--help` on everything. Exit codes: 0 on
//! success, 2 on bad usage or bad configuration, 1 on a runtime failure.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod models;
#[cfg(test)]
mod tests;
mod values;

pub use self::models::{EstimatesArgs, EstimatesFormat, EvalFormat, EvaluateArgs, TrainArgs};
use self::values::{PRIVATE_DATABASE, REPORT_FORMATS, day_divisor_minutes, one_of, positive_speedup, rfc3339};
use crate::store::private_server::PrivateDatabase;

#[derive(Debug, Parser)]
#[command(name = "trueyaw", version, about = "Learns each wind turbine's vane error and serves yaw corrections")]
pub struct Cli {
    /// Log output format: human-readable text or JSON lines for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = "TRUEYAW_LOG_FORMAT")]
    pub log_format: LogFormat,

    /// Log filter (tracing EnvFilter syntax, e.g. `info,trueyaw=debug`); RUST_LOG also works.
    #[arg(long, global = true, env = "TRUEYAW_LOG")]
    pub log: Option<String>,

    /// PostgreSQL URL; overrides the config file. Defaults to postgres://postgres@127.0.0.1:5432/trueyaw
    /// (`demo`, and `serve --private-database`, start a private PostgreSQL when that does not answer).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed and apply all migrations.
    Migrate,

    /// Run virtual turbines as Modbus TCP (and optionally OPC UA) servers on this machine.
    Simulate(SimulateArgs),

    /// Poll the farm's turbines into PostgreSQL until stopped (Ctrl-C or SIGTERM).
    Poll(PollArgs),

    /// One-command tour: database, simulated farm with history, training, poller, API and SCADA server, live status.
    Demo(DemoArgs),

    /// Import SCADA CSV exports (generic or ENGIE) as 10-minute (or other) windows.
    Import(ImportArgs),
    /// Write synthetic SCADA history (CSV) and its ground truth, from the simulator's physics.
    Synth(SynthArgs),
    /// Fit each turbine's vane-error model, save its artifact, register it, activate it if it passes the gates.
    Train(TrainArgs),
    /// Print each turbine's active vane-error estimate (JSON or table).
    Estimates(EstimatesArgs),
    /// Score the latest model of each method against a ground-truth file (table and JSON).
    Evaluate(EvaluateArgs),
    /// Serve corrections: REST API, SCADA Modbus server, scheduled training (and the poller if configured).
    Serve(ServeArgs),
    /// Create, list or revoke API bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Calibration report of a turbine (or the farm summary ranked by recoverable energy): HTML, JSON, CSV, PDF.
    Report(ReportArgs),
    /// Yaw-offset write-back: show a turbine's command registers, revert it to offset 0, or re-enable it.
    #[command(subcommand)]
    Writeback(WritebackCommand),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Farm of the turbine(s).
    #[arg(long)]
    pub farm: String,
    /// One turbine's report; without it, the farm summary.
    #[arg(long)]
    pub turbine: Option<String>,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Formats to write, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "html,json,csv", value_parser = one_of::<crate::report::Format>(REPORT_FORMATS))]
    pub format: Vec<crate::report::Format>,
    /// Chromium or Chrome binary that prints `--format pdf` [default: chromium, chromium-browser
    /// or google-chrome on PATH].
    #[arg(long, env = "TRUEYAW_CHROMIUM")]
    pub chromium: Option<PathBuf>,
    /// Longest the browser may take to print the PDF, s.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub pdf_timeout_s: u64,
}

#[derive(Debug, Subcommand)]
pub enum WritebackCommand {
    /// Read a turbine's yaw-offset command registers and its recent write-back decisions.
    Status {
        /// Farm config file.
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        turbine: String,
    },
    /// Write offset 0 and correction off to a turbine, verified and audited; the turbine stays
    /// reverted (latched) until `writeback enable`.
    Revert {
        /// Farm config file.
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        turbine: String,
    },
    /// Lift a revert's latch so the write-back may step the turbine again (if it is in
    /// `writeback.enabled_turbines`); writes nothing to the controller, audited.
    Enable {
        /// Farm config file.
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        turbine: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Farm config file (see config/demo-farm.toml; its `[serve]` section).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Root of the model artifact directories (overrides `serve.models_dir`).
    #[arg(long)]
    pub models_dir: Option<PathBuf>,
    /// When no database URL is given (DATABASE_URL, --database-url, TRUEYAW_DATABASE__URL,
    /// `[database] url`) and nothing answers on 127.0.0.1:5432, start a private PostgreSQL
    /// from the installed binaries (data in ~/.cache/trueyaw/postgres-<major>, root:
    /// /var/cache/...; port 54329), stopped on exit. `=always` starts it even when the default
    /// answers.
    #[arg(long, value_name = "WHEN", default_value = "never", num_args = 0..=1, default_missing_value = "auto",
          require_equals = true, hide_default_value = true, value_parser = one_of::<PrivateDatabase>(PRIVATE_DATABASE))]
    pub private_database: PrivateDatabase,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown once).
    Create {
        /// A name to recognise it by (unique), e.g. `scada-team` or `alice`.
        #[arg(long)]
        name: String,
        /// viewer: read; operator: also activate models, queue training, revert write-back; admin: everything.
        #[arg(long, value_enum)]
        role: TokenRole,
    },
    /// List tokens (names, roles, prefixes; never secrets).
    List,
    /// Revoke a token by name.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenRole {
    Viewer,
    Operator,
    Admin,
}

impl From<TokenRole> for crate::serve::auth::Role {
    fn from(r: TokenRole) -> Self {
        match r {
            TokenRole::Viewer => Self::Viewer,
            TokenRole::Operator => Self::Operator,
            TokenRole::Admin => Self::Admin,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Number of turbines (T01, T02, ...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub turbines: u32,
    /// Modbus TCP port of T01; turbine i listens on base-port + i - 1.
    #[arg(long, default_value_t = 5502)]
    pub base_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Random seed: the same seed gives the same wind, events and vane errors.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the ground truth (vane errors, drift events, offsets) to this JSON file.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0, value_parser = positive_speedup)]
    pub speedup: f64,
    /// Also serve every turbine over OPC UA on this port.
    #[arg(long)]
    pub opcua_port: Option<u16>,
    /// Switch off downtime, curtailment, stuck and missing signals and vane drift (for clean experiments).
    #[arg(long)]
    pub clean: bool,
}

#[derive(Debug, clap::Args)]
pub struct PollArgs {
    /// Farm config file (see config/demo-farm.toml).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Stop after this many seconds (default: run until stopped).
    #[arg(long)]
    pub duration: Option<u64>,
    /// On exit, write a JSON summary (writer counts, poll latency, per-turbine health) here.
    #[arg(long)]
    pub summary: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of simulated turbines.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub turbines: u32,
    /// How long to run, seconds.
    #[arg(long, default_value_t = 240)]
    pub duration: u64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 30.0, value_parser = positive_speedup)]
    pub speedup: f64,
    /// Days of synthetic history (same seed and physics as the live turbines) to import and
    /// train on before serving corrections; 0 skips training and serving.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=365))]
    pub history_days: u32,
    /// Random seed of the simulated farm.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Without a database URL (DATABASE_URL, --database-url, TRUEYAW_DATABASE__URL): `auto`
    /// starts a private PostgreSQL from the installed binaries when nothing answers on
    /// 127.0.0.1:5432, `always` even when something does, `never` waits for the default. Its
    /// data stays in ~/.cache/trueyaw/postgres-<major> (root: /var/cache/...) for the next run;
    /// it listens on 127.0.0.1:54329 and is stopped on exit.
    #[arg(long, value_name = "WHEN", default_value = "auto", num_args = 0..=1, default_missing_value = "auto",
          require_equals = true, value_parser = one_of::<PrivateDatabase>(PRIVATE_DATABASE))]
    pub private_database: PrivateDatabase,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// File layout: `generic` (turbine,time,wind_speed_ms,...) or `engie` (La Haute Borne export).
    #[arg(long, value_enum)]
    pub format: crate::ingest::import::Format,
    /// Farm the turbines belong to.
    #[arg(long)]
    pub farm: String,
    /// Create the farm and any turbine not yet in it, instead of reporting their rows as bad.
    #[arg(long)]
    pub create_turbines: bool,
    /// Window length in minutes; every row's time must start such a window.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub window_min: u32,
    /// CSV files, imported in order.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of turbines (T01, T02, ...).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub turbines: u32,
    /// Simulated days of history.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: u32,
    /// Random seed: the same arguments give a byte-identical scada.csv.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Window length in minutes; must divide a day (1, 2, 5, 10, 15, 30, 60, ...).
    #[arg(long, default_value_t = 10, value_parser = day_divisor_minutes)]
    pub window_min: u32,
    /// Start of the history (RFC 3339), on a window boundary.
    #[arg(long, default_value = "2025-01-01T00:00:00Z", value_parser = rfc3339)]
    pub start: chrono::DateTime<chrono::Utc>,
    /// Which disturbances to simulate: `realistic` (faults, curtailments, stuck and missing
    /// signals, vane drift every two months on most turbines), `field` (the same, plus seasonal
    /// air density, a yaw-dependent anemometer and vanes drifting about twice a year) or `clean`.
    #[arg(long, value_enum, default_value_t = Profile::Realistic)]
    pub profile: Profile,
    /// Short for `--profile clean`.
    #[arg(long, conflicts_with = "profile")]
    pub clean: bool,
    /// Output directory (scada.csv, truth.json, meta.json, README.txt).
    #[arg(long)]
    pub out: PathBuf,
}

impl SynthArgs {
    /// What to generate, or a usage error (exit code 2) when `--start` is not on a window
    /// boundary: historians stamp windows on the clock, and so do we.
    pub fn spec(&self) -> Result<crate::sim::history::HistorySpec, clap::Error> {
        let window_s = self.window_min * 60;
        if self.start.timestamp().rem_euclid(i64::from(window_s)) != 0 || self.start.timestamp_subsec_nanos() != 0 {
            let msg = format!("--start {} is not on a {}-minute window boundary\n", self.start, self.window_min);
            return Err(clap::Error::raw(clap::error::ErrorKind::ValueValidation, msg));
        }
        use crate::sim::physics::SimProfile;
        Ok(crate::sim::history::HistorySpec {
            turbines: self.turbines as usize,
            days: self.days,
            seed: self.seed,
            window_s,
            start: self.start,
            profile: match if self.clean { Profile::Clean } else { self.profile } {
                Profile::Clean => SimProfile::clean(),
                Profile::Realistic => SimProfile::realistic(),
                Profile::Field => SimProfile::field(),
            },
        })
    }
}

/// The simulator's built-in profiles (`sim::physics::SimProfile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    Clean,
    Realistic,
    Field,
}
