//! `POST /api/v1/message/{ID}/release`: Mailpit's release, through `commands::release` and
//! the engine's `release` settings (server and allowlist).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pigeonhole_core::commands;
use pigeonhole_core::model::ReleaseRequest;

use super::types::ReleaseMessage;
use super::{body, resolve};
use crate::error::{ApiError, ApiResult, ErrorBody, Segments};
use crate::state::AppState;

/// Where the remote server's final reply is repeated on success (`250 2.0.0 Ok: queued`).
const REPLY_HEADER: &str = "x-release-reply";

/// Sends the stored message, byte for byte, to the server in the `release` settings, to
/// `To` (or, without it, the envelope recipients) with the original MAIL FROM. Every
/// recipient's domain must be in `release.allowed_domains` (403 otherwise, and nothing is
/// sent). 200 `ok` once the server took it, its reply in `X-Release-Reply`; 502 when the
/// server refused it or could not be reached, with its code and text in `message`. Each
/// attempt is recorded with the message.
#[utoipa::path(post, path = "/api/v1/message/{ID}/release", tag = "mailpit",
    request_body = ReleaseMessage,
    params(("ID" = String, Path, description = "Message id, or latest")),
    responses(
        (status = 200, description = "ok: the server accepted it", body = String,
            headers(("X-Release-Reply" = String, description = "the server's reply, e.g. 250 2.0.0 Ok: queued as 7"))),
        (status = 400, description = "no release server configured, or an address that is not one", body = ErrorBody),
        (status = 403, description = "a recipient's domain is not in release.allowed_domains; nothing was sent", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 502, description = "the server refused the message or could not be reached; message has its reply", body = ErrorBody)))]
pub(super) async fn release(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: ReleaseMessage = body(raw)?;
    let id = resolve(&state, &id).await?;
    let request = ReleaseRequest {
        to: req.to.iter().map(|t| bare_address(t)).collect(),
        ..Default::default()
    };
    let config = state.engine().config();
    let r = commands::release(state.store(), &config, id, request).await?;
    if !r.ok {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("release of message {id}: {}", r.summary()),
        ));
    }
    let mut response =
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response();
    let reply: String = r
        .reply()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&reply) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REPLY_HEADER), v);
    }
    Ok(response)
}

/// `Ann <ann@example.com>` as Mailpit's Go client may send it: the address in the brackets.
fn bare_address(s: &str) -> String {
    let s = s.trim();
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].trim().to_string(),
        _ => s.to_string(),
    }
}
