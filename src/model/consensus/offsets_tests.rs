//! North offsets on synthetic farms: recovery relative to the farm and to a reference turbine,
//! jumps, robustness to a bad turbine, wrap-around at north, and the errors.

use super::testfarm::{PER_DAY, Step, TestFarm};
use super::{ConsensusConfig, ConsensusError, NorthOffset, Reference, north_offsets};

fn assert_recovered(est: &[NorthOffset], truth: &[f64], tol: f64) {
    assert_eq!(est.len(), truth.len());
    for (e, t) in est.iter().zip(truth) {
        let err = e.north_offset_deg - t;
        assert!(err.abs() < tol, "turbine {}: estimated {:.3} true {t:.3}", e.turbine_id, e.north_offset_deg);
        assert!(e.ci95[0] <= *t && *t <= e.ci95[1], "turbine {}: {t:.3} outside {:?}", e.turbine_id, e.ci95);
        assert!(e.ci95[1] - e.ci95[0] < 1.0, "turbine {}: interval {:?} too wide", e.turbine_id, e.ci95);
    }
}

#[test]
fn known_offsets_are_recovered_relative_to_the_farm_mean_within_their_intervals() {
    let farm = TestFarm::five(10);
    let est =
        north_offsets(&farm.windows(1), &farm.correction(), &Reference::Farm, &ConsensusConfig::default()).unwrap();
    assert_recovered(&est, &farm.offsets_minus_mean(), 0.3);
    assert!(est.iter().all(|e| e.jumps.is_empty() && e.n_windows > 9 * PER_DAY), "{est:?}");
}

#[test]
fn known_offsets_are_recovered_relative_to_a_reference_turbine() {
    let farm = TestFarm::five(10);
    let reference = Reference::Turbine(3);
    let est = north_offsets(&farm.windows(2), &farm.correction(), &reference, &ConsensusConfig::default()).unwrap();
    let truth: Vec<f64> = farm.north_offsets.iter().map(|o| o - farm.north_offsets[2]).collect();
    assert_eq!(est[2].north_offset_deg, 0.0);
    assert_eq!(est[2].ci95, [0.0, 0.0]);
    let others: Vec<_> = est.iter().filter(|e| e.turbine_id != 3).cloned().collect();
    let truth: Vec<f64> = truth.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, t)| *t).collect();
    assert_recovered(&others, &truth, 0.4);
}

#[test]
fn a_three_degree_offset_jump_is_found_within_a_day_and_only_on_that_turbine() {
    let mut farm = TestFarm::five(12);
    let day = 6;
    let at = day * PER_DAY + 50;
    farm.steps.push(Step { turbine: 1, from: at, to: usize::MAX, delta_deg: 3.0, north: true });
    let est =
        north_offsets(&farm.windows(3), &farm.correction(), &Reference::Farm, &ConsensusConfig::default()).unwrap();
    for e in &est {
        if e.turbine_id == 2 {
            assert_eq!(e.jumps.len(), 1, "{:?}", e.jumps);
            let j = &e.jumps[0];
            let off = (j.time - TestFarm::time(at)).num_minutes().abs();
            assert!(off <= 24 * 60, "jump at {} vs {}", j.time, TestFarm::time(at));
            assert!((j.delta_deg - 3.0).abs() < 0.5 && j.ci95[0] > 0.0, "{j:?}");
            // The latest segment carries the new offset.
            assert!(e.n_windows < 7 * PER_DAY, "{}", e.n_windows);
        } else {
            assert!(e.jumps.is_empty(), "turbine {}: {:?}", e.turbine_id, e.jumps);
        }
    }
    // Relative to the farm mean of the latest segments: turbine 2 has moved by 3.
    let mut after = farm.north_offsets.clone();
    after[1] += 3.0;
    let m = after.iter().sum::<f64>() / 5.0;
    let truth: Vec<f64> = after.iter().map(|o| o - m).collect();
    assert_recovered(&est, &truth, 0.4);
}

#[test]
fn one_erratic_turbine_does_not_spoil_the_others() {
    let mut farm = TestFarm::five(10);
    farm.noise_deg[4] = 25.0;
    let est = north_offsets(&farm.windows(4), &farm.correction(), &Reference::Turbine(1), &ConsensusConfig::default())
        .unwrap();
    for e in est.iter().take(4) {
        let truth = farm.north_offsets[e.turbine_id as usize - 1] - farm.north_offsets[0];
        assert!((e.north_offset_deg - truth).abs() < 0.4, "turbine {}: {e:?} vs {truth}", e.turbine_id);
    }
}

#[test]
fn directions_and_offsets_across_north_are_handled() {
    let mut farm = TestFarm::five(8);
    farm.start_dir_deg = 359.0;
    farm.walk_deg = 0.3; // stays within a few tens of degrees of north
    let windows = farm.windows(5);
    assert!(windows.iter().any(|w| w.nacelle_deg > 350.0) && windows.iter().any(|w| w.nacelle_deg < 10.0));
    let est = north_offsets(&windows, &farm.correction(), &Reference::Farm, &ConsensusConfig::default()).unwrap();
    assert_recovered(&est, &farm.offsets_minus_mean(), 0.3);
}

#[test]
fn fewer_than_three_turbines_or_an_unknown_reference_is_an_error() {
    let farm = TestFarm::five(2);
    let two: Vec<_> = farm.windows(6).into_iter().filter(|w| w.turbine_id <= 2).collect();
    let err = north_offsets(&two, &farm.correction(), &Reference::Farm, &ConsensusConfig::default()).unwrap_err();
    assert!(matches!(err, ConsensusError::TooFewTurbines { found: 2, required: 3 }), "{err}");
    let all = farm.windows(6);
    let err = north_offsets(&all, &farm.correction(), &Reference::Turbine(9), &ConsensusConfig::default()).unwrap_err();
    assert!(matches!(err, ConsensusError::UnknownReference(9)), "{err}");
}

#[test]
fn the_same_input_gives_the_same_output() {
    let farm = TestFarm::five(3);
    let w = farm.windows(7);
    let cfg = ConsensusConfig::default();
    let a = north_offsets(&w, &farm.correction(), &Reference::Farm, &cfg).unwrap();
    let b = north_offsets(&w, &farm.correction(), &Reference::Farm, &cfg).unwrap();
    assert_eq!(a, b);
}
