//! THE read/write layer every front end calls: the window's commands, the CLI's subcommands,
//! and (next) the HTTP API, MCP and the test crate. Each front end converts types and
//! errors; none builds SQL, walks MIME parts, clamps a page or names a file itself.
//!
//! Every function is async and keeps blocking SQLite work and parsing off the executor
//! (`blocking`). Writes go through the store's single writer and resolve after the commit.
//!
//! - `messages`: list, counts, get (detail), raw, part bytes with a file name, delete,
//!   mark read/unread, clear, inboxes.
//! - `sessions`: sessions and transcripts.
//! - `reading`: the same, sized for a reader that pays per character (MCP): small pages,
//!   bodies as bounded text, transcripts cut around a message.
//! - `files`: file names made safe from what a hostile message says.
//! - `transfer`: import from `.eml`, mbox and Maildir; export as `.eml`, mboxrd, Maildir.
//! - `checks`: the HTML compatibility report, links for review, the on-request link check.
//! - `release`: releasing a message to a real SMTP server (`relay`), and its record.

mod automation;
mod checks;
mod faults;
mod files;
mod lint;
mod messages;
mod reading;
mod release;
mod sessions;
mod transfer;

pub use automation::{inject, send, test_inbox, wait, Injection, WaitFor, MAX_WAIT, TEST_DOMAIN};
pub use checks::{all_links, html_check, link_check};
pub use faults::{
    chaos, clear_rules, reset_rule_counters, rules, set_chaos, set_rules, set_rules_json, Chaos,
    ChaosTrigger, RulesView,
};
pub use files::{eml_file_name, safe_file_name};
pub use lint::{lint, lint_checks};
pub use messages::{
    check_query, checksums, clear, codes, count, counts, delete, delete_matching, delete_tag,
    get_message, ids, inboxes, latest, links, list, mark_read, mark_read_matching, part, pin, raw,
    raw_file, rename_tag, set_tags, summaries, tag, tags, FileData, DEFAULT_PAGE, MAX_PAGE,
};
pub use reading::{
    read_message, read_page, read_transcript, TranscriptOf, MAX_READ_CHARS, MAX_READ_PAGE,
    MAX_TRANSCRIPT_LINES, READ_CHARS, READ_PAGE, TRANSCRIPT_LINES,
};
pub use release::{release, releases};
pub use sessions::{session, sessions, transcript, MAX_SESSIONS_PAGE};
pub use transfer::{export_dir, export_mbox, import, ExportSelection, ImportOptions, ImportSource};

use crate::model::{MessageId, SessionId};
use crate::store::{Store, StoreError};

/// What a command can fail with. Front ends map it to their own boundary: the window to a
/// serialisable error, the CLI to a message and exit code, the API to a status.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("no message with id {0}")]
    NoMessage(MessageId),
    #[error("no session with id {0}")]
    NoSession(SessionId),
    #[error("message {id} has no part {part}")]
    NoPart { id: MessageId, part: String },
    /// A malformed query; the error has the position (HTTP 400, CLI exit 1).
    #[error("bad query: {0}")]
    Query(#[from] crate::search::ParseError),
    #[error("\"{0}\" is not a tag: a tag has 1-64 characters and no commas or control characters")]
    BadTag(String),
    /// A request that cannot be carried out as given (HTTP 400), e.g. a send without a
    /// recipient; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// Fault rules that cannot be used as given (HTTP 400); each names the rule and field.
    #[error("{}", .0.join("; "))]
    BadRules(Vec<String>),
    /// A release with no server named and none configured (HTTP 400).
    #[error("no release server: set release.host (and port) in the settings, or name a server")]
    NoReleaseServer,
    /// Recipients of a release that `release.allowed_domains` does not allow (HTTP 403);
    /// nothing was sent.
    #[error("{}", release::not_allowed(.addresses, *.list_empty))]
    NotAllowed {
        addresses: Vec<String>,
        /// The allowlist is empty, so nothing at all may be released.
        list_empty: bool,
    },
    /// More than the configured maximum message size (HTTP 413).
    #[error("the message is {size} bytes, more than the {max} bytes allowed (max_message_size)")]
    TooLarge { size: usize, max: usize },
    /// Reading or writing a file of an import or export failed; `path` names it.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(StoreError),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl CommandError {
    /// True when the thing asked for does not exist (404 in the API, exit 2 in the CLI).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            CommandError::NoMessage(_) | CommandError::NoSession(_) | CommandError::NoPart { .. }
        )
    }

    /// True when the request itself is wrong (HTTP 400): a bad query or tag.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            CommandError::Query(_)
                | CommandError::BadTag(_)
                | CommandError::Invalid(_)
                | CommandError::BadRules(_)
                | CommandError::NoReleaseServer
        )
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoMessage(id) => CommandError::NoMessage(id),
            StoreError::NoSession(id) => CommandError::NoSession(id),
            other => CommandError::Store(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, CommandError>;

/// Runs store work on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store)).await?
}

#[cfg(test)]
mod checks_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod health_tests;
#[cfg(test)]
mod lint_tests;
#[cfg(test)]
mod release_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transfer_tests;
