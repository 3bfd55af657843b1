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
    let w = prepared(&Synth::new(|_| 4.0).windows(11, YEAR));
    let est = fit(&w, &test_cfg());
    let got = est.vane_error_deg.unwrap();
    println!(
        "+4: {got:.3} {:?} p {:?} k {:.3} rmse {:.3}",
        est.ci95,
        est.cos_exponent,
        est.gain,
        bin_rmse(&est, |_| 4.0)
    );
    assert!((got - 4.0).abs() < 0.8, "{got}");
    assert!(contains(est.ci95, 4.0), "{:?}", est.ci95);
    assert!(est.drift_events.is_empty(), "{:?}", est.drift_events);
}

#[test]
fn wind_speed_dependent_vane_error_is_recovered_per_bin() {
    let e = |ws: f64| 1.0 + 0.6 * (ws - 4.0); // 1 deg at 4 m/s to 5.2 deg at 11 m/s
    let w = prepared(&Synth::new(e).windows(13, YEAR));
    let est = fit(&w, &test_cfg());
    let rmse = bin_rmse(&est, e);
    let bins: Vec<String> = est.bins.iter().map(|b| format!("{}:{:.2}", b.ws, b.vane_error_deg.unwrap())).collect();
    println!("e(ws): rmse {rmse:.3} bins {bins:?}");
    assert!(rmse < 1.0, "{rmse}");
    assert!(est.bins.iter().filter(|b| b.ws >= 13.0).all(|b| b.extrapolated), "above rated must be flagged");
}

#[test]
fn step_of_3_deg_mid_period_is_one_drift_event_near_the_truth() {
    let w = prepared(&with_step(21, YEAR, YEAR / 2, 3.0));
    let truth = w.iter().map(|x| x.time).min().unwrap() + Duration::minutes(10 * (YEAR / 2) as i64);
    // 3 members: with 2 the t factor (12.7) makes any interval include 0
    let est = fit(&w, &test_cfg().with_ensemble_size(3));
    println!("step: events {:?} current e {:?}", est.drift_events, est.vane_error_deg);
    assert_eq!(est.drift_events.len(), 1, "{:?}", est.drift_events);
    let ev = &est.drift_events[0];
    assert!((ev.time - truth).num_days().abs() <= 7, "event at {} vs {truth}", ev.time);
    // the L1 penalty shrinks the main jump and leaves ~1 deg in sub-threshold catch-up steps
    // after it (measured: 2.0 of 3 deg); the current state carries the full step
    assert!((1.5..=4.0).contains(&ev.delta_deg), "{}", ev.delta_deg);
    assert!((est.vane_error_deg.unwrap() - 3.0).abs() < 0.8, "current state is after the step");
}

#[test]
fn a_step_between_grid_boundaries_is_placed_at_its_direction_change_point() {
    // 3.5 days into a 7-day block: the grid alone would put it at a boundary 3.5 days away
    let at = YEAR / 2 + 504;
    let w = prepared(&with_step(22, YEAR, at, 3.0));
    let truth = w.iter().map(|x| x.time).min().unwrap() + Duration::minutes(10 * at as i64);
    let fit = estimate_neural_with_breaks(&w, &test_cfg().with_ensemble_size(3), &[truth]).expect("trains");
    let est = fit.to_estimate("T1");
    println!("step at a break: events {:?} current e {:?}", est.drift_events, est.vane_error_deg);
    assert_eq!(est.drift_events.len(), 1, "{:?}", est.drift_events);
    let ev = &est.drift_events[0];
    assert!((ev.time - truth).num_minutes().abs() <= 10, "event at {} vs {truth}", ev.time);
    assert!((2.0..=4.0).contains(&ev.delta_deg), "{}", ev.delta_deg);
    assert!((est.vane_error_deg.unwrap() - 3.0).abs() < 0.8, "current state is after the step");
}

