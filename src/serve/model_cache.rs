//! The active model of every turbine, in memory, so the correction path (HTTP and SCADA) never
//! touches the database per request. The map is swapped atomically (`arc-swap`): readers take a
//! snapshot without locking, a reload builds a new map and publishes it in one store.
//!
//! Freshness: migration 0011 makes PostgreSQL `NOTIFY trueyaw_models, '<turbine id>'` whenever
//! a model row changes, from any process (`trueyaw train`, another `serve`, this one's API).
//! [`ModelCache::listen`] reloads that turbine on each notification, and reloads everything
//! after its listening connection was lost (notifications sent meanwhile are gone).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::model::VaneErrorEstimate;
use crate::model::correction::CorrectionModel;
use crate::store::{self, ModelRow};

/// The notification channel of migration 0011.
pub const CHANNEL: &str = "trueyaw_models";

/// An active model ready to serve.
pub struct ServedModel {
    pub turbine_id: i32,
    pub version: i32,
    pub method: String,
    pub created_at: DateTime<Utc>,
    /// Evaluates e at an operating point.
    pub correction: CorrectionModel,
    /// The registered estimate, with `model_version` filled in.
    pub estimate: VaneErrorEstimate,
}

impl ServedModel {
    /// Loads the artifact of a registered model. Relative artifact paths are resolved against
    /// `base` (the working directory `trueyaw train` wrote them from).
    pub fn load(row: &ModelRow, base: &std::path::Path) -> anyhow::Result<Self> {
        let mut estimate: VaneErrorEstimate = serde_json::from_value(row.estimate.clone())
            .with_context(|| format!("model {} v{}: stored estimate is unreadable", row.turbine, row.version))?;
        estimate.model_version = row.version;
        let dir = PathBuf::from(&row.artifact_dir);
        let dir = if dir.is_relative() { base.join(dir) } else { dir };
        let correction = CorrectionModel::load(&row.method, &dir, &estimate)
            .with_context(|| format!("model {} v{} ({})", row.turbine, row.version, dir.display()))?;
        Ok(Self {
            turbine_id: row.turbine_id,
            version: row.version,
            method: row.method.clone(),
            created_at: row.created_at,
            correction,
            estimate,
        })
    }
}

/// Active models by turbine id.
pub struct ModelCache {
    pool: PgPool,
    farm_id: i32,
    /// The farm's turbines: notifications about other farms' turbines are ignored.
    turbine_ids: std::collections::HashSet<i32>,
    base: PathBuf,
    models: ArcSwap<HashMap<i32, Arc<ServedModel>>>,
    /// Why a turbine's active model could not be loaded (shown by `/ready` and the API).
    errors: ArcSwap<HashMap<i32, String>>,
}

impl ModelCache {
    /// An empty cache for the farm `farm_id`; call [`ModelCache::reload_all`] to fill it.
    pub fn new(pool: PgPool, farm_id: i32, turbine_ids: impl IntoIterator<Item = i32>, base: PathBuf) -> Self {
        let turbine_ids = turbine_ids.into_iter().collect();
        Self { pool, farm_id, turbine_ids, base, models: ArcSwap::default(), errors: ArcSwap::default() }
    }

    /// The active model of a turbine, if one is loaded.
    pub fn get(&self, turbine_id: i32) -> Option<Arc<ServedModel>> {
        self.models.load().get(&turbine_id).cloned()
    }

    /// Every loaded model (a consistent snapshot).
    pub fn snapshot(&self) -> Arc<HashMap<i32, Arc<ServedModel>>> {
        self.models.load_full()
    }

    /// Load failures by turbine id.
    pub fn errors(&self) -> Arc<HashMap<i32, String>> {
        self.errors.load_full()
    }

