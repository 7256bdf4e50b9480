//! Mailpit v1's endpoints, same paths, parameters and shapes, so its clients (the npm
//! `mailpit-api`, cypress-mailpit, pytest-mailpit …) work unchanged. Each handler converts
//! and calls `commands`.

mod checks;
mod release;
pub mod types;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use pigeonhole_core::commands::{self, CommandError};
use pigeonhole_core::config::API_LISTENER;
use pigeonhole_core::model::{Compose, ComposeAttachment, ListQuery, MessageFilter, MessageId};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{json_body, ApiError, ApiResult, ErrorBody, Params, Segments};
use crate::state::AppState;
use types::*;

/// Mailpit's page size when a list does not say.
const DEFAULT_LIMIT: u64 = 50;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(info))
        .routes(routes!(webui))
        .routes(routes!(list_messages, set_read_status, delete_messages))
        .routes(routes!(search, delete_search))
        .routes(routes!(message))
        .routes(routes!(message_headers))
        .routes(routes!(message_raw))
        .routes(routes!(message_part))
        .routes(routes!(part_thumbnail))
        .routes(routes!(checks::html_check))
        .routes(routes!(checks::link_check))
        .routes(routes!(spam_check))
        .routes(routes!(release::release))
        .routes(routes!(send))
        .routes(routes!(tags, set_tags))
        .routes(routes!(rename_tag, delete_tag))
        .routes(routes!(chaos, set_chaos))
        .routes(routes!(view))
}

/// A message id as Mailpit clients send it: the number we gave, or `latest`.
pub async fn resolve(state: &AppState, id: &str) -> ApiResult<MessageId> {
    resolve_in(state, id, &LatestParams::default()).await
}

/// `latest` may be narrowed, as in Mailpit: `/api/v1/message/latest?query=to:ann@x`
/// is the newest message that query matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct LatestParams {
    /// With the id `latest`: the newest message this query matches.
    query: String,
    tz: Option<String>,
}

pub async fn resolve_in(state: &AppState, id: &str, latest: &LatestParams) -> ApiResult<MessageId> {
    if id.eq_ignore_ascii_case("latest") {
        let filter = MessageFilter {
            inbox: None,
            query: latest.query.clone(),
            utc_offset_minutes: utc_offset(latest.tz.as_deref())?,
        };
        return commands::latest(state.store(), filter)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(if latest.query.trim().is_empty() {
                    "there are no messages, so none is the latest".to_string()
                } else {
                    format!("no message matches \"{}\"", latest.query)
                })
            });
    }
    match id.parse::<MessageId>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::not_found(format!(
            "no message with id \"{id}\" (ids are numbers, or latest)"
        ))),
    }
}

fn ids(list: &[String]) -> ApiResult<Vec<MessageId>> {
    list.iter()
        .map(|s| {
            s.trim()
                .parse::<MessageId>()
                .map_err(|_| ApiError::bad_request(format!("\"{s}\" is not a message id")))
        })
        .collect()
}

/// A JSON body, where an empty body means the defaults (Mailpit's clients send none for
/// "everything"); a body over the limit is 413, bad JSON 400.
pub fn body<T: DeserializeOwned + Default>(raw: Result<Bytes, BytesRejection>) -> ApiResult<T> {
    let Some(mut value) = json_body(raw)? else {
        return Ok(T::default());
    };
    canonical_keys(&mut value);
    // The request types deny unknown fields: a body we do not understand is a 400, never
    // "no ids given, so everything".
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))
}

/// Every field name Mailpit's request bodies use.
const FIELDS: &[&str] = &[
    "IDs",
    "Read",
    "Search",
    "Tags",
    "Name",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Text",
    "HTML",
    "Attachments",
    "Headers",
    "Email",
    "Content",
    "Filename",
    "ContentType",
    "ContentID",
    "Authentication",
    "Recipient",
    "Sender",
    "ErrorCode",
    "Probability",
];

