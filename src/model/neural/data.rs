//! Data side of the neural estimator: the normalisation learned from training windows (stored
//! with the model), drift-block indexing, bootstrap resampling and tensor batches.

use burn::prelude::*;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::air_density;
use crate::model::prep::OperatingWindow;
use crate::model::stats::median_in_place;

/// Reference wind speed of the performance target `power / (scale · (ws / WS_REF)³)`, m/s.
const WS_REF_MS: f64 = 10.0;
/// Wind speeds below this are clamped in the performance target (prep removes them anyway).
const WS_FLOOR_MS: f64 = 2.0;
/// Node spacing of the piecewise-linear power response R(ws), m/s.
pub const R_GRID_STEP_MS: f64 = 0.25;

/// Input and target scaling fitted on the training windows, saved beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// Mean of wind speed (m/s), rotor speed (rpm), pitch (deg) over training windows.
    pub mean: [f64; 3],
    /// Standard deviation of the same (1 where a signal is constant or absent).
    pub sd: [f64; 3],
    /// Power scale of the performance target, kW (highest training power).
    pub power_scale_kw: f64,
    /// Start of drift block 0 (first training window).
    pub t0: DateTime<Utc>,
    /// Drift block length, days.
    pub block_days: f64,
    /// Number of drift blocks the training span covers.
    pub n_blocks: usize,
    /// Start of blocks 1.. (ascending): the regular `block_days` grid merged with the direction
    /// change points passed to [`Normalizer::fit`]. Empty in models saved before change points
    /// existed, whose blocks are the regular grid alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub block_starts: Vec<DateTime<Utc>>,
    /// The direction change points among `block_starts` (ascending): their steps are penalised
    /// less (see `NeuralConfig::break_penalty_factor`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<DateTime<Utc>>,
    /// Performance is `power / reference power` rather than `power / (scale · (ws / 10)³)`
    /// (`NeuralConfig::reference_power`).
    #[serde(default)]
    pub reference_power: bool,
    /// How the drift parameters are pinned (see `network::VaneNet::drift_deg`): centred on their
    /// mean over the blocks (true, every model trained now), or block 0 fixed at 0 (false,
    /// models saved before December 2026).
    #[serde(default)]
    pub centred_drift: bool,
    /// Whether each drift block has its own performance level (`NeuralConfig::block_levels`,
    /// see `network::VaneNet`); false in models saved before it existed.
    #[serde(default)]
    pub block_levels: bool,
    /// Whether f_θ and R see rotor speed and pitch beside wind speed (`NeuralConfig::rotor_state`;
    /// true in models saved before it existed) or wind speed alone, the rotor-state inputs then
    /// fed as 0 (their mean) so the saved layer shapes stay `[·, 3]`.
    #[serde(default = "saved_models_saw_the_rotor_state")]
    pub rotor_state: bool,
    /// Whether the network carries the nacelle anemometer's yaw sensitivity
    /// (`NeuralConfig::anemometer_yaw`, see `network::VaneNet`); false in models saved before it
    /// existed.
    #[serde(default)]
    pub anemometer_yaw: bool,
    /// Reference temperature of the air-density correction of the performance target, K
    /// (`model::air_density`); `None`: no correction (too few windows with a temperature,
    /// `NeuralConfig::air_density` off, or a model saved before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density_ref_temp_k: Option<f64>,
    /// How much more a drift block's mean residual varied than independent windows would make
    /// it (`evidence::block_variance_inflation`), when `NeuralConfig::evidence_scaled_drift`
    /// scaled the drift penalty by its square root; `None`: not measured (option off, or a model
    /// saved before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_variance_inflation: Option<f64>,
    /// Wind speed of the first node of R's grid, m/s (nodes every [`R_GRID_STEP_MS`]).
    pub r_grid_start_ms: f64,
    /// Nodes of R's grid (at least 2).
    pub r_grid_nodes: usize,
}

