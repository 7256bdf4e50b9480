//! Events for API clients. One task reads the core bus and keeps a numbered log of the
//! recent events (so an SSE client that reconnects with `Last-Event-ID` gets what it
//! missed), each serialised once for every client: our own shape for SSE
//! (`GET /api/v1/events`) and Mailpit's `{Type, Data}` for its WebSocket (`GET /api/events`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{Stream, StreamExt};
use pigeonhole_core::event::{names, Event};
use pigeonhole_core::{commands, Engine};
use serde_json::json;
use tokio::sync::broadcast;

use crate::error::{ApiError, Params};
use crate::guard::origin_allowed;
use crate::mailpit::types::Summary;
use crate::state::AppState;

/// More messages than this in one change are announced as one reload (`prune`,
/// `store://changed`), as Mailpit does above 200.
const BULK: usize = 200;

/// How many events a reconnecting SSE client can catch up on.
const LOG_LEN: usize = 2048;

/// One event, numbered, in both wire shapes.
#[derive(Debug)]
pub struct Logged {
    pub id: u64,
    /// `message://new` etc., or `stats`.
    pub name: &'static str,
    /// The event for SSE; `None` for events only the WebSocket sends (stats).
    sse: Option<SseData>,
    /// Mailpit's WebSocket frames for it (one per message for deletes and updates).
    pub ws: Vec<String>,
}

/// An event's SSE `data`, serialised when a client first needs it: without an SSE client
/// (the usual case under a flood of mail) no event is ever turned into JSON.
#[derive(Debug)]
struct SseData {
    event: Event,
    json: std::sync::OnceLock<String>,
}

impl SseData {
    fn new(event: Event) -> SseData {
        SseData {
            event,
            json: std::sync::OnceLock::new(),
        }
    }
}

impl Logged {
    /// Our JSON for SSE, serialised once for every client.
    pub fn sse(&self) -> Option<&str> {
        let data = self.sse.as_ref()?;
        Some(data.json.get_or_init(|| sse_json(&data.event)))
    }
}

/// Counters for Mailpit's `RuntimeStats`, since the API started.
#[derive(Debug, Default)]
pub struct Stats {
    pub accepted: AtomicU64,
    pub accepted_size: AtomicU64,
    pub rejected: AtomicU64,
    pub deleted: AtomicU64,
}

#[derive(Clone)]
pub struct EventLog {
    inner: Arc<LogInner>,
}

struct LogInner {
    /// Distinguishes this process's ids from an earlier one's: `"<boot>-<n>"`.
    boot: String,
    recent: Mutex<VecDeque<Arc<Logged>>>,
    tx: broadcast::Sender<Arc<Logged>>,
    stats: Stats,
    /// Set when the API stops: every event stream ends.
    closed: tokio::sync::watch::Sender<bool>,
    /// WebSocket clients connected now: Mailpit frames are built only while there are any
    /// (the WebSocket replays nothing), so mail costs no JSON for a client no one runs.
    ws_clients: Arc<AtomicU64>,
}

impl EventLog {
    /// Starts the task that follows the bus. It holds neither the log nor the engine
    /// strongly, so it ends once every handle to the log is dropped (the API stopped) or
    /// the engine's bus closes.
    pub fn start(engine: Arc<Engine>) -> EventLog {
        let (tx, _) = broadcast::channel(4096);
        let boot = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        let log = EventLog {
            inner: Arc::new(LogInner {
                boot,
                recent: Mutex::new(VecDeque::with_capacity(LOG_LEN)),
                tx,
                stats: Stats::default(),
                closed: tokio::sync::watch::channel(false).0,
                ws_clients: Arc::new(AtomicU64::new(0)),
            }),
        };
        let bus = engine.bus.subscribe();
        tokio::spawn(follow(
            Arc::downgrade(&log.inner),
            Arc::downgrade(&engine),
            bus,
        ));
        log
    }

