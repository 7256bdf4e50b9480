//! Mail in and out of files: `.eml`, mbox and Maildir. Pure readers and writers over
//! `Read`/`Write` and directories; `commands::import` feeds what they read through the
//! same ingest and writer path as SMTP, and `commands::export` writes the stored bytes.
//!
//! - `eml`: one message per file, as it is.
//! - `mbox`: mboxo/mboxrd read, mboxrd written, one message in memory at a time.
//! - `maildir`: `cur/` and `new/` of a Maildir (and its Maildir++ `.Sub` folders), read
//!   and written.
//! - `envelope`: the envelope an imported message gets, from the mbox `From ` line and
//!   Return-Path / X-Original-To / Delivered-To, else its headers.
//! - `detect`: what a path holds, from its content and structure.

pub mod detect;
pub mod eml;
pub mod envelope;
pub mod maildir;
pub mod mbox;

pub use detect::{detect, Kind};

/// Where the header section ends: the offset of the first body byte, after the blank line;
/// `None` when there is no blank line.
pub fn header_end(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            return Some(at);
        }
    }
    None
}

/// The unfolded values of every header field called `name` (any case), as text.
pub fn header_values(header: &[u8], name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        if text.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(text.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            out.push(c);
        }
        if let Some((n, v)) = text.split_once(':') {
            if n.trim().eq_ignore_ascii_case(name) {
                current = Some(v.trim().to_string());
            }
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_unfolded_and_found_in_any_case() {
        let h = b"Delivered-To: a@x\r\nSubject: s\r\ndelivered-to: b@x,\r\n  c@x\r\n\r\nDelivered-To: body@x\r\n";
        assert_eq!(header_values(h, "Delivered-To"), vec!["a@x", "b@x, c@x"]);
        assert_eq!(
            header_end(h),
            Some(h.len() - "Delivered-To: body@x\r\n".len())
        );
        assert_eq!(header_end(b"Subject: never ends\r\n"), None);
    }
}
