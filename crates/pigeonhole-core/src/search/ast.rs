//! The syntax tree `parse` produces and the error it reports.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

/// A boolean combination of terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All of these; always 2+ children, none of them an `And`.
    And(Vec<Expr>),
    /// Any of these; always 2+ children, none of them an `Or`.
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

/// One condition on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Free word or field:value over text. `phrase` is true when the value was "quoted".
    Text {
        field: TextField,
        value: String,
        phrase: bool,
    },
    /// header:Name  (value None = the header is present) or header:Name:value
    Header {
        name: String,
        value: Option<String>,
    },
    Tag(String),
    Inbox(String),
    User(String),
    Listener(String),
    Is(Flag),
    Has(Has),
    /// `lint:`: messages with a finding of one check or of one severity.
    Lint(LintValue),
    /// larger: => larger=true, smaller: => false
    Size {
        larger: bool,
        bytes: u64,
    },
    /// after: => after=true, before: => false
    Date {
        after: bool,
        at: DateValue,
    },
}

/// Which text a `Term::Text` searches. `Any` is a free word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    Any,
    From,
    To,
    Cc,
    Bcc,
    Addressed,
    ReplyTo,
    Subject,
    MessageId,
}

impl TextField {
    /// The canonical operator name, without its colon; `None` for a free word.
    pub(super) fn operator(self) -> Option<&'static str> {
        Some(match self {
            TextField::Any => return None,
            TextField::From => "from",
            TextField::To => "to",
            TextField::Cc => "cc",
            TextField::Bcc => "bcc",
            TextField::Addressed => "addressed",
            TextField::ReplyTo => "reply-to",
            TextField::Subject => "subject",
            TextField::MessageId => "message-id",
        })
    }
}

/// `is:` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Read,
    Unread,
    Pinned,
    Tagged,
    /// Came from a file (`pigeonhole import`, a drop on the window), not over SMTP.
    Imported,
}

impl Flag {
    pub(super) fn name(self) -> &'static str {
        match self {
            Flag::Read => "read",
            Flag::Unread => "unread",
            Flag::Pinned => "pinned",
            Flag::Tagged => "tagged",
            Flag::Imported => "imported",
        }
    }
}

/// `has:` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Has {
    Attachment,
    Inline,
    /// A lint finding of severity error or warning.
    Lint,
}

impl Has {
    pub(super) fn name(self) -> &'static str {
        match self {
            Has::Attachment => "attachment",
            Has::Inline => "inline",
            Has::Lint => "lint",
        }
    }
}

/// `lint:` values: a severity, or a check's id (`lint::checks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LintValue {
    Error,
    Warning,
    Info,
    Check(String),
}

impl Query {
    /// True when the query asks about lint findings, which arrive a moment after the
    /// message (`commands` then waits for the lint worker).
    pub fn mentions_lint(&self) -> bool {
        fn walk(e: &Expr) -> bool {
            match e {
                Expr::And(v) | Expr::Or(v) => v.iter().any(walk),
                Expr::Not(e) => walk(e),
                Expr::Term(Term::Lint(_) | Term::Has(Has::Lint)) => true,
                Expr::Term(_) => false,
            }
        }
        self.expr.as_ref().is_some_and(walk)
    }
}

/// The value of `before:` / `after:`. Nothing here is resolved against a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    /// `2026-11-30` or `2026/11/30`.
    Day(NaiveDate),
    /// `2026-11-30T10:00`, `2026-11-30T10:00:00`, `"2026-11-30 10:00"` (quoted); local time.
    DateTime(NaiveDateTime),
    /// RFC 3339 with an offset or `Z`: `2026-11-30T10:00:00Z`, `2026-11-30T10:00+02:00`.
    Instant(DateTime<FixedOffset>),
    /// An age: `30s`, `30m`, `2h`, `3d`, `1w`.
    Ago(Duration),
}

/// A parsed query; `None` expr means match everything (empty or whitespace-only input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub expr: Option<Expr>,
}

/// Why a query does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {})", .pos + 1)]
pub struct ParseError {
    /// 0-based CHARACTER (not byte) offset into the input where the problem is.
    pub pos: usize,
    /// Length in characters of the offending span (at least 1 where there is a token; 0 at end of input).
    pub len: usize,
    pub message: String,
}

impl ParseError {
    pub(super) fn new(pos: usize, len: usize, message: impl Into<String>) -> Self {
        ParseError {
            pos,
            len,
            message: message.into(),
        }
    }
}
