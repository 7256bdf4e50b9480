//! What test suites and scripts ask for: a wait on the server, a message composed from
//! fields (the API's send), and a private address per test.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Address, MessageSummary};

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitOutcome {
    /// At least `count` messages matched.
    Found,
    /// The timeout passed with fewer than `count` matching.
    Timeout,
    /// `count` was 0 and nothing matched for the whole timeout.
    NoneArrived,
    /// `count` was 0 and something matched.
    Unexpected,
}

/// The answer to a wait: what matched when it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct WaitResult {
    pub outcome: WaitOutcome,
    /// How many messages were asked for (0: expect none).
    pub wanted: u64,
    /// How many matched when the wait ended.
    pub matched: u64,
    /// The newest matching messages, at most `max(wanted, 1)` of them (and at most a page).
    pub messages: Vec<MessageSummary>,
    /// How long the wait took, in milliseconds.
    pub waited_ms: u64,
}

impl WaitResult {
    /// True for the outcomes a test wants: found, or none when none was expected.
    pub fn ok(&self) -> bool {
        matches!(self.outcome, WaitOutcome::Found | WaitOutcome::NoneArrived)
    }
}

/// A message described by fields, built into MIME by `message::compose`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Compose {
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Envelope-only recipients: they get the mail but appear in no header.
    pub bcc: Vec<String>,
    pub reply_to: Vec<Address>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<ComposeAttachment>,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ComposeAttachment {
    pub file_name: String,
    /// Guessed from the file name when absent.
    pub content_type: Option<String>,
    /// Set for an inline part the HTML shows as `cid:`.
    pub content_id: Option<String>,
    #[ts(type = "number[]")]
    pub bytes: Vec<u8>,
}

/// A fresh address for one test, with SMTP details and the query that selects only its mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct TestInbox {
    /// Send the test's mail to this address (RCPT TO).
    pub address: String,
    /// Selects exactly the mail sent to `address`: use it to list, wait or delete.
    pub query: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// Credentials for SMTP AUTH, unique to this inbox; `None` when the server only accepts
    /// its configured users.
    pub username: Option<String>,
    pub password: Option<String>,
}
