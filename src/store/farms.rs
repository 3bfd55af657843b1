//! Farms and their turbines: the ids every other table refers to.

use sqlx::PgPool;

use super::StoreError;

/// A turbine as stored: its database id, name within the farm, and source description.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TurbineRow {
    pub id: i32,
    pub name: String,
    /// Where it is polled from, for operators (e.g. `modbus 10.0.0.5:502 unit 1`).
    pub source: String,
}

/// Returns the id of the farm called `name`, creating it if needed.
pub async fn upsert_farm(pool: &PgPool, name: &str) -> Result<i32, StoreError> {
    // DO UPDATE (a no-op write) rather than DO NOTHING so RETURNING yields the id either way.
    let id = sqlx::query_scalar(
        "INSERT INTO farms (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
         RETURNING id",
    )
    .bind(name)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Returns the id of turbine `name` of farm `farm_id`, creating it if needed and recording
/// `source_desc` as its current source.
pub async fn upsert_turbine(pool: &PgPool, farm_id: i32, name: &str, source_desc: &str) -> Result<i32, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO turbines (farm_id, name, source) VALUES ($1, $2, $3)
         ON CONFLICT (farm_id, name) DO UPDATE SET source = EXCLUDED.source
         RETURNING id",
    )
    .bind(farm_id)
    .bind(name)
    .bind(source_desc)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// The turbines of a farm, ordered by name.
pub async fn list_turbines(pool: &PgPool, farm_id: i32) -> Result<Vec<TurbineRow>, StoreError> {
    let rows = sqlx::query_as("SELECT id, name, source FROM turbines WHERE farm_id = $1 ORDER BY name")
        .bind(farm_id)
        .fetch_all(pool)
        .await?;
    Ok(rows)
}
