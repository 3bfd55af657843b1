//! A started private server as a guard: the URL to connect to, and `pg_ctl stop -m fast` when
//! the guard is stopped or dropped, but only for a server this process started. Dropping
//! covers every way a command ends (an error returned with `?`, a panic, a Ctrl-C that
//! cancels the command's token); [`RunningServer::stop`] is the same, with its error returned.

use std::path::{Path, PathBuf};

use super::{PG_CTL_WAIT_S, PrivateServer, PrivateServerError, RunAs};

/// A private server that runs now.
#[derive(Debug)]
pub struct RunningServer {
    data_dir: PathBuf,
    port: u16,
    major: u32,
    pg_ctl: PathBuf,
    run_as: RunAs,
    /// Stop it when the guard goes: this process started it (and has not stopped it yet).
    stop_on_drop: bool,
    started_here: bool,
}

impl RunningServer {
    pub(crate) fn new(server: &PrivateServer, port: u16, started_here: bool) -> RunningServer {
        RunningServer {
            data_dir: server.data_dir.clone(),
            port,
            major: server.binaries.major,
            pg_ctl: server.binaries.pg_ctl(),
            run_as: server.run_as.clone(),
            stop_on_drop: started_here,
            started_here,
        }
    }

    /// Leaves the server running when the guard goes (someone else started it after all).
    pub(crate) fn disarm(mut self) {
        self.stop_on_drop = false;
    }

    /// The URL of `database` on this server, as the `postgres` superuser over loopback TCP.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The PostgreSQL major version of the server.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// True when this process started the server, so it stops it; false when it was already
    /// running (another process's), so it is left running.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// The postmaster's process id, from `postmaster.pid`, while it runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        parse_postmaster_pid(&text).map(|(pid, _)| pid)
    }

    /// Stops the server if this process started it (fast shutdown: sessions are ended,
    /// nothing committed is lost), waiting until it has exited.
    pub async fn stop(mut self) -> Result<(), PrivateServerError> {
        if !std::mem::take(&mut self.stop_on_drop) {
            return Ok(());
        }
        let r = super::run(self.stop_command(), "pg_ctl stop").await;
        if r.is_ok() {
            tracing::info!(data_dir = %self.data_dir.display(), "stopped the private PostgreSQL");
        }
        r
    }

    fn stop_command(&self) -> std::process::Command {
        let mut c = super::command(&self.run_as, self.pg_ctl.clone(), &self.data_dir);
        c.args(["stop", "-m", "fast", "-w", "-t", PG_CTL_WAIT_S, "-D"]).arg(&self.data_dir);
        c
    }
}

impl Drop for RunningServer {
    /// Blocks the thread for the second a fast shutdown takes: this runs while a command is
    /// ending, and a server left running would outlive the process that owns it.
    fn drop(&mut self) {
        if !self.stop_on_drop {
            return;
        }
        let mut c = self.stop_command();
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        match c.status() {
            Ok(s) if s.success() => {
                tracing::info!(data_dir = %self.data_dir.display(), "stopped the private PostgreSQL")
            }
            // Also the case when a start failed before the server came up: nothing to stop.
            other => tracing::debug!(?other, "pg_ctl stop of the private PostgreSQL"),
        }
    }
}

/// The postmaster's pid (line 1) and port (line 4) from a `postmaster.pid` file.
pub(crate) fn parse_postmaster_pid(text: &str) -> Option<(u32, u16)> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2)?.trim().parse().ok()?;
    Some((pid, port))
}

/// The last `n` lines of the server's log file, for an error message.
pub(crate) fn log_tail(log: &Path, n: usize) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            format!("last lines of {}:\n{}", log.display(), lines[lines.len().saturating_sub(n)..].join("\n"))
        }
        Err(e) => format!("(no log at {}: {e})", log.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_and_port_are_read_from_postmaster_pid() {
        let text = "4242\n/var/cache/trueyaw/postgres-15\n1765100000\n54329\n/var/cache/trueyaw/postgres-15\n\
                    127.0.0.1\n  54329001         0\nready   \n";
        assert_eq!(parse_postmaster_pid(text), Some((4242, 54329)));
        assert_eq!(parse_postmaster_pid("4242\n/x\n"), None);
    }
}
