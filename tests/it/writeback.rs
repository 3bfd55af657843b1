//! Yaw-offset write-back against a real PostgreSQL and a real simulated turbine on port 0:
//! dry-run by default, hourly half-degree steps up to the cap, the rate limit, a device that
//! ignores writes, a device that refuses them, revert and its latch, one writer per turbine, and
//! the simulated controller turning the rotor by the offset written.

mod controller;
mod guards;
mod ignoring_device;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio_modbus::client::Reader;
use tokio_modbus::prelude::Slave;
use trueyaw::config::ModbusSource;
use trueyaw::domain::{RegisterMap, TurbineName};
use trueyaw::serve::writeback::{
    Decision, DeviceState, HoldReason, Target, WriteBack, WriteBackError, WriteBackSettings, WriteBackTurbine,
};
use trueyaw::sim::farm::SimHandle;
use trueyaw::store::yaw_offset_writes::{YawOffsetWriteRow, recent_yaw_offset_writes};
use trueyaw::store::{upsert_farm, upsert_turbine};

use self::ignoring_device::IgnoringDevice;
use crate::support::db::TestDb;

fn t01() -> TurbineName {
    TurbineName::numbered(1)
}

fn target(offset: f64) -> Option<Target> {
    Some(Target { yaw_offset_deg: offset, ci95: [offset - 0.4, offset + 0.4], model_version: 7 })
}

fn enabled(s: WriteBackSettings) -> WriteBackSettings {
    WriteBackSettings { enabled_turbines: vec!["T01".into()], ..s }
}

/// A write-back of one turbine at `addr`, its database, and a clock the test moves by hand.
struct Bench {
    db: TestDb,
    wb: WriteBack,
    now: Arc<Mutex<DateTime<Utc>>>,
    turbine_id: i32,
    addr: std::net::SocketAddr,
}

impl Bench {
    async fn new(settings: WriteBackSettings, addr: std::net::SocketAddr) -> Bench {
        let db = TestDb::migrated().await;
        let farm = upsert_farm(&db.pool, "wb").await.unwrap();
        let turbine_id = upsert_turbine(&db.pool, farm, "T01", "").await.unwrap();
        let modbus = ModbusSource {
            host: addr.ip().to_string(),
            port: addr.port(),
            unit_id: 1,
            register_map: RegisterMap::generic(),
        };
        let now = Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap()));
        let clock = now.clone();
        let wb = WriteBack::new(db.pool.clone(), settings, vec![WriteBackTurbine { name: t01(), turbine_id, modbus }])
            .unwrap()
            .with_clock(Arc::new(move || *clock.lock().unwrap()))
            .with_request_timeout(Duration::from_secs(2));
        Bench { db, wb, now, turbine_id, addr }
    }

    fn advance(&self, d: TimeDelta) {
        *self.now.lock().unwrap() += d;
    }

    async fn step(&self, target: Option<Target>) -> Decision {
        self.wb.step(&t01(), target).await.expect("step succeeds")
    }

    /// Holding registers 100-101 as a Modbus client reads them.
    async fn registers(&self) -> Vec<u16> {
        let mut ctx = tokio_modbus::client::tcp::connect_slave(self.addr, Slave(1)).await.unwrap();
        ctx.read_holding_registers(100, 2).await.unwrap().unwrap()
    }

    /// The audit trail, oldest first.
    async fn audit(&self) -> Vec<YawOffsetWriteRow> {
        let mut rows = recent_yaw_offset_writes(&self.db.pool, self.turbine_id, 1000).await.unwrap();
        rows.reverse();
        rows
    }
}

/// One simulated turbine; at `speedup` 0.01 its physics holds still for the whole test.
async fn sim(speedup: f64, seed: u64) -> SimHandle {
    crate::support::sim::clean_farm(1, seed, speedup, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()).await
}

fn modes(rows: &[YawOffsetWriteRow]) -> Vec<&str> {
    rows.iter().map(|r| r.mode.as_str()).collect()
}

