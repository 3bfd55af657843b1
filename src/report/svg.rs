//! The vane-error chart of a turbine report, drawn by hand as inline SVG (no plotting
//! dependency, no fonts, no external assets): e per wind-speed bin with its 95 % band, the
//! extrapolated bins shaded and drawn with hollow markers, and the zero line.

use std::fmt::Write;

use crate::model::BinVaneError;

/// Chart size in SVG user units (scales with the page: the element has a viewBox).
const W: f64 = 640.0;
const H: f64 = 320.0;
/// Plot-area margins: left (y labels), right, top, bottom (x labels).
const ML: f64 = 56.0;
const MR: f64 = 16.0;
const MT: f64 = 16.0;
const MB: f64 = 44.0;

/// Linear map of the data onto the plot area.
struct Scale {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Scale {
    fn x(&self, ws: f64) -> f64 {
        ML + (ws - self.x0) / (self.x1 - self.x0) * (W - ML - MR)
    }
    fn y(&self, deg: f64) -> f64 {
        H - MB - (deg - self.y0) / (self.y1 - self.y0) * (H - MT - MB)
    }
}

/// A tick step of 1, 2 or 5 x 10^k giving about five ticks over `span`.
pub(super) fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

/// The chart of `bins` as an `<svg>` element; a short note instead when no bin has a value.
pub fn vane_error_chart(bins: &[BinVaneError]) -> String {
    let valued: Vec<&BinVaneError> = bins.iter().filter(|b| b.vane_error_deg.is_some_and(f64::is_finite)).collect();
    if valued.is_empty() {
        return "<p class=\"note\">No wind-speed bin has an estimate to chart.</p>".to_string();
    }
    let (mut lo, mut hi) = (0.0f64, 0.0f64); // the zero line is always in view
    for b in &valued {
        let v = b.vane_error_deg.unwrap_or(0.0);
        let [l, h] = b.ci95.unwrap_or([v, v]);
        lo = lo.min(v).min(l);
        hi = hi.max(v).max(h);
    }
    let pad = ((hi - lo) * 0.08).max(0.5);
    let step = tick_step(hi - lo + 2.0 * pad);
    let (y0, y1) = (((lo - pad) / step).floor() * step, ((hi + pad) / step).ceil() * step);
    let ws_min = bins.iter().map(|b| b.ws).fold(f64::INFINITY, f64::min);
    let ws_max = bins.iter().map(|b| b.ws).fold(f64::NEG_INFINITY, f64::max);
    let s = Scale { x0: ws_min - 0.5, x1: ws_max + 0.5, y0, y1 };

    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"Vane error against wind speed\"><title>Vane error (deg) against wind speed (m/s), \
         with 95 % interval</title>"
    );
    // Extrapolated bins first, under everything else.
    for b in bins.iter().filter(|b| b.extrapolated) {
        let (xa, xb) = (s.x(b.ws - 0.5), s.x(b.ws + 0.5));
        let _ = write!(
            o,
            "<rect class=\"extrap\" x=\"{xa:.1}\" y=\"{MT}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            xb - xa,
            H - MT - MB
        );
    }
    // Grid and labels.
    let mut t = y0;
    while t <= y1 + step * 1e-6 {
        let y = s.y(t);
        let _ = write!(o, "<line class=\"grid\" x1=\"{ML}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>", W - MR);
        let _ =
            write!(o, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", ML - 6.0, y + 4.0, fmt_tick(t));
        t += step;
    }
    for b in bins {
        let x = s.x(b.ws);
        let _ = write!(o, "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", H - MB + 16.0, b.ws);
    }
    let _ = write!(
        o,
        "<line class=\"zero\" x1=\"{ML}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">wind speed (m/s)</text>\
         <text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">vane error (deg)</text>",
        W - MR,
        (ML + W - MR) / 2.0,
        H - 8.0,
        (MT + H - MB) / 2.0,
        y = s.y(0.0),
    );
    // The 95 % band, one polygon per run of consecutive bins that have an interval.
    for run in runs(bins, |b| b.ci95.is_some_and(|c| c[0].is_finite() && c[1].is_finite())) {
        let upper = run.iter().map(|b| (s.x(b.ws), s.y(b.ci95.unwrap_or_default()[1])));
        let lower = run.iter().rev().map(|b| (s.x(b.ws), s.y(b.ci95.unwrap_or_default()[0])));
        let _ = write!(o, "<path class=\"band\" d=\"{}Z\"/>", path(upper.chain(lower)));
    }
    // The estimate, one line per run of bins that have a value.
    for run in runs(bins, |b| b.vane_error_deg.is_some_and(f64::is_finite)) {
        let pts = run.iter().map(|b| (s.x(b.ws), s.y(b.vane_error_deg.unwrap_or_default())));
        let _ = write!(o, "<path class=\"line\" d=\"{}\"/>", path(pts));
    }
    for b in &valued {
        let class = if b.extrapolated { "pt extrap-pt" } else { "pt" };
        let (x, y) = (s.x(b.ws), s.y(b.vane_error_deg.unwrap_or_default()));
        let _ = write!(o, "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"/>");
    }
    o.push_str("</svg>");
    o
}

pub(super) fn fmt_tick(v: f64) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { v };
    if v.fract().abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// `M x y L x y ...` through `pts`.
pub(super) fn path(pts: impl Iterator<Item = (f64, f64)>) -> String {
    let mut d = String::new();
    for (i, (x, y)) in pts.enumerate() {
        let _ = write!(d, "{}{x:.1} {y:.1} ", if i == 0 { "M" } else { "L" });
    }
    d
}

/// Maximal runs of consecutive bins satisfying `keep`.
fn runs(bins: &[BinVaneError], keep: impl Fn(&BinVaneError) -> bool) -> Vec<&[BinVaneError]> {
    bins.split(|b| !keep(b)).filter(|r| !r.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(ws: f64, e: Option<f64>, extrapolated: bool) -> BinVaneError {
        BinVaneError { ws, vane_error_deg: e, ci95: e.map(|e| [e - 0.5, e + 0.5]), extrapolated, n_windows: 10 }
    }

    #[test]
    fn the_chart_has_a_band_a_line_per_run_and_shades_extrapolated_bins() {
        let bins = vec![
            bin(3.0, Some(1.0), true),
            bin(4.0, Some(2.0), false),
            bin(5.0, None, false),
            bin(6.0, Some(2.5), false),
        ];
        let svg = vane_error_chart(&bins);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"band\"").count(), 2, "the gap at 5 m/s splits the band");
        assert_eq!(svg.matches("class=\"line\"").count(), 2);
        assert_eq!(svg.matches("class=\"extrap\"").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn no_values_give_a_note_not_an_empty_chart() {
        assert!(!vane_error_chart(&[bin(3.0, None, true)]).contains("<svg"));
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(4.0), 1.0);
        assert_eq!(tick_step(9.0), 2.0);
        assert!((tick_step(0.3) - 0.1).abs() < 1e-12);
    }
}
