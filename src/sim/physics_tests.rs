//! Tests of the whole-farm physics (the component models test themselves).

use chrono::{TimeZone, Utc};

use super::*;
use crate::sim::aero;
use crate::sim::truth::Truth;

fn run(physics: &mut FarmPhysics, steps: u64) {
    for _ in 0..steps {
        physics.step();
    }
}

#[test]
fn the_same_seed_gives_identical_trajectories_and_another_seed_does_not() {
    let mut a = FarmPhysics::new(42, 3, &SimProfile::realistic());
    let mut b = FarmPhysics::new(42, 3, &SimProfile::realistic());
    let mut c = FarmPhysics::new(43, 3, &SimProfile::realistic());
    let mut differs = false;
    for _ in 0..200 {
        run(&mut a, 50);
        run(&mut b, 50);
        run(&mut c, 50);
        for i in 0..3 {
            assert_eq!(a.outputs(i), b.outputs(i));
            assert_eq!(a.true_state(i), b.true_state(i));
            differs |= a.outputs(i) != c.outputs(i);
        }
    }
    assert!(differs);
}

#[test]
fn a_turbine_does_not_depend_on_how_many_turbines_the_farm_has() {
    let mut small = FarmPhysics::new(7, 2, &SimProfile::realistic());
    let mut large = FarmPhysics::new(7, 5, &SimProfile::realistic());
    run(&mut small, 5000);
    run(&mut large, 5000);
    assert_eq!(small.turbine(1).params, large.turbine(1).params);
    assert_eq!(small.true_state(1), large.true_state(1));
}

/// Mean over operating steps of the noise-free vane reading `(1 + k) gamma + e`, of gamma and of
/// e, over `days` simulated days.
fn operating_means(physics: &mut FarmPhysics, index: usize, days: u64) -> (f64, f64, f64) {
    let k = physics.turbine(index).params.vane.gain_k;
    let (mut vane, mut gamma, mut e, mut n) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..days * 86_400 {
        physics.step();
        let s = physics.true_state(index);
        if matches!(s.state, 1 | 2) {
            vane += (1.0 + k) * s.gamma_deg + s.vane_error_deg;
            gamma += s.gamma_deg;
            e += s.vane_error_deg;
            n += 1.0;
        }
    }
    assert!(n > 0.3 * (days * 86_400) as f64, "the turbine operated {n} s");
    (vane / n, gamma / n, e / n)
}

#[test]
fn the_yaw_controller_points_the_rotor_at_minus_the_vane_error() {
    let mut physics = FarmPhysics::new(5, 3, &SimProfile::clean());
    for i in 0..3 {
        let mut own = physics.clone();
        let (vane, gamma, e) = operating_means(&mut own, i, 2);
        assert!(vane.abs() < 1.0, "T0{}: mean noise-free vane reading {vane:.2}", i + 1);
        let k = physics.turbine(i).params.vane.gain_k;
        assert!((gamma + e / (1.0 + k)).abs() < 1.0, "T0{}: mean gamma {gamma:.2}, mean e {e:.2}", i + 1);
        assert!(e.abs() > 0.5 || i > 0, "seed 5 gives T01 a visible vane error");
    }
    run(&mut physics, 1);
}

#[test]
fn a_yaw_offset_command_equal_to_the_vane_error_aligns_the_rotor() {
    let mut physics = FarmPhysics::new(8, 6, &SimProfile::clean());
    // The turbine with the largest vane error at a typical 8 m/s operating point.
    let op = aero::aero().aligned(8.0);
    let e_at_8 = |i: usize| physics.vane_error_deg(i, 8.0, op.rotor_rpm, op.pitch_deg, 0.0).abs();
    let worst = (0..6).max_by(|a, b| e_at_8(*a).total_cmp(&e_at_8(*b))).unwrap();
    let (_, gamma_before, e) = operating_means(&mut physics.clone(), worst, 1);
    physics.set_commands(worst, crate::sim::TurbineCommands { yaw_offset_deg: e, correction_enable: true });
    let (_, gamma_after, _) = operating_means(&mut physics, worst, 1);
    assert!(gamma_before.abs() > 2.0, "an uncorrected rotor is mispointed: {gamma_before:.2}");
    assert!(gamma_after.abs() < 1.0, "corrected mean misalignment {gamma_after:.2} (was {gamma_before:.2})");
}

