//! The turbine page's HTML: the summary and the four chart sections (power against vane
//! angle, vane error against wind speed, drift, raw against corrected direction); the tables of
//! data quality and model versions are in `tables`. Every string from the database is escaped.

use chrono::{DateTime, Duration, Utc};

use super::turbine::{RECENT_H, TurbineData, VANE_SPAN_DEG};
use super::{fmt, page_shell, tables, with_interval};
use crate::report::charts::{TimeSeries, TimelineEvent, drift_timeline, power_vane_chart, time_chart};
use crate::report::escape_html;
use crate::report::svg::vane_error_chart;
use crate::serve::live::LiveStatus;

pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The whole turbine page.
pub(super) fn page(d: &TurbineData) -> String {
    let (farm, name) = (escape_html(&d.farm), escape_html(&d.name));
    let notice =
        d.notice.as_deref().map_or_else(String::new, |n| format!("<p class=msg role=status>{}</p>", escape_html(n)));
    let body = format!(
        "<nav aria-label=\"back\"><a href=\"/\">&larr; Farm {farm} overview</a></nav>\
         <h1>Turbine {name}</h1>{notice}{summary}\
         <nav aria-label=\"sections\"><a href=\"#power\">Power against vane</a><a href=\"#vane-error\">Vane error</a>\
         <a href=\"#drift\">Drift</a><a href=\"#direction\">Raw and corrected</a><a href=\"#quality\">Data quality</a>\
         <a href=\"#models\">Model versions</a></nav>\
         {power}{vane}{drift}{direction}{quality}{models}\
         <p class=note>Updated {now} UTC; refreshes every 60 s. Angles in degrees (conventions in trueyaw's docs/domain.md).</p>",
        summary = summary(d),
        power = power_section(d),
        vane = vane_error_section(d),
        drift = drift_section(d),
        direction = direction_section(d),
        quality = tables::quality_section(d),
        models = tables::versions_section(d),
        now = d.now.format("%Y-%m-%d %H:%M:%S"),
    );
    page_shell(&format!("trueyaw {farm}: {name}"), 60, &body)
}

fn summary(d: &TurbineData) -> String {
    let served = match d.live.status {
        LiveStatus::Ok => "ok",
        LiveStatus::Stale => "stale (no fresh reading)",
        LiveStatus::NoModel => "no model",
        LiveStatus::LowConfidence => "low confidence",
    };
    let (model, vane, mis, loss) = match &d.active {
        Some((m, e)) => (
            format!("v{} ({}, trained {})", m.version, escape_html(&m.method), when(m.created_at)),
            with_interval(e.vane_error_deg, e.ci95),
            fmt(e.misalignment_deg, 2),
            fmt(e.energy_loss_pct, 2),
        ),
        None => ("none".into(), "-".into(), "-".into(), "-".into()),
    };
    let alert = match d.open_alerts.first() {
        Some(a) => format!("<span class=alert>{:+.1} deg since {}</span>", a.shift_deg, when(a.detected_at)),
        None => "none".into(),
    };
    format!(
        "<table class=wide><caption>Now</caption><tbody>\
         <tr><th scope=row>Served correction</th><td>{served}</td></tr>\
         <tr><th scope=row>Newest reading age s</th><td>{age}</td></tr>\
         <tr><th scope=row>Active model</th><td>{model}</td></tr>\
         <tr><th scope=row>vane_error_deg [95 %] (4-11 m/s)</th><td>{vane}</td></tr>\
         <tr><th scope=row>misalignment_deg</th><td>{mis}</td></tr>\
         <tr><th scope=row>energy_loss_pct</th><td>{loss}</td></tr>\
         <tr><th scope=row>Open drift alert</th><td>{alert}</td></tr></tbody></table>",
        age = fmt(d.live.reading_age_s, 0),
    )
}

pub(super) fn section(id: &str, title: &str, body: &str) -> String {
    format!("<section id={id} aria-labelledby={id}-h><h2 id={id}-h>{title}</h2>{body}</section>")
}

