//! Training one turbine: loads its windows, prepares them, runs the method ([`fit`], the place
//! new methods plug in), judges the result by the gates, and registers it: version, artifact
//! files and registry row in one transaction.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::{FarmContext, Method, TrainError, TrainOptions, TrainOutcome, to_estimate};
use crate::model::neural::{NeuralError, NeuralFit, estimate_neural_with_breaks};
use crate::model::{FilterCounts, VaneErrorEstimate, estimate_binned, prepare_rows};
use crate::store::{self, PgPool, StoreError, TurbineRow};

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

/// Fits, judges and registers one turbine; see the module docs.
pub(super) async fn train_turbine(
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
