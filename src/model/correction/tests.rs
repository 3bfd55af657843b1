//! The correction model against its references: a saved-and-loaded neural ensemble against
//! `NeuralFit::vane_error_deg`, the binned curve against hand-computed interpolation, the
//! correction formulas of `docs/domain.md` (Derived quantities) at the wrap-arounds, and artifact
//! errors that name the file.

use std::path::Path;

use chrono::Duration;

use super::*;
use crate::model::estimate::BinVaneError;
use crate::model::neural::{NeuralConfig, NeuralFit, estimate_neural};
use crate::model::prep::{OperatingWindow, PrepConfig, prepare};
use crate::model::testdata::{RATED_KW, Synth};

/// A small 2-member ensemble on 6 weeks of a turbine whose e is 1 + 0.4(ws − 4) deg with a
/// +3 deg step halfway, so f_θ has structure and the last drift block differs from block 0.
fn small_fit() -> NeuralFit {
    let n = 6_048; // 6 weeks of 10-minute windows
    let e = |ws: f64| 1.0 + 0.4 * (ws - 4.0);
    let mut raw = Synth::new(e).windows(41, n / 2);
    let shift = Duration::minutes(10 * (n / 2) as i64);
    let after = Synth::new(move |ws| e(ws) + 3.0).windows(42, n / 2);
    raw.extend(after.into_iter().map(|x| OperatingWindow { time: x.time + shift, ..x }));
    let w = prepare(&raw, &PrepConfig { rated_power_kw: Some(RATED_KW), ..PrepConfig::default() }).windows;
    let cfg = NeuralConfig::new().with_ensemble_size(2).with_steps(60).with_batch_size(512);
    estimate_neural(&w, &cfg).expect("trains")
}

/// A fit saved to a fresh directory, with its estimate.
fn saved(fit: &NeuralFit) -> (tempfile::TempDir, VaneErrorEstimate) {
    let dir = tempfile::tempdir().unwrap();
    fit.save(dir.path()).unwrap();
    (dir, fit.to_estimate("T1"))
}

fn point(ws: f64, rotor_rpm: Option<f64>, pitch_deg: Option<f64>) -> OperatingPoint {
    OperatingPoint { wind_speed_ms: ws, rotor_rpm, pitch_deg }
}

#[test]
fn loaded_neural_model_equals_neural_fit_within_1e_3_deg_with_the_right_flags() {
    let fit = small_fit();
    let (dir, est) = saved(&fit);
    let model = CorrectionModel::load("neural", dir.path(), &est).unwrap();
    assert_eq!((model.method(), model.gain(), model.north_offset_deg()), ("neural", est.gain, 0.0));
    let own: Vec<f64> = est.bins.iter().filter(|b| !b.extrapolated).map(|b| b.ws).collect();
    let (lo, hi) = (own[0] - 0.5, own[own.len() - 1] + 0.5);
    let (mut worst, mut n, mut spread) = (0.0_f64, 0, Vec::new());
    for i in 0..=40 {
        let ws = i as f64 * 0.61; // 0..24.4 m/s, off the bin centres
        for rpm in [None, Some(8.0), Some(8.0 + ws.min(12.0)), Some(25.0)] {
            for pitch in [None, Some(0.0), Some(4.5)] {
                let got = model.vane_error_at(&point(ws, rpm, pitch));
                let (e, ci) = fit.vane_error_deg(ws, rpm, pitch);
                for (a, b) in [(got.vane_error_deg, e), (got.ci95[0], ci[0]), (got.ci95[1], ci[1])] {
                    worst = worst.max((a - b).abs());
                }
                assert_eq!(got.extrapolated, !(lo..=hi).contains(&ws), "ws {ws} vs [{lo}, {hi}]");
                spread.push(e);
                n += 1;
            }
        }
    }
    let range =
        spread.iter().copied().fold(f64::NEG_INFINITY, f64::max) - spread.iter().copied().fold(f64::INFINITY, f64::min);
    println!("{n} points, max |compiled - NeuralFit| = {worst:e} deg, e spans {range:.2} deg, supported [{lo}, {hi}]");
    assert!(worst < 1e-3, "max difference {worst} deg");
    assert!(range > 0.5, "the fit must depend on the state for this test to mean anything ({range})");
    // the compiled form of the in-memory fit is the same evaluator
    assert_eq!(fit.compile().vane_error_deg(7.3, Some(15.3), None), {
        let at = model.vane_error_at(&point(7.3, Some(15.3), None));
        (at.vane_error_deg, at.ci95)
    });
}

