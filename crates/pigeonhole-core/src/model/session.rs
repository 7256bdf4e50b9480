//! An SMTP session as stored: its facts and its transcript.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time::ms_rfc3339;
use super::SessionId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuthInfo {
    pub mechanism: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TranscriptLine {
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    pub dir: Direction,
    pub text: String,
}

/// A session and every line of its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Transcript {
    pub session: SessionSummary,
    pub lines: Vec<TranscriptLine>,
}
