//! Synthetic SCADA history: the live simulator's own [`FarmPhysics`], stepped at 1 Hz as fast as
//! the CPU allows, with each turbine's reported outputs aggregated into fixed windows as a SCADA
//! historian would, written as the generic CSV of `docs/domain.md`. Scored against the run's
//! [`super::truth::Truth`], it is how trueyaw measures its estimators.
//!
//! What it models: everything the physics models (wind regimes and fronts, yaw control with its
//! dead band, the biased and drifting vane, faults, curtailments, stuck vanes, SCADA dropouts),
//! seen only through the sensors (nacelle anemometer, vane, yaw position sensor, power, rotor
//! speed, pitch), never the true values. Windows are aggregated as described in [`window`];
//! fault and stop periods keep what the turbine reported (power about 0), so estimators must
//! filter them as they would on real data.
//!
//! What it does not model: historian quirks (timestamp jitter, duplicated or lost windows,
//! end-of-window instead of start-of-window stamps, frozen values repeated by the historian),
//! min/max columns, and anything outside the physics (icing, waking by neighbours).
//!
//! Determinism: the output depends only on the [`HistorySpec`]: the physics is seeded, numbers
//! are printed with fixed decimals, and rows come out in time order, turbine order within a
//! window. The physics runs on one thread and aggregation plus CSV writing on another (one
//! window of samples per hand-over, buffers recycled), which changes speed, never bytes.
//!
//! Speed: the physics thread is the limit (about 0.2 microseconds a turbine-step; a year of five
//! turbines in about 35 s on two cores, `cargo bench --bench synth`). Splitting turbines across
//! threads would need the physics to step a subset of turbines against one shared wind, which
//! [`FarmPhysics`] does not offer; the truth of a run is clipped to its end by [`truth::clip_to`].

pub mod truth;
pub mod window;

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::{DateTime, Duration, Utc};

use super::TurbineOutputs;
use super::physics::{FarmPhysics, SimProfile};
use super::weather::Weather;
use crate::domain::{TurbineName, wrap180, wrap360};
pub use window::{WindowAccumulator, WindowRecord};

/// Header of the CSV: the generic SCADA columns of `docs/domain.md`, then extra columns the
/// importer ignores (see [`WindowRecord`]: wind-speed standard deviation and state shares), then
/// the outdoor temperature, which the importer reads where a file has it.
pub const CSV_HEADER: &str = "turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg,\
wind_speed_std,state_running_fraction,state_curtailed_fraction,state_fault_fraction,outdoor_temp_c";

/// Window buffers in flight between the physics and the writer: one being filled, one being
/// written, one queued, so neither side waits on the other's jitter.
const BUFFERS: usize = 3;

/// What history to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySpec {
    /// Number of turbines, T01..
    pub turbines: usize,
    /// Length of the history, simulated days.
    pub days: u32,
    /// Seed of the physics (the same seed as `trueyaw simulate --seed`).
    pub seed: u64,
    /// Window length, s (600 for the usual 10-minute SCADA records).
    pub window_s: u32,
    /// Time of physics second 0 and of the first window's start.
    pub start: DateTime<Utc>,
    pub profile: SimProfile,
}

impl HistorySpec {
    /// Number of windows per turbine (a partial last window is dropped).
    pub fn windows(&self) -> u64 {
        u64::from(self.days) * 86_400 / u64::from(self.window_s.max(1))
    }

    /// Simulated seconds the history covers: whole windows only.
    pub fn seconds(&self) -> u64 {
        self.windows() * u64::from(self.window_s)
    }
}

/// Counts of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryStats {
    /// CSV data rows (turbines x windows).
    pub rows: u64,
    /// Physics turbine-steps (turbines x simulated seconds).
    pub turbine_steps: u64,
}

/// Generates the history of `spec` as CSV into `csv` (header included; wrap files in a
/// `BufWriter`). Returns the physics as it stands at the end, so its events, planned beyond the
/// end, can be written as the truth, and the counts.
pub fn generate<W: Write + Send>(spec: &HistorySpec, csv: W) -> io::Result<(FarmPhysics, HistoryStats)> {
    if spec.turbines == 0 || spec.window_s == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "need at least one turbine and a window > 0 s"));
    }
    let per_window = spec.turbines * spec.window_s as usize;
    let (full_tx, full_rx) = sync_channel::<Vec<TurbineOutputs>>(BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<TurbineOutputs>>(BUFFERS);
    for _ in 0..BUFFERS {
        empty_tx.send(Vec::with_capacity(per_window)).expect("the receiver is alive");
    }
    let physics = FarmPhysics::new(spec.seed, spec.turbines, &spec.profile);
    std::thread::scope(|s| {
        let stepper = s.spawn(move || step_windows(physics, spec, &full_tx, &empty_rx));
        let written = write_windows(spec, csv, &full_rx, &empty_tx);
        // On a write error, dropping the receiver stops the stepper at its next hand-over.
        drop(full_rx);
        let physics = stepper.join().expect("the physics thread does not panic");
        let rows = written?;
        Ok((physics, HistoryStats { rows, turbine_steps: spec.seconds() * spec.turbines as u64 }))
    })
}

