//! Each filter of `prepare` removes exactly the windows planted for it in clean synthetic data.

use super::*;
use crate::model::testdata::{RATED_KW, Synth};

/// Clean operating windows: producing, below rated, pitch 0, in time order.
fn clean(n: usize) -> Vec<OperatingWindow> {
    Synth::new(|_| 3.0).windows(21, n).into_iter().filter(|w| (4.0..10.5).contains(&w.wind_speed_ms)).collect()
}

fn cfg() -> PrepConfig {
    PrepConfig { rated_power_kw: Some(RATED_KW), ..PrepConfig::default() }
}

#[test]
fn clean_operating_windows_pass_every_filter() {
    let w = clean(4_000);
    let out = prepare(&w, &cfg());
    assert_eq!(out.counts, FilterCounts { input: w.len(), kept: w.len(), ..FilterCounts::default() });
    assert_eq!(out.windows, w);
}

#[test]
fn each_filter_removes_exactly_the_windows_planted_for_it() {
    let mut w = clean(6_000);
    let n = w.len();
    // indices spread out so planted windows never form runs or share filters by accident
    let mut at = (10..n - 10).step_by(37);
    let mut plant = |count: usize, f: &mut dyn FnMut(&mut OperatingWindow)| {
        for _ in 0..count {
            f(&mut w[at.next().expect("enough windows")]);
        }
    };
    plant(5, &mut |x| x.vane_deg = f64::NAN);
    plant(1, &mut |x| x.power_kw = f64::INFINITY);
    plant(4, &mut |x| x.wind_speed_ms = 55.0);
    plant(1, &mut |x| x.power_kw = 3.0 * RATED_KW);
    plant(1, &mut |x| x.pitch_deg = Some(120.0));
    plant(6, &mut |x| {
        x.power_kw = 0.0;
        x.rotor_rpm = Some(0.0);
    });
    plant(2, &mut |x| x.wind_speed_ms = 2.5); // below cut-in, power left as it was
    plant(7, &mut |x| {
        x.pitch_deg = Some(6.0); // curtailed by pitching
        x.power_kw *= 0.5;
    });
    plant(3, &mut |x| {
        x.pitch_deg = None; // no pitch signal: only the plateau shows it
        x.power_kw = 0.97 * RATED_KW;
    });
    let mut outliers = 0;
    plant(40, &mut |x| {
        // halved power in well-filled bins; the others stay clean
        if (5.0..9.0).contains(&x.wind_speed_ms) && outliers < 8 {
            x.power_kw *= 0.3;
            outliers += 1;
        }
    });
    assert_eq!(outliers, 8);
    // stuck runs: 3 identical vane means, then 4 identical wind speeds, far from the rest
    let s = n - 200;
    for i in s + 1..s + 3 {
        w[i].vane_deg = w[s].vane_deg;
    }
    for i in s + 50..s + 54 {
        w[i].wind_speed_ms = w[s + 50].wind_speed_ms;
    }
    // a pair of equal values is not a run
    w[s + 100].vane_deg = w[s + 99].vane_deg;

    let out = prepare(&w, &cfg());
    let expect = FilterCounts {
        input: n,
        missing: 6,
        out_of_range: 6,
        stuck: 7,
        downtime: 8,
        pitched: 7,
        plateau: 3,
        power_curve_outlier: 8,
        kept: n - 45,
    };
    assert_eq!(out.counts, expect);
    assert!(out.windows.windows(2).all(|p| p[0].time < p[1].time));
}

#[test]
fn input_order_does_not_matter_and_stuck_runs_are_found_in_time_order() {
    let mut w = clean(1_000);
    let s = 300;
    for i in s + 1..s + 3 {
        w[i].vane_deg = w[s].vane_deg;
    }
    let sorted = prepare(&w, &cfg());
    w.reverse();
    let reversed = prepare(&w, &cfg());
    assert_eq!(sorted, reversed);
    assert_eq!(sorted.counts.stuck, 3);
}

#[test]
fn rated_power_is_estimated_from_the_plateau_when_not_configured() {
    let w = Synth::new(|_| 0.0).windows(22, 20_000);
    let out = prepare(&w, &PrepConfig::default());
    assert!(out.rated_power_estimated);
    assert!((out.rated_power_kw / RATED_KW - 1.0).abs() < 0.03, "estimated {}", out.rated_power_kw);
    assert_eq!(out.counts.input, out.counts.kept + removed(&out.counts));
}

fn removed(c: &FilterCounts) -> usize {
    c.missing + c.out_of_range + c.stuck + c.downtime + c.pitched + c.plateau + c.power_curve_outlier
}

#[test]
fn stored_rows_without_wind_speed_vane_or_power_are_dropped_and_counted_as_missing() {
    let t = chrono::DateTime::<Utc>::from_timestamp(1_735_689_600, 0).unwrap();
    let row = |ws: Option<f64>, vane: Option<f64>, p: Option<f64>| WindowRow {
        turbine_id: 1,
        length_s: 600,
        window_start: t,
        origin: "poll".into(),
        n_readings: 600,
        n_valid: 600,
        n_running: Some(600),
        wind_speed_ms_mean: ws,
        wind_speed_ms_std: None,
        wind_speed_ms_min: None,
        wind_speed_ms_max: None,
        power_kw_mean: p,
        power_kw_std: None,
        power_kw_min: None,
        power_kw_max: None,
        rotor_rpm_mean: Some(14.0),
        rotor_rpm_std: None,
        rotor_rpm_min: None,
        rotor_rpm_max: None,
        pitch_deg_mean: Some(0.0),
        pitch_deg_std: None,
        pitch_deg_min: None,
        pitch_deg_max: None,
        vane_deg_mean: vane,
        vane_deg_std: None,
        vane_deg_min: None,
        vane_deg_max: None,
        nacelle_deg_mean: Some(270.0),
        nacelle_deg_std: None,
        outdoor_temp_c_mean: None,
        updated_at: t,
    };
    let good = row(Some(7.0), Some(2.0), Some(500.0));
    let w = OperatingWindow::try_from(&good).unwrap();
    assert_eq!((w.wind_speed_ms, w.vane_deg, w.power_kw, w.pitch_deg), (7.0, 2.0, 500.0, Some(0.0)));
    let no_vane = row(Some(7.0), None, Some(500.0));
    assert_eq!(OperatingWindow::try_from(&no_vane), Err(WindowError::Missing { time: t, signal: "vane_deg" }));
    let rows = [good, no_vane, row(None, Some(1.0), Some(1.0)), row(Some(7.0), Some(1.0), None)];
    let out = prepare_rows(&rows, &cfg());
    assert_eq!((out.counts.input, out.counts.missing, out.counts.kept), (4, 3, 1));
}
