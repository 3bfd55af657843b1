//! Connecting to PostgreSQL, creating the database on first run, and applying migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::StoreError;

/// How long a caller waits for a pooled connection before the database counts as unreachable.
/// Short on purpose: the writer must notice an outage within seconds and start spooling, not
/// hang for the driver's default 30 s while readings pile up in memory.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses a `postgres://` URL, keeping the parse error apart from connection errors.
fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url).map_err(|e| StoreError::Url(format!("{}: {e}", crate::config::redact_url(url))))
}

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(max_connections.max(1)).acquire_timeout(ACQUIRE_TIMEOUT)
}

/// Opens a pool and checks that the database answers, so a wrong URL or a stopped server is
/// reported at startup.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    Ok(pool_options(max_connections).connect_with(options(url)?).await?)
}

/// Opens a pool without connecting: connections are made on first use. For processes that
/// must start while the database is down (the poller spools until it is back).
pub fn connect_lazy(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    Ok(pool_options(max_connections).connect_lazy_with(options(url)?))
}

/// Whether anything accepts a connection at the server address of `url` within `timeout`: a
/// TCP connect to its host and port (or to the socket file when the host is a directory). It
/// does not log in, so a server that answers but refuses the credentials still counts as
/// there: starting another PostgreSQL would hide that mistake, not fix it.
pub async fn server_answers(url: &str, timeout: Duration) -> bool {
    let Ok(opts) = options(url) else { return false };
    let (host, port) = (opts.get_host().to_string(), opts.get_port());
    let attempt = async {
        if host.starts_with('/') {
            let socket = std::path::Path::new(&host).join(format!(".s.PGSQL.{port}"));
            tokio::net::UnixStream::connect(socket).await.is_ok()
        } else {
            tokio::net::TcpStream::connect((host.as_str(), port)).await.is_ok()
        }
    };
    tokio::time::timeout(timeout, attempt).await.unwrap_or(false)
}

/// Creates the database named in `url` unless it exists, connecting to the `postgres`
/// maintenance database of the same server to do so. Returns whether it was created.
/// Two processes racing to create it both succeed; one of them reports `false`.
pub async fn create_database_if_missing(url: &str) -> Result<bool, StoreError> {
    let target = options(url)?;
    let name = target
        .get_database()
        .map(str::to_string)
        .ok_or_else(|| StoreError::Url(format!("{} names no database", crate::config::redact_url(url))))?;
    let mut admin = PgConnection::connect_with(&target.clone().database("postgres")).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?;
    let created = if exists {
        false
    } else {
        // CREATE DATABASE takes no bind parameters: the name goes in as a quoted identifier,
        // with embedded quotes doubled, which is what makes it safe to splice.
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await {
            Ok(_) => true,
            // duplicate_database: another process won the race.
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P04") => false,
            Err(e) => return Err(e.into()),
        }
    };
    let _ = admin.close().await;
    if created {
        tracing::info!(database = %name, "created database");
    }
    Ok(created)
}

/// What every command that needs the database does first: creates the database if it does
/// not exist, connects, and applies the migrations, so `import` or `train` on a new server
/// works without a separate `trueyaw migrate`.
pub async fn open(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    create_database_if_missing(url).await?;
    let pool = connect(url, max_connections).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies the migrations embedded from `migrations/` at build time. Concurrent callers are
/// serialised by sqlx's advisory lock, so every process may call this at startup.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::migrate!().run(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listening_address_answers_and_a_closed_one_does_not() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("postgres://postgres@127.0.0.1:{port}/trueyaw");
        assert!(server_answers(&url, Duration::from_secs(1)).await);
        drop(listener);
        assert!(!server_answers(&url, Duration::from_secs(1)).await);
        assert!(!server_answers("not a url", Duration::from_secs(1)).await);
    }
}
