//! Import and export over HTTP, for CI: `POST /api/v1/import` (an .eml or mbox body) and
//! `GET /api/v1/export.mbox?query=` (mboxrd, streamed). One message as .eml is Mailpit's
//! `GET /api/v1/message/{ID}/raw`.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use pigeonhole_core::commands::{self, ExportSelection, ImportOptions, ImportSource};
use pigeonhole_core::model::{ImportReport, MessageFilter};
use pigeonhole_core::transfer::mbox::Flavor;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, Params};
use crate::mailpit::utc_offset;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(export_mbox))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ImportParams {
    /// How problems name the body (default "request body"); ending in `.mbox` makes a
    /// body that could be either be read as an mbox.
    name: String,
    /// Tags for every imported message, comma-separated.
    tags: String,
    /// `o` reads mbox quoting as mboxo (only a single `>From ` is unquoted); default `rd`.
    mbox: String,
}

/// Stores the messages of an .eml or mbox body as if they had arrived (listener `import`,
/// `is:imported`; the envelope from the From_ line or the delivery headers). 200 with the
/// report when anything was stored, problems and their byte offsets included; 400 when
/// nothing could be.
#[utoipa::path(post, path = "/api/v1/import", tag = "pigeonhole", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/mbox", description = "an mbox, or one message (message/rfc822)"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Params(p): Params<ImportParams>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let bytes = raw.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request(
            "the body is empty: send an .eml or an mbox",
        ));
    }
    let mut opts = ImportOptions::new(
        state.engine().config().max_message_size,
        peer.to_string(),
        "HTTP POST /api/v1/import",
    );
    opts.tags = p
        .tags
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    opts.flavor = match p.mbox.trim() {
        "" | "rd" => Flavor::Rd,
        "o" => Flavor::O,
        other => {
            return Err(ApiError::bad_request(format!(
                "mbox: \"{other}\" is not rd or o"
            )))
        }
    };
    let name = if p.name.trim().is_empty() {
        "request body".to_string()
    } else {
        p.name.trim().to_string()
    };
    let source = ImportSource::Bytes {
        name,
        bytes: bytes.to_vec(),
    };
    let report = commands::import(state.store(), vec![source], opts).await?;
    if report.imported == 0 && !report.problems.is_empty() {
        let reasons: Vec<String> = report.problems.iter().map(describe).collect();
        let mut e = ApiError::bad_request(format!("nothing imported: {}", reasons.join("; ")));
        e.errors = reasons;
        return Err(e);
    }
    Ok(Json(report).into_response())
}

fn describe(p: &pigeonhole_core::model::ImportProblem) -> String {
    match (p.index, p.offset) {
        (Some(i), Some(o)) => format!("message {i} at byte {o}: {}", p.reason),
        (None, Some(o)) => format!("at byte {o}: {}", p.reason),
        _ => p.reason.clone(),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ExportParams {
    /// A search query (as `/api/v1/search`); empty exports every message.
    query: String,
    /// The zone dates in the query are read in (IANA name or offset, as `/api/v1/search`).
    tz: Option<String>,
}

/// Every message a query matches as one mboxrd file (`application/mbox`), oldest first,
/// streamed as it is read: the server holds one message at a time.
#[utoipa::path(get, path = "/api/v1/export.mbox", tag = "pigeonhole", params(ExportParams),
    responses((status = 200, content_type = "application/mbox", description = "mboxrd"), (status = 400, body = ErrorBody)))]
async fn export_mbox(
    State(state): State<AppState>,
    Params(p): Params<ExportParams>,
) -> ApiResult<Response> {
    commands::check_query(&p.query).map_err(commands::CommandError::Query)?;
    let filter = MessageFilter {
        inbox: None,
        query: p.query,
        utc_offset_minutes: utc_offset(p.tz.as_deref())?,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    let store = state.store().clone();
    let failed = tx.clone();
    tokio::spawn(async move {
        let out = Box::new(Channel(tx));
        let done = commands::export_mbox(
            &store,
            ExportSelection::Filter(filter),
            out,
            "HTTP response".into(),
        )
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "mbox export failed part way");
            // An error in the stream breaks the response off, so the client cannot take a
            // partial mbox for a whole one.
            let _ = failed.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/mbox"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"pigeonhole.mbox\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The export's writer: each buffer becomes a chunk of the response body. A client that
/// hangs up ends the export (the write fails as a broken pipe).
struct Channel(tokio::sync::mpsc::Sender<std::io::Result<Bytes>>);

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
