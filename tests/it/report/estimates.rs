//! The report's numbers against `trueyaw estimates --format json` (the binary, as a user runs
//! it) on the same farm: every estimate figure in the turbine report's JSON, CSV and HTML, and
//! every ranked line of the farm report, is the one `estimates` prints.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;
use trueyaw::app::report::{Built, write_report};
use trueyaw::report::Format;
use trueyaw::report::pdf::PdfOptions;
use trueyaw::report::{build_farm_report, build_turbine_report};

use super::farm;

/// `trueyaw estimates --farm wf --format json` against `url`.
fn estimates_json(url: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trueyaw"))
        .args(["estimates", "--farm", "wf", "--format", "json"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(out.status.success(), "estimates failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `key,value` rows of a summary CSV.
fn summary(csv: &str) -> BTreeMap<String, String> {
    csv.lines().skip(1).filter_map(|l| l.split_once(',')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A JSON number (or null) as an optional float, and a CSV cell likewise (empty = missing).
fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}
fn cell(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}")))
}

#[tokio::test]
async fn every_format_of_the_reports_agrees_with_trueyaw_estimates() {
    let f = farm().await;
    let est = estimates_json(&f.db.url);
    let turbines = est["turbines"].as_array().unwrap();
    assert_eq!(turbines.len(), 2, "T01 and T02 have an active model: {est}");
    let dir = tempfile::tempdir().unwrap();
    let all = [Format::Html, Format::Json, Format::Csv];
    for e in turbines {
        let name = e["turbine"].as_str().unwrap();
        let r = build_turbine_report(&f.db.pool, "wf", name).await.unwrap();
        write_report(&Built::Turbine(Box::new(r)), dir.path(), &all, &PdfOptions::default()).unwrap();
        let read = |suffix: &str| std::fs::read_to_string(dir.path().join(format!("wf-{name}{suffix}"))).unwrap();

        // JSON: the same values, bins and drift events, bit for bit.
        let j: Value = serde_json::from_str(&read(".json")).unwrap();
        assert_eq!(j["static_offset"]["yaw_offset_deg"], e["vane_error_deg"], "{name}");
        assert_eq!(j["static_offset"]["ci95"], e["ci95"], "{name}");
        for key in ["misalignment_deg", "gain", "cos_exponent", "north_offset_deg", "bins", "drift_events"] {
            assert_eq!(j[key], e[key], "{name}: {key}");
        }
        assert_eq!(j["energy"]["energy_loss_pct"], e["energy_loss_pct"], "{name}");
        assert_eq!(j["model"]["version"], e["model_version"], "{name}");
        assert_eq!(j["model"]["method"], e["method"], "{name}");
        assert_eq!(j["model"]["created_at"], e["trained_at"], "{name}");
        assert_eq!(j["coverage"]["n_windows"], e["n_windows"], "{name}");
        assert_eq!(j["coverage"]["data_from"], e["data_from"], "{name}");
        assert_eq!(j["coverage"]["data_to"], e["data_to"], "{name}");

        // CSV: full precision, so the numbers read back equal.
        let s = summary(&read("-summary.csv"));
        let ci = |i: usize| num(&e["ci95"][i]);
        for (key, want) in [
            ("yaw_offset_deg", num(&e["vane_error_deg"])),
            ("yaw_offset_ci95_low", ci(0)),
            ("yaw_offset_ci95_high", ci(1)),
            ("misalignment_deg", num(&e["misalignment_deg"])),
            ("gain", num(&e["gain"])),
            ("cos_exponent", num(&e["cos_exponent"])),
            ("north_offset_deg", num(&e["north_offset_deg"])),
            ("energy_loss_pct", num(&e["energy_loss_pct"])),
            ("model_version", num(&e["model_version"])),
            ("n_windows", num(&e["n_windows"])),
        ] {
            assert_eq!(cell(&s[key]), want, "{name}: {key}");
        }
        assert_eq!(s["method"], e["method"].as_str().unwrap());
        for (i, d) in e["drift_events"].as_array().unwrap().iter().enumerate() {
            assert_eq!(cell(&s[&format!("drift.{i}.delta_deg")]), num(&d["delta_deg"]), "{name}: drift {i}");
        }
        let bins: Vec<String> = read("-bins.csv").lines().skip(1).map(String::from).collect();
        let want_bins = e["bins"].as_array().unwrap();
        assert_eq!(bins.len(), want_bins.len(), "{name}");
        for (row, b) in bins.iter().zip(want_bins) {
            let c: Vec<&str> = row.split(',').collect();
            assert_eq!(cell(c[0]), num(&b["ws"]), "{name}: {row}");
            assert_eq!(cell(c[1]), num(&b["vane_error_deg"]), "{name}: {row}");
            assert_eq!([cell(c[2]), cell(c[3])], [num(&b["ci95"][0]), num(&b["ci95"][1])], "{name}: {row}");
            assert_eq!(c[4], b["extrapolated"].to_string(), "{name}: {row}");
        }

        // HTML: the same numbers, rounded for reading as the page rounds them.
        let html = read(".html");
        let d2 = |v: &Value| format!("{:+.2}", v.as_f64().unwrap());
        let offset = format!("yaw_offset_deg = {} deg", d2(&e["vane_error_deg"]));
        let interval = format!("[{}, {}]", d2(&e["ci95"][0]), d2(&e["ci95"][1]));
        let misalignment = format!("<td>{}</td>", d2(&e["misalignment_deg"]));
        let loss = format!("<td>{:.2}</td>", e["energy_loss_pct"].as_f64().unwrap());
        let version = format!("Model version {} ({})", e["model_version"], e["method"].as_str().unwrap());
        for want in [offset, interval, misalignment, loss, version] {
            assert!(html.contains(&want), "{name}: {want} missing from the page");
        }
        for b in want_bins {
            let row = format!("<td>{}</td><td>{}</td>", b["ws"].as_f64().unwrap(), d2(&b["vane_error_deg"]));
            assert!(html.contains(&row), "{name}: bin row {row} missing");
        }
    }

    // The farm report: one ranked line per turbine of `estimates`, the others listed apart.
    let farm_report = build_farm_report(&f.db.pool, "wf").await.unwrap();
    write_report(&Built::Farm(farm_report), dir.path(), &all, &PdfOptions::default()).unwrap();
    let j: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("wf.json")).unwrap()).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("wf.csv")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("wf.html")).unwrap();
    assert_eq!(j["turbines"].as_array().unwrap().len(), turbines.len());
    for e in turbines {
        let name = e["turbine"].as_str().unwrap();
        let line = j["turbines"].as_array().unwrap().iter().find(|t| t["turbine"] == name).unwrap();
        assert_eq!(line["yaw_offset_deg"], e["vane_error_deg"], "{name}");
        for key in ["ci95", "misalignment_deg", "energy_loss_pct", "model_version", "method", "n_windows"] {
            assert_eq!(line[key], e[key], "{name}: {key}");
        }
        assert_eq!(line["drift_events"], e["drift_events"].as_array().unwrap().len(), "{name}");
        let row: Vec<&str> = csv.lines().find(|l| l.split(',').nth(1) == Some(name)).unwrap().split(',').collect();
        assert_eq!(cell(row[4]), num(&e["vane_error_deg"]), "{name}: farm CSV");
        assert_eq!([cell(row[5]), cell(row[6])], [num(&e["ci95"][0]), num(&e["ci95"][1])], "{name}: farm CSV");
        assert_eq!(cell(row[7]), num(&e["misalignment_deg"]), "{name}: farm CSV");
        assert_eq!(cell(row[8]), num(&e["energy_loss_pct"]), "{name}: farm CSV");
        let d2 = |v: &Value| format!("{:+.2}", v.as_f64().unwrap());
        let cells = format!(
            "<td class=\"k\">{name}</td><td class=\"k\">v{} {}</td><td>{}</td><td>[{}, {}]</td><td>{}</td>",
            e["model_version"],
            e["method"].as_str().unwrap(),
            d2(&e["vane_error_deg"]),
            d2(&e["ci95"][0]),
            d2(&e["ci95"][1]),
            d2(&e["misalignment_deg"]),
        );
        assert!(html.contains(&cells), "{name}: farm page row missing {cells}");
    }
    let without: Vec<&Value> = est["without_model"].as_array().unwrap().iter().map(|w| &w["turbine"]).collect();
    let listed: Vec<&Value> = j["without_report"].as_array().unwrap().iter().map(|w| &w["turbine"]).collect();
    assert_eq!(listed, without);
    f.db.drop_now().await;
}
