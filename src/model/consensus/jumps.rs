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
    let mut prefix = vec![0.0; x.len() + 1];
    for (k, v) in x.iter().enumerate() {
        prefix[k + 1] = prefix[k] + v;
    }
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
        let mut prefix = vec![0.0; daily.len() + 1];
        for (k, d) in daily.iter().enumerate() {
            prefix[k + 1] = prefix[k] + d.2;
        }
        let d = daily.len() as f64;
        let stat = |k: usize| {
            let (l, r) = (k as f64, d - k as f64);
            let diff = prefix[k] / l - (prefix[daily.len()] - prefix[k]) / r;
            diff.abs() * (l * r / d).sqrt()
        };
        let Some(k) = (m..=daily.len() - m).max_by(|&a, &b| stat(a).total_cmp(&stat(b)).then(b.cmp(&a))) else {
            return;
        };
        // Refine within the day before the boundary and the boundary day, at window level.
        let n = (hi - lo) as f64;
        let wstat = |p: usize| {
            let (l, r) = ((p - lo) as f64, (hi - p) as f64);
            (self.mean(lo, p) - self.mean(p, hi)).abs() * (l * r / n).sqrt()
        };
        let (from, to) = (daily[k - 1].0.max(lo + 1), daily[k].1.min(hi - 1));
        let Some(at) = (from..=to).max_by(|&a, &b| wstat(a).total_cmp(&wstat(b)).then(b.cmp(&a))) else {
            return;
        };
        if self.test(lo, at, hi).is_some() {
            cuts.push(at);
            self.split(lo, at, cuts);
            self.split(at, hi, cuts);
        }
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
