//! `trueyaw evaluate`: reads the ground truth (`sim::truth`), opens the database, scores the
//! stored models (`model::evaluation`) and prints the table, the JSON or both.

use std::path::Path;

use anyhow::Context;

use crate::cli::EvalFormat;
use crate::model::evaluation::{self, DriftShape, EvalReport, TruthBin, TruthDrift, TurbineTruth, table};
use crate::model::training::TrainError;
use crate::sim::truth::Truth;
use crate::sim::vane::DriftKind;
use crate::store;

/// Reads the truth, connects, scores and prints.
pub async fn run(
    database_url: &str,
    truth_path: &Path,
    farm: Option<&str>,
    format: EvalFormat,
) -> anyhow::Result<EvalReport> {
    let truth = Truth::read(truth_path)
        .map_err(|e| TrainError::BadTruth { path: truth_path.display().to_string(), message: format!("{e:#}") })?;
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 2).await.with_context(|| format!("opening {redacted}"))?;
    let result = evaluation::evaluate(&pool, &turbine_truths(&truth), farm).await;
    pool.close().await;
    let mut report = result?;
    report.truth = truth_path.display().to_string();
    if format != EvalFormat::Json {
        print!("{}", table(&report));
    }
    if format != EvalFormat::Table {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(report)
}

/// What the scores need of the simulator's truth: each turbine's current e per bin (its last
/// `vane_error_by_bin` period) and its drift events.
fn turbine_truths(truth: &Truth) -> Vec<TurbineTruth> {
    let turbine = |t: &crate::sim::truth::TurbineTruth| TurbineTruth {
        name: t.name.as_str().to_string(),
        current_bins: t.vane_error_by_bin.last().map_or_else(Vec::new, |p| {
            p.bins.iter().map(|b| TruthBin { ws: b.ws, vane_error_deg: b.vane_error_deg }).collect()
        }),
        drift_events: t
            .drift_events
            .iter()
            .map(|e| TruthDrift {
                time: e.time,
                kind: match e.kind {
                    DriftKind::Step => DriftShape::Step,
                    DriftKind::Ramp => DriftShape::Ramp,
                },
                delta_deg: e.delta_deg,
                duration_s: e.duration_s,
            })
            .collect(),
    };
    truth.turbines.iter().map(turbine).collect()
}
