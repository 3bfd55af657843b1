//! Offset jumps: change points in one turbine's deviation-from-consensus series.
//!
//! # Steps
//! 1. Binary segmentation on UTC-daily means (days with at least `min_day_windows` windows):
//!    in a segment, the day boundary maximising `|mean_left - mean_right| · sqrt(d_l d_r / d)`
//!    over daily means (d = days, each side at least `min_segment_days`) is the candidate.
//!    Daily means are close to independent, which the window series is not.
//! 2. The candidate is refined to the window: the split within the day before and the day of
//!    the boundary that maximises the same statistic on the windows of the segment.
//! 3. It is kept when `|delta| ≥ min_jump_deg` and the block-bootstrap 95 % interval of
//!    `delta = mean(after) - mean(before)` excludes 0; then both sides are searched again.
//!    When it is not, the segment may still hold a pulse: two opposite steps days apart, which
//!    leave the means on either side of any single split nearly equal. The stretch of days
//!    whose mean differs most from the rest (same statistic, both edges refined to the window)
//!    is kept when each edge passes the test against its neighbours; the three parts are then
//!    searched again.
//! 4. Pruning: each kept boundary is re-tested between its final neighbours; the weakest
//!    failing one is removed until all pass, so a jump's delta is that of adjacent segments.

use chrono::{DateTime, Utc};

use super::ConsensusConfig;
use super::bootstrap::{mean_difference, rng};

/// A kept change point: `at` is the index of the first window after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Jump {
    pub at: usize,
    pub delta_deg: f64,
    pub ci95: [f64; 2],
}

/// Change points of `x` (deviations, degrees) at `times` (ascending), oldest first.
pub(super) fn find_jumps(times: &[DateTime<Utc>], x: &[f64], cfg: &ConsensusConfig, salt: u64) -> Vec<Jump> {
    let days: Vec<i64> = times.iter().map(|t| t.timestamp().div_euclid(86_400)).collect();
    let prefix = running_sum(x.iter().copied());
    let seg = Segmenter { days: &days, x, prefix: &prefix, cfg, salt };
    let mut cuts = Vec::new();
    seg.split(0, x.len(), &mut cuts);
    cuts.sort_unstable();
    seg.prune(cuts)
}

struct Segmenter<'a> {
    days: &'a [i64],
    x: &'a [f64],
    prefix: &'a [f64],
    cfg: &'a ConsensusConfig,
    salt: u64,
}

impl Segmenter<'_> {
    fn mean(&self, lo: usize, hi: usize) -> f64 {
        (self.prefix[hi] - self.prefix[lo]) / (hi - lo) as f64
    }

    /// Days of `[lo, hi)` with enough windows: (first window index, last + 1, mean).
    fn daily(&self, lo: usize, hi: usize) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::new();
        let mut start = lo;
        while start < hi {
            let day = self.days[start];
            let end = start + self.days[start..hi].iter().take_while(|&&d| d == day).count();
            if end - start >= self.cfg.min_day_windows {
                out.push((start, end, self.mean(start, end)));
            }
            start = end;
        }
        out
    }

    /// Tests the split of `[lo, hi)` at `at`: (delta, interval) if it is a jump.
    fn test(&self, lo: usize, at: usize, hi: usize) -> Option<(f64, [f64; 2])> {
        let mut rng = rng(self.cfg.seed, self.salt ^ ((at as u64) << 20));
        let (delta, ci) = mean_difference(
            &self.x[lo..at],
            &self.x[at..hi],
            self.cfg.bootstrap_reps,
            self.cfg.block_windows,
            &mut rng,
        );
        let excludes_zero = ci[0] > 0.0 || ci[1] < 0.0;
        (delta.abs() >= self.cfg.min_jump_deg && excludes_zero).then_some((delta, ci))
    }

    fn split(&self, lo: usize, hi: usize, cuts: &mut Vec<usize>) {
        let m = self.cfg.min_segment_days;
        let daily = self.daily(lo, hi);
        if daily.len() < 2 * m {
            return;
        }
        let prefix = running_sum(daily.iter().map(|d| d.2));
        let d = daily.len();
        let stat = |k: usize| contrast(prefix[k], k, prefix[d] - prefix[k], d - k);
        let Some(k) = (m..=d - m).max_by(|&a, &b| stat(a).total_cmp(&stat(b)).then(b.cmp(&a))) else {
            return;
        };
        let candidate = self.refine(lo, hi, &daily, k);
        let tested = candidate.map(|at| self.test(lo, at, hi));
        tracing::debug!(salt = self.salt, lo = self.days[lo], hi = self.days[hi - 1], candidate = ?candidate.map(|at| self.days[at]), ?tested, "single split");
        if let (Some(at), Some(Some(_))) = (candidate, tested) {
            cuts.push(at);
            self.split(lo, at, cuts);
            self.split(at, hi, cuts);
            return;
        }
        // No single step: two opposite steps days apart (a pulse) leave the means on either side
        // of any one split nearly equal, so look for the stretch that differs from the rest.
        if let Some((a, b)) = self.pulse(lo, hi, &daily, &prefix) {
            cuts.extend([a, b]);
            self.split(lo, a, cuts);
            self.split(a, b, cuts);
            self.split(b, hi, cuts);
        }
    }

    /// The window-level split of `[lo, hi)` near the day boundary before `daily[k]`: within the
    /// day before the boundary and the boundary day, the split maximising the contrast of the
    /// window means.
    fn refine(&self, lo: usize, hi: usize, daily: &[(usize, usize, f64)], k: usize) -> Option<usize> {
        let wstat =
            |p: usize| contrast(self.prefix[p] - self.prefix[lo], p - lo, self.prefix[hi] - self.prefix[p], hi - p);
        let (from, to) = (daily[k - 1].0.max(lo + 1), daily[k].1.min(hi - 1));
        (from..=to).max_by(|&a, &b| wstat(a).total_cmp(&wstat(b)).then(b.cmp(&a)))
    }

    /// The stretch of days `[i, j)` of `[lo, hi)` whose mean differs most from the days around
    /// it (each part at least `min_segment_days`), refined to windows and kept when both of its
    /// edges pass [`Segmenter::test`] against their neighbours: `(start, end)` window indices.
    fn pulse(&self, lo: usize, hi: usize, daily: &[(usize, usize, f64)], prefix: &[f64]) -> Option<(usize, usize)> {
        let (m, d) = (self.cfg.min_segment_days, daily.len());
        if d < 3 * m {
            return None;
        }
        let total = prefix[d];
        let stat = |i: usize, j: usize| {
            let inside = prefix[j] - prefix[i];
            contrast(inside, j - i, total - inside, d - (j - i))
        };
        let (i, j) = (m..=d - 2 * m)
            .flat_map(|i| (i + m..=d - m).map(move |j| (i, j)))
            .max_by(|&a, &b| stat(a.0, a.1).total_cmp(&stat(b.0, b.1)).then(b.cmp(&a)))?;
        let end_day = daily[j].0;
        let start = self.refine(lo, end_day, daily, i)?;
        let end = self.refine(start, hi, daily, j)?;
        // refining both edges must not shrink it below the shortest segment (an hour's outliers
        // on a turbine with gaps between its days)
        let long_enough = end.saturating_sub(start) >= m * self.cfg.min_day_windows;
        let (first, second) = (self.test(lo, start, end), self.test(start, end, hi));
        tracing::debug!(
            salt = self.salt,
            lo = self.days[lo],
            start = self.days[start],
            end = self.days[end],
            long_enough,
            ?first,
            ?second,
            "pulse"
        );
        (long_enough && first.is_some() && second.is_some()).then_some((start, end))
    }

    fn prune(&self, mut cuts: Vec<usize>) -> Vec<Jump> {
        loop {
            let mut kept = Vec::with_capacity(cuts.len());
            let mut weakest: Option<(usize, f64)> = None;
            for (j, &at) in cuts.iter().enumerate() {
                let lo = if j == 0 { 0 } else { cuts[j - 1] };
                let hi = cuts.get(j + 1).copied().unwrap_or(self.x.len());
                match self.test(lo, at, hi) {
                    Some((delta_deg, ci95)) => kept.push(Jump { at, delta_deg, ci95 }),
                    None => {
                        let size = (self.mean(at, hi) - self.mean(lo, at)).abs();
                        if weakest.is_none_or(|(_, s)| size < s) {
                            weakest = Some((j, size));
                        }
                    }
                }
            }
            match weakest {
                None => return kept,
                Some((j, _)) => {
                    cuts.remove(j);
                }
            }
        }
    }
}

