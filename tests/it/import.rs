//! `trueyaw import`: generic and ENGIE CSV files into `windows`, idempotence, bad rows with
//! their line numbers, turbine creation, and the CLI's exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use trueyaw::ingest::import::{Format, ImportOptions, ImportReport, import_files};
use trueyaw::store::{self, WindowRow};

use crate::support::db::TestDb;

const GENERIC_HEADER: &str = "time,turbine,comment,power_kw,vane_deg,nacelle_deg,wind_speed_ms,rotor_rpm,pitch_deg";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn write(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn opts(format: Format, create_turbines: bool) -> ImportOptions {
    ImportOptions { format, farm: "hb".into(), create_turbines, length_s: 600 }
}

async fn import(db: &TestDb, o: &ImportOptions, files: &[PathBuf]) -> ImportReport {
    import_files(&db.pool, o, files, |_| {}).await.expect("import")
}

/// A farm `hb` with turbines T1 and T2; returns their ids.
async fn farm(db: &TestDb) -> (i32, i32) {
    let farm = store::upsert_farm(&db.pool, "hb").await.unwrap();
    (
        store::upsert_turbine(&db.pool, farm, "T1", "").await.unwrap(),
        store::upsert_turbine(&db.pool, farm, "T2", "").await.unwrap(),
    )
}

async fn all_windows(db: &TestDb) -> Vec<WindowRow> {
    sqlx::query_as("SELECT * FROM windows ORDER BY turbine_id, window_start").fetch_all(&db.pool).await.unwrap()
}

fn utc(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, h, m, 0).unwrap()
}

