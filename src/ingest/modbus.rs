//! The Modbus TCP source: one connection per turbine controller, reading every signal of the
//! register map in as few requests as the map allows (see `RegisterMap::read_plan`).
//!
//! Failures never escape as errors. They become quality flags on the reading, and the
//! connection is dropped whenever the byte stream can no longer be trusted (timeout, garbled
//! frame, transport error) so the next poll starts clean: a late answer to a timed-out request
//! would otherwise be taken for the answer to the next one. Device exception responses keep
//! the connection, since the device is talking sensibly and only refused the request.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::{TcpStream, lookup_host};
use tokio::time::timeout;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::{ExceptionCode, Request, Response, Slave};

use super::PollFailure;
use crate::config::{ModbusSource, PollSettings};
use crate::domain::register_map::{ReadBlock, Table};
use crate::domain::{Quality, Reading, RegisterMap};

/// Polls one turbine over Modbus TCP.
pub struct ModbusReader {
    host: String,
    port: u16,
    unit_id: u8,
    map: RegisterMap,
    plan: Vec<ReadBlock>,
    timeout: Duration,
    connect_timeout: Duration,
    context: Option<Context>,
    /// Why the last poll failed, if it did.
    last_failure: Option<PollFailure>,
}

impl ModbusReader {
    pub fn new(source: &ModbusSource, poll: &PollSettings) -> Self {
        Self {
            host: source.host.clone(),
            port: source.port,
            unit_id: source.unit_id,
            plan: source.register_map.read_plan(),
            map: source.register_map.clone(),
            timeout: poll.timeout(),
            connect_timeout: poll.connect_timeout(),
            context: None,
            last_failure: None,
        }
    }

    pub fn describe(&self) -> String {
        format!("modbus://{}:{}/{}", self.host, self.port, self.unit_id)
    }

    /// Why the most recent poll failed (`None` after a successful one).
    pub fn last_failure(&self) -> Option<&PollFailure> {
        self.last_failure.as_ref()
    }

    /// One poll: connects if needed, reads the plan's blocks, decodes and range-checks every
    /// signal. The reading is stamped `time` (when the poll was due).
    pub async fn poll(&mut self, turbine_id: i32, time: DateTime<Utc>) -> Reading {
        match self.read_blocks().await {
            Ok(blocks) => {
                self.last_failure = None;
                self.decode(turbine_id, time, &blocks)
            }
            Err(failure) => {
                let quality = failure.quality;
                self.last_failure = Some(failure);
                Reading::failed(turbine_id, time, quality)
            }
        }
    }

    /// Drops the connection (graceful close when possible).
    pub async fn close(&mut self) {
        if let Some(mut ctx) = self.context.take() {
            let _ = timeout(Duration::from_millis(200), ctx.disconnect()).await;
        }
    }

