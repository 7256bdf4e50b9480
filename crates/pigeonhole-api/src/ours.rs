//! Pigeonhole's own endpoints, beside Mailpit's under `/api/v1/`: status, sessions and
//! transcripts, inboxes and a private address per test, a wait on the server, and the
//! links and one-time codes in a message, and the SMTP fault rules.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pigeonhole_core::commands::{self, RulesView, WaitFor, MAX_WAIT};
use pigeonhole_core::config::AuthMode;
use pigeonhole_core::model::{
    Inbox, MessageFilter, ServerStatus, SessionFilter, SessionShow, SessionSummary, TestInbox,
    Transcript, TranscriptLine, WaitOutcome, WaitResult,
};
use pigeonhole_core::rules::RuleSet;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{json_body, ApiError, ApiResult, ErrorBody, Params, Segments};
use crate::mailpit::{resolve, utc_offset};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(sessions))
        .routes(routes!(session))
        .routes(routes!(session_transcript))
        .routes(routes!(message_transcript))
        .routes(routes!(inboxes, new_inbox))
        .routes(routes!(wait))
        .routes(routes!(get_rules, put_rules, delete_rules))
        .routes(routes!(reset_rules))
        .routes(routes!(livez))
        .routes(routes!(readyz))
}

/// What the server is doing: listeners, pause, totals, where the store is.
#[utoipa::path(get, path = "/api/v1/status", tag = "pigeonhole",
    responses((status = 200, body = ServerStatus)))]
async fn status(State(state): State<AppState>) -> Json<ServerStatus> {
    Json(state.engine().status().await)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct SessionParams {
    start: u64,
    /// At most 1000 (default 100).
    limit: Option<u64>,
    /// all, errors (any refusal, broken-off message, TLS or AUTH failure) or messages.
    show: Option<String>,
    /// Part of the client's address.
    peer: String,
    /// The AUTH user, exactly.
    auth_user: String,
    /// Text anywhere in the transcript.
    search: String,
}

/// SMTP sessions, newest first.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "pigeonhole", params(SessionParams),
    responses((status = 200, body = Vec<SessionSummary>), (status = 400, body = ErrorBody)))]
async fn sessions(
    State(state): State<AppState>,
    Params(p): Params<SessionParams>,
) -> ApiResult<Json<Vec<SessionSummary>>> {
    let show = match p.show.as_deref().map(str::trim).unwrap_or("all") {
        "" | "all" => SessionShow::All,
        "errors" => SessionShow::Errors,
        "messages" => SessionShow::Messages,
        other => {
            return Err(ApiError::bad_request(format!(
                "show: \"{other}\" is not one of all, errors, messages"
            )))
        }
    };
    let filter = SessionFilter {
        show,
        peer: p.peer,
        auth_user: p.auth_user,
        search: p.search,
    };
    let list = commands::sessions(state.store(), filter, p.start, p.limit.unwrap_or(100)).await?;
    Ok(Json(list))
}

fn session_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found(format!("no session with id \"{id}\"")))
}

/// One session's facts.
#[utoipa::path(get, path = "/api/v1/session/{ID}", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionSummary), (status = 404, body = ErrorBody)))]
async fn session(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<SessionSummary>> {
    Ok(Json(
        commands::session(state.store(), session_id(&id)?).await?,
    ))
}

/// A session with every line of its transcript.
#[utoipa::path(get, path = "/api/v1/session/{ID}/transcript", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Session id")),
    responses((status = 200, body = Transcript), (status = 404, body = ErrorBody)))]
async fn session_transcript(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<Transcript>> {
    Ok(Json(
        commands::transcript(state.store(), session_id(&id)?).await?,
    ))
}

/// The transcript of the session that delivered a message, and which lines were this
/// message's (`first` up to, not including, `end`).
#[derive(Debug, Serialize, ToSchema)]
struct MessageTranscript {
    session: SessionSummary,
    lines: Vec<TranscriptLine>,
    first: usize,
    end: usize,
}

/// The SMTP conversation a message arrived in.
#[utoipa::path(get, path = "/api/v1/message/{ID}/transcript", tag = "pigeonhole",
    params(("ID" = String, Path, description = "Message id, or latest")),
    responses((status = 200, body = MessageTranscript), (status = 404, body = ErrorBody)))]
async fn message_transcript(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
) -> ApiResult<Json<MessageTranscript>> {
    let id = resolve(&state, &id).await?;
    let detail = commands::get_message(state.store(), id).await?;
    let t = commands::transcript(state.store(), detail.summary.session_id).await?;
    let (first, end) = detail.transcript_range;
    Ok(Json(MessageTranscript {
        session: t.session,
        lines: t.lines,
        first,
        end,
    }))
}

/// Every inbox with counts: per recipient, AUTH user, listener and tag.
#[utoipa::path(get, path = "/api/v1/inboxes", tag = "pigeonhole",
    responses((status = 200, body = Vec<Inbox>)))]
async fn inboxes(State(state): State<AppState>) -> ApiResult<Json<Vec<Inbox>>> {
    Ok(Json(commands::inboxes(state.store()).await?))
}

/// A fresh address for one test, with SMTP details and the query that selects only its
/// mail: wait on it, list it, and `DELETE /api/v1/search?query=…` removes only its mail.
#[utoipa::path(post, path = "/api/v1/inboxes", tag = "pigeonhole",
    responses((status = 200, body = TestInbox), (status = 503, description = "SMTP is not listening", body = ErrorBody)))]
