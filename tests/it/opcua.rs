//! The OPC UA source against real sockets on 127.0.0.1: the simulator's own server (values,
//! missing values, a restart on the same port, a link that freezes mid-session), a port with
//! nothing behind it, a server that accepts and never answers, and a third-party peer (Python
//! asyncua). No database involved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch::Receiver;
use tokio_util::sync::CancellationToken;
use trueyaw::config::{OpcUaSource, PollSettings};
use trueyaw::domain::{Quality, Reading, Signal, TurbineName};
use trueyaw::ingest::opcua::OpcUaReader;
use trueyaw::sim::{Panels, TurbineOutputs, TurbinePanel, opcua_server};

use crate::support::farm::{free_port, python_has, spawn_python_peer};

/// Generous enough for a loaded CI machine, short enough that failures show in seconds.
fn poll_settings() -> PollSettings {
    PollSettings { interval_ms: 200, timeout_ms: 1000, connect_timeout_ms: 2000, ..PollSettings::default() }
}

/// A source with the default node naming of `docs/domain.md`.
fn source(endpoint: String, turbine: &str) -> OpcUaSource {
    let nodes = Signal::ALL.iter().map(|s| (*s, format!("ns=2;s={turbine}.{}", s.opcua_field()))).collect();
    OpcUaSource { endpoint, nodes }
}

fn reader(addr: SocketAddr, turbine: &str) -> OpcUaReader {
    OpcUaReader::new(&source(format!("opc.tcp://{addr}"), turbine), &poll_settings())
}

fn outputs(seed: f64) -> TurbineOutputs {
    TurbineOutputs {
        wind_speed_ms: Some(7.5 + seed),
        vane_deg: Some(-3.2 - seed),
        nacelle_deg: Some(271.3 + seed),
        power_kw: Some(1234.5 + 100.0 * seed),
        rotor_rpm: Some(13.1 + seed / 10.0),
        pitch_deg: Some(0.75 + seed),
        state: 1,
    }
}

fn panels(outputs: &[TurbineOutputs]) -> Panels {
    outputs.iter().map(|o| TurbinePanel { outputs: o.clone().into(), ..Default::default() }).collect::<Vec<_>>().into()
}

fn names(n: usize) -> Vec<TurbineName> {
    (1..=n).map(TurbineName::numbered).collect()
}

/// Asserts every signal of `r` equals `want` to f32 precision.
fn assert_reads(r: &Reading, want: &TurbineOutputs) {
    let expected = [
        (Signal::WindSpeed, want.wind_speed_ms),
        (Signal::Vane, want.vane_deg),
        (Signal::NacellePosition, want.nacelle_deg),
        (Signal::Power, want.power_kw),
        (Signal::RotorSpeed, want.rotor_rpm),
        (Signal::Pitch, want.pitch_deg),
        (Signal::State, Some(f64::from(want.state))),
    ];
    for (signal, value) in expected {
        match (r.get(signal), value) {
            (Some(got), Some(v)) => {
                assert!((got - v).abs() <= 1e-6 * v.abs().max(1.0), "{signal:?}: served {v}, read {got}")
            }
            (got, v) => assert_eq!(got, v, "{signal:?}"),
        }
    }
}

/// Polls until `done` holds for the reading, or panics after `limit`.
async fn poll_until(reader: &mut OpcUaReader, limit: Duration, done: impl Fn(&Reading) -> bool) -> Reading {
    let deadline = Instant::now() + limit;
    loop {
        let r = reader.poll(1, Utc::now()).await;
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "gave up after {limit:?}; last {:?} ({:?})", r, reader.last_failure());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_reader_reads_what_the_simulator_serves_for_each_turbine() {
    let served = [outputs(0.0), outputs(1.0)];
    let stop = CancellationToken::new();
    let (addr, task) = opcua_server::spawn("127.0.0.1:0".parse().unwrap(), names(2), panels(&served), stop.clone())
        .await
        .expect("start OPC UA server");
    assert_ne!(addr.port(), 0);
    for (i, want) in served.iter().enumerate() {
        let mut reader = reader(addr, TurbineName::numbered(i + 1).as_str());
        assert_eq!(reader.describe(), format!("opcua:opc.tcp://{addr}"));
        let time = Utc::now();
        let r = reader.poll(42, time).await;
        assert_eq!(r.quality, Quality::GOOD, "{:?} ({:?})", r.quality.names(), reader.last_failure());
        assert_eq!((r.turbine_id, r.time), (42, time));
        assert_reads(&r, want);
        reader.close().await;
    }
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("server stops when cancelled").unwrap();
}

#[tokio::test]
async fn a_missing_output_reads_as_missing_while_the_other_signals_still_arrive() {
    let served = panels(&[outputs(0.0)]);
    let stop = CancellationToken::new();
    let (addr, _task) =
        opcua_server::spawn("127.0.0.1:0".parse().unwrap(), names(1), served.clone(), stop.clone()).await.unwrap();
    let mut reader = reader(addr, "T01");
    assert!(reader.poll(1, Utc::now()).await.quality.is_good());

    let mut changed = outputs(2.0);
    changed.vane_deg = None;
    *served[0].outputs.write().unwrap() = changed.clone();
    // The server copies panels into its address space periodically: wait for the change.
    let r = poll_until(&mut reader, Duration::from_secs(3), |r| r.vane_deg.is_none()).await;
    assert_eq!(r.quality, Quality::MISSING, "{:?}", r.quality.names());
    assert_reads(&r, &changed);
    stop.cancel();
}

#[tokio::test]
async fn an_address_with_nothing_listening_is_a_connection_failure_not_a_hang() {
    let mut reader = reader(format!("127.0.0.1:{}", free_port()).parse().unwrap(), "T01");
    for _ in 0..2 {
        let started = Instant::now();
        let r = reader.poll(1, Utc::now()).await;
        assert_eq!(r.quality, Quality::CONNECTION, "{:?}", reader.last_failure());
        assert!(r.wind_speed_ms.is_none() && r.state.is_none());
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn a_server_that_accepts_but_never_answers_costs_one_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut reader = reader(addr, "T01");
    let started = Instant::now();
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::TIMEOUT, "{:?}", reader.last_failure());
    let budget = poll_settings().connect_timeout() + Duration::from_millis(500);
    assert!(started.elapsed() < budget, "took {:?}", started.elapsed());
    silent.abort();
}

/// A TCP relay to `upstream` that can be frozen: while frozen it holds every byte, like a
/// server that hung or a link that died without closing.
async fn freezable_relay(upstream: SocketAddr) -> (SocketAddr, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (frozen, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { continue };
            let ((cr, cw), (sr, sw)) = (client.into_split(), server.into_split());
            tokio::spawn(pump(cr, sw, watch.clone()));
            tokio::spawn(pump(sr, cw, watch.clone()));
        }
    });
    (addr, frozen)
}

