//! The Modbus TCP client of a controller's yaw-offset command registers: reads and writes the
//! `commands.yaw_offset_deg` and `commands.correction_enable` holding registers of the
//! turbine's register map, with a timeout on every request. Errors name the turbine, the
//! register, the value and what went wrong, so an alarm says exactly what failed where.
//!
//! A [`DeviceSession`] holds one connection for a read-write-read-back sequence and drops it
//! after any transport error or timeout, so a late answer is never taken for the next one; the
//! next request then reconnects (the read-back after a broken write gets a clean stream).
//! When both registers are adjacent they are written in one request (function 16), which a
//! controller applies all or nothing; otherwise the offset goes first when enabling and the
//! enable first when disabling, so no intermediate state applies a stale offset.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpStream, lookup_host};
use tokio::time::timeout;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::{ExceptionCode, Request, Response, Slave};

use super::policy::DeviceState;
use crate::config::ModbusSource;
use crate::domain::register_map::FieldSpec;
use crate::domain::{RegisterMap, TurbineName};

/// Time allowed to connect and for each request to answer, unless set otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// What went wrong talking to a controller.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The turbine's register map lacks a command register, so nothing can be written.
    #[error(
        "turbine {turbine}: register map `{map}` has no `commands.{command}` register; write-back needs \
         commands.yaw_offset_deg and commands.correction_enable"
    )]
    NoCommandRegister { turbine: TurbineName, map: String, command: &'static str },
    /// An operation failed; `action` says which registers and values, `cause` why.
    #[error("turbine {turbine} at {addr}: {action}: {cause}")]
    Failed { turbine: TurbineName, addr: String, action: String, cause: Cause },
}

impl DeviceError {
    /// True when the device answered with a Modbus exception (it refused the request).
    pub fn is_exception(&self) -> bool {
        matches!(self, DeviceError::Failed { cause: Cause::Exception(_), .. })
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("the device refused it with Modbus exception {0:?}")]
    Exception(ExceptionCode),
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    BadResponse(String),
}

/// The command registers of one turbine's controller.
#[derive(Debug, Clone)]
pub struct CommandDevice {
    turbine: TurbineName,
    host: String,
    port: u16,
    unit_id: u8,
    map: RegisterMap,
    offset: FieldSpec,
    enable: FieldSpec,
    timeout: Duration,
}

impl CommandDevice {
    /// The device of `turbine` polled from `source`; fails when its map has no command registers.
    pub fn new(turbine: TurbineName, source: &ModbusSource) -> Result<Self, DeviceError> {
        let map = source.register_map.clone();
        let missing =
            |command| DeviceError::NoCommandRegister { turbine: turbine.clone(), map: map.name.clone(), command };
        let offset = map.commands.yaw_offset_deg.clone().ok_or_else(|| missing("yaw_offset_deg"))?;
        let enable = map.commands.correction_enable.clone().ok_or_else(|| missing("correction_enable"))?;
        Ok(Self {
            turbine,
            host: source.host.clone(),
            port: source.port,
            unit_id: source.unit_id,
            map,
            offset,
            enable,
            timeout: DEFAULT_REQUEST_TIMEOUT,
        })
    }

    /// Sets the connect and per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn turbine(&self) -> &TurbineName {
        &self.turbine
    }

    /// One raw count of the yaw offset register, deg.
    pub fn resolution_deg(&self) -> f64 {
        self.offset.scale.abs()
    }

    /// Whether `read` is what writing `wrote` should read back: the offset within one raw count
    /// (the register rounds to its resolution) and the same enable state.
    pub fn verifies(&self, wrote: &DeviceState, read: &DeviceState) -> bool {
        let one_count = self.resolution_deg() * (1.0 + 1e-6);
        wrote.correction_enable == read.correction_enable
            && (wrote.yaw_offset_deg - read.yaw_offset_deg).abs() <= one_count
    }

    /// A session; it connects on its first request.
    pub fn session(&self) -> DeviceSession<'_> {
        DeviceSession { device: self, ctx: None }
    }

    fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn describe(&self, f: &FieldSpec) -> &'static str {
        if f.address == self.offset.address { "yaw_offset_deg" } else { "correction_enable" }
    }

    fn fail(&self, action: &str, cause: Cause) -> DeviceError {
        DeviceError::Failed { turbine: self.turbine.clone(), addr: self.addr(), action: action.to_string(), cause }
    }
}

/// One connection to a controller (see the module docs).
pub struct DeviceSession<'a> {
    device: &'a CommandDevice,
    ctx: Option<Context>,
}

