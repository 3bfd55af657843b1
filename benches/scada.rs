//! SCADA server throughput and latency: how fast the Modbus server answers farm controllers.
//!
//! Runs the server in-process with a fixed in-memory source (so the figure is the server's
//! own cost, not the application's cache) and N tokio-modbus clients on their own connections,
//! each doing back-to-back 7-register reads (function 4) for a fixed time. Clients and server
//! share the same runtime and cores, so the figures are a lower bound for a dedicated server.
//! Prints requests/s and the p50/p99/p99.9/max latency of one request as a client sees it.
//!
//! `cargo bench --bench scada` (env: BENCH_CLIENTS, default 8; BENCH_SECONDS, default 5).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio_modbus::prelude::*;
use tokio_util::sync::CancellationToken;
use trueyaw::serve::scada::{ScadaServer, ScadaSource, ScadaStatus, ScadaValues};

/// Every unit id from 1 to 250 answers the same values.
struct FixedSource;

impl ScadaSource for FixedSource {
    fn values(&self, unit_id: u8) -> Option<ScadaValues> {
        (1..=250).contains(&unit_id).then_some(ScadaValues {
            corrected_relative_deg: Some(-2.5),
            corrected_absolute_deg: Some(241.3),
            yaw_offset_deg: Some(3.1),
            ci95_half_width_deg: Some(0.4),
            model_version: Some(3),
            reading_age_s: Some(1.0),
            status: ScadaStatus::Ok,
        })
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One client's loop: back-to-back reads until `until`; latency in microseconds.
async fn client(addr: SocketAddr, unit: u8, until: Instant) -> Histogram<u64> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let mut ctx = tokio_modbus::client::tcp::connect_slave(addr, Slave(unit)).await.expect("connect");
    while Instant::now() < until {
        let t0 = Instant::now();
        let words = ctx.read_input_registers(0, 7).await.expect("transport").expect("no exception");
        let micros = t0.elapsed().as_micros() as u64;
        assert_eq!(words.len(), 7);
        hist.record(micros.max(1)).expect("latency within histogram bounds");
    }
    hist
}

fn main() {
    let clients: usize = env_or("BENCH_CLIENTS", 8);
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(async {
        let source: Arc<dyn ScadaSource> = Arc::new(FixedSource);
        let server = ScadaServer::bind("127.0.0.1:0".parse().unwrap(), source).await.expect("bind");
        let addr = server.local_addr();
        let (served, exceptions) = (server.requests_served(), server.exceptions_sent());
        let stop = CancellationToken::new();
        let task = tokio::spawn(server.run(stop.clone()));

        let started = Instant::now();
        let until = started + Duration::from_secs(seconds);
        let handles: Vec<_> = (0..clients).map(|i| tokio::spawn(client(addr, 1 + (i % 250) as u8, until))).collect();
        let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for h in handles {
            all.add(h.await.expect("client task")).unwrap();
        }
        let wall = started.elapsed().as_secs_f64();
        stop.cancel();
        task.await.expect("server task").expect("server run");

        let n = all.len();
        assert_eq!(served.load(Ordering::Relaxed), n, "server counted every request");
        assert_eq!(exceptions.load(Ordering::Relaxed), 0);
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("scada: {clients} clients x 7-register reads for {wall:.1} s, server and clients on {cores} cores");
        println!("  requests: {n}  ({:.0} requests/s)", n as f64 / wall);
        println!(
            "  latency per request: p50 {} us  p99 {} us  p99.9 {} us  max {} us",
            all.value_at_quantile(0.50),
            all.value_at_quantile(0.99),
            all.value_at_quantile(0.999),
            all.max()
        );
    });
}
