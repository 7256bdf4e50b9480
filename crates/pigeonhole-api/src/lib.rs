//! Pigeonhole's HTTP API: a thin adapter over `pigeonhole_core::commands`.
//!
//! - `mailpit`: Mailpit v1's paths and JSON shapes, so its clients work unchanged; what we
//!   do not have yet answers 501 with a JSON message.
//! - `ours`: status, sessions and transcripts, inboxes and per-test addresses, the
//!   server-side wait, health checks.
//! - `extract`: the links and one-time codes in a message.
//! - `transfer`: import (an .eml or mbox body) and a streamed mbox export.
//! - `stream`: the event log, Mailpit's WebSocket (`/api/events`) and SSE (`/api/v1/events`).
//! - `guard`: the token, Host and Origin checks every request passes first.
//! - `openapi.json` is generated from the same route table the server runs, so the two
//!   cannot drift.
//!
//! `ApiServer::start` binds what the engine's config says (`http_addr`, loopback by
//! default) and reports its state to the engine for the status bar.

mod error;
mod extract;
mod guard;
mod lint;
pub mod mailpit;
mod ours;
mod state;
mod stream;
mod transfer;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::{middleware, Json, Router};
use pigeonhole_core::engine::ApiState;
use pigeonhole_core::smtp::ServerError;
use pigeonhole_core::Engine;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{ApiError, ErrorBody};
pub use ours::parse_timeout;
pub use state::{Access, AppState};

/// The version `info` and the event stream report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pigeonhole API",
        description = "Mailpit v1 compatible endpoints (tag mailpit) and Pigeonhole's own (tag pigeonhole): sessions and transcripts, a server-side wait, per-test inboxes, links and codes, Server-Sent Events.",
        license(name = "MIT")
    ),
    tags(
        (name = "mailpit", description = "Same paths, parameters and shapes as Mailpit's API v1"),
        (name = "pigeonhole", description = "Pigeonhole's own additions")
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();

/// The route table and its OpenAPI document, from one list.
fn table() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(mailpit::routes())
        .merge(ours::routes())
        .merge(extract::routes())
        .merge(lint::routes())
        .merge(transfer::routes())
        .routes(routes!(stream::sse))
        .routes(routes!(stream::websocket))
        .routes(routes!(openapi))
        .split_for_parts()
}

/// The OpenAPI 3.1 document of every route this server answers.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "pigeonhole",
    responses((status = 200, description = "this document")))]
async fn openapi() -> impl IntoResponse {
    Json(document().clone())
}

/// The OpenAPI document, generated from the route table.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    DOC.get_or_init(|| table().1)
}

/// The whole API as a router, with the access checks, CORS and the body limit.
pub fn router(state: AppState, max_body: usize) -> Router {
    let (routes, doc) = table();
    let _ = DOC.set(doc);
    let origins = state.access().origins.clone();
    let mut app = routes
        .fallback(|| async { ApiError::not_found("no such endpoint (see /api/v1/openapi.json)") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint does not take that method (see /api/v1/openapi.json)",
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(DefaultBodyLimit::max(max_body));
    if !origins.is_empty() {
        let allow = if origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        };
        app = app.layer(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::HeaderName::from_static("last-event-id"),
                ]),
        );
    }
    app.with_state(state)
}

/// Why the API did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{addr} is already in use (is Mailpit or another Pigeonhole running?); choose another with --http or http_addr")]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] pigeonhole_core::config::ConfigError),
}

/// The running API. Stopping it (`shutdown`, or dropping it) closes every connection,
/// event streams included.
pub struct ApiServer {
    addrs: Vec<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
    engine: Arc<Engine>,
    state: AppState,
}

impl ApiServer {
    /// Binds the engine's `http_addr` (every address it names) and serves; `Ok(None)` when
    /// the API is turned off. The engine's status reports the outcome either way.
    pub async fn start(engine: Arc<Engine>) -> Result<Option<ApiServer>, StartError> {
        let config = engine.config();
        let wanted = config.http_addrs()?;
        if wanted.is_empty() {
            engine.set_api_state(ApiState::Off);
            return Ok(None);
        }
        match Self::bind(engine.clone(), &config, &wanted).await {
            Ok(server) => {
                engine.set_api_state(ApiState::Serving(server.addrs[0]));
                Ok(Some(server))
            }
            Err(e) => {
                engine.set_api_state(ApiState::Failed(e.to_string()));
                Err(e)
            }
        }
    }

    async fn bind(
        engine: Arc<Engine>,
        config: &pigeonhole_core::Config,
        wanted: &[SocketAddr],
    ) -> Result<ApiServer, StartError> {
        let listeners = pigeonhole_core::smtp::bind_all(wanted)
            .await
            .map_err(|e| match e {
                ServerError::AddrInUse { addr } => StartError::AddrInUse { addr },
                ServerError::Bind { addr, source } => StartError::Bind { addr, source },
                other => StartError::Bind {
                    addr: wanted[0],
                    source: std::io::Error::other(other.to_string()),
                },
            })?;
        let addrs: Vec<SocketAddr> = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let access = Access {
            token: Some(config.api_token.clone()).filter(|t| !t.is_empty()),
            origins: config.cors_origins.clone(),
            bound: addrs.clone(),
        };
        // A send carries the message base64-encoded inside JSON: a third larger, plus fields.
        let max_body = config.max_message_size / 3 * 4 + 1024 * 1024;
        let state = AppState::new(engine.clone(), access);
        let app = router(state.clone(), max_body);
        let (stop, _) = tokio::sync::watch::channel(false);
        let tasks = listeners
            .into_iter()
            .map(|l| {
                let app = app.clone();
                let mut stopped = stop.subscribe();
                tokio::spawn(async move {
                    let service = app.into_make_service_with_connect_info::<SocketAddr>();
                    let serve = axum::serve(l, service).with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    });
                    if let Err(e) = serve.await {
                        tracing::warn!(error = %e, "API listener stopped");
                    }
                })
            })
            .collect();
        tracing::info!(addrs = ?addrs, "HTTP API listening");
        Ok(ApiServer {
            addrs,
            tasks,
            stop,
            engine,
            state,
        })
    }

    /// The first bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Stops accepting, lets requests in flight finish for a moment, then closes the rest
    /// (event streams never finish by themselves).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.state.events().close();
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_millis(500), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.engine.set_api_state(ApiState::Off);
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.state.events().close();
        for task in &self.tasks {
            task.abort();
        }
    }
}