/// Mailpit's server is written in Go, whose JSON decoder matches field names ignoring case
/// and reads `null` as empty: keys are renamed to their canonical spelling and nulls
/// dropped, so `{"ids": ["5"]}` deletes message 5 here too. Header names (the keys
/// under `Headers`) are data and stay as they are.
fn canonical_keys(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let old = std::mem::take(map);
            for (key, mut v) in old {
                if v.is_null() {
                    continue;
                }
                let key = FIELDS
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(&key))
                    .map(|f| f.to_string())
                    .unwrap_or(key);
                if key != "Headers" {
                    canonical_keys(&mut v);
                }
                map.insert(key, v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(canonical_keys),
        _ => {}
    }
}

fn ok() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response()
}

/// Minutes east of UTC for Mailpit's `tz` (an IANA name such as America/Chicago, UTC, or an
/// offset such as +02:00), taken at this moment.
pub fn utc_offset(tz: Option<&str>) -> ApiResult<Option<i32>> {
    let Some(tz) = tz.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(off) = chrono::FixedOffset::from_str_offset(tz) {
        return Ok(Some(off.local_minus_utc() / 60));
    }
    let zone: chrono_tz::Tz = tz.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "tz: \"{tz}\" is not a time zone; use a name such as Europe/Berlin or an offset such as +02:00"
        ))
    })?;
    use chrono::{Offset, TimeZone};
    let offset = zone
        .offset_from_utc_datetime(&chrono::Utc::now().naive_utc())
        .fix();
    Ok(Some(offset.local_minus_utc() / 60))
}

trait FromStrOffset: Sized {
    fn from_str_offset(s: &str) -> Result<Self, ()>;
}

impl FromStrOffset for chrono::FixedOffset {
    /// `UTC`, `Z`, `+02:00`, `-0530`.
    fn from_str_offset(s: &str) -> Result<Self, ()> {
        if s.eq_ignore_ascii_case("utc")
            || s.eq_ignore_ascii_case("z")
            || s.eq_ignore_ascii_case("gmt")
        {
            return chrono::FixedOffset::east_opt(0).ok_or(());
        }
        let (sign, rest) = match s.as_bytes().first() {
            Some(b'+') => (1, &s[1..]),
            Some(b'-') => (-1, &s[1..]),
            _ => return Err(()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(());
        }
        let h: i32 = digits[..2].parse().map_err(|_| ())?;
        let m: i32 = digits[2..].parse().map_err(|_| ())?;
        if h > 14 || m > 59 {
            return Err(());
        }
        chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or(())
    }
}

async fn all_tags(state: &AppState) -> ApiResult<Vec<String>> {
    Ok(commands::tags(state.store())
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect())
}

async fn page(
    state: &AppState,
    query: String,
    tz: Option<i32>,
    start: u64,
    limit: u64,
) -> ApiResult<MessagesSummary> {
    let store = state.store();
    let limit = if limit == 0 { DEFAULT_LIMIT } else { limit };
    let list = commands::list(
        store,
        ListQuery {
            inbox: None,
            query: query.clone(),
            offset: start,
            limit,
            utc_offset_minutes: tz,
        },
    )
    .await?;
    let totals = commands::counts(store).await?;
    let matched = if query.trim().is_empty() {
        totals
    } else {
        commands::count(
            store,
            MessageFilter {
                inbox: None,
                query,
                utc_offset_minutes: tz,
            },
        )
        .await?
    };
    Ok(MessagesSummary {
        total: totals.total,
        unread: totals.unread,
        messages_count: matched.total,
        messages_unread: matched.unread,
        count: list.messages.len() as u64,
        start,
        tags: all_tags(state).await?,
        messages: list.messages.iter().map(Summary::from).collect(),
    })
}

/// Version, totals, tags and runtime counters.
#[utoipa::path(get, path = "/api/v1/info", tag = "mailpit",
    responses((status = 200, body = AppInformation)))]
