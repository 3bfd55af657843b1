//! A private PostgreSQL for when no database was named and none answers: the system's own
//! server binaries (Debian's `postgresql` package), a data directory in the user's cache, a
//! fixed loopback port. No home-made store: the same PostgreSQL the rest of trueyaw expects.
//!
//! - [`binaries`]: finding `initdb`, `pg_ctl` and `postgres`, and their major version.
//! - [`account`]: who runs the server and where its data lives (root hands it to `postgres`).
//! - [`running`]: the started server as a guard that stops it when dropped.
//! - [`PrivateDatabase`]: when a command may start one, by name.
//!
//! Life cycle. [`PrivateServer::start`] runs `initdb` only when the data directory has no
//! `PG_VERSION` (a later run reuses the cluster and its databases), then asks `pg_ctl status`
//! whether the server already runs (another trueyaw started it: it is used and left running),
//! else starts it with `pg_ctl start -w` and returns a guard that runs `pg_ctl stop -m fast`
//! when the command ends, however it ends. The server listens on 127.0.0.1 only (first free
//! port from [`DEFAULT_PORT`]), its Unix socket and log file (`server.log`) in the data
//! directory, with trust authentication for those local connections only.
//!
//! Why another account under root: `initdb` and `postgres` refuse to run as root, and this is
//! the job the Debian package's `postgres` account exists for. The programs are started with
//! that uid and gid set on the child process (`CommandExt::uid`/`gid`, which also drops root's
//! supplementary groups) rather than through `runuser`/`su`: nothing beyond std, no PAM
//! session, no shell quoting, the same code path as an ordinary user. The data directory is
//! chowned to `postgres` and mode 0700, as PostgreSQL requires; the folders above it must let
//! `postgres` through, which root's home does not, so root's default is `/var/cache/trueyaw`.
//!
//! Known limit: a server one process started is stopped when that process ends, even if
//! another trueyaw has since started using it; that one then waits for the database (the
//! poller spools) until it is started again.

mod account;
mod binaries;
mod choice;
mod running;

pub use account::{RunAs, SERVICE_USER, default_data_dir};
pub use binaries::Binaries;
pub use choice::PrivateDatabase;
pub use running::RunningServer;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// The first port a private server tries on 127.0.0.1 (beside 5432, easy to recognise).
pub const DEFAULT_PORT: u16 = 54329;
/// How many ports from the preferred one are tried when it is taken by another program.
pub const PORTS_TRIED: u16 = 10;
/// How long `pg_ctl` waits for the server to start or stop, seconds.
const PG_CTL_WAIT_S: &str = "60";

/// Why a private server could not be set up or started.
#[derive(Debug, thiserror::Error)]
pub enum PrivateServerError {
    #[error(
        "no PostgreSQL server found (looked for initdb, pg_ctl and postgres via `pg_config --bindir`, in \
         /usr/lib/postgresql/*/bin and on PATH): install the `postgresql` package (Debian/Ubuntu: \
         `apt-get install postgresql`), or set DATABASE_URL"
    )]
    NotInstalled,
    #[error(
        "running as root, the private PostgreSQL must run as the `{SERVICE_USER}` account, which does not exist: \
         install the `postgresql` package (Debian/Ubuntu: `apt-get install postgresql`), or set DATABASE_URL"
    )]
    NoServiceUser,
    #[error(
        "neither XDG_CACHE_HOME nor HOME names a folder for the private PostgreSQL's data: set one, or set DATABASE_URL"
    )]
    NoCacheDir,
    #[error(
        "the `{SERVICE_USER}` account cannot enter {dir}, so it cannot reach {data_dir}: set XDG_CACHE_HOME to a \
         folder it can reach, or set DATABASE_URL"
    )]
    Unreachable { dir: PathBuf, data_dir: PathBuf },
    #[error("{dir} is not empty and holds no PostgreSQL cluster (no PG_VERSION): move it away, or set DATABASE_URL")]
    NotACluster { dir: PathBuf },
    #[error(
        "{dir} holds a PostgreSQL {found} cluster but the binaries found are PostgreSQL {major}: move it away, or \
         set DATABASE_URL"
    )]
    VersionMismatch { dir: PathBuf, found: String, major: u32 },
    #[error("ports {first}-{last} on 127.0.0.1 are all taken by other programs: free one, or set DATABASE_URL")]
    NoFreePort { first: u16, last: u16 },
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl PrivateServerError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        PrivateServerError::Io { path: path.to_path_buf(), source }
    }
}

