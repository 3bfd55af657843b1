//! A TCP proxy in front of PostgreSQL that a test can cut and restore, to simulate an outage
//! without touching the shared server. While cut, live connections are dropped and new ones
//! are accepted and closed at once, which clients see as a dead server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

#[derive(Default)]
struct Links {
    cut: bool,
    /// Tasks relaying live connections; aborting one drops both of its sockets.
    live: Vec<AbortHandle>,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    addr: SocketAddr,
    links: Arc<Mutex<Links>>,
    accepted_while_cut: Arc<AtomicBool>,
    acceptor: JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 on a free port and relays every connection to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let links = Arc::new(Mutex::new(Links::default()));
        let accepted_while_cut = Arc::new(AtomicBool::new(false));
        let acceptor = tokio::spawn({
            let links = links.clone();
            let flag = accepted_while_cut.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    // Deciding and registering under one lock means a connection accepted
                    // during `cut()` is either refused or aborted by it, never missed.
                    let mut l = links.lock().unwrap();
                    if l.cut {
                        flag.store(true, Ordering::Relaxed);
                        drop(client);
                        continue;
                    }
                    l.live.retain(|h| !h.is_finished());
                    l.live.push(tokio::spawn(relay(client, target)).abort_handle());
                }
            }
        });
        Proxy { addr, links, accepted_while_cut, acceptor }
    }

    /// Starts a proxy to the server of a `postgres://` URL and returns it with the URL to use
    /// instead (same user, password and database, the proxy's address).
    pub async fn for_url(url: &str) -> (Proxy, String) {
        let (prefix, rest) = url.split_once("://").expect("URL with scheme");
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let (userinfo, hostport) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
        let hostport = if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:5432") };
        let target = tokio::net::lookup_host(&hostport).await.expect("resolve server").next().expect("an address");
        let proxy = Proxy::start(target).await;
        let at = if userinfo.is_empty() { String::new() } else { format!("{userinfo}@") };
        let proxied = format!("{prefix}://{at}{}/{path}", proxy.addr);
        (proxy, proxied)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every live connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        let mut l = self.links.lock().unwrap();
        l.cut = true;
        for h in l.live.drain(..) {
            h.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.links.lock().unwrap().cut = false;
    }

    /// Whether any client tried to connect while the proxy was cut.
    pub fn was_tried_while_cut(&self) -> bool {
        self.accepted_while_cut.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}

async fn relay(mut client: TcpStream, target: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(target).await {
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
