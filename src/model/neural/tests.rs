//! Regression tests of the neural estimator on synthetic turbines with known vane error (fixed
//! seeds, tolerances from the brief). Kept small enough for debug builds; the year-long
//! comparison with `binned` and the timing are `#[ignore]`d, run them in release.

use std::time::Instant;

use chrono::Duration;

use super::*;
use crate::model::binned::{BinnedConfig, estimate_binned};
use crate::model::estimate::VaneErrorEstimate;
use crate::model::prep::{PrepConfig, prepare};
use crate::model::testdata::{RATED_KW, Synth};

const YEAR: usize = 52_560;

fn prepared(raw: &[OperatingWindow]) -> Vec<OperatingWindow> {
    prepare(raw, &PrepConfig { rated_power_kw: Some(RATED_KW), ..PrepConfig::default() }).windows
}

/// Windows of a turbine whose e is `e_before(ws)` until `step_at` windows, `+step_deg` after.
fn with_step(seed: u64, n: usize, step_at: usize, step_deg: f64) -> Vec<OperatingWindow> {
    let mut w = Synth::new(|_| 0.0).windows(seed, step_at);
    let after = Synth::new(move |_| step_deg).windows(seed + 1000, n - step_at);
    let shift = Duration::minutes(10 * step_at as i64);
    w.extend(after.into_iter().map(|x| OperatingWindow { time: x.time + shift, ..x }));
    w
}

/// Config for debug-mode tests: 2 members.
fn test_cfg() -> NeuralConfig {
    NeuralConfig::new().with_ensemble_size(2)
}

fn contains(ci: Option<[f64; 2]>, truth: f64) -> bool {
    ci.is_some_and(|[lo, hi]| lo <= truth && truth <= hi)
}

/// RMSE of the operating-range (4-11 m/s) bins against `e(ws)`.
fn bin_rmse(est: &VaneErrorEstimate, e: impl Fn(f64) -> f64) -> f64 {
    let errs: Vec<f64> = est
        .bins
        .iter()
        .filter(|b| (4.0..=11.0).contains(&b.ws))
        .map(|b| b.vane_error_deg.expect("every bin is evaluated") - e(b.ws))
        .collect();
    (errs.iter().map(|x| x * x).sum::<f64>() / errs.len() as f64).sqrt()
}

fn fit(w: &[OperatingWindow], cfg: &NeuralConfig) -> VaneErrorEstimate {
    let t = Instant::now();
    let fit = estimate_neural(w, cfg).expect("trains");
    let est = fit.to_estimate("T1");
    println!("{} windows, {:.1} s, reports {:?}", w.len(), t.elapsed().as_secs_f64(), fit.reports());
    est
}

#[test]
fn static_vane_error_of_plus_4_deg_is_recovered_within_0_8_deg() {
    let w = prepared(&Synth::new(|_| 4.0).windows(11, YEAR / 4));
    let est = fit(&w, &test_cfg());
    let got = est.vane_error_deg.unwrap();
    println!("+4: {got:.3} {:?} p {:?} k {:.3} rmse {:.3}", est.ci95, est.cos_exponent, est.gain, bin_rmse(&est, |_| 4.0));
    assert!((got - 4.0).abs() < 0.8, "{got}");
    assert!(contains(est.ci95, 4.0), "{:?}", est.ci95);
    assert!(est.drift_events.is_empty(), "{:?}", est.drift_events);
}

#[test]
#[ignore = "timing probe"]
fn probe_epoch_cost() {
    for n in [YEAR / 16, YEAR / 4, YEAR] {
        let w = prepared(&Synth::new(|_| 4.0).windows(11, n));
        let cfg = NeuralConfig::new().with_ensemble_size(1).with_steps(50).with_patience(1000);
        let t = Instant::now();
        let _ = estimate_neural(&w, &cfg).unwrap();
        println!("n {} : {:.2} ms/step", w.len(), t.elapsed().as_secs_f64() * 1000.0 / 50.0);
    }
}

#[test]
#[ignore = "tuning probe"]
fn probe_convergence() {
    let w = prepared(&Synth::new(|_| 4.0).windows(11, YEAR / 4));
    for (steps, lr, bs) in [(600, 0.02, 2048), (1500, 0.02, 2048), (600, 0.05, 2048), (600, 0.02, 8192), (1500, 0.05, 4096)] {
        let cfg = NeuralConfig::new().with_ensemble_size(1).with_steps(steps).with_learning_rate(lr).with_batch_size(bs).with_patience(1000);
        let t = Instant::now();
        let f = estimate_neural(&w, &cfg).unwrap();
        let est = f.to_estimate("T");
        println!("steps {steps} lr {lr} bs {bs}: e {:.3} rmse {:.3} p {:.2} k {:.3} {:.1}s {:?}", est.vane_error_deg.unwrap(), bin_rmse(&est, |_| 4.0), est.cos_exponent.unwrap(), est.gain, t.elapsed().as_secs_f64(), f.reports());
    }
}
