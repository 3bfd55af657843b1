//! Request extractors for query strings, JSON bodies and path segments whose errors come out as
//! [`Problem`](super::error::Problem) responses instead of axum's plain-text rejections.

use super::error::ApiError;

/// A query string parsed into `T`, or a 400 naming the parameter.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// A JSON body parsed into `T`, or a 400/422 naming the field.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// Path parameters parsed into `T`, or a 400 naming the segment.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
