//! `trueyaw estimates`: the active model's [`VaneErrorEstimate`] of every turbine, as JSON for
//! machines or a table for people. Turbines without an active model are listed apart
//! (`without_model`) with the reason their latest model was rejected, or that none was trained.
//!
//! JSON: `{"turbines":[{<VaneErrorEstimate fields>, "farm", "trained_at", "data_from",
//! "data_to"}], "without_model":[{"farm", "turbine", "latest_version", "reason"}]}`; the
//! estimate fields are those of `model::estimate` (`turbine`, `method`, `vane_error_deg`,
//! `ci95`, `bins`, `gain`, `cos_exponent`, `misalignment_deg`, `energy_loss_pct`,
//! `north_offset_deg`, `drift_events`, `model_version`, `n_windows`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::EstimatesFormat as Format;
use crate::model::VaneErrorEstimate;
use crate::model::training::{TrainError, farm_id, fmt_ci, fmt_deg};
use crate::store::{self, PgPool};

/// One turbine's served estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurbineEstimate {
    #[serde(flatten)]
    pub estimate: VaneErrorEstimate,
    pub farm: String,
    pub trained_at: DateTime<Utc>,
    pub data_from: Option<DateTime<Utc>>,
    pub data_to: Option<DateTime<Utc>>,
}

/// A turbine with no active model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithoutModel {
    pub farm: String,
    pub turbine: String,
    /// Version of its latest model, if any was trained.
    pub latest_version: Option<i32>,
    /// Why the latest model was rejected, or that none was trained.
    pub reason: String,
}

/// What `estimates` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimatesReport {
    pub turbines: Vec<TurbineEstimate>,
    pub without_model: Vec<WithoutModel>,
}

/// Connects, collects and prints the report in `format`.
pub async fn run(database_url: &str, farm: Option<&str>, format: Format) -> anyhow::Result<EstimatesReport> {
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 2).await.with_context(|| format!("opening {redacted}"))?;
    let result = collect(&pool, farm).await;
    pool.close().await;
    let report = result?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{}", table(&report)),
    }
    Ok(report)
}

/// The active estimate of every turbine of `farm` (every farm when None).
pub async fn collect(pool: &PgPool, farm: Option<&str>) -> Result<EstimatesReport, TrainError> {
    let farm_id = farm_id(pool, farm).await?;
    let models = store::list_models(pool, farm_id).await?;
    let mut report = EstimatesReport { turbines: Vec::new(), without_model: Vec::new() };
    for t in store::list_turbine_refs(pool, farm_id).await? {
        let mine: Vec<&store::ModelRow> = models.iter().filter(|m| m.turbine_id == t.turbine_id).collect();
        match mine.iter().find(|m| m.active) {
            Some(m) => {
                // Stored by `train` from this very type; a row that no longer parses is reported
                // as unusable rather than failing the whole listing.
                match serde_json::from_value::<VaneErrorEstimate>(m.estimate.clone()) {
                    Ok(estimate) => report.turbines.push(TurbineEstimate {
                        estimate,
                        farm: t.farm,
                        trained_at: m.created_at,
                        data_from: m.data_from,
                        data_to: m.data_to,
                    }),
                    Err(e) => report.without_model.push(WithoutModel {
                        farm: t.farm,
                        turbine: t.turbine,
                        latest_version: Some(m.version),
                        reason: format!("active model {} has an unreadable estimate: {e}", m.version),
                    }),
                }
            }
            None => {
                let latest = mine.last();
                let reason = match latest {
                    Some(m) => {
                        format!("model {} ({}) rejected: {}", m.version, m.method, m.reason.as_deref().unwrap_or("?"))
                    }
                    None => "no model trained".to_string(),
                };
                let latest_version = latest.map(|m| m.version);
                report.without_model.push(WithoutModel { farm: t.farm, turbine: t.turbine, latest_version, reason });
            }
        }
    }
    Ok(report)
}

/// The human-readable table.
pub fn table(r: &EstimatesReport) -> String {
    let mut s = format!(
        "{:<10} {:<8} {:<7} {:>3} {:>9} {:>17} {:>9} {:>6} {:>5} {:>8}\n",
        "farm", "turbine", "method", "ver", "vane deg", "ci95 deg", "misalign", "loss %", "p", "windows"
    );
    for t in &r.turbines {
        let e = &t.estimate;
        s += &format!(
            "{:<10} {:<8} {:<7} {:>3} {:>9} {:>17} {:>9} {:>6} {:>5} {:>8}\n",
            t.farm,
            e.turbine,
            e.method,
            e.model_version,
            fmt_deg(e.vane_error_deg),
            fmt_ci(e.ci95),
            fmt_deg(e.misalignment_deg),
            e.energy_loss_pct.map_or("-".to_string(), |v| format!("{v:.2}")),
            e.cos_exponent.map_or("-".to_string(), |v| format!("{v:.2}")),
            e.n_windows,
        );
    }
    for w in &r.without_model {
        s += &format!("{:<10} {:<8} no active model: {}\n", w.farm, w.turbine, w.reason);
    }
    s
}
