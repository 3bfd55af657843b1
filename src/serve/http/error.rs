//! One error shape for every endpoint: RFC 9457 problem details (`application/problem+json`).
//! Client mistakes say what to fix (and which field, where there is one); server faults log
//! their cause chain and answer a plain 500 that leaks nothing.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::serve::activation::ActivateError;
use crate::store::StoreError;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` style tags under `urn:trueyaw:problem:`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// HTTP status code, repeated for clients that lose it.
    pub status: u16,
    /// What went wrong in this request and what to do about it.
    pub detail: String,
    /// The request field at fault (query parameter, JSON path), where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Errors handlers return; converted into a [`Problem`] response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { detail: String, field: Option<String> },
    #[error("{detail}")]
    Unprocessable { detail: String, field: Option<String> },
    #[error("{0}")]
    TooLarge(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 naming the field at fault.
    pub fn field(field: &str, detail: impl Into<String>) -> Self {
        ApiError::Unprocessable { detail: detail.into(), field: Some(field.to_string()) }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::Unprocessable { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid-value", "A value in the request is invalid")
            }
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Request body too large"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed for this role"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflicts with the current state"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_connection() {
            ApiError::Unavailable("the database is unreachable; retry shortly".into())
        } else {
            ApiError::Internal(anyhow::Error::new(e))
        }
    }
}

impl From<ActivateError> for ApiError {
    fn from(e: ActivateError) -> Self {
        match e {
            ActivateError::Forbidden { .. } => ApiError::Forbidden(e.to_string()),
            ActivateError::UnknownTurbine { .. } | ActivateError::NoSuchVersion { .. } => {
                ApiError::NotFound(e.to_string())
            }
            ActivateError::Rejected { .. } => ApiError::Conflict(e.to_string()),
            ActivateError::Store(e) => e.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                // "Failed to deserialize the JSON body into the target type: readings[3].vane_deg: ..."
                let text = e.body_text();
                let detail = text.split_once(": ").map(|(_, d)| d.to_string()).unwrap_or(text);
                let field = detail.split_once(": ").map(|(f, _)| f.to_string());
                ApiError::Unprocessable { detail, field }
            }
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest { detail: e.body_text(), field: None },
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                detail: "send the body as JSON with `Content-Type: application/json`".into(),
                field: None,
            },
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge(format!("{}; send smaller batches", e.body_text()))
            }
            other => ApiError::BadRequest { detail: other.body_text(), field: None },
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).to_string();
        let field = detail.split_once(':').map(|(f, _)| f.trim().to_string()).filter(|f| !f.contains(' '));
        ApiError::BadRequest { detail, field }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest { detail: r.body_text(), field: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, tag, title) = self.parts();
        let (detail, field) = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                ("the server failed to handle this request; it has been logged".to_string(), None)
            }
            ApiError::BadRequest { detail, field } | ApiError::Unprocessable { detail, field } => {
                (detail.clone(), field.clone())
            }
            other => (other.to_string(), None),
        };
        let problem = Problem {
            kind: format!("urn:trueyaw:problem:{tag}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            field,
        };
        let mut resp = (status, Json(problem)).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