#[test]
fn change_points_a_day_or_two_after_a_step_are_read_as_one_event() {
    // a 3-deg step at a change point, then two change points where nothing happened (the
    // direction series also steps with the weather): power cannot size the day-long blocks
    // between them, so members share the step among the three differently
    let at = YEAR / 2 + 504;
    let w = prepared(&with_step(26, YEAR, at, 3.0));
    let truth = w.iter().map(|x| x.time).min().unwrap() + Duration::minutes(10 * at as i64);
    let breaks = [truth, truth + Duration::hours(36), truth + Duration::hours(60)];
    let cfg = test_cfg().with_ensemble_size(3);
    let fit = estimate_neural_with_breaks(&w, &cfg, &breaks).expect("trains");
    let est = fit.to_estimate("T1");
    println!("step with close change points: events {:?} blocks {:?}", est.drift_events, fit.drift_blocks());
    assert_eq!(est.drift_events.len(), 1, "{:?}", est.drift_events);
    let ev = &est.drift_events[0];
    assert!(breaks.contains(&ev.time), "event at {} vs change points {breaks:?}", ev.time);
    assert!((2.0..=4.0).contains(&ev.delta_deg), "{}", ev.delta_deg);
    // read one change point at a time, the same fit reports less than the whole step
    let split = fit.with_event_merge_days(0.0).to_estimate("T1").drift_events;
    assert!(split.iter().all(|e| e.delta_deg < ev.delta_deg - 0.1), "{split:?} vs {ev:?}");
}

#[test]
fn with_block_levels_a_seasons_power_is_not_read_as_vane_drift() {
    // the same vane all year, but power 4 % lower in the second half (warm air, soiling);
    // without block levels this fit reported a +7.1 deg drift event and e = 9.2 (checked)
    let mut w = Synth::new(|_| 2.0).windows(27, YEAR);
    let t_half = w[0].time + Duration::minutes(10 * (YEAR / 2) as i64);
    for x in w.iter_mut().filter(|x| x.time >= t_half) {
        x.power_kw *= 0.96;
    }
    let w = prepared(&w);
    let est = fit(&w, &test_cfg().with_ensemble_size(3).with_block_levels(true));
    println!("season with levels: events {:?} e {:?} {:?}", est.drift_events, est.vane_error_deg, est.ci95);
    assert!(est.drift_events.is_empty(), "{:?}", est.drift_events);
    assert!((est.vane_error_deg.unwrap() - 2.0).abs() < 0.8, "{:?}", est.vane_error_deg);
}

/// Small, fast fit for the mechanics tests (not for accuracy).
fn quick_fit(seed: u64) -> NeuralFit {
    let w = prepared(&Synth::new(|_| 2.0).windows(seed, YEAR / 16));
    estimate_neural(&w, &test_cfg().with_steps(40).with_batch_size(512)).expect("trains")
}

#[test]
fn saved_model_loads_and_predicts_the_same() {
    for levels in [false, true] {
        let w = prepared(&Synth::new(|_| 2.0).windows(31, YEAR / 16));
        let cfg = test_cfg().with_steps(40).with_batch_size(512).with_block_levels(levels);
        saved_and_loaded_agree(&estimate_neural(&w, &cfg).expect("trains"));
    }
    // refitted with its drift tied: the tie is in the saved weights, not in the training state
    let w = prepared(&with_step(35, YEAR / 8, YEAR / 16, 4.0));
    let cfg = test_cfg().with_steps(60).with_batch_size(512).with_relaxed_drift(true);
    saved_and_loaded_agree(&estimate_neural(&w, &cfg).expect("trains"));
}

fn saved_and_loaded_agree(fit: &NeuralFit) {
    let dir = tempfile::tempdir().unwrap();
    fit.save(dir.path()).unwrap();
    let loaded = NeuralFit::load(dir.path()).unwrap();
    assert_eq!(loaded.config(), fit.config());
    let (mut a, b) = (loaded.to_estimate("T1"), fit.to_estimate("T1"));
    // weights round-trip bit for bit; the summaries kept as JSON f64 may lose the last ulp
    for (x, y) in [(&mut a.misalignment_deg, b.misalignment_deg), (&mut a.energy_loss_pct, b.energy_loss_pct)] {
        assert!((x.unwrap() - y.unwrap()).abs() < 1e-12);
        *x = y;
    }
    assert_eq!(a, b);
    assert_eq!(loaded.vane_error_deg(7.3, Some(15.3), Some(0.0)), fit.vane_error_deg(7.3, Some(15.3), Some(0.0)));
}

