//! Builds [`TurbineReport`]s and [`FarmReport`]s from the model registry and the turbine's
//! windows. The only module of `report` that talks to the store.

use chrono::{TimeZone, Utc};

use super::{
    BinnedComparison, Coverage, Energy, FarmReport, FilterCount, ModelInfo, OPENOA_NOTE, ReportError, StaticOffset,
    TurbineReport, TurbineSummary, WithoutReport,
};
use crate::model::VaneErrorEstimate;
use crate::store::{self, ModelRow, PgPool};

/// Hours in a (non-leap) year, for annual energy.
const HOURS_PER_YEAR: f64 = 8760.0;
/// Filter counts in the order the data preparation applies them (`model::prep`).
const FILTER_ORDER: [&str; 9] =
    ["input", "missing", "out_of_range", "stuck", "downtime", "pitched", "plateau", "power_curve_outlier", "kept"];

/// The report of `turbine` of `farm`, from its active model.
pub async fn build_turbine_report(pool: &PgPool, farm: &str, turbine: &str) -> Result<TurbineReport, ReportError> {
    let farm_id = store::find_farm(pool, farm).await?.ok_or_else(|| ReportError::UnknownFarm(farm.to_string()))?;
    let t = store::list_turbines(pool, farm_id)
        .await?
        .into_iter()
        .find(|t| t.name == turbine)
        .ok_or_else(|| ReportError::UnknownTurbine { farm: farm.to_string(), turbine: turbine.to_string() })?;
    report_for(pool, farm, turbine, t.id).await
}

/// The farm report: every turbine with an active model, ranked by recoverable MWh/year; the
/// others are listed with the reason. An error when no turbine has an active model.
pub async fn build_farm_report(pool: &PgPool, farm: &str) -> Result<FarmReport, ReportError> {
    let farm_id = store::find_farm(pool, farm).await?.ok_or_else(|| ReportError::UnknownFarm(farm.to_string()))?;
    let mut turbines = Vec::new();
    let mut without_report = Vec::new();
    for t in store::list_turbines(pool, farm_id).await? {
        match report_for(pool, farm, &t.name, t.id).await {
            Ok(r) => turbines.push(TurbineSummary::from(&r)),
            Err(e @ (ReportError::NoActiveModel { .. } | ReportError::BadEstimate { .. })) => {
                without_report.push(WithoutReport { turbine: t.name, reason: e.to_string() })
            }
            Err(e) => return Err(e),
        }
    }
    if turbines.is_empty() {
        return Err(ReportError::NoActiveModels(farm.to_string()));
    }
    Ok(rank(farm, turbines, without_report))
}

/// Sorts by recoverable MWh/year, largest first, unknown last, then by name.
fn rank(farm: &str, mut turbines: Vec<TurbineSummary>, without_report: Vec<WithoutReport>) -> FarmReport {
    turbines.sort_by(|a, b| {
        let key = |s: &TurbineSummary| s.recoverable_mwh_per_year.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then_with(|| a.turbine.cmp(&b.turbine))
    });
    let total = turbines.iter().filter_map(|t| t.recoverable_mwh_per_year).sum();
    FarmReport {
        farm: farm.to_string(),
        generated_at: Utc::now(),
        turbines,
        total_recoverable_mwh_per_year: total,
        without_report,
    }
}

