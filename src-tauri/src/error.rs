//! The one error every desktop command rejects with (except `save_settings`, whose
//! per-field `FieldError[]` a form shows beside each field): a kind the UI can branch on
//! and a sentence for a person. Core's errors keep their context until this boundary.

use pigeonhole_core::commands::CommandError as CoreError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The message, session or part asked for does not exist (deleted meanwhile).
    NotFound,
    /// The request itself was wrong (a link scheme we never open, a bad tag), or refused
    /// as asked (a release to a domain the allowlist does not name).
    Invalid,
    /// The search query is malformed; `pos` and `len` say where.
    Query,
    /// The store failed.
    Store,
    /// A file could not be written or opened.
    Io,
    /// Something the desktop needs is missing (no file opener, no dialog).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    /// For `Query`: where the problem starts, in characters from 0.
    pub pos: Option<usize>,
    /// For `Query`: how many characters it spans (0 at the end of the query).
    pub len: Option<usize>,
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: message.into(),
            pos: None,
            len: None,
        }
    }

    pub fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Self {
        CommandError::new(
            ErrorKind::Io,
            format!("could not {what} {}: {e}", path.display()),
        )
    }
}

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        if let CoreError::Query(q) = &e {
            return CommandError {
                kind: ErrorKind::Query,
                message: q.message.clone(),
                pos: Some(q.pos),
                len: Some(q.len),
            };
        }
        let kind = if e.is_not_found() {
            ErrorKind::NotFound
        } else if e.is_bad_request() || matches!(e, CoreError::NotAllowed { .. }) {
            ErrorKind::Invalid
        } else if matches!(e, CoreError::Io { .. }) {
            ErrorKind::Io
        } else {
            ErrorKind::Store
        };
        CommandError::new(kind, e.to_string())
    }
}

pub type CmdResult<T> = Result<T, CommandError>;
