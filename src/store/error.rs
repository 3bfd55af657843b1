//! The store's error type, which keeps "PostgreSQL is away" apart from "PostgreSQL said no":
//! the writer spools and retries the first, and sets the second aside instead of looping on it.

use sqlx::migrate::MigrateError;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// PostgreSQL could not be reached, the connection broke, or the server is shutting down,
    /// out of resources or resolving a transient conflict. The request itself is fine: retry it
    /// later.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// PostgreSQL answered and refused the request (constraint, type or SQL error). Retrying the
    /// same request fails the same way.
    #[error("database rejected the request: {0}")]
    Rejected(sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(MigrateError),
    /// The database URL could not be parsed or names no database.
    #[error("invalid database URL: {0}")]
    Url(String),
}

impl StoreError {
    /// True when the failure is about reaching the database rather than about the request:
    /// the caller should keep the data and try again once the database answers.
    pub fn is_connection(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Migrate(MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _)) => is_unavailable(e),
            StoreError::Rejected(_) | StoreError::Migrate(_) | StoreError::Url(_) => false,
        }
    }

    /// The SQLSTATE code when PostgreSQL itself reported the error (e.g. `23505`).
    pub fn sqlstate(&self) -> Option<String> {
        match self {
            StoreError::Unavailable(e) | StoreError::Rejected(e) => {
                e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
            }
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) { StoreError::Unavailable(e) } else { StoreError::Rejected(e) }
    }
}

impl From<MigrateError> for StoreError {
    fn from(e: MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

/// SQLSTATE classes and codes that say nothing about the request and everything about the
/// server's state at the time, so the same request can succeed later.
/// See <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
fn is_transient_sqlstate(code: &str) -> bool {
    const CLASSES: [&str; 3] = [
        "08", // connection exception
        "53", // insufficient resources: disk full, out of memory, too many connections
        "58", // system error: I/O error on the server
    ];
    const CODES: [&str; 7] = [
        "57P01", // admin_shutdown
        "57P02", // crash_shutdown
        "57P03", // cannot_connect_now (starting up, recovering)
        "57014", // query_canceled (statement timeout, pg_cancel_backend)
        "40001", // serialization_failure
        "40P01", // deadlock_detected
        "55P03", // lock_not_available
    ];
    CLASSES.iter().any(|c| code.starts_with(c)) || CODES.contains(&code)
}

/// Classifies a driver error: transport, pool and protocol failures, and transient server
/// states, count as "unavailable".
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| is_transient_sqlstate(&c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_are_connection_errors_and_bad_rows_are_not() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(StoreError::from(io).is_connection());
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_connection());
        assert!(!StoreError::from(sqlx::Error::RowNotFound).is_connection());
        assert!(!StoreError::Url("x".into()).is_connection());
    }

    #[test]
    fn server_states_that_pass_are_transient_and_constraint_violations_are_not() {
        for code in ["08006", "53100", "57P01", "40001"] {
            assert!(is_transient_sqlstate(code), "{code}");
        }
        for code in ["23505", "23514", "22P02", "42P01"] {
            assert!(!is_transient_sqlstate(code), "{code}");
        }
    }
}
