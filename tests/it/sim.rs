//! The simulated farm over real sockets: what its Modbus servers serve, how they refuse bad
//! requests, turbines going offline and back, write-back changing how a turbine points, the
//! truth file, and a third-party client (pymodbus) reading the same values.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::*;
use trueyaw::domain::{RegisterMap, Signal};
use trueyaw::sim::farm::{self, SimHandle, SimOptions, SimProfile};
use trueyaw::sim::truth::Truth;

use crate::support::farm::{python, python_has};

/// A farm on ephemeral ports. At `speedup` 0.01 the first physics step comes after 100 s,
/// so the panels hold still for the whole test and reads can be compared exactly.
async fn start(turbines: usize, seed: u64, speedup: f64) -> SimHandle {
    crate::support::sim::clean_farm(turbines, seed, speedup, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()).await
}

async fn connect(addr: SocketAddr, unit: u8) -> Context {
    tokio_modbus::client::tcp::connect_slave(addr, Slave(unit)).await.expect("connect to simulated turbine")
}

/// Asserts `got` is `want` to the register's resolution (half a scale step, f32 for floats).
fn assert_close(s: Signal, got: Option<f64>, want: Option<f64>) {
    let map = RegisterMap::generic();
    let tolerance = map.signals[&s].scale / 2.0 + want.unwrap_or(0.0).abs() * 1e-6 + 1e-9;
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tolerance, "{s:?}: served {g}, panel {w}"),
        (g, w) => assert_eq!(g, w, "{s:?}"),
    }
}

