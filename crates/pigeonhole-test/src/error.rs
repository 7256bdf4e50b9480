//! What a test server can fail with, worded for a failing test's output.

use std::fmt::Write as _;
use std::time::Duration;

use pigeonhole_api::StartError;
use pigeonhole_core::commands::CommandError;
use pigeonhole_core::engine::EngineError;
use pigeonhole_core::model::MessageSummary;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("creating the temporary data directory: {0}")]
    TempDir(#[source] std::io::Error),
    #[error("starting the test server's thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the test server's thread ended before the server started (it panicked)")]
    ThreadGone,
    #[error("starting the SMTP server: {0}")]
    Engine(#[source] Box<EngineError>),
    #[error("starting the HTTP API: {0}")]
    Api(#[source] Box<StartError>),
    /// A bad query (with its position), an unknown id, or a store failure.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Fewer messages than wanted matched before the timeout.
    #[error("{}", timeout_text(.0))]
    Timeout(Box<Timeout>),
    /// Messages matched but were deleted before they could be listed.
    #[error("messages matching `{query}` were deleted before they could be listed")]
    Vanished { query: String },
    /// A message matched that was expected not to.
    #[error("{}", unexpected_text(.0))]
    Unexpected(Box<Unexpected>),
}

/// What a wait that timed out saw: what matched, and what did arrive.
#[derive(Debug, Clone)]
pub struct Timeout {
    pub query: String,
    /// How many messages were waited for.
    pub wanted: u64,
    /// How many matched when the time ran out (fewer than `wanted`).
    pub matched: u64,
    /// The newest of those that matched.
    pub matching: Vec<MessageSummary>,
    /// The newest messages in the store whatever they match, so a wrong query shows.
    pub recent: Vec<MessageSummary>,
    pub waited: Duration,
}

/// What broke an `expect_none`.
#[derive(Debug, Clone)]
pub struct Unexpected {
    pub query: String,
    /// The newest message that matched.
    pub message: MessageSummary,
    /// How many matched.
    pub matched: u64,
    pub waited: Duration,
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        Error::Engine(Box::new(e))
    }
}

impl From<StartError> for Error {
    fn from(e: StartError) -> Error {
        Error::Api(Box::new(e))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// `#3 "Welcome" from <app@example.com> to <ann@example.com>`.
fn describe(m: &MessageSummary) -> String {
    format!(
        "#{} \"{}\" from <{}> to <{}>",
        m.id,
        m.subject,
        m.mail_from,
        m.rcpt_to.join(">, <")
    )
}

fn list(messages: &[MessageSummary]) -> String {
    messages.iter().map(describe).collect::<Vec<_>>().join("; ")
}

fn timeout_text(t: &Timeout) -> String {
    let mut s = if t.wanted == 1 {
        format!(
            "no message matching `{}` arrived within {:?}",
            t.query, t.waited
        )
    } else {
        format!(
            "{} of {} messages matching `{}` arrived within {:?}",
            t.matched, t.wanted, t.query, t.waited
        )
    };
    if !t.matching.is_empty() {
        let _ = write!(s, "; matched: {}", list(&t.matching));
    }
    if t.recent.is_empty() {
        s.push_str("; the store is empty");
    } else {
        let _ = write!(s, "; newest in the store: {}", list(&t.recent));
    }
    s
}

fn unexpected_text(u: &Unexpected) -> String {
    let mut s = format!(
        "a message matching `{}` arrived although none was expected: {}",
        u.query,
        describe(&u.message)
    );
    if u.matched > 1 {
        let _ = write!(s, " (and {} more)", u.matched - 1);
    }
    s
}
