//! The ground truth of a simulation run, as JSON (`--truth FILE`): every parameter and event
//! the physics used, so tests and estimators can be scored against what really happened.
//! `trueyaw simulate` writes it; `trueyaw synth` (synthetic history) reuses the format.
//!
//! Layout (times RFC 3339 in simulated time, angles in degrees, conventions of
//! `docs/domain.md`):
//! - run: `format_version`, `generator`, `seed`, `speedup`, `start`, `step_s`, `planned_until`
//!   (events are planned, and this file exact, up to then; it is rewritten as the plan grows),
//!   `turbine_model`, farm-wide `curtailments`;
//! - per turbine: vane model parameters (`static_offset_deg`, `gain_k`, `wake_bias`,
//!   `vane_noise_deg`), `cos_exponent_p`, `north_offset_deg`, `yaw_controller` settings,
//!   `drift_events`, `outages` (faults, stuck vane, missing signals) and `vane_error_by_bin`.
//!
//! `vane_error_by_bin` splits time at every drift boundary (a step, a ramp's start or end). In
//! each period it gives e per 1 m/s bin of free wind speed from 3 to 15 m/s, evaluated at the
//! aligned, uncurtailed steady state of that bin (rotor speed and pitch listed with it). Within
//! a period flagged `ramping` e moves linearly from that period's bins to the next period's.
//! [`Truth::vane_error_deg`] evaluates e anywhere, with the same function the simulator uses.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::aero;
use super::physics::FarmPhysics;
use super::turbine::MISSING_ALL;
use super::vane::{self, DriftEvent, DriftKind, VaneParams, WakeBias};
use super::yaw::YawParams;
use crate::domain::{Signal, TurbineName};

/// Version of the JSON layout; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;
/// Wind-speed bins (free wind, m/s) of `vane_error_by_bin`.
pub const WS_BINS_MS: std::ops::RangeInclusive<u32> = 3..=15;

/// The ground truth of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub format_version: u32,
    /// What produced the run, e.g. `trueyaw simulate`.
    pub generator: String,
    pub seed: u64,
    /// Simulated seconds per real second (1 for synthetic history written offline).
    pub speedup: f64,
    /// Simulated time of step 0.
    pub start: DateTime<Utc>,
    /// Physics step, s.
    pub step_s: f64,
    pub planned_until: DateTime<Utc>,
    pub turbine_model: TurbineModel,
    pub curtailments: Vec<Curtailment>,
    pub turbines: Vec<TurbineTruth>,
}

/// The simulated turbine type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurbineModel {
    pub rated_power_kw: f64,
    pub rotor_diameter_m: f64,
    pub cut_in_ms: f64,
    pub cut_out_ms: f64,
    pub rpm_min: f64,
    pub rpm_rated: f64,
}

/// A farm-wide power cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curtailment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cap_kw: f64,
}

/// Everything about one turbine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurbineTruth {
    pub name: TurbineName,
    pub static_offset_deg: f64,
    pub gain_k: f64,
    pub cos_exponent_p: f64,
    pub north_offset_deg: f64,
    pub wake_bias: WakeBias,
    pub vane_noise_deg: f64,
    pub yaw_controller: YawParams,
    pub drift_events: Vec<DriftEventTruth>,
    pub vane_error_by_bin: Vec<VaneErrorPeriod>,
    pub outages: Vec<Outage>,
}

/// A change of the vane error: a step at `time`, or a linear ramp from `time` over `duration_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftEventTruth {
    pub time: DateTime<Utc>,
    pub kind: DriftKind,
    pub delta_deg: f64,
    pub duration_s: u64,
}

/// Vane error per wind-speed bin over `[from, to)`; `to` is null for the last period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaneErrorPeriod {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// A ramp is in progress: e moves linearly towards the next period's values.
    pub ramping: bool,
    pub bins: Vec<BinError>,
}

/// Vane error of one bin at the bin's typical operating state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinError {
    /// Bin centre, free wind speed, m/s.
    pub ws: f64,
    pub rotor_rpm: f64,
    pub pitch_deg: f64,
    pub vane_error_deg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// State 3, no power, no yawing.
    Fault,
    /// The vane repeats its last reading; the yaw controller follows it.
    StuckVane,
    /// The listed signals are not served.
    MissingSignals,
}

/// A planned fault, stuck vane or dropout over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    pub kind: OutageKind,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
}

/// Signals of the missing-signal mask bits, in [`super::TurbineOutputs`] order.
const MASK_SIGNALS: [Signal; 6] =
    [Signal::WindSpeed, Signal::Vane, Signal::NacellePosition, Signal::Power, Signal::RotorSpeed, Signal::Pitch];

