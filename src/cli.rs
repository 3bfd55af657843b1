//! Command-line interface: one subcommand per job, `--help` on everything. Exit codes: 0 on
//! success, 2 on bad usage or bad configuration, 1 on a runtime failure.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::database::PrivateDatabase;
use crate::model::training::{Gates, Method, Period, TrainOptions};

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
    /// Yaw-offset write-back: show a turbine's command registers, or revert it to offset 0.
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
    #[arg(long, value_enum, value_delimiter = ',', default_value = "html,json,csv")]
    pub format: Vec<crate::app::report::Format>,
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
    /// Write offset 0 and correction off to a turbine, verified and audited.
    Revert {
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
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = PrivateDatabase::Never, num_args = 0..=1,
          default_missing_value = "auto", require_equals = true, hide_default_value = true)]
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
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = PrivateDatabase::Auto, num_args = 0..=1,
          default_missing_value = "auto", require_equals = true)]
    pub private_database: PrivateDatabase,
}

/// Speed-ups from 0.01 (slow motion) to 10,000 (a week in a minute).
fn positive_speedup(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.01..=10_000.0).contains(&v) { Ok(v) } else { Err(format!("{v} is outside 0.01..=10000")) }
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
    /// The generator's options, or a usage error (exit code 2) when `--start` is not on a
    /// window boundary: historians stamp windows on the clock, and so do we.
    pub fn options(&self) -> Result<crate::app::synth::SynthOptions, clap::Error> {
        let window_s = self.window_min * 60;
        if self.start.timestamp().rem_euclid(i64::from(window_s)) != 0 || self.start.timestamp_subsec_nanos() != 0 {
            let msg = format!("--start {} is not on a {}-minute window boundary\n", self.start, self.window_min);
            return Err(clap::Error::raw(clap::error::ErrorKind::ValueValidation, msg));
        }
        use crate::sim::physics::SimProfile;
        let spec = crate::sim::history::HistorySpec {
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
        };
        Ok(crate::app::synth::SynthOptions { spec, out: self.out.clone() })
    }
}

/// The simulator's built-in profiles (`sim::physics::SimProfile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    Clean,
    Realistic,
    Field,
}

/// Window lengths from 1 minute to 1 day that divide a day, so windows line up with midnight.
fn day_divisor_minutes(s: &str) -> Result<u32, String> {
    let v: u32 = s.parse().map_err(|_| format!("{s:?} is not a whole number of minutes"))?;
    if (1..=1440).contains(&v) && 1440 % v == 0 { Ok(v) } else { Err(format!("{v} does not divide 1440 minutes")) }
}

/// RFC 3339, or a date alone meaning its midnight UTC.
fn time_or_date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Ok(d.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(_) => rfc3339(s).map_err(|e| format!("{e} (nor a date YYYY-MM-DD)")),
    }
}

fn rfc3339(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|e| format!("{s:?} is not RFC 3339: {e}"))
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Farm whose turbines to train.
    #[arg(long)]
    pub farm: String,
    /// Train only this turbine.
    #[arg(long)]
    pub turbine: Option<String>,
    /// Estimation method: the neural model, or the OpenOA-style binned baseline.
    #[arg(long, default_value = "neural", value_parser = one_of::<Method>(METHODS))]
    pub method: Method,
    /// Window length to train on, minutes (windows of other lengths are ignored).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub window_min: u32,
    /// Root of the artifact directories (`<dir>/<farm>/<turbine>/<version>/`).
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Gate: fewest operating windows after filtering.
    #[arg(long, default_value_t = 1000)]
    pub min_windows: usize,
    /// Gate: fewest wind-speed bins of 4-11 m/s estimated from their own data.
    #[arg(long, default_value_t = 4)]
    pub min_bins: usize,
    /// Gate: widest 95 % interval of the operating vane error, degrees.
    #[arg(long, default_value_t = 4.0)]
    pub max_ci95_width_deg: f64,
    /// Measure north offsets against this (trusted) turbine instead of the farm consensus.
    #[arg(long)]
    pub north_reference: Option<String>,
    /// Neural: learn from power divided by the farm's reference power in the same window (the
    /// median of the other producing turbines) instead of power over wind speed cubed.
    #[arg(long)]
    pub reference_power: bool,
    /// Learn only from windows starting at or after this time (RFC 3339, or a UTC date
    /// YYYY-MM-DD), for example since a vane was replaced.
    #[arg(long, value_parser = time_or_date)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Learn only from windows starting before this time (RFC 3339, or a UTC date YYYY-MM-DD).
    #[arg(long, value_parser = time_or_date)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Neural: set one hyper-parameter of `config.json`, as KEY=VALUE with a JSON value (for
    /// example `drift_penalty=5e-7` or `ensemble_size=7`); repeatable. For experiments: the
    /// defaults are what the accuracy benchmark measured.
    #[arg(long = "neural-set", value_name = "KEY=VALUE", value_parser = neural_setting)]
    pub neural_settings: Vec<(String, serde_json::Value)>,
}