async fn info(State(state): State<AppState>) -> ApiResult<Json<AppInformation>> {
    let store = state.store();
    let counts = commands::counts(store).await?;
    let tags: BTreeMap<String, u64> = commands::tags(store).await?.into_iter().collect();
    let db = store.db_path();
    let size = |p: std::path::PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let database_size = size(db.to_path_buf()) + size(db.with_extension("sqlite3-wal"));
    let stats = state.events().stats();
    use std::sync::atomic::Ordering::Relaxed;
    Ok(Json(AppInformation {
        version: crate::VERSION.into(),
        latest_version: String::new(),
        database: db.display().to_string(),
        database_size,
        messages: counts.total,
        unread: counts.unread,
        tags,
        runtime_stats: RuntimeStats {
            memory: resident_memory(),
            messages_deleted: stats.deleted.load(Relaxed),
            smtp_accepted: stats.accepted.load(Relaxed),
            smtp_accepted_size: stats.accepted_size.load(Relaxed),
            smtp_ignored: 0,
            smtp_rejected: stats.rejected.load(Relaxed),
            uptime: state.uptime_secs(),
        },
    }))
}

/// Resident set size from /proc (0 where there is none).
fn resident_memory() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// The web UI's settings, as Mailpit reports them: release from the `release` settings,
/// no SpamAssassin.
#[utoipa::path(get, path = "/api/v1/webui", tag = "mailpit",
    responses((status = 200, body = WebUiConfiguration)))]
async fn webui(State(state): State<AppState>) -> Json<WebUiConfiguration> {
    let release = state.engine().config().release;
    let server = release.server();
    Json(WebUiConfiguration {
        label: "Pigeonhole".into(),
        message_relay: MessageRelay {
            // Mailpit's web UI offers Release only when it is; with an empty allowlist
            // nothing could go.
            enabled: server.is_some() && !release.allowed_domains.is_empty(),
            smtp_server: server.map(|s| s.addr()).unwrap_or_default(),
            return_path: String::new(),
            allowed_recipients: allowlist_regex(&release.allowed_domains),
            blocked_recipients: String::new(),
            override_from: String::new(),
            // The stored bytes are sent as they are, Message-ID and all.
            preserve_message_ids: true,
        },
        spam_assassin: false,
        // Always on: the chaos triggers are fault rules.
        chaos_enabled: true,
        duplicates_ignored: false,
        hide_delete_all_button: false,
    })
}

/// The allowlist as Mailpit reports it, a regular expression over the address:
/// `example.com` and `*.example.net` are `(?i)@(example\.com|.+\.example\.net)$`.
fn allowlist_regex(domains: &[String]) -> String {
    if domains.is_empty() {
        return String::new();
    }
    let alternatives: Vec<String> = domains
        .iter()
        .map(|d| match d.strip_prefix("*.") {
            Some(parent) => format!(".+\\.{}", parent.replace('.', "\\.")),
            None => d.replace('.', "\\."),
        })
        .collect();
    format!("(?i)@({})$", alternatives.join("|"))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct PageParams {
    /// Offset, 0 first.
    start: u64,
    /// Page size (default 50).
    limit: u64,
}

/// Messages, newest first.
#[utoipa::path(get, path = "/api/v1/messages", tag = "mailpit", params(PageParams),
    responses((status = 200, body = MessagesSummary)))]
