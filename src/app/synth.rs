//! `trueyaw synth`: writes synthetic SCADA history with its ground truth into one directory, the
//! data trueyaw scores its estimators on:
//! - `scada.csv`: window records in the generic CSV of `docs/domain.md` plus extra columns
//!   (see [`crate::sim::history`]);
//! - `truth.json`: the run's [`Truth`], clipped to the history (`planned_until` = its end);
//! - `meta.json`: the arguments, generator version, row count and the time it took;
//! - `README.txt`: what the files are, for whoever finds the directory later.
//!
//! Files are written under a temporary name and renamed into place, so a reader never sees a
//! half-written file.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::sim::history::{self, CSV_HEADER, HistorySpec, HistoryStats};
use crate::sim::truth::Truth;

/// Name of the generator, as recorded in `truth.json` and `meta.json`.
pub const GENERATOR: &str = concat!("trueyaw synth ", env!("CARGO_PKG_VERSION"));

/// What to generate and where.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    pub spec: HistorySpec,
    /// Output directory, created if missing; existing files of the same names are replaced.
    pub out: PathBuf,
}

/// What `meta.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthMeta {
    pub generator: String,
    pub seed: u64,
    pub turbines: usize,
    pub days: u32,
    pub window_min: u32,
    pub start: chrono::DateTime<chrono::Utc>,
    /// End of the last window (exclusive).
    pub end: chrono::DateTime<chrono::Utc>,
    /// `clean`, `realistic` or `field` (see `SimProfile`).
    pub profile: &'static str,
    pub rows: u64,
    pub turbine_steps: u64,
    pub columns: Vec<&'static str>,
    /// Wall-clock time of the generation, s (the only field that varies between identical runs).
    pub elapsed_s: f64,
}

/// Generates the history of `opts` into `opts.out` and returns what `meta.json` records.
pub fn run(opts: &SynthOptions) -> anyhow::Result<SynthMeta> {
    let started = Instant::now();
    let spec = &opts.spec;
    std::fs::create_dir_all(&opts.out).with_context(|| format!("creating {}", opts.out.display()))?;
    let csv_path = opts.out.join("scada.csv");
    let tmp = opts.out.join("scada.csv.tmp");
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let (physics, stats) = history::generate(spec, BufWriter::with_capacity(1 << 20, file))
        .with_context(|| format!("writing {}", tmp.display()))?;
    rename(&tmp, &csv_path)?;

    let mut truth = Truth::from_physics(&physics, spec.start, 1.0, GENERATOR);
    let end = spec.start + chrono::Duration::seconds(spec.seconds() as i64);
    // The physics plans events a day or more ahead of its clock, so this holds by construction;
    // a truth that stopped short would score estimators against events it does not list.
    anyhow::ensure!(truth.planned_until >= end, "truth planned until {} < end {end}", truth.planned_until);
    history::truth::clip_to(&mut truth, end);
    truth.write(&opts.out.join("truth.json"))?;

    let meta = meta(spec, stats, end, started.elapsed().as_secs_f64());
    write_atomic(&opts.out.join("meta.json"), &serde_json::to_vec_pretty(&meta)?)?;
    write_atomic(&opts.out.join("README.txt"), readme(&meta).as_bytes())?;
    tracing::info!(
        out = %opts.out.display(),
        rows = meta.rows,
        turbine_steps = meta.turbine_steps,
        elapsed_s = %format!("{:.1}", meta.elapsed_s),
        "synthetic history written"
    );
    Ok(meta)
}

fn meta(spec: &HistorySpec, stats: HistoryStats, end: chrono::DateTime<chrono::Utc>, elapsed_s: f64) -> SynthMeta {
    SynthMeta {
        generator: GENERATOR.to_string(),
        seed: spec.seed,
        turbines: spec.turbines,
        days: spec.days,
        window_min: spec.window_s / 60,
        start: spec.start,
        end,
        profile: spec.profile.name(),
        rows: stats.rows,
        turbine_steps: stats.turbine_steps,
        columns: CSV_HEADER.split(',').collect(),
        elapsed_s,
    }
}

fn readme(m: &SynthMeta) -> String {
    format!(
        "Synthetic SCADA history written by {gen}: {turbines} turbines, {days} days from {start} \
         (seed {seed}, {profile} profile), {window}-minute windows, {rows} rows.\n\n\
         scada.csv   one row per turbine and window, time = window start (UTC). Columns:\n\
         \x20 turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg: the generic\n\
         \x20   SCADA format (means over the seconds each signal was present; vane and nacelle are\n\
         \x20   circular means; an empty cell means the signal was missing for the whole window);\n\
         \x20 wind_speed_std: standard deviation of the 1 Hz nacelle wind speed, m/s;\n\
         \x20 state_running_fraction: share of seconds running or curtailed (states 1, 2);\n\
         \x20 state_curtailed_fraction, state_fault_fraction: share of seconds in state 2, 3.\n\
         \x20 outdoor_temp_c: mean outdoor temperature, deg C (farm-wide; constant 15 unless the\n\
         \x20   profile has seasons, when air density follows it).\n\
         \x20 Stops and faults are kept with the values reported (power about 0).\n\
         truth.json  the ground truth: vane error per 1 m/s bin before and after each drift event,\n\
         \x20 drift events, north offsets, vane gain, cos^p exponent, outages, curtailments.\n\
         meta.json   these facts, machine-readable.\n\
         Regenerate: trueyaw synth --turbines {turbines} --days {days} --seed {seed} --window-min {window} \
         --start {start} --profile {profile} --out DIR\n",
        gen = m.generator,
        turbines = m.turbines,
        days = m.days,
        start = m.start.format("%Y-%m-%dT%H:%M:%SZ"),
        seed = m.seed,
        profile = m.profile,
        window = m.window_min,
        rows = m.rows,
    )
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    rename(&tmp, path)
}

fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to).with_context(|| format!("renaming {} to {}", from.display(), to.display()))
}