/// What a private server is made of: binaries, data directory, preferred port, account.
#[derive(Debug, Clone)]
pub struct PrivateServer {
    pub binaries: Binaries,
    /// The cluster's data directory (created, and `initdb` run, on first start).
    pub data_dir: PathBuf,
    /// The port tried first; the next [`PORTS_TRIED`] - 1 are tried when it is taken.
    pub port: u16,
    pub run_as: RunAs,
}

impl PrivateServer {
    /// The server for this user: the binaries found, the default data directory for their
    /// major version, [`DEFAULT_PORT`].
    pub fn for_this_user() -> Result<PrivateServer, PrivateServerError> {
        let binaries = Binaries::find()?;
        let data_dir = default_data_dir(binaries.major)?;
        Self::new(binaries, data_dir, DEFAULT_PORT)
    }

    /// A server with the given binaries, data directory and preferred port (tests use a
    /// temporary folder and a free port), run by the account this process calls for.
    pub fn new(binaries: Binaries, data_dir: PathBuf, port: u16) -> Result<PrivateServer, PrivateServerError> {
        Ok(PrivateServer { binaries, data_dir, port, run_as: RunAs::for_this_process()? })
    }

    /// Initialises the cluster if needed and starts it unless it already runs. The guard
    /// stops the server when dropped only if this call started it.
    pub async fn start(&self) -> Result<RunningServer, PrivateServerError> {
        self.prepare().await?;
        if let Some(running) = self.already_running().await? {
            return Ok(running);
        }
        let port = free_port(self.port)?;
        // The guard exists before `pg_ctl start` so that a start that fails half-way (or is
        // interrupted) is still stopped.
        let guard = RunningServer::new(self, port, true);
        let log = self.data_dir.join("server.log");
        let mut start = self.pg_ctl(["start", "-w", "-t", PG_CTL_WAIT_S, "-o"]);
        start.arg(format!("-p {port}")).arg("-l").arg(&log).arg("-D").arg(&self.data_dir);
        if let Err(e) = run(start, "pg_ctl start").await {
            // Another trueyaw may have started it in the meantime: then use that one.
            if let Some(running) = self.already_running().await? {
                guard.disarm();
                return Ok(running);
            }
            let tail = running::log_tail(&log, 15);
            return Err(PrivateServerError::Command { what: "pg_ctl start".into(), detail: format!("{e}\n{tail}") });
        }
        Ok(guard)
    }

    /// Creates and initialises the data directory unless it already holds a cluster.
    async fn prepare(&self) -> Result<(), PrivateServerError> {
        let dir = &self.data_dir;
        let version_file = dir.join("PG_VERSION");
        if let Ok(found) = std::fs::read_to_string(&version_file) {
            let found = found.trim().to_string();
            if found != self.binaries.major.to_string() {
                return Err(PrivateServerError::VersionMismatch {
                    dir: dir.clone(),
                    found,
                    major: self.binaries.major,
                });
            }
            return self.run_as.check_reachable(dir);
        }
        match std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
            Ok(true) => return Err(PrivateServerError::NotACluster { dir: dir.clone() }),
            Ok(false) => {}
            Err(_) => {
                account::create_parents(dir)?;
                std::fs::create_dir(dir).map_err(|e| PrivateServerError::io(dir, e))?;
            }
        }
        self.run_as.take_ownership(dir)?;
        self.run_as.check_reachable(dir)?;
        // The superuser is `postgres` whoever runs the server, so the URL is the default's
        // with another port.
        let mut initdb = self.command(self.binaries.initdb());
        initdb.args(["-U", "postgres", "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--no-locale", "-D"]);
        initdb.arg(dir);
        run(initdb, "initdb").await?;
        let conf = dir.join("postgresql.conf");
        let mut file =
            std::fs::OpenOptions::new().append(true).open(&conf).map_err(|e| PrivateServerError::io(&conf, e))?;
        file.write_all(local_settings(dir).as_bytes()).map_err(|e| PrivateServerError::io(&conf, e))?;
        tracing::info!(data_dir = %dir.display(), "initialised a private PostgreSQL cluster");
        Ok(())
    }

    /// The running server when `pg_ctl status` says one runs on this data directory.
    async fn already_running(&self) -> Result<Option<RunningServer>, PrivateServerError> {
        let mut status = self.pg_ctl(["status", "-D"]);
        status.arg(&self.data_dir);
        // Exit 0: running; 3: not running; 4: no readable data directory (not yet created).
        if run(status, "pg_ctl status").await.is_err() {
            return Ok(None);
        }
        let pid_file = self.data_dir.join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file).map_err(|e| PrivateServerError::io(&pid_file, e))?;
        let (_, port) = running::parse_postmaster_pid(&text).ok_or_else(|| PrivateServerError::Command {
            what: "reading postmaster.pid".into(),
            detail: format!("{} has no port line", pid_file.display()),
        })?;
        Ok(Some(RunningServer::new(self, port, false)))
    }

    fn pg_ctl<const N: usize>(&self, args: [&str; N]) -> std::process::Command {
        let mut c = self.command(self.binaries.pg_ctl());
        c.args(args);
        c
    }

    fn command(&self, program: PathBuf) -> std::process::Command {
        command(&self.run_as, program, &self.data_dir)
    }
}

