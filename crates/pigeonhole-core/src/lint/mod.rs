//! Message lint: checks of one message's raw bytes and envelope, PURE (no store, no clock).
//!
//! `check` runs every check and returns a `LintReport`; the store's lint worker runs it after
//! the ack and keeps the result (`store::lint`), and `commands::lint` serves it. No finding
//! ever changes a message: the bytes stay exactly as received.
//!
//! - `catalogue`: every check's id, severity, why and RFC section (the public ids).
//! - `text`: lines with their endings and numbers; header blocks.
//! - `transport`: line endings, line length, NUL, 8-bit without 8BITMIME or SMTPUTF8.
//! - `headers`: field syntax (addresses, Date, Message-ID), required and single fields,
//!   encoded words, Bcc.
//! - `mime`: the MIME structure walked from the raw bytes (boundaries, charsets, base64),
//!   and what the content checks need of it.
//! - `content`: HTML without text, Gmail clipping, cid: references, the Date's distance
//!   from arrival.
//! - `sender`: envelope sender against From, List-Unsubscribe (RFC 8058).
//! - `dkim`: the DKIM body hash, checked offline.
//!
//! Checks are grouped by what they scan, not one per file: the checks of a family share one
//! pass over the bytes.

mod address;
mod catalogue;
mod content;
mod dkim;
mod headers;
pub(crate) mod mime;
mod sender;
#[cfg(test)]
mod tests;
mod text;
mod transport;

use chrono::{DateTime, Utc};

use crate::model::{Finding, LintCheck, LintLocation, LintReport, Severity};

/// Bumped whenever a check is added or changes what it finds: a store linted by an older
/// version is linted again in the background.
pub const VERSION: i64 = 3;

/// Most findings kept per message; the rest are counted in one last finding.
const MAX_FINDINGS: usize = 200;

/// What the SMTP session declared, for the checks that depend on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transport {
    /// `BODY=8BITMIME` or `BODY=BINARYMIME` on MAIL FROM.
    pub eight_bit: bool,
    /// `SMTPUTF8` on MAIL FROM.
    pub smtputf8: bool,
}

impl Transport {
    /// From MAIL FROM's parameters as stored (upper-cased keys).
    pub fn from_params(params: &[(String, String)]) -> Transport {
        let get = |k: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(k));
        Transport {
            eight_bit: get("BODY").is_some_and(|(_, v)| {
                v.eq_ignore_ascii_case("8BITMIME") || v.eq_ignore_ascii_case("BINARYMIME")
            }),
            smtputf8: get("SMTPUTF8").is_some(),
        }
    }
}

/// One message to check.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub raw: &'a [u8],
    /// MAIL FROM; "" for the null sender or when there was no SMTP session.
    pub mail_from: &'a str,
    /// `None` when the message did not come over SMTP (imported): the checks that need
    /// the session's declarations, or its arrival time, are skipped.
    pub transport: Option<Transport>,
    pub received_at: DateTime<Utc>,
}

/// Collects findings, filling each from the catalogue.
pub(crate) struct Findings {
    list: Vec<Finding>,
    dropped: usize,
}

impl Findings {
    fn new() -> Findings {
        Findings {
            list: Vec::new(),
            dropped: 0,
        }
    }

    /// Adds a finding of check `id` (which must be in the catalogue).
    fn add(&mut self, id: &str, message: impl Into<String>, location: LintLocation) {
        let Some(check) = catalogue::find(id) else {
            debug_assert!(false, "lint check {id} is not in the catalogue");
            return;
        };
        if self.list.len() >= MAX_FINDINGS {
            self.dropped += 1;
            return;
        }
        self.list.push(Finding {
            id: check.id.to_string(),
            severity: check.severity,
            message: message.into(),
            why: check.why.to_string(),
            reference: check.reference.to_string(),
            location,
        });
    }

    fn into_report(mut self) -> LintReport {
        // Worst first; within a severity, in the order the message shows them.
        self.list
            .sort_by_key(|f| (f.severity, f.location.line.unwrap_or(0)));
        if self.dropped > 0 {
            if let Some(last) = self.list.last_mut() {
                last.message
                    .push_str(&format!(" ({} more findings not listed)", self.dropped));
            }
        }
        let count = |s: Severity| self.list.iter().filter(|f| f.severity == s).count() as u32;
        LintReport {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            findings: self.list,
        }
    }
}

/// Where: a header at a line.
fn at_header(name: &str, line: u32) -> LintLocation {
    LintLocation {
        header: Some(name.to_string()),
        line: Some(line),
        part: None,
    }
}

fn at_line(line: u32) -> LintLocation {
    LintLocation {
        line: Some(line),
        ..LintLocation::default()
    }
}

/// Runs every check on one message.
pub fn check(input: &Input) -> LintReport {
    let mut found = Findings::new();
    let tree = mime::walk(input.raw);
    transport::check(input, &tree, &mut found);
    headers::check(&tree, &mut found);
    mime::check(input.raw, &tree, &mut found);
    content::check(input, &tree, &mut found);
    sender::check(input, &tree, &mut found);
    dkim::check(input.raw, &tree, &mut found);
    found.into_report()
}

/// The catalogue, for the API and search help.
pub fn checks() -> Vec<LintCheck> {
    catalogue::CHECKS
        .iter()
        .map(|c| LintCheck {
            id: c.id.to_string(),
            severity: c.severity,
            title: c.title.to_string(),
            why: c.why.to_string(),
            reference: c.reference.to_string(),
        })
        .collect()
}

/// True when `id` names a check (`lint:ID` in a search).
pub fn is_check(id: &str) -> bool {
    catalogue::find(id).is_some()
}

/// Every check id, for the error a misspelled `lint:` value gets.
pub fn check_ids() -> impl Iterator<Item = &'static str> {
    catalogue::CHECKS.iter().map(|c| c.id)
}
