//! A trained ensemble: evaluation of e at operating points, the [`VaneErrorEstimate`] it
//! reports, and save/load of weights (burnpack via `save_file`/`load_file`) with the config and
//! normalisation as JSON beside them.

use std::path::Path;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::data::{Batch, BinState, Normalizer, bin_states};
use super::network::{SteepnessStart, VaneNet};
use super::{NeuralConfig, NeuralError, TrainReport, config_from_json};
use crate::model::estimate::{BinVaneError, DriftEvent, DriftEvidence, VaneErrorEstimate};
use crate::model::prep::OperatingWindow;

/// Reported bins, m/s centres, and the operating range averaged into `vane_error_deg`.
const BINS_MS: (u32, u32) = (3, 15);
const OPERATING_MS: (f64, f64) = (4.0, 11.0);
/// Smallest drift step reported as an event, degrees.
const MIN_EVENT_DEG: f64 = 1.0;
/// Smallest member-mean block change counted as part of a step, degrees.
const STEP_PART_DEG: f64 = 0.25;

/// One member's loss-curve shape ([`NeuralFit::member_loss_shapes`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LossShape {
    /// Cosine exponent p.
    pub cos_exponent: f64,
    /// Vane gain k.
    pub gain: f64,
    /// Anemometer yaw sensitivity a (`ws_read = ws · (1 + a sin²γ)`), when the model has it.
    pub anemometer_yaw_gain: Option<f64>,
}

/// One drift block of [`NeuralFit::drift_blocks`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftBlock {
    pub start: chrono::DateTime<chrono::Utc>,
    pub at_change_point: bool,
    /// Vane-error drift of this block minus that of the current state, degrees.
    pub drift_deg: f64,
    pub ci95: [f64; 2],
}

/// What each member said about the training windows, computed once at fit time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MemberSummary {
    misalignment_deg: f64,
    energy_loss_pct: f64,
    report: TrainReport,
}

/// Everything besides the weights that a loaded model needs, stored as `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FitMeta {
    norm: Normalizer,
    bins: Vec<BinState>,
    members: Vec<MemberSummary>,
    n_windows: usize,
}

/// A trained ensemble of one turbine, on the plain flex device (no autodiff).
#[derive(Debug, Clone)]
pub struct NeuralFit {
    config: NeuralConfig,
    meta: FitMeta,
    members: Vec<VaneNet>,
}

impl NeuralFit {
    pub(super) fn new(
        config: NeuralConfig,
        norm: Normalizer,
        members: Vec<VaneNet>,
        reports: Vec<TrainReport>,
        w: &[OperatingWindow],
    ) -> Self {
        let device = Device::flex();
        let all: Vec<usize> = (0..w.len()).collect();
        let batch = Batch::new(w, &all, &norm, &device);
        let power: Vec<f64> = w.iter().map(|x| x.power_kw.max(0.0)).collect();
        let summaries = members
            .iter()
            .zip(reports)
            .map(|(m, report)| {
                let gamma = to_vec(m.forward(&batch).gamma_deg);
                let p = scalar(m.cos_exponent());
                let kept: f64 = gamma.iter().zip(&power).map(|(g, pw)| pw * g.to_radians().cos().powf(p)).sum();
                let total: f64 = power.iter().sum();
                MemberSummary {
                    misalignment_deg: gamma.iter().sum::<f64>() / gamma.len() as f64,
                    energy_loss_pct: if total > 0.0 { 100.0 * (1.0 - kept / total) } else { 0.0 },
                    report,
                }
            })
            .collect();
        let bins = bin_states(w, BINS_MS.0, BINS_MS.1);
        Self { config, meta: FitMeta { norm, bins, members: summaries, n_windows: w.len() }, members }
    }

    /// The same ensemble read with another `event_merge_days` (tests of the event rule).
    #[cfg(test)]
    pub(super) fn with_event_merge_days(self, days: f64) -> Self {
        Self { config: self.config.with_event_merge_days(days), ..self }
    }

    /// The configuration the ensemble was trained with.
    pub fn config(&self) -> &NeuralConfig {
        &self.config
    }

    /// The normalisation and the member networks, for `compiled`.
    pub(super) fn parts(&self) -> (&Normalizer, &[VaneNet]) {
        (&self.meta.norm, &self.members)
    }

    /// How each member's training ended.
    pub fn reports(&self) -> Vec<TrainReport> {
        self.meta.members.iter().map(|m| m.report).collect()
    }

