//! The OPC UA source: one anonymous, unencrypted session per turbine controller, read once per
//! poll with a single Read service call covering every configured node id.
//!
//! Why polling with Read and not subscriptions: one request per poll gives every signal of a
//! reading the same timestamp and the same cadence as the Modbus source, so both protocols
//! feed identical rows; a missing update shows up as a failed poll with a quality flag rather
//! than as silence that looks like an unchanged value; and a 1 Hz poller's backpressure stays
//! simple (one request in flight, never a queue of notifications to drain). Subscriptions would
//! be the better choice for slow-changing or event data (alarms, state changes, counters).
//!
//! Failures never escape as errors; they become quality flags on the reading:
//! - [`Quality::TIMEOUT`]: connecting or the Read did not finish within the configured time;
//! - [`Quality::CONNECTION`]: no session could be opened, or it was lost;
//! - [`Quality::DEVICE_EXCEPTION`]: the server refused the Read as a whole (a bad service result);
//! - [`Quality::BAD_FRAME`]: the answer does not match the request (wrong number of results);
//! - [`Quality::MISSING`] with the value `None`: that node's status was Bad or Uncertain, it held
//!   no value or a non-numeric one, or its configured node id does not parse.
//!
//! Every await is bounded by `PollSettings` (connect timeout, then request timeout), so a dead or
//! silent server costs one poll at most that long and never hangs the poller. The session is
//! dropped after a timeout or a connection-level error and reopened by the next poll; a refused
//! Read keeps it, since the server is talking sensibly.
//!
//! Security: sessions use security policy None and anonymous login, which is what turbine
//! controllers on an isolated SCADA network commonly offer. async-opcua's certificate store
//! lives under the system temp dir (see [`crate::opcua_pki`]); nothing else is written to disk.

mod decode;
mod session;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use opcua::client::{ClientConfig, Session};
use opcua::types::{DataValue, NodeId, ReadValueId, TimestampsToReturn};
use tokio::time::timeout;

use self::decode::{Decoded, classify, decode};
use self::session::{ConnectError, Connection, connect, session_config};
use crate::config::{OpcUaSource, PollSettings};
use crate::domain::{Quality, Reading, Signal};
use crate::ingest::PollFailure;

/// Polls one turbine over OPC UA.
pub struct OpcUaReader {
    endpoint: String,
    /// Signals with a parseable node id, in the order of `read_ids`.
    signals: Vec<Signal>,
    /// The Read request's items, one per entry of `signals`.
    read_ids: Vec<ReadValueId>,
    /// Signals whose configured node id does not parse: always missing.
    unparsable: Vec<Signal>,
    timeout: Duration,
    connect_timeout: Duration,
    /// MaxAge of each Read, ms: half a poll period, so a server may answer from its cache but
    /// never with the value the previous poll already got.
    max_age_ms: f64,
    /// Boxed: async-opcua's config is ~460 bytes and only read when (re)connecting.
    session_config: Box<ClientConfig>,
    connection: Option<Connection>,
    /// Why the last poll failed, if it did.
    last_failure: Option<PollFailure>,
    /// Signals already warned about for a non-numeric value (warned once, not every second).
    warned_types: Vec<Signal>,
}

impl OpcUaReader {
    /// Prepares a reader; no I/O happens until the first [`OpcUaReader::poll`].
    pub fn new(source: &OpcUaSource, poll: &PollSettings) -> Self {
        let mut signals = Vec::new();
        let mut read_ids = Vec::new();
        let mut unparsable = Vec::new();
        for (&signal, id) in &source.nodes {
            match id.parse::<NodeId>() {
                Ok(node_id) => {
                    signals.push(signal);
                    read_ids.push(ReadValueId::from(node_id));
                }
                Err(_) => {
                    tracing::warn!(endpoint = %source.endpoint, signal = signal.name(), node_id = %id,
                        "OPC UA node id does not parse; the signal will always be missing");
                    unparsable.push(signal);
                }
            }
        }
        Self {
            endpoint: source.endpoint.clone(),
            signals,
            read_ids,
            unparsable,
            timeout: poll.timeout(),
            connect_timeout: poll.connect_timeout(),
            max_age_ms: poll.interval_ms as f64 / 2.0,
            session_config: Box::new(session_config(poll.timeout())),
            connection: None,
            last_failure: None,
            warned_types: Vec::new(),
        }
    }

