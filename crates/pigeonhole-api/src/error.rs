//! Every failure is JSON with its status and a readable message; a bad query also says
//! where (`position`, `length`, in characters), as the parser reported it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pigeonhole_core::commands::CommandError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The HTTP status, repeated for clients that only see the body.
    pub status: u16,
    /// The status's reason phrase, e.g. "Not Found".
    pub error: String,
    pub message: String,
    /// For a bad query: where the problem starts, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// Every problem, one per line, when there are several (bad fault rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub position: Option<(usize, usize)>,
    pub errors: Vec<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            position: None,
            errors: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// A Mailpit endpoint, or a capability, this build does not have.
    pub fn not_implemented(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("{what} is not implemented by Pigeonhole yet"),
        )
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> ApiError {
        let status = if e.is_not_found() {
            StatusCode::NOT_FOUND
        } else if matches!(e, CommandError::TooLarge { .. }) {
            StatusCode::PAYLOAD_TOO_LARGE
        } else if matches!(e, CommandError::NotAllowed { .. }) {
            StatusCode::FORBIDDEN
        } else if e.is_bad_request() {
            StatusCode::BAD_REQUEST
        } else {
            tracing::warn!(error = %e, "API request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        };
        let position = match &e {
            CommandError::Query(p) => Some((p.pos, p.len)),
            _ => None,
        };
        let errors = match &e {
            CommandError::BadRules(list) => list.clone(),
            _ => Vec::new(),
        };
        ApiError {
            status,
            message: e.to_string(),
            position,
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: self.status.as_u16(),
            error: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            message: self.message,
            position: self.position.map(|p| p.0),
            length: self.position.map(|p| p.1),
            errors: self.errors,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"pigeonhole\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A request body as JSON, `None` when it is empty (or only spaces); a body over the
/// limit is 413, bad JSON 400.
pub fn json_body(
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Option<serde_json::Value>> {
    let raw = raw.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&raw)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// `axum::extract::Query` whose rejection (`?limit=-1`, `?count=lots`) is our JSON 400
/// rather than axum's plain text.
pub struct Params<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Params<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// `axum::extract::Path` whose rejection (`/api/v1/message/%FF`) is our JSON 400.
pub struct Segments<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Segments<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Segments(p.0))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}