/// A command run as `run_as`, in its own process group (a Ctrl-C at the terminal reaches
/// trueyaw, which then stops the server in order, rather than killing `initdb` half-way), in
/// the data directory when it exists (the account may not enter this process's own folder).
fn command(run_as: &RunAs, program: PathBuf, data_dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(program);
    c.process_group(0).stdin(std::process::Stdio::null());
    if data_dir.is_dir() {
        c.current_dir(data_dir);
    }
    if let RunAs::Account { uid, gid, .. } = run_as {
        c.uid(*uid).gid(*gid);
    }
    c
}

/// Runs `command` to the end, its output returned in the error when it fails.
async fn run(command: std::process::Command, what: &str) -> Result<(), PrivateServerError> {
    let out = tokio::process::Command::from(command)
        .output()
        .await
        .map_err(|e| PrivateServerError::Command { what: what.into(), detail: e.to_string() })?;
    if out.status.success() {
        return Ok(());
    }
    let mut detail = out.status.to_string();
    for text in [&out.stdout, &out.stderr].map(|o| String::from_utf8_lossy(o).trim().to_string()) {
        if !text.is_empty() {
            detail.push('\n');
            detail.push_str(&text);
        }
    }
    Err(PrivateServerError::Command { what: what.into(), detail })
}

/// The first port from `preferred` that nothing listens on at 127.0.0.1.
fn free_port(preferred: u16) -> Result<u16, PrivateServerError> {
    let last = preferred.saturating_add(PORTS_TRIED - 1);
    (preferred..=last)
        .find(|p| std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, *p)).is_ok())
        .ok_or(PrivateServerError::NoFreePort { first: preferred, last })
}

/// The lines appended to the cluster's `postgresql.conf`: loopback only, the socket in the
/// data directory (none when that path would pass the 107-byte limit of a socket address;
/// trueyaw connects over TCP anyway). The port is given at each start instead.
pub(crate) fn local_settings(data_dir: &Path) -> String {
    let dir = data_dir.display().to_string();
    let socket_dir = if dir.len() + "/.s.PGSQL.65535".len() <= 107 { dir.replace('\'', "''") } else { String::new() };
    format!(
        "\n# trueyaw's private server: loopback only, its socket in the data directory.\n\
         listen_addresses = '127.0.0.1'\nunix_socket_directories = '{socket_dir}'\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_listens_on_loopback_with_its_socket_in_the_data_directory() {
        let s = local_settings(Path::new("/var/cache/trueyaw/postgres-15"));
        assert!(s.contains("listen_addresses = '127.0.0.1'"), "{s}");
        assert!(s.contains("unix_socket_directories = '/var/cache/trueyaw/postgres-15'"), "{s}");
        let long = PathBuf::from(format!("/{}", "d".repeat(100)));
        assert!(local_settings(&long).contains("unix_socket_directories = ''"));
        assert!(local_settings(Path::new("/tmp/o'k")).contains("'/tmp/o''k'"));
    }

    #[tokio::test]
    async fn a_folder_that_holds_something_else_is_refused_not_initialised() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let binaries = Binaries { bindir: "/nonexistent".into(), major: 15 };
        let server =
            PrivateServer { binaries, data_dir: dir.path().into(), port: DEFAULT_PORT, run_as: RunAs::CurrentUser };
        let err = server.prepare().await.unwrap_err();
        assert!(matches!(err, PrivateServerError::NotACluster { .. }), "{err}");
        assert!(dir.path().join("notes.txt").exists());
    }

    #[tokio::test]
    async fn a_cluster_of_another_major_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("PG_VERSION"), "13\n").unwrap();
        let binaries = Binaries { bindir: "/nonexistent".into(), major: 15 };
        let server =
            PrivateServer { binaries, data_dir: dir.path().into(), port: DEFAULT_PORT, run_as: RunAs::CurrentUser };
        let err = server.prepare().await.unwrap_err().to_string();
        assert!(err.contains("PostgreSQL 13 cluster") && err.contains("PostgreSQL 15"), "{err}");
    }

    #[test]
    fn a_taken_preferred_port_moves_to_the_next_free_one() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let chosen = free_port(port).unwrap();
        assert_ne!(chosen, port);
        assert!(chosen > port && chosen < port.saturating_add(PORTS_TRIED));
    }
}
