//! Core events -> the window. Events are gathered for a short window and emitted in
//! batches, so a thousand arrivals a second are a few dozen IPC messages, not a thousand.

use std::time::Duration;

use pigeonhole_core::event::names as core_names;
use pigeonhole_core::model::{MessageId, MessageSummary, ServerStatus};
use pigeonhole_core::Event;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Events only the window has; the store's own come from `pigeonhole_core::event::names`.
pub mod names {
    /// The engine's status changed (listening, paused, counts).
    pub const SERVER_STATUS: &str = "server://status";
    /// The bridge missed events (a flood outran it): the window reloads everything.
    pub const STORE_RESYNC: &str = "store://resync";
    /// A notification was clicked: open this message.
    pub const OPEN_MESSAGE: &str = "app://open-message";
    /// The tray asked for a page.
    pub const NAVIGATE: &str = "app://navigate";
    /// A link in the mail frame was followed (its http, https or mailto URL): the frame has
    /// scripts off, so a click there reaches no listener; the navigation it starts is
    /// stopped here and handed to the window, which opens it if the person clicked.
    pub const LINK_CLICKED: &str = "app://link-clicked";
    /// Every name above, for the generated UI module.
    #[cfg(test)]
    pub const ALL: &[(&str, &str)] = &[
        ("SERVER_STATUS", SERVER_STATUS),
        ("STORE_RESYNC", STORE_RESYNC),
        ("OPEN_MESSAGE", OPEN_MESSAGE),
        ("NAVIGATE", NAVIGATE),
        ("LINK_CLICKED", LINK_CLICKED),
    ];
}

/// How long to gather events before emitting them.
const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Most events per batch; a flood is still emitted at least this often.
const BATCH_MAX: usize = 2000;

#[derive(Serialize, Clone)]
struct ReadChange {
    ids: Vec<MessageId>,
    read: bool,
}

pub async fn emit_status(app: &AppHandle) -> ServerStatus {
    let state = app.state::<AppState>();
    let status = state.engine.status().await;
    let _ = app.emit(names::SERVER_STATUS, &status);
    crate::tray::update(app, &status);
    status
}

/// Runs for the life of the app.
pub async fn run(app: AppHandle) {
    let state = app.state::<AppState>();
    let mut rx = state.engine.bus.subscribe();
    loop {
        let first = match rx.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "UI bridge lagged; asking the window to reload");
                let _ = app.emit(names::STORE_RESYNC, ());
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok(e)) => batch.push(e),
                Ok(Err(RecvError::Lagged(_))) => {
                    let _ = app.emit(names::STORE_RESYNC, ());
                }
                Ok(Err(RecvError::Closed)) | Err(_) => break,
            }
        }
        emit_batch(&app, batch).await;
    }
}

async fn emit_batch(app: &AppHandle, batch: Vec<Event>) {
    let mut new: Vec<MessageSummary> = Vec::new();
    let mut deleted: Vec<MessageId> = Vec::new();
    let mut indexed: Vec<MessageId> = Vec::new();
    let mut updated: Vec<MessageSummary> = Vec::new();
    let mut touched_store = false;
    for event in batch {
        match event {
            Event::MessageReceived(m) => new.push(m),
            Event::MessagesDeleted(ids) => {
                // A message deleted in the same batch it arrived in never reaches the UI.
                new.retain(|m| !ids.contains(&m.id));
                deleted.extend(ids);
                touched_store = true;
            }
            Event::Cleared => {
                new.clear();
                deleted.clear();
                let _ = app.emit(core_names::MESSAGE_CLEARED, ());
                touched_store = true;
            }
            Event::MessagesRead { ids, read } => {
                let _ = app.emit(core_names::MESSAGE_READ, ReadChange { ids, read });
                touched_store = true;
            }
            Event::MessagesIndexed(ids) => indexed.extend(ids),
            Event::MessagesUpdated(list) => {
                for m in list {
                    // A message changed in the batch it arrived in (its lint counts, a
                    // moment after the 250) arrives as it is now.
                    if let Some(n) = new.iter_mut().find(|n| n.id == m.id) {
                        *n = m;
                        continue;
                    }
                    updated.retain(|u| u.id != m.id);
                    updated.push(m);
                }
            }
            Event::SessionClosed(s) => {
                let _ = app.emit(core_names::SESSION_CLOSED, s);
            }
            Event::StoreChanged => {
                let _ = app.emit(names::STORE_RESYNC, ());
                touched_store = true;
            }
            // The status carries it, so the window's banner follows.
            Event::StorageFull { .. } => touched_store = true,
        }
    }
    if !deleted.is_empty() {
        let _ = app.emit(core_names::MESSAGE_DELETED, &deleted);
    }
    if !new.is_empty() {
        let _ = app.emit(core_names::MESSAGE_NEW, &new);
        crate::notify::arrived(app, &new);
    }
    // After `new`: an update to a message the window has not listed yet would be lost.
    if !updated.is_empty() {
        let _ = app.emit(core_names::MESSAGE_UPDATED, &updated);
    }
    // After `new`: a search-filtered list asks again once the index has these.
    if !indexed.is_empty() {
        let _ = app.emit(core_names::MESSAGE_INDEXED, &indexed);
    }
    if touched_store || !new.is_empty() {
        emit_status(app).await;
    }
}