    /// e of every member, degrees, `[member][point]`, at the given operating points in the
    /// current drift state (after the last block).
    fn member_vane_errors(&self, points: &[(f64, Option<f64>, Option<f64>)]) -> Vec<Vec<f64>> {
        let device = Device::flex();
        let n = points.len();
        let state: Vec<f32> =
            points.iter().flat_map(|&(ws, rpm, pitch)| self.meta.norm.state(ws, rpm, pitch)).collect();
        let state = Tensor::<2>::from_data(TensorData::new(state, [n, 3]), &device);
        let last = self.meta.norm.n_blocks - 1;
        self.members
            .iter()
            .map(|m| {
                let d_last = to_vec(m.drift_deg())[last];
                to_vec(m.static_vane_error_deg(state.clone())).into_iter().map(|e| e + d_last).collect()
            })
            .collect()
    }

    /// `vane_error_deg` (the `yaw_offset_deg` to serve) at one operating point in the current
    /// drift state, with its 95 % ensemble interval. Wind speed m/s, rotor speed rpm, pitch deg.
    pub fn vane_error_deg(&self, ws: f64, rotor_rpm: Option<f64>, pitch_deg: Option<f64>) -> (f64, [f64; 2]) {
        let per_member: Vec<f64> =
            self.member_vane_errors(&[(ws, rotor_rpm, pitch_deg)]).into_iter().map(|v| v[0]).collect();
        self.vane_error_ci(&per_member)
    }

    /// The estimate in the shared report shape (see the module docs of `neural` for each field).
    pub fn to_estimate(&self, turbine: &str) -> VaneErrorEstimate {
        let bins = &self.meta.bins;
        let points: Vec<_> = bins.iter().map(|b| (b.ws, b.rotor_rpm, b.pitch_deg)).collect();
        let per_member = self.member_vane_errors(&points); // [member][bin]
        let out_bins = bins
            .iter()
            .enumerate()
            .map(|(j, b)| {
                let (mean, ci) = self.vane_error_ci(&per_member.iter().map(|m| m[j]).collect::<Vec<_>>());
                BinVaneError {
                    ws: b.ws,
                    vane_error_deg: Some(mean),
                    ci95: Some(ci),
                    extrapolated: b.n_windows < self.config.min_bin_windows,
                    n_windows: b.n_windows,
                }
            })
            .collect();
        let operating = self.operating_per_member(&per_member).map(|per| self.vane_error_ci(&per));
        let avg = |f: &dyn Fn(&VaneNet) -> f64| self.members.iter().map(f).sum::<f64>() / self.members.len() as f64;
        let avg_meta = |f: fn(&MemberSummary) -> f64| {
            self.meta.members.iter().map(f).sum::<f64>() / self.meta.members.len() as f64
        };
        VaneErrorEstimate {
            turbine: turbine.to_string(),
            method: "neural".into(),
            vane_error_deg: operating.map(|o| o.0),
            ci95: operating.map(|o| o.1),
            bins: out_bins,
            gain: avg(&|m| scalar(m.gain())),
            cos_exponent: Some(avg(&|m| scalar(m.cos_exponent()))),
            misalignment_deg: Some(avg_meta(|m| m.misalignment_deg)),
            energy_loss_pct: Some(avg_meta(|m| m.energy_loss_pct)),
            north_offset_deg: None,
            north_offset_ci95: None,
            north_offset_jumps: Vec::new(),
            drift_events: self.drift_events(),
            model_version: 0,
            n_windows: self.meta.n_windows,
        }
    }

    /// Each member's operating vane error (window-weighted over the 4-11 m/s bins) from its
    /// per-bin values `[member][bin]`; `None` without windows in those bins.
    fn operating_per_member(&self, per_member: &[Vec<f64>]) -> Option<Vec<f64>> {
        let bins = &self.meta.bins;
        let op: Vec<usize> =
            (0..bins.len()).filter(|&j| (OPERATING_MS.0..=OPERATING_MS.1).contains(&bins[j].ws)).collect();
        let weight: f64 = op.iter().map(|&j| bins[j].n_windows as f64).sum();
        (weight > 0.0).then(|| {
            per_member
                .iter()
                .map(|m| op.iter().map(|&j| m[j] * bins[j].n_windows as f64).sum::<f64>() / weight)
                .collect()
        })
    }

