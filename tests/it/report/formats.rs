//! The report's formats from a registered model and imported windows: the JSON, CSV and HTML
//! carry the estimate's numbers, the energy comes from the turbine's own windows, and the farm
//! summary ranks turbines and lists those without a model.

use trueyaw::app::report::{Built, write_report};
use trueyaw::report::Format;
use trueyaw::report::pdf::PdfOptions;
use trueyaw::report::{ReportError, build_farm_report, build_turbine_report, to_json};
use trueyaw::store;

use super::{close, farm};

#[tokio::test]
async fn a_turbine_report_carries_the_estimate_and_the_energy_of_its_windows_in_every_format() {
    let f = farm().await;
    let r = build_turbine_report(&f.db.pool, "wf", "T01").await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&to_json(&r)).unwrap();
    let est = &f.t01;
    assert_eq!(json["model"]["version"], 2);
    assert_eq!(json["model"]["method"], "neural");
    assert_eq!(json["static_offset"]["yaw_offset_deg"].as_f64(), est.vane_error_deg);
    assert_eq!(json["static_offset"]["ci95"], serde_json::json!(est.ci95));
    assert_eq!(json["bins"], serde_json::to_value(&est.bins).unwrap());
    assert_eq!(json["drift_events"], serde_json::to_value(&est.drift_events).unwrap());
    assert_eq!(json["coverage"]["windows_loaded"], 12);
    assert_eq!(json["coverage"]["n_windows"], 10);
    assert_eq!(json["filter_counts"][0], serde_json::json!({"filter": "input", "windows": 12}));
    // 1000 kW in every window: 8760 MWh/year as operated
    let energy = &json["energy"];
    assert!(close(energy["annual_energy_mwh"].as_f64().unwrap(), 8760.0), "{energy}");
    assert_eq!(energy["power_windows"], 12);
    let recoverable = 8760.0 / (1.0 - 0.015) * (1.0 - 6f64.to_radians().cos().powi(2));
    assert!(close(energy["recoverable_mwh_per_year"].as_f64().unwrap(), recoverable), "{energy}");
    let binned = &json["binned_comparison"];
    assert_eq!(binned["version"], 1);
    assert_eq!(binned["status"], "superseded");
    assert_eq!(binned["openoa_yaw_misalignment_deg"], 5.5);

    let dir = tempfile::tempdir().unwrap();
    let files = write_report(
        &Built::Turbine(Box::new(r)),
        dir.path(),
        &[Format::Html, Format::Json, Format::Csv],
        &PdfOptions::default(),
    )
    .unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["wf-T01.html", "wf-T01.json", "wf-T01-summary.csv", "wf-T01-bins.csv"]);

    let summary = std::fs::read_to_string(dir.path().join("wf-T01-summary.csv")).unwrap();
    let value = |key: &str| -> f64 {
        let line = summary.lines().find(|l| l.starts_with(&format!("{key},"))).unwrap_or_else(|| panic!("{key}"));
        line.split_once(',').unwrap().1.parse().unwrap()
    };
    assert_eq!(value("yaw_offset_deg"), est.vane_error_deg.unwrap());
    assert_eq!(value("yaw_offset_ci95_low"), est.ci95.unwrap()[0]);
    assert_eq!(value("yaw_offset_ci95_high"), est.ci95.unwrap()[1]);
    assert_eq!(value("recoverable_mwh_per_year"), energy["recoverable_mwh_per_year"].as_f64().unwrap());
    assert_eq!(value("drift.0.delta_deg"), 1.75);
    assert_eq!(value("filter.kept"), 10.0);
    let bins = std::fs::read_to_string(dir.path().join("wf-T01-bins.csv")).unwrap();
    let mut lines = bins.lines();
    assert_eq!(lines.next(), Some("ws,vane_error_deg,ci95_low,ci95_high,extrapolated,n_windows"));
    for (line, b) in lines.zip(&est.bins) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0].parse::<f64>().unwrap(), b.ws);
        assert_eq!(cells[1].parse::<f64>().ok(), b.vane_error_deg);
        assert_eq!([cells[2].parse::<f64>().unwrap(), cells[3].parse().unwrap()], b.ci95.unwrap());
        assert_eq!(cells[4], b.extrapolated.to_string());
    }
    assert_eq!(bins.lines().count(), est.bins.len() + 1);

    let html = std::fs::read_to_string(dir.path().join("wf-T01.html")).unwrap();
    assert!(html.contains("<svg"), "no chart");
    assert!(html.contains("class=\"extrap\""), "extrapolated bins not marked");
    let e = est.vane_error_deg.unwrap();
    let [lo, hi] = est.ci95.unwrap();
    assert!(html.contains(&format!("yaw_offset_deg = {e:+.2} deg")), "offset missing");
    assert!(html.contains(&format!("[{lo:+.2}, {hi:+.2}]")), "interval missing");
    assert!(html.contains(&format!("{recoverable:.1}")), "gain after correction missing");
    assert!(html.contains("8760.0"), "annual energy missing");
    for b in &est.bins {
        assert!(html.contains(&format!("{:+.2}", b.vane_error_deg.unwrap())), "bin {} missing", b.ws);
    }
    for external in ["<link", "<script", "src=", "@import", "url("] {
        assert!(!html.contains(external), "the page must be self-contained: found {external}");
    }
    let json_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("wf-T01.json")).unwrap()).unwrap();
    assert_eq!(json_file["static_offset"], json["static_offset"]);
    f.db.drop_now().await;
}

