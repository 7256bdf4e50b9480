//! The event bus: every front end (desktop bridge, WebSocket, tests) subscribes here.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::store::{MessageSummary, SessionSummary};

/// Something that changed in the store. Names match the Tauri and WebSocket event names.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", content = "data")]
pub enum Event {
    /// `message://new`: a message was committed.
    #[serde(rename = "message://new")]
    MessageReceived(MessageSummary),
    /// `message://deleted`: messages were deleted (by a user or by retention).
    #[serde(rename = "message://deleted")]
    MessagesDeleted(Vec<i64>),
    /// `message://cleared`: everything was deleted.
    #[serde(rename = "message://cleared")]
    Cleared,
    /// `message://read`: read flags changed.
    #[serde(rename = "message://read")]
    MessagesRead { ids: Vec<i64>, read: bool },
    /// `session://closed`: an SMTP session ended and its transcript is complete.
    #[serde(rename = "session://closed")]
    SessionClosed(SessionSummary),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::MessageReceived(_) => "message://new",
            Event::MessagesDeleted(_) => "message://deleted",
            Event::Cleared => "message://cleared",
            Event::MessagesRead { .. } => "message://read",
            Event::SessionClosed(_) => "session://closed",
        }
    }
}

/// A cheap, cloneable handle to the broadcast channel.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl EventBus {
    pub fn new() -> Self {
        // Large enough that a burst of arrivals does not lag a subscriber that batches.
        let (tx, _) = broadcast::channel(4096);
        EventBus { tx }
    }

    pub fn publish(&self, event: Event) {
        // No subscribers is fine (headless with no API clients).
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
