//! The SCADA Modbus server over real sockets: register values, exceptions, a third-party client
//! (pymodbus), bad frames, idle and half-open connections, the connection cap, many connections
//! and shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_modbus::client::Context;
use tokio_modbus::prelude::*;
use tokio_util::sync::CancellationToken;
use trueyaw::serve::scada::{ScadaLimits, ScadaServer, ScadaSource, ScadaStatus, ScadaValues};

use crate::support::farm::{python, python_has};

/// Fixed values per unit id.
struct FakeSource(HashMap<u8, ScadaValues>);

impl ScadaSource for FakeSource {
    fn values(&self, unit_id: u8) -> Option<ScadaValues> {
        self.0.get(&unit_id).copied()
    }
}

/// Unit 1: an ordinary turbine with negative angles. Unit 2: out-of-range values and gaps.
fn fake_source() -> Arc<FakeSource> {
    let t1 = ScadaValues {
        corrected_relative_deg: Some(-4.237),
        corrected_absolute_deg: Some(271.456),
        yaw_offset_deg: Some(-3.5),
        ci95_half_width_deg: Some(0.42),
        model_version: Some(12),
        reading_age_s: Some(1.7),
        status: ScadaStatus::Ok,
    };
    let t2 = ScadaValues {
        corrected_relative_deg: Some(-500.0),
        corrected_absolute_deg: None,
        yaw_offset_deg: None,
        ci95_half_width_deg: Some(900.0),
        model_version: None,
        reading_age_s: Some(1e6),
        status: ScadaStatus::Stale,
    };
    Arc::new(FakeSource(HashMap::from([(1, t1), (2, t2)])))
}

/// The words expected for unit 1 and unit 2 of [`fake_source`].
const UNIT1_WORDS: [u16; 7] = [(-424i16) as u16, 27146, (-350i16) as u16, 42, 12, 1, 0];
const UNIT2_WORDS: [u16; 7] = [(-32767i16) as u16, 0xFFFF, 0x8000, 65534, 0xFFFF, 65535, 1];

struct Running {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    server_requests: Arc<std::sync::atomic::AtomicU64>,
    server_exceptions: Arc<std::sync::atomic::AtomicU64>,
}

impl Running {
    async fn shutdown(self) {
        self.stop.cancel();
        let ended = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        ended.expect("SCADA server stops within 5 s").expect("server task").expect("server run");
    }
}

async fn start() -> Running {
    start_with(ScadaLimits::default()).await
}

async fn start_with(limits: ScadaLimits) -> Running {
    let server = ScadaServer::bind("127.0.0.1:0".parse().unwrap(), fake_source())
        .await
        .expect("bind port 0")
        .with_limits(limits);
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    let (server_requests, server_exceptions) = (server.requests_served(), server.exceptions_sent());
    let stop = CancellationToken::new();
    let task = tokio::spawn(server.run(stop.clone()));
    Running { addr, stop, task, server_requests, server_exceptions }
}

async fn connect(addr: SocketAddr, unit: u8) -> Context {
    tokio_modbus::client::tcp::connect_slave(addr, Slave(unit)).await.expect("connect to the SCADA server")
}