#[test]
fn truth_bins_equal_the_physics_vane_error_function() {
    let profile = SimProfile { drift: DriftRate { per_day: 2.0, turbine_fraction: 1.0 }, ..SimProfile::clean() };
    let physics = FarmPhysics::new(3, 2, &profile);
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let truth = Truth::from_physics(&physics, start, 10.0, "test");
    for (i, t) in truth.turbines.iter().enumerate() {
        assert!(t.drift_events.len() > 10, "{} drift events", t.drift_events.len());
        assert!(t.vane_error_by_bin.len() > t.drift_events.len());
        for period in &t.vane_error_by_bin {
            let t_s = (period.from - start).num_seconds() as f64;
            assert_eq!(period.bins.len(), 13);
            for bin in &period.bins {
                let op = aero::aero().aligned(bin.ws);
                let want = physics.vane_error_deg(i, bin.ws, op.rotor_rpm, op.pitch_deg, t_s);
                assert_eq!(bin.vane_error_deg, want);
            }
        }
        // The truth's own evaluation, after a JSON round trip, agrees with the physics too.
        let back: Truth = serde_json::from_str(&serde_json::to_string(&truth).unwrap()).unwrap();
        for t_s in [0.0, 3.3e5, 1.2e6, 2.5e6] {
            let time = start + chrono::Duration::milliseconds((t_s * 1000.0) as i64);
            let got = back.vane_error_deg(i, 9.5, 14.0, 1.0, time);
            assert!((got - physics.vane_error_deg(i, 9.5, 14.0, 1.0, t_s)).abs() < 1e-9);
        }
    }
}

#[test]
fn realistic_events_show_up_in_the_outputs() {
    let busy = SimProfile {
        faults: EventRate::new(6.0, 600, 1800),
        curtailments: EventRate::new(6.0, 600, 1800),
        stuck_vane: EventRate::new(6.0, 600, 1800),
        missing_signals: EventRate::new(12.0, 60, 600),
        ..SimProfile::realistic()
    };
    let mut physics = FarmPhysics::new(11, 1, &busy);
    let (mut fault, mut curtailed, mut missing, mut stuck) = (0, 0, 0, 0);
    let mut last_vane = None;
    let mut curtailed_for = 0;
    for _ in 0..86_400 {
        physics.step();
        let out = physics.outputs(0);
        let s = physics.true_state(0);
        match out.state {
            3 => {
                fault += 1;
                assert_eq!(s.power_kw, 0.0, "no power in fault");
            }
            2 => curtailed += 1,
            _ => {}
        }
        // Power ramps down within seconds of a cap and stays below it.
        curtailed_for = if out.state == 2 { curtailed_for + 1 } else { 0 };
        if curtailed_for > 20 {
            assert!(s.power_kw <= 0.8 * aero::RATED_POWER_KW + 1.0, "{} kW under a cap", s.power_kw);
        }
        missing += usize::from(out.vane_deg.is_none() || out.power_kw.is_none() || out.wind_speed_ms.is_none());
        if s.vane_stuck && out.vane_deg.is_some() && last_vane.is_some() {
            assert_eq!(out.vane_deg, last_vane);
            stuck += 1;
        }
        last_vane = out.vane_deg;
    }
    assert!(fault > 3600 && curtailed > 600 && missing > 600 && stuck > 600, "{fault} {curtailed} {missing} {stuck}");
}

#[test]
fn cold_dense_air_makes_more_power_from_the_same_wind() {
    let iso = SimProfile::clean();
    let cold = SimProfile { seasons: Seasons { mean_c: -15.0, ..Seasons::NONE }, ..iso };
    let (mut a, mut b) = (FarmPhysics::new(9, 1, &iso), FarmPhysics::new(9, 1, &cold));
    run(&mut a, 86_400);
    run(&mut b, 86_400);
    assert!((b.outdoor_temp_c() + 15.0).abs() < 1e-9);
    let (ea, eb) = (a.true_state(0).energy_kwh, b.true_state(0).energy_kwh);
    // 288 K over 258 K is 11.6 % more density; rated power caps part of the day's energy.
    assert!(eb > 1.03 * ea && eb < 1.12 * ea, "energy {eb:.0} kWh at -15 deg C, {ea:.0} kWh at 15 deg C");
    assert_eq!(a.true_state(0).free_wind_ms, b.true_state(0).free_wind_ms, "the wind is the same");
}

#[test]
fn the_field_profile_is_named_and_the_old_profiles_keep_iso_air() {
    for name in ["clean", "realistic", "field"] {
        assert_eq!(SimProfile::named(name).unwrap().name(), name);
    }
    assert_eq!(SimProfile::realistic().seasons, Seasons::NONE);
    assert_eq!(SimProfile::field().seasons, Seasons::TEMPERATE);
    assert!(SimProfile::field().drift.per_day * 365.0 < 4.0, "a few drift events per turbine-year");
}
