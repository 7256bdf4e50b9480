//! The points in a session where a fault rule can step in, one per verb family.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the session is when it calls its hook. A stage is reached only by a command that
/// parsed: a malformed MAIL is answered by the parser's 501 before `Stage::Mail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The connection is open and the greeting is about to go out.
    Connect,
    /// HELO or EHLO.
    Helo,
    Mail,
    Rcpt,
    /// The DATA command, before its 354.
    Data,
    /// Each BDAT command, before its chunk is read; a reply here refuses the chunk, which is
    /// still consumed.
    Bdat,
    /// A whole message (DATA's terminator or BDAT LAST) is in hand and within limits, and
    /// is about to be committed; a reply here is sent instead of the commit and its 250.
    EndOfData,
    /// The AUTH command, before any SASL exchange.
    Auth,
    /// The STARTTLS command, and the handshake of an implicit-TLS listener.
    #[serde(rename = "starttls")]
    StartTls,
    Quit,
    Rset,
    /// NOOP, VRFY, EXPN, HELP and the refused commands (TURN, ETRN, ...).
    Other,
}

impl Stage {
    /// Every stage, in the order a session usually meets them; keep in step with the enum.
    pub const ALL: [Stage; 12] = [
        Stage::Connect,
        Stage::Helo,
        Stage::Auth,
        Stage::StartTls,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Data,
        Stage::Bdat,
        Stage::EndOfData,
        Stage::Rset,
        Stage::Other,
        Stage::Quit,
    ];

    /// The name used in config files, the API and transcripts.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Helo => "helo",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::Bdat => "bdat",
            Stage::EndOfData => "end_of_data",
            Stage::Auth => "auth",
            Stage::StartTls => "starttls",
            Stage::Quit => "quit",
            Stage::Rset => "rset",
            Stage::Other => "other",
        }
    }
}
