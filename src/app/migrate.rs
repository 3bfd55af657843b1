//! `trueyaw migrate`: creates the database if it does not exist and applies every migration.

use anyhow::Context;

use crate::store;

/// Creates (if needed) and migrates the database at `url`.
pub async fn run(url: &str) -> anyhow::Result<()> {
    let redacted = crate::config::redact_url(url);
    let pool = store::open(url, 2).await.with_context(|| format!("opening {redacted}"))?;
    pool.close().await;
    tracing::info!(database = %redacted, "database is migrated");
    Ok(())
}
