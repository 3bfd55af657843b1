//! e of a `binned` model between its bins: the estimate's per-bin values and 95 % bounds,
//! linear in wind speed between the bins estimated from their own data, flat beyond the first
//! and last. This is the rule `model::training::binned` used to fill the estimate's extrapolated
//! bins, so served values agree with every reported bin.

use crate::model::estimate::VaneErrorEstimate;

/// One knot: bin centre (m/s), e and its 95 % bounds (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Knot {
    ws: f64,
    vane_error_deg: f64,
    ci95: [f64; 2],
}

/// Piecewise-linear e(ws) through the estimated bins.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BinCurve {
    /// Sorted by `ws`, at least one.
    knots: Vec<Knot>,
}

impl BinCurve {
    /// Knots from the bins estimated from their own data (`extrapolated == false`); when the
    /// estimate has none, from every bin with a value (all of them extrapolated then). A bin
    /// without an interval takes the half-width of the operating-range interval, or none.
    /// `Err` says why no curve can be built.
    pub(super) fn from_estimate(estimate: &VaneErrorEstimate) -> Result<Self, String> {
        let half = estimate.vane_error_deg.zip(estimate.ci95).map_or(0.0, |(e, [lo, hi])| (hi - e).max(e - lo));
        let knots_of = |own_only: bool| -> Vec<Knot> {
            let mut knots: Vec<Knot> = estimate
                .bins
                .iter()
                .filter(|b| !(own_only && b.extrapolated))
                .filter_map(|b| {
                    let e = b.vane_error_deg.filter(|e| e.is_finite() && b.ws.is_finite())?;
                    let ci95 = b.ci95.filter(|c| c.iter().all(|v| v.is_finite())).unwrap_or([e - half, e + half]);
                    Some(Knot { ws: b.ws, vane_error_deg: e, ci95 })
                })
                .collect();
            knots.sort_by(|a, b| a.ws.total_cmp(&b.ws));
            knots.dedup_by(|a, b| a.ws == b.ws);
            knots
        };
        let mut knots = knots_of(true);
        if knots.is_empty() {
            knots = knots_of(false);
        }
        if knots.is_empty() {
            return Err("no bin has a finite vane_error_deg".into());
        }
        if !half.is_finite() {
            return Err(format!("operating-range ci95 {:?} is not finite", estimate.ci95));
        }
        Ok(Self { knots })
    }

    /// e and its 95 % bounds at wind speed `ws` (finite), m/s.
    pub(super) fn eval(&self, ws: f64) -> (f64, [f64; 2]) {
        let k = &self.knots;
        // first knot at or above ws; 0 and len are the flat ends
        let i = k.partition_point(|x| x.ws < ws);
        let (a, b) = match i {
            0 => return (k[0].vane_error_deg, k[0].ci95),
            i if i == k.len() => return (k[i - 1].vane_error_deg, k[i - 1].ci95),
            i => (k[i - 1], k[i]),
        };
        let t = (ws - a.ws) / (b.ws - a.ws);
        let lerp = |x: f64, y: f64| x + (y - x) * t;
        (lerp(a.vane_error_deg, b.vane_error_deg), [lerp(a.ci95[0], b.ci95[0]), lerp(a.ci95[1], b.ci95[1])])
    }
}
