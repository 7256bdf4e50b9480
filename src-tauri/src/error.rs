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
    /// The request itself was wrong (a link scheme we never open, say).
    Invalid,
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
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: message.into(),
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
        let kind = if e.is_not_found() {
            ErrorKind::NotFound
        } else {
            ErrorKind::Store
        };
        CommandError::new(kind, e.to_string())
    }
}

pub type CmdResult<T> = Result<T, CommandError>;