async fn report_for(pool: &PgPool, farm: &str, turbine: &str, turbine_id: i32) -> Result<TurbineReport, ReportError> {
    let models = store::models::turbine_models(pool, turbine_id).await?; // newest first
    let Some(row) = models.iter().find(|m| m.active) else {
        let reason = match models.first() {
            Some(m) => {
                format!("model {} ({}) {}: {}", m.version, m.method, m.status, m.reason.as_deref().unwrap_or("?"))
            }
            None => "no model trained".to_string(),
        };
        return Err(ReportError::NoActiveModel { farm: farm.to_string(), turbine: turbine.to_string(), reason });
    };
    let estimate = parse_estimate(farm, row)?;
    let length_s = row.metrics.get("length_s").and_then(|v| v.as_i64()).map_or(600, |v| v as i32);
    // The period the model saw; without one (a hand-registered model) every stored window.
    let from = row.data_from.unwrap_or_else(|| Utc.timestamp_opt(0, 0).unwrap());
    let to = row
        .data_to
        .map_or_else(|| Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap(), |t| t + chrono::TimeDelta::microseconds(1));
    let windows = store::windows_between(pool, turbine_id, length_s, from, to).await?;
    let powers: Vec<f64> = windows.iter().filter_map(|w| w.power_kw_mean).filter(|p| p.is_finite()).collect();
    let mean_power_kw = (!powers.is_empty()).then(|| powers.iter().sum::<f64>() / powers.len() as f64);

    let binned_comparison = if row.method == "binned" {
        None
    } else {
        models.iter().find(|m| m.method == "binned").and_then(|m| {
            // A comparison is context: an unreadable old estimate is left out, not an error.
            let e = serde_json::from_value::<VaneErrorEstimate>(m.estimate.clone()).ok()?;
            Some(BinnedComparison {
                version: m.version,
                status: m.status.clone(),
                created_at: m.created_at,
                vane_error_deg: e.vane_error_deg,
                ci95: e.ci95,
                misalignment_deg: e.misalignment_deg,
                openoa_yaw_misalignment_deg: m
                    .metrics
                    .pointer("/fit/openoa_yaw_misalignment_deg")
                    .and_then(|v| v.as_f64()),
                note: OPENOA_NOTE.to_string(),
            })
        })
    };

    let n_windows = row.n_windows.map_or(estimate.n_windows as u64, |n| n.max(0) as u64);
    let windows_loaded = row.metrics.get("windows_loaded").and_then(|v| v.as_u64());
    Ok(TurbineReport {
        farm: farm.to_string(),
        turbine: turbine.to_string(),
        generated_at: Utc::now(),
        model: ModelInfo { version: row.version, method: row.method.clone(), created_at: row.created_at },
        coverage: Coverage {
            data_from: row.data_from,
            data_to: row.data_to,
            length_s,
            windows_loaded,
            n_windows,
            share_kept: windows_loaded.filter(|&l| l > 0).map(|l| n_windows as f64 / l as f64),
        },
        filter_counts: filter_counts(&row.metrics),
        method_note: method_note(&row.method).to_string(),
        static_offset: StaticOffset { yaw_offset_deg: estimate.vane_error_deg, ci95: estimate.ci95 },
        energy: energy(&estimate, mean_power_kw, powers.len() as u64),
        bins: estimate.bins,
        drift_events: estimate.drift_events,
        gain: estimate.gain,
        cos_exponent: estimate.cos_exponent,
        misalignment_deg: estimate.misalignment_deg,
        north_offset_deg: estimate.north_offset_deg,
        binned_comparison,
    })
}

fn parse_estimate(farm: &str, row: &ModelRow) -> Result<VaneErrorEstimate, ReportError> {
    serde_json::from_value(row.estimate.clone()).map_err(|e| ReportError::BadEstimate {
        farm: farm.to_string(),
        turbine: row.turbine.clone(),
        version: row.version,
        message: e.to_string(),
    })
}

/// The `filter_counts` of a model's metrics in pipeline order, unknown names after them.
fn filter_counts(metrics: &serde_json::Value) -> Vec<FilterCount> {
    let Some(map) = metrics.get("filter_counts").and_then(|v| v.as_object()) else { return Vec::new() };
    let known = FILTER_ORDER.iter().filter_map(|k| map.get(*k).map(|v| (k.to_string(), v)));
    let unknown = map.iter().filter(|(k, _)| !FILTER_ORDER.contains(&k.as_str())).map(|(k, v)| (k.clone(), v));
    known.chain(unknown).filter_map(|(filter, v)| Some(FilterCount { filter, windows: v.as_u64()? })).collect()
}

/// The energy figures of the module docs, from the estimate and the mean power as operated.
pub fn energy(e: &VaneErrorEstimate, mean_power_kw: Option<f64>, power_windows: u64) -> Energy {
    let loss = e.energy_loss_pct.map(|pct| pct / 100.0);
    let static_loss = match (e.misalignment_deg, e.cos_exponent) {
        (Some(m), Some(p)) => Some(1.0 - m.to_radians().cos().max(0.0).powf(p)),
        _ => None,
    };
    let recoverable = match (static_loss, loss) {
        (Some(s), Some(l)) => Some(s.min(l)),
        (s, _) => s,
    };
    let annual = mean_power_kw.map(|p| p * HOURS_PER_YEAR / 1000.0);
    // Production had the turbine been aligned: what the loss shares are shares of.
    let aligned = match (annual, loss) {
        (Some(a), Some(l)) if l < 1.0 => Some(a / (1.0 - l)),
        _ => None,
    };
    Energy {
        energy_loss_pct: e.energy_loss_pct,
        mean_power_kw,
        power_windows,
        annual_energy_mwh: annual,
        annual_loss_mwh: aligned.zip(loss).map(|(a, l)| a * l),
        recoverable_pct: recoverable.map(|r| r * 100.0),
        recoverable_mwh_per_year: aligned.zip(recoverable).map(|(a, r)| a * r),
        remaining_loss_pct: loss.zip(recoverable).map(|(l, r)| (l - r) * 100.0),
    }
}