#[tokio::test]
async fn a_generic_file_round_trips_its_values_into_windows() {
    let db = TestDb::migrated().await;
    let (t1, t2) = farm(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "g.csv",
        &[
            GENERIC_HEADER,
            "2025-03-01T01:10:00+01:00,T1,ok,1500.5,350,360,8.25,14.1,0.5",
            "2025-03-01T00:10:00Z,T2,,,-3.5,12,6,,",
        ],
    );
    let report = import(&db, &opts(Format::Generic, false), &[file]).await;
    assert_eq!((report.rows_read, report.inserted, report.bad.total()), (2, 2, 0), "{report}");
    let rows = all_windows(&db).await;
    let w1 = rows.iter().find(|w| w.turbine_id == t1).unwrap();
    assert_eq!((w1.window_start, w1.length_s, w1.origin.as_str()), (utc(0, 10), 600, "import"));
    assert_eq!((w1.power_kw_mean, w1.vane_deg_mean, w1.nacelle_deg_mean), (Some(1500.5), Some(-10.0), Some(0.0)));
    assert_eq!((w1.wind_speed_ms_mean, w1.rotor_rpm_mean, w1.pitch_deg_mean), (Some(8.25), Some(14.1), Some(0.5)));
    let w2 = rows.iter().find(|w| w.turbine_id == t2).unwrap();
    assert_eq!((w2.power_kw_mean, w2.vane_deg_mean, w2.rotor_rpm_mean), (None, Some(-3.5), None));
    assert_eq!((report.per_turbine["T1"].first, report.per_turbine["T2"].rows), (utc(0, 10), 1));
    db.drop_now().await;
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing_and_never_touches_poll_windows() {
    let db = TestDb::migrated().await;
    let (t1, _) = farm(&db).await;
    sqlx::query("INSERT INTO windows (turbine_id, length_s, window_start, origin, n_readings, n_valid, power_kw_mean) VALUES ($1, 600, $2, 'poll', 600, 600, 42)")
        .bind(t1).bind(utc(0, 20)).execute(&db.pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = [GENERIC_HEADER, "2025-03-01T00:10:00Z,T1,,100,1,2,3,4,5", "2025-03-01T00:20:00Z,T1,,200,1,2,3,4,5"];
    let file = write(dir.path(), "g.csv", &lines);
    let first = import(&db, &opts(Format::Generic, false), std::slice::from_ref(&file)).await;
    assert_eq!((first.inserted, first.already_present), (1, 1), "{first}");
    let before = all_windows(&db).await;
    let again = import(&db, &opts(Format::Generic, false), std::slice::from_ref(&file)).await;
    assert_eq!((again.inserted, again.updated, again.already_present), (0, 0, 2), "{again}");
    assert_eq!(all_windows(&db).await, before, "values and updated_at unchanged");
    assert_eq!(before[1].power_kw_mean, Some(42.0), "the poll window keeps its own values");

    let corrected = write(dir.path(), "g2.csv", &[GENERIC_HEADER, "2025-03-01T00:10:00Z,T1,,111,1,2,3,4,5"]);
    let fix = import(&db, &opts(Format::Generic, false), &[corrected]).await;
    assert_eq!(fix.updated, 1, "a corrected re-export replaces the imported window");
    assert_eq!(all_windows(&db).await[0].power_kw_mean, Some(111.0));
    db.drop_now().await;
}

#[tokio::test]
async fn malformed_rows_are_reported_with_line_numbers_and_reasons_while_good_rows_are_imported() {
    let db = TestDb::migrated().await;
    farm(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.csv",
        &[
            GENERIC_HEADER,
            "2025-03-01T00:00:00Z,T1,,100,1,2,3,4,5",
            "2025-03-01T00:10:00Z,T1,,12x,1,2,3,4,5",
            "2025-03-01T00:20:00Z,T1,,NaN,1,2,3,4,5",
            "2025-03-01T00:30:00Z,T1,,100,400,2,3,4,5",
            "2025-03-01T00:41:00Z,T1,,100,1,2,3,4,5",
            "2025-03-01T00:50:00Z,T9,,100,1,2,3,4,5",
            "2025-03-01T01:00:00Z,T1,,100,1",
            "2025-03-01T01:10:00Z,T2,,100,1,2,3,4,5",
        ],
    );
    let report = import(&db, &opts(Format::Generic, false), std::slice::from_ref(&file)).await;
    assert_eq!((report.rows_read, report.inserted, report.bad.total()), (8, 2, 6), "{report}");
    let shown: Vec<String> = report.bad.examples.iter().map(|b| b.to_string()).collect();
    let f = file.display();
    assert_eq!(
        shown,
        [
            format!("{f}:3: power_kw: \"12x\" is not a number"),
            format!("{f}:4: power_kw: NaN or infinite"),
            format!("{f}:5: vane_deg: 400 is out of range"),
            format!("{f}:6: time 2025-03-01T00:41:00Z is not the start of a 600 s window"),
            format!("{f}:7: unknown turbine \"T9\" (use --create-turbines to add it)"),
            format!("{f}:8: 5 cells where the header has 9"),
        ]
    );
    assert_eq!(report.bad.by_reason["unknown turbine"], 1);
    assert_eq!(all_windows(&db).await.len(), 2);
    db.drop_now().await;
}

#[tokio::test]
async fn unknown_turbines_and_the_farm_are_created_with_create_turbines() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "g.csv", &[GENERIC_HEADER, "2025-03-01T00:00:00Z,WTG-7,,1,1,2,3,4,5"]);
    let err = import_files(&db.pool, &opts(Format::Generic, false), std::slice::from_ref(&file), |_| {}).await;
    assert!(err.is_err_and(|e| e.is_usage() && e.to_string().contains("\"hb\"")), "unknown farm is a usage error");
    let report = import(&db, &opts(Format::Generic, true), &[file]).await;
    assert_eq!((report.turbines_created.as_slice(), report.inserted), (&["WTG-7".to_string()][..], 1));
    let farm = store::find_farm(&db.pool, "hb").await.unwrap().unwrap();
    assert_eq!(store::list_turbines(&db.pool, farm).await.unwrap()[0].name, "WTG-7");
    db.drop_now().await;
}

