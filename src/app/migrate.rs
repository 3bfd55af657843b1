//! `trueyaw migrate`: creates the database if it does not exist and applies every migration.

use anyhow::Context;

use crate::store;

/// Creates (if needed) and migrates the database at `url`.
pub async fn run(url: &str) -> anyhow::Result<()> {
    let redacted = crate::config::redact_url(url);
    if store::create_database_if_missing(url).await.with_context(|| format!("creating {redacted}"))? {
        tracing::info!(database = %redacted, "created database");
    }
    let pool = store::connect(url, 2).await.with_context(|| format!("connecting to {redacted}"))?;
    store::migrate(&pool).await.with_context(|| format!("migrating {redacted}"))?;
    pool.close().await;
    tracing::info!(database = %redacted, "database is migrated");
    Ok(())
}
