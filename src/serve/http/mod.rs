//! The HTTP plumbing the API and the dashboard share: one error shape ([`error`], problem+json),
//! extractors that answer with it ([`extract`]), and who the caller is ([`caller`]: bearer
//! header or token cookie, and the role extractors). It imports neither `api` nor `dashboard`,
//! so both can depend on it without depending on each other.

pub mod caller;
pub mod error;
pub mod extract;

pub use caller::{Operator, TOKEN_COOKIE, Viewer, cookie_token};
pub use error::{ApiError, Problem};
pub use extract::{JsonBody, Path, Query};
