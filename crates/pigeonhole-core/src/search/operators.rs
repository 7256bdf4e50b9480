//! The operator table, and turning an operator's value into a `Term` (or an error that
//! points at the operator or at the value).

use super::ast::{Flag, Has, LintValue, ParseError, Term, TextField};
use super::lexer::{OpName, Seg};
use super::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text(TextField),
    Header,
    Tag,
    Inbox,
    User,
    Listener,
    Is,
    Has,
    Lint,
    Size { larger: bool },
    Date { after: bool },
}

/// Every operator name (lowercase) and alias.
const OPERATORS: &[(&str, Kind)] = &[
    ("from", Kind::Text(TextField::From)),
    ("to", Kind::Text(TextField::To)),
    ("cc", Kind::Text(TextField::Cc)),
    ("bcc", Kind::Text(TextField::Bcc)),
    ("addressed", Kind::Text(TextField::Addressed)),
    ("reply-to", Kind::Text(TextField::ReplyTo)),
    ("replyto", Kind::Text(TextField::ReplyTo)),
    ("subject", Kind::Text(TextField::Subject)),
    ("message-id", Kind::Text(TextField::MessageId)),
    ("msgid", Kind::Text(TextField::MessageId)),
    ("header", Kind::Header),
    ("tag", Kind::Tag),
    ("inbox", Kind::Inbox),
    ("user", Kind::User),
    ("listener", Kind::Listener),
    ("is", Kind::Is),
    ("has", Kind::Has),
    ("lint", Kind::Lint),
    ("larger", Kind::Size { larger: true }),
    ("smaller", Kind::Size { larger: false }),
    ("before", Kind::Date { after: false }),
    ("after", Kind::Date { after: true }),
];

/// The canonical names, for the "unknown operator" message.
const KNOWN: &str = "from, to, cc, bcc, addressed, reply-to, subject, message-id, header, tag, \
                     inbox, user, listener, is, has, lint, larger, smaller, before, after";

const FLAGS: &[(&str, Flag)] = &[
    ("read", Flag::Read),
    ("unread", Flag::Unread),
    ("pinned", Flag::Pinned),
    ("tagged", Flag::Tagged),
    ("imported", Flag::Imported),
];

const HAS: &[(&str, Has)] = &[
    ("attachment", Has::Attachment),
    ("attachments", Has::Attachment),
    ("inline", Has::Inline),
    ("lint", Has::Lint),
];

/// Every lint check's id, for `lint:ID`. The search language is a leaf and cannot ask
/// `lint` for them; `lint`'s tests check that this list is its catalogue.
pub const LINT_CHECKS: &[&str] = &[
    "bare-lf",
    "bare-cr",
    "line-too-long",
    "nul-byte",
    "8bit-without-8bitmime",
    "non-ascii-header",
    "header-syntax",
    "invalid-address",
    "invalid-date",
    "invalid-message-id",
    "duplicate-header",
    "encoded-word-invalid",
    "missing-from",
    "missing-date",
    "missing-message-id",
    "date-skew",
    "bcc-header",
    "html-without-text",
    "gmail-clipping",
    "cid-missing",
    "inline-unreferenced",
    "boundary-malformed",
    "boundary-unclosed",
    "mime-too-deep",
    "mime-too-many-parts",
    "charset-unknown",
    "message-part-encoded",
    "base64-line-length",
    "envelope-from-mismatch",
    "list-unsubscribe-missing",
    "list-unsubscribe-post-missing",
    "list-unsubscribe-invalid",
    "list-unsubscribe-unsigned",
    "dkim-body-hash",
    "dkim-malformed",
];

/// `name` must already be lowercase.
pub(super) fn lookup(name: &str) -> Option<Kind> {
    OPERATORS.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
}

/// `typed` is the name as the user wrote it.
pub(super) fn unknown(op: &OpName, typed: &str) -> ParseError {
    op.error(format!("unknown operator \"{typed}:\"; known: {KNOWN}"))
}