#[test]
fn non_finite_inputs_give_finite_flagged_values() {
    let fit = small_fit();
    let (dir, est) = saved(&fit);
    let model = CorrectionModel::load("neural", dir.path(), &est).unwrap();
    for ws in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let at = model.vane_error_at(&point(ws, Some(12.0), None));
        assert!(at.extrapolated);
        assert_eq!((at.vane_error_deg, at.ci95), (est.vane_error_deg.unwrap(), est.ci95.unwrap()));
    }
    let good = model.vane_error_at(&point(7.0, None, None));
    let bad = model.vane_error_at(&point(7.0, Some(f64::NAN), Some(f64::INFINITY)));
    assert_eq!((bad.vane_error_deg, bad.ci95, bad.extrapolated), (good.vane_error_deg, good.ci95, true));
    for ws in [1e300, -1e300, f64::MAX] {
        let at = model.vane_error_at(&point(ws, Some(1e300), Some(-1e300)));
        assert!(at.vane_error_deg.is_finite() && at.ci95.iter().all(|c| c.is_finite()) && at.extrapolated, "{at:?}");
    }
    let c = model.correct(f64::NAN, Some(10.0), &point(f64::NAN, None, None));
    assert!(c.extrapolated && c.corrected_relative_deg == 0.0 && c.corrected_absolute_deg.is_none());
}

#[test]
fn missing_or_corrupt_artifact_files_are_named_in_the_error() {
    let fit = small_fit();
    let (dir, est) = saved(&fit);
    let expect_file = |dir: &Path, name: &str| {
        let err = CorrectionModel::load("neural", dir, &est).expect_err("must fail");
        let CorrectionError::Artifact { file, .. } = &err else { panic!("{err}") };
        assert_eq!(file.file_name().unwrap(), name, "{err}");
        assert!(err.to_string().contains(name), "{err}");
        println!("{err}");
    };
    expect_file(&dir.path().join("nowhere"), "config.json");
    let copy = || {
        let to = tempfile::tempdir().unwrap();
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.path().join(f.file_name())).unwrap();
        }
        to
    };
    let d = copy();
    std::fs::remove_file(d.path().join("member_1.bpk")).unwrap();
    expect_file(d.path(), "member_1.bpk");
    let d = copy();
    let bytes = std::fs::read(d.path().join("member_0.bpk")).unwrap();
    std::fs::write(d.path().join("member_0.bpk"), &bytes[..bytes.len() / 3]).unwrap();
    expect_file(d.path(), "member_0.bpk");
    let d = copy();
    std::fs::write(d.path().join("meta.json"), "{\"norm\": 3}").unwrap();
    expect_file(d.path(), "meta.json");
    let d = copy();
    std::fs::write(d.path().join("config.json"), "not json").unwrap();
    expect_file(d.path(), "config.json");
    assert!(matches!(
        CorrectionModel::load("magic", dir.path(), &est),
        Err(CorrectionError::UnknownMethod(m)) if m == "magic"
    ));
}

/// A binned estimate with own bins at 5, 6, 7 m/s (e 1, 2, 4 deg) and every other bin of
/// 3..=15 extrapolated with the values `model::training::binned` gives them.
fn binned_estimate(gain: f64) -> VaneErrorEstimate {
    let mut est = VaneErrorEstimate::empty("T1", "binned", 5000);
    let own = [(5.0, 1.0, [0.0, 2.0]), (6.0, 2.0, [1.5, 2.5]), (7.0, 4.0, [3.0, 5.0])];
    est.bins = (3..=15)
        .map(|c| {
            let ws = f64::from(c);
            match own.iter().find(|o| o.0 == ws) {
                Some(&(ws, e, ci)) => {
                    BinVaneError { ws, vane_error_deg: Some(e), ci95: Some(ci), extrapolated: false, n_windows: 400 }
                }
                None => BinVaneError {
                    ws,
                    vane_error_deg: Some(if ws < 5.0 { 1.0 } else { 4.0 }),
                    ci95: None,
                    extrapolated: true,
                    n_windows: 3,
                },
            }
        })
        .collect();
    est.vane_error_deg = Some(2.5);
    est.ci95 = Some([1.5, 3.5]);
    est.gain = gain;
    est
}

#[test]
fn binned_model_interpolates_between_own_bins_and_is_flat_and_flagged_beyond() {
    let model = CorrectionModel::load("binned", Path::new("/no/artifact/needed"), &binned_estimate(0.0)).unwrap();
    assert_eq!(model.method(), "binned");
    let at = |ws: f64| model.vane_error_at(&point(ws, None, None));
    let close = |a: VaneErrorAt, e: f64, ci: [f64; 2], extrapolated: bool| {
        assert!((a.vane_error_deg - e).abs() < 1e-12 && (a.ci95[0] - ci[0]).abs() < 1e-12, "{a:?} vs {e}");
        assert!((a.ci95[1] - ci[1]).abs() < 1e-12 && a.extrapolated == extrapolated, "{a:?} vs {ci:?}");
    };
    close(at(5.5), 1.5, [0.75, 2.25], false);
    close(at(6.25), 2.5, [1.875, 3.125], false);
    close(at(5.0), 1.0, [0.0, 2.0], false);
    close(at(4.5), 1.0, [0.0, 2.0], false); // inside bin 5's span [4.5, 5.5]
    close(at(4.49), 1.0, [0.0, 2.0], true);
    close(at(3.0), 1.0, [0.0, 2.0], true);
    close(at(7.5), 4.0, [3.0, 5.0], false);
    close(at(7.51), 4.0, [3.0, 5.0], true);
    close(at(14.0), 4.0, [3.0, 5.0], true);
    // rpm and pitch do not move a binned value, a non-finite one only raises the flag
    close(model.vane_error_at(&point(6.5, Some(f64::NAN), Some(2.0))), 3.0, [2.25, 3.75], true);
    close(at(f64::NAN), 2.5, [1.5, 3.5], true); // the operating-range value
}