    /// Each member's operating vane error in the current state, degrees (`metrics.json`: the
    /// spread behind the interval, so one member that went its own way can be seen).
    pub fn member_operating_vane_errors(&self) -> Option<Vec<f64>> {
        let points: Vec<_> = self.meta.bins.iter().map(|b| (b.ws, b.rotor_rpm, b.pitch_deg)).collect();
        self.operating_per_member(&self.member_vane_errors(&points))
    }

    /// Each member's loss-curve shape: cosine exponent p, vane gain k and anemometer yaw
    /// sensitivity a (`None` without that term), for the training metrics: weakly identified
    /// one by one (module docs), but a member far from the others shows where the spread of e
    /// comes from.
    pub fn member_loss_shapes(&self) -> Vec<LossShape> {
        self.members
            .iter()
            .map(|m| LossShape {
                cos_exponent: scalar(m.cos_exponent()),
                gain: scalar(m.gain()),
                anemometer_yaw_gain: m.anemometer_yaw_gain().map(scalar),
            })
            .collect()
    }

    /// Member mean of a vane error and its 95 % interval, widened by `interval_inflation`.
    fn vane_error_ci(&self, per_member: &[f64]) -> (f64, [f64; 2]) {
        widened_ci(per_member, self.config.interval_inflation)
    }

    /// Each member's drift per block, degrees, `[member][block]`.
    fn member_drifts(&self) -> Vec<Vec<f64>> {
        self.members.iter().map(|m| to_vec(m.drift_deg())).collect()
    }

    /// The learned drift per block: each block's start, whether it starts at a direction change
    /// point, and its drift relative to the current state (the last block) with the member
    /// interval, degrees. Kept in `metrics.json` so an engineer can see the timeline the drift
    /// events were read from.
    pub fn drift_blocks(&self) -> Vec<DriftBlock> {
        let drifts = self.member_drifts();
        let norm = &self.meta.norm;
        let last = norm.n_blocks - 1;
        (0..norm.n_blocks)
            .map(|b| {
                let (drift_deg, ci95) = mean_ci(&drifts.iter().map(|d| d[b] - d[last]).collect::<Vec<_>>());
                DriftBlock { start: norm.block_start(b), at_change_point: norm.starts_at_break(b), drift_deg, ci95 }
            })
            .collect()
    }

    /// Drift events. L1-shrunk steps may spread over a few consecutive blocks (the main jump
    /// plus small catch-ups), so consecutive block changes of one sign whose member-mean
    /// exceeds [`STEP_PART_DEG`] form one event, unless a block starts at a direction change
    /// point, which begins a new event. An event's delta is the sum of its block changes (per
    /// member, then mean and interval over members), its time the start of the block with the
    /// largest change; it is reported when the interval excludes 0 and |delta| ≥
    /// [`MIN_EVENT_DEG`].
    ///
    /// A change point closer than [`NeuralConfig::event_merge_days`] to the previous one of an
    /// event is read with it, unless both parts are events on their own: power cannot size the
    /// level of a day or two between two change points (one of them often the weather moving the
    /// direction), so members share one step among them in different ways and only the sum is
    /// determined; two steps that power does tell apart stay two events.
    fn drift_events(&self) -> Vec<DriftEvent> {
        let drifts = self.member_drifts();
        let norm = &self.meta.norm;
        let n_blocks = norm.n_blocks;
        let change = |d: &Vec<f64>, b: usize| d[b] - d[b - 1];
        let mean_change: Vec<f64> = (0..n_blocks)
            .map(|b| if b == 0 { 0.0 } else { mean_ci(&drifts.iter().map(|d| change(d, b)).collect::<Vec<_>>()).0 })
            .collect();
        // end of the catch-ups of sign `sign` from block `b`: same-sign changes off change points
        let catch_ups = |mut b: usize, sign: f64| {
            while b < n_blocks
                && !norm.starts_at_break(b)
                && mean_change[b].abs() >= STEP_PART_DEG
                && mean_change[b].signum() == sign
            {
                b += 1;
            }
            b
        };
        let read = |group: std::ops::Range<usize>| {
            let sums: Vec<f64> = drifts.iter().map(|d| group.clone().map(|j| change(d, j)).sum()).collect();
            let (delta_deg, ci95) = mean_ci(&sums);
            ((ci95[0] > 0.0 || ci95[1] < 0.0) && delta_deg.abs() >= MIN_EVENT_DEG).then_some((delta_deg, ci95))
        };
        let merge = chrono::Duration::seconds((self.config.event_merge_days * 86_400.0).round() as i64);
        let mut events = Vec::new();
        let mut b = 1;
        while b < n_blocks {
            if mean_change[b].abs() < STEP_PART_DEG {
                b += 1;
                continue;
            }
            let start = b;
            let mut end = catch_ups(start + 1, mean_change[start].signum());
            let mut last_break = norm.starts_at_break(start).then(|| norm.block_start(start));
            while end < n_blocks
                && norm.starts_at_break(end)
                && last_break.is_some_and(|t| norm.block_start(end) - t < merge)
            {
                let next_end = catch_ups(end + 1, mean_change[end].signum());
                if read(start..end).is_some() && read(end..next_end).is_some() {
                    break;
                }
                let sum: f64 = mean_change[start..next_end].iter().sum();
                last_break = Some(norm.block_start(end));
                end = catch_ups(next_end, sum.signum());
            }
            b = end;
            let main =
                (start..end).max_by(|&x, &y| mean_change[x].abs().total_cmp(&mean_change[y].abs())).unwrap_or(start);
            if let Some((delta_deg, ci95)) = read(start..end) {
                let seen_in_direction = (start..end).any(|j| norm.starts_at_break(j));
                let evidence = if seen_in_direction { DriftEvidence::PowerAndDirection } else { DriftEvidence::Power };
                events.push(DriftEvent { time: norm.block_start(main), delta_deg, ci95, evidence: Some(evidence) });
            }
        }
        events
    }

