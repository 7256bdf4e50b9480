//! What a strict SMTP hop checks of the bytes: line endings, line length, NUL, and 8-bit
//! bytes the session did not declare.

use super::mime::Tree;
use super::text::{lines, Ending};
use super::{at_line, Findings, Input, LintLocation};

/// RFC 5322 §2.1.1, without the CRLF.
const MAX_LINE: usize = 998;
/// Most non-ASCII header findings listed one by one.
const MAX_HEADER_FINDINGS: usize = 10;

/// Offsets where each line starts, to turn a byte offset into a line number.
pub(super) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub fn new(raw: &[u8]) -> LineIndex {
        LineIndex(lines(raw, 0, 1).map(|l| l.start).collect())
    }
    pub fn line_of(&self, offset: usize) -> u32 {
        (self.0.partition_point(|&s| s <= offset).max(1)) as u32
    }
}

fn more(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and 1 more line)".into(),
        n => format!(" (and {n} more lines)"),
    }
}

pub(super) fn check(input: &Input, tree: &Tree, found: &mut Findings) {
    let raw = input.raw;
    let (mut lf, mut cr, mut long) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines(raw, 0, 1) {
        match line.ending {
            Ending::Lf => lf.push(line.number),
            Ending::Cr => cr.push(line.number),
            _ => {}
        }
        if line.len() > MAX_LINE {
            long.push((line.number, line.len()));
        }
    }
    // Mail read from an mbox or Maildir keeps the file's line endings (LF on Unix), which
    // say nothing about how it was sent: only a message that came over SMTP is judged.
    if input.transport.is_none() {
        lf.clear();
        cr.clear();
    }
    if let Some(&first) = lf.first() {
        found.add(
            "bare-lf",
            format!("Line {first} ends in a bare LF{}.", more(lf.len() - 1)),
            at_line(first),
        );
    }
    if let Some(&first) = cr.first() {
        found.add(
            "bare-cr",
            format!(
                "Line {first} has a CR not followed by LF{}.",
                more(cr.len() - 1)
            ),
            at_line(first),
        );
    }
    if let Some(&(first, len)) = long.first() {
        found.add(
            "line-too-long",
            format!("Line {first} is {len} octets long{}.", more(long.len() - 1)),
            at_line(first),
        );
    }
    let index = LineIndex::new(raw);
    if let Some(at) = memchr::memchr(0, raw) {
        let n = memchr::memchr_iter(0, raw).count();
        let line = index.line_of(at);
        found.add(
            "nul-byte",
            format!(
                "Line {line} holds a NUL byte{}.",
                if n > 1 {
                    format!(" ({n} in all)")
                } else {
                    String::new()
                }
            ),
            at_line(line),
        );
    }

    // 8-bit bytes: in header blocks (any entity's) and in bodies.
    let entities = tree.all();
    let in_header = |offset: usize| {
        entities
            .iter()
            .any(|e| (e.headers.start..e.headers.end).contains(&offset))
    };
    let high = |b: &u8| *b >= 0x80;
    let smtputf8 = input.transport.is_some_and(|t| t.smtputf8);
    if !smtputf8 {
        let mut listed = 0;
        for e in &entities {
            for f in &e.headers.fields {
                if f.value.iter().any(high) || f.name.bytes().any(|b| b >= 0x80) {
                    listed += 1;
                    if listed <= MAX_HEADER_FINDINGS {
                        let part = (e.id != "1").then(|| e.id.clone());
                        found.add(
                            "non-ascii-header",
                            format!(
                                "{} holds raw 8-bit bytes without RFC 2047 encoding{}.",
                                f.name,
                                if input.transport.is_some() {
                                    ", and the session did not use SMTPUTF8"
                                } else {
                                    ""
                                }
                            ),
                            LintLocation {
                                header: Some(f.name.clone()),
                                line: Some(f.line),
                                part,
                            },
                        );
                    }
                }
            }
        }
    }
    if let Some(t) = input.transport {
        if !t.eight_bit && !t.smtputf8 {
            let body_high = raw
                .iter()
                .enumerate()
                .skip(tree.root.body.0)
                .find(|(i, b)| high(b) && !in_header(*i))
                .map(|(i, _)| i);
            if let Some(at) = body_high {
                let line = index.line_of(at);
                found.add(
                    "8bit-without-8bitmime",
                    format!(
                        "Line {line} holds 8-bit bytes, but MAIL FROM did not say BODY=8BITMIME."
                    ),
                    at_line(line),
                );
            }
        }
    }
}
