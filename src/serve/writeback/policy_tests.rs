//! Every guardrail of [`decide`] at its boundary.

use chrono::{Duration, TimeZone};

use super::*;

fn settings() -> WriteBackSettings {
    WriteBackSettings::default()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn target(offset: f64) -> Target {
    Target { yaw_offset_deg: offset, ci95: [offset - 0.5, offset + 0.5], model_version: 3 }
}

fn device(offset: f64, enable: bool) -> DeviceState {
    DeviceState { yaw_offset_deg: offset, correction_enable: enable }
}

/// An enabled turbine whose controller applies `applied` and never stepped before.
fn run(s: &WriteBackSettings, applied: f64, t: Option<&Target>) -> Decision {
    decide(&PolicyInput {
        settings: s,
        enabled: true,
        device: device(applied, true),
        resolution_deg: 0.01,
        target: t,
        last_step: None,
        now: now(),
        latch: None,
        write_lock: true,
    })
}

fn hold_code(d: &Decision) -> &'static str {
    match d {
        Decision::Hold { reason } => reason.code(),
        other => panic!("expected a hold, got {other:?}"),
    }
}

fn written(d: &Decision) -> f64 {
    match d {
        Decision::Write { to } => *to,
        other => panic!("expected a write, got {other:?}"),
    }
}

#[test]
fn no_model_holds() {
    assert_eq!(run(&settings(), 0.0, None), Decision::Hold { reason: HoldReason::NoModel });
}

#[test]
fn nan_and_infinite_targets_and_intervals_are_rejected() {
    let s = settings();
    for t in [
        Target { yaw_offset_deg: f64::NAN, ci95: [0.0, 1.0], model_version: 1 },
        Target { yaw_offset_deg: f64::INFINITY, ci95: [0.0, 1.0], model_version: 1 },
        Target { yaw_offset_deg: 1.0, ci95: [f64::NAN, 1.5], model_version: 1 },
        Target { yaw_offset_deg: 1.0, ci95: [0.5, f64::INFINITY], model_version: 1 },
        Target { yaw_offset_deg: 1.0, ci95: [1.5, 0.5], model_version: 1 },
        Target { yaw_offset_deg: 1.0, ci95: [0.5, 1.5], model_version: 0 },
    ] {
        assert_eq!(hold_code(&run(&s, 0.0, Some(&t))), "invalid_target", "{t:?}");
    }
}

#[test]
fn the_interval_must_be_strictly_narrower_than_the_limit() {
    let s = settings(); // 4.0 deg
    let at_limit = Target { yaw_offset_deg: 3.0, ci95: [1.0, 5.0], model_version: 1 };
    assert_eq!(
        run(&s, 0.0, Some(&at_limit)),
        Decision::Hold { reason: HoldReason::IntervalTooWide { width_deg: 4.0, max_deg: 4.0 } }
    );
    let just_inside = Target { yaw_offset_deg: 3.0, ci95: [1.0, 4.99], model_version: 1 };
    assert_eq!(written(&run(&s, 0.0, Some(&just_inside))), 0.5);
    let tight = WriteBackSettings { max_ci95_width_deg: 0.5, ..settings() };
    assert_eq!(hold_code(&run(&tight, 0.0, Some(&target(3.0)))), "interval_too_wide");
}

#[test]
fn each_step_moves_at_most_max_step_toward_the_target_with_its_sign() {
    let s = settings();
    assert_eq!(written(&run(&s, 0.0, Some(&target(4.0)))), 0.5);
    assert_eq!(written(&run(&s, 0.0, Some(&target(-4.0)))), -0.5);
    assert_eq!(written(&run(&s, 2.5, Some(&target(-4.0)))), 2.0, "steps back through zero one step at a time");
    assert_eq!(written(&run(&s, -1.0, Some(&target(4.0)))), -0.5);
    // The last step lands exactly on the target, not beyond it.
    assert!((written(&run(&s, 3.8, Some(&target(4.0)))) - 4.0).abs() < 1e-9);
    assert!((written(&run(&s, 0.0, Some(&target(0.3)))) - 0.3).abs() < 1e-9);
}

