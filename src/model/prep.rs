//! Data preparation for vane-error estimation: turns stored 10-minute windows into the
//! operating windows in which power still carries the misalignment signal, and counts what each
//! filter removed so a model's metadata can say how much data it saw.
//!
//! # Filters, in order
//! Each window is removed by the first filter that catches it and counted there:
//! 1. `missing`: wind speed, vane or power not finite (rows lacking them are dropped earlier by
//!    [`windows_from_rows`], which reports how many).
//! 2. `out_of_range`: wind speed outside [`PrepConfig::wind_speed_range_ms`], vane outside
//!    [-180, 180], power outside [`PrepConfig::power_range_frac`] × rated, pitch or rotor speed
//!    (when present) outside the plausibility ranges of `domain::Signal::default_range`.
//! 3. `stuck`: vane or wind speed exactly equal over [`PrepConfig::stuck_run`] or more consecutive
//!    windows (in time order). A real 10-minute mean never repeats to the last bit; a frozen
//!    sensor or a gap-filled export does. The whole run is removed.
//! 4. `downtime`: not producing: power at or below [`PrepConfig::min_power_frac`] × rated, wind
//!    below cut-in, or rotor speed (when present) below [`PrepConfig::min_rotor_rpm`].
//! 5. `pitched`: pitch above [`PrepConfig::max_pitch_deg`] (0.5 deg, as OpenOA): pitch
//!    regulation or curtailment, where the controller holds power and misalignment barely shows.
//! 6. `plateau`: power at or above [`PrepConfig::plateau_power_frac`] × rated: the rated plateau
//!    (and curtailment to it when pitch is not recorded), same reason.
//! 7. `power_curve_outlier`: within 0.5 m/s wind-speed bins, power farther than
//!    [`PrepConfig::outlier_mad_k`] raw MADs from the bin median (abnormal operation, icing,
//!    derating). OpenOA's `bin_filter` bins by power and tests wind speed; we bin by wind speed
//!    and test power because the estimator later compares power at equal wind speed, and power
//!    is the quantity whose outliers bias the fit. Bins with fewer than
//!    [`PrepConfig::outlier_min_bin_count`] windows, or a MAD of zero, are not filtered.
//!
//! Rated power comes from [`PrepConfig::rated_power_kw`] when set; otherwise it is estimated
//! as the highest median power of any 0.5 m/s wind-speed bin with enough windows (robust to
//! spikes; underestimates rated at a site that never reaches it, so set it when known).
//!
//! Validated by the unit tests in `prep_tests.rs`: each filter removes exactly the windows
//! planted for it in synthetic data, and nothing else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stats::{median_in_place, median_mad};
use crate::domain::Signal;
use crate::store::WindowRow;

/// One 10-minute operating window of one turbine, the unit the vane-error estimators work on.
/// Angles in degrees (conventions of `docs/domain.md`), wind speed in m/s, power in kW, rotor speed
/// in rpm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingWindow {
    /// Window start (UTC).
    pub time: DateTime<Utc>,
    /// Mean nacelle-anemometer wind speed, m/s.
    pub wind_speed_ms: f64,
    /// Circular mean vane reading (relative wind direction), degrees in (-180, 180].
    pub vane_deg: f64,
    /// Mean active power, kW.
    pub power_kw: f64,
    /// Mean rotor speed, rpm, when recorded.
    pub rotor_rpm: Option<f64>,
    /// Mean blade pitch, degrees, when recorded.
    pub pitch_deg: Option<f64>,
    /// Circular mean nacelle heading, degrees in [0, 360), when recorded.
    pub nacelle_deg: Option<f64>,
    /// The farm's reference power in the same window, kW: the median power of the other
    /// producing turbines (set by `train` for a farm; `None` elsewhere).
    pub reference_power_kw: Option<f64>,
    /// Mean outdoor temperature, deg C, when recorded (air density, see `model::air_density`).
    pub outdoor_temp_c: Option<f64>,
}

/// Why a stored window cannot become an [`OperatingWindow`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// A signal the estimators need has no mean in this window.
    #[error("window starting {time} has no {signal} mean")]
    Missing { time: DateTime<Utc>, signal: &'static str },
}

impl TryFrom<&WindowRow> for OperatingWindow {
    type Error = WindowError;

    fn try_from(row: &WindowRow) -> Result<Self, Self::Error> {
        let need =
            |v: Option<f64>, s: Signal| v.ok_or(WindowError::Missing { time: row.window_start, signal: s.name() });
        Ok(Self {
            time: row.window_start,
            wind_speed_ms: need(row.wind_speed_ms_mean, Signal::WindSpeed)?,
            vane_deg: need(row.vane_deg_mean, Signal::Vane)?,
            power_kw: need(row.power_kw_mean, Signal::Power)?,
            rotor_rpm: row.rotor_rpm_mean,
            pitch_deg: row.pitch_deg_mean,
            nacelle_deg: row.nacelle_deg_mean,
            reference_power_kw: None,
            outdoor_temp_c: row.outdoor_temp_c_mean,
        })
    }
}

