//! The Modbus TCP server of one simulated turbine: the generic register map of
//! `docs/domain.md`, read from and written to the turbine's [`TurbinePanel`].
//!
//! - Function 4 reads any sub-range of the input registers (0-7): the panel outputs, encoded
//!   with [`RegisterMap::encode`], missing values as the map's sentinels.
//! - Function 3 reads and functions 6 and 16 write the holding registers (100 yaw offset
//!   command, 0.01 deg; 101 correction enable, 0 or 1). A multi-register write is checked in
//!   full before anything is applied, so it is all or nothing.
//! - Exceptions: a quantity outside 1..=125 (reads) or 1..=123 (writes) is IllegalDataValue
//!   (03), as the Modbus application protocol specifies; an address range outside the map is
//!   IllegalDataAddress (02); an enable other than 0/1 or an offset beyond
//!   ±[`MAX_YAW_OFFSET_DEG`] is IllegalDataValue (03); any other function is IllegalFunction
//!   (01).
//! - Unit ids: 1, and 255 (the id the Modbus TCP implementation guide recommends for a device
//!   addressed by IP alone, and the default of several clients). Any other id is answered with
//!   exception 0x0B, "gateway target device failed to respond": a turbine's Modbus interface
//!   is typically a gateway to the controller's internal bus, and an explicit answer lets a
//!   misconfigured poller report the cause at once instead of timing out.

use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};

use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::Server;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

use super::{Panels, TurbineCommands, TurbineOutputs};
use crate::domain::register_map::{FieldSpec, Table};
use crate::domain::{RegisterMap, Signal};

/// The unit id each simulated turbine answers (besides 255).
pub const UNIT_ID: u8 = 1;
/// Largest yaw offset command the simulated controller accepts, deg: a safety limit, as a
/// real controller would have; beyond it the write is refused with IllegalDataValue.
pub const MAX_YAW_OFFSET_DEG: f64 = 45.0;

/// The register layout served, derived once from the generic map and shared by all turbines.
#[derive(Debug)]
pub struct Layout {
    map: RegisterMap,
    inputs: Vec<(Signal, FieldSpec)>,
    input_len: u16,
    yaw_offset: FieldSpec,
    enable: FieldSpec,
    holding_start: u16,
    holding_len: u16,
}

impl Layout {
    /// The generic map of `config/registers/generic.toml`.
    pub fn generic() -> Self {
        let map = RegisterMap::generic();
        let inputs: Vec<(Signal, FieldSpec)> =
            map.signals.iter().filter(|(_, f)| f.table == Table::Input).map(|(s, f)| (*s, f.clone())).collect();
        let input_len = inputs.iter().map(|(_, f)| f.address + f.value_type.words()).max().unwrap_or(0);
        let yaw_offset = map.commands.yaw_offset_deg.clone().expect("generic map has the yaw offset command");
        let enable = map.commands.correction_enable.clone().expect("generic map has the correction enable");
        let holding_start = yaw_offset.address.min(enable.address);
        let holding_end =
            (yaw_offset.address + yaw_offset.value_type.words()).max(enable.address + enable.value_type.words());
        Self { map, inputs, input_len, yaw_offset, enable, holding_start, holding_len: holding_end - holding_start }
    }

    fn input_image(&self, out: &TurbineOutputs) -> Vec<u16> {
        let mut image = vec![0u16; usize::from(self.input_len)];
        for (signal, f) in &self.inputs {
            let value = out.get(*signal);
            let at = usize::from(f.address);
            let words = self.map.encode(f, value);
            image[at..at + words.len()].copy_from_slice(&words);
        }
        image
    }

    fn holding_image(&self, c: &TurbineCommands) -> Vec<u16> {
        let mut image = vec![0u16; usize::from(self.holding_len)];
        let enable = Some(if c.correction_enable { 1.0 } else { 0.0 });
        for (f, v) in [(&self.yaw_offset, Some(c.yaw_offset_deg)), (&self.enable, enable)] {
            let at = usize::from(f.address - self.holding_start);
            let words = self.map.encode(f, v);
            image[at..at + words.len()].copy_from_slice(&words);
        }
        image
    }

