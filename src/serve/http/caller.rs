//! Who is calling: the bearer token of the `Authorization` header or, for the dashboard, the
//! token cookie, checked against [`TokenVerifier`](crate::serve::auth::TokenVerifier) and turned
//! into the role extractors [`Viewer`] and [`Operator`]. Refusals are [`ApiError`]s, so the API
//! answers them as problem+json and the dashboard can turn them into its sign-in page.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::serve::auth::{Caller, Role};
use crate::serve::state::AppState;

/// Name of the cookie the dashboard keeps the token in (set by `/login`, HttpOnly).
pub const TOKEN_COOKIE: &str = "trueyaw_token";

/// The token of the `trueyaw_token` cookie, if any (browsers cannot send bearer headers from a link).
pub fn cookie_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
}

/// The caller of the bearer token (or, for the dashboard, the token cookie), if one was presented.
async fn bearer(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let secret = match parts.headers.get(AUTHORIZATION) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::BadRequest { detail: "Authorization must be `Bearer <token>`".into(), field: None })?,
        None => match cookie_token(&parts.headers) {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    match state.tokens.verify(secret).await? {
        Some(c) => Ok(Some(c)),
        None => Err(ApiError::Unauthorized),
    }
}

/// A caller allowed to read: any valid token, or anyone when `serve.open_read` is on.
pub struct Viewer(pub Caller);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts, state).await? {
            Some(c) => Ok(Viewer(c)),
            None if state.settings.open_read => Ok(Viewer(Caller { actor: "anonymous".into(), role: Role::Viewer })),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// A caller allowed to change state: an operator or admin token, always.
pub struct Operator(pub Caller);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = bearer(parts, state).await?.ok_or(ApiError::Unauthorized)?;
        if caller.role < Role::Operator {
            return Err(ApiError::Forbidden(format!(
                "{} is a {} token; this needs operator or admin",
                caller.actor,
                caller.role.as_str()
            )));
        }
        Ok(Operator(caller))
    }
}

impl OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, ApiError> {
        Ok(bearer(parts, state).await?.map(Viewer))
    }
}