    /// Writes `config.json`, `meta.json` and `member_<m>.bpk` (burnpack weights) into `dir`,
    /// creating it if needed.
    pub fn save(&self, dir: &Path) -> Result<(), NeuralError> {
        std::fs::create_dir_all(dir)?;
        self.config.save(dir.join("config.json"))?;
        let meta = serde_json::to_string_pretty(&self.meta).map_err(|e| NeuralError::Metadata(e.to_string()))?;
        std::fs::write(dir.join("meta.json"), meta)?;
        for (m, member) in self.members.iter().enumerate() {
            member
                .clone()
                .save_file(dir.join(format!("member_{m}.bpk")))
                .map_err(|e| NeuralError::Weights(format!("{e:?}")))?;
        }
        Ok(())
    }

    /// Reads what [`NeuralFit::save`] wrote.
    pub fn load(dir: &Path) -> Result<Self, NeuralError> {
        let config = config_from_json(&std::fs::read_to_string(dir.join("config.json"))?)
            .map_err(|e| NeuralError::Metadata(e.to_string()))?;
        let meta: FitMeta = serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json"))?)
            .map_err(|e| NeuralError::Metadata(e.to_string()))?;
        let device = Device::flex();
        let members = (0..meta.members.len())
            .map(|m| {
                VaneNet::new(
                    config.bias_hidden_size,
                    &meta.norm,
                    vec![0.0; meta.norm.r_grid_nodes],
                    SteepnessStart::default(),
                    0,
                    &device,
                )
                .try_load_file(dir.join(format!("member_{m}.bpk")))
                .map_err(|e| NeuralError::Weights(format!("{e:?}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { config, meta, members })
    }
}

fn to_vec(t: Tensor<1>) -> Vec<f64> {
    t.into_data().try_into_vec_as::<f32>().expect("float tensor").into_iter().map(f64::from).collect()
}

fn scalar(t: Tensor<1>) -> f64 {
    to_vec(t)[0]
}

/// Mean over members and `mean ± t(0.975, M − 1) · sd`; a single member gives a zero-width
/// interval (no spread to measure).
pub(super) fn mean_ci(v: &[f64]) -> (f64, [f64; 2]) {
    let m = v.len() as f64;
    let mean = v.iter().sum::<f64>() / m;
    if v.len() < 2 {
        return (mean, [mean, mean]);
    }
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
    let half = t975(v.len() - 1) * sd;
    (mean, [mean - half, mean + half])
}

/// [`mean_ci`] with the half-width times `inflation` (`NeuralConfig::interval_inflation`).
pub(super) fn widened_ci(v: &[f64], inflation: f64) -> (f64, [f64; 2]) {
    let (mean, [lo, hi]) = mean_ci(v);
    (mean, [mean - inflation * (mean - lo), mean + inflation * (hi - mean)])
}

/// Two-sided 95 % Student t quantile for `df` degrees of freedom.
fn t975(df: usize) -> f64 {
    const T: [f64; 10] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
    match df {
        0 => f64::INFINITY,
        1..=10 => T[df - 1],
        11..=20 => 2.1,
        21..=40 => 2.03,
        _ => 1.96,
    }
}