/// Converts stored windows, dropping those that lack wind speed, vane or power. Returns the
/// windows and how many were dropped (add it to [`FilterCounts::missing`] via [`prepare_rows`]).
pub fn windows_from_rows(rows: &[WindowRow]) -> (Vec<OperatingWindow>, usize) {
    let windows: Vec<_> = rows.iter().filter_map(|r| OperatingWindow::try_from(r).ok()).collect();
    let dropped = rows.len() - windows.len();
    (windows, dropped)
}

/// Settings of [`prepare`]. Defaults follow OpenOA's StaticYawMisalignment where it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrepConfig {
    /// Rated power, kW. `None`: estimated from the data (see the module docs).
    pub rated_power_kw: Option<f64>,
    /// Plausible window-mean wind speed, m/s, inclusive. Default (0, 40).
    pub wind_speed_range_ms: (f64, f64),
    /// Plausible power as fractions of rated, inclusive. Default (-0.1, 1.3).
    pub power_range_frac: (f64, f64),
    /// Consecutive exactly-equal vane or wind-speed means that mark a stuck sensor. Default 3.
    pub stuck_run: usize,
    /// Cut-in wind speed, m/s; below it the turbine is not operating. Default 3.
    pub cut_in_ms: f64,
    /// Power at or below this fraction of rated counts as downtime. Default 0.01 (OpenOA's
    /// `min_power_filter`).
    pub min_power_frac: f64,
    /// Rotor speed below this (when recorded), rpm, counts as downtime. Default 0.5.
    pub min_rotor_rpm: f64,
    /// Pitch above this, degrees, is pitch regulation or curtailment. Default 0.5 (OpenOA
    /// `pitch_thresh`).
    pub max_pitch_deg: f64,
    /// Power at or above this fraction of rated is the rated plateau. Default 0.95 (OpenOA's
    /// `max_power_filter` without UQ).
    pub plateau_power_frac: f64,
    /// Width of the wind-speed bins of the power-curve outlier filter, m/s. Default 0.5.
    pub outlier_ws_bin_ms: f64,
    /// Outlier threshold in raw MADs of power from the bin median. Default 7 (OpenOA's
    /// `power_bin_mad_thresh` without UQ).
    pub outlier_mad_k: f64,
    /// Bins with fewer windows are not outlier-filtered (a MAD of a handful means little).
    /// Default 20.
    pub outlier_min_bin_count: usize,
}

impl Default for PrepConfig {
    fn default() -> Self {
        Self {
            rated_power_kw: None,
            wind_speed_range_ms: (0.0, 40.0),
            power_range_frac: (-0.1, 1.3),
            stuck_run: 3,
            cut_in_ms: 3.0,
            min_power_frac: 0.01,
            min_rotor_rpm: 0.5,
            max_pitch_deg: 0.5,
            plateau_power_frac: 0.95,
            outlier_ws_bin_ms: 0.5,
            outlier_mad_k: 7.0,
            outlier_min_bin_count: 20,
        }
    }
}

/// How many windows each filter removed; `input` = `kept` + the rest. Kept in model metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterCounts {
    pub input: usize,
    pub missing: usize,
    pub out_of_range: usize,
    pub stuck: usize,
    pub downtime: usize,
    pub pitched: usize,
    pub plateau: usize,
    pub power_curve_outlier: usize,
    pub kept: usize,
}

/// The windows that survived, in time order, with the counts and the rated power used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prepared {
    pub windows: Vec<OperatingWindow>,
    pub counts: FilterCounts,
    /// Rated power the relative thresholds used, kW.
    pub rated_power_kw: f64,
    /// True when `rated_power_kw` was estimated from the data rather than configured.
    pub rated_power_estimated: bool,
}

/// [`windows_from_rows`] then [`prepare`], with rows lacking a needed mean counted as missing.
pub fn prepare_rows(rows: &[WindowRow], cfg: &PrepConfig) -> Prepared {
    let (windows, dropped) = windows_from_rows(rows);
    let mut out = prepare(&windows, cfg);
    out.counts.input += dropped;
    out.counts.missing += dropped;
    out
}

