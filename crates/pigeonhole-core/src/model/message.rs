//! A message as the list shows it, pages of them, and the counts beside the list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time::ms_rfc3339;
use super::{Address, MessageId, SessionId};

/// One row of the message list. Serialised field names are the UI's wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
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
    /// How many attachments (`has_attachments` is `attachments > 0`).
    pub attachments: u32,
    pub snippet: String,
    pub read: bool,
    /// Survives retention and Clear all.
    pub pinned: bool,
    /// Sorted, lowercased.
    pub tags: Vec<String>,
    /// The user the session authenticated as (SMTP AUTH), if it did.
    pub auth_user: Option<String>,
    /// The name of the listener that took it (`default` for the main one).
    pub listener: String,
    /// The Message-ID header without angle brackets.
    pub message_id: Option<String>,
    pub reply_to: Vec<Address>,
    /// Lint findings of severity error and warning (`lint`); 0 until the message is linted,
    /// a moment after it arrives (`message://updated` then carries the counts).
    pub lint_errors: u32,
    pub lint_warnings: u32,
}

impl MessageSummary {
    /// Envelope recipients named in neither To nor Cc: the Bcc.
    pub fn bcc(&self) -> Vec<String> {
        let named = |r: &str| {
            self.to
                .iter()
                .chain(&self.cc)
                .any(|a| a.address.eq_ignore_ascii_case(r))
        };
        self.rcpt_to.iter().filter(|r| !named(r)).cloned().collect()
    }
}

/// Which messages to list, and which page of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ListQuery {
    /// The sidebar's selection; `None` lists all mail.
    pub inbox: Option<InboxKey>,
    /// A query in the search language (`search::parse`); empty matches everything.
    pub query: String,
    pub offset: u64,
    /// Page size; 0 means the default page, and larger than the maximum is clamped
    /// (`commands::MAX_PAGE`).
    pub limit: u64,
    /// The zone dates in the query are read in, as minutes east of UTC; `None` is the
    /// system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub utc_offset_minutes: Option<i32>,
}

impl ListQuery {
    /// Which messages, without the paging.
    pub fn filter(&self) -> MessageFilter {
        MessageFilter {
            inbox: self.inbox.clone(),
            query: self.query.clone(),
            utc_offset_minutes: self.utc_offset_minutes,
        }
    }
}

/// Which messages a count, delete or mark applies to: an inbox and a query, ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct MessageFilter {
    pub inbox: Option<InboxKey>,
    pub query: String,
    /// As in `ListQuery`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub utc_offset_minutes: Option<i32>,
}

impl MessageFilter {
    pub fn query(query: impl Into<String>) -> MessageFilter {
        MessageFilter {
            inbox: None,
            query: query.into(),
            utc_offset_minutes: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessagePage {
    /// Messages matching the filter (for the scrollbar), not only this page.
    pub total: u64,
    pub offset: u64,
    pub messages: Vec<MessageSummary>,
}

/// What an inbox collects.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    TS,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum InboxKind {
    /// Mail to one envelope recipient (RCPT TO).
    Recipient,
    /// Mail sent by one SMTP AUTH user.
    User,
    /// Mail that came in on one named listener.
    Listener,
    /// Mail with one tag.
    Tag,
}

/// One inbox: the query term it stands for is `inbox:`, `user:`, `listener:` or `tag:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct InboxKey {
    pub kind: InboxKind,
    /// The address, user, listener name or tag.
    pub key: String,
}

/// An inbox with its counts, for the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Inbox {
    pub kind: InboxKind,
    pub key: String,
    pub total: u64,
    pub unread: u64,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema,
)]
pub struct Counts {
    pub total: u64,
    pub unread: u64,
}
