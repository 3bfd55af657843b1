//! Helpers shared by the Rust benchmarks (included with `#[path]`; each bench uses a subset).
#![allow(dead_code)]

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trueyaw::model::OperatingWindow;

/// An environment variable parsed, or `default`.
pub fn env_or<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Server URL without a database name, from `DATABASE_URL` (default: the local server).
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| trueyaw::config::DEFAULT_DATABASE_URL.to_string());
    match url.rsplit_once('/') {
        Some((server, _)) if server.contains("://") && !server.ends_with('/') => server.to_string(),
        _ => url,
    }
}

/// Drops a scratch database (with its connections).
pub async fn drop_database(url: &str) {
    use sqlx::Connection;
    let (server, name) = url.rsplit_once('/').expect("database url");
    if let Ok(mut c) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
    }
}

/// `n` synthetic 10-minute operating windows with a +3 deg vane error and cos² power loss,
/// seeded: enough to train a model whose size, not accuracy, a benchmark needs.
pub fn windows(seed: u64, n: usize) -> Vec<OperatingWindow> {
    let mut rng = StdRng::seed_from_u64(seed);
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let ws: f64 = rng.random_range(4.0..11.0);
            let vane: f64 = rng.random_range(-6.0..6.0);
            let gamma = (vane - 3.0).to_radians();
            let power = 2000.0 * (ws / 12.0).powi(3).min(1.0) * gamma.cos().powi(2) * rng.random_range(0.97..1.03);
            OperatingWindow {
                time: t0 + Duration::minutes(10 * i as i64),
                wind_speed_ms: ws,
                vane_deg: vane,
                power_kw: power,
                rotor_rpm: Some(6.0 + ws),
                pitch_deg: Some(0.0),
                nacelle_deg: None,
                reference_power_kw: None,
                outdoor_temp_c: None,
            }
        })
        .collect()
}
