//! `trueyaw token create|list|revoke`: API bearer tokens. The secret is printed once at
//! creation and never stored; creating and revoking are audited with actor `cli`.

use anyhow::Context;

use crate::serve::auth::{self, Role};
use crate::store;

/// Creates a token and prints its secret.
pub async fn create(database_url: &str, name: &str, role: Role) -> anyhow::Result<String> {
    let pool = super::poll::connect_and_migrate(database_url, 2, &Default::default()).await?;
    let secret = auth::create_token(&pool, name, role, "cli").await.map_err(|e| {
        if e.to_string().contains("api_tokens_name_key") {
            anyhow::anyhow!("a token called {name:?} already exists; revoke it or pick another name")
        } else {
            anyhow::Error::new(e).context("storing the token")
        }
    })?;
    println!("{secret}");
    eprintln!("token {name:?} ({}) created; the secret above is shown only once", role.as_str());
    Ok(secret)
}

/// Lists tokens (never their secrets).
pub async fn list(database_url: &str) -> anyhow::Result<()> {
    let pool = super::poll::connect_and_migrate(database_url, 2, &Default::default()).await?;
    let tokens = store::tokens::list_tokens(&pool).await.context("listing tokens")?;
    println!("{:<20} {:<9} {:<12} {:<25} {:<25} revoked", "name", "role", "prefix", "created", "last used");
    for t in tokens {
        let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
        println!(
            "{:<20} {:<9} {:<12} {:<25} {:<25} {}",
            t.name,
            t.role,
            t.prefix,
            t.created_at.to_rfc3339(),
            fmt(t.last_used_at),
            fmt(t.revoked_at)
        );
    }
    Ok(())
}

/// Revokes a token by name.
pub async fn revoke(database_url: &str, name: &str) -> anyhow::Result<()> {
    let pool = super::poll::connect_and_migrate(database_url, 2, &Default::default()).await?;
    anyhow::ensure!(store::tokens::revoke_token(&pool, name).await?, "no active token called {name:?}");
    store::audit::record(&pool, "cli", "token.revoke", Some(name), &serde_json::json!({})).await?;
    eprintln!("token {name:?} revoked (API caches see it within {} s)", auth::CACHE_TTL.as_secs());
    Ok(())
}
