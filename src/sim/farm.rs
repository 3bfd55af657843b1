//! The running simulated farm: a Modbus TCP server per turbine, the optional OPC UA server,
//! the physics loop of [`super::runner`] and the ground-truth file. [`start`] returns a
//! [`SimHandle`] that exposes the bound ports (so tests can bind port 0), the true state and
//! the truth, and can take single turbines offline and back.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Timelike, Utc};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::modbus_server::{self, Layout};
use super::physics::FarmPhysics;
pub use super::physics::{SimProfile, TrueState};
use super::runner::{self, Shared};
use super::truth::Truth;
use super::{Panels, TurbinePanel};
use crate::domain::TurbineName;

/// Default Modbus TCP port of T01.
pub const DEFAULT_BASE_PORT: u16 = 5502;

/// How to run the simulated farm.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Number of turbines, named T01, T02, ...
    pub turbines: usize,
    /// Modbus port of T01; turbine i listens on `base_port + i - 1`. 0 gives every turbine an
    /// ephemeral port (tests); [`SimHandle::modbus_addr`] tells which.
    pub base_port: u16,
    /// Address the servers listen on.
    pub host: IpAddr,
    /// Seed of every random stream: the same seed gives the same wind, events and vane errors.
    pub seed: u64,
    /// Simulated seconds per real second.
    pub speedup: f64,
    /// Simulated time of step 0 (truncated to a whole second, as steps are whole seconds).
    pub start: DateTime<Utc>,
    /// Serve every turbine over OPC UA on this port too (0 = ephemeral).
    pub opcua_port: Option<u16>,
    /// Write the ground truth here at start, whenever it grows, and at shutdown.
    pub truth_path: Option<PathBuf>,
    /// Which disturbances to simulate ([`SimProfile::clean`] or [`SimProfile::realistic`]).
    pub profile: SimProfile,
}

impl Default for SimOptions {
    /// Three turbines on 127.0.0.1 from port 5502, seed 1, real time from now, realistic profile.
    fn default() -> Self {
        Self {
            turbines: 3,
            base_port: DEFAULT_BASE_PORT,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            seed: 1,
            speedup: 1.0,
            start: Utc::now(),
            opcua_port: None,
            truth_path: None,
            profile: SimProfile::realistic(),
        }
    }
}

/// A farm-wide summary for status lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FarmStatus {
    pub sim_time: DateTime<Utc>,
    /// Farm-mean free wind speed (ten-minute scale), m/s.
    pub mean_wind_ms: f64,
    /// True power of all turbines, kW.
    pub total_power_kw: f64,
    /// Turbines in state 1 (running) or 2 (curtailed).
    pub operating: usize,
}

struct ServerTask {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// A running simulated farm. Dropping it stops everything; [`SimHandle::shutdown`] also waits.
pub struct SimHandle {
    shared: Arc<Shared>,
    names: Vec<TurbineName>,
    addrs: Vec<SocketAddr>,
    servers: Vec<Mutex<Option<ServerTask>>>,
    layout: Arc<Layout>,
    opcua: Option<(SocketAddr, JoinHandle<()>)>,
    physics_task: JoinHandle<()>,
    shutdown: CancellationToken,
    _cancel_on_drop: DropGuard,
}

/// Starts the farm: binds every Modbus listener (and the OPC UA server), writes the truth
/// file, and starts the physics loop. Fails if a port cannot be bound or the truth not written.
pub async fn start(opts: SimOptions) -> anyhow::Result<SimHandle> {
    anyhow::ensure!(opts.turbines >= 1, "a simulated farm needs at least one turbine");
    anyhow::ensure!(opts.speedup.is_finite() && opts.speedup > 0.0, "speed-up must be positive, got {}", opts.speedup);
    if opts.base_port != 0 {
        let last = u32::from(opts.base_port) + opts.turbines as u32 - 1;
        anyhow::ensure!(last <= 65535, "{} turbines from port {} run past port 65535", opts.turbines, opts.base_port);
    }
    let n = opts.turbines;
    let start = opts.start.with_nanosecond(0).unwrap_or(opts.start);
    let physics = FarmPhysics::new(opts.seed, n, &opts.profile);
    let panels: Panels = (0..n).map(|_| TurbinePanel::default()).collect();
    runner::publish(&physics, &panels);
    let shared = Arc::new(Shared {
        physics: Mutex::new(physics),
        panels: panels.clone(),
        sim_seconds: AtomicU64::new(0),
        start,
        speedup: opts.speedup,
        truth_path: opts.truth_path.clone(),
    });
    let writer = shared.clone();
    tokio::task::spawn_blocking(move || writer.write_truth()).await.context("truth writer panicked")??;

    let shutdown = CancellationToken::new();
    let cancel_on_drop = shutdown.clone().drop_guard();
    let names: Vec<TurbineName> = (1..=n).map(TurbineName::numbered).collect();
    let layout = Arc::new(Layout::generic());
    let mut addrs = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for (i, name) in names.iter().enumerate() {
        let port = if opts.base_port == 0 { 0 } else { opts.base_port + i as u16 };
        let addr = SocketAddr::new(opts.host, port);
        let listener =
            modbus_server::bind(addr).with_context(|| format!("{name} cannot listen for Modbus on {addr}"))?;
        addrs.push(listener.local_addr().context("Modbus listener has no local address")?);
        let stop = shutdown.child_token();
        let task = modbus_server::spawn(listener, panels.clone(), i, layout.clone(), stop.clone());
        servers.push(Mutex::new(Some(ServerTask { stop, task })));
    }
    let opcua = match opts.opcua_port {
        Some(port) => {
            let addr = SocketAddr::new(opts.host, port);
            let served = super::opcua_server::spawn(addr, names.clone(), panels.clone(), shutdown.child_token())
                .await
                .with_context(|| format!("starting the simulated OPC UA server on {addr}"))?;
            Some(served)
        }
        None => None,
    };
    let physics_task = tokio::spawn(runner::run_physics(shared.clone(), shutdown.child_token()));
    Ok(SimHandle {
        shared,
        names,
        addrs,
        servers,
        layout,
        opcua,
        physics_task,
        shutdown,
        _cancel_on_drop: cancel_on_drop,
    })
}

impl SimHandle {
    /// Where turbine `index` (0 = T01) listens for Modbus TCP, also while it is stopped.
    pub fn modbus_addr(&self, index: usize) -> SocketAddr {
        self.addrs[index]
    }