async fn new_inbox(State(state): State<AppState>) -> ApiResult<Json<TestInbox>> {
    let engine = state.engine();
    let Some((smtp, _)) = engine.bound_addrs() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the SMTP listener is not running, so there is nowhere to send",
        ));
    };
    let any = engine.config().auth_mode == AuthMode::Any;
    Ok(Json(commands::test_inbox(smtp, any)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct WaitParams {
    /// The messages to wait for, in the search language.
    query: String,
    /// How many must match (default 1); 0 expects none for the whole timeout.
    count: Option<u64>,
    /// `10s` (default), `500ms`, `2m`; at most 10 minutes.
    timeout: Option<String>,
    tz: Option<String>,
}

/// `500ms`, `10s`, `2m`, `1h` or a bare number of seconds.
pub fn parse_timeout(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    pigeonhole_core::search::parse_duration(s)
}

/// Waits on the server until `count` messages match `query` (200), or the timeout passes
/// (408, with what did match). With `count=0` it expects none: 200 after the whole timeout
/// if nothing matched, 409 with the message as soon as one does. Nothing that arrives
/// after the call starts can be missed.
#[utoipa::path(get, path = "/api/v1/wait", tag = "pigeonhole", params(WaitParams),
    responses(
        (status = 200, description = "found (or none, as expected)", body = WaitResult),
        (status = 408, description = "timed out", body = WaitResult),
        (status = 409, description = "a message arrived that was expected not to", body = WaitResult),
        (status = 400, body = ErrorBody)))]
async fn wait(State(state): State<AppState>, Params(p): Params<WaitParams>) -> ApiResult<Response> {
    let timeout = match p.timeout.as_deref() {
        None => Duration::from_secs(10),
        Some(t) => parse_timeout(t).ok_or_else(|| {
            ApiError::bad_request(format!(
                "timeout: \"{t}\" is not a duration such as 10s or 500ms"
            ))
        })?,
    };
    if timeout > MAX_WAIT {
        return Err(ApiError::bad_request(format!(
            "timeout: at most {} seconds",
            MAX_WAIT.as_secs()
        )));
    }
    let w = WaitFor {
        filter: MessageFilter {
            inbox: None,
            query: p.query,
            utc_offset_minutes: utc_offset(p.tz.as_deref())?,
        },
        count: p.count.unwrap_or(1),
        timeout,
    };
    let engine = state.engine();
    let result: WaitResult = tokio::select! {
        r = commands::wait(&engine.store, &engine.bus, w) => r?,
        _ = state.events().closed() => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down"));
        }
    };
    let status = match result.outcome {
        WaitOutcome::Found | WaitOutcome::NoneArrived => StatusCode::OK,
        WaitOutcome::Timeout => StatusCode::REQUEST_TIMEOUT,
        WaitOutcome::Unexpected => StatusCode::CONFLICT,
    };
    Ok((status, Json(result)).into_response())
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/livez", tag = "pigeonhole",
    responses((status = 200, description = "ok", body = String)))]
async fn livez() -> &'static str {
    "ok"
}

/// Ready: the store answers a query.
#[utoipa::path(get, path = "/readyz", tag = "pigeonhole",
    responses((status = 200, description = "ok", body = String), (status = 503, body = ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    commands::counts(state.store())
        .await
        .map(|_| "ok")
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the store does not answer: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_like_people_write_them() {
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_timeout("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("soon"), None);
        assert_eq!(parse_timeout("-1"), None);
        assert_eq!(
            parse_timeout("1e20"),
            None,
            "too big for a Duration: no panic"
        );
        assert_eq!(parse_timeout("NaN"), None);
    }
}

/// The fault rules in force, with how often each matched and fired.
#[utoipa::path(get, path = "/api/v1/rules", tag = "pigeonhole",
    responses((status = 200, body = RulesView)))]
async fn get_rules(State(state): State<AppState>) -> Json<RulesView> {
    Json(commands::rules(state.engine().faults()))
}

/// Replaces the fault rules: a list of rules, or `{"fail_fast": bool, "rules": [...]}`.
/// Counters start over. A set with a bad rule is refused whole (400, each problem in
/// `errors`, naming the rule and the field) and the old set stays. Lasts until restart.
#[utoipa::path(put, path = "/api/v1/rules", tag = "pigeonhole",
    request_body(content = RuleSet, description = "the rules, or a bare list of them"),
    responses((status = 200, body = RulesView), (status = 400, body = ErrorBody)))]
async fn put_rules(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RulesView>> {
    let value = json_body(raw)?.ok_or_else(|| {
        ApiError::bad_request("invalid JSON body: it is empty; send a list of rules")
    })?;
    Ok(Json(commands::set_rules_json(
        state.engine().faults(),
        &value,
    )?))
}

/// Removes every fault rule.
#[utoipa::path(delete, path = "/api/v1/rules", tag = "pigeonhole",
    responses((status = 200, body = RulesView)))]
async fn delete_rules(State(state): State<AppState>) -> Json<RulesView> {
    Json(commands::clear_rules(state.engine().faults()))
}

/// Starts every rule's occurrence counters (and tempfail's memory of tries) over.
#[utoipa::path(post, path = "/api/v1/rules/reset", tag = "pigeonhole",
    responses((status = 200, body = RulesView)))]
async fn reset_rules(State(state): State<AppState>) -> Json<RulesView> {
    Json(commands::reset_rule_counters(state.engine().faults()))
}
