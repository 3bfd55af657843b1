//! Which PostgreSQL `demo` and `serve` use: a URL someone gave (always first), else the default
//! address, else (when `--private-database` allows it) a private server from the system's
//! binaries that the command stops when it ends. Prints one line saying which it is.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use crate::config::{DEFAULT_DATABASE_URL, redact_url};
use crate::store::private_server::{PrivateDatabase, PrivateServer, RunningServer};

/// How long the default address has to answer before it counts as having nothing there.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// What [`decide`] settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Given,
    Default,
    Private,
}

/// The decision: a given URL wins; without one, `never` takes the default address, `always` a
/// private server, and `auto` asks `default_answers` (a probe of the default address, only
/// awaited in that case).
async fn decide(given: bool, mode: PrivateDatabase, default_answers: impl Future<Output = bool>) -> Decision {
    match (given, mode) {
        (true, _) => Decision::Given,
        (false, PrivateDatabase::Never) => Decision::Default,
        (false, PrivateDatabase::Always) => Decision::Private,
        (false, PrivateDatabase::Auto) if default_answers.await => Decision::Default,
        (false, PrivateDatabase::Auto) => Decision::Private,
    }
}

/// The database a command runs against; holds the private server, if one was started, until
/// [`Database::close`] (or until dropped, which stops it too).
#[derive(Debug)]
pub struct Database {
    pub url: String,
    server: Option<RunningServer>,
}

impl Database {
    /// Chooses the database as [`decide`] says, starting (and creating the `trueyaw` database
    /// on) a private server when that is the choice, and prints which one is used.
    pub async fn open(given: Option<String>, mode: PrivateDatabase) -> anyhow::Result<Database> {
        let decision =
            decide(given.is_some(), mode, crate::store::server_answers(DEFAULT_DATABASE_URL, PROBE_TIMEOUT)).await;
        let (url, server) = match (decision, given) {
            (Decision::Given, Some(url)) => {
                println!("database: {}", redact_url(&url));
                (url, None)
            }
            (Decision::Private, _) => {
                let server = PrivateServer::for_this_user()?.start().await.context("starting a private PostgreSQL")?;
                let url = server.url(database_name(DEFAULT_DATABASE_URL));
                println!("database: {}", describe(&server));
                crate::store::create_database_if_missing(&url).await.with_context(|| format!("creating {url}"))?;
                (url, Some(server))
            }
            _ => {
                println!("database: {DEFAULT_DATABASE_URL} (the default; no DATABASE_URL given)");
                (DEFAULT_DATABASE_URL.to_string(), None)
            }
        };
        Ok(Database { url, server })
    }

    /// The private server's data directory when this command started one (and stops it).
    pub fn private_data_dir(&self) -> Option<&Path> {
        self.server.as_ref().filter(|s| s.started_here()).map(|s| s.data_dir())
    }

    /// Stops the private server if this command started it.
    pub async fn close(self) {
        if let Some(server) = self.server
            && let Err(e) = server.stop().await
        {
            tracing::warn!(error = %e, "stopping the private PostgreSQL");
        }
    }
}

/// `trueyaw` from `postgres://postgres@127.0.0.1:5432/trueyaw`.
fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or("trueyaw")
}

/// "private PostgreSQL 15 at ~/.cache/trueyaw/postgres-15 (port 54329), stopped on exit".
fn describe(server: &RunningServer) -> String {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let dir = tilde(server.data_dir(), home.as_deref());
    let fate = if server.started_here() { "stopped on exit" } else { "already running, left running" };
    format!("private PostgreSQL {} at {dir} (port {}), {fate}", server.major(), server.port())
}

/// `path` with the home folder written as `~`.
fn tilde(path: &Path, home: Option<&Path>) -> String {
    match home.filter(|h| h.is_absolute() && h != &Path::new("/")).and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_probed() -> bool {
        panic!("the default address must not be probed here")
    }

    #[tokio::test]
    async fn a_given_url_always_wins_and_never_probes() {
        for mode in [PrivateDatabase::Never, PrivateDatabase::Auto, PrivateDatabase::Always] {
            assert_eq!(decide(true, mode, async { not_probed() }).await, Decision::Given, "{mode:?}");
        }
    }

    #[tokio::test]
    async fn without_a_url_auto_starts_a_private_server_only_when_nothing_answers() {
        // An address nothing listens on: bind a port, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let silent = format!("postgres://postgres@127.0.0.1:{port}/trueyaw");
        let probe = crate::store::server_answers(&silent, PROBE_TIMEOUT);
        assert_eq!(decide(false, PrivateDatabase::Auto, probe).await, Decision::Private);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let answering = format!("postgres://postgres@{}/trueyaw", listener.local_addr().unwrap());
        let probe = crate::store::server_answers(&answering, PROBE_TIMEOUT);
        assert_eq!(decide(false, PrivateDatabase::Auto, probe).await, Decision::Default);
    }

    #[tokio::test]
    async fn without_a_url_never_and_always_do_not_probe() {
        assert_eq!(decide(false, PrivateDatabase::Never, async { not_probed() }).await, Decision::Default);
        assert_eq!(decide(false, PrivateDatabase::Always, async { not_probed() }).await, Decision::Private);
    }

    #[test]
    fn the_data_directory_is_shown_under_a_tilde() {
        let home = Path::new("/home/ann");
        assert_eq!(
            tilde(Path::new("/home/ann/.cache/trueyaw/postgres-15"), Some(home)),
            "~/.cache/trueyaw/postgres-15"
        );
        assert_eq!(tilde(Path::new("/var/cache/trueyaw/postgres-15"), Some(home)), "/var/cache/trueyaw/postgres-15");
        assert_eq!(tilde(Path::new("/var/cache/x"), Some(Path::new("/"))), "/var/cache/x");
        assert_eq!(database_name(DEFAULT_DATABASE_URL), "trueyaw");
    }
}
