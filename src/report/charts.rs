//! The operator dashboard's other chart kinds, drawn by hand as inline SVG like [`super::svg`]
//! (whose tick and path helpers they share): power against vane angle in one wind-speed bin
//! with the model's cos^p curve, a drift timeline, and directions over time. Pure functions of
//! plain numbers (the caller queries and bins), so every chart is tested without a database.
//!
//! Charts carry a `<title>` and an `aria-label` for screen readers, and a `<title>` on each
//! point so a pointer (or the test) can read the value behind it. Styling is left to the page's
//! CSS classes (`grid`, `zero`, `line`, `pt`, `curve`, `peak`, `raw`, `corr`, `alert`).

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use super::escape_html;
use super::svg::{fmt_tick, path, tick_step};

/// A plot area in SVG user units and the data ranges mapped onto it.
struct Frame {
    w: f64,
    h: f64,
    /// Margins: left (y labels), right, top, bottom (x labels).
    m: [f64; 4],
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, v: f64) -> f64 {
        self.m[0] + (v - self.x.0) / (self.x.1 - self.x.0) * (self.w - self.m[0] - self.m[1])
    }
    fn py(&self, v: f64) -> f64 {
        self.h - self.m[3] - (v - self.y.0) / (self.y.1 - self.y.0) * (self.h - self.m[2] - self.m[3])
    }
    /// `<svg>` with its accessible name and title.
    fn open(&self, o: &mut String, label: &str, title: &str) {
        let _ = write!(
            o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" \
             aria-label=\"{label}\"><title>{title}</title>",
            self.w, self.h
        );
    }
    /// Horizontal grid lines and labels every `step` on the y axis, and the y-axis title.
    /// The horizontal line at y = 0 across the plot.
    fn zero_line(&self, o: &mut String) {
        let zero = self.py(0.0);
        let _ = write!(
            o,
            "<line class=\"zero\" x1=\"{}\" x2=\"{:.1}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\"/>",
            self.m[0],
            self.w - self.m[1]
        );
    }

    fn y_grid(&self, o: &mut String, step: f64, unit: &str) {
        let mut t = self.y.0;
        while t <= self.y.1 + step * 1e-6 {
            let y = self.py(t);
            let _ = write!(
                o,
                "<line class=\"grid\" x1=\"{}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.m[0],
                self.w - self.m[1],
                self.m[0] - 4.0,
                y + 4.0,
                fmt_tick(t)
            );
            t += step;
        }
        let _ = write!(
            o,
            "<text transform=\"translate(11 {:.1}) rotate(-90)\" text-anchor=\"middle\">{unit}</text>",
            (self.m[2] + self.h - self.m[3]) / 2.0
        );
    }
    /// A label under the x axis at data value `v`, anchored `start`, `middle` or `end`.
    fn x_label(&self, o: &mut String, v: f64, text: &str, anchor: &str) {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{text}</text>",
            self.px(v),
            self.h - self.m[3] + 14.0
        );
    }
}

/// `lo..hi` widened by `pad` and rounded outward to ticks: `(start, end, step)`.
fn nice_range(lo: f64, hi: f64, pad: f64) -> (f64, f64, f64) {
    let (lo, hi) = (lo - pad, hi + pad);
    let step = tick_step(hi - lo);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// Mean power of the windows in one 1-degree vane bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerAtVane {
    /// Bin centre, deg.
    pub vane_deg: f64,
    pub power_kw: f64,
    pub windows: i64,
}

/// One wind-speed bin of the power-against-vane small multiples.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerVanePanel {
    /// Bin centre, m/s.
    pub ws: f64,
    pub points: Vec<PowerAtVane>,
    /// The model's vane error in this bin: where the curve peaks.
    pub vane_error_deg: Option<f64>,
    /// The model's exponent p of the cos^p curve.
    pub cos_exponent: Option<f64>,
}

