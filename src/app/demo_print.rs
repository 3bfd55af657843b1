//! How `trueyaw demo` shows what its core does: one line per event as it happens, the status
//! table, and the closing summary. Lines fit a 120-column terminal.

use super::demo_loop::{DemoEvent, DemoSummary, TurbineSummary};
use super::demo_watch::{StatusRow, Step, Trained};

/// Prints one event.
pub fn event(e: &DemoEvent) {
    match e {
        DemoEvent::History { days, windows, seconds } => println!(
            "history   {days} days of 10-minute windows from the simulator's physics, {windows} imported ({seconds:.0} s)"
        ),
        DemoEvent::Farm { sources } => {
            for (name, src) in sources {
                println!("turbine   {name} simulated on {src}, polled at 1 Hz");
            }
        }
        DemoEvent::Serving { api, scada, token, writeback } => {
            println!("\nAPI       http://{api}/api/v1   docs: http://{api}/api/v1/docs/");
            println!("dashboard http://{api}/login?token={token}");
            if let Some(s) = scada {
                println!("SCADA     modbus tcp://{s}  unit 1 = T01 (input registers 0-6)");
            }
            println!("token     {token}   (operator; shown once)");
            println!("try       curl -H 'Authorization: Bearer {token}' http://{api}/api/v1/turbines/T01/correction");
            println!(
                "training  one job per turbine at the default gates (95 % interval at most 4 deg wide); write-back on {}, \
                 the others dry-run\n",
                writeback.join(", ")
            );
        }
        DemoEvent::Trained(t) => trained(t),
        DemoEvent::Step(s) => step(s),
        DemoEvent::Status(rows) => status(rows),
    }
}

fn trained(t: &Trained) {
    let est = match (t.estimate_deg, t.ci95) {
        (Some(e), Some([lo, hi])) => format!("{e:+.2} deg (95 % {lo:+.2} .. {hi:+.2}, {:.2} wide)", hi - lo),
        (Some(e), None) => format!("{e:+.2} deg (no interval)"),
        _ => "none".to_string(),
    };
    let verdict = if t.served { "served".to_string() } else { "REFUSED".to_string() };
    let v = t.version.map_or_else(String::new, |v| format!(" v{v}"));
    println!(
        "trained   {}{v}: true vane error {:+.2} deg, estimate {est}: {verdict}",
        t.turbine, t.true_vane_error_deg
    );
    if let Some(r) = t.reason.as_ref().filter(|_| !t.served) {
        println!("          why: {r}");
    }
}

fn step(s: &Step) {
    let deg = |v: Option<f64>| v.map_or_else(|| "?".to_string(), |v| format!("{v:+.2}"));
    // The audit reason starts with its code; a step's repeats the from -> to it says.
    let (code, rest) = s.reason.split_once(": ").unwrap_or(("", s.reason.as_str()));
    match s.mode.as_str() {
        "write" => println!("writeback {} written {rest}", s.turbine),
        "dry_run" => println!("writeback {} dry-run {rest} (later dry-runs counted, not shown)", s.turbine),
        "hold" => println!("writeback {} hold at {} deg ({code}): {rest}", s.turbine, deg(s.from_deg)),
        other => println!("writeback {} {other} {} -> {} deg: {}", s.turbine, deg(s.from_deg), deg(s.to_deg), s.reason),
    }
}

/// Prints the status table.
pub fn status(rows: &[StatusRow]) {
    println!(
        "{:<4} {:<7} {:>5} {:>4} {:>5} {:>6} {:>6} | {:>5} {:>7} {:<13} {:>7} {:>6} {:>6}",
        "turb",
        "status",
        "ok",
        "fail",
        "wind",
        "vane",
        "kW",
        "model",
        "offset",
        "served",
        "written",
        "true e",
        "true g"
    );
    let f = |v: Option<f32>, p: usize| v.map_or_else(|| "-".to_string(), |v| format!("{v:.p$}"));
    for r in rows {
        println!(
            "{:<4} {:<7} {:>5} {:>4} {:>5} {:>6} {:>6} | {:>5} {:>7} {:<13} {:>+7.2} {:>+6.2} {:>+6.1}",
            r.turbine,
            if r.online { "online" } else { "OFFLINE" },
            r.polls_ok,
            r.polls_failed,
            f(r.wind_ms, 1),
            f(r.vane_deg, 1),
            f(r.power_kw, 0),
            r.model.map_or_else(|| "-".into(), |v| format!("v{v}")),
            r.offset_deg.map_or_else(|| "-".into(), |v| format!("{v:+.2}")),
            r.served.as_deref().unwrap_or("-"),
            r.written_deg,
            r.true_vane_error_deg,
            r.true_gamma_deg,
        );
    }
    println!();
}

/// Prints the closing summary.
pub fn summary(s: &DemoSummary) {
    println!("\nsummary (simulator truth; power lost = mean 1 - cos^p(gamma) with each turbine's true p, so the wind");
    println!(
        "between the periods cannot fake a gain; before = live until the first write, after = the last write to the end)"
    );
    for t in &s.turbines {
        turbine(t);
    }
    println!(
        "\npoller: {} readings written, {} spooled, latency p50 {:.1} ms p99 {:.1} ms",
        s.rows_written, s.rows_spooled, s.poll_p50_ms, s.poll_p99_ms
    );
    if let Some(url) = &s.dashboard_url {
        println!("dashboard (while a demo runs): {url}");
    }
}

fn turbine(t: &TurbineSummary) {
    let est = t.trained.as_ref().and_then(|m| m.estimate_deg.map(|e| (e, m.served)));
    let model = match (&t.trained, est) {
        (_, Some((e, true))) => format!("estimate {e:+.2} served"),
        (_, Some((e, false))) => format!("estimate {e:+.2} refused"),
        (Some(_), None) => "no estimate".to_string(),
        (None, _) => "still training".to_string(),
    };
    let mode = if t.writeback_enabled { "write-back" } else { "dry-run" };
    println!(
        "{}  true vane error {:+.2} deg, {model}, {mode}: written offset {:+.2} deg ({} steps written, {} dry-run), p {:.2}",
        t.name, t.true_vane_error_deg, t.written_offset_deg, t.writes, t.dry_runs, t.cos_exponent_p
    );
    let line = |label: &str, p: &crate::sim::pointing::Pointing| {
        println!(
            "      {label:<6} {:>5.1} h operating: mean gamma {:+.2} deg, mean |gamma| {:.2} deg, power lost {:.2} %, \
             mean power {:.0} kW",
            p.operating_hours,
            p.mean_gamma_deg,
            p.mean_abs_gamma_deg,
            100.0 * p.loss_fraction,
            p.mean_power_kw
        );
    };
    if let Some(b) = &t.before {
        line("before", b);
    }
    match (&t.after, &t.recovered) {
        (Some(a), Some(r)) => {
            line("after", a);
            println!(
                "      recovered {:+.2} % of aligned power: {:+.1} kWh over the after period, about {:+.0} MWh/year at its \
                 mean power",
                r.power_pct, r.energy_kwh, r.mwh_per_year
            );
        }
        _ if t.writeback_enabled => println!("      no write within the run, so no after period"),
        _ => {}
    }
}