/// A paragraph on how the method estimates the vane error.
fn method_note(method: &str) -> &'static str {
    match method {
        "neural" => {
            "Neural (trueyaw): a structured model fitted to the turbine's filtered windows: power \
             peaks where the rotor is truly aligned, i.e. where vane_deg equals the vane error e; e is \
             smooth in wind speed, drift steps are detected on the residuals, and an ensemble gives \
             the 95 % intervals. Bins without a power signal (above rated, or no data) are \
             extrapolated and marked."
        }
        "binned" => {
            "Binned (NREL OpenOA StaticYawMisalignment style): per 1 m/s wind-speed bin, a fit of \
             A*cos^p(vane - e) to power against vane angle; bootstrap 95 % intervals. Assumes a \
             static offset (no drift). Bins without a power signal are extrapolated and marked."
        }
        _ => "Unknown method: see the model's artifact directory for its configuration.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(misalignment: f64, p: f64, loss_pct: f64) -> VaneErrorEstimate {
        let mut e = VaneErrorEstimate::empty("T01", "neural", 100);
        e.misalignment_deg = Some(misalignment);
        e.cos_exponent = Some(p);
        e.energy_loss_pct = Some(loss_pct);
        e
    }

    #[test]
    fn recoverable_energy_is_the_mean_misalignment_share_of_the_aligned_production() {
        let e = estimate(-6.0, 2.0, 1.5);
        let out = energy(&e, Some(1000.0), 10);
        assert!((out.annual_energy_mwh.unwrap() - 8760.0).abs() < 1e-9);
        let aligned = 8760.0 / (1.0 - 0.015);
        assert!((out.annual_loss_mwh.unwrap() - aligned * 0.015).abs() < 1e-9);
        let share = 1.0 - 6f64.to_radians().cos().powi(2);
        assert!((out.recoverable_pct.unwrap() - share * 100.0).abs() < 1e-9);
        assert!((out.recoverable_mwh_per_year.unwrap() - aligned * share).abs() < 1e-9);
        assert!((out.remaining_loss_pct.unwrap() - (1.5 - share * 100.0)).abs() < 1e-9);
    }

    #[test]
    fn recoverable_never_exceeds_the_whole_loss() {
        let out = energy(&estimate(10.0, 2.0, 0.5), Some(500.0), 3);
        assert_eq!(out.recoverable_pct, Some(0.5));
        assert!(out.remaining_loss_pct.unwrap().abs() < 1e-12);
    }

    #[test]
    fn without_power_windows_no_energy_is_claimed() {
        let out = energy(&estimate(3.0, 2.0, 1.0), None, 0);
        assert_eq!(out.annual_energy_mwh, None);
        assert_eq!(out.recoverable_mwh_per_year, None);
        assert!(out.recoverable_pct.is_some());
    }

    #[test]
    fn filter_counts_follow_the_pipeline_order() {
        let m = serde_json::json!({"filter_counts": {"kept": 5, "input": 9, "pitched": 4, "extra": 0}});
        let names: Vec<_> = filter_counts(&m).into_iter().map(|f| f.filter).collect();
        assert_eq!(names, ["input", "pitched", "kept", "extra"]);
    }

    #[test]
    fn the_farm_ranking_puts_the_largest_recoverable_energy_first_and_unknown_last() {
        let s = |name: &str, mwh: Option<f64>| TurbineSummary {
            turbine: name.into(),
            model_version: 1,
            method: "neural".into(),
            yaw_offset_deg: None,
            ci95: None,
            misalignment_deg: None,
            energy_loss_pct: None,
            annual_energy_mwh: None,
            annual_loss_mwh: None,
            recoverable_mwh_per_year: mwh,
            drift_events: 0,
            n_windows: 0,
        };
        let r = rank("wf", vec![s("A", None), s("B", Some(1.0)), s("C", Some(5.0))], Vec::new());
        let order: Vec<_> = r.turbines.iter().map(|t| t.turbine.as_str()).collect();
        assert_eq!(order, ["C", "B", "A"]);
        assert_eq!(r.total_recoverable_mwh_per_year, 6.0);
    }
}