#[tokio::test]
async fn a_controller_reads_the_encoded_registers_of_each_unit() {
    let server = start().await;
    let mut ctx = connect(server.addr, 1).await;
    assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
    assert_eq!(ctx.read_input_registers(2, 3).await.unwrap(), Ok(UNIT1_WORDS[2..5].to_vec()));
    ctx.set_slave(Slave(2));
    assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Ok(UNIT2_WORDS.to_vec()));
    assert_eq!(server.server_requests.load(Ordering::Relaxed), 3);
    assert_eq!(server.server_exceptions.load(Ordering::Relaxed), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn refused_requests_get_the_documented_exception_and_the_connection_stays_usable() {
    let server = start().await;
    let mut ctx = connect(server.addr, 1).await;
    assert_eq!(ctx.read_input_registers(5, 3).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(ctx.read_input_registers(0, 0).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(ctx.read_input_registers(0, 126).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(ctx.read_holding_registers(0, 7).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    assert_eq!(ctx.write_single_register(0, 5).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    assert_eq!(ctx.write_multiple_registers(0, &[1, 2]).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    assert_eq!(ctx.read_coils(0, 1).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    ctx.set_slave(Slave(9));
    assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Err(ExceptionCode::GatewayTargetDevice));
    ctx.set_slave(Slave(1));
    assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
    assert_eq!(server.server_requests.load(Ordering::Relaxed), 9);
    assert_eq!(server.server_exceptions.load(Ordering::Relaxed), 8);
    server.shutdown().await;
}

#[tokio::test]
async fn pymodbus_reads_two_units_and_is_refused_the_rest() {
    if !python_has("pymodbus") {
        return;
    }
    let server = start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/scada_client.py");
    let (host, port) = (server.addr.ip().to_string(), server.addr.port().to_string());
    let output = tokio::process::Command::new(python())
        .args([script, &host, &port, "7", "1", "2"])
        .output()
        .await
        .expect("run scada_client.py");
    assert!(output.status.success(), "scada_client.py failed: {}", String::from_utf8_lossy(&output.stderr));
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON from scada_client.py");
    let raw = |unit: &str| -> Vec<u16> { serde_json::from_value(read["units"][unit]["raw"].clone()).unwrap() };
    assert_eq!(raw("1"), UNIT1_WORDS);
    assert_eq!(raw("2"), UNIT2_WORDS);
    let t1 = &read["units"]["1"];
    assert!((t1["corrected_relative_deg"].as_f64().unwrap() + 4.24).abs() < 1e-9, "{t1}");
    assert!((t1["yaw_offset_deg"].as_f64().unwrap() + 3.5).abs() < 1e-9, "{t1}");
    assert!(read["units"]["2"]["yaw_offset_deg"].is_null(), "the i16 sentinel reads as missing");
    assert!(read["units"]["2"]["model_version"].is_null(), "the u16 sentinel reads as missing");
    assert_eq!(read["unknown_unit"], 0x0B, "{read}");
    assert_eq!(read["out_of_range"], 0x02, "{read}");
    assert_eq!(read["write"], 0x01, "{read}");
    server.shutdown().await;
}

/// Sends `bytes` on a fresh raw connection and returns it.
async fn raw_connection(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s
}

/// True when the server closes `s` (EOF or reset) within `wait`.
async fn closed_by_server(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(wait, s.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

#[tokio::test]
async fn garbage_and_half_frames_do_not_disturb_other_connections() {
    let server = start().await;
    let mut good = connect(server.addr, 1).await;
    assert_eq!(good.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));

    // Half a frame: the header announces 6 bytes, only 2 arrive. The server waits for the rest.
    let mut half = raw_connection(server.addr, &[0, 1, 0, 0, 0, 6, 1, 0x04, 0x00]).await;
    // Not Modbus: an HTTP request. Its "length field" asks for 12 KiB more, so the server waits;
    // the point is that it harms nobody.
    let _http = raw_connection(server.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    // A complete frame with protocol id 0x1234 instead of 0: the server drops this connection.
    let mut garbage = raw_connection(server.addr, &[0, 1, 0x12, 0x34, 0, 6, 1, 0x04, 0, 0, 0, 7]).await;
    // A read-input-registers PDU one byte short: undecodable, also dropped.
    let mut short = raw_connection(server.addr, &[0, 2, 0, 0, 0, 5, 1, 0x04, 0x00, 0x00, 0x00]).await;
    // A zero length field.
    let mut zero = raw_connection(server.addr, &[0, 3, 0, 0, 0, 0, 1, 0xAB]).await;

    assert!(closed_by_server(&mut garbage, Duration::from_secs(2)).await, "garbage connection closed");
    assert!(closed_by_server(&mut short, Duration::from_secs(2)).await, "short PDU connection closed");
    assert!(closed_by_server(&mut zero, Duration::from_secs(2)).await, "zero length connection closed");
    assert!(!closed_by_server(&mut half, Duration::from_millis(200)).await, "half frame still awaits its end");

    // The good connection and new ones are unaffected.
    for _ in 0..3 {
        assert_eq!(good.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
    }
    let mut fresh = connect(server.addr, 2).await;
    assert_eq!(fresh.read_input_registers(6, 1).await.unwrap(), Ok(vec![1]));

    // The rest of the half frame completes a valid request, answered on that connection.
    half.write_all(&[0x00, 0x00, 0x07]).await.unwrap();
    let mut answer = [0u8; 7 + 2 + 14];
    tokio::time::timeout(Duration::from_secs(2), half.read_exact(&mut answer)).await.unwrap().unwrap();
    assert_eq!(&answer[..9], &[0, 1, 0, 0, 0, 17, 1, 0x04, 14]);
    assert_eq!(u16::from_be_bytes([answer[9], answer[10]]), UNIT1_WORDS[0]);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_function_code_in_a_raw_frame_is_illegal_function() {
    let server = start().await;
    // Function 0x41 (user-defined) with two data bytes, unit 1.
    let mut s = raw_connection(server.addr, &[0, 9, 0, 0, 0, 4, 1, 0x41, 0xDE, 0xAD]).await;
    let mut answer = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut answer)).await.unwrap().unwrap();
    assert_eq!(answer, [0, 9, 0, 0, 0, 3, 1, 0xC1, 0x01]);
    server.shutdown().await;
}

#[tokio::test]
async fn many_controllers_poll_at_once() {
    let server = start().await;
    let clients: Vec<_> = (0..64u8)
        .map(|i| {
            let addr = server.addr;
            tokio::spawn(async move {
                let unit = 1 + i % 2;
                let mut ctx = connect(addr, unit).await;
                for _ in 0..20 {
                    let words = ctx.read_input_registers(0, 7).await.unwrap().unwrap();
                    assert_eq!(words, if unit == 1 { UNIT1_WORDS } else { UNIT2_WORDS });
                }
            })
        })
        .collect();
    for c in clients {
        c.await.expect("client task");
    }
    assert_eq!(server.server_requests.load(Ordering::Relaxed), 64 * 20);
    server.shutdown().await;
}

#[tokio::test]
async fn stopping_the_server_closes_connections_and_the_port() {
    let server = start().await;
    let addr = server.addr;
    let mut ctx = connect(addr, 1).await;
    assert!(ctx.read_input_registers(0, 7).await.unwrap().is_ok());
    let mut idle = raw_connection(addr, &[]).await;
    server.shutdown().await;
    assert!(closed_by_server(&mut idle, Duration::from_secs(2)).await, "open connections are closed on stop");
    let after = tokio::time::timeout(Duration::from_secs(2), ctx.read_input_registers(0, 7)).await;
    assert!(matches!(after, Ok(Err(_))), "a read after stop fails at once: {after:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "nothing listens after stop");
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_and_a_polling_one_is_kept() {
    let limits = ScadaLimits {
        idle_timeout: Duration::from_millis(1500),
        frame_timeout: Duration::from_millis(500),
        ..ScadaLimits::default()
    };
    let server = start_with(limits).await;
    let mut polling = connect(server.addr, 1).await;
    let mut idle = raw_connection(server.addr, &[]).await;
    // Half a frame, then a byte at a time: the frame deadline runs from the first byte.
    let mut half = raw_connection(server.addr, &[0, 1, 0, 0, 0, 6, 1]).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let _ = half.write_all(&[0x04]).await;
    }
    assert!(closed_by_server(&mut half, Duration::from_millis(500)).await, "half frame closed after 0.5 s");
    // A controller polling every 0.4 s outlives the idle deadline several times over.
    for _ in 0..8 {
        assert_eq!(polling.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(closed_by_server(&mut idle, Duration::from_millis(100)).await, "silent connection closed after 1.5 s");
    assert_eq!(polling.read_input_registers(6, 1).await.unwrap(), Ok(vec![UNIT1_WORDS[6]]));
    server.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_those_open_are_served() {
    let server = start_with(ScadaLimits { max_connections: 3, ..ScadaLimits::default() }).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut ctx = connect(server.addr, 1).await;
        assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
        open.push(ctx);
    }
    let mut extra = raw_connection(server.addr, &[]).await;
    assert!(closed_by_server(&mut extra, Duration::from_secs(2)).await, "the fourth connection is closed");
    for ctx in &mut open {
        assert_eq!(ctx.read_input_registers(0, 7).await.unwrap(), Ok(UNIT1_WORDS.to_vec()));
    }
    // A closed connection frees its place.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect(server.addr, 2).await;
    assert_eq!(again.read_input_registers(6, 1).await.unwrap(), Ok(vec![1]));
    server.shutdown().await;
}