    /// Ends every SSE and WebSocket stream (the API is stopping).
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// Resolves once `close` was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.closed.subscribe();
        async move {
            let _ = rx.wait_for(|c| *c).await;
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Logged>> {
        self.inner.tx.subscribe()
    }

    /// The logged events after `id` still held, oldest first; `None` when `id` is older than
    /// the log (or from another process), so the client must reload.
    fn since(&self, boot: &str, id: u64) -> Option<Vec<Arc<Logged>>> {
        if boot != self.inner.boot {
            return None;
        }
        let recent = self.inner.recent.lock().unwrap_or_else(|p| p.into_inner());
        let newest = recent.back().map(|e| e.id).unwrap_or(0);
        let oldest = recent
            .front()
            .map(|e| e.id)
            .unwrap_or(newest.saturating_add(1));
        // Older than what is held, or an id this process never gave: start over.
        if id.saturating_add(1) < oldest || id > newest {
            return None;
        }
        Some(recent.iter().filter(|e| e.id > id).cloned().collect())
    }

    fn push(&self, name: &'static str, sse: Option<Event>, ws: Vec<String>) {
        let sse = sse.map(SseData::new);
        let mut recent = self.inner.recent.lock().unwrap_or_else(|p| p.into_inner());
        let id = recent.back().map(|e| e.id + 1).unwrap_or(1);
        let logged = Arc::new(Logged { id, name, sse, ws });
        if recent.len() == LOG_LEN {
            recent.pop_front();
        }
        recent.push_back(logged.clone());
        // Sent under the lock, so subscribers see ids in order.
        let _ = self.inner.tx.send(logged);
    }

    /// Logs one bus event; true when the mailbox totals may have changed.
    fn record(&self, event: &Event) -> bool {
        let frame = |t: &str, data: serde_json::Value| json!({"Type": t, "Data": data}).to_string();
        let stats = &self.inner.stats;
        let watched = self.inner.ws_clients.load(Ordering::Relaxed) > 0;
        let ws = match event {
            Event::MessageReceived(m) => {
                stats.accepted.fetch_add(1, Ordering::Relaxed);
                stats.accepted_size.fetch_add(m.size, Ordering::Relaxed);
                if watched {
                    let summary = serde_json::to_value(Summary::from(m)).unwrap_or_default();
                    vec![frame("new", summary)]
                } else {
                    Vec::new()
                }
            }
            Event::MessagesDeleted(ids) => {
                stats.deleted.fetch_add(ids.len() as u64, Ordering::Relaxed);
                if ids.len() > BULK {
                    vec![frame("prune", serde_json::Value::Null)]
                } else {
                    ids.iter()
                        .map(|id| frame("delete", json!({"ID": id.to_string()})))
                        .collect()
                }
            }
            Event::Cleared => vec![frame("truncate", serde_json::Value::Null)],
            Event::MessagesRead { ids, .. } if ids.len() > BULK => {
                vec![frame("prune", serde_json::Value::Null)]
            }
            Event::MessagesRead { ids, read } => ids
                .iter()
                .map(|id| frame("update", json!({"ID": id.to_string(), "Read": read})))
                .collect(),
            Event::MessagesUpdated(list) if list.len() > BULK => {
                vec![frame("prune", serde_json::Value::Null)]
            }
            Event::MessagesUpdated(list) => list
                .iter()
                .map(|m| {
                    frame(
                        "update",
                        json!({"ID": m.id.to_string(), "Read": m.read, "Tags": m.tags}),
                    )
                })
                .collect(),
            Event::SessionClosed(s) => {
                stats
                    .rejected
                    .fetch_add(u64::from(s.refusals), Ordering::Relaxed);
                Vec::new()
            }
            Event::StoreChanged => vec![frame("prune", serde_json::Value::Null)],
            Event::MessagesIndexed(_) | Event::StorageFull { .. } => Vec::new(),
        };
        let changes_totals = !matches!(
            event,
            Event::MessagesIndexed(_)
                | Event::SessionClosed(_)
                | Event::MessagesUpdated(_)
                | Event::StorageFull { .. }
        );
        // A bulk change is one "reload" for SSE too, not megabytes of ids held in the log.
        let sse = match event {
            Event::MessagesDeleted(ids) | Event::MessagesRead { ids, .. } if ids.len() > BULK => {
                (names::STORE_CHANGED, Event::StoreChanged)
            }
            Event::MessagesUpdated(list) if list.len() > BULK => {
                (names::STORE_CHANGED, Event::StoreChanged)
            }
            _ => (event.name(), event.clone()),
        };
        self.push(sse.0, Some(sse.1), ws);
        changes_totals
    }

    fn event_id(&self, id: u64) -> String {
        format!("{}-{id}", self.inner.boot)
    }
}

/// Follows the bus into the log until the log is dropped or the bus closes.
async fn follow(
    log: std::sync::Weak<LogInner>,
    engine: std::sync::Weak<Engine>,
    mut bus: broadcast::Receiver<Event>,
) {
    // Mailpit sends the mailbox totals after changes, at most four times a second.
    let mut stats_due = false;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = bus.recv() => Some(event),
            _ = tick.tick() => None,
        };
        let Some(inner) = log.upgrade() else { return };
        let log = EventLog { inner };
        match event {
            Some(Ok(event)) => stats_due |= log.record(&event),
            Some(Err(broadcast::error::RecvError::Lagged(n))) => {
                tracing::warn!(missed = n, "API event log fell behind the bus");
                log.push("store://changed", Some(Event::StoreChanged), Vec::new());
                stats_due = true;
            }
            Some(Err(broadcast::error::RecvError::Closed)) => return,
            None if stats_due => {
                stats_due = false;
                // Only the WebSocket sends totals; with no client, no count.
                if log.inner.ws_clients.load(Ordering::Relaxed) == 0 {
                    continue;
                }
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if let Ok(c) = commands::counts(&engine.store).await {
                    let frame = json!({"Type": "stats", "Data": {
                        "Total": c.total, "Unread": c.unread, "Version": crate::VERSION,
                    }});
                    log.push("stats", None, vec![frame.to_string()]);
                }
            }
            None => {}
        }
    }
}

