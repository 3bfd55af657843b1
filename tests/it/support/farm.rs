//! Farm configs and third-party devices for tests.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use trueyaw::config::{
    DatabaseSettings, FarmConfig, FarmSection, ModbusSource, PollSettings, SourceConfig, StorageSettings,
    TurbineConfig, WindowSettings,
};
use trueyaw::domain::{RegisterMap, TurbineName};

/// Poll settings for tests: fast timeouts and backoff so failures and recoveries take
/// fractions of a second.
pub fn fast_poll() -> PollSettings {
    PollSettings {
        interval_ms: 200,
        timeout_ms: 300,
        connect_timeout_ms: 300,
        backoff_initial_ms: 200,
        backoff_max_ms: 800,
        offline_after_failures: 2,
    }
}

/// A Modbus source on 127.0.0.1 with the generic map.
pub fn modbus(port: u16, unit_id: u8) -> SourceConfig {
    SourceConfig::Modbus(ModbusSource { host: "127.0.0.1".into(), port, unit_id, register_map: RegisterMap::generic() })
}

/// A farm of the given turbines (named T01, T02, ...), polled with [`fast_poll`], writing
/// small batches quickly and spooling under `spool_dir`.
pub fn farm(name: &str, sources: Vec<SourceConfig>, spool_dir: &Path) -> FarmConfig {
    let poll = fast_poll();
    FarmConfig {
        path: "test.toml".into(),
        farm: FarmSection { name: name.into() },
        database: DatabaseSettings::default(),
        storage: StorageSettings {
            batch_max_rows: 50,
            batch_max_delay_ms: 100,
            spool_dir: spool_dir.to_path_buf(),
            spool_max_mib: 64,
        },
        windows: WindowSettings { length_min: 1, refresh_s: 1 },
        serve: Default::default(),
        writeback: Default::default(),
        turbines: sources
            .into_iter()
            .enumerate()
            .map(|(i, source)| TurbineConfig {
                name: TurbineName::numbered(i + 1),
                source,
                interval_ms: poll.interval_ms,
                scada_unit_id: (i + 1) as u8,
            })
            .collect(),
        poll,
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python interpreter with the interop packages (CI sets TRUEYAW_PYTHON to its venv).
pub fn python() -> String {
    std::env::var("TRUEYAW_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// True when `module` imports; otherwise prints why the test is skipped. Under CI
/// (TRUEYAW_REQUIRE_INTEROP=1) a missing peer fails the test instead of skipping it.
pub fn python_has(module: &str) -> bool {
    let ok = std::process::Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("TRUEYAW_REQUIRE_INTEROP").is_err(),
            "TRUEYAW_REQUIRE_INTEROP is set but {} cannot import {module}",
            python()
        );
        super::skipped(&format!("{} cannot import {module} (pip install -r tests/interop/requirements.txt)", python()));
    }
    ok
}

/// A pymodbus device serving the generic map with fixed `values` (JSON object of signal
/// names). Killed when dropped.
pub struct PyDevice {
    pub port: u16,
    _child: Child,
}

impl PyDevice {
    pub async fn start(values: &serde_json::Value) -> PyDevice {
        let port = free_port();
        let child = spawn_python_peer("generic_device.py", &[port.to_string(), values.to_string()]).await;
        PyDevice { port, _child: child }
    }
}

/// Starts `tests/interop/<script>` with `args` under [`python`] and waits until it prints
/// `ready`. The process is killed when the returned child is dropped.
pub async fn spawn_python_peer(script: &str, args: &[String]) -> Child {
    let path = format!("{}/tests/interop/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(python())
        .arg(&path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {script}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    assert!(matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"), "{script} did not start: {ready:?}");
    child
}
