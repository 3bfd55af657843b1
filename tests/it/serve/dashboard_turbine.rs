//! The dashboard's turbine page, over HTTP and in headless Chromium: what the model learned
//! (power against vane per wind-speed bin with the cos^p curve, vane error with its interval,
//! drift), the recent raw and corrected directions, data quality, and the model versions with
//! the operators' activate / roll-back buttons, which are role-checked, audited and CSRF-checked.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use trueyaw::domain::Quality;
use trueyaw::store::{self, drift_alerts::Shift};

use crate::support::browser::{chromium, render_signed_in};
use crate::support::serve::{Served, test_e};

/// Power of the synthetic windows: `2 ws^3 cos^2(vane - e)`, e of model v2 (`1 + test_e`).
fn power(ws: f64, vane: f64) -> f64 {
    2.0 * ws.powi(3) * (vane - (1.0 + test_e(ws))).to_radians().cos().powi(2)
}

/// What [`history`] stored, for the assertions.
struct History {
    drift_at: DateTime<Utc>,
}

/// T01 with three model versions (v1 superseded, v2 active with filter counts, a data period
/// and a drift event, v3 rejected), 10-minute windows over v2's period (3 per 1-degree vane bin
/// from -10 to 10 deg in each 1 m/s bin of 4-11 m/s, plus a pitched window and a lone one that
/// must not be drawn), 90 minutes of readings at 8 m/s and vane 5 deg with 5 flagged ones, and
/// an open drift alert.
async fn history(s: &Served) -> History {
    let end = Utc::now().duration_trunc(TimeDelta::minutes(10)).unwrap() - TimeDelta::days(1);
    let mut rows = Vec::new();
    for ws in 4..=11 {
        for vane in -10..=10 {
            for _ in 0..3 {
                rows.push((f64::from(ws), f64::from(vane), power(f64::from(ws), f64::from(vane)), 0.0));
            }
        }
    }
    rows.push((7.0, 0.0, 99_999.0, 5.0)); // pitched: left out
    rows.push((7.0, 13.0, 500.0, 0.0)); // a cell of one window: left out
    let start = end - TimeDelta::minutes(10) * (rows.len() as i32 - 1);
    let windows: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, &(ws, vane, p, pitch))| (start + TimeDelta::minutes(10) * i as i32, ws, vane, p, pitch))
        .collect();
    s.add_windows("T01", 600, &windows).await;
    let drift_at = start + (end - start) / 2;
    let drift_at = drift_at.duration_trunc(TimeDelta::minutes(10)).unwrap();
    s.register_model("T01", 0.0, true).await;
    s.register_model_with("T01", 1.0, true, |m, e| {
        m.data_from = Some(start);
        m.data_to = Some(end);
        m.metrics = serde_json::json!({
            "length_s": 600,
            "filter_counts": {"input": 1000, "missing": 10, "out_of_range": 5, "stuck": 3, "downtime": 100,
                              "pitched": 200, "plateau": 50, "power_curve_outlier": 12, "kept": 620},
        });
        e.drift_events = vec![trueyaw::model::DriftEvent {
            time: drift_at,
            delta_deg: 1.5,
            ci95: [1.1, 1.9],
            evidence: Some(trueyaw::model::DriftEvidence::PowerAndDirection),
        }];
    })
    .await;
    s.register_model("T01", 9.0, false).await;
    s.wait_for_version("T01", 2).await;

    let now = Utc::now();
    let mut readings: Vec<_> =
        (0..180).map(|i| s.reading("T01", now - TimeDelta::seconds(30 * i + 5), 8.0, 5.0, 180.0)).collect();
    for i in 0..5 {
        let mut r = s.reading("T01", now - TimeDelta::seconds(30 * i + 20), 8.0, 5.0, 180.0);
        r.vane_deg = None;
        r.quality = Quality::OUT_OF_RANGE;
        readings.push(r);
    }
    s.add_readings(&readings).await;
    let shift = Shift {
        turbine_id: s.turbine_id("T01"),
        recent_from: now - TimeDelta::hours(14),
        recent_to: now,
        shift_deg: 2.5,
        ci95: [2.0, 3.0],
        model_version: Some(2),
    };
    store::drift_alerts::raise(&s.db.pool, &shift).await.unwrap();
    History { drift_at }
}

