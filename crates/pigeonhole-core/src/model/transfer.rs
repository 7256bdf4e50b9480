//! What an import did and what an export wrote.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{MessageId, SessionId};

/// What an import stored, and every part of its input it could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ImportReport {
    /// How many messages were stored.
    pub imported: u64,
    /// Their ids, in the order they were found.
    pub ids: Vec<MessageId>,
    /// What was not imported, one entry per message or stretch of a file.
    pub problems: Vec<ImportProblem>,
    /// The import's pseudo-session, whose transcript says where each message came from
    /// (ids below zero: there was no SMTP session); `None` when nothing was read.
    pub session_id: Option<SessionId>,
}

/// One thing an import could not take, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ImportProblem {
    /// The file (or "request body") it is in.
    pub source: String,
    /// The message's 1-based position in an mbox; `None` for a whole file or for bytes
    /// before an mbox's first message.
    pub index: Option<u64>,
    /// Byte offset in the file where the message (its `From ` line) or stretch starts.
    pub offset: Option<u64>,
    pub reason: String,
}

impl ImportReport {
    /// True when every part of the input was imported.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ExportReport {
    /// How many messages.
    pub exported: u64,
    /// Message bytes written (without mbox separators).
    pub bytes: u64,
    /// Where they went: the file, the folder, or "-" for standard output.
    pub path: String,
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One file, mboxrd.
    Mbox,
    /// A folder of `.eml` files, one per message.
    Eml,
    /// A Maildir (`cur/`, `new/`, `tmp/`).
    Maildir,
}