    /// The source as shown in logs and health records.
    pub fn describe(&self) -> String {
        format!("opcua:{}", self.endpoint)
    }

    /// Why the most recent poll failed (`None` after a successful one).
    pub fn last_failure(&self) -> Option<&PollFailure> {
        self.last_failure.as_ref()
    }

    /// One poll: connects lazily (and reconnects after a failure), reads all node ids in one
    /// Read call and returns a reading stamped `time`. Never fails: see the module docs for
    /// how failures become quality flags.
    pub async fn poll(&mut self, turbine_id: i32, time: DateTime<Utc>) -> Reading {
        match self.read_all().await {
            Ok(values) => {
                self.last_failure = None;
                self.decode(turbine_id, time, &values)
            }
            Err(failure) => {
                tracing::debug!(endpoint = %self.endpoint, flags = ?failure.quality.names(),
                    message = %failure.message, "OPC UA poll failed");
                let quality = failure.quality;
                self.last_failure = Some(failure);
                Reading::failed(turbine_id, time, quality)
            }
        }
    }

    /// Closes the session, politely when the server is still there, and stops its event loop.
    pub async fn close(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.close(self.timeout).await;
        }
    }

    /// The open session, opening one if there is none or the last one died.
    async fn session(&mut self) -> Result<Arc<Session>, PollFailure> {
        if self.connection.as_ref().is_some_and(|c| !c.is_alive()) {
            self.connection = None;
        }
        if self.connection.is_none() {
            let connection = match timeout(self.connect_timeout, connect(&self.endpoint, &self.session_config)).await {
                Ok(Ok(c)) => c,
                Ok(Err(ConnectError(message))) => return Err(failure(Quality::CONNECTION, message)),
                Err(_) => {
                    let message = format!("connect to {} timed out after {:?}", self.endpoint, self.connect_timeout);
                    return Err(failure(Quality::TIMEOUT, message));
                }
            };
            tracing::info!(endpoint = %self.endpoint, "OPC UA session open");
            self.connection = Some(connection);
        }
        Ok(self.connection.as_ref().expect("connected above").session.clone())
    }

    async fn read_all(&mut self) -> Result<Vec<DataValue>, PollFailure> {
        if self.read_ids.is_empty() {
            return Ok(Vec::new());
        }
        let session = self.session().await?;
        let request = session.read(&self.read_ids, TimestampsToReturn::Neither, self.max_age_ms);
        match timeout(self.timeout, request).await {
            Ok(Ok(values)) if values.len() == self.read_ids.len() => Ok(values),
            Ok(Ok(values)) => {
                let message = format!("asked for {} values, got {}", self.read_ids.len(), values.len());
                Err(failure(Quality::BAD_FRAME, message))
            }
            Ok(Err(e)) => {
                let (quality, drop_session) = classify(e.status());
                if drop_session {
                    self.connection = None;
                }
                Err(failure(quality, format!("Read failed: {e}")))
            }
            Err(_) => {
                // A late answer is harmless (OPC UA matches answers to requests), but a server
                // that stopped answering on a half-open connection is only noticed this way.
                self.connection = None;
                Err(failure(Quality::TIMEOUT, format!("no answer within {:?}", self.timeout)))
            }
        }
    }

    fn decode(&mut self, turbine_id: i32, time: DateTime<Utc>, values: &[DataValue]) -> Reading {
        let mut reading = Reading::failed(turbine_id, time, Quality::GOOD);
        for (&signal, value) in self.signals.iter().zip(values) {
            let number = match decode(value) {
                Decoded::Value(v) => Some(v),
                Decoded::Missing(_) => None,
                Decoded::WrongType(type_name) => {
                    if !self.warned_types.contains(&signal) {
                        self.warned_types.push(signal);
                        tracing::warn!(endpoint = %self.endpoint, signal = signal.name(), type_name,
                            "OPC UA node holds a non-numeric value; the signal is stored as missing");
                    }
                    None
                }
            };
            reading.set_checked(signal, number, signal.default_range());
        }
        for &signal in &self.unparsable {
            reading.set_checked(signal, None, signal.default_range());
        }
        reading
    }
}

fn failure(quality: Quality, message: String) -> PollFailure {
    PollFailure::new(quality, message)
}
