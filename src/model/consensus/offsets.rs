//! North offsets from the farm consensus of corrected absolute direction, with jumps.
//!
//! The offset reported is that of the latest segment (after the last jump), since that is what
//! a correction applied now needs. Its interval comes from one moving-block bootstrap over the
//! farm's time grid shared by all turbines, so the uncertainty of the reference (the farm mean
//! or the reference turbine) is carried into every offset.

use super::bootstrap::{block_indices, block_len, interval95, lag1_autocorr, rng};
use super::grid::{Grid, column_series, keep_mask, piecewise, segment_medians};
use super::jumps::{Jump, find_jumps};
use super::{ConsensusConfig, ConsensusError, DirectionWindow, NorthOffset, OffsetJump, Reference, VaneCorrection};
use crate::domain::{wrap180, wrap360};

/// Each turbine's north offset relative to `reference`, with a 95 % interval and the jumps of
/// its deviation from the consensus.
///
/// # Steps
/// 1. Corrected absolute direction of every window, `wrap360(nacelle + (vane - e) / (1 + k))`
///    with e and k from `corr`; windows whose turbine has no correction are left out.
/// 2. Alignment and deviation from the circular median of the other turbines (module docs).
/// 3. Outliers dropped per UTC day; jumps found by binary segmentation ([`super::jumps`]).
/// 4. Offset = mean deviation over the latest segment; with [`Reference::Farm`] the mean over
///    the reported turbines is removed, with [`Reference::Turbine`] the reference's offset is.
/// 5. 95 % interval: moving-block bootstrap of the time grid (all turbines resampled together),
///    steps 4 repeated per replicate, widened to at least ±`min_offset_half_width_deg` for the
///    bias of an imperfect vane correction, which resampling cannot see.
///
/// Turbines with fewer than `min_windows` windows in their latest segment are not reported.
///
/// # Assumptions
/// Directions of one time span less than a half circle; the vane error changes less within the
/// data than the offsets to be seen (a vane step not in `corr` shows as an offset jump).
///
/// # Errors
/// Fewer than `min_turbines` turbines, no common time, a reference turbine without enough
/// windows, non-finite or duplicate windows, an invalid config.
pub fn north_offsets(
    windows: &[DirectionWindow],
    corr: &dyn VaneCorrection,
    reference: &Reference,
    cfg: &ConsensusConfig,
) -> Result<Vec<NorthOffset>, ConsensusError> {
    cfg.validate()?;
    let grid = Grid::build(windows, cfg.min_turbines, |w| {
        let e = corr.vane_error_deg(w.turbine_id, w.wind_speed_ms)?;
        let k = corr.gain(w.turbine_id);
        Some(wrap360(w.nacelle_deg + (w.vane_deg - e) / (1.0 + k)))
    })?;
    let ref_col = match *reference {
        Reference::Farm => None,
        Reference::Turbine(id) => Some(grid.column(id).ok_or(ConsensusError::UnknownReference(id))?),
    };
    let n = grid.n_turbines();
    let offsets = grid.fit_alignment(cfg.min_turbines, |_| true);
    let mut dev = grid.deviations(|_, j| offsets[j], cfg.min_turbines);
    let mut columns: Vec<Column> = (0..n).map(|col| Column::analyse(&grid, &dev, col, cfg)).collect();
    if columns.iter().any(|c| !c.jumps.is_empty()) {
        // A turbine that jumped, aligned by one constant, would pull the others' consensus
        // after its jump; re-align it piecewise between its jumps and look again.
        let starts: Vec<Vec<usize>> = columns.iter().map(|c| c.jumps.iter().map(|j| c.rows[j.at]).collect()).collect();
        for _ in 0..2 {
            let levels = segment_medians(&dev, n, &starts, &offsets);
            dev = grid.deviations(|t, j| piecewise(&levels[j], t), cfg.min_turbines);
        }
        columns = (0..n).map(|col| Column::analyse(&grid, &dev, col, cfg)).collect();
    }

    // Per turbine: kept values of its latest segment on the time grid (NaN elsewhere), jumps.
    let mut latest = vec![f64::NAN; dev.len()];
    let mut found = Vec::with_capacity(n);
    let mut rho_max: f64 = 0.0;
    for (col, c) in columns.into_iter().enumerate() {
        let from = c.jumps.last().map_or(0, |j| j.at);
        for (&r, &v) in c.rows[from..].iter().zip(&c.vals[from..]) {
            latest[r * n + col] = v;
        }
        rho_max = rho_max.max(lag1_autocorr(&c.vals[from..]));
        let jumps = c
            .jumps
            .iter()
            .map(|j| OffsetJump { time: grid.times[c.rows[j.at]], delta_deg: j.delta_deg, ci95: j.ci95 })
            .collect::<Vec<_>>();
        found.push((c.vals.len() - from, jumps));
    }

    let reported: Vec<bool> = found.iter().map(|(count, _)| *count >= cfg.min_windows).collect();
    if let Some(r) = ref_col.filter(|&r| !reported[r]) {
        return Err(ConsensusError::ReferenceUnderSampled {
            turbine_id: grid.turbines[r],
            n_windows: found[r].0,
            required: cfg.min_windows,
        });
    }
    let estimate = |rows: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        let (mut sum, mut cnt) = (vec![0.0; n], vec![0usize; n]);
        for t in rows {
            for col in 0..n {
                let v = latest[t * n + col];
                if !v.is_nan() {
                    sum[col] += v;
                    cnt[col] += 1;
                }
            }
        }
        let means: Vec<f64> = sum.iter().zip(&cnt).map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN }).collect();
        relative_to(&means, &reported, ref_col)
    };
    let point = estimate(&mut (0..grid.times.len()));

    let n_times = grid.times.len();
    let block = block_len(n_times, rho_max, cfg.block_windows);
    let mut rng = rng(cfg.seed, 0x006e_6f72_7468);
    let mut reps = vec![Vec::with_capacity(cfg.bootstrap_reps); n];
    for _ in 0..cfg.bootstrap_reps {
        let est = estimate(&mut block_indices(n_times, block, &mut rng).into_iter());
        for (col, v) in est.into_iter().enumerate() {
            if !v.is_nan() {
                reps[col].push(point[col] + wrap180(v - point[col]));
            }
        }
    }

    let mut out = Vec::new();
    for (col, ((n_windows, jumps), r)) in found.into_iter().zip(reps).enumerate() {
        if !reported[col] {
            continue;
        }
        let ci95 = if Some(col) == ref_col { [0.0, 0.0] } else { interval95(r) };
        let north_offset_deg = wrap180(point[col]);
        let shift = north_offset_deg - point[col];
        let floor = if Some(col) == ref_col { 0.0 } else { cfg.min_offset_half_width_deg };
        let ci95 = [(ci95[0] + shift).min(north_offset_deg - floor), (ci95[1] + shift).max(north_offset_deg + floor)];
        out.push(NorthOffset { turbine_id: grid.turbines[col], north_offset_deg, ci95, n_windows, jumps });
    }
    Ok(out)
}