pub(super) fn needs_value(op: &OpName) -> String {
    match op.name.as_str() {
        "header" => "header: needs a header name, as in header:X-Mailer or header:X-Mailer:value"
            .to_string(),
        name => format!("{name}: needs a value"),
    }
}

/// Everything but `header:`, whose value has two parts.
pub(super) fn build(kind: Kind, op: &OpName, value: Seg) -> Result<Term, ParseError> {
    let mut text = value.text;
    if kind == Kind::Text(TextField::MessageId) {
        text = text
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
    }
    if text.trim().is_empty() {
        return Err(op.error(needs_value(op)));
    }
    let bad = |message: String| ParseError::new(value.pos, value.len, message);
    Ok(match kind {
        Kind::Text(field) => Term::Text {
            field,
            value: text,
            phrase: value.quoted,
        },
        Kind::Tag => Term::Tag(text),
        Kind::Inbox => Term::Inbox(text),
        Kind::User => Term::User(text),
        Kind::Listener => Term::Listener(text),
        Kind::Is => match find(FLAGS, &text) {
            Some(flag) => Term::Is(flag),
            None => {
                return Err(bad(format!(
                    "\"{text}\" is not a value of is:; use is:read, is:unread, is:pinned, \
                     is:tagged or is:imported"
                )))
            }
        },
        Kind::Has => match find(HAS, &text) {
            Some(has) => Term::Has(has),
            None => {
                return Err(bad(format!(
                    "\"{text}\" is not a value of has:; use has:attachment, has:inline or has:lint"
                )))
            }
        },
        Kind::Lint => {
            let id = text.to_ascii_lowercase();
            match id.as_str() {
                "error" | "errors" => Term::Lint(LintValue::Error),
                "warning" | "warnings" => Term::Lint(LintValue::Warning),
                "info" => Term::Lint(LintValue::Info),
                _ if LINT_CHECKS.contains(&id.as_str()) => Term::Lint(LintValue::Check(id)),
                _ => {
                    return Err(bad(format!(
                        "\"{text}\" is not a lint check; use lint:error, lint:warning, \
                         lint:info or a check's id: {}",
                        LINT_CHECKS.join(", ")
                    )))
                }
            }
        }
        Kind::Size { larger } => match values::size(&text) {
            Some(bytes) => Term::Size { larger, bytes },
            None => {
                return Err(bad(format!(
                    "\"{text}\" is not a size; use bytes or a number with K, M or G (powers of \
                     1024), as in {}:500K or {0}:1.5MB",
                    op.name
                )))
            }
        },
        Kind::Date { after } => match values::date(&text) {
            Some(at) => Term::Date { after, at },
            None => {
                return Err(bad(format!(
                    "\"{text}\" is not a date; use a day (2026-11-30), a local time \
                     (2026-11-30T10:00), an RFC 3339 time (2026-11-30T10:00:00Z) or an age \
                     (30m, 2h, 3d, 1w)"
                )))
            }
        },
        Kind::Header => unreachable!("header: is built by `header`"),
    })
}

/// `header:Name` or `header:Name:value`.
pub(super) fn header(op: &OpName, name: Seg, value: Option<Seg>) -> Result<Term, ParseError> {
    if !is_header_name(&name.text) {
        return Err(ParseError::new(
            name.pos,
            name.len,
            format!(
                "\"{}\" is not a header name: use printable ASCII with no spaces or colons, as \
                 in header:X-Mailer",
                name.text
            ),
        ));
    }
    let value = match value {
        Some(v) if v.text.trim().is_empty() => {
            let message = format!("{}:{}: needs a value", op.name, name.text);
            return Err(ParseError::new(op.pos, v.pos + v.len - op.pos, message));
        }
        Some(v) => Some(v.text),
        None => None,
    };
    Ok(Term::Header {
        name: name.text,
        value,
    })
}

/// RFC 5322 field name: one or more printable ASCII characters other than the colon.
fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic() && c != ':')
}

fn find<T: Copy>(table: &[(&str, T)], value: &str) -> Option<T> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(value))
        .map(|&(_, t)| t)
}
