//! Activating a model version of a turbine (rolling back is activating an older one): the one
//! implementation behind the API endpoint and the dashboard's buttons, so the role check, the
//! refusal of rejected versions and the audit row are the same whichever way it is asked for.

use crate::serve::auth::{Caller, Role};
use crate::serve::state::AppState;
use crate::store::{self, StoreError};

/// What an activation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub turbine: String,
    pub active_version: i32,
    pub previous_version: Option<i32>,
}

/// Why nothing was activated.
#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    /// The caller is below operator.
    #[error("{actor} is a {role} token; activating a model needs operator or admin")]
    Forbidden { actor: String, role: &'static str },
    #[error("farm {farm} has no turbine {turbine:?}")]
    UnknownTurbine { farm: String, turbine: String },
    #[error("turbine {turbine} has no model version {version}")]
    NoSuchVersion { turbine: String, version: i32 },
    /// The version failed a quality gate when it was trained.
    #[error("version {version} of {turbine} failed its quality gates ({reason}) and cannot be activated")]
    Rejected { turbine: String, version: i32, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Activates `version` of turbine `name` for `caller` and audits it in the same transaction.
/// The caller's role is checked here (operator or admin), so no entry point can skip it.
pub async fn activate_version(
    state: &AppState,
    caller: &Caller,
    name: &str,
    version: i32,
) -> Result<Activation, ActivateError> {
    if caller.role < Role::Operator {
        return Err(ActivateError::Forbidden { actor: caller.actor.clone(), role: caller.role.as_str() });
    }
    let t = state
        .turbines
        .by_name(name)
        .ok_or_else(|| ActivateError::UnknownTurbine { farm: state.farm.clone(), turbine: name.to_string() })?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let previous = match store::models::activate_version(&mut tx, t.id, version).await? {
        Ok(p) => p,
        Err(store::models::ActivateRefusal::NoSuchVersion) => {
            return Err(ActivateError::NoSuchVersion { turbine: name.to_string(), version });
        }
        Err(store::models::ActivateRefusal::Rejected(reason)) => {
            return Err(ActivateError::Rejected { turbine: name.to_string(), version, reason });
        }
    };
    let target = format!("{}/{}", state.farm, t.name);
    let detail = serde_json::json!({ "version": version, "previous_version": previous });
    store::audit::record(&mut *tx, &caller.actor, "model.activate", Some(&target), &detail).await?;
    tx.commit().await.map_err(StoreError::from)?;
    // The NOTIFY reloads the cache too; reloading here makes the change visible to the very next
    // request of this caller.
    state.models.reload_turbine(t.id).await?;
    Ok(Activation { turbine: t.name.clone(), active_version: version, previous_version: previous })
}