#[tokio::test]
async fn by_default_a_turbine_is_dry_run_nothing_is_written_and_the_decision_is_audited() {
    let sim = sim(0.01, 41).await;
    let b = Bench::new(WriteBackSettings::default(), sim.modbus_addr(0)).await;

    assert_eq!(b.step(target(3.0)).await, Decision::DryRun { would_write_to: 0.5 });
    assert_eq!(b.registers().await, vec![0, 0], "dry-run writes nothing");
    let rows = b.audit().await;
    assert_eq!(modes(&rows), ["dry_run"]);
    let r = &rows[0];
    assert_eq!(
        (r.before_deg, r.before_enable, r.after_deg, r.after_enable),
        (Some(0.0), Some(false), Some(0.5), Some(true))
    );
    assert_eq!((r.target_deg, r.model_version, r.verified), (Some(3.0), Some(7), None));
    assert_eq!(r.actor, "writeback");
    assert!(r.reason.starts_with("dry_run: not in writeback.enabled_turbines"), "{}", r.reason);

    // The dry-run keeps the hourly cadence; the first hold is stored, its repeats are not.
    for _ in 0..5 {
        b.advance(TimeDelta::minutes(1));
        assert!(matches!(b.step(target(3.0)).await, Decision::Hold { reason: HoldReason::RateLimited { .. } }));
    }
    assert_eq!(modes(&b.audit().await), ["dry_run", "hold"]);
    b.advance(TimeDelta::hours(1));
    assert_eq!(b.step(target(3.0)).await, Decision::DryRun { would_write_to: 0.5 }, "the device still holds 0");
    assert_eq!(b.registers().await, vec![0, 0]);
    assert_eq!(modes(&b.audit().await), ["dry_run", "hold", "dry_run"]);
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn an_enabled_turbine_reaches_four_degrees_in_eight_hourly_half_degree_steps() {
    let sim = sim(0.01, 42).await;
    let b = Bench::new(enabled(WriteBackSettings::default()), sim.modbus_addr(0)).await;
    let mut writes = Vec::new();
    for _ in 0..48 {
        if let Decision::Write { to } = b.step(target(4.0)).await {
            writes.push(to);
            assert_eq!(b.registers().await, vec![(to * 100.0).round() as u16, 1]);
        }
        b.advance(TimeDelta::minutes(15));
    }
    let want: Vec<f64> = (1..=8).map(|i| 0.5 * f64::from(i)).collect();
    assert_eq!(writes.len(), 8, "{writes:?}");
    for (w, x) in writes.iter().zip(&want) {
        assert!((w - x).abs() < 1e-9, "{writes:?}");
    }
    assert_eq!(sim.panels()[0].commands.read().unwrap().yaw_offset_deg, 4.0);
    let rows = b.audit().await;
    let written: Vec<_> = rows.iter().filter(|r| r.mode == "write").collect();
    assert_eq!(written.len(), 8);
    assert!(written.iter().all(|r| r.verified == Some(true) && r.after_enable == Some(true)));
    assert_eq!((written[2].before_deg, written[2].after_deg), (Some(1.0), Some(1.5)));
    assert!(written.windows(2).all(|w| w[1].time - w[0].time >= TimeDelta::hours(1)));
    // Holds in between: rate-limited after each write, then at target; never one per round.
    assert!(rows.len() < 8 * 3, "{} rows for 48 rounds", rows.len());
    assert_eq!(rows.last().unwrap().reason.split(':').next(), Some("at_target"));
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn a_negative_target_beyond_the_cap_stops_at_minus_the_cap() {
    let sim = sim(0.01, 43).await;
    let settings = enabled(WriteBackSettings { max_abs_offset_deg: 1.2, ..WriteBackSettings::default() });
    let b = Bench::new(settings, sim.modbus_addr(0)).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(b.step(target(-6.0)).await);
        b.advance(TimeDelta::hours(1));
    }
    assert_eq!(&seen[..2], &[Decision::Write { to: -0.5 }, Decision::Write { to: -1.0 }]);
    assert!(matches!(seen[2], Decision::Write { to } if (to + 1.2).abs() < 1e-9), "{seen:?}");
    assert!(matches!(seen[3], Decision::Hold { reason: HoldReason::AtTarget { .. } }), "{seen:?}");
    assert_eq!(b.registers().await, vec![(-120i16) as u16, 1]);
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn a_step_before_the_interval_has_passed_is_held_and_writes_nothing() {
    let sim = sim(0.01, 44).await;
    let b = Bench::new(enabled(WriteBackSettings::default()), sim.modbus_addr(0)).await;
    assert_eq!(b.step(target(2.0)).await, Decision::Write { to: 0.5 });
    b.advance(TimeDelta::minutes(59));
    assert_eq!(b.step(target(2.0)).await, Decision::Hold { reason: HoldReason::RateLimited { wait_s: 60 } });
    assert_eq!(b.registers().await, vec![50, 1]);
    b.advance(TimeDelta::minutes(1));
    assert_eq!(b.step(target(2.0)).await, Decision::Write { to: 1.0 });
    // A model whose interval is too wide holds, whatever the time.
    b.advance(TimeDelta::hours(2));
    let wide = Target { yaw_offset_deg: 2.0, ci95: [-0.5, 4.5], model_version: 8 };
    let held = b.step(Some(wide)).await;
    assert!(matches!(held, Decision::Hold { reason: HoldReason::IntervalTooWide { .. } }), "{held:?}");
    assert_eq!(b.step(None).await, Decision::Hold { reason: HoldReason::NoModel });
    assert_eq!(b.registers().await, vec![100, 1], "holds leave the controller as it is");
    assert_eq!(modes(&b.audit().await), ["write", "hold", "write", "hold", "hold"]);
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn a_device_that_ignores_writes_is_recorded_as_a_failed_write_and_not_retried_at_once() {
    let device = IgnoringDevice::start().await;
    let b = Bench::new(enabled(WriteBackSettings::default()), device.addr).await;
    let err = b.wb.step(&t01(), target(2.0)).await.unwrap_err();
    assert!(matches!(err, WriteBackError::WriteFailed { .. }), "{err}");
    assert!(err.to_string().contains("T01") && err.to_string().contains("read-back mismatch"), "{err}");
    assert_eq!(device.writes(), 1);
    let rows = b.audit().await;
    assert_eq!(modes(&rows), ["failed"]);
    assert_eq!((rows[0].verified, rows[0].after_deg, rows[0].after_enable), (Some(false), Some(0.0), Some(false)));
    assert!(rows[0].reason.contains("wrote offset +0.50 deg enable 1, read +0.00 deg enable 0"), "{}", rows[0].reason);

    // No retry storm: the next rounds within the hour hold without touching the device.
    for _ in 0..10 {
        b.advance(TimeDelta::minutes(1));
        assert!(matches!(b.step(target(2.0)).await, Decision::Hold { reason: HoldReason::RateLimited { .. } }));
    }
    assert_eq!(device.writes(), 1);
    b.advance(TimeDelta::hours(1));
    assert!(b.wb.step(&t01(), target(2.0)).await.is_err(), "tried again an hour later");
    assert_eq!(device.writes(), 2);
    assert_eq!(modes(&b.audit().await), ["failed", "hold", "failed"]);
    b.db.drop_now().await;
}

#[tokio::test]
async fn a_write_the_controller_refuses_is_recorded_as_failed_with_the_exception() {
    let sim = sim(0.01, 45).await;
    // Guardrails loose enough to ask for 48 deg, beyond the simulated controller's 45 deg limit.
    let loose = WriteBackSettings {
        max_abs_offset_deg: 60.0,
        max_step_deg: 60.0,
        max_ci95_width_deg: 5.0,
        ..WriteBackSettings::default()
    };
    let b = Bench::new(enabled(loose), sim.modbus_addr(0)).await;
    let err = b.wb.step(&t01(), target(48.0)).await.unwrap_err().to_string();
    assert!(
        err.contains("T01") && err.contains("holding registers 100-101") && err.contains("IllegalDataValue"),
        "{err}"
    );
    assert!(err.contains("yaw_offset_deg = +48.00 deg"), "{err}");
    assert_eq!(b.registers().await, vec![0, 0]);
    let rows = b.audit().await;
    assert_eq!((modes(&rows), rows[0].verified), (vec!["failed"], Some(false)));
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn revert_writes_zero_and_correction_off_at_once_and_is_audited() {
    let sim = sim(0.01, 46).await;
    let b = Bench::new(enabled(WriteBackSettings::default()), sim.modbus_addr(0)).await;
    assert_eq!(b.step(target(-3.0)).await, Decision::Write { to: -0.5 });
    // Immediately after a write: the rate limit and step cap do not apply to a revert.
    let reverted = b.wb.revert(&t01(), "token:ops").await.unwrap();
    assert_eq!(reverted.before, Some(DeviceState { yaw_offset_deg: -0.5, correction_enable: true }));
    assert_eq!(reverted.after, DeviceState { yaw_offset_deg: 0.0, correction_enable: false });
    assert_eq!(b.registers().await, vec![0, 0]);
    let rows = b.audit().await;
    let r = rows.last().unwrap();
    assert_eq!((r.mode.as_str(), r.actor.as_str(), r.verified), ("revert", "token:ops", Some(true)));
    assert_eq!(
        (r.before_deg, r.before_enable, r.after_deg, r.after_enable),
        (Some(-0.5), Some(true), Some(0.0), Some(false))
    );
    assert_eq!((r.target_deg, r.model_version), (None, None));
    // The revert latches: the loop does not step again (guards.rs: until an operator re-enables).
    assert!(matches!(b.step(target(-3.0)).await, Decision::Hold { reason: HoldReason::Reverted(_) }));
    assert_eq!(b.registers().await, vec![0, 0]);
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn turbines_without_command_registers_and_unknown_enabled_names_are_refused() {
    let pool = sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
    let mut map = RegisterMap::generic();
    map.commands.correction_enable = None;
    let modbus = ModbusSource { host: "127.0.0.1".into(), port: 502, unit_id: 1, register_map: map };
    let turbine = WriteBackTurbine { name: t01(), turbine_id: 1, modbus: modbus.clone() };
    let err = WriteBack::new(pool.clone(), WriteBackSettings::default(), vec![turbine]).err().unwrap().to_string();
    assert!(err.contains("T01") && err.contains("commands.correction_enable"), "{err}");

    let generic = ModbusSource { register_map: RegisterMap::generic(), ..modbus };
    let turbine = WriteBackTurbine { name: t01(), turbine_id: 1, modbus: generic };
    let typo = WriteBackSettings { enabled_turbines: vec!["T1".into()], ..WriteBackSettings::default() };
    let err = WriteBack::new(pool, typo, vec![turbine]).err().unwrap().to_string();
    assert!(err.contains("writeback.enabled_turbines") && err.contains("\"T1\""), "{err}");
}
