//! Header fields: syntax of the ones that have one, the ones that must be there or may be
//! there once, a Bcc left in, and RFC 2047 encoded words.

use std::sync::OnceLock;

use regex::Regex;

use super::address::{check_list, check_msg_id};
use super::mime::{charset_is_known, strip_comments, Tree};
use super::text::Field;
use super::{at_header, Findings, LintLocation};

/// Fields RFC 5322 §3.6 allows at most once.
const ONCE: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "Date",
];
const ADDRESS_FIELDS: &[&str] = &["From", "Sender", "To", "Cc", "Bcc", "Reply-To"];

pub(super) fn check(tree: &Tree, found: &mut Findings) {
    for e in tree.all() {
        // One finding per header block: the first bad line, and how many more.
        if let Some(bad) = e.headers.bad.first() {
            let starts_block = e.headers.fields.first().is_none_or(|f| f.line > bad.line);
            let mut message = if starts_block && bad.text.trim().is_empty() {
                format!("Line {} starts the header block with whitespace; readers that take it as a folded line lose the headers after it.", bad.line)
            } else {
                format!(
                    "Line {} ({:?}) is neither a header field nor a folded continuation.",
                    bad.line, bad.text
                )
            };
            match e.headers.bad.len() {
                1 => {}
                2 => message.push_str(" 1 more line like it follows."),
                n => message.push_str(&format!(" {} more lines like it follow.", n - 1)),
            }
            found.add(
                "header-syntax",
                message,
                LintLocation {
                    header: None,
                    line: Some(bad.line),
                    part: (e.id != "1").then(|| e.id.clone()),
                },
            );
        }
        for f in &e.headers.fields {
            encoded_words(f, found);
        }
    }

    let h = &tree.root.headers;
    for name in ONCE {
        let all: Vec<&Field> = h.all(name).collect();
        if all.len() > 1 {
            found.add(
                "duplicate-header",
                format!(
                    "{} appears {} times (lines {}); clients disagree on which to show.",
                    all[0].name,
                    all.len(),
                    all.iter()
                        .map(|f| f.line.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                at_header(&all[1].name, all[1].line),
            );
        }
    }
    if h.get("From").is_none() {
        found.add(
            "missing-from",
            "The message has no From header.",
            LintLocation::default(),
        );
    }
    if h.get("Date").is_none() {
        found.add(
            "missing-date",
            "The message has no Date header.",
            LintLocation::default(),
        );
    }
    if h.get("Message-ID").is_none() {
        found.add(
            "missing-message-id",
            "The message has no Message-ID header.",
            LintLocation::default(),
        );
    }
    for name in ADDRESS_FIELDS {
        for f in h.all(name) {
            let value = f.text();
            // An empty Bcc is allowed (RFC 5322 §3.6.3).
            if f.is("Bcc") && value.trim().is_empty() {
                continue;
            }
            if let Err(why) = check_list(&value) {
                found.add(
                    "invalid-address",
                    format!("{}: {why}.", f.name),
                    at_header(&f.name, f.line),
                );
            }
        }
    }
    for f in h.all("Date") {
        if parse_date(&f.text()).is_none() {
            found.add(
                "invalid-date",
                date_problem(&f.text()),
                at_header(&f.name, f.line),
            );
        }
    }
    for f in h.all("Message-ID") {
        if let Err(why) = check_msg_id(&f.text()) {
            found.add(
                "invalid-message-id",
                format!("Message-ID: {why}."),
                at_header(&f.name, f.line),
            );
        }
    }
    if let Some(f) = h.get("Bcc") {
        found.add(
            "bcc-header",
            if f.value.is_empty() {
                "An empty Bcc header is left in the message.".to_string()
            } else {
                format!(
                    "Bcc ({}) is left in the message for every recipient to read.",
                    f.text()
                )
            },
            at_header(&f.name, f.line),
        );
    }
}

/// The Date as RFC 5322 reads it (comments dropped), or `None`.
pub(super) fn parse_date(value: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let v = strip_comments(value);
    chrono::DateTime::parse_from_rfc2822(v.trim()).ok()
}

/// Why a Date does not parse, in words: a weekday that is not the date's, or the shape.
fn date_problem(value: &str) -> String {
    let v = strip_comments(value);
    let v = v.trim();
    if let Some((day, rest)) = v.split_once(',') {
        if let Ok(d) = chrono::DateTime::parse_from_rfc2822(rest.trim()) {
            return format!(
                "Date {value:?} says {}, but {} is a {}.",
                day.trim(),
                d.format("%-d %b %Y"),
                d.format("%A")
            );
        }
    }
    format!(
        "Date {value:?} is not an RFC 5322 date-time (like \"Tue, 1 Dec 2026 20:12:05 +0000\")."
    )
}

fn encoded_word_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=").expect("valid regex"))
}

fn encoded_words(f: &Field, found: &mut Findings) {
    let text = f.text();
    if !text.contains("=?") {
        return;
    }
    for c in encoded_word_re().captures_iter(&text) {
        let (word, charset, enc, data) = (&c[0], &c[1], &c[2], &c[3]);
        let problem = if !charset_is_known(charset) {
            Some(format!("its charset {charset:?} is unknown"))
        } else if enc.eq_ignore_ascii_case("b") {
            data.chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "+/=".contains(*c)))
                .map(|c| format!("its base64 text holds {c:?}"))
        } else if enc.eq_ignore_ascii_case("q") {
            q_problem(data)
        } else {
            Some(format!("its encoding {enc:?} is neither B nor Q"))
        };
        if let Some(problem) = problem {
            found.add(
                "encoded-word-invalid",
                format!(
                    "{}: the encoded word {word} cannot be decoded: {problem}.",
                    f.name
                ),
                at_header(&f.name, f.line),
            );
            return;
        }
    }
}

fn q_problem(data: &str) -> Option<String> {
    let b = data.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' => {
                let Some(hex) = b.get(i + 1..i + 3) else {
                    return Some("it ends in an unfinished = escape".into());
                };
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Some(format!(
                        "\"={}\" is not a hex escape",
                        String::from_utf8_lossy(hex)
                    ));
                }
                i += 3;
                continue;
            }
            c if !(33..=126).contains(&c) => {
                return Some("it holds a byte Q encoding does not allow".into())
            }
            _ => {}
        }
        i += 1;
    }
    None
}