#[test]
fn a_seed_gives_the_same_fit() {
    let (a, b) = (quick_fit(32), quick_fit(32));
    assert_eq!(a.to_estimate("T1"), b.to_estimate("T1"));
    assert_eq!(a.reports(), b.reports());
}

#[test]
fn settings_change_only_their_keys_and_name_a_bad_one() {
    let base = NeuralConfig::new();
    let set = |k: &str, v: serde_json::Value| base.with_settings(&[(k.to_string(), v)]);
    let tuned = set("drift_penalty", 5e-7.into()).unwrap();
    assert_eq!(tuned.drift_penalty, 5e-7);
    assert_eq!(tuned.clone().with_drift_penalty(base.drift_penalty), base);
    let unknown = set("drift_penalt", 1.into()).unwrap_err();
    assert!(unknown.contains("\"drift_penalt\"") && unknown.contains("drift_penalty"), "{unknown}");
    let wrong_type = set("ensemble_size", "five".into()).unwrap_err();
    assert!(wrong_type.contains("ensemble_size"), "{wrong_type}");
}

#[test]
fn too_few_windows_is_an_error() {
    let w = prepared(&Synth::new(|_| 2.0).windows(1, 100));
    assert!(matches!(estimate_neural(&w, &test_cfg()), Err(NeuralError::TooFewWindows { .. })));
}

