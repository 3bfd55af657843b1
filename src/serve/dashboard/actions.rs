//! The turbine page's buttons: activate a model version, or roll back to an older one, for
//! operators and admins. They call [`activate_version`], as the API does, so the role check, the
//! refusal of rejected versions and the audit row are exactly the API's. Post, then redirect
//! (303) to the page, so reloading it never posts again.
//!
//! CSRF: the dashboard signs in with a cookie, and a browser attaches cookies to a form that
//! another site makes it post. Three layers, all stateless:
//! 1. every form carries a token derived from the session's secret: SHA-256 of a fixed label
//!    and the cookie's token. Another site can read neither the cookie (HttpOnly) nor the page
//!    holding the field (same-origin policy), so it cannot forge it. Derived rather than stored,
//!    there is nothing to expire or clean up, and the label keeps it unlike the stored hash.
//! 2. a request whose `Origin` (or, without one, `Referer`) names another host than its `Host`
//!    is refused; browsers send `Origin` with every form POST.
//! 3. the cookie is `SameSite=Strict`, which current browsers already keep off cross-site posts.
//!
//! A caller authenticated by an `Authorization` header has no cookie, so no token: scripts use
//! the API (`POST /api/v1/turbines/{t}/models/{v}/activate`), which no browser sends on its own.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::turbine::message_page;
use crate::serve::activation::activate_version;
use crate::serve::http::{ApiError, Viewer, cookie_token};
use crate::serve::state::AppState;

/// Keeps the CSRF token unlike any other hash of the secret (the stored token hash is plain SHA-256).
const CSRF_LABEL: &[u8] = b"trueyaw dashboard form token\0";

/// The form token of the cookie session in `headers`, if there is one.
pub fn csrf_token(headers: &HeaderMap) -> Option<String> {
    let secret = cookie_token(headers)?;
    let mut h = Sha256::new();
    h.update(CSRF_LABEL);
    h.update(secret.as_bytes());
    Some(hex::encode(&h.finalize()[..16]))
}

/// Compares without stopping at the first difference (no timing hint of how much matched).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `host[:port]` of an `http(s)://host[:port]/...` URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Refuses a request that says it comes from another origin (layer 2 of the module docs).
fn same_origin(headers: &HeaderMap) -> bool {
    let get = |h| headers.get(h).and_then(|v| v.to_str().ok());
    let Some(host) = get(header::HOST) else { return false };
    match get(header::ORIGIN).or_else(|| get(header::REFERER)) {
        Some(from) => authority(from).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        None => true, // no claim either way: the form token decides
    }
}

#[derive(Debug, Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn activate(
    State(state): State<AppState>,
    viewer: Result<Option<Viewer>, ApiError>,
    Path((name, version)): Path<(String, i32)>,
    headers: HeaderMap,
    Form(form): Form<ActivateForm>,
) -> Response {
    let page = |status, text: &str| message_page(&state, status, text, Some(&name));
    let caller = match viewer {
        Ok(Some(Viewer(c))) => c,
        _ => return page(StatusCode::UNAUTHORIZED, "Sign in with an operator token to change the active model."),
    };
    let token_ok = csrf_token(&headers).is_some_and(|t| same(&t, &form.csrf));
    if !token_ok || !same_origin(&headers) {
        tracing::warn!(actor = caller.actor, turbine = name, "dashboard: cross-site or stale form refused");
        return page(
            StatusCode::FORBIDDEN,
            "Refused: this request did not come from this dashboard's own page (a cross-site request, or a \
             page from an earlier sign-in). Reload the turbine page and use its button.",
        );
    }
    // As the API's error, so the page gives the API's status and words for the same refusal.
    match activate_version(&state, &caller, &name, version).await.map_err(ApiError::from) {
        Ok(a) => {
            let previous = a.previous_version.map_or_else(String::new, |p| format!("&previous={p}"));
            Redirect::to(&format!("/turbines/{}?activated={}{previous}", a.turbine, a.active_version)).into_response()
        }
        Err(e) => {
            let status = match &e {
                ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
                ApiError::Conflict(_) => StatusCode::CONFLICT,
                ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(turbine = name, version, error = format!("{e:#}"), "dashboard activation failed");
                return page(status, "Internal error; the active model was not changed.");
            }
            page(status, &format!("Not changed: {e}."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_form_token_follows_the_session_and_is_not_the_stored_hash() {
        let a = csrf_token(&headers(&[(header::COOKIE, "trueyaw_token=ty_abc")])).unwrap();
        let b = csrf_token(&headers(&[(header::COOKIE, "x=1; trueyaw_token=ty_abd")])).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(!hex::encode(crate::serve::auth::hash("ty_abc")).starts_with(&a));
        assert_eq!(csrf_token(&HeaderMap::new()), None);
        assert!(same(&a, &a.clone()) && !same(&a, &b) && !same(&a, ""));
    }

    #[test]
    fn another_origin_is_refused_and_the_same_one_passes() {
        let h = |origin: &str| headers(&[(header::HOST, "10.0.0.1:8080"), (header::ORIGIN, origin)]);
        assert!(same_origin(&h("http://10.0.0.1:8080")));
        assert!(!same_origin(&h("http://evil.example")));
        assert!(!same_origin(&h("null")));
        assert!(!same_origin(&h("http://10.0.0.1:8080.evil.example")));
        let referer = headers(&[(header::HOST, "h:1"), (header::REFERER, "http://h:1/turbines/T01")]);
        assert!(same_origin(&referer));
        assert!(same_origin(&headers(&[(header::HOST, "h:1")])), "no claim: the token decides");
    }
}