async fn page(s: &Served, path: &str, cookie: &str) -> (u16, String) {
    let r = s.http.get(s.url(path)).header("cookie", cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_turbine_page_shows_what_the_model_learned_and_the_recent_directions() {
    let s = Served::start(false).await;
    let h = history(&s).await;
    let r = s.get("/turbines/T01", None).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("name=next value=\"/turbines/T01\""), "sign-in leads back");

    let (status, html) = page(&s, "/turbines/T01", &s.sign_in(&s.operator).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<h1>Turbine T01</h1>"));
    // vane error of the active model v2 with its interval, and per bin
    assert!(html.contains("<td>+2.95 [+2.65, +3.25]</td>"), "{html}");
    assert!(html.contains("<tr><td>7</td><td>+2.90 [+2.50, +3.30]</td><td>500</td><td>no</td></tr>"), "{html}");
    assert!(html.contains("<tr><td>13</td><td>+3.50 [+3.10, +3.90]</td><td>500</td><td>yes</td></tr>"));
    assert_eq!(html.matches("class=\"band\"").count(), 1, "the interval band of the vane-error chart");
    // power against vane: 8 panels of 21 binned means, each with the model's curve and peak
    assert_eq!(html.matches("class=\"curve\"").count(), 8);
    assert!(html.contains("7 m/s: 21 vane bins, 63 windows; model peak +2.90 deg"), "{html}");
    let point = format!("<title>vane +3 deg: {:.1} kW, 3 windows</title>", power(7.0, 3.0));
    assert!(html.contains(&point), "{point}");
    let zero = format!("<title>vane +0 deg: {:.1} kW, 3 windows</title>", power(7.0, 0.0));
    assert!(html.contains(&zero), "the pitched window is not in the mean");
    assert!(!html.contains("vane +13 deg"), "a cell of one window is not drawn");
    // drift: the model's event and the open alert
    let at = h.drift_at.format("%Y-%m-%d %H:%M");
    assert!(html.contains(&format!("drift event {at}: +1.50 deg [+1.10, +1.90]")), "{html}");
    assert!(html.contains(&format!(
        "<tr><td>{at}</td><td class=text>drift event (model; seen in power and direction)</td><td>+1.50 [+1.10, +1.90]</td></tr>"
    )));
    assert!(html.contains("open drift alert") && html.contains("<td>+2.50 [+2.00, +3.00]</td>"));
    // raw 5 deg at 8 m/s, corrected by e(8) = 3 deg: 2 deg
    assert!(html.contains("<td>+5.00</td><td>+2.00</td></tr>"), "latest minute raw and corrected: {html}");
    assert!(html.contains("<path class=\"raw\"") && html.contains("<path class=\"corr\""));
    // data quality: the model's filters and the readings' flags
    assert!(html.contains(
        "<th scope=row>pitched</th><td class=text>removed: pitched (above rated or curtailed)</td><td>200</td><td>20.0</td>"
    ));
    assert!(html.contains("<th scope=row>kept</th><td class=text>used by the model</td><td>620</td><td>62.0</td>"));
    assert!(html.contains("<th scope=row>all</th><td>185</td></tr><tr><th scope=row>good</th><td>180</td>"), "{html}");
    assert!(html.contains("<th scope=row>out_of_range</th><td>5</td>"));
    // versions with the operator's buttons
    assert!(html.contains("rejected: interval too wide"));
    assert!(html.contains("inactive (superseded)"));
    assert!(html.contains(">Roll back to v1</button>"));
    assert_eq!(html.matches("<form method=post").count(), 1, "only v1 can be activated");

    let (_, viewer) = page(&s, "/turbines/T01", &s.sign_in(&s.viewer).await).await;
    assert!(!viewer.contains("<form method=post") && viewer.contains("Viewing only"));
    let (_, t02) = page(&s, "/turbines/T02", &s.sign_in(&s.viewer).await).await;
    assert!(t02.contains("No readings in the last 6 hours.") && t02.contains("No model trained yet."), "{t02}");
    assert_eq!(page(&s, "/turbines/T09", &s.sign_in(&s.viewer).await).await.0, 404);
    s.stop().await;
}

/// The form token of the page's first form.
fn form_token(html: &str) -> String {
    let at = html.find("name=csrf value=\"").expect("a form") + "name=csrf value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn operators_activate_from_the_page_and_viewers_rejected_versions_and_other_sites_cannot() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.register_model("T01", 1.0, true).await;
    s.register_model("T01", 9.0, false).await;
    s.wait_for_version("T01", 2).await;
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let origin = s.url("");
    let post = |cookie: String, version: i32, csrf: String, origin: Option<String>| {
        let mut r = no_redirect
            .post(s.url(&format!("/turbines/T01/models/{version}/activate")))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}")); // hex: nothing to encode
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        async move {
            let r = r.send().await.unwrap();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            (r.status().as_u16(), location, r.text().await.unwrap())
        }
    };
    let audits = || async { store::audit::recent(&s.db.pool, Some("wf/T01"), 10).await.unwrap() };
    let active = || async {
        let v: serde_json::Value = s.get("/api/v1/turbines/T01/estimate", Some(&s.viewer)).await.json().await.unwrap();
        v["model_version"].as_i64().unwrap()
    };

    let op = s.sign_in(&s.operator).await;
    let csrf = form_token(&page(&s, "/turbines/T01", &op).await.1);
    // another site's form: right cookie (were SameSite ignored), no token or a foreign origin
    let (status, _, body) = post(op.clone(), 1, String::new(), Some("http://evil.example".into())).await;
    assert_eq!(status, 403);
    assert!(body.contains("Refused: this request did not come from this dashboard"), "{body}");
    assert_eq!(post(op.clone(), 1, csrf.clone(), Some("http://evil.example".into())).await.0, 403);
    assert_eq!(post(op.clone(), 1, "0".repeat(32), Some(origin.clone())).await.0, 403);
    // a viewer, even with its own valid token
    let viewer = s.sign_in(&s.viewer).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", viewer.parse().unwrap());
    let viewer_csrf = trueyaw::serve::dashboard::csrf_token(&headers).unwrap();
    let (status, _, body) = post(viewer, 1, viewer_csrf, Some(origin.clone())).await;
    assert_eq!(status, 403);
    assert!(body.contains("viewer token"), "{body}");
    // a rejected version
    let (status, _, body) = post(op.clone(), 3, csrf.clone(), Some(origin.clone())).await;
    assert_eq!(status, 409);
    assert!(body.contains("failed its quality gates (interval too wide) and cannot be activated"), "{body}");
    assert_eq!(active().await, 2, "nothing changed");
    assert!(audits().await.is_empty(), "and nothing was audited");

    // the operator rolls back: post, redirect, get
    let (status, location, _) = post(op.clone(), 1, csrf, Some(origin)).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/turbines/T01?activated=1&previous=2"));
    assert_eq!(active().await, 1, "the very next request is served by v1");
    let audit = audits().await;
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("model.activate", "token:o"));
    assert_eq!(audit[0].detail, serde_json::json!({"version": 1, "previous_version": 2}));
    let (_, html) = page(&s, &location.unwrap(), &op).await;
    assert!(html.contains("Version 1 is now active (was version 2)."), "{html}");
    assert!(html.contains(">Activate v2</button>"), "v2 is now the newer, inactive one");
    s.stop().await;
}

#[tokio::test]
async fn a_real_browser_renders_the_turbine_page_signed_in_as_an_operator() {
    let Some(browser) = chromium() else { return };
    let s = Served::start(false).await;
    history(&s).await;
    let login = s.url(&format!("/login?token={}&next=/turbines/T01", s.operator));
    let dom = render_signed_in(&browser, &login, "1400,4000", "dashboard-turbine.png").await;
    assert!(dom.contains("<h1>Turbine T01</h1>"), "the browser followed the sign-in to the turbine page: {dom}");
    assert!(dom.contains("+2.95 [+2.65, +3.25]"), "the vane error with its interval: {dom}");
    assert_eq!(dom.matches("<svg").count(), 11, "8 power panels, vane error, drift, directions");
    assert!(dom.contains("7 m/s: 21 vane bins, 63 windows; model peak +2.90 deg"));
    assert!(dom.contains("Roll back to v1</button>"), "the operator's button is rendered");
    s.stop().await;
}
