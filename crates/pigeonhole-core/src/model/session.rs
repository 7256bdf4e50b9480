//! An SMTP session as stored: its facts and its transcript.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time::ms_rfc3339;
use super::SessionId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct AuthInfo {
    pub mechanism: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct SessionSummary {
    pub id: SessionId,
    pub peer: String,
    /// The listener that accepted it, e.g. "127.0.0.1:1025".
    pub local: String,
    #[serde(with = "ms_rfc3339")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "ms_rfc3339::option")]
    #[ts(type = "string | null")]
    pub ended_at: Option<DateTime<Utc>>,
    pub helo: Option<String>,
    pub tls: Option<TlsInfo>,
    pub auth: Option<AuthInfo>,
    pub message_count: u32,
    /// Last reply code the server sent, e.g. 221, 535.
    pub last_code: Option<u16>,
    /// Replies with a 4xx or 5xx code, every one (AUTH failures and a closing 421 too): a
    /// session refused at every step still ends with a good-looking 221.
    pub refusals: u32,
    /// Messages the connection ended in the middle of: a disconnect, timeout or shutdown
    /// inside DATA, inside a BDAT chunk or between BDAT chunks before LAST.
    pub aborted_messages: u32,
    /// A TLS handshake (STARTTLS or implicit TLS) failed.
    pub tls_failed: bool,
    /// AUTH exchanges that ended refused: bad credentials, an undecodable or cancelled
    /// response, an unknown mechanism or AUTH out of sequence.
    pub auth_failures: u32,
    /// Fault rules (`rules`) that fired; the Sessions view marks them. A rule's refusal
    /// also counts in `refusals`, as the client saw it.
    #[serde(default)]
    pub faults: u32,
}

impl SessionSummary {
    /// Whether anything went wrong: what the Sessions view marks and "with errors" lists.
    pub fn had_problems(&self) -> bool {
        self.refusals > 0 || self.aborted_messages > 0 || self.tls_failed || self.auth_failures > 0
    }
}

/// Which sessions to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SessionShow {
    #[default]
    All,
    /// Sessions with any refusal, broken-off message, TLS failure or failed AUTH.
    Errors,
    /// Sessions that delivered at least one message.
    Messages,
}

/// A filter over the sessions list. Every part is optional (empty matches all) and the
/// parts combine with AND; `store::query` compiles it to SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SessionFilter {
    pub show: SessionShow,
    /// Part of the client's address as stored ("127.0.0.1:50123"): an IP, or a port.
    pub peer: String,
    /// The user the session authenticated as, exactly.
    pub auth_user: String,
    /// Text anywhere in the transcript's lines, ignoring ASCII case.
    pub search: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server.
    In,
    /// Server to client.
    Out,
    /// Something the server noted (TLS handshake, timeout, disconnect).
    Info,
}

/// One line of a session transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct TranscriptLine {
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    pub dir: Direction,
    pub text: String,
}

/// A session and every line of its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Transcript {
    pub session: SessionSummary,
    pub lines: Vec<TranscriptLine>,
}

/// Part of a session's transcript, cut to a budget around the message asked about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptExcerpt {
    pub session: SessionSummary,
    /// Where `lines` starts in the whole transcript, so a reader can tell what was left out.
    pub first_line: usize,
    pub lines: Vec<TranscriptLine>,
    /// Lines in the whole transcript.
    pub total_lines: usize,
    /// The lines `[first, end)` of the whole transcript that carried the message asked
    /// about; `None` when a session was asked for.
    pub message_lines: Option<(usize, usize)>,
}
