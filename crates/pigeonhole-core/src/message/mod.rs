//! From raw bytes to our domain types, with mail-parser: ingest summaries, the full
//! on-demand view and a bounded text reading of it. Raw bytes stay the source of truth;
//! everything here is derived.

mod body;
mod calendar;
pub mod compose;
mod detail;
pub mod extract;
pub mod html_check;
pub mod index;
pub mod limits;
pub mod link_check;
pub mod parse;
mod reading;
mod report;
mod tags;

pub use detail::{each_part_bytes, part_bytes};
pub use reading::clip;
pub use tags::{normalize_tag, tags_for, MAX_TAG_CHARS};

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::model::Address;

/// Longest snippet shown in the list.
const SNIPPET_CHARS: usize = 200;
/// How much body text goes into the search index per message: the start of a body is what
/// people search for, and tokenising all of a large one costs ingest throughput.
const INDEX_BYTES: usize = 16 * 1024;

/// Summary columns computed once, at ingest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    pub has_attachments: bool,
    /// How many attachments (parts a person saves, forwarded messages included).
    pub attachments: u32,
    /// An inline part other than the body: an image shown by Content-ID, say.
    pub has_inline: bool,
    pub snippet: String,
    /// Body text for the full-text index: the text body, and the HTML body's text when it
    /// says something else (truncated).
    pub body_text: String,
    pub reply_to: Vec<Address>,
    /// The Message-ID header without its angle brackets.
    pub message_id: Option<String>,
    /// File names of attachments and inline parts.
    pub attachment_names: Vec<String>,
    /// Every header for `header:` searches (`index::header_text`).
    pub header_text: String,
    /// Tags the message names itself, in `X-Tags` (comma-separated).
    pub x_tags: Vec<String>,
}

pub(crate) fn addresses(a: Option<&mail_parser::Address>) -> Vec<Address> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|addr| {
            let address = addr.address.as_deref().unwrap_or("").trim().to_string();
            let name = addr
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            (!address.is_empty() || name.is_some()).then_some(Address { name, address })
        })
        .collect()
}

pub(crate) fn to_utc(d: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(d.to_timestamp(), 0).single()
}

/// True for parts a person would call attachments: not the message's text or HTML body,
/// and not an inline image referenced by Content-ID.
pub(crate) fn is_real_attachment(part: &mail_parser::MessagePart) -> bool {
    let inline = part
        .content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
    !(inline && part.content_id().is_some())
}

/// Parses what the list needs, through the same layer as the detail (`parse`), so the list,
/// search and the open message agree. Never fails: unparseable mail gets empty fields.
pub fn summarize(raw: &[u8]) -> Parsed {
    let (skeleton, _) = without_binary_bodies(raw, false);
    parse::with_message(&skeleton, |msg| {
        msg.map(summarize_parsed).unwrap_or_default()
    })
}

/// Binary bodies shorter than this are left in: cutting them saves nothing.
const KEEP_BINARY_UNDER: usize = 64 * 1024;

/// Where a body was left out of a skeleton, and its decoded size.
#[derive(Debug, Default)]
pub(crate) struct Elided(Vec<(usize, u64)>);

impl Elided {
    /// The decoded size of `part` in the full message: its own when it was not left out.
    pub(crate) fn size(&self, part: &MessagePart) -> usize {
        if part.is_empty() {
            let at = part.offset_body as usize;
            if let Ok(i) = self.0.binary_search_by_key(&at, |(pos, _)| *pos) {
                return usize::try_from(self.0[i].1).unwrap_or(usize::MAX);
            }
        }
        part.len()
    }
}

/// `raw` without the bodies of large non-text leaf parts (`lint::mime::binary_bodies`;
/// images kept when `keep_images`), and where each was: their headers (name, type,
/// disposition, Content-ID) are all the summary and the detail read of them, and
/// mail-parser would decode each one whole. Borrowed when there are none. Never used for
/// part downloads, which need the bytes.
pub(crate) fn without_binary_bodies(raw: &[u8], keep_images: bool) -> (Cow<'_, [u8]>, Elided) {
    if raw.len() < KEEP_BINARY_UNDER {
        return (Cow::Borrowed(raw), Elided::default());
    }
    let cut = crate::lint::mime::binary_bodies(raw, KEEP_BINARY_UNDER, keep_images);
    if cut.is_empty() {
        return (Cow::Borrowed(raw), Elided::default());
    }
    let removed: usize = cut.iter().map(|((s, t), _)| t - s).sum();
    let mut out = Vec::with_capacity(raw.len() - removed);
    let mut elided = Vec::with_capacity(cut.len());
    let mut at = 0;
    for ((s, t), size) in cut {
        if s < at {
            continue;
        }
        out.extend_from_slice(&raw[at..s]);
        elided.push((out.len(), size));
        at = t;
    }
    out.extend_from_slice(&raw[at..]);
    (Cow::Owned(out), Elided(elided))
}

