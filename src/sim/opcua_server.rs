//! The simulator's OPC UA server: every simulated turbine's panel outputs as variables in
//! namespace 2, named as in `docs/domain.md`: a folder `ns=2;s=<turbine>` under Objects holding
//! `ns=2;s=<turbine>.<Field>` for WindSpeed, Vane, NacellePosition, Power, RotorSpeed, Pitch
//! (Double) and State (UInt16).
//!
//! **No security, anonymous access only.** The server exists for the loopback test bench and the
//! demo; it offers one endpoint with security policy None, so anyone who can reach the port can
//! read it. Bind it to 127.0.0.1 (or a private test network), never to a plant network.
//!
//! Values are copied from the panels into the address space every [`REFRESH_PERIOD`], all
//! turbines under one address-space write lock. A Read therefore sees one consistent snapshot
//! of a turbine (all seven values from the same physics tick), which per-node read callbacks
//! could not promise. A missing output (`None`) is stored as a value-less DataValue with status
//! `BadSensorFailure`, so a client sees a Bad status for that node alone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use opcua::server::address_space::Variable;
use opcua::server::diagnostics::NamespaceMetadata;
use opcua::server::node_manager::memory::{SimpleNodeManager, simple_node_manager};
use opcua::server::{ANONYMOUS_USER_TOKEN_ID, ServerBuilder, ServerEndpoint, ServerHandle, SubscriptionCache};
use opcua::types::{DataValue, DateTime, NodeId, ObjectId, StatusCode, Variant};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::domain::{Signal, TurbineName};
use crate::opcua_pki::pki_dir;
use crate::sim::{Panels, TurbineOutputs};

/// How often panel outputs are copied into the address space. Five times per second keeps a
/// 1 Hz poller's values at most a fifth of its period old.
pub const REFRESH_PERIOD: Duration = Duration::from_millis(200);

/// The simulator's OPC UA application URI (also in its certificate).
const APPLICATION_URI: &str = "urn:trueyaw:sim";
/// Namespace URI of the turbine variables; it gets index 2 (0 is OPC UA, 1 the server itself).
const NAMESPACE_URI: &str = "urn:trueyaw:sim:turbines";
/// The namespace index of `docs/domain.md` (OPC UA naming).
const NAMESPACE_INDEX: u16 = 2;
/// Status served for a signal the simulated controller has no value for.
const MISSING_STATUS: StatusCode = StatusCode::BadSensorFailure;

/// Starts the OPC UA server on `addr` (port 0 picks a free port) serving `panels[i]` under
/// `names[i]`. Returns the bound address and the task running the server; the task ends once
/// `shutdown` is cancelled and open client connections are closed.
pub async fn spawn(
    addr: SocketAddr,
    names: Vec<TurbineName>,
    panels: Panels,
    shutdown: CancellationToken,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    anyhow::ensure!(names.len() == panels.len(), "{} turbine names for {} panels", names.len(), panels.len());
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot bind OPC UA server to {addr}"))?;
    let local = listener.local_addr().context("OPC UA listener has no local address")?;

    // Off the runtime: the first start on a machine may generate a key pair.
    let pki = tokio::task::spawn_blocking(|| pki_dir("sim", APPLICATION_URI)).await?;
    let token = shutdown.child_token();
    let (server, handle) = builder(local, names.len(), pki, token.clone())
        .build()
        .map_err(|e| anyhow::anyhow!("cannot configure the OPC UA server: {e}"))?;
    let ns = handle.get_namespace_index(NAMESPACE_URI).context("turbine namespace was not registered")?;
    anyhow::ensure!(ns == NAMESPACE_INDEX, "turbine namespace got index {ns}, expected {NAMESPACE_INDEX}");
    let manager = handle.node_managers().get_of_type::<SimpleNodeManager>().context("turbine node manager missing")?;
    let nodes = add_turbines(&manager, &names);
    // Fill the address space before the first client can connect, so no read ever sees the
    // placeholder values the variables were created with.
    refresh(&manager, handle.subscriptions(), &panels, &nodes);

    let task = tokio::spawn(async move {
        let refresher = refresh_loop(handle.clone(), manager, panels, nodes, token.clone());
        let server = async {
            let served = server.run_with(listener).await;
            // Stop refreshing too if the server ended on its own (an error).
            token.cancel();
            served
        };
        if let (Err(e), ()) = tokio::join!(server, refresher) {
            tracing::error!(error = %e, "simulated OPC UA server stopped with an error");
        }
    });
    tracing::info!(%local, turbines = names.len(), "simulated OPC UA server listening (no security, anonymous)");
    Ok((local, task))
}

