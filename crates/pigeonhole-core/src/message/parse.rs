//! Our thin layer over mail-parser 0.11: every view (ingest summary, detail, reading, parts)
//! parses through [`with_message`], so the list, search and the detail agree.
//!
//! mail-parser reads well-formed mail well; real mail is not always well formed. Where it
//! gets a case wrong we fix the *input we give it*, never the stored bytes (they are the
//! source of truth and stay byte-exact), and say why here:
//!
//! 1. **A header block that starts with whitespace.** mail-parser skips leading whitespace
//!    and, on reaching the first line end, takes it for the blank line that ends the headers:
//!    a message whose first line is `"  \r\n"` (seen from Yahoo) loses every header and its
//!    attachments. When the whitespace-only lines are followed by a line shaped like a header
//!    field, we drop those lines.
//! 2. **Raw 8-bit bytes in headers.** Headers are decoded as UTF-8 with replacement, so
//!    Latin-1 `Réunion` shows `R�union`. Top-level header lines that are not valid UTF-8 are
//!    transcoded to UTF-8 first, with the first of the message's declared charsets
//!    (`charset=` parameters, in order) that decodes the line without error, then
//!    windows-1252 (which decodes every byte), so no charset-decodable byte becomes U+FFFD.
//! 3. **A multipart whose closing boundary is missing.** A quoted-printable or base64 part
//!    that runs to the end of the message without a delimiter is kept undecoded
//!    (`is_encoding_problem`), so a GB2312 body shows `=B4=CE...`. When a multipart's
//!    closing delimiter `--boundary--` is nowhere in the message we append it and parse again.
//! 4. **Two Subject headers.** mail-parser's `subject()` returns the last; most clients show
//!    the first, and so do we ([`subject`]).

use std::borrow::Cow;

use mail_parser::{Header, HeaderName, Message, MessageParser, MimeHeaders, PartType};
use memchr::memmem;

use super::limits;

/// How much of the message is scanned for declared charsets.
const CHARSET_SCAN_BYTES: usize = 256 * 1024;
/// Most closing delimiters added: more multiparts than this missing theirs is not mail.
const MAX_ADDED_CLOSERS: usize = 32;
/// Most boundaries searched for their closing delimiter: real mail has a handful.
const MAX_SEARCHED_BOUNDARIES: usize = 256;

/// Parses `raw` through the fixes above and hands the message to `f` (`None` when nothing
/// parses). The message borrows from a buffer that lives only for the call.
pub fn with_message<R>(raw: &[u8], f: impl FnOnce(Option<&Message<'_>>) -> R) -> R {
    let prepared = prepare(raw);
    let parser = MessageParser::default();
    let Some(msg) = parser.parse(prepared.as_ref()) else {
        return f(None);
    };
    let closers = missing_closers(&msg, prepared.as_ref());
    if closers.is_empty() {
        let out = f(Some(&msg));
        limits::dismantle(msg);
        return out;
    }
    let mut fixed = prepared.as_ref().to_vec();
    if !fixed.ends_with(b"\n") {
        fixed.extend_from_slice(b"\r\n");
    }
    for boundary in closers.iter().rev() {
        fixed.extend_from_slice(b"--");
        fixed.extend_from_slice(boundary);
        fixed.extend_from_slice(b"--\r\n");
    }
    limits::dismantle(msg);
    let msg = parser.parse(&fixed);
    let out = f(msg.as_ref());
    if let Some(msg) = msg {
        limits::dismantle(msg);
    }
    out
}

/// The bytes mail-parser is given: `raw` with fixes 1 and 2 applied (borrowed when neither
/// applies, which is nearly always).
fn prepare(raw: &[u8]) -> Cow<'_, [u8]> {
    let raw = skip_blank_lead(raw);
    match transcode_headers(raw) {
        Some(fixed) => Cow::Owned(fixed),
        None => Cow::Borrowed(raw),
    }
}

/// `raw` without leading whitespace-only lines, when a header field follows them.
fn skip_blank_lead(raw: &[u8]) -> &[u8] {
    if !raw
        .first()
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return raw;
    }
    let mut start = 0;
    // At most a few lines: a long run of blank lines is a body, not a header block.
    for _ in 0..8 {
        let rest = &raw[start..];
        let end = match memchr::memchr(b'\n', rest) {
            Some(i) => i + 1,
            None => return raw,
        };
        if !rest[..end].iter().all(|b| b.is_ascii_whitespace()) {
            break;
        }
        start += end;
    }
    if start > 0 && looks_like_field(&raw[start..]) {
        &raw[start..]
    } else {
        raw
    }
}