/// Accuracy against `binned` on the same synthetic years and release timing; run with
/// `cargo test --release --lib neural::tests::compare -- --ignored --nocapture`.
#[test]
#[ignore = "slow in debug; a measurement, not a gate"]
fn compare_with_binned_on_a_synthetic_year() {
    type Case = (&'static str, fn(f64) -> f64);
    let cases: [Case; 3] =
        [("static +4", |_| 4.0), ("static -3", |_| -3.0), ("1+0.6(ws-4)", |ws| 1.0 + 0.6 * (ws - 4.0))];
    for (name, e) in cases {
        for seed in [11, 12, 13] {
            let w = prepared(&Synth::new(e).windows(seed, YEAR));
            let t = Instant::now();
            let neural = estimate_neural(&w, &NeuralConfig::new()).unwrap().to_estimate("T1");
            let secs = t.elapsed().as_secs_f64();
            let binned = estimate_binned(&w, &BinnedConfig::default());
            let errs: Vec<f64> = binned.bins.iter().filter_map(|b| b.vane_error_deg.map(|v| v - e(b.ws))).collect();
            let binned_rmse = (errs.iter().map(|x| x * x).sum::<f64>() / errs.len() as f64).sqrt();
            println!(
                "{name} seed {seed}: neural rmse {:.3} mean {:.2} ci {:?} ({secs:.1} s, M=5) | binned rmse {binned_rmse:.3} mean {:.2}",
                bin_rmse(&neural, e),
                neural.vane_error_deg.unwrap(),
                neural.ci95.map(|[a, b]| [(a * 100.0).round() / 100.0, (b * 100.0).round() / 100.0]),
                binned.vane_error_deg.unwrap()
            );
        }
    }
}

#[test]
fn a_config_saved_before_change_points_and_inflation_loads_with_their_defaults() {
    let mut old = serde_json::to_value(NeuralConfig::new()).unwrap();
    let obj = old.as_object_mut().unwrap();
    obj.remove("break_penalty_factor");
    obj.remove("interval_inflation");
    let cfg = config_from_json(&old.to_string()).unwrap();
    // as that model was trained and reported
    assert_eq!(cfg, NeuralConfig::new().with_break_penalty_factor(1.0).with_interval_inflation(1.0));
}

#[test]
fn power_over_the_farm_reference_recovers_a_static_offset_and_leaves_out_unreferred_windows() {
    let mut w = prepared(&Synth::new(|_| 4.0).windows(17, YEAR / 2));
    // the neighbours: aligned turbines in the same wind, a few percent apart
    for (i, x) in w.iter_mut().enumerate() {
        x.reference_power_kw =
            (i % 10 != 0).then(|| crate::model::testdata::available_kw(x.wind_speed_ms).min(RATED_KW) * 0.97);
    }
    let referred = w.iter().filter(|x| x.reference_power_kw.is_some()).count();
    let est = fit(&w, &test_cfg().with_reference_power(true));
    println!("reference power: {:?} {:?}", est.vane_error_deg, est.ci95);
    assert_eq!(est.n_windows, referred, "windows without a reference are left out");
    assert!((est.vane_error_deg.unwrap() - 4.0).abs() < 0.8, "{:?}", est.vane_error_deg);
}

#[test]
fn two_steps_three_days_apart_at_change_points_are_two_events() {
    let (first, second) = (YEAR / 2, YEAR / 2 + 432);
    let mut w = Synth::new(|_| 0.0).windows(23, first);
    for (from, to, e, seed) in [(first, second, 3.0, 24), (second, YEAR, 6.0, 25)] {
        let part = Synth::new(move |_| e).windows(seed, to - from);
        let shift = Duration::minutes(10 * from as i64);
        w.extend(part.into_iter().map(|x| OperatingWindow { time: x.time + shift, ..x }));
    }
    let w = prepared(&w);
    let t0 = w.iter().map(|x| x.time).min().unwrap();
    let breaks = [first, second].map(|i| t0 + Duration::minutes(10 * i as i64));
    // 5 members, the default: with 3 the t factor (4.3) leaves the second step's interval on 0
    let fit = estimate_neural_with_breaks(&w, &NeuralConfig::new(), &breaks).expect("trains");
    let est = fit.to_estimate("T1");
    println!("two steps: events {:?} current {:?}", est.drift_events, est.vane_error_deg);
    // each step is its own event at its change point, and nothing else
    assert_eq!(est.drift_events.len(), 2, "{:?}", est.drift_events);
    for (at, want) in breaks.iter().zip([3.0, 3.0]) {
        let ev = est.drift_events.iter().find(|e| e.time == *at);
        assert!(
            ev.is_some_and(|e| (e.delta_deg - want).abs() < 1.5),
            "no {want:+} deg event at {at}: {:?}",
            est.drift_events
        );
    }
}

/// A model saved by the code of November 2026 (drift block 0 pinned at 0; see
/// `tests/fixtures/README.md`) loads into today's code and gives the estimate it was saved with,
/// through the training-side loader and the serving-side compiled ensemble alike.
#[test]
fn a_model_saved_in_november_2026_gives_its_saved_estimate() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/neural-2026-11");
    let saved: VaneErrorEstimate =
        serde_json::from_str(&std::fs::read_to_string(dir.join("estimate.json")).unwrap()).unwrap();
    let fit = NeuralFit::load(&dir).unwrap();
    let now = fit.to_estimate(&saved.turbine);
    let close = |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-9, "{what}: {a} now, {b} saved");
    close(now.vane_error_deg.unwrap(), saved.vane_error_deg.unwrap(), "vane error");
    for k in 0..2 {
        close(now.ci95.unwrap()[k], saved.ci95.unwrap()[k], "interval");
    }
    close(now.gain, saved.gain, "gain");
    close(now.cos_exponent.unwrap(), saved.cos_exponent.unwrap(), "cos exponent");
    assert_eq!(now.bins.len(), saved.bins.len());
    for (a, b) in now.bins.iter().zip(&saved.bins) {
        assert_eq!((a.ws, a.extrapolated), (b.ws, b.extrapolated));
        close(a.vane_error_deg.unwrap(), b.vane_error_deg.unwrap(), "bin value");
    }
    assert_eq!(now.drift_events.len(), saved.drift_events.len());
    // serving evaluates the same members in f64 without Burn
    let compiled = CompiledEnsemble::load(&dir).unwrap();
    let (burn, plain) =
        (fit.vane_error_deg(7.0, Some(12.0), Some(0.0)), compiled.vane_error_deg(7.0, Some(12.0), Some(0.0)));
    assert!((burn.0 - plain.0).abs() < 1e-4, "{burn:?} vs {plain:?}");
}

