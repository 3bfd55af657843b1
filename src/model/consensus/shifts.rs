//! Live direction shifts for the drift watch: how far each turbine's raw `nacelle + vane` has
//! moved against the consensus since `recent_from`, compared with the windows before it.
//! A vane-error step (or a north-offset change) of x degrees moves it by about x at once, so a
//! shift is visible within hours, without the power signal.

use chrono::{DateTime, Utc};

use super::bootstrap::batch_mean_difference;
use super::grid::{Grid, circular_median_deg, column_series, keep_mask};
use super::{ConsensusConfig, ConsensusError, DirectionShift, DirectionWindow};
use crate::domain::{wrap180, wrap360};
use crate::model::stats::median_in_place;

/// Shift of each turbine's (uncorrected) nacelle+vane against the consensus: windows at/after
/// `recent_from` vs the ones before.
///
/// # Steps
/// 1. Absolute direction `wrap360(nacelle + vane)`; no vane correction is needed because each
///    turbine is compared with its own baseline.
/// 2. Alignment offsets fitted on the baseline times only, so a recent shift cannot move its
///    own reference; deviations from the circular median of the other turbines (module docs).
/// 3. Outliers dropped per UTC day in the baseline and over the recent span as a whole.
/// 4. Wind-speed matching: the baseline level is a quadratic in the turbine's wind speed
///    (least squares; the plain mean below [`WS_FIT_MIN_WINDOWS`]), and every window is compared with the level at its wind speed. The
///    raw vane error depends on wind speed (wake bias), so a recent span at unusual wind
///    speeds would otherwise look shifted. On the simulator's data (30 days, seed 1) it takes
///    the 12-hour shift of unchanged turbines from 0.56 to about 0.4 degrees (1 sd).
///    `shift = mean over recent windows of (deviation - baseline level of its bin)`, 95 % Welch t interval from non-overlapping
///    batch means of each span (batches of about three autocorrelation times): a block
///    bootstrap of a 12-hour span gives intervals about a quarter too narrow.
/// 5. `sustained` when `|shift| ≥ min_shift_deg`, the interval excludes 0, and each of the
///    `sustain_parts` equal parts of `[recent_from, last window]` that holds at least 3 windows
///    shows at least `min_part_shift_deg` in the same direction (at least half of them must
///    hold 3): a transient lifts the mean but not every part.
///
/// Turbines without `min_baseline_windows` before and `min_recent_windows` after `recent_from`
/// are not reported. Another turbine's step moves the median a little (a fraction of a degree
/// with five turbines), which `min_shift_deg` absorbs; use [`DirectionShift::is_drift`] for the
/// drift threshold.
///
/// # Errors
/// Fewer than `min_turbines` turbines, no common time, no baseline time, non-finite or
/// duplicate windows, an invalid config.
pub fn direction_shifts(
    windows: &[DirectionWindow],
    recent_from: DateTime<Utc>,
    cfg: &ConsensusConfig,
) -> Result<Vec<DirectionShift>, ConsensusError> {
    cfg.validate()?;
    let grid = Grid::build(windows, cfg.min_turbines, |w| Some(wrap360(w.nacelle_deg + w.vane_deg)))?;
    let split = grid.times.partition_point(|t| *t < recent_from);
    if split == 0 {
        return Err(ConsensusError::NoBaseline { recent_from, required: cfg.min_turbines });
    }
    let base_align = grid.fit_alignment(cfg.min_turbines, |t| t < split);
    let n = grid.n_turbines();
    let dev0 = grid.deviations(|_, j| base_align[j], cfg.min_turbines);
    let levels0: Vec<BaselineLevels> = (0..n)
        .map(|col| {
            let (rows, vals) = column_series(&dev0, n, col);
            let cut = rows.partition_point(|&r| r < split);
            let pairs: Vec<(f64, f64)> =
                rows[..cut].iter().zip(&vals).map(|(&r, &v)| (grid.wind_speed(r, col), v)).collect();
            BaselineLevels::fit(&pairs)
        })
        .collect();
    let recent_align = recent_alignment(&grid, &base_align, &levels0, split, cfg.min_turbines);
    let align = |t: usize, j: usize| if t < split { base_align[j] } else { recent_align[j] };
    let dev = grid.deviations(align, cfg.min_turbines);

    let mut out = Vec::new();
    for col in 0..n {
        let (rows, vals) = column_series(&dev, n, col);
        let cut = rows.partition_point(|&r| r < split);
        // Baseline outliers per UTC day; the recent span as one group so a real shift is kept.
        let groups: Vec<i64> = rows
            .iter()
            .enumerate()
            .map(|(k, &r)| if k < cut { grid.times[r].timestamp().div_euclid(86_400) } else { i64::MAX })
            .collect();
        let keep = keep_mask(&vals, &groups, cfg.outlier_mads, cfg.outlier_floor_deg);
        let (mut base, mut recent, mut recent_times) = (Vec::new(), Vec::new(), Vec::new());
        for (k, (&r, &v)) in rows.iter().zip(&vals).enumerate().filter(|(k, _)| keep[*k]) {
            let ws = grid.wind_speed(r, col);
            if k < cut {
                base.push((ws, v));
            } else {
                recent.push((ws, v));
                recent_times.push(grid.times[r]);
            }
        }
        let levels = BaselineLevels::fit(&base);
        let base: Vec<f64> = base.iter().map(|&(ws, v)| v - levels.at(ws)).collect();
        let recent: Vec<f64> = recent.iter().map(|&(ws, v)| v - levels.at(ws)).collect();
        if base.len() < cfg.min_baseline_windows.max(3) || recent.len() < cfg.min_recent_windows.max(3) {
            continue;
        }
        let turbine_id = grid.turbines[col];
        let (shift_deg, ci95) = batch_mean_difference(&base, &recent, cfg.block_windows);
        let recent_to = *recent_times.last().expect("recent is not empty");
        let sustained = shift_deg.abs() >= cfg.min_shift_deg
            && (ci95[0] > 0.0 || ci95[1] < 0.0)
            && holds_throughout(&recent_times, &recent, shift_deg, recent_from, cfg);
        out.push(DirectionShift {
            turbine_id,
            shift_deg,
            ci95,
            recent_from,
            recent_to,
            n_recent: recent.len(),
            n_baseline: base.len(),
            sustained,
        });
    }
    Ok(out)
}

