//! Arguments of the model commands: `train`, `estimates`, `evaluate`, and the output formats of
//! the last two.

use std::path::PathBuf;

use clap::ValueEnum;

use super::values::{METHODS, neural_setting, one_of, time_or_date};
use crate::model::training::{Gates, Method, Period, TrainOptions};

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
    #[arg(long, value_enum, default_value_t = EstimatesFormat::Table)]
    pub format: EstimatesFormat,
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

/// Output of `estimates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EstimatesFormat {
    Json,
    Table,
}

/// Output of `evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// The table, then the JSON.
    Both,
    Table,
    Json,
}
