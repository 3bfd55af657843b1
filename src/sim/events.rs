//! Planned events of the simulation: faults, stuck vanes, missing signals, curtailment periods
//! and vane drift. Each is a Poisson process with its own random stream, planned ahead in
//! chunks, so the plan is the same however far ahead it is extended and it can be written to
//! the ground truth before it happens. The physics only asks "is an event active at t?", which
//! costs a comparison per step.

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::vane::{DriftEvent, DriftKind};
use super::wind::next_event;

/// How often an interval event happens and how long it lasts. Durations are log-uniform
/// between the bounds: short outages are common, long ones happen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventRate {
    /// Mean number of starts per simulated day; 0 switches the event off.
    pub per_day: f64,
    pub min_duration_s: u64,
    pub max_duration_s: u64,
}

impl EventRate {
    /// An event that never happens.
    pub const NEVER: EventRate = EventRate { per_day: 0.0, min_duration_s: 1, max_duration_s: 1 };

    pub const fn new(per_day: f64, min_duration_s: u64, max_duration_s: u64) -> Self {
        Self { per_day, min_duration_s, max_duration_s }
    }

    fn duration(&self, rng: &mut StdRng) -> u64 {
        let (lo, hi) = (self.min_duration_s.max(1) as f64, self.max_duration_s.max(self.min_duration_s).max(1) as f64);
        if hi <= lo { lo as u64 } else { rng.random_range(lo.ln()..hi.ln()).exp().round() as u64 }
    }
}

/// One planned interval `[start_s, end_s)` of simulated seconds, with a kind-specific
/// parameter (the cap level of a curtailment, the signal mask of a dropout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start_s: u64,
    pub end_s: u64,
    pub param: u32,
}

/// The planned, non-overlapping intervals of one event kind.
#[derive(Debug, Clone)]
pub struct IntervalPlan {
    rate: EventRate,
    rng: StdRng,
    draw_param: fn(&mut StdRng) -> u32,
    next_start: u64,
    intervals: Vec<Interval>,
    cursor: usize,
}

impl IntervalPlan {
    /// A plan drawing from `rng`; `draw_param` gives each interval its parameter.
    pub fn new(rate: EventRate, mut rng: StdRng, draw_param: fn(&mut StdRng) -> u32) -> Self {
        let next_start = next_event(&mut rng, 0, rate.per_day);
        Self { rate, rng, draw_param, next_start, intervals: Vec::new(), cursor: 0 }
    }

    /// Plans every interval that starts before `horizon_s`.
    pub fn plan_until(&mut self, horizon_s: u64) {
        while self.next_start < horizon_s {
            let start_s = self.next_start;
            let end_s = start_s + self.rate.duration(&mut self.rng);
            let param = (self.draw_param)(&mut self.rng);
            self.intervals.push(Interval { start_s, end_s, param });
            self.next_start = next_event(&mut self.rng, end_s, self.rate.per_day);
        }
    }

    /// The interval active at `t_s`, if any. Times must not go backwards between calls.
    pub fn active(&mut self, t_s: u64) -> Option<Interval> {
        while self.intervals.get(self.cursor).is_some_and(|i| i.end_s <= t_s) {
            self.cursor += 1;
        }
        self.intervals.get(self.cursor).filter(|i| i.start_s <= t_s).copied()
    }

    /// Every interval planned so far, in time order.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }
}

/// How often vanes drift: events per day on a turbine that drifts, and the share of turbines
/// that drift at all (the others keep their error for the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriftRate {
    pub per_day: f64,
    pub turbine_fraction: f64,
}

/// The planned drift events of one vane: steps and ramps of 2-5 degrees either way, ramps
/// lasting 3 to 30 days; events may overlap and their effects add.
#[derive(Debug, Clone)]
pub struct DriftPlan {
    per_day: f64,
    rng: StdRng,
    next_start: u64,
    events: Vec<DriftEvent>,
}

impl DriftPlan {
    /// A plan of `per_day` events per day (0 = none) drawing from `rng`.
    pub fn new(per_day: f64, mut rng: StdRng) -> Self {
        let next_start = next_event(&mut rng, 0, per_day);
        Self { per_day, rng, next_start, events: Vec::new() }
    }

    /// Plans every event that starts before `horizon_s`.
    pub fn plan_until(&mut self, horizon_s: u64) {
        while self.next_start < horizon_s {
            let rng = &mut self.rng;
            let kind = if rng.random_bool(0.5) { DriftKind::Step } else { DriftKind::Ramp };
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let delta_deg = sign * rng.random_range(2.0..5.0);
            let duration_s = match kind {
                DriftKind::Step => 0,
                DriftKind::Ramp => rng.random_range(3 * 86_400..30 * 86_400),
            };
            self.events.push(DriftEvent { start_s: self.next_start, kind, delta_deg, duration_s });
            self.next_start = next_event(&mut self.rng, self.next_start, self.per_day);
        }
    }

    /// Every event planned so far, in time order.
    pub fn events(&self) -> &[DriftEvent] {
        &self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn no_param(_: &mut StdRng) -> u32 {
        0
    }

    #[test]
    fn plans_do_not_depend_on_how_far_ahead_they_are_extended() {
        let rate = EventRate::new(2.0, 60, 7200);
        let mut chunked = IntervalPlan::new(rate, StdRng::seed_from_u64(9), no_param);
        let mut whole = chunked.clone();
        for day in 1..=20 {
            chunked.plan_until(day * 86_400);
        }
        whole.plan_until(20 * 86_400);
        assert_eq!(chunked.intervals(), whole.intervals());
        assert!(whole.intervals().len() > 20);
        assert!(whole.intervals().windows(2).all(|w| w[0].end_s < w[1].start_s));
        assert!(whole.intervals().iter().all(|i| (60..=7200).contains(&(i.end_s - i.start_s))));
    }

    #[test]
    fn active_finds_the_interval_covering_t() {
        let mut plan = IntervalPlan::new(EventRate::new(5.0, 100, 100), StdRng::seed_from_u64(1), no_param);
        plan.plan_until(86_400);
        let first = plan.intervals()[0];
        assert_eq!(plan.active(first.start_s - 1), None);
        assert_eq!(plan.active(first.start_s), Some(first));
        assert_eq!(plan.active(first.end_s), None);
        let mut never = IntervalPlan::new(EventRate::NEVER, StdRng::seed_from_u64(1), no_param);
        never.plan_until(u64::MAX - 1);
        assert!(never.intervals().is_empty());
    }
}
