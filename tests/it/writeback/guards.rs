//! The guards a utility asks of anything that writes to a turbine from more than one place: a
//! revert that latches until an operator re-enables, across a restart of the process, and one
//! writing process per turbine, with the turbine taken over when the writer goes away.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use trueyaw::config::ModbusSource;
use trueyaw::domain::RegisterMap;
use trueyaw::serve::writeback::{Decision, HoldReason, WriteBack, WriteBackSettings, WriteBackTurbine};

use super::{Bench, enabled, modes, sim, t01, target};

/// A second write-back process on the same database and turbine as `b`, with `b`'s clock.
fn second_process(b: &Bench, settings: WriteBackSettings) -> WriteBack {
    let modbus = ModbusSource {
        host: b.addr.ip().to_string(),
        port: b.addr.port(),
        unit_id: 1,
        register_map: RegisterMap::generic(),
    };
    let turbine = WriteBackTurbine { name: t01(), turbine_id: b.turbine_id, modbus };
    let clock = b.now.clone();
    WriteBack::new(b.db.pool.clone(), settings, vec![turbine])
        .unwrap()
        .with_clock(Arc::new(move || *clock.lock().unwrap()))
        .with_request_timeout(Duration::from_secs(2))
}

fn hold_code(d: &Decision) -> &'static str {
    match d {
        Decision::Hold { reason } => reason.code(),
        other => panic!("expected a hold, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revert_latches_across_a_restart_until_an_operator_re_enables() {
    let sim = sim(0.01, 47).await;
    let b = Bench::new(enabled(WriteBackSettings::default()), sim.modbus_addr(0)).await;
    assert_eq!(b.step(target(3.0)).await, Decision::Write { to: 0.5 });
    b.wb.revert(&t01(), "token:ops").await.unwrap();

    // Hours later, and in a new process reading the same database: held, nothing written.
    b.advance(TimeDelta::hours(5));
    let Decision::Hold { reason: HoldReason::Reverted(latch) } = b.step(target(3.0)).await else {
        panic!("a reverted turbine must hold");
    };
    assert_eq!(latch.actor, "token:ops");
    let restarted = second_process(&b, enabled(WriteBackSettings::default()));
    assert_eq!(hold_code(&restarted.step(&t01(), target(3.0)).await.unwrap()), "reverted");
    assert_eq!(b.registers().await, vec![0, 0]);
    assert_eq!(restarted.latch(&t01()).await.unwrap().map(|l| l.actor), Some("token:ops".to_string()));

    // Re-enabled by an operator: writes nothing itself, and the next round steps from 0 again.
    let lifted = restarted.enable(&t01(), "token:lead").await.unwrap();
    assert_eq!(lifted.map(|l| l.actor), Some("token:ops".to_string()));
    assert_eq!(restarted.enable(&t01(), "token:lead").await.unwrap(), None, "nothing left to lift");
    assert_eq!(b.registers().await, vec![0, 0]);
    assert_eq!(b.step(target(3.0)).await, Decision::Write { to: 0.5 });
    let rows = b.audit().await;
    assert_eq!(modes(&rows), ["write", "revert", "hold", "enable", "write"]);
    let enable = &rows[3];
    assert_eq!(enable.actor, "token:lead");
    assert!(enable.reason.contains("token:ops"), "{}", enable.reason);
    assert!(rows[2].reason.starts_with("reverted: reverted by token:ops"), "{}", rows[2].reason);
    sim.shutdown().await;
    b.db.drop_now().await;
}

#[tokio::test]
async fn one_process_writes_to_a_turbine_and_another_takes_over_when_it_goes() {
    let sim = sim(0.01, 48).await;
    let settings = enabled(WriteBackSettings::default());
    let b = Bench::new(settings.clone(), sim.modbus_addr(0)).await;
    let first = second_process(&b, settings.clone());
    let second = second_process(&b, settings);

    assert_eq!(first.step(&t01(), target(3.0)).await.unwrap(), Decision::Write { to: 0.5 });
    b.advance(TimeDelta::hours(2));
    assert_eq!(second.step(&t01(), target(3.0)).await.unwrap(), Decision::Hold { reason: HoldReason::OtherWriter });
    assert_eq!(b.registers().await, vec![50, 1], "the second process wrote nothing");
    assert_eq!(first.step(&t01(), target(3.0)).await.unwrap(), Decision::Write { to: 1.0 }, "the holder goes on");

    // The holder stops (its lock connection closes, as when the process is killed).
    drop(first);
    b.advance(TimeDelta::hours(2));
    let mut decision = Decision::Hold { reason: HoldReason::OtherWriter };
    for _ in 0..100 {
        decision = second.step(&t01(), target(3.0)).await.unwrap();
        if decision != (Decision::Hold { reason: HoldReason::OtherWriter }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(decision, Decision::Write { to: 1.5 }, "the other process takes the turbine over");
    assert_eq!(b.registers().await, vec![150, 1]);
    sim.shutdown().await;
    b.db.drop_now().await;
}
