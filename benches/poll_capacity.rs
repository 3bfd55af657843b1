//! Poll capacity: how many simulated turbines one poller process keeps on a 1 Hz schedule.
//!
//! Runs the real binaries as separate processes so the poller's CPU and memory are its own:
//! `trueyaw simulate` serves N turbines over Modbus TCP, `trueyaw poll` polls them into a
//! fresh PostgreSQL database for a fixed time and writes its summary. Reports the share of
//! polls on schedule (ran, and finished within one interval of when they were due), p50/p99
//! poll latency, the poller's CPU use and peak resident memory.
//!
//! `cargo bench --bench poll_capacity` (env: BENCH_TURBINES, default 2000; BENCH_SECONDS,
//! default 60; DATABASE_URL for the server).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let turbines: usize = env_or("BENCH_TURBINES", 2000);
    let seconds: u64 = env_or("BENCH_SECONDS", 60);
    let base_port: u16 = env_or("BENCH_BASE_PORT", 21000);
    let bin = env!("CARGO_BIN_EXE_trueyaw");
    let server = server_url();
    let db_name = format!("trueyaw_bench_poll_{}", std::process::id());
    let db_url = format!("{server}/{db_name}");
    let dir = std::env::temp_dir().join(&db_name);
    std::fs::create_dir_all(&dir).unwrap();
    eprintln!("open-file limit: {}", open_file_limit());

    let mut sim = Command::new(bin)
        .args(["--log", "warn", "simulate", "--clean", "--turbines", &turbines.to_string()])
        .args(["--base-port", &base_port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("start simulator");
    wait_for_port(base_port + turbines as u16 - 1, &mut sim);

    let config = dir.join("farm.toml");
    let mut f = std::fs::File::create(&config).unwrap();
    writeln!(f, "[farm]\nname = \"bench\"\n[storage]\nspool_dir = \"spool\"\n[windows]\nrefresh_s = 60").unwrap();
    for i in 0..turbines {
        writeln!(
            f,
            "[[turbine]]\nname = \"T{:02}\"\nmodbus = {{ host = \"127.0.0.1\", port = {} }}",
            i + 1,
            usize::from(base_port) + i
        )
        .unwrap();
    }
    drop(f);
    let migrated = Command::new(bin).args(["--log", "warn", "migrate"]).env("DATABASE_URL", &db_url).status().unwrap();
    assert!(migrated.success(), "trueyaw migrate failed");
    let summary_path = dir.join("summary.json");
    let started = Instant::now();
    let mut poller = Command::new(bin)
        .args(["--log", "warn", "poll", "--duration", &seconds.to_string(), "--summary"])
        .arg(&summary_path)
        .arg("--config")
        .arg(&config)
        .env("DATABASE_URL", &db_url)
        .spawn()
        .expect("start poller");
    let pid = poller.id();
    // Sample CPU time just before exit: /proc disappears once the process is reaped.
    let mut last_cpu = 0.0;
    let mut peak_rss_kib = 0u64;
    loop {
        if let Some((cpu, hwm)) = proc_stats(pid) {
            last_cpu = cpu;
            peak_rss_kib = peak_rss_kib.max(hwm);
        }
        if poller.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let wall = started.elapsed().as_secs_f64();
    let _ = sim.kill();
    let _ = sim.wait();

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_path).expect("poller summary")).unwrap();
    let per = summary["turbines"].as_array().unwrap();
    let sum = |k: &str| per.iter().map(|t| t[k].as_u64().unwrap()).sum::<u64>();
    let (ok, failed, late, skipped) = (sum("polls_ok"), sum("polls_failed"), sum("polls_late"), sum("ticks_skipped"));
    let due = ok + failed + skipped;
    let on_schedule = 100.0 * (ok + failed - late) as f64 / due as f64;
    let lat = &summary["latency"];
    let rows = summary["writer"]["rows_written"].as_u64().unwrap_or(0);
    let cpu_pct = 100.0 * last_cpu / wall;
    println!("| turbines | seconds | polls | failed | on schedule | p50 ms | p99 ms | poller CPU | poller peak RSS |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {turbines} | {seconds} | {} | {failed} | {on_schedule:.2} % | {:.2} | {:.2} | {cpu_pct:.0} % of one core | {:.0} MiB |",
        ok + failed,
        lat["p50_ms"].as_f64().unwrap(),
        lat["p99_ms"].as_f64().unwrap(),
        peak_rss_kib as f64 / 1024.0
    );
    println!(
        "{}",
        serde_json::json!({"bench": "poll_capacity", "turbines": turbines, "seconds": seconds, "polls": ok + failed,
            "failed": failed, "late": late, "skipped": skipped, "on_schedule_pct": on_schedule,
            "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "cpu_pct_of_one_core": cpu_pct,
            "peak_rss_mib": peak_rss_kib as f64 / 1024.0, "rows_written": rows})
    );
    drop_database(&server, &db_name);
    let _ = std::fs::remove_dir_all(&dir);
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| trueyaw::config::DEFAULT_DATABASE_URL.to_string());
    url.rsplit_once('/').map(|(s, _)| s.to_string()).unwrap_or(url)
}

fn wait_for_port(port: u16, sim: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(sim.try_wait().unwrap().is_none(), "simulator exited early");
        assert!(Instant::now() < deadline, "simulator did not listen on {port}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// (user + system CPU seconds, peak RSS KiB) of a live process, from /proc.
fn proc_stats(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((ticks / 100.0, hwm))
}

fn open_file_limit() -> String {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| l.lines().find(|l| l.starts_with("Max open files")).map(str::to_string))
        .unwrap_or_default()
}

fn drop_database(server: &str, name: &str) {
    let _ = Command::new("psql")
        .arg(format!("{server}/postgres"))
        .args(["-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
        .status();
}