async fn list_messages(
    State(state): State<AppState>,
    Params(p): Params<PageParams>,
) -> ApiResult<Json<MessagesSummary>> {
    Ok(Json(
        page(&state, String::new(), None, p.start, p.limit).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct TzParams {
    /// Time zone for before: and after: (IANA name or offset).
    tz: Option<String>,
}

/// Sets read status: of `IDs`, of the messages `Search` matches, or (neither) of all.
#[utoipa::path(put, path = "/api/v1/messages", tag = "mailpit", params(TzParams), request_body = SetReadStatus,
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn set_read_status(
    State(state): State<AppState>,
    Params(p): Params<TzParams>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: SetReadStatus = body(raw)?;
    let store = state.store();
    if !req.ids.is_empty() && !req.search.trim().is_empty() {
        return Err(ApiError::bad_request("give IDs or Search, not both"));
    }
    if !req.ids.is_empty() {
        let ids = ids(&req.ids)?;
        commands::mark_read(store, ids, req.read).await?;
    } else {
        let filter = MessageFilter {
            inbox: None,
            query: req.search,
            utc_offset_minutes: utc_offset(p.tz.as_deref())?,
        };
        commands::mark_read_matching(store, filter, req.read).await?;
    }
    Ok(ok())
}

/// Deletes `IDs`, or (none given) every message but pinned ones.
#[utoipa::path(delete, path = "/api/v1/messages", tag = "mailpit", request_body = DeleteMessages,
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn delete_messages(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: DeleteMessages = body(raw)?;
    if req.ids.is_empty() {
        commands::clear(state.store()).await?;
    } else {
        commands::delete(state.store(), ids(&req.ids)?).await?;
    }
    Ok(ok())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct SearchParams {
    /// A query in the search language (`pigeonhole help-query`).
    query: String,
    start: u64,
    limit: u64,
    tz: Option<String>,
}

/// Messages a query matches, newest first.
#[utoipa::path(get, path = "/api/v1/search", tag = "mailpit", params(SearchParams),
    responses((status = 200, body = MessagesSummary), (status = 400, description = "bad query, with its position", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Params(p): Params<SearchParams>,
) -> ApiResult<Json<MessagesSummary>> {
    let tz = utc_offset(p.tz.as_deref())?;
    Ok(Json(page(&state, p.query, tz, p.start, p.limit).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct DeleteSearchParams {
    query: String,
    tz: Option<String>,
}

/// Deletes the messages a query matches (pinned ones stay).
#[utoipa::path(delete, path = "/api/v1/search", tag = "mailpit", params(DeleteSearchParams),
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn delete_search(
    State(state): State<AppState>,
    Params(p): Params<DeleteSearchParams>,
) -> ApiResult<Response> {
    if p.query.trim().is_empty() {
        return Err(ApiError::bad_request(
            "query is required (to delete everything, DELETE /api/v1/messages)",
        ));
    }
    let filter = MessageFilter {
        inbox: None,
        query: p.query,
        utc_offset_minutes: utc_offset(p.tz.as_deref())?,
    };
    commands::delete_matching(state.store(), filter).await?;
    Ok(ok())
}

/// One message in full; marks it read, as Mailpit does.
#[utoipa::path(get, path = "/api/v1/message/{ID}", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), LatestParams),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody)))]
async fn message(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    Params(latest): Params<LatestParams>,
) -> ApiResult<Json<Message>> {
    let id = resolve_in(&state, &id, &latest).await?;
    let mut detail = commands::get_message(state.store(), id).await?;
    if !detail.summary.read {
        commands::mark_read(state.store(), vec![id], true).await?;
        detail.summary.read = true;
    }
    let mut m = Message::from(&detail);
    let parts: Vec<String> = m
        .attachments
        .iter()
        .chain(&m.inline)
        .map(|a| a.part_id.clone())
        .collect();
    let sums = commands::checksums(state.store(), id, parts).await?;
    for a in m.attachments.iter_mut().chain(m.inline.iter_mut()) {
        if let Some(c) = sums.get(&a.part_id) {
            a.checksums = Checksums::from(c);
        }
    }
    Ok(Json(m))
}

/// Every header: name -> values, names in alphabetical order.
#[utoipa::path(get, path = "/api/v1/message/{ID}/headers", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), LatestParams),
    responses((status = 200, body = BTreeMap<String, Vec<String>>), (status = 404, body = ErrorBody)))]
async fn message_headers(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    Params(latest): Params<LatestParams>,
) -> ApiResult<Json<BTreeMap<String, Vec<String>>>> {
    let id = resolve_in(&state, &id, &latest).await?;
    let detail = commands::get_message(state.store(), id).await?;
    Ok(Json(headers(&detail)))
}

/// The message exactly as received.
#[utoipa::path(get, path = "/api/v1/message/{ID}/raw", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), RawParams),
    responses((status = 200, description = "the stored bytes", content_type = "text/plain"), (status = 404, body = ErrorBody)))]
async fn message_raw(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    Params(p): Params<RawParams>,
) -> ApiResult<Response> {
    let latest = LatestParams {
        query: p.query,
        tz: p.tz,
    };
    let id = resolve_in(&state, &id, &latest).await?;
    if p.dl.as_deref().is_some_and(|d| d == "1" || d == "true") {
        let file = commands::raw_file(state.store(), id).await?;
        let mut r = file.bytes.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("message/rfc822"),
        );
        r.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            disposition("attachment", &file.file_name),
        );
        return Ok(r);
    }
    let raw = commands::raw(state.store(), id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct RawParams {
    /// With the id `latest`: the newest message this query matches.
    query: String,
    tz: Option<String>,
    /// `1`: download as a `.eml` file named after the subject.
    dl: Option<String>,
}

/// `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`: the quoted name in
/// ASCII for old clients, the exact one percent-encoded (RFC 6266) for the rest.
fn disposition(kind: &str, name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

/// One MIME part's decoded bytes (an attachment, say), with its type and file name.
#[utoipa::path(get, path = "/api/v1/message/{ID}/part/{PartID}", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), ("PartID" = String, Path, description = "Part id such as 2 or 1.2"), LatestParams),
    responses((status = 200, description = "the part's bytes"), (status = 404, body = ErrorBody)))]
async fn message_part(
    State(state): State<AppState>,
    Segments((id, part)): Segments<(String, String)>,
    Params(latest): Params<LatestParams>,
) -> ApiResult<Response> {
    let id = resolve_in(&state, &id, &latest).await?;
    let file = commands::part(state.store(), id, part).await?;
    let mut r = file.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition("inline", &file.file_name),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(r)
}

macro_rules! not_implemented {
    ($name:ident, $method:ident, $path:literal, $what:literal) => {
        #[doc = concat!("Not implemented yet: answers 501 (", $what, ").")]
        #[utoipa::path($method, path = $path, tag = "mailpit",
                    responses((status = 501, description = "not implemented", body = ErrorBody)))]
        async fn $name() -> ApiError {
            ApiError::not_implemented($what)
        }
    };
}

not_implemented!(
    part_thumbnail,
    get,
    "/api/v1/message/{ID}/part/{PartID}/thumb",
    "attachment thumbnails"
);
not_implemented!(
    spam_check,
    get,
    "/api/v1/message/{ID}/sa-check",
    "SpamAssassin"
);
/// Mailpit's chaos triggers, read from the fault rules `chaos:authentication`,
/// `chaos:sender` and `chaos:recipient` (see `/api/v1/rules` for everything rules can do).
#[utoipa::path(get, path = "/api/v1/chaos", tag = "mailpit",
    responses((status = 200, body = ChaosTriggers)))]