/// Power against vane angle in one wind-speed bin: the binned means as points and, when the
/// model gives e and p, the curve `A cos^p(vane - e)` with its peak marked. The model stores no
/// amplitude, so A is the highest binned mean: the curve shows where the model puts the peak
/// and how fast power falls away from it, on the scale of these points; it is not a fit to them.
/// The x axis spans `±span_deg` so panels side by side share it.
pub fn power_vane_chart(p: &PowerVanePanel, span_deg: f64) -> String {
    if p.points.is_empty() {
        return format!("<p class=\"note\">No windows at {} m/s in this period.</p>", p.ws);
    }
    let amp = p.points.iter().map(|q| q.power_kw).fold(f64::NEG_INFINITY, f64::max);
    let curve: Vec<(f64, f64)> = match (p.vane_error_deg, p.cos_exponent) {
        (Some(e), Some(pw)) if e.is_finite() && pw.is_finite() => (0..=(4.0 * span_deg) as i32)
            .map(|i| -span_deg + f64::from(i) * 0.5)
            .map(|x| (x, amp * ((x - e).to_radians().cos().max(0.0)).powf(pw)))
            .collect(),
        _ => Vec::new(),
    };
    let ys = p.points.iter().map(|q| q.power_kw).chain(curve.iter().map(|c| c.1));
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| (l.min(y), h.max(y)));
    let (y0, y1, step) = nice_range(lo, hi, ((hi - lo) * 0.05).max(1.0));
    let f = Frame { w: 300.0, h: 200.0, m: [46.0, 8.0, 8.0, 30.0], x: (-span_deg, span_deg), y: (y0, y1) };
    let peak = match p.vane_error_deg {
        Some(e) if !curve.is_empty() => format!(", model peak at {e:+.2} deg"),
        _ => String::new(),
    };
    let mut o = String::new();
    f.open(
        &mut o,
        &format!("Power against vane angle at {} m/s", p.ws),
        &format!("Mean power (kW) per 1-degree vane bin at {} m/s: {} bins{peak}", p.ws, p.points.len()),
    );
    f.y_grid(&mut o, step * 2.0, "power (kW)");
    let tick = if span_deg > 10.0 { 10.0 } else { 5.0 };
    let mut t = -(span_deg / tick).floor() * tick;
    while t <= span_deg + 1e-9 {
        f.x_label(&mut o, t, &fmt_tick(t), "middle");
        t += tick;
    }
    let _ = write!(
        o,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">vane (deg)</text>",
        (f.m[0] + f.w) / 2.0,
        f.h - 3.0
    );
    if let (false, Some(e)) = (curve.is_empty(), p.vane_error_deg) {
        let x = f.px(e.clamp(-span_deg, span_deg));
        let _ = write!(
            o,
            "<path class=\"curve\" d=\"{}\"/><line class=\"peak\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{:.1}\">\
             <title>model vane error {e:+.2} deg</title></line><text class=\"peak-label\" x=\"{:.1}\" y=\"{}\">e {e:+.1}</text>",
            path(curve.iter().map(|&(x, y)| (f.px(x), f.py(y)))),
            f.m[2],
            f.h - f.m[3],
            x + 3.0,
            f.m[2] + 10.0,
        );
    }
    for q in &p.points {
        let _ = write!(
            o,
            "<circle class=\"pt\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>vane {:+} deg: {:.1} kW, {} windows</title></circle>",
            f.px(q.vane_deg.clamp(-span_deg, span_deg)),
            f.py(q.power_kw),
            q.vane_deg,
            q.power_kw,
            q.windows
        );
    }
    o.push_str("</svg>");
    o
}

/// A point on the drift timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub time: DateTime<Utc>,
    /// Change of e (for a model drift event) or of nacelle + vane against the farm (an alert), deg.
    pub delta_deg: f64,
    pub ci95: Option<[f64; 2]>,
    /// An open alert of the drift watch rather than a drift event of the model.
    pub alert: bool,
}

/// Seconds since the epoch as f64, the timeline's x unit.
fn secs(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64
}