async fn pump(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, mut frozen: Receiver<bool>) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        if frozen.wait_for(|f| !*f).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_server_that_stops_answering_mid_session_times_out_and_the_next_session_reads_again() {
    let stop = CancellationToken::new();
    let (upstream, _task) =
        opcua_server::spawn("127.0.0.1:0".parse().unwrap(), names(1), panels(&[outputs(0.0)]), stop.clone())
            .await
            .unwrap();
    let (relay, frozen) = freezable_relay(upstream).await;
    let mut reader = reader(relay, "T01");
    assert!(reader.poll(1, Utc::now()).await.quality.is_good());

    frozen.send_replace(true);
    let started = Instant::now();
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::TIMEOUT, "{:?}", reader.last_failure());
    assert!(started.elapsed() < poll_settings().timeout() + Duration::from_millis(500), "{:?}", started.elapsed());

    frozen.send_replace(false);
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::GOOD, "{:?}", reader.last_failure());
    assert_reads(&r, &outputs(0.0));
    stop.cancel();
}

#[tokio::test]
async fn the_reader_recovers_when_the_server_restarts_on_the_same_port() {
    let served = panels(&[outputs(0.0)]);
    let first = CancellationToken::new();
    let (addr, task) =
        opcua_server::spawn("127.0.0.1:0".parse().unwrap(), names(1), served.clone(), first.clone()).await.unwrap();
    let mut reader = reader(addr, "T01");
    assert_reads(&reader.poll(1, Utc::now()).await, &outputs(0.0));

    first.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("server stops").unwrap();
    let r = reader.poll(1, Utc::now()).await;
    assert!(r.quality.is_failed_poll() && r.power_kw.is_none(), "{:?}", r.quality.names());

    *served[0].outputs.write().unwrap() = outputs(3.0);
    let second = CancellationToken::new();
    let (again, _task) = opcua_server::spawn(addr, names(1), served, second.clone()).await.expect("rebind same port");
    assert_eq!(again, addr);
    let r = poll_until(&mut reader, Duration::from_secs(5), |r| r.quality.is_good()).await;
    assert_reads(&r, &outputs(3.0));
    second.cancel();
}

#[test]
fn a_poll_is_send_so_the_poller_can_spawn_it() {
    fn assert_send<T: Send>(_: &T) {}
    let mut reader = reader("127.0.0.1:1".parse().unwrap(), "T01");
    assert_send(&reader.poll(1, Utc::now()));
}

#[tokio::test]
async fn the_reader_reads_what_an_asyncua_server_serves() {
    if !python_has("asyncua") {
        return;
    }
    let values = json!({
        "wind_speed_ms": 8.25, "vane_deg": null, "nacelle_deg": 271.3, "power_kw": 1234.5,
        "rotor_rpm": 13.1, "pitch_deg": 0.75, "state": 2,
    });
    let port = free_port();
    let _server = spawn_python_peer("opcua_server.py", &[port.to_string(), "WTG-7".into(), values.to_string()]).await;

    // Configured without a path; the server advertises /trueyaw/interop/.
    let mut reader = reader(format!("127.0.0.1:{port}").parse().unwrap(), "WTG-7");
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::MISSING, "{:?} ({:?})", r.quality.names(), reader.last_failure());
    let want = TurbineOutputs {
        wind_speed_ms: Some(8.25),
        vane_deg: None,
        nacelle_deg: Some(271.3),
        power_kw: Some(1234.5),
        rotor_rpm: Some(13.1),
        pitch_deg: Some(0.75),
        state: 2,
    };
    assert_reads(&r, &want);
    reader.close().await;
}

/// A hand-made source may name fewer signals than `Signal::ALL`: not configured is not missing.
#[tokio::test]
async fn signals_without_a_node_id_stay_empty_and_unflagged() {
    let stop = CancellationToken::new();
    let (addr, _task) =
        opcua_server::spawn("127.0.0.1:0".parse().unwrap(), names(1), panels(&[outputs(0.0)]), stop.clone())
            .await
            .unwrap();
    let mut only_vane = source(format!("opc.tcp://{addr}"), "T01");
    only_vane.nodes = BTreeMap::from([(Signal::Vane, only_vane.nodes[&Signal::Vane].clone())]);
    let mut reader = OpcUaReader::new(&only_vane, &poll_settings());
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::GOOD);
    assert_eq!(r.vane_deg, Some(-3.2));
    assert_eq!((r.wind_speed_ms, r.state), (None, None));
    stop.cancel();
}