/// `[0, v0, v0 + v1, ...]`.
fn running_sum(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out = vec![0.0];
    for v in values {
        out.push(out.last().copied().unwrap_or(0.0) + v);
    }
    out
}

/// `|mean_a - mean_b| · sqrt(n_a n_b / (n_a + n_b))` from sums and counts: the standardised
/// difference of two means that binary segmentation maximises.
fn contrast(sum_a: f64, n_a: usize, sum_b: f64, n_b: usize) -> f64 {
    let (a, b) = (n_a as f64, n_b as f64);
    (sum_a / a - sum_b / b).abs() * (a * b / (a + b)).sqrt()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// `days` of 10-minute deviations: noise of 1 deg sd plus `level(window index)`.
    fn series(days: usize, level: impl Fn(usize) -> f64) -> (Vec<DateTime<Utc>>, Vec<f64>) {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        (0..days * 144)
            .map(|k| {
                let noise: f64 = (0..4).map(|_| rng.random_range(-0.866..0.866)).sum();
                (t0 + chrono::Duration::minutes(10 * k as i64), level(k) + noise)
            })
            .unzip()
    }

    #[test]
    fn a_single_step_is_one_jump_at_its_window() {
        let (times, x) = series(40, |k| if k >= 3000 { 3.0 } else { 0.0 });
        let jumps = find_jumps(&times, &x, &ConsensusConfig::default(), 1);
        assert_eq!(jumps.len(), 1, "{jumps:?}");
        assert!(jumps[0].at.abs_diff(3000) <= 6 && (jumps[0].delta_deg - 3.0).abs() < 0.3, "{jumps:?}");
    }

    #[test]
    fn two_opposite_steps_days_apart_are_both_found() {
        // +3 deg for five days in the middle of 120: no single split of the whole series sees
        // a 2-deg difference of means, the pulse search does
        let (start, end) = (60 * 144 + 50, 65 * 144 + 80);
        let (times, x) = series(120, |k| if (start..end).contains(&k) { 3.0 } else { 0.0 });
        let jumps = find_jumps(&times, &x, &ConsensusConfig::default(), 1);
        assert_eq!(jumps.len(), 2, "{jumps:?}");
        assert!(jumps[0].at.abs_diff(start) <= 6 && jumps[0].delta_deg > 2.5, "{jumps:?}");
        assert!(jumps[1].at.abs_diff(end) <= 6 && jumps[1].delta_deg < -2.5, "{jumps:?}");
    }

    #[test]
    fn noise_alone_gives_no_jump() {
        let (times, x) = series(120, |_| 0.0);
        assert!(find_jumps(&times, &x, &ConsensusConfig::default(), 1).is_empty());
    }
}