/// The synthetic rotor speed follows the torque balance (`testdata`), so it carries the cos^p
/// loss as a real variable-speed rotor's does. A model whose R and f_θ see it reads the vane
/// error as nearly 0 with a narrow interval; the default, wind speed alone, does not. The
/// second half of the test shows the data do carry the leak, so the first can fail.
#[test]
fn a_power_response_that_sees_rotor_speed_hides_the_vane_error() {
    let w = prepared(&Synth::new(|_| 4.5).windows(31, YEAR));
    let honest = fit(&w, &test_cfg());
    let leaky = fit(&w, &test_cfg().with_rotor_state(true));
    let (got, leaked) = (honest.vane_error_deg.unwrap(), leaky.vane_error_deg.unwrap());
    println!("rotor speed hidden: {got:.2} {:?}; seen: {leaked:.2} {:?}", honest.ci95, leaky.ci95);
    assert!((got - 4.5).abs() < 0.8, "{got}");
    assert!(contains(honest.ci95, 4.5), "{:?}", honest.ci95);
    assert!(leaked < 3.0, "the data no longer carry the leak: {leaked}");
}

/// A year whose outdoor temperature swings ±10 °C moves power by about ±3.5 % at the same wind
/// and pointing. Read through air density it is not misalignment: no drift event, and the
/// static vane error holds.
#[test]
fn a_seasons_air_density_is_not_read_as_vane_drift() {
    let synth = Synth { seasons: Some((11.0, 10.0)), ..Synth::new(|_| 2.0) };
    let w = prepared(&synth.windows(37, YEAR));
    let est = fit(&w, &test_cfg());
    let blind = fit(&w, &test_cfg().with_air_density(false));
    println!(
        "seasons: {:?} {:?} events {:?}; without density: {:?} events {:?}",
        est.vane_error_deg, est.ci95, est.drift_events, blind.vane_error_deg, blind.drift_events
    );
    assert!((est.vane_error_deg.unwrap() - 2.0).abs() < 0.8, "{:?}", est.vane_error_deg);
    assert!(est.drift_events.is_empty(), "{:?}", est.drift_events);
}

/// Behind a yawed rotor the nacelle anemometer reads more (here `ws · (1 + 0.5 sin²γ)`, +1.5 %
/// at 10 deg), which makes power fall faster over vane angle than cos^p. With a narrow dead
/// band (3 deg) the data sit on one side of the power peak, and a model blind to the over-read
/// fits too flat a curve and puts the peak further out (measured: 7.11 for a true 5). The
/// anemometer term takes about half of that back (5.99); the rest is the steepness the data
/// hardly pin from one side of the peak (docs/accuracy.md, "Steepness from one side of the
/// peak"). Fails if the term is dropped (both fits then agree) or the data stop carrying the
/// over-read.
#[test]
fn an_anemometer_that_reads_more_in_yaw_does_not_push_the_vane_error_outward() {
    let synth = Synth { anemometer_yaw_gain: 0.5, dead_band_sd_deg: 3.0, ..Synth::new(|_| 5.0) };
    let w = prepared(&synth.windows(41, YEAR));
    let est = fit(&w, &test_cfg());
    let blind = fit(&w, &test_cfg().with_anemometer_yaw(false));
    let (got, outward) = (est.vane_error_deg.unwrap(), blind.vane_error_deg.unwrap());
    println!("anemometer in the model: {got:.2} {:?}; blind: {outward:.2} {:?}", est.ci95, blind.ci95);
    assert!(outward > 6.5, "the data no longer carry the over-read: {outward}");
    assert!(got < 6.3 && got > 4.2, "{got}");
    assert!(outward - got > 0.7, "the term no longer takes the over-read out: {got} against {outward} blind");
}

