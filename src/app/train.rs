//! `trueyaw train`: fits a vane-error model per turbine from its stored windows, writes the
//! artifact directory, registers the model with a version, and activates it when it passes the
//! quality gates ([`Gates`]).
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

mod binned;
mod breaks;
mod gates;
mod north;
mod reference;

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use serde::Serialize;
use serde_json::json;

pub use self::binned::{REPORT_BINS_MS, interpolate, to_estimate};
pub use self::gates::Gates;
use crate::model::neural::{NeuralConfig, NeuralError, NeuralFit, estimate_neural_with_breaks};
use crate::model::{BinnedConfig, FilterCounts, PrepConfig, VaneErrorEstimate, estimate_binned, prepare_rows};
use crate::store::{self, PgPool, StoreError, TurbineRow};

/// A vane-error estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
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

/// The method-specific files of an artifact.
enum Artifact {
    /// Files written as they are (name, bytes).
    Files(Vec<(&'static str, Vec<u8>)>),
    /// A trained network (saved by `NeuralFit::save`) and extra files.
    Neural(Box<NeuralFit>, Vec<(&'static str, Vec<u8>)>),
}

/// A fitted model before registration.
struct Fitted {
    estimate: VaneErrorEstimate,
    counts: FilterCounts,
    /// Method-specific fit quality, merged into `metrics.json`.
    quality: serde_json::Value,
    artifact: Artifact,
}

/// Connects, trains, prints the per-turbine table.
pub async fn run(database_url: &str, opts: &TrainOptions) -> anyhow::Result<Vec<TrainOutcome>> {
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 4).await.with_context(|| format!("opening {redacted}"))?;
    let result = train_farm(&pool, opts).await;
    pool.close().await;
    let outcomes = result?; // typed error outermost so `main` can map usage errors to exit 2
    print!("{}", table(&outcomes));
    Ok(outcomes)
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
        out.push((t.id, train_turbine(pool, opts, t, &farm).await?));
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

async fn train_turbine(
    pool: &PgPool,
    opts: &TrainOptions,
    t: &TurbineRow,
    farm: &FarmContext<'_>,
) -> Result<TrainOutcome, TrainError> {
    let rows = store::windows_between(pool, t.id, opts.length_s, opts.period.from, opts.period.to).await?;
    let data_from = rows.first().map(|r| r.window_start);
    let data_to = rows.last().map(|r| r.window_start);
    let started = std::time::Instant::now();
    let mut fitted = fit(opts, &t.name, &rows, farm)?;
    let reason = opts.gates.check(&fitted.estimate);
    tracing::info!(turbine = %t.name, windows = rows.len(), elapsed_ms = started.elapsed().as_millis() as u64, "fitted");

    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    let version = store::lock_next_version(&mut tx, t.id).await?;
    fitted.estimate.model_version = version;
    let dir = opts.models_dir.join(&opts.farm).join(&t.name).join(version.to_string());
    let metrics = json!({
        "method": opts.method,
        "trueyaw_version": env!("CARGO_PKG_VERSION"),
        "length_s": opts.length_s,
        "data_from": data_from,
        "data_to": data_to,
        "windows_loaded": rows.len(),
        "n_windows": fitted.estimate.n_windows,
        "filter_counts": fitted.counts,
        "direction_change_points": farm.breaks,
        "fit": fitted.quality,
        "gates": { "thresholds": opts.gates, "passed": reason.is_none(), "reason": reason },
    });
    write_artifact(&dir, &fitted, &metrics)
        .map_err(|source| TrainError::Artifact { dir: dir.display().to_string(), source })?;
    let new = store::NewModel {
        turbine_id: t.id,
        version,
        method: opts.method.as_str().to_string(),
        active: reason.is_none(),
        reason: reason.clone(),
        artifact_dir: dir.display().to_string(),
        data_from,
        data_to,
        n_windows: fitted.estimate.n_windows as i32,
        metrics,
        estimate: serde_json::to_value(&fitted.estimate).expect("an estimate serialises"),
    };
    store::insert_model(&mut tx, &new).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(TrainOutcome {
        turbine: t.name.clone(),
        version,
        method: opts.method.as_str(),
        active: reason.is_none(),
        reason,
        estimate: fitted.estimate,
        artifact_dir: dir,
    })
}

/// Prepares the windows and runs the method. Pure CPU work; the place new methods plug in.
fn fit(
    opts: &TrainOptions,
    turbine: &str,
    rows: &[store::WindowRow],
    farm: &FarmContext<'_>,
) -> Result<Fitted, TrainError> {
    let mut prepared = prepare_rows(rows, &opts.prep);
    if let Some(reference) = farm.reference_power {
        for w in &mut prepared.windows {
            w.reference_power_kw = reference.get(&w.time).copied();
        }
    }
    match opts.method {
        Method::Binned => {
            let fit = estimate_binned(&prepared.windows, &opts.binned);
            let estimate = to_estimate(turbine, &fit, &prepared.windows);
            let config = json!({ "method": "binned", "binned": opts.binned, "prep": opts.prep });
            let quality = json!({
                "bins_estimated": fit.bins.iter().filter(|b| b.vane_error_deg.is_some()).count(),
                "bootstrap_iterations": fit.bootstrap_iterations,
                "bootstrap_complete": fit.bootstrap_complete,
                "openoa_yaw_misalignment_deg": fit.openoa_yaw_misalignment_deg,
                "rated_power_kw": prepared.rated_power_kw,
                "rated_power_estimated": prepared.rated_power_estimated,
                "bins": fit.bins,
            });
            let files = vec![("config.json", pretty(&config)), ("fit.json", pretty(&fit))];
            Ok(Fitted { estimate, counts: prepared.counts, quality, artifact: Artifact::Files(files) })
        }
        Method::Neural => {
            let prep_file = ("prep.json", pretty(&opts.prep));
            match estimate_neural_with_breaks(&prepared.windows, &opts.neural, farm.breaks) {
                Ok(fit) => {
                    let estimate = fit.to_estimate(turbine);
                    let quality = json!({
                        "ensemble": fit.reports(),
                        "drift_blocks": fit.drift_blocks(),
                        "member_vane_error_deg": fit.member_operating_vane_errors(),
                        "member_loss_shape": fit.member_loss_shapes(),
                        "rated_power_kw": prepared.rated_power_kw,
                        "rated_power_estimated": prepared.rated_power_estimated,
                    });
                    let artifact = Artifact::Neural(Box::new(fit), vec![prep_file]);
                    Ok(Fitted { estimate, counts: prepared.counts, quality, artifact })
                }
                // Too little data is a verdict, not a failure: register it so the gates reject
                // it with their reason, as binned does.
                Err(NeuralError::TooFewWindows { n, min }) => Ok(Fitted {
                    estimate: VaneErrorEstimate::empty(turbine, Method::Neural.as_str(), n),
                    counts: prepared.counts,
                    quality: json!({ "error": format!("{n} windows, the neural estimator needs at least {min}") }),
                    artifact: Artifact::Files(vec![prep_file]),
                }),
                Err(e) => Err(TrainError::Neural(e)),
            }
        }
    }
}

fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("artifact JSON serialises")
}

/// Writes the artifact into `dir`, replacing a directory a failed registration left behind.
fn write_artifact(dir: &Path, fitted: &Fitted, metrics: &serde_json::Value) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("estimate.json"), pretty(&fitted.estimate))?;
    std::fs::write(dir.join("metrics.json"), pretty(metrics))?;
    let files = match &fitted.artifact {
        Artifact::Files(files) => files,
        Artifact::Neural(fit, files) => {
            fit.save(dir).map_err(std::io::Error::other)?;
            files
        }
    };
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// The per-turbine table `train` prints.
pub fn table(outcomes: &[TrainOutcome]) -> String {
    let mut s = format!(
        "{:<8} {:<7} {:>3} {:<9} {:>8} {:>9} {:>17}  reason\n",
        "turbine", "method", "ver", "status", "windows", "vane deg", "ci95 deg"
    );
    for o in outcomes {
        let e = &o.estimate;
        s += &format!(
            "{:<8} {:<7} {:>3} {:<9} {:>8} {:>9} {:>17}  {}\n",
            o.turbine,
            o.method,
            o.version,
            if o.active { "active" } else { "rejected" },
            e.n_windows,
            fmt_deg(e.vane_error_deg),
            fmt_ci(e.ci95),
            o.reason.as_deref().unwrap_or(""),
        );
    }
    s
}

/// `+1.23` or `-` when missing.
pub fn fmt_deg(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:+.2}"))
}

/// `[+1.00, +2.00]` or `-` when missing.
pub fn fmt_ci(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "-".to_string(), |[a, b]| format!("[{a:+.2}, {b:+.2}]"))
}