    async fn connect(&mut self) -> Result<&mut Context, PollFailure> {
        if self.context.is_none() {
            let addr = resolve(format!("{}:{}", self.host, self.port), self.connect_timeout).await?;
            let stream = match timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return Err(failure(Quality::CONNECTION, format!("connect to {addr}: {e}"))),
                Err(_) => return Err(failure(Quality::TIMEOUT, format!("connect to {addr} timed out"))),
            };
            // Polls are tiny request/response pairs: send them without Nagle's delay.
            let _ = stream.set_nodelay(true);
            self.context = Some(tokio_modbus::client::tcp::attach_slave(stream, Slave(self.unit_id)));
        }
        Ok(self.context.as_mut().expect("connected above"))
    }

    async fn read_blocks(&mut self) -> Result<Vec<(ReadBlock, Vec<u16>)>, PollFailure> {
        let plan = self.plan.clone();
        let request_timeout = self.timeout;
        let mut out = Vec::with_capacity(plan.len());
        for block in plan {
            let ctx = self.connect().await?;
            // `Client::call` rather than `Reader::read_*`: the latter debug-assert the register
            // count, so a short frame from a device would panic a debug build instead of
            // becoming a quality flag.
            let request = match block.table {
                Table::Input => Request::ReadInputRegisters(block.start, block.count),
                Table::Holding => Request::ReadHoldingRegisters(block.start, block.count),
            };
            let result = timeout(request_timeout, ctx.call(request)).await;
            let words = match result {
                Ok(Ok(Ok(Response::ReadInputRegisters(words) | Response::ReadHoldingRegisters(words)))) => words,
                Ok(Ok(Ok(other))) => {
                    self.context = None;
                    return Err(failure(Quality::BAD_FRAME, format!("unexpected response {other:?}")));
                }
                Ok(Ok(Err(code))) => {
                    return Err(failure(Quality::DEVICE_EXCEPTION, exception_message(code, &block)));
                }
                Ok(Err(e)) => {
                    self.context = None;
                    return Err(classify_transport(e));
                }
                Err(_) => {
                    self.context = None;
                    return Err(failure(Quality::TIMEOUT, format!("no answer within {request_timeout:?}")));
                }
            };
            if words.len() != usize::from(block.count) {
                self.context = None;
                return Err(failure(
                    Quality::BAD_FRAME,
                    format!("asked for {} registers at {}, got {}", block.count, block.start, words.len()),
                ));
            }
            out.push((block, words));
        }
        Ok(out)
    }

    fn decode(&self, turbine_id: i32, time: DateTime<Utc>, blocks: &[(ReadBlock, Vec<u16>)]) -> Reading {
        let mut reading = Reading::failed(turbine_id, time, Quality::GOOD);
        for (signal, spec) in &self.map.signals {
            let covering = blocks
                .iter()
                .find(|(b, _)| b.table == spec.table && spec.address >= b.start && spec.address < b.start + b.count);
            let value = match covering.map(|(b, words)| self.map.decode(spec, b.start, words)) {
                Some(Ok(v)) => v,
                // The plan covers every signal and lengths were checked, so this is unreachable
                // unless the plan and map disagree; flag it rather than panic.
                Some(Err(_)) | None => {
                    reading.quality |= Quality::BAD_FRAME;
                    None
                }
            };
            reading.set_checked(*signal, value, self.map.range(*signal));
        }
        reading
    }
}

/// Resolves `host:port` (a name or an address) within `limit`.
/// (A free function: `ModbusReader` holds a client that is not `Sync`, so no `&self` may be
/// held across an await in a task that must be `Send`.)
async fn resolve(target: String, limit: Duration) -> Result<SocketAddr, PollFailure> {
    match timeout(limit, lookup_host(&target)).await {
        Ok(Ok(mut addrs)) => {
            addrs.next().ok_or_else(|| failure(Quality::CONNECTION, format!("{target}: no address found")))
        }
        Ok(Err(e)) => Err(failure(Quality::CONNECTION, format!("resolve {target}: {e}"))),
        Err(_) => Err(failure(Quality::TIMEOUT, format!("resolve {target} timed out"))),
    }
}

fn failure(quality: Quality, message: String) -> PollFailure {
    PollFailure::new(quality, message)
}

fn exception_message(code: ExceptionCode, block: &ReadBlock) -> String {
    format!("device exception {code:?} reading {} registers at {} ({:?})", block.count, block.start, block.table)
}

/// Transport errors: a frame the codec could not parse or one that answers another request is
/// a bad frame; anything else means the connection is gone.
fn classify_transport(e: tokio_modbus::Error) -> PollFailure {
    match e {
        tokio_modbus::Error::Protocol(p) => failure(Quality::BAD_FRAME, format!("mismatched response: {p}")),
        tokio_modbus::Error::Transport(io) if io.kind() == ErrorKind::InvalidData => {
            failure(Quality::BAD_FRAME, format!("garbled frame: {io}"))
        }
        tokio_modbus::Error::Transport(io) => failure(Quality::CONNECTION, format!("connection: {io}")),
    }
}
