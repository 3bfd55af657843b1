//! Calibration reports (`trueyaw report`, `report::*`), tested on one fixed synthetic farm:
//! numbers in every format ([`formats`]), agreement with `trueyaw estimates` ([`estimates`]),
//! the byte-for-byte layout ([`golden`]) and the PDF ([`pdf`]).

mod estimates;
mod formats;
mod golden;
mod pdf;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use trueyaw::model::{BinVaneError, DriftEvent, VaneErrorEstimate};
use trueyaw::store::imports::{ImportWindow, VALUE_COLUMNS, value_index, write_import_windows};
use trueyaw::store::{self, NewModel, PgPool};

use crate::support::db::TestDb;

/// Start of the fixed farm's data (no `Utc::now()` anywhere in it).
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

/// 12 ten-minute windows with `power_kw` each.
async fn import_windows(pool: &PgPool, turbine_id: i32, power_kw: f64) {
    let rows: Vec<ImportWindow> = (0..12)
        .map(|i| {
            let mut values = [None; VALUE_COLUMNS.len()];
            values[value_index("wind_speed_ms_mean")] = Some(8.0);
            values[value_index("power_kw_mean")] = Some(power_kw);
            ImportWindow { turbine_id, window_start: start() + TimeDelta::minutes(10 * i), values }
        })
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    write_import_windows(&mut conn, 600, &rows).await.unwrap();
}

/// An estimate of e = 2 + 0.1 (ws - 8) + `offset` in 3..=15 m/s, 4-11 m/s learned, the rest
/// extrapolated, with one drift event.
fn estimate(turbine: &str, method: &str, offset: f64, misalignment: f64) -> VaneErrorEstimate {
    let e = |ws: f64| offset + 2.0 + 0.1 * (ws - 8.0);
    let mut est = VaneErrorEstimate::empty(turbine, method, 10);
    est.bins = (3..=15)
        .map(|ws| {
            let ws = f64::from(ws);
            BinVaneError {
                ws,
                vane_error_deg: Some(e(ws)),
                ci95: Some([e(ws) - 0.4, e(ws) + 0.35]),
                extrapolated: !(4.0..=11.0).contains(&ws),
                n_windows: 1,
            }
        })
        .collect();
    est.vane_error_deg = Some(e(7.5));
    est.ci95 = Some([e(7.5) - 0.3, e(7.5) + 0.25]);
    est.gain = 0.02;
    est.cos_exponent = Some(2.0);
    est.misalignment_deg = Some(misalignment);
    est.energy_loss_pct = Some(1.5);
    est.drift_events = vec![DriftEvent {
        time: start() + TimeDelta::hours(1),
        delta_deg: 1.75,
        ci95: [1.25, 2.25],
        evidence: Some(trueyaw::model::DriftEvidence::Power),
    }];
    est
}

async fn register(pool: &PgPool, turbine_id: i32, mut est: VaneErrorEstimate) -> i32 {
    let mut tx = pool.begin().await.unwrap();
    let version = store::lock_next_version(&mut tx, turbine_id).await.unwrap();
    est.model_version = version;
    let m = NewModel {
        turbine_id,
        version,
        method: est.method.clone(),
        active: true,
        reason: None,
        artifact_dir: format!("/nonexistent/{turbine_id}/{version}"),
        data_from: Some(start()),
        data_to: Some(start() + TimeDelta::minutes(110)),
        n_windows: 10,
        metrics: serde_json::json!({
            "length_s": 600,
            "windows_loaded": 12,
            "filter_counts": {"input": 12, "missing": 0, "out_of_range": 0, "stuck": 0, "downtime": 1,
                              "pitched": 1, "plateau": 0, "power_curve_outlier": 0, "kept": 10},
            "fit": {"openoa_yaw_misalignment_deg": 5.5},
        }),
        estimate: serde_json::to_value(&est).unwrap(),
    };
    store::insert_model(&mut tx, &m).await.unwrap();
    tx.commit().await.unwrap();
    version
}

pub struct Farm {
    pub db: TestDb,
    /// T01's active estimate as stored.
    pub t01: VaneErrorEstimate,
}

/// Farm `wf`: T01 with a binned then a neural model, T02 with a smaller neural one, T03 none.
pub async fn farm() -> Farm {
    let db = TestDb::migrated().await;
    let farm_id = store::upsert_farm(&db.pool, "wf").await.unwrap();
    let mut ids = Vec::new();
    for name in ["T01", "T02", "T03"] {
        ids.push(store::upsert_turbine(&db.pool, farm_id, name, "test").await.unwrap());
    }
    import_windows(&db.pool, ids[0], 1000.0).await;
    import_windows(&db.pool, ids[1], 1000.0).await;
    register(&db.pool, ids[0], estimate("T01", "binned", 0.5, -6.5)).await;
    let written = estimate("T01", "neural", 0.0, -6.0);
    register(&db.pool, ids[0], written.clone()).await;
    register(&db.pool, ids[1], estimate("T02", "neural", -1.0, -2.0)).await;
    // The estimate as stored (jsonb may round the last bit of a float): what the report must show.
    let row = store::models::active_model(&db.pool, ids[0]).await.unwrap().unwrap();
    let t01: VaneErrorEstimate = serde_json::from_value(row.estimate).unwrap();
    assert!((t01.vane_error_deg.unwrap() - written.vane_error_deg.unwrap()).abs() < 1e-12);
    Farm { db, t01 }
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
