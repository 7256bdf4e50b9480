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
    /// `session://closed`: an SMTP session ended and its transcript is complete.
    #[serde(rename = "session://closed")]
    SessionClosed(SessionSummary),
}

/// Every event name, for front ends that forward events (the window's bridge, the API's
/// WebSocket) and for the generated UI module, so a name is written once.
pub mod names {
    pub const MESSAGE_NEW: &str = "message://new";
    pub const MESSAGE_DELETED: &str = "message://deleted";
    pub const MESSAGE_CLEARED: &str = "message://cleared";
    pub const MESSAGE_READ: &str = "message://read";
    pub const SESSION_CLOSED: &str = "session://closed";
    /// Every name above, in order.
    pub const ALL: &[(&str, &str)] = &[
        ("MESSAGE_NEW", MESSAGE_NEW),
        ("MESSAGE_DELETED", MESSAGE_DELETED),
        ("MESSAGE_CLEARED", MESSAGE_CLEARED),
        ("MESSAGE_READ", MESSAGE_READ),
        ("SESSION_CLOSED", SESSION_CLOSED),
    ];
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::MessageReceived(_) => names::MESSAGE_NEW,
            Event::MessagesDeleted(_) => names::MESSAGE_DELETED,
            Event::Cleared => names::MESSAGE_CLEARED,
            Event::MessagesRead { .. } => names::MESSAGE_READ,
            Event::SessionClosed(_) => names::SESSION_CLOSED,
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