#[test]
fn weather_that_lasts_days_buys_no_drift_steps_when_the_penalty_weighs_the_evidence() {
    // a static vane all year; performance departs from the curve for days at a time (AR(1) with a
    // two-day memory, 6 % spread), as atmospheric stability makes it do on a real farm
    let mut w = Synth::new(|_| 3.0).windows(31, YEAR);
    let rho = (-1.0_f64 / 288.0).exp();
    let innovation = rand_distr::Normal::new(0.0, 0.06 * (1.0 - rho * rho).sqrt()).unwrap();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(32);
    let mut weather = 0.0;
    for x in &mut w {
        weather = rho * weather + rand_distr::Distribution::sample(&innovation, &mut rng);
        x.power_kw *= 1.0 + weather;
    }
    let w = prepared(&w);
    let blind = fit(&w, &test_cfg());
    let weighed_fit = estimate_neural(&w, &test_cfg().with_evidence_scaled_drift(true)).expect("trains");
    let weighed = weighed_fit.to_estimate("T1");
    let vif = weighed_fit.parts().0.drift_variance_inflation.expect("measured");
    println!("VIF {vif:.0}; events blind {:?}; weighed {:?}", blind.drift_events, weighed.drift_events);
    assert!(vif > 20.0, "two-day weather at 6 %: VIF {vif}");
    assert!(blind.drift_events.len() >= 2, "the blind penalty should buy steps here: {:?}", blind.drift_events);
    assert!(weighed.drift_events.is_empty(), "{:?}", weighed.drift_events);
    assert!((weighed.vane_error_deg.unwrap() - 3.0).abs() < 1.0, "{:?}", weighed.vane_error_deg);
    // the change-point search weighs the same evidence: no step, one level all year
    let relaxed = fit(&w, &test_cfg().with_evidence_scaled_drift(true).with_relaxed_drift(true));
    println!("weighed current {:?} {:?}", weighed.vane_error_deg, weighed.ci95);
    println!("relaxed: events {:?} current {:?} {:?}", relaxed.drift_events, relaxed.vane_error_deg, relaxed.ci95);
    assert!(relaxed.drift_events.is_empty(), "{:?}", relaxed.drift_events);
    assert!((relaxed.vane_error_deg.unwrap() - 3.0).abs() < 1.0, "{:?}", relaxed.vane_error_deg);
}

/// A 4 deg vane step at mid-year under a drift penalty ten times the default, as heavy as the
/// evidence-weighed one on a farm whose weather lasts days (√VIF 4-10 on La Haute Borne). The
/// penalised fit spreads it into a ramp that is short of it and reports no event (measured:
/// current 3.29); the change-point search finds the step and the unpenalised refit sizes it
/// (3.45 [1.56, 5.34]: members that place it a block apart widen the event; current 3.93).
/// Fails if the refit stops removing the shrinkage.
#[test]
fn a_step_the_change_point_search_finds_is_refitted_at_its_full_size() {
    let w = prepared(&with_step(33, YEAR, YEAR / 2, 4.0));
    let cfg = test_cfg().with_ensemble_size(3);
    let cfg = cfg.clone().with_drift_penalty(cfg.drift_penalty * 10.0);
    let shrunk = fit(&w, &cfg);
    let relaxed = fit(&w, &cfg.clone().with_relaxed_drift(true));
    println!("penalised: events {:?} current {:?}", shrunk.drift_events, shrunk.vane_error_deg);
    println!("relaxed: events {:?} current {:?}", relaxed.drift_events, relaxed.vane_error_deg);
    let step = |e: &VaneErrorEstimate| e.drift_events.iter().map(|d| d.delta_deg).sum::<f64>();
    assert_eq!(relaxed.drift_events.len(), 1, "{:?}", relaxed.drift_events);
    assert!((step(&relaxed) - 4.0).abs() < 0.6, "relaxed step {}", step(&relaxed));
    assert!((relaxed.vane_error_deg.unwrap() - 4.0).abs() < 0.6, "{:?}", relaxed.vane_error_deg);
    assert!(step(&relaxed) - step(&shrunk) > 0.5, "the penalty no longer shrinks this step: {}", step(&shrunk));
}
