//! API bearer tokens (`api_tokens`, `migrations/0010_create_api_tokens_and_audit.sql`). The
//! store only sees the SHA-256 of a secret; generating secrets and checking roles is the
//! caller's job (`serve::auth`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// A token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i32,
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// First characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a new token; fails with a unique violation when `name` is taken.
pub async fn insert_token(
    pool: &PgPool,
    name: &str,
    role: &str,
    token_hash: &[u8],
    prefix: &str,
) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (name, role, token_hash, prefix) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(role)
    .bind(token_hash)
    .bind(prefix)
    .fetch_one(pool)
    .await?)
}

/// The unrevoked token whose secret hashes to `token_hash`, if any.
pub async fn find_token(pool: &PgPool, token_hash: &[u8]) -> Result<Option<TokenRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at
         FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?)
}

/// Records that token `id` was used (the API calls this at most once a minute per token).
pub async fn touch_token(pool: &PgPool, id: i32) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}

/// Every token, newest first.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<TokenRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id DESC",
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes the token called `name`; false when there is no such unrevoked token.
pub async fn revoke_token(pool: &PgPool, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL")
        .bind(name)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}