/// Server configuration: one anonymous, security-None endpoint advertised at the bound address.
fn builder(local: SocketAddr, turbines: usize, pki: PathBuf, token: CancellationToken) -> ServerBuilder {
    ServerBuilder::new()
        .application_name("trueyaw turbine simulator")
        .application_uri(APPLICATION_URI)
        .product_uri("urn:trueyaw")
        .add_endpoint("none", ServerEndpoint::new_none("/", &[ANONYMOUS_USER_TOKEN_ID.to_string()]))
        .discovery_urls(vec!["/".to_owned()])
        .host(local.ip().to_string())
        .port(local.port())
        // Under the temp dir, not the working directory; see `pki_dir` for why a key pair.
        .pki_dir(pki)
        .create_sample_keypair(false)
        // One poller session per turbine, plus room for sessions a crashed client left behind
        // until they time out, plus a few browsing tools.
        .max_sessions(4 * turbines + 16)
        .diagnostics_enabled(false)
        .token(token)
        .with_node_manager(simple_node_manager(
            NamespaceMetadata { namespace_uri: NAMESPACE_URI.to_owned(), ..Default::default() },
            "trueyaw-turbines",
        ))
}

/// The node ids of one turbine's variables, in [`Signal::ALL`] order.
type TurbineNodes = Vec<NodeId>;

/// Adds a folder and seven variables per turbine; returns the variable ids per turbine.
fn add_turbines(manager: &SimpleNodeManager, names: &[TurbineName]) -> Vec<TurbineNodes> {
    let mut space = manager.address_space().write();
    let objects: NodeId = ObjectId::ObjectsFolder.into();
    names
        .iter()
        .map(|name| {
            let folder = NodeId::new(NAMESPACE_INDEX, name.as_str());
            space.add_folder(&folder, name.as_str(), name.as_str(), &objects);
            let (ids, variables): (Vec<_>, Vec<_>) = Signal::ALL
                .iter()
                .map(|&signal| {
                    let field = signal.opcua_field();
                    let id = NodeId::new(NAMESPACE_INDEX, format!("{name}.{field}"));
                    // The initial value fixes the variable's DataType attribute.
                    let initial = if signal == Signal::State { Variant::UInt16(0) } else { Variant::Double(0.0) };
                    let variable = Variable::new(&id, field, field, initial);
                    (id, variable)
                })
                .unzip();
            space.add_variables(variables, &folder);
            ids
        })
        .collect()
}

/// Copies panel outputs into the address space every [`REFRESH_PERIOD`] until `token` is
/// cancelled.
async fn refresh_loop(
    handle: ServerHandle,
    manager: Arc<SimpleNodeManager>,
    panels: Panels,
    nodes: Vec<TurbineNodes>,
    token: CancellationToken,
) {
    let mut tick = tokio::time::interval(REFRESH_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            _ = tick.tick() => refresh(&manager, handle.subscriptions(), &panels, &nodes),
        }
    }
}

/// One refresh: a consistent copy of every panel, written under one address-space lock.
fn refresh(manager: &SimpleNodeManager, subscriptions: &SubscriptionCache, panels: &Panels, nodes: &[TurbineNodes]) {
    let now = DateTime::now();
    let mut updates = Vec::with_capacity(nodes.len() * Signal::ALL.len());
    for (panel, ids) in panels.iter().zip(nodes) {
        // A poisoned lock means the physics loop panicked mid-write: serve Bad, not half a tick.
        let outputs = panel.outputs.read().map(|o| o.clone()).ok();
        for (&signal, id) in Signal::ALL.iter().zip(ids) {
            let value = match &outputs {
                Some(o) => data_value(o, signal, now),
                None => bad(StatusCode::BadInternalError, now),
            };
            updates.push((id, None, value));
        }
    }
    if let Err(status) = manager.set_values(subscriptions, updates.into_iter()) {
        // Only possible if a node vanished, which nothing here does; say so once per tick at most.
        tracing::warn!(%status, "simulated OPC UA server could not refresh its values");
    }
}

/// The DataValue served for one signal of one turbine.
fn data_value(o: &TurbineOutputs, signal: Signal, now: DateTime) -> DataValue {
    if signal == Signal::State {
        return DataValue::new_at(Variant::UInt16(o.state), now);
    }
    let value = o.get(signal);
    match value {
        Some(v) => DataValue::new_at(Variant::Double(v), now),
        None => bad(MISSING_STATUS, now),
    }
}

/// A value-less DataValue carrying a Bad status.
fn bad(status: StatusCode, now: DateTime) -> DataValue {
    DataValue {
        value: None,
        status: Some(status),
        source_timestamp: Some(now),
        server_timestamp: Some(now),
        ..Default::default()
    }
}
