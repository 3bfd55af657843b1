//! Who may call the API: bearer tokens with the roles viewer < operator < admin.
//!
//! A token is `ty_` + 64 hex characters (32 random bytes), shown once by `trueyaw token create`;
//! only its SHA-256 is stored. Validated tokens are cached in memory for [`CACHE_TTL`] so the
//! correction path never waits on the database; a revocation therefore takes effect within
//! that time. Unknown tokens are not cached (a flood of random tokens cannot grow memory).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::store::{self, StoreError};

/// How long a validated token is trusted without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// What a caller may do. Ordered: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything.
    Viewer,
    /// Also activate or roll back models, queue training, revert write-back.
    Operator,
    /// Also manage tokens and settings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An authenticated (or, where reads are open, anonymous) caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `token:<name>`, or `anonymous` for open reads; written to the audit log as the actor.
    pub actor: String,
    pub role: Role,
}

/// A new secret and what to store of it.
pub struct NewToken {
    /// The secret to hand to the user, once.
    pub secret: String,
    pub hash: Vec<u8>,
    pub prefix: String,
}

/// Generates a token secret from the OS random source.
pub fn generate() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("ty_{}", hex::encode(bytes));
    NewToken { hash: hash(&secret), prefix: secret[..11].to_string(), secret }
}

/// SHA-256 of a presented secret.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Creates a token called `name` with `role` and audits it; returns the secret.
pub async fn create_token(pool: &PgPool, name: &str, role: Role, actor: &str) -> Result<String, StoreError> {
    let t = generate();
    store::tokens::insert_token(pool, name, role.as_str(), &t.hash, &t.prefix).await?;
    let detail = serde_json::json!({ "role": role.as_str(), "prefix": t.prefix });
    store::audit::record(pool, actor, "token.create", Some(name), &detail).await?;
    Ok(t.secret)
}

struct Cached {
    caller: Caller,
    token_id: i32,
    checked: Instant,
}

/// Validates bearer secrets against `api_tokens`, with the in-memory cache described above.
pub struct TokenVerifier {
    pool: PgPool,
    cache: Mutex<HashMap<Vec<u8>, Cached>>,
}

impl TokenVerifier {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, cache: Mutex::new(HashMap::new()) }
    }

    /// The cache, also when a panic while it was held poisoned the lock: every entry is a whole
    /// value carrying its own check time, so whatever the panicking holder left is still safe to
    /// use (at worst an entry is missing and the database is asked again), and one failed
    /// request must not turn every later one into a panic.
    fn cache(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller a secret belongs to; None for an unknown or revoked token.
    pub async fn verify(&self, secret: &str) -> Result<Option<Caller>, StoreError> {
        let h = hash(secret);
        if let Some(c) = self.cache().get(&h)
            && c.checked.elapsed() < CACHE_TTL
        {
            return Ok(Some(c.caller.clone()));
        }
        let Some(row) = store::tokens::find_token(&self.pool, &h).await? else {
            self.cache().remove(&h);
            return Ok(None);
        };
        let Some(role) = Role::parse(&row.role) else { return Ok(None) };
        let caller = Caller { actor: format!("token:{}", row.name), role };
        // last_used_at is advisory: refreshed when the cache entry is, i.e. at most every CACHE_TTL
        store::tokens::touch_token(&self.pool, row.id).await?;
        let entry = Cached { caller: caller.clone(), token_id: row.id, checked: Instant::now() };
        let mut cache = self.cache();
        cache.retain(|_, c| c.checked.elapsed() < CACHE_TTL && c.token_id != row.id);
        cache.insert(h, entry);
        Ok(Some(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 3 + 64);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(a.hash, hash(&a.secret));
        assert_eq!(a.hash.len(), 32);
    }

    #[tokio::test]
    async fn a_poisoned_cache_still_answers() {
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
        let v = TokenVerifier::new(pool);
        std::thread::scope(|s| {
            let _ = s
                .spawn(|| {
                    let _held = v.cache.lock().unwrap();
                    panic!("a request panicked while holding the cache");
                })
                .join();
        });
        assert!(v.cache.is_poisoned());
        assert!(v.cache().is_empty());
    }

    #[test]
    fn roles_include_the_lower_ones() {
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
        for r in [Role::Viewer, Role::Operator, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
