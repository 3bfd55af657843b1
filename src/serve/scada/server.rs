//! Accepting SCADA connections and shutting them down: [`ScadaServer`].
//!
//! tokio-modbus 0.17 runs one task per connection, so a slow or misbehaving controller never
//! holds up another. Each connection's transport carries a completion guard, so [`ScadaServer::run`]
//! can wait until every connection is closed before it returns.
//!
//! A SCADA network is trusted less than it used to be, so each connection is bounded
//! ([`ScadaLimits`]): one silent for `idle_timeout` is closed, one that sent part of a request
//! and not the rest within `frame_timeout` is closed (a half frame would otherwise hold its task
//! and socket for ever), and beyond `max_connections` a new connection is closed at once, so
//! idle or hostile peers cannot take the descriptors the real controllers need.
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
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_modbus::server::tcp::Server;
use tokio_util::sync::CancellationToken;

use super::{ScadaService, ScadaSource};

/// How long `run` waits after a stop for connection tasks to drop their sockets. They are
/// cancelled at once; the bound only guards against a task stuck in a blocking source.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Bounds on each SCADA connection (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScadaLimits {
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A connection that sent part of a request and not the rest for this long is closed.
    pub frame_timeout: Duration,
    /// Connections beyond this many open ones are closed as they arrive.
    pub max_connections: usize,
}

impl Default for ScadaLimits {
    /// 120 s idle (controllers poll every second or few), 10 s for a request to arrive whole,
    /// 1024 connections.
    fn default() -> Self {
        Self { idle_timeout: Duration::from_secs(120), frame_timeout: Duration::from_secs(10), max_connections: 1024 }
    }
}

/// The SCADA Modbus TCP server, bound and ready to [`run`](Self::run).
#[derive(Debug)]
pub struct ScadaServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    service: ScadaService,
    /// Connections open now, for `/metrics`.
    connections: Arc<AtomicUsize>,
    limits: ScadaLimits,
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
        Ok(Self {
            listener,
            local_addr,
            service: ScadaService::new(source),
            connections: Arc::default(),
            limits: ScadaLimits::default(),
        })
    }

    /// Replaces the default [`ScadaLimits`].
    pub fn with_limits(mut self, limits: ScadaLimits) -> Self {
        self.limits = limits;
        self
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
        let Self { listener, local_addr, service, connections, limits } = self;
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
                if connections.load(Ordering::Relaxed) >= limits.max_connections {
                    tracing::warn!(%peer, max = limits.max_connections, "SCADA connection refused: too many open");
                    return std::future::ready(Ok(None)); // dropping the stream closes it
                }
                tracing::debug!(%peer, "SCADA client connected");
                let conn = Connection::new(stream, done_tx.clone(), Arc::clone(&connections), limits);
                std::future::ready(Ok(Some((service.clone(), conn))))
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

/// A connection's TCP stream with a completion guard (dropping it tells `run` this connection
/// is closed and keeps the open-connection count right) and the idle and frame deadlines of
/// [`ScadaLimits`]: reading fails with `TimedOut` once the deadline passes, which ends the
/// connection.
struct Connection {
    stream: TcpStream,
    _done: mpsc::Sender<()>,
    open: Arc<AtomicUsize>,
    limits: ScadaLimits,
    /// Bytes of a request have arrived and no answer has been written since.
    awaiting_rest: bool,
    deadline: Pin<Box<Sleep>>,
}

impl Connection {
    fn new(stream: TcpStream, done: mpsc::Sender<()>, open: Arc<AtomicUsize>, limits: ScadaLimits) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        let deadline = Box::pin(tokio::time::sleep(limits.idle_timeout));
        Self { stream, _done: done, open, limits, awaiting_rest: false, deadline }
    }

    fn restart_deadline(&mut self, after: Duration) {
        self.deadline.as_mut().reset(Instant::now() + after);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let filled = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // The frame deadline runs from the first byte of a request, not from the last:
                // a peer trickling a byte at a time does not keep a half frame alive.
                if buf.filled().len() > filled && !self.awaiting_rest {
                    self.awaiting_rest = true;
                    let after = self.limits.frame_timeout;
                    self.restart_deadline(after);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                ready!(self.deadline.as_mut().poll(cx));
                let (what, after) = if self.awaiting_rest {
                    ("the rest of a request", self.limits.frame_timeout)
                } else {
                    ("a request", self.limits.idle_timeout)
                };
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no {what} within {} s; connection closed", after.as_secs_f64()),
                )))
            }
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.stream).poll_write(cx, buf));
        if written.is_ok() {
            // An answer went out: the request was whole; the connection is idle again.
            self.awaiting_rest = false;
            let after = self.limits.idle_timeout;
            self.restart_deadline(after);
        }
        Poll::Ready(written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