#[tokio::test]
async fn the_farm_report_ranks_by_recoverable_energy_and_lists_turbines_without_a_model() {
    let f = farm().await;
    let r = build_farm_report(&f.db.pool, "wf").await.unwrap();
    let order: Vec<&str> = r.turbines.iter().map(|t| t.turbine.as_str()).collect();
    assert_eq!(order, ["T01", "T02"], "T01 is 6 deg off, T02 2 deg");
    assert_eq!(r.without_report.len(), 1);
    assert_eq!(r.without_report[0].turbine, "T03");
    assert!(r.without_report[0].reason.contains("no model trained"), "{}", r.without_report[0].reason);
    let total: f64 = r.turbines.iter().filter_map(|t| t.recoverable_mwh_per_year).sum();
    assert!(close(r.total_recoverable_mwh_per_year, total));

    let dir = tempfile::tempdir().unwrap();
    let files =
        write_report(&Built::Farm(r), dir.path(), &[Format::Csv, Format::Html, Format::Csv], &PdfOptions::default())
            .unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["wf.csv", "wf.html"]);
    let csv = std::fs::read_to_string(dir.path().join("wf.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("1,T01,2,neural,"), "{csv}");
    f.db.drop_now().await;
}

#[tokio::test]
async fn unknown_names_and_missing_models_are_clear_errors() {
    let f = farm().await;
    let err = build_turbine_report(&f.db.pool, "nope", "T01").await.unwrap_err();
    assert!(matches!(err, ReportError::UnknownFarm(_)) && err.is_usage(), "{err}");
    let err = build_turbine_report(&f.db.pool, "wf", "T09").await.unwrap_err();
    assert!(matches!(err, ReportError::UnknownTurbine { .. }), "{err}");
    let err = build_turbine_report(&f.db.pool, "wf", "T03").await.unwrap_err();
    assert!(matches!(err, ReportError::NoActiveModel { .. }), "{err}");
    assert!(err.to_string().contains("T03"), "{err}");
    let empty = store::upsert_farm(&f.db.pool, "empty").await.unwrap();
    store::upsert_turbine(&f.db.pool, empty, "E01", "test").await.unwrap();
    let err = build_farm_report(&f.db.pool, "empty").await.unwrap_err();
    assert!(matches!(err, ReportError::NoActiveModels(_)), "{err}");
    f.db.drop_now().await;
}