/// Labels under a time axis: about five, as dates, or as times of day for spans under two days.
fn time_labels(o: &mut String, f: &Frame, from: DateTime<Utc>, to: DateTime<Utc>) {
    let short = to - from < Duration::days(2);
    for i in 0..=4 {
        let t = from + (to - from) * i / 4;
        let text = if short { t.format("%H:%M").to_string() } else { t.format("%Y-%m-%d").to_string() };
        // the end labels stay inside the chart
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        f.x_label(o, secs(t), &text, anchor);
    }
}

/// The model's drift events over its data period `from..to` as a step line of the cumulative
/// change of e since `from`, each event marked (its interval in the marker's title), and open
/// drift-watch alerts as red marks that do not add to the line (they measure a different
/// quantity: nacelle + vane against the farm).
pub fn drift_timeline(from: DateTime<Utc>, to: DateTime<Utc>, events: &[TimelineEvent]) -> String {
    let to = if to > from { to } else { from + Duration::hours(1) };
    let mut model: Vec<&TimelineEvent> = events.iter().filter(|e| !e.alert).collect();
    model.sort_by_key(|e| e.time);
    let mut steps = vec![(secs(from), 0.0)];
    let mut cum = 0.0;
    for e in &model {
        steps.push((secs(e.time), cum));
        cum += e.delta_deg;
        steps.push((secs(e.time), cum));
    }
    steps.push((secs(to), cum));
    let lo = steps.iter().map(|s| s.1).fold(0.0f64, f64::min);
    let hi = steps.iter().map(|s| s.1).fold(0.0f64, f64::max);
    let (y0, y1, step) = nice_range(lo, hi, 0.5);
    let f = Frame { w: 640.0, h: 170.0, m: [46.0, 12.0, 10.0, 24.0], x: (secs(from), secs(to)), y: (y0, y1) };
    let mut o = String::new();
    f.open(
        &mut o,
        "Drift timeline",
        &format!(
            "Cumulative change of the vane error (deg) over the model's data period: {} drift events",
            model.len()
        ),
    );
    f.y_grid(&mut o, step, "change (deg)");
    time_labels(&mut o, &f, from, to);
    f.zero_line(&mut o);
    let _ = write!(o, "<path class=\"line\" d=\"{}\"/>", path(steps.iter().map(|&(x, y)| (f.px(x), f.py(y)))));
    let mut cum = 0.0;
    for e in events {
        let x = f.px(secs(e.time).clamp(secs(from), secs(to)));
        let ci = e.ci95.map_or_else(String::new, |c| format!(" [{:+.2}, {:+.2}]", c[0], c[1]));
        let when = e.time.format("%Y-%m-%d %H:%M");
        if e.alert {
            let _ = write!(
                o,
                "<line class=\"alert\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{:.1}\"><title>open drift alert {when}: \
                 {:+.2} deg{ci} against the farm</title></line>",
                f.m[2],
                f.h - f.m[3],
                e.delta_deg
            );
        } else {
            cum += e.delta_deg;
            let _ = write!(
                o,
                "<circle class=\"pt\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\"><title>drift event {when}: {:+.2} deg{ci}</title></circle>",
                f.py(cum),
                e.delta_deg
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// A named series of a time chart; `class` styles it (`raw`, `corr`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    pub name: String,
    pub class: String,
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// Series of degrees against time over `from..to`, each a line broken wherever two points are
/// more than `max_gap` apart (a gap in the data is not drawn as a straight line), with a legend.
pub fn time_chart(from: DateTime<Utc>, to: DateTime<Utc>, series: &[TimeSeries], max_gap: Duration) -> String {
    let to = if to > from { to } else { from + Duration::hours(1) };
    let all = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = all.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let (y0, y1, step) = nice_range(lo, hi, 0.5);
    let f = Frame { w: 640.0, h: 240.0, m: [46.0, 12.0, 24.0, 24.0], x: (secs(from), secs(to)), y: (y0, y1) };
    let names: Vec<String> = series.iter().map(|s| escape_html(&s.name)).collect();
    let mut o = String::new();
    f.open(&mut o, "Directions over time", &format!("{} (deg) against time", names.join(" and ")));
    f.y_grid(&mut o, step, "deg");
    time_labels(&mut o, &f, from, to);
    f.zero_line(&mut o);
    for (i, s) in series.iter().enumerate() {
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut last: Option<DateTime<Utc>> = None;
        for &(t, v) in &s.points {
            if last.is_none_or(|l| t - l > max_gap) {
                runs.push(Vec::new());
            }
            runs.last_mut().expect("a run was started").push((f.px(secs(t)), f.py(v)));
            last = Some(t);
        }
        for r in runs {
            let _ = write!(o, "<path class=\"{}\" d=\"{}\"/>", s.class, path(r.into_iter()));
        }
        // legend, top left, one entry per series
        let x = f.m[0] + 8.0 + 170.0 * i as f64;
        let _ = write!(
            o,
            "<line class=\"{}\" x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"12\" y2=\"12\"/><text x=\"{:.1}\" y=\"16\">{}</text>",
            s.class,
            x + 22.0,
            x + 26.0,
            names[i]
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn the_power_curve_peaks_at_the_model_vane_error_and_touches_the_highest_mean() {
        let points = (-10..=10)
            .map(|v| PowerAtVane {
                vane_deg: f64::from(v),
                power_kw: 1000.0 - f64::from((v - 2) * (v - 2)),
                windows: 3,
            })
            .collect();
        let p = PowerVanePanel { ws: 7.0, points, vane_error_deg: Some(2.0), cos_exponent: Some(2.0) };
        let svg = power_vane_chart(&p, 15.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 21);
        assert!(svg.contains("model peak at +2.00 deg"), "{svg}");
        assert!(svg.contains("<title>vane +2 deg: 1000.0 kW, 3 windows</title>"));
        assert_eq!(svg.matches("class=\"curve\"").count(), 1);
        assert_eq!(svg.matches("class=\"peak\"").count(), 1);
    }

    #[test]
    fn a_panel_without_a_model_has_points_only_and_an_empty_one_says_so() {
        let p = PowerVanePanel {
            ws: 5.0,
            points: vec![PowerAtVane { vane_deg: 0.0, power_kw: 300.0, windows: 4 }],
            vane_error_deg: None,
            cos_exponent: None,
        };
        let svg = power_vane_chart(&p, 15.0);
        assert!(!svg.contains("class=\"curve\"") && svg.contains("<circle"));
        let empty = PowerVanePanel { points: Vec::new(), ..p };
        assert!(power_vane_chart(&empty, 15.0).contains("No windows at 5 m/s"));
    }

    #[test]
    fn the_drift_timeline_steps_at_each_event_and_marks_alerts_apart() {
        let ev = |h, d, alert| TimelineEvent { time: t(h), delta_deg: d, ci95: Some([d - 0.5, d + 0.5]), alert };
        let svg = drift_timeline(t(0), t(20), &[ev(5, 2.0, false), ev(12, -1.0, false), ev(18, 3.0, true)]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("drift event 2025-03-01 05:00: +2.00 deg [+1.50, +2.50]"), "{svg}");
        assert!(svg.contains("open drift alert 2025-03-01 18:00: +3.00 deg"));
        assert!(svg.contains("2 drift events"));
    }

    #[test]
    fn time_series_break_at_gaps() {
        let pts = |hs: &[u32]| hs.iter().map(|&h| (t(h), f64::from(h))).collect();
        let s = [
            TimeSeries { name: "raw".into(), class: "raw".into(), points: pts(&[0, 1, 2, 6, 7]) },
            TimeSeries { name: "corrected".into(), class: "corr".into(), points: pts(&[0, 1]) },
        ];
        let svg = time_chart(t(0), t(8), &s, Duration::hours(2));
        assert_eq!(svg.matches("<path class=\"raw\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("<path class=\"corr\"").count(), 1);
        assert!(svg.contains("raw and corrected (deg) against time"));
    }
}
