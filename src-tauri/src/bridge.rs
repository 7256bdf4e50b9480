//! Core events -> the window. Events are gathered for a short window and emitted in
//! batches, so a thousand arrivals a second are a few dozen IPC messages, not a thousand.

use std::time::Duration;

use pigeonhole_core::model::MessageSummary;
use pigeonhole_core::Event;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::state::{AppState, ServerStatus};

/// How long to gather events before emitting them.
const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Most events per batch; a flood is still emitted at least this often.
const BATCH_MAX: usize = 2000;

#[derive(Serialize, Clone)]
struct ReadChange {
    ids: Vec<i64>,
    read: bool,
}

pub async fn emit_status(app: &AppHandle) -> ServerStatus {
    let state = app.state::<AppState>();
    let status = state.status().await;
    let _ = app.emit("server://status", &status);
    crate::tray::update(app, &status);
    status
}

/// Runs for the life of the app.
pub async fn run(app: AppHandle) {
    let state = app.state::<AppState>();
    let mut rx = state.bus.subscribe();
    loop {
        let first = match rx.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "UI bridge lagged; asking the window to reload");
                let _ = app.emit("store://resync", ());
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
                    let _ = app.emit("store://resync", ());
                }
                Ok(Err(RecvError::Closed)) | Err(_) => break,
            }
        }
        emit_batch(&app, batch).await;
    }
}

async fn emit_batch(app: &AppHandle, batch: Vec<Event>) {
    let mut new: Vec<MessageSummary> = Vec::new();
    let mut deleted: Vec<i64> = Vec::new();
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
                let _ = app.emit("message://cleared", ());
                touched_store = true;
            }
            Event::MessagesRead { ids, read } => {
                let _ = app.emit("message://read", ReadChange { ids, read });
                touched_store = true;
            }
            Event::SessionClosed(s) => {
                let _ = app.emit("session://closed", s);
            }
        }
    }
    if !deleted.is_empty() {
        let _ = app.emit("message://deleted", &deleted);
    }
    if !new.is_empty() {
        let _ = app.emit("message://new", &new);
        crate::notify::arrived(app, &new);
    }
    if touched_store || !new.is_empty() {
        emit_status(app).await;
    }
}