/// Whether every populated part of the recent span shows the shift (see `direction_shifts`).
fn holds_throughout(
    times: &[DateTime<Utc>],
    values: &[f64],
    shift_deg: f64,
    recent_from: DateTime<Utc>,
    cfg: &ConsensusConfig,
) -> bool {
    let parts = cfg.sustain_parts;
    let span_ms = (times[times.len() - 1] - recent_from).num_milliseconds().max(0) as f64 + 1.0;
    let (mut sum, mut cnt) = (vec![0.0; parts], vec![0usize; parts]);
    for (t, v) in times.iter().zip(values) {
        let pos = (*t - recent_from).num_milliseconds().max(0) as f64 / span_ms;
        let p = ((pos * parts as f64) as usize).min(parts - 1);
        sum[p] += v;
        cnt[p] += 1;
    }
    let populated: Vec<usize> = (0..parts).filter(|&p| cnt[p] >= 3).collect();
    if populated.len() * 2 < parts {
        return false;
    }
    populated.iter().all(|&p| sum[p] / cnt[p] as f64 * shift_deg.signum() >= cfg.min_part_shift_deg)
}

/// Alignment of the recent rows: a turbine that shifted is re-aligned by its shift, so it does
/// not pull the others' recent consensus (with five turbines a 2.5 degree step would otherwise
/// move the others by about half a degree). Each turbine's change is its median recent
/// deviation minus its wind-speed matched baseline level (`levels`, so a turbine whose vane
/// error merely follows the wind speed is not re-aligned); the changes are re-centred on their median across
/// turbines ([`robust_centre`]), which anchors the recent span to the baseline through the
/// turbines that did not move. Three rounds settle it.
fn recent_alignment(
    grid: &Grid,
    base: &[f64],
    levels: &[BaselineLevels],
    split: usize,
    min_turbines: usize,
) -> Vec<f64> {
    let n = grid.n_turbines();
    let mut recent = base.to_vec();
    let mut col = Vec::new();
    for _ in 0..3 {
        let dev = grid.deviations(|t, j| if t < split { base[j] } else { recent[j] }, min_turbines);
        let mut change: Vec<f64> = (0..n)
            .map(|i| {
                col.clear();
                col.extend(
                    (split..grid.times.len())
                        .filter(|&t| !dev[t * n + i].is_nan())
                        .map(|t| wrap180(dev[t * n + i] - levels[i].at(grid.wind_speed(t, i)))),
                );
                circular_median_deg(&mut col).unwrap_or(0.0)
            })
            .collect();
        let centre = robust_centre(&change);
        change.iter_mut().for_each(|c| *c -= centre);
        recent = base.iter().zip(&change).map(|(b, c)| b + c).collect();
    }
    recent
}