/// True when the message has parts only the block walk reads: a forwarded message, a
/// report, a calendar, several text parts.
fn has_structure(msg: &Message) -> bool {
    msg.text_body.len() > 1
        || msg.parts.iter().any(|p| {
            matches!(p.body, PartType::Message(_))
                || p.content_type().is_some_and(|c| {
                    let sub = c.subtype().unwrap_or("");
                    (c.ctype().eq_ignore_ascii_case("text") && sub.eq_ignore_ascii_case("calendar"))
                        || (c.ctype().eq_ignore_ascii_case("message")
                            && !sub.eq_ignore_ascii_case("rfc822"))
                })
        })
}

fn summarize_parsed(msg: &Message) -> Parsed {
    let from = addresses(msg.from()).into_iter().next();
    let own_text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let mut text = own_text.clone();
    if has_structure(msg) || text.trim().is_empty() {
        // Forwarded text, reports and events are what a person searches a bounce or an
        // invite for; the walk reads them (without images) in order.
        let blocks = body::blocks(msg, "1", 0, &mut body::Budget::new(None));
        let mut all = String::new();
        body::reading_text(&blocks, &mut all);
        if !all.trim().is_empty() {
            text = all;
        }
    }
    let snippet = snippet_of(&text);
    // A message/rfc822 part or any non-inline part counts.
    // The message's own attachments, no more than the walk's cap (a MIME bomb's 100 000
    // siblings would fill the index with names).
    let own = || msg.attachments().take(limits::MAX_PARTS);
    let attachments = own()
        .filter(|p| matches!(p.body, PartType::Message(_)) || is_real_attachment(p))
        .count();
    let has_attachments = attachments > 0;
    let has_inline = own().any(|p| !is_real_attachment(p));
    let attachment_names = own().filter_map(body::part_name).collect();
    let mut body_text = truncate_at_char(&text, INDEX_BYTES).to_string();
    // Only a real HTML part of its own: for a text-only message mail-parser lists the text
    // part as the HTML body too, and converting it to HTML and back found nothing new.
    let own_html = msg
        .html_body
        .first()
        .is_some_and(|h| !msg.text_body.contains(h));
    if !msg.text_body.is_empty() && own_html && body_text.len() < INDEX_BYTES {
        // A real text part: the HTML alternative may still say more (links, footers).
        if let Some(html) = msg
            .body_html(0)
            .map(|h| mail_parser::decoders::html::html_to_text(&h))
        {
            // Compared with the own text body: `text` may be the whole reading by now.
            if squash(&html) != squash(&own_text) {
                body_text.push('\n');
                body_text.push_str(&html);
                body_text = truncate_at_char(&body_text, INDEX_BYTES).to_string();
            }
        }
    }
    let header_text = index::header_text(
        msg.headers()
            .iter()
            .map(|h| (h.name.as_str(), detail::decoded_header(msg, h).into())),
    );
    let x_tags = msg
        .header_values("X-Tags")
        .filter_map(|v| v.as_text())
        .map(decode_words)
        .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter_map(|t| normalize_tag(&t))
        .take(tags::MAX_INGEST_TAGS)
        .collect();
    Parsed {
        from,
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        subject: parse::message_subject(msg).unwrap_or("").to_string(),
        date: msg.date().and_then(to_utc),
        has_attachments,
        attachments: u32::try_from(attachments).unwrap_or(u32::MAX),
        has_inline,
        snippet,
        body_text,
        reply_to: addresses(msg.reply_to()),
        message_id: msg
            .message_id()
            .map(|m| m.trim_matches(['<', '>']).to_string()),
        attachment_names,
        header_text,
        x_tags,
    }
}

/// A header value mail-parser kept raw (an `X-` header) with its RFC 2047 encoded words
/// (`=?utf-8?b?...?=`) decoded.
fn decode_words(raw: &str) -> String {
    if !raw.contains("=?") {
        return raw.to_string();
    }
    let line = format!("{raw}\r\n");
    mail_parser::parsers::MessageStream::new(line.as_bytes())
        .parse_unstructured()
        .as_text()
        .map(str::to_string)
        .unwrap_or_else(|| raw.to_string())
}