impl Truth {
    /// The truth of `physics` as planned so far, for a run that started at `start`.
    pub fn from_physics(physics: &FarmPhysics, start: DateTime<Utc>, speedup: f64, generator: &str) -> Self {
        let at = |s: u64| start + Duration::seconds(s as i64);
        let curtailments = physics
            .curtailments()
            .iter()
            .map(|c| Curtailment {
                from: at(c.start_s),
                to: at(c.end_s),
                cap_kw: aero::RATED_POWER_KW * f64::from(c.param) / aero::CAP_LEVELS as f64,
            })
            .collect();
        let turbines = (0..physics.len()).map(|i| turbine_truth(physics, i, &at)).collect();
        Self {
            format_version: FORMAT_VERSION,
            generator: generator.to_string(),
            seed: physics.seed(),
            speedup,
            start,
            step_s: 1.0,
            planned_until: at(physics.planned_until_s()),
            turbine_model: TurbineModel {
                rated_power_kw: aero::RATED_POWER_KW,
                rotor_diameter_m: aero::ROTOR_DIAMETER_M,
                cut_in_ms: aero::CUT_IN_MS,
                cut_out_ms: aero::CUT_OUT_MS,
                rpm_min: aero::RPM_MIN,
                rpm_rated: aero::RPM_RATED,
            },
            curtailments,
            turbines,
        }
    }

    /// The vane error e (deg) of turbine `index` at free wind `ws_ms`, rotor speed `rpm`,
    /// pitch `pitch_deg` and `time`, computed from this file's parameters with the simulator's
    /// own function. Exact up to `planned_until`.
    pub fn vane_error_deg(&self, index: usize, ws_ms: f64, rpm: f64, pitch_deg: f64, time: DateTime<Utc>) -> f64 {
        let t = &self.turbines[index];
        let params = VaneParams {
            static_offset_deg: t.static_offset_deg,
            gain_k: t.gain_k,
            wake: t.wake_bias,
            noise_deg: t.vane_noise_deg,
        };
        let drift: Vec<DriftEvent> = t
            .drift_events
            .iter()
            .map(|d| DriftEvent {
                start_s: (d.time - self.start).num_seconds().max(0) as u64,
                kind: d.kind,
                delta_deg: d.delta_deg,
                duration_s: d.duration_s,
            })
            .collect();
        let t_s = (time - self.start).num_milliseconds() as f64 / 1000.0;
        vane::vane_error_deg(&params, &drift, ws_ms, rpm, pitch_deg, t_s)
    }

    /// Writes the truth as pretty JSON, atomically (a temporary file renamed into place), so a
    /// reader never sees half a file.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(self).context("serialising the ground truth")?;
        std::fs::write(&tmp, json).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
    }

    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing ground truth {}", path.display()))
    }
}

fn turbine_truth(physics: &FarmPhysics, i: usize, at: &dyn Fn(u64) -> DateTime<Utc>) -> TurbineTruth {
    let tb = physics.turbine(i);
    let p = &tb.params;
    let drift = tb.plans.drift.events();
    let outage = |kind, list: &[super::events::Interval]| -> Vec<Outage> {
        list.iter()
            .map(|o| Outage {
                kind,
                from: at(o.start_s),
                to: at(o.end_s),
                signals: match kind {
                    OutageKind::MissingSignals => MASK_SIGNALS
                        .iter()
                        .enumerate()
                        .filter(|(bit, _)| o.param & MISSING_ALL & (1 << bit) != 0)
                        .map(|(_, s)| *s)
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect()
    };
    let mut outages = outage(OutageKind::Fault, tb.plans.faults.intervals());
    outages.extend(outage(OutageKind::StuckVane, tb.plans.stuck_vane.intervals()));
    outages.extend(outage(OutageKind::MissingSignals, tb.plans.missing.intervals()));
    outages.sort_by_key(|o| o.from);
    TurbineTruth {
        name: TurbineName::numbered(i + 1),
        static_offset_deg: p.vane.static_offset_deg,
        gain_k: p.vane.gain_k,
        cos_exponent_p: p.cos_exponent_p,
        north_offset_deg: p.north_offset_deg,
        wake_bias: p.vane.wake,
        vane_noise_deg: p.vane.noise_deg,
        yaw_controller: p.yaw,
        drift_events: drift
            .iter()
            .map(|d| DriftEventTruth {
                time: at(d.start_s),
                kind: d.kind,
                delta_deg: d.delta_deg,
                duration_s: d.duration_s,
            })
            .collect(),
        vane_error_by_bin: periods(physics, i, drift, at),
        outages,
    }
}

/// Splits time at every drift boundary and evaluates the bins at the start of each period.
fn periods(
    physics: &FarmPhysics,
    i: usize,
    drift: &[DriftEvent],
    at: &dyn Fn(u64) -> DateTime<Utc>,
) -> Vec<VaneErrorPeriod> {
    let mut bounds: Vec<u64> = std::iter::once(0)
        .chain(drift.iter().map(|d| d.start_s))
        .chain(drift.iter().filter(|d| d.kind == DriftKind::Ramp).map(|d| d.start_s + d.duration_s))
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let a = aero::aero();
    bounds
        .iter()
        .enumerate()
        .map(|(k, &from)| VaneErrorPeriod {
            from: at(from),
            to: bounds.get(k + 1).map(|&s| at(s)),
            ramping: drift
                .iter()
                .any(|d| d.kind == DriftKind::Ramp && d.start_s <= from && from < d.start_s + d.duration_s),
            bins: WS_BINS_MS
                .map(|ws| {
                    let ws = f64::from(ws);
                    let op = a.aligned(ws);
                    BinError {
                        ws,
                        rotor_rpm: op.rotor_rpm,
                        pitch_deg: op.pitch_deg,
                        vane_error_deg: physics.vane_error_deg(i, ws, op.rotor_rpm, op.pitch_deg, from as f64),
                    }
                })
                .collect(),
        })
        .collect()
}
