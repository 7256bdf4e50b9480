//! The CLI's one error: what failed, in a sentence, and the exit code it maps to.

use std::path::PathBuf;

use pigeonhole_core::commands::CommandError;
use pigeonhole_core::config::ConfigError;
use pigeonhole_core::engine::EngineError;
use pigeonhole_core::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("the HTTP API did not start: {0}")]
    ApiStart(#[from] pigeonhole_api::StartError),
    /// Calling a running server's API failed (exit 2, like a missing thing).
    #[error("{0}")]
    Api(String),
    /// `wait` ended without what it waited for (exit 1); it has already said why.
    #[error("the wait was not satisfied")]
    Unmet,
    /// `doctor` found a problem (exit 1); its report says which.
    #[error("the data dir is not healthy")]
    Unhealthy,
    /// `show --lint --fail-on` found something that bad (exit 1); the findings are printed.
    #[error("message {id}: {count} lint finding(s) at or above {level}")]
    LintFailed {
        id: i64,
        count: usize,
        level: &'static str,
    },
    #[error("data directory {0} does not exist")]
    NoDataDir(PathBuf),
    #[error("--auth-user {0:?}: expected user:password")]
    AuthUser(String),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Usage(String),
    #[error("starting the MCP server: {0}")]
    Mcp(Box<rmcp::service::ServerInitializeError>),
    #[error("the MCP server stopped: {0}")]
    McpStopped(#[from] tokio::task::JoinError),
    /// The release server refused the message or could not be reached (exit 1); the
    /// reply has been printed, and this says where it ended.
    #[error("release of message {}: {}", .0.message_id, .0.summary())]
    Released(Box<pigeonhole_core::model::Release>),
    /// An import left something out (exit 1); each problem has been printed.
    #[error("{0} part{s} of the input could not be imported", s = if *.0 == 1 { "" } else { "s" })]
    Incomplete(usize),
    #[error("bad query: {error}")]
    BadQuery {
        query: String,
        error: pigeonhole_core::search::ParseError,
    },
}

impl CliError {
    /// 2 when the thing asked for does not exist, 1 for every other failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Command(e) if e.is_not_found() => 2,
            CliError::Api(_) => 2,
            _ => 1,
        }
    }

    /// A second line for the terminal: under a bad query, the query with a caret under
    /// the problem.
    pub fn hint(&self) -> Option<String> {
        if let Some(store) = self.store_error() {
            // A read that hit damaged pages: say what to do, not only what SQLite said.
            if store.is_corruption() && !matches!(store, StoreError::Damaged { .. }) {
                return Some(
                    "the store is damaged: stop the server and run `pigeonhole doctor --data-dir DIR --recover` to salvage it"
                        .into(),
                );
            }
        }
        let CliError::BadQuery { query, error } = self else {
            return None;
        };
        // Escaping can widen characters before the caret; count what is printed.
        let before: String = query.chars().take(error.pos).collect();
        let span: String = query
            .chars()
            .skip(error.pos)
            .take(error.len.max(1))
            .collect();
        let pad = crate::cmd::text::printable(&before).chars().count();
        let width = crate::cmd::text::printable(&span).chars().count().max(1);
        Some(format!(
            "  {}\n  {}{}",
            crate::cmd::text::printable(query),
            " ".repeat(pad),
            "^".repeat(width)
        ))
    }

    fn store_error(&self) -> Option<&StoreError> {
        match self {
            CliError::Store(e) | CliError::Engine(EngineError::Store(e)) => Some(e),
            CliError::Command(CommandError::Store(e)) => Some(e),
            _ => None,
        }
    }

    /// A closed pipe (`pigeonhole list | head`) is not a failure worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        let pipe = Some(std::io::ErrorKind::BrokenPipe);
        match self {
            CliError::Output(e) => Some(e.kind()) == pipe,
            CliError::Json(e) => e.io_error_kind() == pipe,
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