    /// Validates a write of `words` at `start` and returns the commands it results in.
    fn apply_write(
        &self,
        current: TurbineCommands,
        start: u16,
        words: &[u16],
    ) -> Result<TurbineCommands, ExceptionCode> {
        if words.is_empty() || words.len() > 123 {
            return Err(ExceptionCode::IllegalDataValue);
        }
        let end = u32::from(start) + words.len() as u32;
        if start < self.holding_start || end > u32::from(self.holding_start + self.holding_len) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        let mut next = current;
        let covers = |f: &FieldSpec| f.address >= start && u32::from(f.address + f.value_type.words()) <= end;
        let value =
            |f: &FieldSpec| self.map.decode(f, start, words).ok().flatten().ok_or(ExceptionCode::IllegalDataValue);
        if covers(&self.yaw_offset) {
            let v = value(&self.yaw_offset)?;
            if v.abs() > MAX_YAW_OFFSET_DEG {
                return Err(ExceptionCode::IllegalDataValue);
            }
            next.yaw_offset_deg = v;
        }
        if covers(&self.enable) {
            next.correction_enable = match value(&self.enable)? {
                0.0 => false,
                1.0 => true,
                _ => return Err(ExceptionCode::IllegalDataValue),
            };
        }
        Ok(next)
    }
}

/// Checks a read request's quantity and range against a table of `len` registers at `base`.
fn read_range(base: u16, len: u16, start: u16, qty: u16) -> Result<std::ops::Range<usize>, ExceptionCode> {
    if qty == 0 || qty > 125 {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let end = u32::from(start) + u32::from(qty);
    if start < base || end > u32::from(base) + u32::from(len) {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    Ok(usize::from(start - base)..usize::from(start - base + qty))
}

/// The Modbus service of one turbine, one instance per connection.
#[derive(Debug, Clone)]
pub struct TurbineService {
    panels: Panels,
    index: usize,
    layout: Arc<Layout>,
}

impl TurbineService {
    pub fn new(panels: Panels, index: usize, layout: Arc<Layout>) -> Self {
        Self { panels, index, layout }
    }

    fn handle(&self, req: SlaveRequest<'static>) -> Result<Response, ExceptionCode> {
        if req.slave != UNIT_ID && req.slave != 0xFF {
            return Err(ExceptionCode::GatewayTargetDevice);
        }
        let panel = &self.panels[self.index];
        let l = &self.layout;
        match req.request {
            Request::ReadInputRegisters(start, qty) => {
                let range = read_range(0, l.input_len, start, qty)?;
                let out = panel.outputs.read().unwrap_or_else(PoisonError::into_inner);
                Ok(Response::ReadInputRegisters(l.input_image(&out)[range].to_vec()))
            }
            Request::ReadHoldingRegisters(start, qty) => {
                let range = read_range(l.holding_start, l.holding_len, start, qty)?;
                let c = *panel.commands.read().unwrap_or_else(PoisonError::into_inner);
                Ok(Response::ReadHoldingRegisters(l.holding_image(&c)[range].to_vec()))
            }
            Request::WriteSingleRegister(addr, word) => {
                let mut c = panel.commands.write().unwrap_or_else(PoisonError::into_inner);
                *c = l.apply_write(*c, addr, &[word])?;
                Ok(Response::WriteSingleRegister(addr, word))
            }
            Request::WriteMultipleRegisters(addr, words) => {
                let mut c = panel.commands.write().unwrap_or_else(PoisonError::into_inner);
                *c = l.apply_write(*c, addr, &words)?;
                Ok(Response::WriteMultipleRegisters(addr, words.len() as u16))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

impl Service for TurbineService {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.handle(req))
    }
}

/// Binds a listener with SO_REUSEADDR, so a stopped turbine can listen on its port again at
/// once even while its old connections linger in TIME_WAIT.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves turbine `index` on `listener` until `stop` is cancelled; then the listener closes and
/// every open connection is dropped, as when a turbine goes offline.
pub fn spawn(
    listener: TcpListener,
    panels: Panels,
    index: usize,
    layout: Arc<Layout>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let server = Server::new(listener);
        let on_connected = |stream: tokio::net::TcpStream, _peer: SocketAddr| {
            // Polls are small request/response exchanges: Nagle's algorithm would only add delay.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on a simulated Modbus connection");
            }
            let service = TurbineService::new(panels.clone(), index, layout.clone());
            async move { Ok(Some((service, stream))) }
        };
        let on_error =
            |err: io::Error| tracing::debug!(error = %err, "simulated Modbus connection ended with an error");
        // `serve` only returns on an accept error (for example out of file descriptors); keep
        // the turbine listening after a pause rather than taking it offline for good.
        loop {
            tokio::select! {
                served = server.serve(&on_connected, on_error) => {
                    if let Err(e) = served {
                        tracing::warn!(turbine = index + 1, error = %e, "simulated Modbus server failed to accept");
                    }
                }
                () = stop.cancelled() => return,
            }
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                () = stop.cancelled() => return,
            }
        }
    })
}
