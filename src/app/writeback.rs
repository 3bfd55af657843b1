//! `trueyaw writeback status|revert|enable`: the write-back's command-line handles, for an
//! engineer at the farm without the API at hand. Revert and enable are audited with actor `cli`.

use anyhow::Context;

use crate::config::{FarmConfig, SourceConfig};
use crate::serve::writeback::{WriteBack, WriteBackTurbine};
use crate::store::{self, PgPool};

async fn setup(config: &FarmConfig, url: Option<&str>, turbine: &str) -> anyhow::Result<(WriteBack, i32, PgPool)> {
    let url = url.map(str::to_string).unwrap_or_else(|| config.database_url());
    let pool = super::poll::connect_and_migrate(&url, 2, &Default::default()).await?;
    let farm_id = store::upsert_farm(&pool, &config.farm.name).await?;
    let t = config
        .turbines
        .iter()
        .find(|t| t.name.as_str() == turbine)
        .with_context(|| format!("turbine {turbine:?} is not in {}", config.path.display()))?;
    let SourceConfig::Modbus(m) = &t.source else {
        anyhow::bail!("turbine {turbine} is polled over OPC UA; write-back needs a Modbus command register")
    };
    let id = store::upsert_turbine(&pool, farm_id, t.name.as_str(), &t.source.describe()).await?;
    let wb_turbine = WriteBackTurbine { name: t.name.clone(), turbine_id: id, modbus: m.clone() };
    Ok((WriteBack::new(pool.clone(), config.writeback.clone(), vec![wb_turbine])?, id, pool))
}

/// Prints the command registers and the latest decisions.
pub async fn status(config: &FarmConfig, url: Option<&str>, turbine: &str) -> anyhow::Result<()> {
    let (wb, id, pool) = setup(config, url, turbine).await?;
    let name = wb.turbines().next().cloned().context("turbine")?;
    let mode = if wb.settings().is_enabled(&name) { "write" } else { "dry-run" };
    match wb.read_device(&name).await {
        Ok(d) => println!(
            "{turbine}: mode {mode}, yaw offset command {:+.2} deg, correction {}",
            d.yaw_offset_deg,
            if d.correction_enable { "on" } else { "off" }
        ),
        Err(e) => println!("{turbine}: mode {mode}, registers unreadable: {e}"),
    }
    if let Some(l) = wb.latch(&name).await? {
        println!("  reverted by {} at {}: held until `trueyaw writeback enable`", l.actor, l.since.to_rfc3339());
    }
    for r in store::yaw_offset_writes::recent_yaw_offset_writes(&pool, id, 10).await? {
        println!("  {} {:<8} {:<10} {}", r.time.to_rfc3339(), r.mode, r.actor, r.reason);
    }
    Ok(())
}

/// Reverts the turbine to offset 0, correction off.
pub async fn revert(config: &FarmConfig, url: Option<&str>, turbine: &str) -> anyhow::Result<()> {
    let (wb, _, _) = setup(config, url, turbine).await?;
    let name = wb.turbines().next().cloned().context("turbine")?;
    let r = wb.revert(&name, "cli").await?;
    println!(
        "{turbine} reverted: offset {:+.2} deg, correction {} (read back)",
        r.after.yaw_offset_deg,
        if r.after.correction_enable { "on" } else { "off" }
    );
    println!("{turbine} stays reverted until `trueyaw writeback enable --turbine {turbine}`");
    Ok(())
}

/// Lifts the turbine's revert latch.
pub async fn enable(config: &FarmConfig, url: Option<&str>, turbine: &str) -> anyhow::Result<()> {
    let (wb, _, _) = setup(config, url, turbine).await?;
    let name = wb.turbines().next().cloned().context("turbine")?;
    match wb.enable(&name, "cli").await? {
        Some(l) => println!("{turbine}: latch of the revert by {} at {} lifted", l.actor, l.since.to_rfc3339()),
        None => println!("{turbine} was not reverted: nothing to lift"),
    }
    if !wb.settings().is_enabled(&name) {
        println!("{turbine} is not in writeback.enabled_turbines: it stays dry-run");
    }
    Ok(())
}