#[test]
fn reaching_four_degrees_takes_eight_hourly_steps() {
    let s = settings();
    let t = target(4.0);
    let (mut applied, mut last, mut at) = (0.0, None, now());
    let mut writes = Vec::new();
    // 12 hours of rounds every 15 minutes.
    for _ in 0..48 {
        let d = decide(&PolicyInput {
            settings: &s,
            enabled: true,
            device: device(applied, applied != 0.0),
            resolution_deg: 0.01,
            target: Some(&t),
            last_step: last,
            now: at,
            latch: None,
            write_lock: true,
        });
        if let Decision::Write { to } = d {
            writes.push(to);
            applied = to;
            last = Some(at);
        }
        at += Duration::minutes(15);
    }
    assert_eq!(writes.len(), 8, "{writes:?}");
    assert!((applied - 4.0).abs() < 1e-9);
    for (i, w) in writes.iter().enumerate() {
        assert!((w - 0.5 * (i + 1) as f64).abs() < 1e-9, "{writes:?}");
    }
}

#[test]
fn the_absolute_offset_is_capped_at_the_limit_exactly() {
    let s = settings(); // 10 deg
    assert!((written(&run(&s, 9.8, Some(&target(14.0)))) - 10.0).abs() < 1e-9);
    assert_eq!(hold_code(&run(&s, 10.0, Some(&target(14.0)))), "at_target");
    assert_eq!(hold_code(&run(&s, -10.0, Some(&target(-25.0)))), "at_target");
    // A controller someone left beyond the cap is stepped back inside it.
    assert_eq!(written(&run(&s, 12.0, Some(&target(14.0)))), 11.5);
    let small_cap = WriteBackSettings { max_abs_offset_deg: 1.25, ..settings() };
    assert!((written(&run(&small_cap, 1.0, Some(&target(3.0)))) - 1.25).abs() < 1e-9);
}

#[test]
fn a_target_within_half_a_register_count_is_reached() {
    let s = settings();
    assert_eq!(hold_code(&run(&s, 1.23, Some(&target(1.234)))), "at_target");
    assert!((written(&run(&s, 1.23, Some(&target(1.236)))) - 1.24).abs() < 1e-9);
}

#[test]
fn a_step_is_rate_limited_until_the_interval_has_passed() {
    let s = settings(); // 3600 s
    let t = target(4.0);
    let at = |last_step| {
        decide(&PolicyInput {
            settings: &s,
            enabled: true,
            device: device(0.5, true),
            resolution_deg: 0.01,
            target: Some(&t),
            last_step,
            now: now(),
            latch: None,
            write_lock: true,
        })
    };
    let held = at(Some(now() - Duration::seconds(3599)));
    assert_eq!(held, Decision::Hold { reason: HoldReason::RateLimited { wait_s: 1 } });
    assert_eq!(written(&at(Some(now() - Duration::seconds(3600)))), 1.0);
    assert_eq!(
        at(Some(now() - Duration::milliseconds(3_599_500))),
        Decision::Hold { reason: HoldReason::RateLimited { wait_s: 1 } },
        "half a second left still waits a whole second"
    );
    // A last step in the future (clock went back) waits for the interval after it.
    assert_eq!(
        at(Some(now() + Duration::seconds(100))),
        Decision::Hold { reason: HoldReason::RateLimited { wait_s: 3700 } }
    );
    let no_limit = WriteBackSettings { min_step_interval_s: 0, ..settings() };
    let d = decide(&PolicyInput {
        settings: &no_limit,
        enabled: true,
        device: device(0.5, true),
        resolution_deg: 0.01,
        target: Some(&t),
        last_step: Some(now()),
        now: now(),
        latch: None,
        write_lock: true,
    });
    assert_eq!(written(&d), 1.0);
}

#[test]
fn at_target_is_reported_before_the_rate_limit() {
    let s = settings();
    let d = decide(&PolicyInput {
        settings: &s,
        enabled: true,
        device: device(4.0, true),
        resolution_deg: 0.01,
        target: Some(&target(4.0)),
        last_step: Some(now()),
        now: now(),
        latch: None,
        write_lock: true,
    });
    assert_eq!(hold_code(&d), "at_target");
}

#[test]
fn a_turbine_not_enabled_is_dry_run_with_the_same_step() {
    let s = settings();
    let d = decide(&PolicyInput {
        settings: &s,
        enabled: false,
        device: device(0.0, false),
        resolution_deg: 0.01,
        target: Some(&target(-3.0)),
        last_step: None,
        now: now(),
        latch: None,
        write_lock: true,
    });
    assert_eq!(d, Decision::DryRun { would_write_to: -0.5 });
}

