//! The event bus: every front end (desktop bridge, WebSocket, tests) subscribes here.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::{MessageId, MessageSummary, SessionSummary};

/// Something that changed in the store. Names match the Tauri and WebSocket event names.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", content = "data")]
pub enum Event {
    /// `message://new`: a message was committed.
    #[serde(rename = "message://new")]
    MessageReceived(MessageSummary),
    /// `message://deleted`: messages were deleted (by a user or by retention).
    #[serde(rename = "message://deleted")]
    MessagesDeleted(Vec<MessageId>),
    /// `message://cleared`: everything was deleted.
    #[serde(rename = "message://cleared")]
    Cleared,
    /// `message://read`: read flags changed.
    #[serde(rename = "message://read")]
    MessagesRead { ids: Vec<MessageId>, read: bool },
    /// `message://indexed`: these messages are now in the search index (and tag rules have
    /// run on them), so a search-filtered view or a waiting client can look again.
    #[serde(rename = "message://indexed")]
    MessagesIndexed(Vec<MessageId>),
    /// `message://updated`: tags or pins changed; the current summaries.
    #[serde(rename = "message://updated")]
    MessagesUpdated(Vec<MessageSummary>),
    /// `session://closed`: an SMTP session ended and its transcript is complete.
    #[serde(rename = "session://closed")]
    SessionClosed(SessionSummary),
    /// `store://changed`: another process (the CLI) changed the store; reload.
    #[serde(rename = "store://changed")]
    StoreChanged,
    /// `store://full`: deliveries started failing for want of space (`full`, with the
    /// error), or succeed again; the engine's status says the same.
    #[serde(rename = "store://full")]
    StorageFull { full: bool, error: Option<String> },
}

/// Every event name, for front ends that forward events (the window's bridge, the API's
/// WebSocket) and for the generated UI module, so a name is written once.
pub mod names {
    pub const MESSAGE_NEW: &str = "message://new";
    pub const MESSAGE_DELETED: &str = "message://deleted";
    pub const MESSAGE_CLEARED: &str = "message://cleared";
    pub const MESSAGE_READ: &str = "message://read";
    pub const MESSAGE_INDEXED: &str = "message://indexed";
    pub const MESSAGE_UPDATED: &str = "message://updated";
    pub const SESSION_CLOSED: &str = "session://closed";
    pub const STORE_CHANGED: &str = "store://changed";
    pub const STORE_FULL: &str = "store://full";
    /// Every name above, in order.
    pub const ALL: &[(&str, &str)] = &[
        ("MESSAGE_NEW", MESSAGE_NEW),
        ("MESSAGE_DELETED", MESSAGE_DELETED),
        ("MESSAGE_CLEARED", MESSAGE_CLEARED),
        ("MESSAGE_READ", MESSAGE_READ),
        ("MESSAGE_INDEXED", MESSAGE_INDEXED),
        ("MESSAGE_UPDATED", MESSAGE_UPDATED),
        ("SESSION_CLOSED", SESSION_CLOSED),
        ("STORE_CHANGED", STORE_CHANGED),
        ("STORE_FULL", STORE_FULL),
    ];
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::MessageReceived(_) => names::MESSAGE_NEW,
            Event::MessagesDeleted(_) => names::MESSAGE_DELETED,
            Event::Cleared => names::MESSAGE_CLEARED,
            Event::MessagesRead { .. } => names::MESSAGE_READ,
            Event::MessagesIndexed(_) => names::MESSAGE_INDEXED,
            Event::MessagesUpdated(_) => names::MESSAGE_UPDATED,
            Event::SessionClosed(_) => names::SESSION_CLOSED,
            Event::StoreChanged => names::STORE_CHANGED,
            Event::StorageFull { .. } => names::STORE_FULL,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_tags_match_the_event_names() {
        let events = [
            Event::MessagesDeleted(vec![1]),
            Event::Cleared,
            Event::MessagesRead {
                ids: vec![1],
                read: true,
            },
        ];
        for e in events {
            let json = serde_json::to_value(&e).expect("events serialise");
            assert_eq!(
                json["event"].as_str(),
                Some(e.name()),
                "the serialised tag and Event::name() must agree"
            );
        }
    }
}