/// Runs the filters of the module docs, in order, and counts what each removed.
pub fn prepare(windows: &[OperatingWindow], cfg: &PrepConfig) -> Prepared {
    let mut counts = FilterCounts { input: windows.len(), ..FilterCounts::default() };
    let mut w: Vec<OperatingWindow> = windows.to_vec();
    w.sort_by_key(|x| x.time); // stable: equal times keep input order

    w.retain(|x| {
        keep(x.wind_speed_ms.is_finite() && x.vane_deg.is_finite() && x.power_kw.is_finite(), &mut counts.missing)
    });

    let (rated, estimated) = match cfg.rated_power_kw {
        Some(r) => (r, false),
        None => (estimate_rated_kw(&w, cfg), true),
    };
    let in_range = |v: f64, (lo, hi): (f64, f64)| (lo..=hi).contains(&v);
    let opt_in_range = |v: Option<f64>, s: Signal| v.is_none_or(|v| in_range(v, s.default_range()));
    let power_range = (cfg.power_range_frac.0 * rated, cfg.power_range_frac.1 * rated);
    w.retain(|x| {
        let ok = in_range(x.wind_speed_ms, cfg.wind_speed_range_ms)
            && in_range(x.vane_deg, (-180.0, 180.0))
            && in_range(x.power_kw, power_range)
            && opt_in_range(x.pitch_deg, Signal::Pitch)
            && opt_in_range(x.rotor_rpm, Signal::RotorSpeed);
        keep(ok, &mut counts.out_of_range)
    });

    let stuck = stuck_mask(&w, cfg.stuck_run);
    let mut i = 0;
    w.retain(|_| {
        i += 1;
        keep(!stuck[i - 1], &mut counts.stuck)
    });

    w.retain(|x| {
        let down = x.power_kw <= cfg.min_power_frac * rated
            || x.wind_speed_ms < cfg.cut_in_ms
            || x.rotor_rpm.is_some_and(|r| r < cfg.min_rotor_rpm);
        keep(!down, &mut counts.downtime)
    });
    w.retain(|x| keep(!x.pitch_deg.is_some_and(|p| p > cfg.max_pitch_deg), &mut counts.pitched));
    w.retain(|x| keep(x.power_kw < cfg.plateau_power_frac * rated, &mut counts.plateau));

    let outlier = power_curve_outliers(&w, cfg);
    let mut i = 0;
    w.retain(|_| {
        i += 1;
        keep(!outlier[i - 1], &mut counts.power_curve_outlier)
    });

    counts.kept = w.len();
    Prepared { windows: w, counts, rated_power_kw: rated, rated_power_estimated: estimated }
}

/// `retain` helper: passes `ok` through and counts the removal when it is false.
fn keep(ok: bool, removed: &mut usize) -> bool {
    if !ok {
        *removed += 1;
    }
    ok
}

/// Marks windows in runs of at least `run` consecutive exactly-equal vane or wind-speed values.
fn stuck_mask(w: &[OperatingWindow], run: usize) -> Vec<bool> {
    let mut mask = vec![false; w.len()];
    if run < 2 {
        return mask; // a "run" of one is every window
    }
    for value in [|x: &OperatingWindow| x.vane_deg, |x: &OperatingWindow| x.wind_speed_ms] {
        let mut start = 0;
        for i in 1..=w.len() {
            // exact comparison on purpose: only a frozen value repeats bit for bit
            let same = i < w.len() && value(&w[i]) == value(&w[start]);
            if !same {
                if i - start >= run {
                    mask[start..i].iter_mut().for_each(|m| *m = true);
                }
                start = i;
            }
        }
    }
    mask
}

/// Groups window indices by wind-speed bin of width `width_ms`, in ascending bin order.
fn ws_bins(w: &[OperatingWindow], width_ms: f64) -> Vec<Vec<usize>> {
    let mut bins: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, x) in w.iter().enumerate() {
        bins.entry((x.wind_speed_ms / width_ms).floor() as i64).or_default().push(i);
    }
    bins.into_values().collect()
}

/// Highest median power of any well-filled wind-speed bin; the plain maximum if none is.
fn estimate_rated_kw(w: &[OperatingWindow], cfg: &PrepConfig) -> f64 {
    let best = ws_bins(w, cfg.outlier_ws_bin_ms)
        .into_iter()
        .filter(|b| b.len() >= cfg.outlier_min_bin_count)
        .filter_map(|b| median_in_place(&mut b.iter().map(|&i| w[i].power_kw).collect::<Vec<_>>()))
        .fold(f64::NEG_INFINITY, f64::max);
    let best = if best.is_finite() { best } else { w.iter().map(|x| x.power_kw).fold(f64::NEG_INFINITY, f64::max) };
    if best.is_finite() && best > 0.0 { best } else { 1.0 }
}

/// Marks windows whose power lies more than k raw MADs from their wind-speed bin's median.
fn power_curve_outliers(w: &[OperatingWindow], cfg: &PrepConfig) -> Vec<bool> {
    let mut mask = vec![false; w.len()];
    for bin in ws_bins(w, cfg.outlier_ws_bin_ms) {
        if bin.len() < cfg.outlier_min_bin_count {
            continue;
        }
        let powers: Vec<f64> = bin.iter().map(|&i| w[i].power_kw).collect();
        let Some((med, mad)) = median_mad(&powers) else { continue };
        if mad <= 0.0 {
            continue;
        }
        for (&i, p) in bin.iter().zip(powers) {
            mask[i] = (p - med).abs() > cfg.outlier_mad_k * mad;
        }
    }
    mask
}

#[cfg(test)]
#[path = "prep_tests.rs"]
mod tests;