/// Physics side: samples every turbine at seconds `0..seconds()` (the sample at second t is the
/// state after t steps, stamped `start + t`), one window per buffer.
fn step_windows(
    mut physics: FarmPhysics,
    spec: &HistorySpec,
    full: &SyncSender<Vec<TurbineOutputs>>,
    empty: &Receiver<Vec<TurbineOutputs>>,
) -> FarmPhysics {
    let n = spec.turbines;
    for _ in 0..spec.windows() {
        let Ok(mut buf) = empty.recv() else { break };
        buf.clear();
        for _ in 0..spec.window_s {
            for i in 0..n {
                buf.push(physics.outputs(i));
            }
            physics.step();
        }
        if full.send(buf).is_err() {
            break;
        }
    }
    physics
}

/// Writer side: aggregates each window buffer per turbine and writes one row per turbine.
fn write_windows<W: Write>(
    spec: &HistorySpec,
    mut csv: W,
    full: &Receiver<Vec<TurbineOutputs>>,
    empty: &SyncSender<Vec<TurbineOutputs>>,
) -> io::Result<u64> {
    writeln!(csv, "{CSV_HEADER}")?;
    let names: Vec<String> = (1..=spec.turbines).map(|i| TurbineName::numbered(i).to_string()).collect();
    let mut accs = vec![WindowAccumulator::default(); spec.turbines];
    // The same weather the physics steps in (a function of simulated time and the seed).
    let weather = Weather::new(spec.seed, spec.profile.seasons);
    let mut time = String::with_capacity(24);
    let mut rows = 0;
    for w in 0..spec.windows() {
        let Ok(buf) = full.recv() else { break };
        for second in buf.chunks_exact(spec.turbines) {
            for (acc, o) in accs.iter_mut().zip(second) {
                acc.add(o);
            }
        }
        // The stepper may already be gone after the last window; a lost buffer is harmless then.
        let _ = empty.send(buf);
        time.clear();
        let first_s = w * u64::from(spec.window_s);
        let t = spec.start + Duration::seconds(first_s as i64);
        use std::fmt::Write as _;
        write!(time, "{}", t.format("%Y-%m-%dT%H:%M:%SZ")).expect("writing to a String");
        // Sample k of the window is the state after k steps, whose density came from second k.
        let temp_c = (first_s..first_s + u64::from(spec.window_s)).map(|s| weather.temp_c(s as f64)).sum::<f64>()
            / f64::from(spec.window_s);
        for (name, acc) in names.iter().zip(&mut accs) {
            let record = WindowRecord { outdoor_temp_c: Some(temp_c), ..acc.take() };
            write_row(&mut csv, name, &time, &record)?;
            rows += 1;
        }
    }
    csv.flush()?;
    Ok(rows)
}

/// One CSV row. Fixed decimals keep the bytes reproducible and the file small: 0.01 m/s, 0.01 deg,
/// 0.1 kW, 0.01 rpm, 0.01 deg pitch, 0.001 for standard deviations and shares, 0.01 deg C.
fn write_row<W: Write>(csv: &mut W, turbine: &str, time: &str, r: &WindowRecord) -> io::Result<()> {
    let angle = |v: Option<f64>, wrap: fn(f64) -> f64| v.map(|v| wrap(round(v, 2)));
    writeln!(
        csv,
        "{turbine},{time},{},{},{},{},{},{},{},{},{},{},{}",
        Cell(r.wind_speed_ms, 2),
        // Rounded before wrapping, so 359.999 prints as 0.00, never as 360.00.
        Cell(angle(r.vane_deg, wrap180), 2),
        Cell(angle(r.nacelle_deg, wrap360), 2),
        Cell(r.power_kw, 1),
        Cell(r.rotor_rpm, 2),
        Cell(r.pitch_deg, 2),
        Cell(r.wind_speed_std, 3),
        Cell(Some(r.state_running_fraction), 3),
        Cell(Some(r.state_curtailed_fraction), 3),
        Cell(Some(r.state_fault_fraction), 3),
        Cell(r.outdoor_temp_c, 2),
    )
}

fn round(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    // `+ 0.0` turns -0.0 into 0.0, so a value rounding to zero prints as "0.00", not "-0.00".
    (v * scale).round() / scale + 0.0
}

/// A CSV cell with a fixed number of decimals; `None` is the empty cell.
struct Cell(Option<f64>, usize);

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{:.*}", self.1, round(v, self.1 as i32)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(r: &WindowRecord) -> String {
        let mut out = Vec::new();
        write_row(&mut out, "T01", "2025-01-01T00:00:00Z", r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn angles_are_rounded_before_wrapping_and_zero_never_prints_negative() {
        let r = WindowRecord {
            vane_deg: Some(-179.999),
            nacelle_deg: Some(359.999),
            power_kw: Some(-0.01),
            pitch_deg: Some(-0.001),
            ..Default::default()
        };
        assert_eq!(row(&r), "T01,2025-01-01T00:00:00Z,,180.00,0.00,0.0,,0.00,,0.000,0.000,0.000,\n");
    }

    #[test]
    fn windows_cover_whole_windows_only() {
        let spec = HistorySpec {
            turbines: 1,
            days: 1,
            seed: 1,
            window_s: 3600,
            start: DateTime::UNIX_EPOCH,
            profile: SimProfile::clean(),
        };
        assert_eq!((spec.windows(), spec.seconds()), (24, 86_400));
    }

    #[test]
    fn a_farm_without_turbines_is_refused() {
        let spec = HistorySpec {
            turbines: 0,
            days: 1,
            seed: 1,
            window_s: 600,
            start: DateTime::UNIX_EPOCH,
            profile: SimProfile::clean(),
        };
        assert!(generate(&spec, Vec::new()).is_err());
    }
}