    /// Loads the active model of every turbine of the farm and publishes them at once.
    pub async fn reload_all(&self) -> Result<(), store::StoreError> {
        let rows = store::active_models(&self.pool, Some(self.farm_id)).await?;
        let base = self.base.clone();
        let (models, errors) = tokio::task::spawn_blocking(move || {
            let mut models = HashMap::new();
            let mut errors = HashMap::new();
            for row in rows {
                match ServedModel::load(&row, &base) {
                    Ok(m) => {
                        models.insert(row.turbine_id, Arc::new(m));
                    }
                    Err(e) => {
                        tracing::error!(
                            turbine = row.turbine,
                            version = row.version,
                            error = format!("{e:#}"),
                            "cannot load active model"
                        );
                        errors.insert(row.turbine_id, format!("{e:#}"));
                    }
                }
            }
            (models, errors)
        })
        .await
        .expect("model loading does not panic");
        tracing::info!(models = models.len(), failed = errors.len(), "active models loaded");
        self.models.store(Arc::new(models));
        self.errors.store(Arc::new(errors));
        Ok(())
    }

    /// Reloads one turbine's active model (or drops it when it has none any more).
    pub async fn reload_turbine(&self, turbine_id: i32) -> Result<(), store::StoreError> {
        let row = store::models::active_model(&self.pool, turbine_id).await?;
        let base = self.base.clone();
        let loaded = tokio::task::spawn_blocking(move || row.map(|r| (ServedModel::load(&r, &base), r)))
            .await
            .expect("model loading does not panic");
        let mut models = HashMap::clone(&self.models.load());
        let mut errors = HashMap::clone(&self.errors.load());
        errors.remove(&turbine_id);
        match loaded {
            None => {
                models.remove(&turbine_id);
            }
            Some((Ok(m), _)) => {
                tracing::info!(turbine_id, version = m.version, method = m.method, "active model swapped in");
                models.insert(turbine_id, Arc::new(m));
            }
            Some((Err(e), row)) => {
                // keep serving the previous model rather than none: it was good until now
                tracing::error!(
                    turbine = row.turbine,
                    version = row.version,
                    error = format!("{e:#}"),
                    "cannot load new active model; keeping the previous one"
                );
                errors.insert(turbine_id, format!("{e:#}"));
            }
        }
        self.models.store(Arc::new(models));
        self.errors.store(Arc::new(errors));
        Ok(())
    }

    /// Follows model changes until `stop`: LISTEN on [`CHANNEL`], reload the named turbine;
    /// after a lost connection, reconnect (with a pause) and reload everything.
    pub async fn listen(self: Arc<Self>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let mut listener = match PgListener::connect_with(&self.pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "model change listener cannot connect; retrying");
                    tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(Duration::from_secs(2)) => continue }
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN {CHANNEL} failed; retrying");
                tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(Duration::from_secs(2)) => continue }
            }
            // Everything once LISTEN holds, the first time too: a model changed between the
            // start-up load and this point sent its NOTIFY to nobody (a test caught a model
            // registered right after start-up never being swapped in).
            if let Err(e) = self.reload_all().await {
                tracing::warn!(error = %e, "reloading models once listening failed");
            }
            loop {
                let n = tokio::select! {
                    _ = stop.cancelled() => return,
                    n = listener.try_recv() => n,
                };
                match n {
                    Ok(Some(n)) => match n.payload().parse::<i32>() {
                        Ok(turbine_id) if !self.turbine_ids.contains(&turbine_id) => {}
                        Ok(turbine_id) => {
                            if let Err(e) = self.reload_turbine(turbine_id).await {
                                tracing::warn!(turbine_id, error = %e, "reloading a changed model failed");
                            }
                        }
                        Err(_) => tracing::warn!(payload = n.payload(), "unexpected {CHANNEL} payload"),
                    },
                    // None: the connection was lost; sqlx reconnects on the next call, but what
                    // was sent meanwhile is lost, so reload everything.
                    Ok(None) => {
                        if let Err(e) = self.reload_all().await {
                            tracing::warn!(error = %e, "reloading models after a lost connection failed");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "model change listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}