impl Normalizer {
    /// Fits the scaling to `w` (non-empty). Missing rpm or pitch become the mean of the present
    /// ones (0 after normalisation) so a turbine without those signals still trains.
    ///
    /// Drift blocks: a regular grid of `block_days` from the first window, plus a block start at
    /// every time of `breaks` inside the span (change points of the turbine's direction against
    /// the farm, see `model::consensus`). A step then has a boundary at its own time instead of
    /// being split between grid blocks; a grid boundary closer than a quarter block to a break
    /// is dropped so no sliver block is left beside it.
    pub fn fit(w: &[OperatingWindow], block_days: f64, breaks: &[DateTime<Utc>], reference_power: bool) -> Self {
        let cols: [Vec<f64>; 3] = [
            w.iter().map(|x| x.wind_speed_ms).collect(),
            w.iter().filter_map(|x| x.rotor_rpm).collect(),
            w.iter().filter_map(|x| x.pitch_deg).collect(),
        ];
        let mut mean = [0.0; 3];
        let mut sd = [1.0; 3];
        for (j, c) in cols.iter().enumerate() {
            if c.is_empty() {
                continue;
            }
            mean[j] = c.iter().sum::<f64>() / c.len() as f64;
            let var = c.iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / c.len() as f64;
            sd[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let power_scale_kw = w.iter().map(|x| x.power_kw).fold(1e-9, f64::max);
        let t0 = w.iter().map(|x| x.time).min().expect("non-empty windows");
        let ws_min = cols[0].iter().copied().fold(f64::INFINITY, f64::min);
        let ws_max = cols[0].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let r_grid_start_ms = (ws_min / R_GRID_STEP_MS).floor() * R_GRID_STEP_MS;
        let r_grid_nodes = (((ws_max - r_grid_start_ms) / R_GRID_STEP_MS).ceil() as usize + 1).max(2);
        let t_end = w.iter().map(|x| x.time).max().expect("non-empty windows");
        let block_starts = block_starts(t0, t_end, block_days, breaks);
        let n_blocks = block_starts.len() + 1;
        let breaks = block_starts.iter().copied().filter(|s| breaks.contains(s)).collect();
        Self {
            mean,
            sd,
            power_scale_kw,
            t0,
            block_days,
            n_blocks,
            block_starts,
            breaks,
            reference_power,
            centred_drift: true,
            block_levels: false,
            rotor_state: false,
            anemometer_yaw: false,
            density_ref_temp_k: None,
            drift_variance_inflation: None,
            r_grid_start_ms,
            r_grid_nodes,
        }
    }

    /// Drift block of time `t`, clamped into the trained blocks (later times are the current
    /// state, the last block; earlier ones block 0).
    pub fn block_of(&self, t: DateTime<Utc>) -> usize {
        let b = if self.block_starts.is_empty() {
            let days = (t - self.t0).num_seconds() as f64 / 86_400.0;
            (days / self.block_days).floor().max(0.0) as usize
        } else {
            self.block_starts.partition_point(|s| *s <= t)
        };
        b.min(self.n_blocks.saturating_sub(1))
    }

    /// Start time of drift block `b`.
    pub fn block_start(&self, b: usize) -> DateTime<Utc> {
        match b.checked_sub(1).and_then(|i| self.block_starts.get(i)) {
            Some(s) => *s,
            None if b == 0 => self.t0,
            None => self.t0 + chrono::Duration::seconds((b as f64 * self.block_days * 86_400.0).round() as i64),
        }
    }

    /// Factor the drift penalty was trained with: `√VIF` where it was measured, else 1.
    pub fn drift_penalty_scale(&self) -> f64 {
        self.drift_variance_inflation.map_or(1.0, f64::sqrt)
    }

    /// Whether block `b` starts at a direction change point.
    pub fn starts_at_break(&self, b: usize) -> bool {
        b > 0 && self.breaks.contains(&self.block_start(b))
    }

    /// Weight of each drift step's L1 penalty, blocks 1..: `at_break` where the block starts at a
    /// direction change point, 1 elsewhere; at least one entry (the network keeps one drift
    /// parameter even for a single block).
    pub fn step_penalty_weights(&self, at_break: f64) -> Vec<f32> {
        let n = self.n_blocks.saturating_sub(1).max(1);
        (1..=n).map(|b| if self.starts_at_break(b) { at_break as f32 } else { 1.0 }).collect()
    }

    /// Normalised operating state `[ws, rpm, pitch]`; rpm and pitch at their mean (0) unless
    /// the model sees the rotor state ([`Normalizer::rotor_state`]).
    pub fn state(&self, ws: f64, rpm: Option<f64>, pitch: Option<f64>) -> [f32; 3] {
        let (rpm, pitch) = if self.rotor_state { (rpm, pitch) } else { (None, None) };
        let raw = [ws, rpm.unwrap_or(self.mean[1]), pitch.unwrap_or(self.mean[2])];
        std::array::from_fn(|j| ((raw[j] - self.mean[j]) / self.sd[j]) as f32)
    }

    /// R's grid cell of wind speed `ws`: left node and the weight of the right node (clamped
    /// to the grid, so R is flat beyond the trained range).
    pub fn r_cell(&self, ws: f64) -> (usize, f64) {
        let x = ((ws - self.r_grid_start_ms) / R_GRID_STEP_MS).clamp(0.0, (self.r_grid_nodes - 1) as f64);
        let left = (x.floor() as usize).min(self.r_grid_nodes - 2);
        (left, x - left as f64)
    }

    /// Initial R nodes: mean target of the windows nearest each node (neighbours' value, or
    /// the overall mean, where none is), so training starts from the observed curve.
    pub fn r_init(&self, w: &[OperatingWindow], idx: &[usize]) -> Vec<f32> {
        let mut sum = vec![0.0; self.r_grid_nodes];
        let mut n = vec![0usize; self.r_grid_nodes];
        for &i in idx {
            let (left, frac) = self.r_cell(w[i].wind_speed_ms);
            let node = left + usize::from(frac >= 0.5);
            sum[node] += f64::from(self.performance(&w[i]));
            n[node] += 1;
        }
        let overall = sum.iter().sum::<f64>() / n.iter().sum::<usize>().max(1) as f64;
        let mut last = overall;
        (0..self.r_grid_nodes)
            .map(|j| {
                if n[j] > 0 {
                    last = sum[j] / n[j] as f64;
                }
                last as f32
            })
            .collect()
    }

    /// Training target: power / (scale · (ρ/ρ_ref) · (ws / 10 m/s)³), a power-coefficient proxy
    /// that gives low-wind windows a say in the loss (raw power would leave them near zero
    /// weight) and takes air density out where temperature is known; or, with
    /// `reference_power`, power over the farm's reference power in the same window (whose
    /// density is the same).
    pub fn performance(&self, x: &OperatingWindow) -> f32 {
        if self.reference_power {
            // windows without a reference were left out before training (`estimate_neural`)
            return (x.power_kw / x.reference_power_kw.unwrap_or(f64::NAN)) as f32;
        }
        let ws = x.wind_speed_ms.max(WS_FLOOR_MS) / WS_REF_MS;
        let density = self.density_ref_temp_k.map_or(1.0, |r| air_density::density_ratio(x.outdoor_temp_c, r));
        (x.power_kw / (self.power_scale_kw * density * ws.powi(3))) as f32
    }
}

/// Serde default of [`Normalizer::rotor_state`]: models saved before the field existed fed rpm
/// and pitch to f_θ and R.
fn saved_models_saw_the_rotor_state() -> bool {
    true
}

/// Starts of drift blocks 1.. for the span `[t0, t_end]`: the regular grid every `block_days`
/// after `t0` (starts after `t_end` would hold no window) merged with the `breaks` inside the
/// span, ascending; a grid start within a quarter block of a break gives way to the break.
fn block_starts(
    t0: DateTime<Utc>,
    t_end: DateTime<Utc>,
    block_days: f64,
    breaks: &[DateTime<Utc>],
) -> Vec<DateTime<Utc>> {
    let block = chrono::Duration::seconds((block_days * 86_400.0).round().max(1.0) as i64);
    let margin = block / 4;
    let mut breaks: Vec<DateTime<Utc>> = breaks.iter().copied().filter(|b| *b > t0 && *b <= t_end).collect();
    breaks.sort_unstable();
    breaks.dedup();
    let mut starts = breaks.clone();
    let mut s = t0 + block;
    while s <= t_end {
        if !breaks.iter().any(|b| (*b - s).abs() < margin) {
            starts.push(s);
        }
        s += block;
    }
    starts.sort_unstable();
    starts
}

/// Windows as tensors on one device.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Normalised `[ws, rpm, pitch]`, `[n, 3]`.
    pub state: Tensor<2>,
    /// Vane reading, degrees, `[n]`.
    pub vane_deg: Tensor<1>,
    /// Drift block index, `[n]`.
    pub block: Tensor<1, Int>,
    /// Performance target, `[n]`.
    pub target: Tensor<1>,
    /// Left node of each window's cell of R's grid, `[n]`.
    pub r_left: Tensor<1, Int>,
    /// Weight of the right node, `[n]`.
    pub r_frac: Tensor<1>,
    /// Nacelle wind speed, m/s, `[n]`.
    pub wind_speed_ms: Tensor<1>,
}

impl Batch {
    /// The windows `w[idx]` as a batch.
    pub fn new(w: &[OperatingWindow], idx: &[usize], norm: &Normalizer, device: &Device) -> Self {
        let n = idx.len();
        let state: Vec<f32> =
            idx.iter().flat_map(|&i| norm.state(w[i].wind_speed_ms, w[i].rotor_rpm, w[i].pitch_deg)).collect();
        let vane: Vec<f32> = idx.iter().map(|&i| w[i].vane_deg as f32).collect();
        let block: Vec<i64> = idx.iter().map(|&i| norm.block_of(w[i].time) as i64).collect();
        let target: Vec<f32> = idx.iter().map(|&i| norm.performance(&w[i])).collect();
        let cells: Vec<(usize, f64)> = idx.iter().map(|&i| norm.r_cell(w[i].wind_speed_ms)).collect();
        let r_left: Vec<i64> = cells.iter().map(|c| c.0 as i64).collect();
        let r_frac: Vec<f32> = cells.iter().map(|c| c.1 as f32).collect();
        let ws: Vec<f32> = idx.iter().map(|&i| w[i].wind_speed_ms as f32).collect();
        Self {
            state: Tensor::from_data(TensorData::new(state, [n, 3]), device),
            vane_deg: Tensor::from_data(TensorData::new(vane, [n]), device),
            block: Tensor::from_data(TensorData::new(block, [n]), device),
            target: Tensor::from_data(TensorData::new(target, [n]), device),
            r_left: Tensor::from_data(TensorData::new(r_left, [n]), device),
            r_frac: Tensor::from_data(TensorData::new(r_frac, [n]), device),
            wind_speed_ms: Tensor::from_data(TensorData::new(ws, [n]), device),
        }
    }
}

/// Fewest distinct days for resampling whole days; shorter histories resample single windows.
const MIN_BLOCK_DAYS: usize = 20;

/// Indices of a bootstrap resample of the windows `w`, deterministic for `seed`: whole UTC
/// days drawn with replacement until the resample holds as many windows as `w` (a block
/// bootstrap). Neighbouring windows share weather, wind regime and controller state, so
/// resampling single windows treats them as independent and gives intervals too narrow (the
/// accuracy benchmark measured 72 % coverage for nominal 95 % that way). With fewer than
/// [`MIN_BLOCK_DAYS`] days, single windows are resampled.
pub fn bootstrap(w: &[OperatingWindow], seed: u64) -> Vec<usize> {
    let n = w.len();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xB007_57A9);
    let mut days: std::collections::BTreeMap<i64, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, x) in w.iter().enumerate() {
        days.entry(x.time.timestamp().div_euclid(86_400)).or_default().push(i);
    }
    let mut idx: Vec<usize> = if days.len() >= MIN_BLOCK_DAYS {
        let days: Vec<Vec<usize>> = days.into_values().collect();
        let mut idx = Vec::with_capacity(n + 200);
        while idx.len() < n {
            idx.extend_from_slice(&days[rng.random_range(0..days.len())]);
        }
        idx
    } else {
        (0..n).map(|_| rng.random_range(0..n)).collect()
    };
    idx.sort_unstable(); // order does not matter to a full-batch loss; sorted is cache-friendlier
    idx
}

