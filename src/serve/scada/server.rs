//! Accepting SCADA connections and shutting them down: [`ScadaServer`].
//!
//! tokio-modbus 0.17 runs one task per connection, so a slow or misbehaving controller never
//! holds up another. Each connection's transport carries a completion guard, so [`ScadaServer::run`]
//! can wait until every connection is closed before it returns.
//!
//! Known limit of tokio-modbus 0.17: its connection tasks belong to its accept loop, and that
//! loop ends on an accept error (for example, out of file descriptors). When that happens the
//! open connections are dropped too; the server logs a warning, listens again after 100 ms and
//! controllers reconnect.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_modbus::server::tcp::Server;
use tokio_util::sync::CancellationToken;

use super::{ScadaService, ScadaSource};

/// How long `run` waits after a stop for connection tasks to drop their sockets. They are
/// cancelled at once; the bound only guards against a task stuck in a blocking source.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The SCADA Modbus TCP server, bound and ready to [`run`](Self::run).
#[derive(Debug)]
pub struct ScadaServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    service: ScadaService,
    /// Connections open now, for `/metrics`.
    connections: Arc<AtomicUsize>,
}

impl ScadaServer {
    /// Binds `addr` (port 0 picks a free port, see [`local_addr`](Self::local_addr)) and
    /// prepares to answer from `source`. Binding is done here, not in `run`, so a port already
    /// in use is reported at startup.
    pub async fn bind(addr: SocketAddr, source: Arc<dyn ScadaSource>) -> io::Result<Self> {
        let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        // A restarted trueyaw can listen again at once while old connections sit in TIME_WAIT.
        socket.set_reuseaddr(true)?;
        socket.bind(addr).map_err(|e| io::Error::new(e.kind(), format!("SCADA server cannot bind {addr}: {e}")))?;
        let listener = socket.listen(1024)?;
        let local_addr = listener.local_addr()?;
        Ok(Self { listener, local_addr, service: ScadaService::new(source), connections: Arc::default() })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Requests answered, with registers or with an exception (a monotonic counter).
    pub fn requests_served(&self) -> Arc<AtomicU64> {
        self.service.requests_served()
    }

    /// Requests answered with a Modbus exception (a subset of [`requests_served`](Self::requests_served)).
    pub fn exceptions_sent(&self) -> Arc<AtomicU64> {
        self.service.exceptions_sent()
    }

    /// Connections open now.
    pub fn connections_open(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.connections)
    }

    /// Serves until `stop` is cancelled, then stops listening, closes every connection and
    /// returns once they are closed (or after a 5 s grace period).
    pub async fn run(self, stop: CancellationToken) -> io::Result<()> {
        let Self { listener, local_addr, service, connections } = self;
        tracing::info!(%local_addr, "SCADA Modbus server listening");
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let server = Server::new(listener);
        let on_connected = {
            let done_tx = done_tx.clone();
            move |stream: TcpStream, peer: SocketAddr| {
                // Polls are small request/response exchanges: Nagle's algorithm only adds delay.
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY on a SCADA connection");
                }
                tracing::debug!(%peer, "SCADA client connected");
                let conn = Connection::new(stream, done_tx.clone(), Arc::clone(&connections));
                let service = service.clone();
                async move { Ok(Some((service, conn))) }
            }
        };
        // A frame the codec cannot decode ends that connection with an error; say so at debug
        // level, since a controller cannot be fixed from here and other connections go on.
        let on_error = |err: io::Error| tracing::debug!(error = %err, "SCADA connection ended with an error");
        loop {
            tokio::select! {
                served = server.serve(&on_connected, on_error) => {
                    if let Err(e) = served {
                        tracing::warn!(%local_addr, error = %e, "SCADA server failed to accept a connection; listening again in 100 ms");
                    }
                }
                () = stop.cancelled() => break,
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
                () = stop.cancelled() => break,
            }
        }
        // The serve future is gone, so tokio-modbus has cancelled every connection task; each
        // drops its transport and with it a sender. `recv` returns None once all are dropped.
        drop((server, on_connected, done_tx));
        if tokio::time::timeout(CLOSE_GRACE, done_rx.recv()).await.is_err() {
            tracing::warn!(%local_addr, "SCADA connections still open 5 s after stop");
        }
        tracing::info!(%local_addr, "SCADA Modbus server stopped");
        Ok(())
    }
}

/// A connection's TCP stream with a completion guard: dropping it tells `run` this connection
/// is closed and keeps the open-connection count right.
struct Connection {
    stream: TcpStream,
    _done: mpsc::Sender<()>,
    open: Arc<AtomicUsize>,
}

impl Connection {
    fn new(stream: TcpStream, done: mpsc::Sender<()>, open: Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self { stream, _done: done, open }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
