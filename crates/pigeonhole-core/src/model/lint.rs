//! Lint findings: what a check found in one message, and the report of all of them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How much a finding matters. Ordered: an error sorts before a warning.
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
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Breaks a standard: some receivers refuse, mangle or misread the message.
    Error,
    /// Allowed, but known to cause trouble (clipping, spam scoring, lost parts).
    Warning,
    /// Worth knowing when judging the message; nothing is wrong by itself.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where in the message a finding is. Every field is optional: a missing header has no
/// line, a transport problem has no part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct LintLocation {
    /// The header field concerned, as spelled in the message (`Date`, `Content-Type`).
    pub header: Option<String>,
    /// 1-based line number in the raw message, counting every line ending (CRLF, LF, CR).
    pub line: Option<u32>,
    /// MIME part path as in the Parts tree ("1.2").
    pub part: Option<String>,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Finding {
    /// Stable id of the check (`bare-lf`), used by `lint:bare-lf` searches.
    pub id: String,
    pub severity: Severity,
    /// What was found in this message, specifically ("line 14 ends in a bare LF (3 more)").
    pub message: String,
    /// One sentence on why it matters, the same for every finding of this check.
    pub why: String,
    /// The standard (or vendor rule) it is about: "RFC 5322 §2.3".
    pub reference: String,
    pub location: LintLocation,
}

/// Every finding for one message, worst first, with counts by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct LintReport {
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    pub findings: Vec<Finding>,
}

/// One check the linter runs, for a catalogue (the API's `/api/v1/lint/checks`, search help).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct LintCheck {
    pub id: String,
    pub severity: Severity,
    /// A short name: "Bare LF line ending".
    pub title: String,
    pub why: String,
    pub reference: String,
}
