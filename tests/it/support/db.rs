//! A fresh PostgreSQL database per test, named with a random suffix and dropped afterwards.
//! The server comes from `DATABASE_URL` (its database part is replaced), defaulting to the
//! local trust-auth server.

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

/// Server URL without a database name, e.g. `postgres://postgres@127.0.0.1:5432`.
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| trueyaw::config::DEFAULT_DATABASE_URL.to_string());
    match url.rsplit_once('/') {
        Some((server, _db)) if server.contains("://") && !server.ends_with('/') => server.to_string(),
        _ => url,
    }
}

/// A database that exists for one test. Dropped (with its connections) when `drop_now` is
/// awaited; a test that panics leaves it behind under a `trueyaw_test_` name for inspection.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDb {
    /// Creates an empty database (no migrations).
    pub async fn empty() -> TestDb {
        let suffix: u64 = rand::random();
        let name = format!("trueyaw_test_{suffix:016x}");
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url()))
            .await
            .expect("PostgreSQL must be reachable for integration tests (set DATABASE_URL)");
        let create = format!("CREATE DATABASE {name}");
        sqlx::query(AssertSqlSafe(create)).execute(&mut admin).await.expect("create test database");
        let url = format!("{}/{name}", server_url());
        let pool = PgPoolOptions::new().max_connections(8).connect(&url).await.expect("connect test database");
        TestDb { name, url, pool }
    }

    /// Creates a database with every migration applied.
    pub async fn migrated() -> TestDb {
        let db = Self::empty().await;
        trueyaw::store::migrate(&db.pool).await.expect("migrate test database");
        db
    }

    /// Closes the pool and drops the database.
    pub async fn drop_now(self) {
        self.pool.close().await;
        if let Ok(mut admin) = PgConnection::connect(&format!("{}/postgres", server_url())).await {
            let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(AssertSqlSafe(drop)).execute(&mut admin).await;
        }
    }
}