#[test]
fn binned_estimates_that_cannot_serve_are_rejected() {
    let dir = Path::new("unused");
    let mut est = binned_estimate(0.0);
    est.bins.iter_mut().for_each(|b| b.vane_error_deg = None);
    let err = CorrectionModel::load("binned", dir, &est).unwrap_err();
    assert!(err.to_string().contains("no bin"), "{err}");
    assert!(CorrectionModel::load("binned", dir, &binned_estimate(1.0)).is_err());
    assert!(CorrectionModel::load("binned", dir, &binned_estimate(f64::NAN)).is_err());
    let mut est = binned_estimate(0.0);
    est.method = "neural".into();
    assert!(CorrectionModel::load("binned", dir, &est).is_err());
    // only extrapolated bins: served, but everything is flagged
    let mut est = binned_estimate(0.0);
    est.bins.iter_mut().for_each(|b| b.extrapolated = true);
    let model = CorrectionModel::load("binned", dir, &est).unwrap();
    let at = model.vane_error_at(&point(6.0, None, None));
    assert_eq!((at.vane_error_deg, at.extrapolated), (2.0, true));
}

/// A binned model with e = `e` at every wind speed, gain `k` and north offset `north`.
fn constant(e: f64, k: f64, north: f64) -> CorrectionModel {
    let mut est = binned_estimate(k);
    est.bins.iter_mut().for_each(|b| b.vane_error_deg = Some(e));
    est.north_offset_deg = Some(north);
    CorrectionModel::load("binned", Path::new("unused"), &est).unwrap()
}

#[test]
fn correct_applies_the_domain_formulas_across_the_wraps() {
    let p = point(6.0, None, None);
    let near = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    let m = constant(5.0, 0.1, 2.0);
    let c = m.correct(16.0, Some(355.0), &p);
    assert_eq!((c.yaw_offset_deg, c.extrapolated), (5.0, false));
    near(c.corrected_relative_deg, 10.0); // (16 - 5) / 1.1
    near(c.corrected_absolute_deg.unwrap(), 3.0); // 355 - 2 + 10 = 363 -> 3
    assert_eq!(m.correct(16.0, None, &p).corrected_absolute_deg, None);
    let c = m.correct(16.0, Some(f64::NAN), &p);
    assert!(c.corrected_absolute_deg.is_none() && c.extrapolated);

    // vane across its ±180 seam: e = -5, k = 0.1; 179.9 and -179.9 stay 0.2/1.1 deg apart
    let m = constant(-5.0, 0.1, 0.0);
    let a = m.correct(179.9, Some(0.0), &p).corrected_relative_deg;
    let b = m.correct(-179.9, Some(0.0), &p).corrected_relative_deg;
    near(a, -175.1 / 1.1);
    near(b, -174.9 / 1.1);
    near(m.correct(180.0, None, &p).corrected_relative_deg, -175.0 / 1.1);

    // negative k pushes a large deviation past 180: 179 / 0.8 = 223.75 -> -136.25
    let m = constant(-4.0, -0.2, 0.0);
    near(m.correct(175.0, None, &p).corrected_relative_deg, -136.25);
    near(m.correct(-4.0 + 8.0, None, &p).corrected_relative_deg, 10.0);

    // nacelle near north: the absolute direction wraps into [0, 360)
    let m = constant(0.0, 0.0, 0.0);
    near(m.correct(1.0, Some(359.5), &p).corrected_absolute_deg.unwrap(), 0.5);
    near(m.correct(-1.0, Some(0.2), &p).corrected_absolute_deg.unwrap(), 359.2);
    let abs = m.correct(-0.5, Some(0.5), &p).corrected_absolute_deg.unwrap();
    assert!((0.0..360.0).contains(&abs), "{abs}");
    // a north offset that takes the heading below 0
    near(constant(0.0, 0.0, 3.0).correct(0.0, Some(1.0), &p).corrected_absolute_deg.unwrap(), 358.0);
}

#[test]
fn correction_model_is_send_and_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<CorrectionModel>();
}
