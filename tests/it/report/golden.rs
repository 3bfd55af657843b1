//! The report layout, byte for byte, on the fixed farm of [`super::farm`]: the turbine and farm
//! pages, the JSON and the CSV tables against `tests/fixtures/golden/`. Every input is fixed
//! (estimates, windows, timestamps); the two times the store or the clock would set (the models'
//! `created_at`, the report's `generated_at`) are pinned here. `TRUEYAW_BLESS=1` rewrites the
//! files after an intended change (`support::golden`).

use chrono::{TimeZone, Utc};
use trueyaw::report::csv::{farm_csv, turbine_csv};
use trueyaw::report::html::{farm_html, turbine_html};
use trueyaw::report::{build_farm_report, build_turbine_report, to_json};

use super::farm;
use crate::support::golden::assert_golden;

#[tokio::test]
async fn the_report_layout_matches_the_golden_files() {
    let f = farm().await;
    // `created_at` defaults to now() in the database: model v1 at 06:00, v2 at 07:00 the next day.
    sqlx::query("UPDATE models SET created_at = $1 + version * INTERVAL '1 hour'")
        .bind(Utc.with_ymd_and_hms(2026, 3, 2, 5, 0, 0).unwrap())
        .execute(&f.db.pool)
        .await
        .unwrap();
    let generated_at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let mut turbine = build_turbine_report(&f.db.pool, "wf", "T01").await.unwrap();
    turbine.generated_at = generated_at;
    let mut farm_report = build_farm_report(&f.db.pool, "wf").await.unwrap();
    farm_report.generated_at = generated_at;
    let tables = turbine_csv(&turbine);
    assert_golden(&[
        ("turbine_report.html", turbine_html(&turbine)),
        ("turbine_report.json", to_json(&turbine) + "\n"),
        ("turbine_summary.csv", tables.summary),
        ("turbine_bins.csv", tables.bins),
        ("farm_report.html", farm_html(&farm_report)),
        ("farm_report.csv", farm_csv(&farm_report)),
    ]);
    f.db.drop_now().await;
}