/// Mean of the values near their median (within 2.5 scaled MADs, at least 0.5 degrees): the
/// median alone would be biased by a shifted turbine (it picks an upper-middle value of the
/// rest), the mean alone would follow it.
fn robust_centre(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    let Some(med) = median_in_place(&mut v) else { return 0.0 };
    v.iter_mut().for_each(|x| *x = (*x - med).abs());
    let mad = median_in_place(&mut v).unwrap_or(0.0);
    let limit = (2.5 * 1.4826 * mad).max(0.5);
    let near: Vec<f64> = values.iter().copied().filter(|x| (x - med).abs() <= limit).collect();
    near.iter().sum::<f64>() / near.len() as f64
}

/// Baseline windows needed before the level is fitted against wind speed (3 days of 10-minute
/// windows); a shorter baseline is one or two weather regimes, where a wind-speed fit would be
/// confounded with time and could absorb a step (seen on the simulator with a one-day
/// baseline), so it gets the plain mean.
pub const WS_FIT_MIN_WINDOWS: usize = 432;

/// Baseline level of a turbine's deviation as a quadratic in wind speed, fitted by least
/// squares; evaluated with the wind speed clamped to the baseline's range. Three parameters
/// follow the smooth wake-bias curve but, unlike per-bin means, cannot soak up a step that
/// happens to coincide with a change of wind regime inside the baseline.
struct BaselineLevels {
    coef: [f64; 3],
    centre: f64,
    range: (f64, f64),
}

impl BaselineLevels {
    fn fit(base: &[(f64, f64)]) -> Self {
        let n = base.len().max(1) as f64;
        let centre = base.iter().map(|(ws, _)| ws).sum::<f64>() / n;
        let range =
            base.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (ws, _)| (lo.min(*ws), hi.max(*ws)));
        let mean = base.iter().map(|(_, v)| v).sum::<f64>() / n;
        if base.len() < WS_FIT_MIN_WINDOWS {
            return Self { coef: [mean, 0.0, 0.0], centre, range };
        }
        // Normal equations of v = c0 + c1 x + c2 x^2, x = ws - centre.
        let (mut a, mut y) = ([[0.0; 3]; 3], [0.0; 3]);
        for &(ws, v) in base {
            let x = ws - centre;
            let p = [1.0, x, x * x];
            for r in 0..3 {
                y[r] += p[r] * v;
                for c in 0..3 {
                    a[r][c] += p[r] * p[c];
                }
            }
        }
        let coef = solve3(a, y).unwrap_or([mean, 0.0, 0.0]);
        Self { coef, centre, range }
    }

    fn at(&self, ws: f64) -> f64 {
        let x = ws.clamp(self.range.0, self.range.1) - self.centre;
        self.coef[0] + self.coef[1] * x + self.coef[2] * x * x
    }
}

/// Solves a 3x3 linear system by Gaussian elimination with partial pivoting; `None` when it is
/// (nearly) singular, e.g. a baseline at a single wind speed.
fn solve3(mut a: [[f64; 3]; 3], mut y: [f64; 3]) -> Option<[f64; 3]> {
    let scale = a.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
    for col in 0..3 {
        let piv = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() <= 1e-9 * scale {
            return None;
        }
        a.swap(col, piv);
        y.swap(col, piv);
        let pivot_row = a[col];
        for r in col + 1..3 {
            let f = a[r][col] / pivot_row[col];
            a[r].iter_mut().zip(&pivot_row).skip(col).for_each(|(v, p)| *v -= f * p);
            y[r] -= f * y[col];
        }
    }
    let mut x = [0.0; 3];
    for r in (0..3).rev() {
        x[r] = (y[r] - (r + 1..3).map(|c| a[r][c] * x[c]).sum::<f64>()) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve3_solves_and_refuses_singular_systems() {
        let x = solve3([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], [3.0, 5.0, 5.0]).unwrap();
        for (got, want) in x.iter().zip([1.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        assert!(solve3([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], [1.0, 2.0, 3.0]).is_none());
    }

    #[test]
    fn baseline_levels_follow_a_quadratic_in_wind_speed_and_clamp_outside_it() {
        let base: Vec<(f64, f64)> = (0..WS_FIT_MIN_WINDOWS)
            .map(|k| 4.0 + 8.0 * k as f64 / WS_FIT_MIN_WINDOWS as f64)
            .map(|ws| (ws, 0.1 * ws * ws))
            .collect();
        let levels = BaselineLevels::fit(&base);
        assert!((levels.at(6.0) - 3.6).abs() < 1e-6);
        assert!((levels.at(20.0) - levels.at(12.0)).abs() < 1e-12);
        let short = BaselineLevels::fit(&base[..10]);
        assert!((short.at(4.0) - short.at(12.0)).abs() < 1e-12, "a short baseline gets a flat level");
    }
}