impl DeviceSession<'_> {
    /// Reads both command registers.
    pub async fn read(&mut self) -> Result<DeviceState, DeviceError> {
        let d = self.device;
        let lo = d.offset.address.min(d.enable.address);
        let hi = (d.offset.address + d.offset.value_type.words()).max(d.enable.address + d.enable.value_type.words());
        // One request when both fit in one read, as in the generic map (100-101).
        let blocks: Vec<(u16, u16)> = if hi - lo <= 125 {
            vec![(lo, hi - lo)]
        } else {
            [&d.offset, &d.enable].iter().map(|f| (f.address, f.value_type.words())).collect()
        };
        let mut words_at: Vec<(u16, Vec<u16>)> = Vec::new();
        for (start, count) in blocks {
            let action = format!("read holding registers {start}-{}", start + count - 1);
            let words = match self.call(&action, Request::ReadHoldingRegisters(start, count)).await? {
                Response::ReadHoldingRegisters(w) if w.len() == usize::from(count) => w,
                other => return Err(self.bad_response(&action, &other)),
            };
            words_at.push((start, words));
        }
        let value = |f: &FieldSpec| -> Result<f64, DeviceError> {
            let name = d.describe(f);
            let action = format!("read {name} (holding register {})", f.address);
            let (start, words) = words_at
                .iter()
                .find(|(s, w)| f.address >= *s && usize::from(f.address - s) < w.len())
                .expect("every command register was read");
            match d.map.decode(f, *start, words) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(d.fail(&action, Cause::BadResponse("the device reports it missing".into()))),
                Err(e) => Err(d.fail(&action, Cause::BadResponse(e.to_string()))),
            }
        };
        let offset = value(&d.offset)?;
        let enable = value(&d.enable)?;
        let correction_enable = match enable {
            0.0 => false,
            1.0 => true,
            v => {
                let action = format!("read correction_enable (holding register {})", d.enable.address);
                return Err(d.fail(&action, Cause::BadResponse(format!("value {v} is neither 0 nor 1"))));
            }
        };
        Ok(DeviceState { yaw_offset_deg: offset, correction_enable })
    }

    /// Writes both command registers (see the module docs for the order).
    pub async fn write(&mut self, state: DeviceState) -> Result<(), DeviceError> {
        let d = self.device;
        let offset_words = d.map.encode(&d.offset, Some(state.yaw_offset_deg));
        let enable_words = d.map.encode(&d.enable, Some(if state.correction_enable { 1.0 } else { 0.0 }));
        let mut parts = vec![
            (d.offset.address, offset_words, format!("yaw_offset_deg = {:+.2} deg", state.yaw_offset_deg)),
            (d.enable.address, enable_words, format!("correction_enable = {}", u8::from(state.correction_enable))),
        ];
        if !state.correction_enable {
            parts.reverse();
        }
        let first_end = parts[0].0 + parts[0].1.len() as u16;
        let second_end = parts[1].0 + parts[1].1.len() as u16;
        if first_end == parts[1].0 || second_end == parts[0].0 {
            parts.sort_by_key(|p| p.0);
            let (addr, mut words, what) = parts.remove(0);
            words.extend(&parts[0].1);
            return self.write_words(addr, words, &format!("{what}, {}", parts[0].2)).await;
        }
        for (addr, words, what) in parts {
            self.write_words(addr, words, &what).await?;
        }
        Ok(())
    }

    /// Closes the connection (gracefully when possible).
    pub async fn close(mut self) {
        if let Some(mut ctx) = self.ctx.take() {
            let _ = timeout(Duration::from_millis(200), ctx.disconnect()).await;
        }
    }

    async fn write_words(&mut self, addr: u16, words: Vec<u16>, what: &str) -> Result<(), DeviceError> {
        let last = addr + words.len() as u16 - 1;
        let regs =
            if last == addr { format!("holding register {addr}") } else { format!("holding registers {addr}-{last}") };
        let action = format!("write {what} to {regs}");
        let n = words.len() as u16;
        let request = if n == 1 {
            Request::WriteSingleRegister(addr, words[0])
        } else {
            Request::WriteMultipleRegisters(addr, words.clone().into())
        };
        match self.call(&action, request).await? {
            Response::WriteSingleRegister(a, w) if n == 1 && a == addr && w == words[0] => Ok(()),
            Response::WriteMultipleRegisters(a, q) if n > 1 && a == addr && q == n => Ok(()),
            other => Err(self.bad_response(&action, &other)),
        }
    }

    fn bad_response(&mut self, action: &str, got: &Response) -> DeviceError {
        // The stream no longer matches our requests: start the next one on a fresh connection.
        self.ctx = None;
        self.device.fail(action, Cause::BadResponse(format!("{got:?}")))
    }

    async fn call(&mut self, action: &str, request: Request<'_>) -> Result<Response, DeviceError> {
        let d = self.device;
        if self.ctx.is_none() {
            self.ctx = Some(Self::connect(self.device).await.map_err(|c| d.fail(action, c))?);
        }
        let ctx = self.ctx.as_mut().expect("connected above");
        match timeout(d.timeout, ctx.call(request)).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(code))) => Err(d.fail(action, Cause::Exception(code))),
            Ok(Err(e)) => {
                self.ctx = None;
                Err(d.fail(action, Cause::Transport(e.to_string())))
            }
            Err(_) => {
                self.ctx = None;
                Err(d.fail(action, Cause::Timeout(d.timeout)))
            }
        }
    }

    /// Opens a connection. Takes the device, not the session, so the future stays `Send` (the
    /// session holds a `Context`, which is not `Sync`).
    async fn connect(d: &CommandDevice) -> Result<Context, Cause> {
        let addr: SocketAddr = match timeout(d.timeout, lookup_host(d.addr())).await {
            Ok(Ok(mut addrs)) => addrs.next().ok_or_else(|| Cause::Connect("host resolves to no address".into()))?,
            Ok(Err(e)) => return Err(Cause::Connect(format!("cannot resolve host: {e}"))),
            Err(_) => return Err(Cause::Timeout(d.timeout)),
        };
        let stream = match timeout(d.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(Cause::Connect(e.to_string())),
            Err(_) => return Err(Cause::Timeout(d.timeout)),
        };
        let _ = stream.set_nodelay(true);
        Ok(tokio_modbus::client::tcp::attach_slave(stream, Slave(d.unit_id)))
    }
}