/// True when `s` starts with `Name:` (RFC 5322 field-name: printable ASCII but colon).
fn looks_like_field(s: &[u8]) -> bool {
    let name_len = s
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    name_len > 0 && s.get(name_len) == Some(&b':')
}

/// End of the top-level header block (the index just past its blank line), or all of `raw`.
fn header_block_end(raw: &[u8]) -> usize {
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'\n', &raw[at..]) {
        let line_end = at + i + 1;
        let line = &raw[at..line_end];
        if line == b"\n" || line == b"\r\n" {
            return line_end;
        }
        at = line_end;
    }
    raw.len()
}

/// `raw` with each top-level header line that is not UTF-8 transcoded to UTF-8 (fix 2), or
/// `None` when every header line already is.
fn transcode_headers(raw: &[u8]) -> Option<Vec<u8>> {
    let end = header_block_end(raw);
    let block = &raw[..end];
    if block.is_ascii() || std::str::from_utf8(block).is_ok() {
        return None;
    }
    let charsets = declared_charsets(raw);
    let mut out = Vec::with_capacity(raw.len() + 64);
    for line in block.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(_) => out.extend_from_slice(line),
            Err(_) => out.extend_from_slice(decode_8bit(line, &charsets).as_bytes()),
        }
    }
    out.extend_from_slice(&raw[end..]);
    Some(out)
}

/// `bytes` decoded by the first of `charsets` that decodes them without error, else
/// windows-1252.
pub(crate) fn decode_8bit(bytes: &[u8], charsets: &[&'static encoding_rs::Encoding]) -> String {
    for enc in charsets {
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return text.into_owned();
        }
    }
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// The charsets the message declares (`charset=` parameters), in order, each once, without
/// UTF-8 and ASCII (UTF-8 was tried; ASCII decodes nothing 8-bit).
pub(crate) fn declared_charsets(raw: &[u8]) -> Vec<&'static encoding_rs::Encoding> {
    let scan = &raw[..raw.len().min(CHARSET_SCAN_BYTES)];
    let mut found: Vec<&'static encoding_rs::Encoding> = Vec::new();
    let lower: Vec<u8> = scan.iter().map(u8::to_ascii_lowercase).collect();
    for at in memmem::find_iter(&lower, b"charset=") {
        let value = &scan[at + 8..];
        let value = value.strip_prefix(b"\"").unwrap_or(value);
        let len = value
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
            .count();
        let Some(enc) = encoding_rs::Encoding::for_label(&value[..len]) else {
            continue;
        };
        if enc != encoding_rs::UTF_8 && !found.contains(&enc) {
            found.push(enc);
        }
    }
    found
}

/// Boundaries of multiparts (nested messages' included) whose closing delimiter the bytes
/// never contain, outermost first.
/// Only multiparts within the walk's caps are looked at, and each boundary is searched once
/// (a MIME bomb has thousands, and each search reads the whole message).
fn missing_closers(msg: &Message, raw: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut searched = 0;
    limits::each_part(msg, "1", |w| {
        let part = &w.msg.parts[w.index];
        if !matches!(part.body, PartType::Multipart(_))
            || out.len() >= MAX_ADDED_CLOSERS
            || searched >= MAX_SEARCHED_BOUNDARIES
        {
            return true;
        }
        if let Some(boundary) = part.content_type().and_then(|c| c.attribute("boundary")) {
            searched += 1;
            let closer = [b"--", boundary.as_bytes(), b"--"].concat();
            if memmem::find(raw, &closer).is_none() {
                out.push(boundary.as_bytes().to_vec());
            }
        }
        true
    });
    out
}

/// The first Subject among `headers`, decoded (fix 4).
pub fn subject<'a>(headers: &'a [Header<'a>]) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name == HeaderName::Subject)
        .and_then(|h| h.value.as_text())
}