async fn chaos(State(state): State<AppState>) -> Json<ChaosTriggers> {
    Json(commands::chaos(state.engine().faults()).into())
}

/// Sets Mailpit's chaos triggers as seeded fault rules, keeping every other rule; a
/// trigger left out is turned off.
#[utoipa::path(put, path = "/api/v1/chaos", tag = "mailpit", request_body = ChaosTriggers,
    responses((status = 200, body = ChaosTriggers), (status = 400, body = ErrorBody)))]
async fn set_chaos(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ChaosTriggers>> {
    let triggers: ChaosTriggers = body(raw)?;
    Ok(Json(
        commands::set_chaos(state.engine().faults(), triggers.into())?.into(),
    ))
}

/// Stores a message described as JSON, as if it had come over SMTP (it is filed under
/// the listener `api`).
#[utoipa::path(post, path = "/api/v1/send", tag = "mailpit", request_body = SendRequest,
    responses((status = 200, body = SendResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SendResponse>> {
    let req: SendRequest = body(raw)?;
    if req.from.email.trim().is_empty() {
        return Err(ApiError::bad_request(
            "From: an address is required (From.Email)",
        ));
    }
    let mut attachments = Vec::with_capacity(req.attachments.len());
    for (i, a) in req.attachments.iter().enumerate() {
        // Mailpit also takes a data: URL, keeping what follows the comma.
        let content = a.content.trim();
        let content = match content.strip_prefix("data:") {
            Some(rest) => rest.rsplit_once(',').map(|(_, b)| b).unwrap_or(rest),
            None => content,
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| {
                ApiError::bad_request(format!("Attachments[{i}].Content is not base64: {e}"))
            })?;
        attachments.push(ComposeAttachment {
            file_name: a.filename.clone(),
            content_type: Some(a.content_type.clone()).filter(|t| !t.is_empty()),
            content_id: Some(a.content_id.clone()).filter(|t| !t.is_empty()),
            bytes,
        });
    }
    let compose = Compose {
        from: Some(req.from.to_model()),
        to: req.to.iter().map(SendAddress::to_model).collect(),
        cc: req.cc.iter().map(SendAddress::to_model).collect(),
        bcc: req.bcc,
        reply_to: req.reply_to.iter().map(SendAddress::to_model).collect(),
        subject: req.subject,
        text: Some(req.text).filter(|t| !t.is_empty()),
        html: Some(req.html).filter(|t| !t.is_empty()),
        attachments,
        headers: req.headers.into_iter().collect(),
        tags: req.tags,
    };
    let id = commands::send(
        state.store(),
        compose,
        state.engine().config().max_message_size,
        peer.to_string(),
        "HTTP POST /api/v1/send".into(),
        API_LISTENER.into(),
    )
    .await
    .map_err(|e| match e {
        CommandError::Invalid(m) => ApiError::bad_request(m),
        other => other.into(),
    })?;
    Ok(Json(SendResponse { id: id.to_string() }))
}

/// Every tag in use, by name.
#[utoipa::path(get, path = "/api/v1/tags", tag = "mailpit",
    responses((status = 200, body = Vec<String>)))]
async fn tags(State(state): State<AppState>) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(all_tags(&state).await?))
}