/// Text with every run of whitespace removed, to compare two renderings of one body.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

/// The first words of the body, whitespace collapsed; stops reading once it has enough.
fn snippet_of(text: &str) -> String {
    let mut out = String::with_capacity(SNIPPET_CHARS + 8);
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= SNIPPET_CHARS {
                return out;
            }
            out.push(c);
            chars += 1;
        }
        if chars >= SNIPPET_CHARS {
            break;
        }
    }
    out
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_decodes_encoded_words_and_finds_attachments() {
        let raw = b"From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.com>\r\n\
To: a@example.com, \"B\" <b@example.com>\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\
Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hello   there\r\n\
--b\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=x.pdf\r\n\
\r\n\
%PDF\r\n\
--b--\r\n";
        let p = summarize(raw);
        assert_eq!(p.subject, "Grüße", "RFC 2047 subject must be decoded");
        assert_eq!(
            p.from.as_ref().and_then(|f| f.name.as_deref()),
            Some("Jürgen")
        );
        assert_eq!(p.to.len(), 2, "both To addresses");
        assert!(p.has_attachments, "the PDF is an attachment");
        assert_eq!(p.snippet, "Hello there", "snippet collapses whitespace");
        assert!(p.date.is_some(), "Date header parsed");
    }

    #[test]
    fn snippets_and_index_text_are_bounded() {
        let long = "wörd ".repeat(10_000);
        let snippet = snippet_of(&long);
        assert_eq!(
            snippet.chars().count(),
            SNIPPET_CHARS,
            "snippet is capped in characters"
        );
        assert!(
            snippet.starts_with("wörd wörd"),
            "words are joined by single spaces: {snippet}"
        );
        let cut = truncate_at_char(&long, 16 * 1024 + 1);
        assert!(
            cut.len() <= 16 * 1024 + 1 && long.starts_with(cut),
            "cut on a char boundary"
        );
        assert_eq!(snippet_of("  a \n\t b  "), "a b");
    }

    #[test]
    fn x_tags_are_decoded_and_split() {
        let p = summarize(
            b"X-Tags: =?utf-8?b?5rOo5paH?=, Urgent\r\nX-Tags: later\r\nSubject: t\r\n\r\nx\r\n",
        );
        assert_eq!(p.x_tags, ["注文", "urgent", "later"]);
    }

    #[test]
    fn a_large_binary_attachment_is_summarised_without_its_body_and_the_same() {
        let blob = "QUJDRA==\r\n".repeat(20_000);
        let raw = format!(
            "From: a@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
Hello there\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; \
filename=big.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n{blob}--b\r\n\
Content-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{blob}--b--\r\n"
        );
        let (skeleton, _) = without_binary_bodies(raw.as_bytes(), false);
        assert!(
            skeleton.len() < 2048,
            "both large binary bodies are left out: {} bytes",
            skeleton.len()
        );
        let full = parse::with_message(raw.as_bytes(), |m| summarize_parsed(m.expect("parses")));
        assert_eq!(
            summarize(raw.as_bytes()),
            full,
            "the summary is the same without them"
        );
        assert_eq!(full.attachment_names, ["big.pdf"]);
        assert!(full.has_attachments && full.has_inline, "{full:?}");
    }

    #[test]
    fn garbage_still_summarises() {
        let p = summarize(b"\xff\xfe not a message");
        assert!(!p.has_attachments);
    }

    #[test]
    fn the_index_and_snippet_read_forwarded_text_and_the_first_subject() {
        let p = summarize(
            b"Subject: first\r\nSubject: second\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\n\
See below.\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.test\r\n\
Subject: inner subject\r\n\r\nsecret-token-42\r\n--o--\r\n",
        );
        assert_eq!(p.subject, "first", "the first Subject, as the detail shows");
        assert!(
            p.body_text.contains("secret-token-42") && p.body_text.contains("See below."),
            "the forwarded text is searchable: {:?}",
            p.body_text
        );
        assert!(p.snippet.starts_with("See below."), "{:?}", p.snippet);
        assert_eq!(
            p.body_text.matches("See below.").count(),
            1,
            "the own text is indexed once: {:?}",
            p.body_text
        );
        assert_eq!(
            p.attachment_names,
            ["inner subject.eml"],
            "named after its subject"
        );
    }
}
