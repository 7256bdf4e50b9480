//! The session transcript as it is recorded: every line in and out, timestamped, with a
//! direction, handed to the store in chunks.

use chrono::Utc;

use crate::model::{Direction, TranscriptLine};

/// Lines of one session. Lines are handed to the store in chunks (`take_unflushed`) and
/// then dropped from memory, so a session with thousands of messages stays small and is
/// written incrementally rather than rewritten per message.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Lines not yet handed to the store.
    pending: Vec<TranscriptLine>,
    /// How many lines were handed over before `pending[0]`.
    flushed: usize,
}

impl Recorder {
    pub fn push(&mut self, dir: Direction, text: impl Into<String>) {
        self.pending.push(TranscriptLine {
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
    pub fn pending(&self) -> &[TranscriptLine] {
        &self.pending
    }

    /// Returns (index of the first line, lines) not yet flushed, and forgets them.
    pub fn take_unflushed(&mut self) -> (usize, Vec<TranscriptLine>) {
        let first = self.flushed;
        let lines = std::mem::take(&mut self.pending);
        self.flushed += lines.len();
        (first, lines)
    }
}
