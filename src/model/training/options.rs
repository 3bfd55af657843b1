//! What a training run is asked to do: the method ([`Method`]), the turbines, the window
//! length, the gates, the estimators' settings and the stretch of history ([`Period`]), with
//! typed defaults ([`TrainOptions::new`]) shared by `trueyaw train`, scheduled training in
//! `serve` and the demo.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use serde::Serialize;

use super::Gates;
use crate::model::neural::NeuralConfig;
use crate::model::{BinnedConfig, PrepConfig};

/// A vane-error estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The structured Burn model with drift and ensemble intervals (`model::neural`).
    Neural,
    /// Per-bin power-peak fit, NREL OpenOA's StaticYawMisalignment (`model::binned`).
    Binned,
}

impl Method {
    /// The name stored in `models.method` and in estimates.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Binned => "binned",
            Method::Neural => "neural",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = String;

    /// The names of [`Method::as_str`], exactly.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "neural" => Ok(Method::Neural),
            "binned" => Ok(Method::Binned),
            _ => Err(format!("unknown method {s:?}: neural or binned")),
        }
    }
}

/// What `train` does.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub farm: String,
    /// One turbine of the farm; all of them when None.
    pub turbine: Option<String>,
    pub method: Method,
    /// Window length to train on, s (windows of other lengths are ignored).
    pub length_s: i32,
    /// Root of the artifact directories.
    pub models_dir: PathBuf,
    pub gates: Gates,
    pub prep: PrepConfig,
    pub binned: BinnedConfig,
    pub neural: NeuralConfig,
    /// North offsets relative to this turbine (a trusted one) instead of the farm consensus.
    pub north_reference: Option<String>,
    /// The stretch of history to learn from (default: all of it).
    pub period: Period,
}

impl TrainOptions {
    /// The defaults of `trueyaw train --farm <farm>`: every turbine, the neural method on
    /// 10-minute windows, artifacts under `models/`, the default gates, data preparation and
    /// estimator settings, north offsets against the farm consensus, all of the history.
    pub fn new(farm: &str) -> Self {
        Self {
            farm: farm.to_string(),
            turbine: None,
            method: Method::Neural,
            length_s: 600,
            models_dir: PathBuf::from("models"),
            gates: Gates::default(),
            prep: PrepConfig::default(),
            binned: BinnedConfig::default(),
            neural: NeuralConfig::new(),
            north_reference: None,
            period: Period::default(),
        }
    }
}

/// Windows starting in `[from, to)`: the history a training learns from. A performance engineer
/// calibrating after a known change (a vane replaced, a controller update) trains on the data
/// since then; [`Default`] is all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: chrono::DateTime<Utc>,
    pub to: chrono::DateTime<Utc>,
}

impl Default for Period {
    /// Bounds inside PostgreSQL's timestamptz range, which every stored window lies between.
    fn default() -> Self {
        Self { from: Utc.timestamp_opt(0, 0).unwrap(), to: Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_parses_from_the_name_it_is_stored_under() {
        for m in [Method::Neural, Method::Binned] {
            assert_eq!(m.to_string().parse::<Method>(), Ok(m));
        }
        assert!("Neural".parse::<Method>().is_err());
    }

    #[test]
    fn the_default_neural_settings_survive_the_settings_round_trip() {
        // `--neural-set` applies settings through JSON; with none it must change nothing.
        let typed = NeuralConfig::new();
        let round_trip = typed.with_settings(&[]).unwrap();
        assert_eq!(format!("{typed:?}"), format!("{round_trip:?}"));
    }
}
