//! The session transcript: every line in and out, timestamped, with a direction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server.
    In,
    /// Server to client.
    Out,
    /// Something the server noted (TLS handshake, timeout, disconnect).
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub ts: DateTime<Utc>,
    pub dir: Direction,
    pub text: String,
}

/// Lines of one session. Lines are handed to the store in chunks (`take_unflushed`) and
/// then dropped from memory, so a session with thousands of messages stays small and is
/// written incrementally rather than rewritten per message.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Lines not yet handed to the store.
    pending: Vec<Line>,
    /// How many lines were handed over before `pending[0]`.
    flushed: usize,
}

impl Transcript {
    pub fn push(&mut self, dir: Direction, text: impl Into<String>) {
        self.pending.push(Line {
            ts: Utc::now(),
            dir,
            text: text.into(),
        });
    }

    /// Total lines in the session so far, flushed or not.
    pub fn len(&self) -> usize {
        self.flushed + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines not yet flushed.
    pub fn pending(&self) -> &[Line] {
        &self.pending
    }

    /// Returns (index of the first line, lines) not yet flushed, and forgets them.
    pub fn take_unflushed(&mut self) -> (usize, Vec<Line>) {
        let first = self.flushed;
        let lines = std::mem::take(&mut self.pending);
        self.flushed += lines.len();
        (first, lines)
    }
}