/// Training windows of one reported 1 m/s wind-speed bin: where e is evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinState {
    /// Bin centre, m/s; the bin is `[ws − 0.5, ws + 0.5)`.
    pub ws: f64,
    /// Training windows in the bin.
    pub n_windows: usize,
    /// Median rotor speed of those windows, rpm (`None`: none recorded).
    pub rotor_rpm: Option<f64>,
    /// Median pitch of those windows, degrees.
    pub pitch_deg: Option<f64>,
}

/// Bin states for centres `lo..=hi` m/s. Empty bins take rpm and pitch from the nearest
/// non-empty bin, so their (extrapolated) e is at least evaluated at a plausible state.
pub fn bin_states(w: &[OperatingWindow], lo: u32, hi: u32) -> Vec<BinState> {
    let mut bins: Vec<BinState> = (lo..=hi)
        .map(|c| {
            let ws = f64::from(c);
            let inside: Vec<&OperatingWindow> =
                w.iter().filter(|x| x.wind_speed_ms >= ws - 0.5 && x.wind_speed_ms < ws + 0.5).collect();
            let med = |f: fn(&OperatingWindow) -> Option<f64>| {
                median_in_place(&mut inside.iter().filter_map(|x| f(x)).collect::<Vec<_>>())
            };
            BinState { ws, n_windows: inside.len(), rotor_rpm: med(|x| x.rotor_rpm), pitch_deg: med(|x| x.pitch_deg) }
        })
        .collect();
    let filled: Vec<BinState> = bins.iter().filter(|b| b.n_windows > 0).cloned().collect();
    for b in bins.iter_mut().filter(|b| b.n_windows == 0) {
        if let Some(near) = filled.iter().min_by(|a, c| (a.ws - b.ws).abs().total_cmp(&(c.ws - b.ws).abs())) {
            b.rotor_rpm = near.rotor_rpm;
            b.pitch_deg = near.pitch_deg;
        }
    }
    bins
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn t(days: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds((days * 86_400.0) as i64)
    }

    #[test]
    fn breaks_join_the_grid_and_push_aside_grid_starts_too_close_to_them() {
        let starts = block_starts(t(0.0), t(30.0), 7.0, &[t(13.0), t(17.5), t(40.0), t(-1.0)]);
        // grid 7, 14 (gives way to 13), 21, 28; breaks 13 and 17.5; outside the span dropped
        assert_eq!(starts, vec![t(7.0), t(13.0), t(17.5), t(21.0), t(28.0)]);
        assert_eq!(block_starts(t(0.0), t(30.0), 7.0, &[]), vec![t(7.0), t(14.0), t(21.0), t(28.0)]);
    }

    #[test]
    fn a_model_saved_before_change_points_keeps_its_regular_blocks() {
        let old = r#"{"mean":[7.0,12.0,0.0],"sd":[2.0,3.0,1.0],"power_scale_kw":2000.0,
            "t0":"2026-01-01T00:00:00Z","block_days":7.0,"n_blocks":5,"r_grid_start_ms":3.0,"r_grid_nodes":40}"#;
        let norm: Normalizer = serde_json::from_str(old).unwrap();
        assert!(norm.block_starts.is_empty());
        assert!(!norm.centred_drift, "its drift keeps block 0 pinned at 0");
        assert!(norm.rotor_state, "its f_θ and R saw rotor speed and pitch");
        assert_eq!(norm.density_ref_temp_k, None);
        assert_eq!(norm.block_of(t(15.0)), 2);
        assert_eq!(norm.block_of(t(100.0)), 4, "later times are the current state");
        assert_eq!(norm.block_start(3), t(21.0));
    }

    #[test]
    fn blocks_follow_the_merged_starts() {
        let norm = Normalizer {
            mean: [0.0; 3],
            sd: [1.0; 3],
            power_scale_kw: 1.0,
            t0: t(0.0),
            block_days: 7.0,
            n_blocks: 4,
            block_starts: vec![t(7.0), t(10.5), t(14.0)],
            breaks: vec![t(10.5)],
            reference_power: false,
            centred_drift: true,
            block_levels: false,
            rotor_state: false,
            anemometer_yaw: false,
            density_ref_temp_k: None,
            drift_variance_inflation: None,
            r_grid_start_ms: 3.0,
            r_grid_nodes: 2,
        };
        assert_eq!(norm.block_of(t(10.4)), 1);
        assert_eq!(norm.block_of(t(10.5)), 2);
        assert_eq!(norm.block_of(t(99.0)), 3);
        assert_eq!(norm.block_start(2), t(10.5));
        assert_eq!(norm.block_start(0), t(0.0));
        assert_eq!(norm.step_penalty_weights(0.25), vec![1.0, 0.25, 1.0]);
    }
}