#[test]
fn a_disabled_register_counts_as_zero_applied_offset() {
    let s = settings();
    let d = decide(&PolicyInput {
        settings: &s,
        enabled: true,
        device: device(3.0, false),
        resolution_deg: 0.01,
        target: Some(&target(3.0)),
        last_step: None,
        now: now(),
        latch: None,
        write_lock: true,
    });
    assert_eq!(written(&d), 0.5, "a stale 3.0 in a disabled register is not a starting point");
    let d = decide(&PolicyInput { device: device(3.0, false), target: Some(&target(0.0)), ..input_for(&s) });
    assert_eq!(hold_code(&d), "at_target");
}

fn input_for(s: &WriteBackSettings) -> PolicyInput<'_> {
    PolicyInput {
        settings: s,
        enabled: true,
        device: device(0.0, false),
        resolution_deg: 0.01,
        target: None,
        last_step: None,
        now: now(),
        latch: None,
        write_lock: true,
    }
}

#[test]
fn a_step_smaller_than_one_register_count_or_a_bad_resolution_holds() {
    let s = WriteBackSettings { max_step_deg: 0.005, ..settings() };
    assert_eq!(hold_code(&run(&s, 0.0, Some(&target(1.0)))), "invalid_device");
    let s = settings();
    for res in [0.0, f64::NAN] {
        let d = decide(&PolicyInput { resolution_deg: res, target: Some(&target(1.0)), ..input_for(&s) });
        assert_eq!(hold_code(&d), "invalid_device");
    }
    // Coarser registers step in whole counts: 0.1 deg counts, 0.5 deg steps.
    let d = decide(&PolicyInput { resolution_deg: 0.1, target: Some(&target(2.0)), ..input_for(&s) });
    assert!((written(&d) - 0.5).abs() < 1e-9);
}

#[test]
fn hold_reasons_start_with_their_code() {
    let r = HoldReason::IntervalTooWide { width_deg: 2.5, max_deg: 2.0 };
    assert_eq!(r.to_string(), "interval_too_wide: 95 % interval 2.50 deg wide, must be narrower than 2.00 deg");
    assert!(HoldReason::RateLimited { wait_s: 5 }.to_string().starts_with("rate_limited: "));
}

#[test]
fn a_target_comes_from_the_operating_mean_of_an_estimate() {
    let mut e = VaneErrorEstimate::empty("T01", "binned", 100);
    assert_eq!(Target::from_estimate(&e), None);
    e.vane_error_deg = Some(2.5);
    e.ci95 = Some([2.0, 3.1]);
    e.model_version = 4;
    let t = Target::from_estimate(&e).unwrap();
    assert_eq!(t, Target { yaw_offset_deg: 2.5, ci95: [2.0, 3.1], model_version: 4 });
    assert!((t.ci95_width_deg() - 1.1).abs() < 1e-12);
}

#[test]
fn a_reverted_turbine_holds_until_re_enabled_and_a_dry_run_one_still_audits() {
    let s = settings();
    let latch = Latch { since: now() - Duration::days(3), actor: "token:ops".into() };
    let t = target(4.0);
    let latched = PolicyInput { target: Some(&t), latch: Some(&latch), ..input_for(&s) };
    let d = decide(&latched);
    assert_eq!(hold_code(&d), "reverted");
    let Decision::Hold { reason } = d else { unreachable!() };
    let text = reason.to_string();
    assert!(text.contains("token:ops") && text.contains("writeback enable"), "{text}");
    // Before every other rule: no model, a wide interval or the rate limit do not hide it.
    assert_eq!(hold_code(&decide(&PolicyInput { target: None, ..latched })), "reverted");
    // A dry-run turbine writes nothing either way: it keeps auditing what it would do.
    assert_eq!(decide(&PolicyInput { enabled: false, ..latched }), Decision::DryRun { would_write_to: 0.5 });
    assert_eq!(written(&decide(&PolicyInput { latch: None, ..latched })), 0.5);
}

#[test]
fn a_turbine_another_process_writes_to_is_held_and_dry_run_needs_no_lock() {
    let s = settings();
    let t = target(4.0);
    let elsewhere = PolicyInput { target: Some(&t), write_lock: false, ..input_for(&s) };
    assert_eq!(decide(&elsewhere), Decision::Hold { reason: HoldReason::OtherWriter });
    assert_eq!(decide(&PolicyInput { enabled: false, ..elsewhere }), Decision::DryRun { would_write_to: 0.5 });
}
