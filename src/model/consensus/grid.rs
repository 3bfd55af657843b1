//! The time grid of a farm (windows matched by identical time), the circular median, the
//! alignment of turbines to a common footing and each turbine's deviation from the median of
//! the others. Missing cells are NaN so a year of a large farm stays one flat `Vec<f64>`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{ConsensusError, DirectionWindow};
use crate::domain::{circular_mean_deg, wrap180};
use crate::model::stats::median_in_place;

/// Absolute directions on a grid of times × turbines.
pub(super) struct Grid {
    /// Turbine ids, ascending; column order.
    pub turbines: Vec<i32>,
    /// Times with at least `min_turbines` turbines, ascending; row order.
    pub times: Vec<DateTime<Utc>>,
    /// Row-major, degrees in [0, 360) or NaN where the turbine has no window.
    dir: Vec<f64>,
    /// Row-major wind speed of the same windows, m/s (NaN where no window).
    ws: Vec<f64>,
}

impl Grid {
    /// Builds the grid from `windows`, with `direction` giving each window's absolute direction
    /// (`None` leaves it out). Errors on non-finite inputs, duplicates, fewer than
    /// `min_turbines` turbines, or no time with `min_turbines` turbines.
    pub fn build(
        windows: &[DirectionWindow],
        min_turbines: usize,
        direction: impl Fn(&DirectionWindow) -> Option<f64>,
    ) -> Result<Self, ConsensusError> {
        let mut by_time: BTreeMap<DateTime<Utc>, Vec<(i32, f64, f64)>> = BTreeMap::new();
        for w in windows {
            if !(w.nacelle_deg.is_finite() && w.vane_deg.is_finite() && w.wind_speed_ms.is_finite()) {
                return Err(ConsensusError::NonFinite { turbine_id: w.turbine_id, time: w.time });
            }
            let Some(d) = direction(w).filter(|d| d.is_finite()) else { continue };
            let row = by_time.entry(w.time).or_default();
            if row.iter().any(|&(id, _, _)| id == w.turbine_id) {
                return Err(ConsensusError::DuplicateWindow { turbine_id: w.turbine_id, time: w.time });
            }
            row.push((w.turbine_id, d, w.wind_speed_ms));
        }
        let mut turbines: Vec<i32> = by_time.values().flatten().map(|&(id, _, _)| id).collect();
        turbines.sort_unstable();
        turbines.dedup();
        if turbines.len() < min_turbines {
            return Err(ConsensusError::TooFewTurbines { found: turbines.len(), required: min_turbines });
        }
        let n = turbines.len();
        let (mut times, mut dir, mut ws) = (Vec::new(), Vec::new(), Vec::new());
        for (t, row) in by_time.into_iter().filter(|(_, row)| row.len() >= min_turbines) {
            let start = dir.len();
            dir.resize(start + n, f64::NAN);
            ws.resize(start + n, f64::NAN);
            for (id, d, speed) in row {
                let col = turbines.binary_search(&id).expect("id collected above");
                dir[start + col] = d;
                ws[start + col] = speed;
            }
            times.push(t);
        }
        if times.is_empty() {
            return Err(ConsensusError::NoCommonWindows { required: min_turbines });
        }
        Ok(Self { turbines, times, dir, ws })
    }

    pub fn n_turbines(&self) -> usize {
        self.turbines.len()
    }

    /// Column of turbine `id`.
    pub fn column(&self, id: i32) -> Option<usize> {
        self.turbines.binary_search(&id).ok()
    }

    /// Wind speed of turbine column `col` at row `t`, m/s (NaN where it has no window).
    pub fn wind_speed(&self, t: usize, col: usize) -> f64 {
        self.ws[t * self.n_turbines() + col]
    }

    fn row(&self, t: usize) -> &[f64] {
        let n = self.n_turbines();
        &self.dir[t * n..(t + 1) * n]
    }

    /// Deviation of every cell from the circular median of the other turbines at the same time
    /// after subtracting their alignment `align(row, column)`, degrees in (-180, 180],
    /// row-major; NaN where the cell is empty or fewer than `min_turbines - 1` others report.
    pub fn deviations(&self, align: impl Fn(usize, usize) -> f64, min_turbines: usize) -> Vec<f64> {
        let n = self.n_turbines();
        let mut out = vec![f64::NAN; self.dir.len()];
        let mut others = Vec::with_capacity(n);
        for t in 0..self.times.len() {
            let row = self.row(t);
            for i in (0..n).filter(|&i| !row[i].is_nan()) {
                others.clear();
                others.extend((0..n).filter(|&j| j != i && !row[j].is_nan()).map(|j| row[j] - align(t, j)));
                if others.len() + 1 < min_turbines {
                    continue;
                }
                if let Some(m) = circular_median_deg(&mut others) {
                    out[t * n + i] = wrap180(row[i] - m);
                }
            }
        }
        out
    }