/// Gives messages exactly these tags (an empty list removes them all).
#[utoipa::path(put, path = "/api/v1/tags", tag = "mailpit", request_body = SetTags,
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn set_tags(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: SetTags = body(raw)?;
    commands::set_tags(state.store(), ids(&req.ids)?, req.tags).await?;
    Ok(ok())
}

/// Renames a tag on every message.
#[utoipa::path(put, path = "/api/v1/tags/{Tag}", tag = "mailpit", request_body = RenameTag,
    params(("Tag" = String, Path, description = "The tag's current name")),
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn rename_tag(
    State(state): State<AppState>,
    Segments(tag): Segments<String>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: RenameTag = body(raw)?;
    commands::rename_tag(state.store(), &tag, &req.name).await?;
    Ok(ok())
}

/// Removes a tag from every message (the messages stay).
#[utoipa::path(delete, path = "/api/v1/tags/{Tag}", tag = "mailpit",
    params(("Tag" = String, Path, description = "The tag")),
    responses((status = 200, description = "ok", body = String), (status = 400, body = ErrorBody)))]
async fn delete_tag(
    State(state): State<AppState>,
    Segments(tag): Segments<String>,
) -> ApiResult<Response> {
    commands::delete_tag(state.store(), &tag).await?;
    Ok(ok())
}