/// One `--neural-set KEY=VALUE`, checked against the default config on its own so a bad key or
/// value is refused while parsing, with the key named.
fn neural_setting(s: &str) -> Result<(String, serde_json::Value), String> {
    let (key, raw) = s.split_once('=').ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| format!("value of {key:?} is not JSON ({raw:?}): {e}"))?;
    let setting = (key.trim().to_string(), value);
    crate::model::neural::NeuralConfig::new().with_settings(std::slice::from_ref(&setting))?;
    Ok(setting)
}

impl TrainArgs {
    /// The training options: [`TrainOptions::new`] with the flags applied.
    pub fn options(&self) -> TrainOptions {
        let defaults = TrainOptions::new(&self.farm);
        let all = Period::default();
        TrainOptions {
            turbine: self.turbine.clone(),
            method: self.method,
            length_s: self.window_min as i32 * 60,
            models_dir: self.models_dir.clone(),
            gates: Gates {
                min_windows: self.min_windows,
                min_bins: self.min_bins,
                max_ci95_width_deg: self.max_ci95_width_deg,
            },
            neural: defaults
                .neural
                .clone()
                .with_reference_power(self.reference_power)
                .with_settings(&self.neural_settings)
                .expect("each --neural-set was checked against this config while parsing"),
            north_reference: self.north_reference.clone(),
            period: Period { from: self.since.unwrap_or(all.from), to: self.until.unwrap_or(all.to) },
            ..defaults
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct EstimatesArgs {
    /// Only this farm (default: every farm).
    #[arg(long)]
    pub farm: Option<String>,
    /// `table` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = crate::app::estimates::Format::Table)]
    pub format: crate::app::estimates::Format,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Ground-truth JSON (`truth.json` of `trueyaw synth`, or `simulate --truth`).
    #[arg(long)]
    pub truth: PathBuf,
    /// Only this farm (default: every farm).
    #[arg(long)]
    pub farm: Option<String>,
    /// `both` prints the table then the JSON.
    #[arg(long, value_enum, default_value_t = EvalFormat::Both)]
    pub format: EvalFormat,
}

/// Output of `evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// The table, then the JSON.
    Both,
    Table,
    Json,
}

/// `train --method`: each method with its line of help.
const METHODS: &[(&str, &str)] = &[
    ("neural", "The structured Burn model with drift and ensemble intervals (`model::neural`)"),
    ("binned", "Per-bin power-peak fit, NREL OpenOA's StaticYawMisalignment (`model::binned`)"),
];

/// A parser for a type of a lower layer, which knows nothing of clap: `--help` lists `values`
/// (name, help) as `value_enum` would, only those are accepted, and the type's `FromStr` turns
/// the name into the value.
pub(super) fn one_of<T>(values: &'static [(&'static str, &'static str)]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    let possible = values.iter().map(|&(name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(possible).try_map(|name: String| name.parse::<T>().map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("trueyaw").chain(args.iter().copied())).unwrap().command
    }

    #[test]
    fn every_listed_method_parses_into_its_type() {
        for (name, _) in METHODS {
            assert_eq!(name.parse::<Method>().unwrap().as_str(), *name);
        }
    }

    #[test]
    fn train_without_flags_uses_the_typed_defaults() {
        let Command::Train(args) = parse(&["train", "--farm", "f"]) else { panic!("not train") };
        assert_eq!(format!("{:?}", args.options()), format!("{:?}", TrainOptions::new("f")));
    }

    #[test]
    fn train_flags_reach_the_options() {
        let args = ["train", "--farm", "f", "--method", "binned", "--window-min", "5", "--since", "2025-03-01"];
        let Command::Train(args) = parse(&args) else { panic!("not train") };
        let opts = args.options();
        assert_eq!((opts.method, opts.length_s), (Method::Binned, 300));
        assert_eq!(opts.period.from.to_rfc3339(), "2025-03-01T00:00:00+00:00");
        assert_eq!(opts.period.to, Period::default().to);
    }
}