#[tokio::test]
async fn the_engie_fixture_imports_every_row_of_both_turbines() {
    let db = TestDb::migrated().await;
    let report = import(&db, &opts(Format::Engie, true), &[fixture("la_haute_borne_slice.csv")]).await;
    assert_eq!((report.rows_read, report.inserted, report.bad.total()), (852, 852, 0), "{report}");
    let r = report.per_turbine["R80711"];
    assert_eq!((r.rows, r.first, r.last), (426, utc_at(2014, 1, 1, 0, 0), utc_at(2014, 1, 3, 22, 50)));
    assert_eq!(report.per_turbine["R80721"].rows, 426);
    let first: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT w.vane_deg_mean, w.nacelle_deg_mean, w.outdoor_temp_c_mean, w.wind_dir_deg_mean
         FROM windows w JOIN turbines t ON t.id = w.turbine_id WHERE t.name = 'R80711' ORDER BY window_start LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    // Line 3 of the fixture: R80711,2014-01-01T01:00:00+01:00,...,Va 6.9499998, Ot 4.3000002, Ya 172.77, Wa 179.72
    assert_eq!(first, (Some(6.9499998), Some(172.77), Some(4.3000002), Some(179.72)));
    db.drop_now().await;
}

fn utc_at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[tokio::test]
async fn a_semicolon_engie_export_fills_spread_and_extremes_and_wraps_a_0_to_360_vane() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "engie.csv",
        &[
            "Wind_turbine_name;Date_time;Ba_avg;P_avg;Ws_avg;Va_avg;Va_std;Va_min;Va_max;Ot_avg;Ya_avg;Wa_avg;Rs_avg",
            "R1;2017-06-01T12:00:00+02:00;0.5;900;8;355;2.5;350;359;18;360;1;15.5",
        ],
    );
    let report = import(&db, &opts(Format::Engie, true), &[file]).await;
    assert_eq!(report.inserted, 1, "{report}");
    let w = &all_windows(&db).await[0];
    assert_eq!(w.window_start, Utc.with_ymd_and_hms(2017, 6, 1, 10, 0, 0).unwrap());
    assert_eq!(
        (w.vane_deg_mean, w.vane_deg_std, w.vane_deg_min, w.vane_deg_max),
        (Some(-5.0), Some(2.5), Some(-10.0), Some(-1.0))
    );
    assert_eq!((w.nacelle_deg_mean, w.rotor_rpm_mean, w.pitch_deg_mean), (Some(0.0), Some(15.5), Some(0.5)));
    db.drop_now().await;
}

fn trueyaw() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueyaw"))
}

#[tokio::test]
async fn the_cli_exits_2_naming_file_and_column_when_a_column_is_missing_and_0_with_a_summary() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "nopitch.csv", &["turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm"]);
    let run = |args: &[&str], file: &Path| {
        trueyaw().arg("import").args(args).arg(file).env("DATABASE_URL", &db.url).output().unwrap()
    };
    let out = run(&["--format", "generic", "--farm", "hb", "--create-turbines"], &bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("nopitch.csv") && stderr.contains("\"pitch_deg\""), "stderr: {stderr}");
    assert_eq!(
        trueyaw().args(["import", "--format", "generic", "--farm", "hb"]).output().unwrap().status.code(),
        Some(2)
    );
    let missing = run(&["--format", "engie", "--farm", "hb"], Path::new("/nonexistent.csv"));
    assert_eq!(missing.status.code(), Some(2));

    let out = run(&["--format", "engie", "--farm", "hb", "--create-turbines"], &fixture("la_haute_borne_slice.csv"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("imported:        852") && stdout.contains("R80711, R80721"), "stdout: {stdout}");
    let down = trueyaw()
        .args(["import", "--format", "engie", "--farm", "hb"])
        .arg(fixture("la_haute_borne_slice.csv"))
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1), "an unreachable database is a runtime failure");
    db.drop_now().await;
}