    /// The OPC UA endpoint URL, if the farm serves OPC UA (an unspecified listen address is
    /// given as 127.0.0.1).
    pub fn opcua_endpoint(&self) -> Option<String> {
        self.opcua.as_ref().map(|(addr, _)| {
            let ip = if addr.ip().is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { addr.ip() };
            format!("opc.tcp://{}/", SocketAddr::new(ip, addr.port()))
        })
    }

    /// The turbines' panels (index 0 = T01), shared with the servers and the physics.
    pub fn panels(&self) -> Panels {
        self.shared.panels.clone()
    }

    /// T01, T02, ...
    pub fn names(&self) -> Vec<TurbineName> {
        self.names.clone()
    }

    /// The ground truth so far: parameters, events that happened and events planned.
    pub fn truth(&self) -> Truth {
        self.shared.truth()
    }

    /// Simulated time of the outputs on the panels.
    pub fn sim_time(&self) -> DateTime<Utc> {
        self.shared.start + chrono::Duration::seconds(self.shared.sim_seconds.load(Ordering::Acquire) as i64)
    }

    /// The true state of turbine `index` now (misalignment, power, ...), never served.
    pub fn true_state(&self, index: usize) -> TrueState {
        self.shared.physics().true_state(index)
    }

    /// Farm-wide summary for status lines.
    pub fn status(&self) -> FarmStatus {
        let physics = self.shared.physics();
        let states: Vec<TrueState> = (0..physics.len()).map(|i| physics.true_state(i)).collect();
        FarmStatus {
            sim_time: self.shared.start + chrono::Duration::seconds(physics.sim_time_s() as i64),
            mean_wind_ms: physics.mean_wind_ms(),
            total_power_kw: states.iter().map(|s| s.power_kw).sum(),
            operating: states.iter().filter(|s| matches!(s.state, 1 | 2)).count(),
        }
    }

    fn server_slot(&self, index: usize) -> MutexGuard<'_, Option<ServerTask>> {
        self.servers[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes turbine `index` offline: its Modbus listener closes and its connections drop.
    /// The physics keeps running. Does nothing if it is already stopped.
    pub async fn stop_turbine(&self, index: usize) {
        let running = self.server_slot(index).take();
        if let Some(server) = running {
            server.stop.cancel();
            let _ = server.task.await;
        }
    }

    /// Brings turbine `index` back on its port; errors are logged (see [`Self::try_restart_turbine`]).
    pub async fn restart_turbine(&self, index: usize) {
        if let Err(e) = self.try_restart_turbine(index).await {
            tracing::error!(turbine = %self.names[index], error = format!("{e:#}"), "cannot restart simulated turbine");
        }
    }

    /// Brings turbine `index` back on its port. Does nothing if it is already listening.
    pub async fn try_restart_turbine(&self, index: usize) -> anyhow::Result<()> {
        if self.server_slot(index).is_some() {
            return Ok(());
        }
        let addr = self.addrs[index];
        let mut attempt = 0;
        let listener = loop {
            match modbus_server::bind(addr) {
                Ok(l) => break l,
                // A just-closed listener can take a moment to release the port.
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempt < 20 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e).with_context(|| format!("{} cannot listen on {addr}", self.names[index])),
            }
        };
        let mut slot = self.server_slot(index);
        if slot.is_none() {
            let stop = self.shutdown.child_token();
            let task =
                modbus_server::spawn(listener, self.shared.panels.clone(), index, self.layout.clone(), stop.clone());
            *slot = Some(ServerTask { stop, task });
        }
        Ok(())
    }

    /// Stops the physics and every server, waits for them, and writes the final truth.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.physics_task.await;
        let tasks: Vec<ServerTask> =
            self.servers.iter().filter_map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).take()).collect();
        for server in tasks {
            let _ = server.task.await;
        }
        if let Some((_, task)) = self.opcua {
            let _ = task.await;
        }
        let writer = self.shared.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || writer.write_truth()).await {
            tracing::error!(error = format!("{e:#}"), "cannot write the final ground truth file");
        }
    }
}
