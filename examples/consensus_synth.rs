//! Farm consensus on the simulator's data: estimated vs true north offsets (relative to the farm
//! mean) and the drift events the direction-shift watch would raise.
//!
//! ```sh
//! trueyaw synth --turbines 5 --days 30 --seed 1 --out /tmp/synth
//! cargo run --release --example consensus_synth -- /tmp/synth [--recent-hours 12] [--every-hours 6] [--min-ws 4] [--trace TURBINE]
//! ```
//! `--trace 5` prints every watch evaluation of T05.
//! North offsets use the truth's vane error before any drift as the "active model" (what a
//! perfect power-based model trained on the first period would serve), so a drift step shows as
//! an offset jump. The watch runs every `--every-hours` on the last 7 days: windows of the last
//! `--recent-hours` against the rest; a drift event is a sustained shift of 2 degrees or more.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use trueyaw::model::consensus::{
    ConsensusConfig, DirectionWindow, Reference, VaneCorrection, direction_shifts, north_offsets,
};

#[derive(Deserialize)]
struct Row {
    turbine: String,
    time: DateTime<Utc>,
    wind_speed_ms: Option<f64>,
    vane_deg: Option<f64>,
    nacelle_deg: Option<f64>,
    power_kw: Option<f64>,
    state_running_fraction: Option<f64>,
}

/// e(ws) of the first truth period per turbine, interpolated between 1 m/s bins.
struct TruthCorrection {
    bins: HashMap<i32, Vec<(f64, f64)>>,
    gain: HashMap<i32, f64>,
}

impl VaneCorrection for TruthCorrection {
    fn vane_error_deg(&self, turbine_id: i32, ws: f64) -> Option<f64> {
        let b = self.bins.get(&turbine_id)?;
        let k = b.partition_point(|(x, _)| *x <= ws);
        Some(match k {
            0 => b[0].1,
            k if k == b.len() => b[k - 1].1,
            k => {
                let ((x0, y0), (x1, y1)) = (b[k - 1], b[k]);
                y0 + (y1 - y0) * (ws - x0) / (x1 - x0)
            }
        })
    }

    fn gain(&self, turbine_id: i32) -> f64 {
        self.gain.get(&turbine_id).copied().unwrap_or(0.0)
    }
}