fn power_section(d: &TurbineData) -> String {
    let windows: i64 = d.panels.iter().flat_map(|p| &p.points).map(|p| p.windows).sum();
    let head = format!(
        "<p class=note>Mean power per 1-degree vane bin of the turbine's {len}-minute windows from {from} to {to} \
         UTC ({windows} windows producing and not pitched; cells of fewer than 3 windows left out), one panel per \
         1 m/s wind-speed bin. Orange: the active model's cos^p curve (p = {p}) peaking at its vane error in that \
         bin, scaled to the bin's highest mean: the model stores no amplitude, so the curve shows where it puts \
         the peak and how fast power falls away, not a fit to these points.</p>",
        len = d.length_s / 60,
        from = when(d.period.0),
        to = when(d.period.1),
        p = fmt(d.active.as_ref().and_then(|(_, e)| e.cos_exponent), 2),
    );
    if windows == 0 {
        return section(
            "power",
            "Power against vane angle",
            &format!("{head}<p>No windows of this turbine in this period.</p>"),
        );
    }
    let mut figs = String::new();
    for p in &d.panels {
        let n: i64 = p.points.iter().map(|q| q.windows).sum();
        let peak = p.vane_error_deg.map_or_else(String::new, |e| format!("; model peak {e:+.2} deg"));
        figs += &format!(
            "<figure>{}<figcaption>{} m/s: {} vane bins, {n} windows{peak}</figcaption></figure>",
            power_vane_chart(p, VANE_SPAN_DEG),
            p.ws,
            p.points.len()
        );
    }
    section("power", "Power against vane angle", &format!("{head}<div class=panels>{figs}</div>"))
}

fn vane_error_section(d: &TurbineData) -> String {
    let Some((_, e)) = &d.active else {
        return section("vane-error", "Vane error against wind speed", "<p>No active model: nothing learned yet.</p>");
    };
    let mut rows = String::new();
    for b in &e.bins {
        rows += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            b.ws,
            with_interval(b.vane_error_deg, b.ci95),
            b.n_windows,
            if b.extrapolated { "yes" } else { "no" }
        );
    }
    let body = format!(
        "<div class=tables><figure class=wide>{chart}<figcaption>Line: the active model's vane error per wind-speed \
         bin; band: its 95 % interval; shaded bins, hollow markers: extrapolated (no power signal to learn from, \
         e.g. above rated).</figcaption></figure>\
         <table><caption>Per bin</caption><thead><tr><th scope=col>wind speed m/s</th><th scope=col>vane_error_deg [95 %]</th>\
         <th scope=col>windows</th><th scope=col>extrapolated</th></tr></thead><tbody>{rows}</tbody></table></div>",
        chart = vane_error_chart(&e.bins),
    );
    section("vane-error", "Vane error against wind speed", &body)
}

fn drift_section(d: &TurbineData) -> String {
    let events = d.active.as_ref().map(|(_, e)| e.drift_events.as_slice()).unwrap_or_default();
    let mut marks: Vec<TimelineEvent> = events
        .iter()
        .map(|e| TimelineEvent { time: e.time, delta_deg: e.delta_deg, ci95: Some(e.ci95), alert: false })
        .collect();
    marks.extend(d.open_alerts.iter().map(|a| TimelineEvent {
        time: a.detected_at,
        delta_deg: a.shift_deg,
        ci95: Some([a.ci95_lo, a.ci95_hi]),
        alert: true,
    }));
    let mut rows = String::new();
    for e in events {
        let seen_in = e.evidence.map(|v| format!("; seen in {}", v.as_str().replace('_', " "))).unwrap_or_default();
        rows += &format!(
            "<tr><td>{}</td><td class=text>drift event (model{seen_in})</td><td>{}</td></tr>",
            when(e.time),
            with_interval(Some(e.delta_deg), Some(e.ci95))
        );
    }
    for a in &d.open_alerts {
        rows += &format!(
            "<tr class=alert><td>{}</td><td class=text>open drift alert: nacelle + vane against the farm, {} to {}</td><td>{}</td></tr>",
            when(a.detected_at),
            when(a.recent_from),
            when(a.recent_to),
            with_interval(Some(a.shift_deg), Some([a.ci95_lo, a.ci95_hi]))
        );
    }
    if marks.is_empty() {
        let text = if d.active.is_some() {
            "<p>No drift event in the model's data period and no open drift alert.</p>"
        } else {
            "<p>No active model and no open drift alert.</p>"
        };
        return section("drift", "Drift", text);
    }
    // the model's data period, widened to every mark (an alert comes after the data it was trained on)
    let (from, to) = d.active.as_ref().and_then(|(m, _)| m.data_from.zip(m.data_to)).unwrap_or(d.period);
    let from = marks.iter().map(|m| m.time - Duration::hours(1)).fold(from, DateTime::min);
    let to = marks.iter().map(|m| m.time + Duration::hours(1)).fold(to, DateTime::max);
    let body = format!(
        "<figure class=wide>{}<figcaption>Line: cumulative change of the vane error since {} UTC, stepping at each \
         drift event the model found (dots); red lines: open alerts of the drift watch (a different measure, not \
         added to the line).</figcaption></figure><table class=wide><caption>Events</caption><thead><tr>\
         <th scope=col>time UTC</th><th scope=col>what</th><th scope=col>change deg [95 %]</th></tr></thead>\
         <tbody>{rows}</tbody></table>",
        drift_timeline(from, to, &marks),
        when(from),
    );
    section("drift", "Drift", &body)
}

