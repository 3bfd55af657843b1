//! A Modbus device that acknowledges every write to holding registers 100-101 and forgets it:
//! reads always return offset 0, correction off. What a controller in local mode, or one whose
//! remote commands are locked out, looks like from outside.

use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::Server;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

#[derive(Clone)]
struct Forgetful {
    writes: Arc<AtomicUsize>,
}

impl Service for Forgetful {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(match req.request {
            Request::ReadHoldingRegisters(100, n) if n <= 2 => Ok(Response::ReadHoldingRegisters(vec![0; n.into()])),
            Request::WriteSingleRegister(a, w) => {
                self.writes.fetch_add(1, Ordering::SeqCst);
                Ok(Response::WriteSingleRegister(a, w))
            }
            Request::WriteMultipleRegisters(a, words) => {
                self.writes.fetch_add(1, Ordering::SeqCst);
                Ok(Response::WriteMultipleRegisters(a, words.len() as u16))
            }
            Request::ReadHoldingRegisters(..) => Err(ExceptionCode::IllegalDataAddress),
            _ => Err(ExceptionCode::IllegalFunction),
        })
    }
}

/// A running forgetful device: its address and how many write requests it acknowledged.
pub struct IgnoringDevice {
    pub addr: SocketAddr,
    pub writes: Arc<AtomicUsize>,
}

impl IgnoringDevice {
    pub async fn start() -> IgnoringDevice {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let writes = Arc::new(AtomicUsize::new(0));
        let service = Forgetful { writes: writes.clone() };
        tokio::spawn(async move {
            let server = Server::new(listener);
            let on_connected = |stream: TcpStream, _peer: SocketAddr| {
                let service = service.clone();
                async move { Ok(Some((service, stream))) }
            };
            let _ = server.serve(&on_connected, |_err| {}).await;
        });
        IgnoringDevice { addr, writes }
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}
