//! The dashboard's farm overview, over HTTP and in a real browser (Debian's headless Chromium):
//! the page needs a token (kept in a cookie by `/login`), lists every turbine with what is served,
//! and is rendered as asserted; a screenshot is kept as an artifact.

use chrono::Utc;

use crate::support::browser::{chromium, render_signed_in};
use crate::support::serve::Served;

#[tokio::test]
async fn the_overview_needs_a_token_and_lists_every_turbine_with_its_correction() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    s.add_reading("T01", Utc::now(), 8.0, 2.0, 180.0).await;
    let r = s.get("/", None).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("<form action=/login"));
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_redirect.get(s.url(&format!("/login?token={}", s.viewer))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = s.http.get(s.url("/?sort=loss")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(">T01</a>") && html.contains(">T02</a>"), "{html}");
    assert!(html.contains("<td>v1</td>"), "T01's model version");
    assert!(html.contains("+1.95 [+1.65, +2.25]"), "T01's vane error with its interval: {html}");
    assert!(html.contains("class=live>live"), "T01 has a fresh reading");
    assert!(html.contains("class=offline>offline"), "T02 has none");
    assert!(html.contains("http-equiv=refresh"));
    assert!(html.contains("Loss MWh/year"));
    let bad = no_redirect.get(s.url("/login?token=ty_nope")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    s.stop().await;
}

#[tokio::test]
async fn a_real_browser_renders_the_overview_after_signing_in() {
    let Some(browser) = chromium() else { return };
    let s = Served::start(false).await;
    s.register_model("T02", 1.0, true).await;
    s.wait_for_version("T02", 1).await;
    let login = s.url(&format!("/login?token={}", s.viewer));
    let dom = render_signed_in(&browser, &login, "1400,600", "dashboard-overview.png").await;
    assert!(dom.contains("trueyaw: farm wf"), "the browser followed the sign-in to the overview: {dom}");
    assert!(dom.contains("+2.95 [+2.65, +3.25]"), "T02's served vane error is rendered: {dom}");
    assert!(dom.contains("href=\"/turbines/T02\""), "each turbine links to its page: {dom}");
    s.stop().await;
}