/// Mean deviations re-expressed relative to the reference: minus their mean over the reported
/// turbines, or minus the reference turbine's. NaN where a turbine has no value.
fn relative_to(means: &[f64], reported: &[bool], ref_col: Option<usize>) -> Vec<f64> {
    let zero = match ref_col {
        Some(r) => means[r],
        None => {
            let vals: Vec<f64> =
                means.iter().zip(reported).filter(|(m, r)| **r && !m.is_nan()).map(|(m, _)| *m).collect();
            vals.iter().sum::<f64>() / vals.len().max(1) as f64
        }
    };
    means.iter().map(|m| m - zero).collect()
}

/// One turbine's deviation series after outlier removal, and its jumps.
struct Column {
    /// Grid rows of the kept windows, ascending.
    rows: Vec<usize>,
    /// Deviations at those rows, unwrapped around their circular mean, degrees.
    vals: Vec<f64>,
    /// Jumps, `at` indexing `rows`/`vals`.
    jumps: Vec<Jump>,
}

impl Column {
    fn analyse(grid: &Grid, dev: &[f64], col: usize, cfg: &ConsensusConfig) -> Self {
        let (rows, vals) = column_series(dev, grid.n_turbines(), col);
        let days: Vec<i64> = rows.iter().map(|&r| grid.times[r].timestamp().div_euclid(86_400)).collect();
        let keep = keep_mask(&vals, &days, cfg.outlier_mads, cfg.outlier_floor_deg);
        let (rows, vals): (Vec<usize>, Vec<f64>) =
            rows.into_iter().zip(vals).zip(keep).filter(|(_, k)| *k).map(|(rv, _)| rv).unzip();
        let times: Vec<_> = rows.iter().map(|&r| grid.times[r]).collect();
        let jumps = find_jumps(&times, &vals, cfg, grid.turbines[col] as u64);
        Self { rows, vals, jumps }
    }
}
