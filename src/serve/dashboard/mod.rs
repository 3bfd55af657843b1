//! The operator dashboard: plain server-rendered HTML with inline SVG (no script, no asset
//! fetched from anywhere), readable on a laptop and a control-room screen, keyboard accessible.
//! Same tokens as the API: `/login?token=...` (or its form) keeps the token in an HttpOnly,
//! SameSite=Strict cookie; `serve.open_read` opens the pages (never the buttons).
//!
//! - [`overview`]: the farm at `/`, one row per turbine, refreshing every 10 s.
//! - [`turbine`]: one turbine at `/turbines/{name}`: its charts, data quality and model versions.
//! - [`actions`]: the turbine page's activate / roll-back buttons (operators), CSRF-checked.
//!
//! This module owns what the pages share: the sign-in page, the style sheet, number formatting.

mod actions;
mod overview;
mod sections;
mod tables;
mod turbine;

pub use actions::csrf_token;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::{Caller, Role};
use super::http::{ApiError, TOKEN_COOKIE, Viewer};
use super::state::AppState;
use crate::report::escape_html;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/login", get(login))
        .route("/turbines/{turbine}", get(turbine::turbine_page))
        .route("/turbines/{turbine}/models/{version}/activate", post(actions::activate))
}

/// The caller of a page, or the sign-in page (401) to answer with; `next` is where signing in
/// leads back to.
fn signed_in(
    state: &AppState,
    viewer: Result<Option<Viewer>, ApiError>,
    next: &str,
) -> Result<Caller, (StatusCode, Html<String>)> {
    match viewer {
        Ok(Some(Viewer(c))) => Ok(c),
        Ok(None) if state.settings.open_read => Ok(Caller { actor: "anonymous".into(), role: Role::Viewer }),
        _ => Err((StatusCode::UNAUTHORIZED, Html(login_page(&state.farm, viewer.is_err(), next)))),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    token: Option<String>,
    /// A dashboard path to go to once signed in (default `/`).
    next: Option<String>,
}

/// Only paths of this site: `/x`, never `//host` or `/\host` (which browsers treat as another
/// host), so the sign-in link cannot be turned into an open redirect.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.contains(['\r', '\n']) => n,
        _ => "/",
    }
}

async fn login(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let next = local_path(q.next.as_deref());
    let Some(token) = q.token.filter(|t| !t.is_empty()) else {
        return Html(login_page(&state.farm, false, next)).into_response();
    };
    match state.tokens.verify(&token).await {
        Ok(Some(_)) => {
            let mut r = Redirect::to(next).into_response();
            let cookie = format!("{}={token}; Path=/; HttpOnly; SameSite=Strict", TOKEN_COOKIE);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => (StatusCode::UNAUTHORIZED, Html(login_page(&state.farm, true, next))).into_response(),
    }
}

/// The style sheet of every page: system fonts, a responsive grid of figures, visible focus,
/// larger type on control-room screens, and the chart classes of `report::svg` and
/// `report::charts`. Colours are told apart by shape too (dashes, hollow markers).
const STYLE: &str = "body{font:16px/1.4 system-ui,sans-serif;margin:1.5rem;color:#111;max-width:120rem}\
table{border-collapse:collapse;width:100%}th,td{padding:.4rem .6rem;border-bottom:1px solid #ccc;text-align:right}\
th:first-child,td:first-child{text-align:left}th a{color:inherit}caption{text-align:left;font-weight:600;padding:.3rem 0}\
a:focus,button:focus,input:focus{outline:3px solid #06c;outline-offset:2px}\
button{font:inherit;padding:.25rem .8rem;border:1px solid #06c;border-radius:4px;background:#e8f0fb;color:#024;cursor:pointer}\
.live{color:#060}.stale{color:#a60}.offline{color:#b00}.alert{color:#b00;font-weight:bold}.note{color:#444}\
.msg{padding:.6rem 1rem;border-left:6px solid #060;background:#eef7ee}.msg.err{border-color:#b00;background:#fbeeee}\
nav a{margin-right:1rem}section{margin:2rem 0}h2{margin-bottom:.4rem;border-bottom:2px solid #ddd}\
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}figure{margin:0}\
figcaption{font-size:.9em;color:#333}.wide{max-width:60rem}.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:2rem;align-items:start}\
td.text{text-align:left}\
svg.chart{width:100%;height:auto;font-size:11px;fill:#333}svg .grid{stroke:#e3e3e3}svg .zero{stroke:#888}\
svg .extrap{fill:#f4ecd8}svg .band{fill:#9ecae1;fill-opacity:.5;stroke:none}svg .line{fill:none;stroke:#08519c;stroke-width:2}\
svg .pt{fill:#08519c}svg .extrap-pt{fill:#fff;stroke:#08519c}svg .curve{fill:none;stroke:#d95f02;stroke-width:2}\
svg .peak{stroke:#d95f02;stroke-dasharray:4 3}svg .peak-label{fill:#a04000}svg line.alert{stroke:#b00;stroke-width:3}\
svg .raw{fill:none;stroke:#777;stroke-width:1.5;stroke-dasharray:5 3}svg .corr{fill:none;stroke:#08519c;stroke-width:2}\
@media (min-width:1600px){body{font-size:22px}}";

/// A whole page: `refresh_s` reloads it (0: never).
fn page_shell(title: &str, refresh_s: u32, body: &str) -> String {
    let refresh = if refresh_s > 0 { format!("<meta http-equiv=refresh content={refresh_s}>") } else { String::new() };
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>{refresh}\
         <meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>"
    )
}

fn login_page(farm: &str, failed: bool, next: &str) -> String {
    let farm = escape_html(farm);
    page_shell(
        &format!("trueyaw {farm}: sign in"),
        0,
        &format!(
            "<h1>trueyaw: {farm}</h1>{msg}\
             <form action=/login method=get><label for=token>API token</label> \
             <input id=token name=token type=password autocomplete=off size=70> \
             <input type=hidden name=next value=\"{next}\"><button>Sign in</button></form>\
             <p>Create one with <code>trueyaw token create --name NAME --role viewer</code>.</p>",
            msg = if failed { "<p class=alert role=alert>That token is not valid.</p>" } else { "" },
            next = escape_html(next),
        ),
    )
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// `+1.95 [+1.65, +2.25]`, or without the interval, or `-`.
fn with_interval(v: Option<f64>, ci95: Option<[f64; 2]>) -> String {
    match (v, ci95) {
        (Some(v), Some([lo, hi])) => format!("{v:+.2} [{lo:+.2}, {hi:+.2}]"),
        (Some(v), None) => format!("{v:+.2}"),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_leads_back_into_this_site() {
        assert_eq!(local_path(Some("/turbines/T01")), "/turbines/T01");
        for bad in ["//evil.example/", "/\\evil.example", "https://evil.example/", "", "turbines"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