    /// Fits each turbine's constant offset against the others over the rows where `use_row`
    /// holds: deviations are recomputed with the current offsets until they settle (at most 20
    /// rounds, 0.001 degrees), each round taking every turbine's circular median deviation and
    /// removing the circular mean over turbines. Returns offsets in turbine order (0 for a
    /// turbine without rows), mean zero.
    pub fn fit_alignment(&self, min_turbines: usize, use_row: impl Fn(usize) -> bool) -> Vec<f64> {
        let n = self.n_turbines();
        let mut offsets = vec![0.0; n];
        let mut col = Vec::new();
        for _ in 0..20 {
            let dev = self.deviations(|_, j| offsets[j], min_turbines);
            let mut next = offsets.clone();
            for (i, o) in next.iter_mut().enumerate() {
                col.clear();
                col.extend(
                    (0..self.times.len()).filter(|&t| use_row(t)).map(|t| dev[t * n + i]).filter(|d| !d.is_nan()),
                );
                if let Some(m) = circular_median_deg(&mut col) {
                    // The others are aligned, the turbine itself is not: m is its whole offset.
                    *o = m;
                }
            }
            if let Some((c, _)) = circular_mean_deg(next.iter().copied()) {
                next.iter_mut().for_each(|o| *o = wrap180(*o - c));
            }
            let change = next.iter().zip(&offsets).map(|(a, b)| wrap180(a - b).abs()).fold(0.0, f64::max);
            offsets = next;
            if change < 1e-3 {
                break;
            }
        }
        offsets
    }
}

/// Circular median of each turbine's deviations over runs of rows: `segments[col]` lists the
/// first row of every segment after the first (ascending). Returns per column the segment
/// starts (0 first) and medians, for a piecewise-constant alignment; a segment without values
/// keeps `fallback[col]`.
pub(super) fn segment_medians(
    dev: &[f64],
    n: usize,
    segments: &[Vec<usize>],
    fallback: &[f64],
) -> Vec<Vec<(usize, f64)>> {
    let n_rows = dev.len() / n;
    let mut buf = Vec::new();
    (0..n)
        .map(|col| {
            let starts: Vec<usize> = std::iter::once(0).chain(segments[col].iter().copied()).collect();
            starts
                .iter()
                .enumerate()
                .map(|(s, &from)| {
                    let to = starts.get(s + 1).copied().unwrap_or(n_rows);
                    buf.clear();
                    buf.extend((from..to).map(|t| dev[t * n + col]).filter(|d| !d.is_nan()));
                    (from, circular_median_deg(&mut buf).unwrap_or(fallback[col]))
                })
                .collect()
        })
        .collect()
}

/// The value of a piecewise-constant alignment (from [`segment_medians`]) at `row`.
pub(super) fn piecewise(levels: &[(usize, f64)], row: usize) -> f64 {
    let k = levels.partition_point(|(from, _)| *from <= row);
    levels[k.saturating_sub(1)].1
}

/// Circular median of angles in degrees: the median of the deviations from the circular mean,
/// added back to it; exact for sets narrower than a half circle, which the directions of one
/// farm at one time are. Reorders `angles`. `None` for an empty slice.
pub(super) fn circular_median_deg(angles: &mut [f64]) -> Option<f64> {
    let first = *angles.first()?;
    let centre = circular_mean_deg(angles.iter().copied()).map_or(first, |(m, _)| m);
    angles.iter_mut().for_each(|a| *a = wrap180(*a - centre));
    median_in_place(angles).map(|m| wrap180(centre + m))
}

/// Values of one turbine's column where present, unwrapped around their circular mean so
/// arithmetic means are safe near ±180: (row indices, values).
pub(super) fn column_series(dev: &[f64], n: usize, col: usize) -> (Vec<usize>, Vec<f64>) {
    let (rows, vals): (Vec<usize>, Vec<f64>) =
        dev.iter().skip(col).step_by(n).copied().enumerate().filter(|(_, d)| !d.is_nan()).unzip();
    let centre = circular_mean_deg(vals.iter().copied()).map_or(0.0, |(m, _)| wrap180(m));
    let vals = vals.into_iter().map(|d| centre + wrap180(d - centre)).collect();
    (rows, vals)
}

/// Marks outliers: a value is kept when it lies within `mads` scaled MADs (1.4826 × MAD of all
/// residuals) and at least `floor_deg` of the median of its group (`groups` ascending, e.g. the
/// UTC day). Group medians follow level changes, so a jump is not mistaken for outliers.
pub(super) fn keep_mask(values: &[f64], groups: &[i64], mads: f64, floor_deg: f64) -> Vec<bool> {
    let mut resid = vec![0.0; values.len()];
    let mut start = 0;
    let mut buf = Vec::new();
    while start < values.len() {
        let end = start + groups[start..].iter().take_while(|&&g| g == groups[start]).count();
        buf.clear();
        buf.extend_from_slice(&values[start..end]);
        let med = median_in_place(&mut buf).unwrap_or(0.0);
        for k in start..end {
            resid[k] = values[k] - med;
        }
        start = end;
    }
    let mut abs: Vec<f64> = resid.iter().map(|r| r.abs()).collect();
    let scale = 1.4826 * median_in_place(&mut abs).unwrap_or(0.0);
    let limit = (mads * scale).max(floor_deg);
    resid.iter().map(|r| r.abs() <= limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_median_works_across_north_and_ignores_one_outlier() {
        let m = circular_median_deg(&mut [359.0, 1.0, 2.0, 358.5, 90.0]).unwrap();
        assert!(wrap180(m - 1.0).abs() < 1e-9, "median {m}");
        assert!(circular_median_deg(&mut []).is_none());
    }

    #[test]
    fn keep_mask_drops_a_spike_but_keeps_a_level_change() {
        let mut v = vec![0.0, 0.5, -0.5, 0.2, 30.0, -0.1];
        v.extend([10.0, 10.5, 9.5, 10.2, 9.9, 10.1]);
        let groups: Vec<i64> = (0..12).map(|k| k / 6).collect();
        let keep = keep_mask(&v, &groups, 5.0, 3.0);
        assert_eq!(keep.iter().filter(|k| !**k).count(), 1);
        assert!(!keep[4]);
    }
}