fn turbine_id(name: &str) -> anyhow::Result<i32> {
    name.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().with_context(|| format!("turbine name {name}"))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .context("usage: consensus_synth DIR [--recent-hours H] [--every-hours H] [--min-ws M] [--trace T]")?,
    );
    let (mut recent_h, mut every_h, mut min_ws, mut trace) = (12i64, 6i64, 4.0f64, 0i32);
    while let Some(flag) = args.next() {
        let v: i64 = args.next().context("flag value")?.parse()?;
        match flag.as_str() {
            "--recent-hours" => recent_h = v,
            "--every-hours" => every_h = v,
            "--min-ws" => min_ws = v as f64,
            "--trace" => trace = v as i32,
            other => bail!("unknown flag {other}"),
        }
    }

    let truth: serde_json::Value = serde_json::from_reader(std::fs::File::open(dir.join("truth.json"))?)?;
    let mut true_offset = HashMap::new();
    let mut events: Vec<(i32, DateTime<Utc>, f64)> = Vec::new();
    // Drift of e by the end of the data: (turbine, start, delta, duration s).
    let mut drifts: Vec<(i32, DateTime<Utc>, f64, f64)> = Vec::new();
    let mut corr = TruthCorrection { bins: HashMap::new(), gain: HashMap::new() };
    for t in truth["turbines"].as_array().context("truth turbines")? {
        let id = turbine_id(t["name"].as_str().context("name")?)?;
        true_offset.insert(id, t["north_offset_deg"].as_f64().context("north_offset_deg")?);
        corr.gain.insert(id, t["gain_k"].as_f64().unwrap_or(0.0));
        let bins = t["vane_error_by_bin"][0]["bins"].as_array().context("bins")?;
        let bins = bins.iter().map(|b| (b["ws"].as_f64().unwrap_or(0.0), b["vane_error_deg"].as_f64().unwrap_or(0.0)));
        corr.bins.insert(id, bins.collect());
        for e in t["drift_events"].as_array().into_iter().flatten() {
            let time: DateTime<Utc> = e["time"].as_str().context("event time")?.parse()?;
            events.push((id, time, e["delta_deg"].as_f64().unwrap_or(0.0)));
            drifts.push((id, time, e["delta_deg"].as_f64().unwrap_or(0.0), e["duration_s"].as_f64().unwrap_or(0.0)));
        }
    }

    let mut windows = Vec::new();
    let mut reader = csv::Reader::from_path(dir.join("scada.csv"))?;
    for row in reader.deserialize::<Row>() {
        let r = row?;
        let (Some(ws), Some(vane), Some(nac), Some(p)) = (r.wind_speed_ms, r.vane_deg, r.nacelle_deg, r.power_kw)
        else {
            continue;
        };
        // Operating windows: running the whole window and making power, `--min-ws` to 15 m/s.
        if r.state_running_fraction.unwrap_or(1.0) < 0.99 || p <= 0.0 || !(min_ws..15.0).contains(&ws) {
            continue;
        }
        let id = turbine_id(&r.turbine)?;
        windows.push(DirectionWindow {
            turbine_id: id,
            time: r.time,
            nacelle_deg: nac,
            vane_deg: vane,
            wind_speed_ms: ws,
        });
    }
    println!("{} operating windows from {}", windows.len(), dir.display());

    let cfg = ConsensusConfig::default();
    let started = std::time::Instant::now();
    let est = north_offsets(&windows, &corr, &Reference::Farm, &cfg)?;
    let elapsed = started.elapsed().as_secs_f64();
    let mean_true = est.iter().map(|e| true_offset[&e.turbine_id]).sum::<f64>() / est.len() as f64;
    // What consensus sees at the end: north offset plus the vane drift not in the correction.
    let end = windows.iter().map(|w| w.time).max().context("no windows")?;
    let seen = |id: i32| {
        let drift: f64 = drifts
            .iter()
            .filter(|(d, t, _, _)| *d == id && *t <= end)
            .map(|(_, t, delta, dur)| {
                let done = if *dur > 0.0 { ((end - *t).num_seconds() as f64 / dur).min(1.0) } else { 1.0 };
                delta * done
            })
            .sum();
        true_offset[&id] + drift
    };
    let mean_seen = est.iter().map(|e| seen(e.turbine_id)).sum::<f64>() / est.len() as f64;
    println!("\nnorth offsets relative to the farm mean ({elapsed:.2} s); seen = true + vane drift by the end");
    println!("turb  true   seen   est    ci95             err(seen) windows jumps");
    for e in &est {
        let t = true_offset[&e.turbine_id] - mean_true;
        let sn = seen(e.turbine_id) - mean_seen;
        let jumps: Vec<String> = e
            .jumps
            .iter()
            .map(|j| {
                format!("{} {:+.2} [{:+.2},{:+.2}]", j.time.format("%m-%d %H:%M"), j.delta_deg, j.ci95[0], j.ci95[1])
            })
            .collect();
        println!(
            "T{:02} {:+6.2} {:+6.2} {:+6.2} [{:+6.2},{:+6.2}] {:+5.2} {:7} {}",
            e.turbine_id,
            t,
            sn,
            e.north_offset_deg,
            e.ci95[0],
            e.ci95[1],
            e.north_offset_deg - sn,
            e.n_windows,
            jumps.join("; ")
        );
    }
    println!("true drift events:");
    for (id, t, d) in &events {
        println!("  T{id:02} {} {d:+.2}", t.format("%m-%d %H:%M"));
    }

    // The drift watch.
    let first = windows.iter().map(|w| w.time).min().context("no windows")?;
    let last = windows.iter().map(|w| w.time).max().context("no windows")?;
    let mut now = first + Duration::days(2);
    let mut raised: Vec<(i32, DateTime<Utc>, f64)> = Vec::new();
    let mut quiet_shifts = Vec::new();
    while now <= last {
        let from = now - Duration::days(7);
        let recent_from = now - Duration::hours(recent_h);
        let span: Vec<_> = windows.iter().copied().filter(|w| w.time >= from && w.time < now).collect();
        if let Ok(shifts) = direction_shifts(&span, recent_from, &cfg) {
            for s in shifts {
                // A turbine with a true event in the last 7 days is not "quiet".
                let eventful = events.iter().any(|(id, t, _)| *id == s.turbine_id && *t >= from && *t < now);
                if !eventful {
                    quiet_shifts.push(s.shift_deg);
                }
                if s.turbine_id == trace {
                    println!(
                        "  trace T{trace:02} {} shift {:+.2} [{:+.2},{:+.2}] n {}/{} sustained {}",
                        now.format("%m-%d %H:%M"),
                        s.shift_deg,
                        s.ci95[0],
                        s.ci95[1],
                        s.n_recent,
                        s.n_baseline,
                        s.sustained
                    );
                }
                if s.is_drift(2.0) {
                    raised.push((s.turbine_id, now, s.shift_deg));
                }
            }
        }
        now += Duration::hours(every_h);
    }
    println!("\ndrift watch every {every_h} h, recent {recent_h} h vs the 7 days before, threshold 2 deg:");
    for (id, t, shift) in &raised {
        let matched = events.iter().find(|(eid, et, _)| eid == id && *t > *et && *t - *et <= Duration::days(7));
        let note = matched.map_or("FALSE ALARM".to_string(), |(_, et, _)| {
            format!("{:.1} h after the event", (*t - *et).num_minutes() as f64 / 60.0)
        });
        println!("  T{id:02} at {} shift {shift:+.2}  {note}", t.format("%m-%d %H:%M"));
    }
    let n = quiet_shifts.len() as f64;
    let m = quiet_shifts.iter().sum::<f64>() / n;
    let sd = (quiet_shifts.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    println!(
        "shifts of turbines without an event in the span: {} evaluations, mean {m:+.2} sd {sd:.2}",
        quiet_shifts.len()
    );
    Ok(())
}