#[tokio::test]
async fn input_registers_decode_to_the_panel_outputs() {
    let sim = start(3, 21, 0.01).await;
    let map = RegisterMap::generic();
    for i in 0..3 {
        let mut ctx = connect(sim.modbus_addr(i), 1).await;
        let words = ctx.read_input_registers(0, 8).await.unwrap().unwrap();
        let out = sim.panels()[i].outputs.read().unwrap().clone();
        assert!(out.wind_speed_ms.is_some() && out.power_kw.is_some(), "clean profile serves every signal");
        for s in Signal::ALL {
            assert_close(s, map.decode(&map.signals[&s], 0, &words).unwrap(), out.get(s));
        }
        // Any sub-range inside the map works, e.g. just the two words of power.
        let power = ctx.read_input_registers(3, 2).await.unwrap().unwrap();
        assert_eq!(power, words[3..5]);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn requests_outside_the_map_get_modbus_exceptions() {
    let sim = start(1, 22, 0.01).await;
    let mut ctx = connect(sim.modbus_addr(0), 1).await;
    assert_eq!(ctx.read_input_registers(6, 4).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(ctx.read_input_registers(8, 1).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(ctx.read_holding_registers(0, 2).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(ctx.write_single_register(102, 1).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(ctx.write_single_register(101, 2).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    // 50 degrees is beyond the controller's ±45 degree limit; an all-or-nothing write keeps
    // the valid enable word from being applied either.
    assert_eq!(ctx.write_multiple_registers(100, &[5000, 1]).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(ctx.read_holding_registers(100, 2).await.unwrap(), Ok(vec![0, 0]));
    assert_eq!(ctx.read_coils(0, 1).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    // The connection survives exceptions.
    assert!(ctx.read_input_registers(0, 8).await.unwrap().is_ok());

    let mut wrong_unit = connect(sim.modbus_addr(0), 7).await;
    assert_eq!(wrong_unit.read_input_registers(0, 8).await.unwrap(), Err(ExceptionCode::GatewayTargetDevice));
    let mut tcp_device = connect(sim.modbus_addr(0), 0xFF).await;
    assert!(tcp_device.read_input_registers(0, 8).await.unwrap().is_ok(), "unit 255 addresses the device itself");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stopped_turbine_refuses_connections_until_it_is_restarted() {
    let sim = start(2, 23, 1.0).await;
    let (t01, t02) = (sim.modbus_addr(0), sim.modbus_addr(1));
    let mut open = connect(t02, 1).await;
    assert!(open.read_input_registers(0, 8).await.unwrap().is_ok());

    sim.stop_turbine(1).await;
    let dropped = tokio::time::timeout(Duration::from_secs(2), open.read_input_registers(0, 8)).await;
    assert!(!matches!(dropped, Ok(Ok(Ok(_)))), "the open connection is dropped: {dropped:?}");
    assert!(tokio::net::TcpStream::connect(t02).await.is_err(), "T02 refuses connections while stopped");
    assert!(connect(t01, 1).await.read_input_registers(0, 8).await.unwrap().is_ok(), "T01 is unaffected");

    sim.restart_turbine(1).await;
    assert_eq!(sim.modbus_addr(1), t02, "same port after restart");
    assert!(connect(t02, 1).await.read_input_registers(0, 8).await.unwrap().is_ok());
    sim.shutdown().await;
}

/// Waits until the simulation has passed `sim_s` simulated seconds.
async fn wait_until(sim: &SimHandle, sim_s: u64) {
    while sim.true_state(0).sim_time_s < sim_s {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Mean true misalignment while operating over the next `hours` simulated hours, after
/// letting the controller settle for one.
async fn mean_gamma(sim: &SimHandle, hours: u64) -> f64 {
    let now = sim.true_state(0).sim_time_s;
    wait_until(sim, now + 3600).await;
    let a = sim.true_state(0);
    wait_until(sim, a.sim_time_s + hours * 3600).await;
    let b = sim.true_state(0);
    let steps = b.operating_steps - a.operating_steps;
    assert!(steps > hours * 1800, "the turbine operated only {steps} s");
    (b.operating_gamma_sum_deg - a.operating_gamma_sum_deg) / steps as f64
}

#[tokio::test]
async fn a_yaw_offset_command_turns_the_rotor_by_that_offset() {
    let sim = start(1, 4, 20_000.0).await; // seed 4: good wind for the whole test
    let k = sim.truth().turbines[0].gain_k;
    let before = mean_gamma(&sim, 4).await;

    let mut ctx = connect(sim.modbus_addr(0), 1).await;
    ctx.write_multiple_registers(100, &[1000, 1]).await.unwrap().unwrap();
    assert_eq!(ctx.read_holding_registers(100, 2).await.unwrap(), Ok(vec![1000, 1]));
    wait_until(&sim, sim.true_state(0).sim_time_s + 2).await;
    assert_eq!(sim.true_state(0).applied_offset_deg, 10.0);
    let after = mean_gamma(&sim, 4).await;

    // The controller steers vane - offset to zero: (1 + k) gamma + e = offset.
    let shift = after - before;
    let want = 10.0 / (1.0 + k);
    assert!(
        (shift - want).abs() < 2.0,
        "mean misalignment moved {shift:.2} deg ({before:.2} -> {after:.2}), want {want:.2}"
    );

    // Switching correction off brings the old pointing back.
    ctx.write_single_register(101, 0).await.unwrap().unwrap();
    let off = mean_gamma(&sim, 4).await;
    assert!((off - before).abs() < 2.0, "with correction disabled {off:.2}, before {before:.2}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_truth_file_is_written_at_start_and_matches_the_handle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.json");
    let opts = SimOptions {
        turbines: 4,
        base_port: 0,
        seed: 25,
        speedup: 0.01,
        truth_path: Some(path.clone()),
        ..SimOptions::default()
    };
    let sim = farm::start(opts).await.unwrap();
    let written = Truth::read(&path).unwrap();
    let live = sim.truth();
    assert_eq!(written.seed, 25);
    assert_eq!(written.turbines.len(), 4);
    assert_eq!(written.turbines[3].name.as_str(), "T04");
    assert_eq!(written.planned_until, live.planned_until);
    for (w, l) in written.turbines.iter().zip(&live.turbines) {
        assert!((w.static_offset_deg - l.static_offset_deg).abs() < 1e-12);
        assert_eq!(w.vane_error_by_bin.len(), l.vane_error_by_bin.len());
        assert!(w.drift_events.len() == l.drift_events.len() && w.outages.len() == l.outages.len());
    }
    sim.shutdown().await;
    assert!(Truth::read(&path).is_ok(), "the final truth is written at shutdown");
}

#[tokio::test]
async fn pymodbus_reads_the_values_on_the_panel() {
    if !python_has("pymodbus") {
        return;
    }
    let sim = start(2, 26, 0.01).await;
    let addr = sim.modbus_addr(1);
    let mut ctx = connect(addr, 1).await;
    ctx.write_multiple_registers(100, &[(-350i16) as u16, 1]).await.unwrap().unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/read_simulator.py");
    let output = tokio::process::Command::new(python())
        .args([script, &addr.ip().to_string(), &addr.port().to_string(), "1"])
        .output()
        .await
        .expect("run read_simulator.py");
    assert!(output.status.success(), "read_simulator.py failed: {}", String::from_utf8_lossy(&output.stderr));
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON from read_simulator.py");
    let out = sim.panels()[1].outputs.read().unwrap().clone();
    for s in Signal::ALL {
        assert_close(s, read[s.name()].as_f64(), out.get(s));
    }
    assert_eq!(read["yaw_offset_deg"].as_f64(), Some(-3.5));
    assert_eq!(read["correction_enable"].as_u64(), Some(1));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_farm_also_serves_opcua_when_asked() {
    let sim = farm::start(SimOptions {
        turbines: 2,
        base_port: 0,
        opcua_port: Some(0),
        speedup: 0.01,
        profile: SimProfile::clean(),
        ..SimOptions::default()
    })
    .await
    .expect("farm with OPC UA starts");
    let endpoint = sim.opcua_endpoint().expect("an OPC UA endpoint");
    let addr: SocketAddr = endpoint.trim_start_matches("opc.tcp://").trim_end_matches('/').parse().unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{endpoint}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok(), "OPC UA server listens at {endpoint}");
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown()).await.expect("shutdown with OPC UA completes");
}