/// The event's `data` part as our JSON (the name travels as the SSE event name).
fn sse_json(event: &Event) -> String {
    match serde_json::to_value(event) {
        Ok(mut v) => v
            .get_mut("data")
            .map(|d| d.take().to_string())
            .unwrap_or_else(|| "null".into()),
        Err(_) => "null".into(),
    }
}

/// `<boot>-<n>` -> (boot, n).
fn parse_event_id(s: &str) -> Option<(String, u64)> {
    let (boot, n) = s.trim().rsplit_once('-')?;
    Some((boot.to_string(), n.parse().ok()?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SseParams {
    /// Resume after this event id (for clients that cannot send `Last-Event-ID`).
    pub last_event_id: Option<String>,
}

/// Server-Sent Events: every change, as `event: message://new` with our JSON as `data`, each
/// with an `id`. Reconnect with `Last-Event-ID` (or `?last_event_id=`) to get the events
/// missed meanwhile; if they are no longer held, the first event is `reset`: reload.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "pigeonhole",
    params(SseParams),
    responses((status = 200, description = "text/event-stream of store events", content_type = "text/event-stream"))
)]
pub async fn sse(
    State(state): State<AppState>,
    Params(params): Params<SseParams>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let log = state.events().clone();
    // Subscribed before the replay is read, so nothing falls between the two.
    let rx = log.subscribe();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(params.last_event_id);
    let (replay, reset, last) = match resume.as_deref().map(parse_event_id) {
        None => (Vec::new(), false, 0),
        Some(None) => (Vec::new(), true, 0),
        Some(Some((boot, id))) => match log.since(&boot, id) {
            Some(events) => (events, false, id),
            None => (Vec::new(), true, 0),
        },
    };
    // A task feeds a small channel: a slow reader applies back-pressure rather than
    // growing a buffer.
    let (tx, events) = tokio::sync::mpsc::channel::<SseEvent>(64);
    let closed = log.closed();
    tokio::spawn(async move {
        let gone = tx.clone();
        tokio::select! {
            _ = closed => {}
            // The client went away: stop now, not at the next event.
            _ = gone.closed() => {}
            _ = feed(log, rx, tx, replay, reset, last) => {}
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(events).map(Ok::<_, Infallible>);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Replays, then forwards live events to one SSE client until it goes away.
async fn feed(
    log: EventLog,
    mut rx: broadcast::Receiver<Arc<Logged>>,
    tx: tokio::sync::mpsc::Sender<SseEvent>,
    replay: Vec<Arc<Logged>>,
    reset: bool,
    mut last: u64,
) {
    if reset {
        let _ = tx.send(SseEvent::default().event("reset").data("{}")).await;
    }
    for e in replay {
        last = e.id;
        if let Some(ev) = to_sse(&log, &e) {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
    loop {
        match rx.recv().await {
            Ok(e) if e.id <= last => {}
            Ok(e) => {
                last = e.id;
                if let Some(ev) = to_sse(&log, &e) {
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                if tx
                    .send(SseEvent::default().event("reset").data("{}"))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn to_sse(log: &EventLog, e: &Logged) -> Option<SseEvent> {
    let data = e.sse()?;
    Some(
        SseEvent::default()
            .id(log.event_id(e.id))
            .event(e.name)
            .data(data),
    )
}

/// Mailpit's WebSocket: `{"Type": "new", "Data": {…summary…}}`, `stats`, `delete`,
/// `update`, `truncate`, `prune`. A browser page from another origin is refused (403) before
/// the upgrade, so it cannot read mail through it.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "mailpit",
    responses(
        (status = 101, description = "WebSocket of Mailpit-shaped events"),
        (status = 403, description = "cross-origin page", body = crate::error::ErrorBody)
    )
)]
pub async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    // The guard checks Origin too; this is the same rule stated where it matters most.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !origin_allowed(state.access(), origin, host) {
            return ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                format!("origin {origin} may not open the event WebSocket"),
            )
            .into_response();
        }
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            return ApiError::bad_request(format!("this endpoint is a WebSocket: {e}"))
                .into_response()
        }
    };
    // Counted before subscribing, so no event after the subscription lacks its frame.
    let watching = WsClient::new(&state.events().inner.ws_clients);
    let rx = state.events().subscribe();
    let closed = state.events().closed();
    // Clients only ping and close: a few KiB is plenty.
    let ws = ws.max_message_size(4096).max_frame_size(4096);
    ws.on_upgrade(move |socket| async move {
        let _watching = watching;
        tokio::select! {
            _ = closed => {}
            _ = forward(socket, rx) => {}
        }
    })
}

/// One connected WebSocket client, counted while it lives.
struct WsClient(Arc<AtomicU64>);

impl WsClient {
    fn new(count: &Arc<AtomicU64>) -> WsClient {
        count.fetch_add(1, Ordering::Relaxed);
        WsClient(count.clone())
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn forward(mut socket: WebSocket, mut rx: broadcast::Receiver<Arc<Logged>>) {
    loop {
        tokio::select! {
            e = rx.recv() => match e {
                Ok(e) => {
                    for frame in &e.ws {
                        if socket.send(WsMessage::Text(frame.clone().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let frame = json!({"Type": "prune", "Data": null}).to_string();
                    if socket.send(WsMessage::Text(frame.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            msg = socket.recv() => match msg {
                // Clients only ever ping or close.
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip() {
        assert_eq!(parse_event_id("18c2f-42"), Some(("18c2f".into(), 42)));
        assert_eq!(parse_event_id("nonsense"), None);
        assert_eq!(parse_event_id("a-b"), None);
    }
}
