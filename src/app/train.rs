//! `trueyaw train`: opens the database, trains the farm ([`train_farm`]) and prints the
//! per-turbine table. The training itself is `model::training`.

use anyhow::Context;

use crate::model::training::{TrainOptions, TrainOutcome, table, train_farm};
use crate::store;

/// Connects, trains, prints the per-turbine table.
pub async fn run(database_url: &str, opts: &TrainOptions) -> anyhow::Result<Vec<TrainOutcome>> {
    let redacted = crate::config::redact_url(database_url);
    let pool = store::open(database_url, 4).await.with_context(|| format!("opening {redacted}"))?;
    let result = train_farm(&pool, opts).await;
    pool.close().await;
    let outcomes = result?; // typed error outermost so `main` can map usage errors to exit 2
    print!("{}", table(&outcomes));
    Ok(outcomes)
}
