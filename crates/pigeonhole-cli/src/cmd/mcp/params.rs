//! What each tool takes. The descriptions become the JSON schema an assistant reads to call
//! a tool right; each is one paragraph, as schema readers show them.

use pigeonhole_core::commands::{
    MAX_READ_CHARS, MAX_READ_PAGE, MAX_TRANSCRIPT_LINES, MAX_WAIT, READ_CHARS, READ_PAGE,
    TRANSCRIPT_LINES,
};
use pigeonhole_core::model::{MessageId, SessionId};
use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

/// Which message: an id, or "latest".
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MessageRef {
    /// A message id, as `search` and `wait` return it.
    Id(MessageId),
    #[schemars(
        description = "\"latest\": the newest message, or the newest one matching \
                              `query`. An id written as text (\"42\") works too."
    )]
    Name(String),
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchParams {
    #[schemars(description = "A query in Pigeonhole's search language, e.g. \
                              `to:ann@example.test subject:welcome after:10m`; empty matches \
                              every message.")]
    #[serde(default)]
    pub query: String,
    #[schemars(description = format!(
        "How many summaries to return (default {READ_PAGE}, at most {MAX_READ_PAGE}); 0 \
         returns only the total."
    ))]
    pub limit: Option<u64>,
    /// How many of the newest matches to skip, to page on.
    #[serde(default)]
    pub offset: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MessageParams {
    /// A message id from `search` or `wait`, or "latest". Leave it out for the latest.
    pub id: Option<MessageRef>,
    #[schemars(
        description = "With \"latest\" (or no id): the newest message this query \
                              matches, in the search language."
    )]
    pub query: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetMessageParams {
    /// A message id from `search` or `wait`, or "latest". Leave it out for the latest.
    pub id: Option<MessageRef>,
    #[schemars(
        description = "With \"latest\" (or no id): the newest message this query \
                              matches, in the search language."
    )]
    pub query: Option<String>,
    #[schemars(description = format!(
        "The most characters of each body (text, and HTML as text) to return (default \
         {READ_CHARS}, at most {MAX_READ_CHARS}); the answer says when a body was cut."
    ))]
    pub max_chars: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TranscriptParams {
    #[schemars(
        description = "A message id, or \"latest\": the transcript of the SMTP \
                              session that delivered it, with its own lines marked. Leave it \
                              out for the latest message."
    )]
    pub id: Option<MessageRef>,
    /// With "latest" (or no id): the newest message this query matches.
    pub query: Option<String>,
    /// A session id instead of a message (a session that delivered nothing, say).
    pub session_id: Option<SessionId>,
    #[schemars(description = format!(
        "The most lines to return (default {TRANSCRIPT_LINES}, at most \
         {MAX_TRANSCRIPT_LINES}); a longer transcript is cut around the message's own lines, \
         and the answer says what was left out."
    ))]
    pub max_lines: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitParams {
    /// The messages to wait for, in the search language; empty means any message.
    #[serde(default)]
    pub query: String,
    /// How many must match (default 1); 0 expects none to arrive for the whole timeout.
    pub count: Option<u64>,
    #[schemars(description = format!(
        "How long to wait, in seconds (default 10, at most {}).",
        MAX_WAIT.as_secs()
    ))]
    pub timeout_seconds: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteParams {
    #[schemars(
        description = "Delete every message this query matches, except pinned ones \
                              (search language; it must not be empty)."
    )]
    pub query: Option<String>,
    #[schemars(
        description = "Delete these message ids, pinned or not; every one must exist \
                              or nothing is deleted."
    )]
    #[serde(default)]
    pub ids: Vec<MessageId>,
}
