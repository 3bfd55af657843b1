//! The Modbus source against devices it did not write: a byte-level misbehaving device and
//! pymodbus. No database involved.

use chrono::Utc;
use serde_json::json;
use trueyaw::config::SourceConfig;
use trueyaw::domain::{Quality, Reading, Signal};
use trueyaw::ingest::modbus::ModbusReader;

use crate::support::fake_device::{Answer, FakeDevice};
use crate::support::farm::{PyDevice, fast_poll, modbus, python_has};

const VALUES: [(Signal, f64); 7] = [
    (Signal::WindSpeed, 8.25),
    (Signal::Vane, -4.5),
    (Signal::NacellePosition, 271.3),
    (Signal::Power, 1234.5),
    (Signal::RotorSpeed, 13.1),
    (Signal::Pitch, 0.75),
    (Signal::State, 1.0),
];

fn reader(port: u16, unit: u8) -> ModbusReader {
    match modbus(port, unit) {
        SourceConfig::Modbus(m) => ModbusReader::new(&m, &fast_poll()),
        SourceConfig::OpcUa(_) => unreachable!(),
    }
}

fn assert_values(r: &Reading) {
    assert!(r.quality.is_good(), "quality {:?}", r.quality.names());
    for (s, v) in VALUES {
        let got = r.get(s).unwrap_or_else(|| panic!("{s:?} missing"));
        assert!((got - v).abs() < 0.051, "{s:?}: served {v}, read {got}");
    }
}

#[tokio::test]
async fn malformed_frames_and_exceptions_become_flags_and_the_next_poll_recovers() {
    let script = vec![
        Answer::Exception(0x02),
        Answer::Good,
        Answer::Garbled,
        Answer::Short,
        Answer::WrongTransaction,
        Answer::HalfThenSilence,
        Answer::Hangup,
        Answer::Exception(0x06),
    ];
    let expected = [
        Quality::DEVICE_EXCEPTION,
        Quality::GOOD,
        Quality::BAD_FRAME,
        Quality::BAD_FRAME,
        Quality::BAD_FRAME,
        Quality::TIMEOUT,
        Quality::CONNECTION,
        Quality::DEVICE_EXCEPTION,
        Quality::GOOD,
    ];
    let device = FakeDevice::start(script, VALUES).await;
    let mut reader = reader(device.port, 1);
    for (i, want) in expected.into_iter().enumerate() {
        let r = reader.poll(7, Utc::now()).await;
        assert_eq!(r.quality, want, "poll {i}: got {:?} ({:?})", r.quality.names(), reader.last_failure());
        if want.is_good() {
            assert_values(&r);
        } else {
            assert!(r.wind_speed_ms.is_none() && r.vane_deg.is_none(), "failed poll {i} carries values");
            assert!(reader.last_failure().is_some_and(|f| !f.message.is_empty()));
        }
    }
    assert_eq!(device.remaining(), 0);
}

#[tokio::test]
async fn an_address_with_nothing_listening_is_a_connection_failure_not_a_hang() {
    let port = crate::support::farm::free_port();
    let mut reader = reader(port, 1);
    let started = std::time::Instant::now();
    let r = reader.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::CONNECTION);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn the_reader_decodes_what_a_pymodbus_device_serves() {
    if !python_has("pymodbus") {
        return;
    }
    let values: serde_json::Map<String, serde_json::Value> =
        VALUES.iter().map(|(s, v)| (s.name().to_string(), json!(v))).collect();
    let device = PyDevice::start(&serde_json::Value::Object(values)).await;
    let mut good = reader(device.port, 1);
    assert_values(&good.poll(1, Utc::now()).await);
    // pymodbus answers an unknown unit id with an exception: a flag, not a crash.
    let mut wrong_unit = reader(device.port, 9);
    let r = wrong_unit.poll(1, Utc::now()).await;
    assert_eq!(r.quality, Quality::DEVICE_EXCEPTION, "{:?}", wrong_unit.last_failure());
}
