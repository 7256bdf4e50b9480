//! A message as the list shows it, pages of them, and the counts beside the list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time::ms_rfc3339;
use super::{Address, MessageId, SessionId};

/// One row of the message list. Serialised field names are the UI's wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessageSummary {
    pub id: MessageId,
    pub session_id: SessionId,
    #[serde(with = "ms_rfc3339")]
    #[ts(type = "string")]
    pub received_at: DateTime<Utc>,
    /// Envelope sender (MAIL FROM); "" for the null sender `<>`.
    pub mail_from: String,
    /// Envelope recipients (RCPT TO), in order.
    pub rcpt_to: Vec<String>,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// The Date header, when present and parseable.
    #[serde(with = "ms_rfc3339::option")]
    #[ts(type = "string | null")]
    pub date: Option<DateTime<Utc>>,
    /// Size of the raw message in bytes.
    pub size: u64,
    pub has_attachments: bool,
    pub snippet: String,
    pub read: bool,
}

/// Which messages to list, and which page of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ListQuery {
    /// Envelope recipient; `None` lists all mail.
    pub inbox: Option<String>,
    /// Free text, matched as word prefixes against subject, addresses and body.
    pub search: String,
    pub offset: u64,
    /// Page size; 0 means the default page, and larger than the maximum is clamped
    /// (`commands::MAX_PAGE`).
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessagePage {
    /// Messages matching the filter (for the scrollbar), not only this page.
    pub total: u64,
    pub offset: u64,
    pub messages: Vec<MessageSummary>,
}

/// An envelope recipient's mail, with counts, for the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Inbox {
    pub address: String,
    pub total: u64,
    pub unread: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Counts {
    pub total: u64,
    pub unread: u64,
}
