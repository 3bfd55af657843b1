//! Opening one anonymous, unencrypted OPC UA session and owning its event loop.
//!
//! async-opcua does nothing unless its session event loop is polled, so the loop runs on its
//! own task, owned by [`Connection`] and aborted when the connection is dropped. The library's
//! own retries are switched off (retry limit 0, reconnects disabled): after a failure the
//! reader drops the connection and the next poll opens a fresh one within the poll's own time
//! budget, so reconnecting follows the poller's cadence and backoff rather than a second,
//! hidden schedule.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opcua::client::{Client, ClientBuilder, ClientConfig, IdentityToken, Session, SessionBuilder};
use opcua::crypto::SecurityPolicy;
use opcua::types::{EndpointDescription, MessageSecurityMode, StatusCode, UserTokenType};
use tokio::task::JoinHandle;

use super::decode::session_url;
use crate::opcua_pki::pki_dir;

/// An open session and the task driving it.
pub(super) struct Connection {
    pub(super) session: Arc<Session>,
    event_loop: JoinHandle<StatusCode>,
}

impl Connection {
    /// False once the event loop has ended: the connection dropped and could not be revived.
    pub(super) fn is_alive(&self) -> bool {
        !self.event_loop.is_finished()
    }

    /// Closes the session politely (so the server frees it at once), waiting at most `limit`.
    pub(super) async fn close(self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.session.disconnect()).await;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.event_loop.abort();
    }
}

/// The poller's OPC UA application URI (also in its certificate).
const APPLICATION_URI: &str = "urn:trueyaw:poller";

fn builder() -> ClientBuilder {
    ClientBuilder::new()
        .application_name("trueyaw poller")
        .application_uri(APPLICATION_URI)
        .product_uri("urn:trueyaw")
        .create_sample_keypair(false)
        // One attempt per connect: retries are the poller's business (see module docs).
        .session_retry_limit(0)
}

/// The one `Client` of the process, used for endpoint discovery and its certificate store
/// (neither needs per-reader settings). Built on a blocking thread: the first build on a
/// machine may generate a key pair (see `pki.rs`), which must not stall the runtime.
async fn discovery_client() -> Result<&'static Client, ConnectError> {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    tokio::task::spawn_blocking(|| {
        CLIENT.get_or_init(|| {
            let builder = builder().pki_dir(pki_dir("poller", APPLICATION_URI));
            builder.client().expect("static OPC UA client settings are valid")
        })
    })
    .await
    .map_err(|e| ConnectError(format!("OPC UA client setup failed: {e}")))
}

/// Session settings of one reader. `timeout` bounds each request. No I/O: the session uses
/// the discovery client's certificate store, not a directory of its own.
pub(super) fn session_config(timeout: Duration) -> ClientConfig {
    builder()
        .session_name("trueyaw poller")
        .request_timeout(timeout)
        // A session abandoned by a crashed poller is reaped by the server after this long,
        // while the 1 Hz polls keep a live one well inside it.
        .session_timeout(30_000)
        .into_config()
}

/// Why a connect attempt failed, before it is turned into a quality flag.
pub(super) struct ConnectError(pub(super) String);

/// Discovers the server's endpoints, picks the anonymous security-None one, opens a session on
/// it and waits until it is activated. Callers bound the whole call with their connect timeout;
/// dropping the future part-way aborts everything it started.
pub(super) async fn connect(endpoint: &str, config: &ClientConfig) -> Result<Connection, ConnectError> {
    let client = discovery_client().await?;
    // GetEndpoints first: the anonymous token's policy id is server-specific ("anonymous",
    // "open62541-anonymous-policy", ...) and ActivateSession must quote it exactly.
    let endpoints = client
        .get_server_endpoints_from_url(endpoint)
        .await
        .map_err(|e| ConnectError(format!("GetEndpoints on {endpoint}: {e}")))?;
    let mut chosen = pick_endpoint(endpoints)
        .ok_or_else(|| ConnectError(format!("{endpoint} offers no anonymous endpoint with security None")))?;
    chosen.endpoint_url = session_url(endpoint, chosen.endpoint_url.as_ref()).into();

    // The session takes its timeouts from this reader's `config`, not the shared client's.
    let (session, event_loop) = SessionBuilder::new(config)
        .connect_to_endpoint_directly(chosen)
        .map_err(|e| ConnectError(format!("bad endpoint {endpoint}: {e}")))?
        .user_identity_token(IdentityToken::Anonymous)
        .build(client.certificate_store().clone())
        .map_err(|e| ConnectError(format!("session setup for {endpoint}: {e}")))?;
    // Without this the event loop would itself retry once when the transport drops, logging
    // an error for it; instead it ends, and the reader reconnects on its own schedule.
    session.disable_reconnects();
    let mut connection = Connection { session, event_loop: event_loop.spawn() };
    tokio::select! {
        connected = connection.session.wait_for_connection() => {
            if connected {
                Ok(connection)
            } else {
                Err(ConnectError(format!("session to {endpoint} closed while opening")))
            }
        }
        ended = &mut connection.event_loop => {
            let why = ended.map_or_else(|e| e.to_string(), |status| status.to_string());
            Err(ConnectError(format!("session to {endpoint} could not be opened: {why}")))
        }
    }
}

/// The first endpoint a poller can use without certificates: security policy None, message
/// mode None, anonymous login.
fn pick_endpoint(endpoints: Vec<EndpointDescription>) -> Option<EndpointDescription> {
    endpoints.into_iter().find(|e| {
        e.security_mode == MessageSecurityMode::None
            && SecurityPolicy::from_uri(e.security_policy_uri.as_ref()) == SecurityPolicy::None
            && e.find_policy(UserTokenType::Anonymous).is_some()
    })
}