fn direction_section(d: &TurbineData) -> String {
    let title = format!("Raw and corrected direction, last {RECENT_H} hours");
    if d.recent.is_empty() {
        return section("direction", &title, &format!("<p>No readings in the last {RECENT_H} hours.</p>"));
    }
    let raw: Vec<(DateTime<Utc>, f64)> = d.recent.iter().map(|r| (r.0, r.1)).collect();
    let corr: Vec<(DateTime<Utc>, f64)> = d.recent.iter().filter_map(|r| Some((r.0, r.2?))).collect();
    let mean =
        |v: &[(DateTime<Utc>, f64)]| (!v.is_empty()).then(|| v.iter().map(|p| p.1).sum::<f64>() / v.len() as f64);
    let last = d.recent.last().expect("not empty");
    let k = d.active.as_ref().map_or(0.0, |(_, e)| e.gain);
    let mut series = vec![TimeSeries { name: "raw vane_deg".into(), class: "raw".into(), points: raw.clone() }];
    let note = if corr.is_empty() {
        "<p class=note>No active model is served, so there is no corrected direction.</p>".to_string()
    } else {
        series.push(TimeSeries { name: "corrected relative".into(), class: "corr".into(), points: corr.clone() });
        format!(
            "<p class=note>1-minute means of the readings. Corrected relative direction = (vane_deg - vane_error_deg) \
             / (1 + k), with the served model's vane error at each minute's operating point and k = {k:.3}: the \
             estimated true misalignment.</p>"
        )
    };
    let body = format!(
        "{note}<figure class=wide>{chart}<figcaption>Dashed grey: raw vane_deg; solid blue: corrected relative \
         direction; gaps: no readings.</figcaption></figure><table class=wide><caption>Summary</caption><thead><tr>\
         <th scope=col></th><th scope=col>raw vane_deg</th><th scope=col>corrected relative deg</th></tr></thead><tbody>\
         <tr><th scope=row>latest minute ({t} UTC)</th><td>{lr:+.2}</td><td>{lc}</td></tr>\
         <tr><th scope=row>mean over {n} minutes</th><td>{mr}</td><td>{mc}</td></tr></tbody></table>",
        chart = time_chart(d.now - Duration::hours(RECENT_H), d.now, &series, Duration::minutes(3)),
        t = last.0.format("%H:%M"),
        lr = last.1,
        lc = last.2.map_or_else(|| "-".into(), |c| format!("{c:+.2}")),
        n = d.recent.len(),
        mr = mean(&raw).map_or_else(|| "-".into(), |v| format!("{v:+.2}")),
        mc = mean(&corr).map_or_else(|| "-".into(), |v| format!("{v:+.2}")),
    );
    section("direction", &title, &body)
}