/// `cid:NAME` references replaced by the inline images' data: URLs, in one pass: a name
/// is the longest run of characters a Content-ID can have, so `cid:1` never rewrites
/// the start of `cid:10`.
fn inline_cids(html: &str, images: &BTreeMap<String, String>) -> String {
    if images.is_empty() {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("cid:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '>' | '<'))
            .unwrap_or(after.len());
        match images.get(&after[..end]) {
            Some(url) => out.push_str(url),
            None => {
                out.push_str("cid:");
                out.push_str(&after[..end]);
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `/view/{ID}.html` (the HTML part, images inlined, no script can run), `/view/{ID}.txt`
/// (the text part); `{ID}` may be `latest`.
#[utoipa::path(get, path = "/view/{File}", tag = "mailpit",
    params(("File" = String, Path, description = "{ID}.html, {ID}.txt or {ID}"), LatestParams),
    responses((status = 200, description = "the message's HTML or text"), (status = 404, body = ErrorBody)))]
async fn view(
    State(state): State<AppState>,
    Segments(file): Segments<String>,
    Params(latest): Params<LatestParams>,
) -> ApiResult<Response> {
    let (id, ext) = match file.rsplit_once('.') {
        Some((id, ext)) => (id.to_string(), ext.to_ascii_lowercase()),
        None => (file.clone(), "html".to_string()),
    };
    let id = resolve_in(&state, &id, &latest).await?;
    let detail = commands::get_message(state.store(), id).await?;
    match ext.as_str() {
        "txt" => Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            detail.text.clone().unwrap_or_default(),
        )
            .into_response()),
        "html" => {
            let Some(html) = detail.html.clone() else {
                return Err(ApiError::not_found(format!(
                    "message {id} has no HTML part"
                )));
            };
            let html = inline_cids(&html, &detail.inline_images);
            let mut r =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            let h = r.headers_mut();
            // Hostile input: no script, no remote loads, no forms, opened on its own origin.
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            Ok(r)
        }
        _ => Err(ApiError::not_found(format!(
            "/view/{file}: use {{ID}}.html or {{ID}}.txt"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_references_are_replaced_whole_in_one_pass() {
        let images: BTreeMap<String, String> = [
            ("1".to_string(), "data:one".to_string()),
            ("10".to_string(), "data:ten".to_string()),
        ]
        .into();
        let html = r#"<img src="cid:1"><img src='cid:10'><img src="cid:2"> cid:1"#;
        assert_eq!(
            inline_cids(html, &images),
            r#"<img src="data:one"><img src='data:ten'><img src="cid:2"> data:one"#
        );
    }

    #[test]
    fn body_keys_match_ignoring_case_and_nulls_are_empty() {
        let req: DeleteMessages = body(Ok(Bytes::from_static(br#"{"ids":["5"]}"#))).unwrap();
        assert_eq!(req.ids, ["5"]);
        let req: SetTags = body(Ok(Bytes::from_static(br#"{"IDs":null,"tags":null}"#))).unwrap();
        assert!(req.ids.is_empty() && req.tags.is_empty());
        let e = body::<DeleteMessages>(Ok(Bytes::from_static(br#"{"Idz":["5"]}"#))).unwrap_err();
        assert_eq!(
            e.status,
            axum::http::StatusCode::BAD_REQUEST,
            "an unknown field is refused"
        );
        let req: SendRequest = body(Ok(Bytes::from_static(
            br#"{"from":{"email":"a@x.test"},"headers":{"x-custom":"1"}}"#,
        )))
        .unwrap();
        assert_eq!(req.from.email, "a@x.test");
        assert!(
            req.headers.contains_key("x-custom"),
            "header names are data, kept as given"
        );
    }

    #[test]
    fn offsets_and_zone_names_are_read() {
        assert_eq!(utc_offset(Some("+02:00")).unwrap(), Some(120));
        assert_eq!(utc_offset(Some("-0530")).unwrap(), Some(-330));
        assert_eq!(utc_offset(Some("UTC")).unwrap(), Some(0));
        assert!(utc_offset(Some("Europe/Berlin")).unwrap().is_some());
        assert!(utc_offset(Some("Mars/Olympus")).is_err());
        assert_eq!(utc_offset(None).unwrap(), None);
    }
}
