//! Training: fits a vane-error model per turbine from its stored windows, writes the artifact
//! directory, registers the model with a version, and activates it when it passes the quality
//! gates ([`Gates`]). `trueyaw train`, scheduled training in `serve` and the demo all call
//! [`train_farm`]; the caller owns the pool and prints the outcome ([`table`]).
//!
//! Artifact layout, `<models-dir>/<farm>/<turbine>/<version>/`:
//! - `config.json`: the method's hyper-parameters and the data-preparation settings;
//! - `estimate.json`: the common [`VaneErrorEstimate`] (also stored in `models.estimate`);
//! - `metrics.json`: data range, filter counts, windows used, fit quality, gate verdict;
//! - method files (a neural model adds its weights and normalisation here).
//!
//! The version is taken, the files written and the row inserted inside one transaction that
//! locks the turbine, so concurrent trainings cannot collide and a failed write registers
//! nothing (a directory left by a failed commit is overwritten by the next training).
//!
//! A neural artifact also holds `meta.json` (normalisation, bins, ensemble reports) and one
//! `member_<m>.bpk` weight file per ensemble member, loadable with `NeuralFit::load`.
//!
//! - `options`: [`TrainOptions`], [`Method`], [`Period`] and their defaults;
//! - `turbine`: one turbine's fit, artifact and registration; `gates`: the quality gates;
//! - `breaks`, `reference`, `north`: what the rest of the farm contributes (direction change
//!   points, reference power, north offsets); `binned`: the binned fit as a common estimate;
//! - `table`: the per-turbine table the commands print.

mod binned;
mod breaks;
mod gates;
mod north;
mod options;
mod reference;
mod table;
mod turbine;

use std::path::PathBuf;

use chrono::Utc;
use serde::Serialize;

pub use self::binned::{REPORT_BINS_MS, interpolate, to_estimate};
pub use self::gates::Gates;
pub use self::options::{Method, Period, TrainOptions};
pub use self::table::{fmt_ci, fmt_deg, table};
use crate::model::VaneErrorEstimate;
use crate::model::neural::NeuralError;
use crate::store::{self, PgPool, StoreError};

/// Why `train` (or `estimates`, `evaluate`) could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("farm {0:?} does not exist")]
    UnknownFarm(String),
    #[error("turbine {turbine:?} is not in farm {farm:?}")]
    UnknownTurbine { farm: String, turbine: String },
    #[error("training the neural model: {0}")]
    Neural(NeuralError),
    #[error("writing the artifact {dir}: {source}")]
    Artifact { dir: String, source: std::io::Error },
    #[error("the training period is empty: --since {from} is not before --until {to}")]
    EmptyPeriod { from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc> },
    #[error("ground truth {path}: {message}")]
    BadTruth { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TrainError {
    /// True for mistakes in the command (farm, turbine, method, truth file): the CLI exits with code 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::UnknownFarm(_) | Self::UnknownTurbine { .. } | Self::EmptyPeriod { .. } | Self::BadTruth { .. }
        )
    }
}

/// What training one turbine gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainOutcome {
    pub turbine: String,
    pub version: i32,
    pub method: &'static str,
    pub active: bool,
    /// Why the gates rejected it.
    pub reason: Option<String>,
    pub estimate: VaneErrorEstimate,
    pub artifact_dir: PathBuf,
}

/// Trains every selected turbine of the farm, one after another.
pub async fn train_farm(pool: &PgPool, opts: &TrainOptions) -> Result<Vec<TrainOutcome>, TrainError> {
    if opts.period.from >= opts.period.to {
        return Err(TrainError::EmptyPeriod { from: opts.period.from, to: opts.period.to });
    }
    let farm_id =
        store::find_farm(pool, &opts.farm).await?.ok_or_else(|| TrainError::UnknownFarm(opts.farm.clone()))?;
    let mut turbines = store::list_turbines(pool, farm_id).await?;
    if let Some(name) = &opts.turbine {
        turbines.retain(|t| &t.name == name);
        if turbines.is_empty() {
            return Err(TrainError::UnknownTurbine { farm: opts.farm.clone(), turbine: name.clone() });
        }
    }
    // Direction change points need the whole farm, even when one turbine is trained.
    let breaks = match opts.method {
        Method::Neural => breaks::farm_breaks(pool, farm_id, opts.length_s, opts.period).await?,
        Method::Binned => Default::default(), // static by design
    };
    let reference = match opts.method {
        Method::Neural if opts.neural.reference_power => {
            reference::farm_reference_power(pool, farm_id, opts.length_s, opts.period).await?
        }
        _ => Default::default(),
    };
    let mut out = Vec::with_capacity(turbines.len());
    for t in &turbines {
        let farm = FarmContext {
            breaks: breaks.get(&t.id).map_or(&[][..], Vec::as_slice),
            reference_power: reference.get(&t.id),
        };
        out.push((t.id, turbine::train_turbine(pool, opts, t, &farm).await?));
    }
    // North offsets need the farm together: only when every turbine was trained in this run.
    if opts.turbine.is_none() && out.len() >= 3 {
        let all = store::list_turbines(pool, farm_id).await?;
        let reference = match &opts.north_reference {
            None => None,
            Some(name) => Some(
                all.iter()
                    .find(|t| &t.name == name)
                    .map(|t| t.id)
                    .ok_or_else(|| TrainError::UnknownTurbine { farm: opts.farm.clone(), turbine: name.clone() })?,
            ),
        };
        let n = north::estimate_north_offsets(pool, farm_id, opts.length_s, opts.period, &mut out, reference).await?;
        tracing::info!(turbines = n, "north offsets estimated from the farm consensus");
    }
    Ok(out.into_iter().map(|(_, o)| o).collect())
}

/// Windows slower than this carry little direction information (and no vane error estimate).
const DIRECTION_MIN_WS_MS: f64 = 3.0;

/// Every turbine's operating direction windows of the farm, for the consensus estimators
/// (direction change points before training, north offsets after).
async fn farm_directions(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    period: Period,
) -> Result<Vec<crate::model::consensus::DirectionWindow>, StoreError> {
    let rows =
        store::windows::farm_direction_windows(pool, farm_id, length_s, period.from, period.to, DIRECTION_MIN_WS_MS)
            .await?;
    Ok(rows.iter().map(Into::into).collect())
}

/// What the rest of the farm says about one turbine before it is trained.
struct FarmContext<'a> {
    /// Its direction change points against the farm (neural drift-block starts).
    breaks: &'a [chrono::DateTime<Utc>],
    /// Its reference power per window start, kW, when `reference_power` is on.
    reference_power: Option<&'a std::collections::HashMap<chrono::DateTime<Utc>, f64>>,
}

/// Farm id of `farm`, or None for every farm; an unknown name is a usage error.
pub async fn farm_id(pool: &PgPool, farm: Option<&str>) -> Result<Option<i32>, TrainError> {
    match farm {
        None => Ok(None),
        Some(f) => Ok(Some(store::find_farm(pool, f).await?.ok_or_else(|| TrainError::UnknownFarm(f.to_string()))?)),
    }
}