/// The message's own first Subject.
pub fn message_subject<'a>(msg: &'a Message<'a>) -> Option<&'a str> {
    msg.parts.first().and_then(|p| subject(&p.headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed<R>(raw: &[u8], f: impl FnOnce(&Message<'_>) -> R) -> R {
        with_message(raw, |m| f(m.expect("the message parses")))
    }

    #[test]
    fn a_header_block_after_a_whitespace_line_keeps_its_headers() {
        let raw = b"  \r\nFrom: a@example.test\r\nSubject: Hi\r\n\r\nbody\r\n";
        let plain = MessageParser::default().parse(&raw[..]).expect("parses");
        assert!(
            plain.subject().is_none(),
            "mail-parser alone loses the headers; if this fails, fix 1 may no longer be needed"
        );
        parsed(raw, |m| {
            assert_eq!(message_subject(m), Some("Hi"), "the Subject is read");
            assert_eq!(
                m.body_text(0).as_deref(),
                Some("body\r\n"),
                "the body stays"
            );
        });
    }

    #[test]
    fn a_blank_first_line_before_a_body_is_left_alone() {
        let raw = b"\r\nno headers here, just text\r\n";
        assert_eq!(
            skip_blank_lead(raw),
            raw,
            "only a header field after it counts"
        );
    }

    #[test]
    fn raw_latin1_headers_are_decoded_by_the_declared_charset() {
        let raw = b"Subject: R\xe9union \x96 caf\xe9\r\nFrom: Jos\xe9 <j@example.test>\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\r\n\xc0 bient\xf4t\r\n";
        parsed(raw, |m| {
            assert_eq!(message_subject(m), Some("Réunion – café"), "no U+FFFD");
            let from = m.from().and_then(|f| f.first()).and_then(|a| a.name());
            assert_eq!(from, Some("José"), "addresses too");
            assert_eq!(m.body_text(0).as_deref(), Some("À bientôt\r\n"));
        });
    }

    #[test]
    fn undeclared_8bit_headers_fall_back_to_windows_1252_and_utf8_is_kept() {
        let raw = b"Subject: \x93quoted\x94\r\nX-Name: Gr\xc3\xbc\xc3\x9fe\r\n\r\nx\r\n";
        parsed(raw, |m| {
            assert_eq!(message_subject(m), Some("\u{201c}quoted\u{201d}"));
            let x = m.header_values("X-Name").next().and_then(|v| v.as_text());
            assert_eq!(x, Some("Grüße"), "a UTF-8 line is not transcoded");
        });
    }

    #[test]
    fn a_declared_multibyte_charset_that_fails_is_skipped() {
        // Shift_JIS cannot decode a lone 0xE9 followed by a space; windows-1252 follows.
        let raw = b"Subject: caf\xe9 \r\nContent-Type: text/plain; charset=shift_jis\r\n\r\nx\r\n";
        parsed(raw, |m| assert_eq!(message_subject(m), Some("café")));
    }

    #[test]
    fn a_body_without_its_closing_boundary_is_still_decoded() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
=C4=FA=BA=C3=A3=AC=B2=E2=CA=D4\r\n";
        let plain = MessageParser::default().parse(&raw[..]).expect("parses");
        let undecoded = plain.parts.iter().any(|p| match &p.body {
            PartType::Text(t) => t.contains("=C4=FA"),
            _ => false,
        });
        assert!(
            undecoded && plain.body_text(0).is_none(),
            "mail-parser alone leaves it encoded, as an attachment; if this fails, fix 3 may \
             no longer be needed"
        );
        parsed(raw, |m| {
            assert_eq!(m.body_text(0).as_deref().map(str::trim), Some("您好，测试"));
        });
    }

    #[test]
    fn the_first_of_two_subjects_wins() {
        parsed(b"Subject: first\r\nSubject: second\r\n\r\nx\r\n", |m| {
            assert_eq!(message_subject(m), Some("first"), "as most clients show it");
            assert_eq!(
                m.subject(),
                Some("second"),
                "mail-parser's own pick is the last"
            );
        });
    }

    #[test]
    fn well_formed_mail_is_parsed_from_the_stored_bytes_themselves() {
        let raw = b"Subject: fine\r\n\r\nbody\r\n";
        assert!(
            matches!(prepare(raw), Cow::Borrowed(_)),
            "no copy when nothing needs fixing"
        );
    }
}
