//! A message as bounded plain text, for a reader that pays for every character.

use mail_parser::Message;

use super::detail::{attachments, envelope_view, headers};
use super::{body, extract, parse, without_binary_bodies, Elided};
use crate::model::BodyBlock;
use crate::model::{Clipped, MessageReading, MessageSummary, StoredEnvelope};

impl MessageReading {
    /// The reading of `raw`, each body cut to `max_chars` characters, its lines ending in
    /// `\n`. Never fails: mail that does not parse is read as its bytes, as the full view
    /// does.
    pub fn build(
        summary: MessageSummary,
        stored: StoredEnvelope,
        raw: &[u8],
        max_chars: usize,
    ) -> MessageReading {
        // As the detail view does: a large attachment is not decoded to be read as text; its
        // size comes from its encoded body.
        let (skeleton, elided) = without_binary_bodies(raw, false);
        parse::with_message(&skeleton, |msg| {
            Self::from_parsed(summary, stored, raw, msg, max_chars, &elided)
        })
    }

    fn from_parsed(
        summary: MessageSummary,
        stored: StoredEnvelope,
        raw: &[u8],
        msg: Option<&Message>,
        max_chars: usize,
        elided: &Elided,
    ) -> MessageReading {
        let mut envelope = envelope_view(&stored.envelope);
        let Some(msg) = msg else {
            envelope.bcc = envelope.rcpt_to.iter().map(|r| r.address.clone()).collect();
            return MessageReading {
                summary,
                envelope,
                headers: Vec::new(),
                text: Some(clip(
                    &String::from_utf8_lossy(raw).replace("\r\n", "\n"),
                    max_chars,
                )),
                html_text: None,
                attached_text: None,
                attachments: Vec::new(),
                not_walked: None,
            };
        };
        envelope.bcc = summary.bcc();
        // The message's own parts: mail-parser's body_text would make text out of the
        // HTML when there is no text part, hiding that a text-only client sees nothing.
        let (text, html) = extract::bodies(msg);
        let blocks = body::blocks(msg, "1", 0, &mut body::Budget::new(None));
        // What only the walk finds: everything past the first body block, or all of it when
        // the message has no body of its own (a message/rfc822 root).
        let extra = match blocks.first() {
            Some(BodyBlock::Body { .. }) if text.is_some() || html.is_some() => &blocks[1..],
            _ => &blocks[..],
        };
        let mut attached = String::new();
        body::reading_text(extra, &mut attached);
        MessageReading {
            attached_text: (!attached.trim().is_empty())
                .then(|| clip(&attached.replace("\r\n", "\n"), max_chars)),
            text: text.map(|t| clip(&t.replace("\r\n", "\n"), max_chars)),
            html_text: html.map(|h| {
                clip(
                    mail_parser::decoders::html::html_to_text(h).trim(),
                    max_chars,
                )
            }),
            headers: headers(msg),
            attachments: attachments(msg, elided),
            not_walked: super::limits::cut(msg).map(|c| c.sentence()),
            summary,
            envelope,
        }
    }
}

/// The first `max` characters of `s`, cut at a character boundary.
pub fn clip(s: &str, max: usize) -> Clipped {
    let total = s.chars().count();
    let text = match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_string(),
        None => s.to_string(),
    };
    Clipped {
        text,
        total_chars: total as u64,
        truncated: total > max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Envelope, Recipient};

    fn read(raw: &str, max: usize) -> MessageReading {
        let stored = StoredEnvelope {
            envelope: Envelope {
                mail_from: "app@example.test".into(),
                mail_params: Vec::new(),
                rcpt_to: vec![Recipient {
                    address: "ann@example.test".into(),
                    params: Vec::new(),
                }],
            },
            transcript_range: (0, 0),
            auth_user: None,
        };
        let parsed = crate::message::summarize(raw.as_bytes());
        let summary = MessageSummary {
            id: 1,
            session_id: 1,
            received_at: chrono::Utc::now(),
            mail_from: "app@example.test".into(),
            rcpt_to: vec!["ann@example.test".into()],
            from: parsed.from,
            to: parsed.to,
            cc: parsed.cc,
            subject: parsed.subject,
            date: parsed.date,
            size: raw.len() as u64,
            has_attachments: parsed.has_attachments,
            attachments: parsed.attachments,
            snippet: parsed.snippet,
            read: false,
            pinned: false,
            tags: Vec::new(),
            auth_user: None,
            listener: "default".into(),
            message_id: parsed.message_id,
            reply_to: parsed.reply_to,
            lint_errors: 0,
            lint_warnings: 0,
        };
        MessageReading::build(summary, stored, raw.as_bytes(), max)
    }

    #[test]
    fn a_large_attachment_is_listed_with_its_decoded_size_and_the_text_still_read() {
        use base64::Engine as _;
        let blob: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&blob);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let raw = format!(
            "Subject: Report\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n\
             --b\r\nContent-Type: application/pdf; name=r.pdf\r\n\
             Content-Disposition: attachment; filename=r.pdf\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            lines.join("\r\n")
        );
        let (skeleton, _) = without_binary_bodies(raw.as_bytes(), false);
        assert!(
            skeleton.len() < 10_000,
            "the attachment's body is left out of the parse"
        );
        let r = read(&raw, 1000);
        assert_eq!(
            r.text.expect("the text part").text,
            "The report is attached."
        );
        assert_eq!(r.attachments.len(), 1);
        assert_eq!(r.attachments[0].filename, "r.pdf");
        assert_eq!(r.attachments[0].size, blob.len() as u64, "its decoded size");
    }

    #[test]
    fn clipping_counts_characters_and_says_what_was_cut() {
        let c = clip("héllo wörld", 5);
        assert_eq!(c.text, "héllo", "five characters, not five bytes");
        assert_eq!(c.total_chars, 11, "the whole length is reported");
        assert!(c.truncated, "a cut text says so");
        let whole = clip("short", 5);
        assert_eq!(whole.text, "short");
        assert!(!whole.truncated, "text within the budget is not marked cut");
    }

    #[test]
    fn an_html_only_message_has_no_text_body_and_its_html_is_read_as_text() {
        let r = read(
            "Subject: Confirm\r\nTo: ann@example.test\r\nContent-Type: text/html\r\n\r\n\
             <html><head><style>p{color:red}</style></head><body><p>Your code is \
             <b>482913</b>.</p><p><a href=\"https://x.test/c\">Confirm &amp; go</a></p></body></html>",
            1000,
        );
        assert!(
            r.text.is_none(),
            "no text/plain part means no text body: {:?}",
            r.text
        );
        let html = r.html_text.expect("the HTML body is read");
        assert!(
            html.text.contains("Your code is 482913.") && html.text.contains("Confirm & go"),
            "markup dropped, entities decoded: {:?}",
            html.text
        );
        assert!(
            !html.text.contains("color") && !html.text.contains('<'),
            "no CSS and no tags: {:?}",
            html.text
        );
        assert!(r.envelope.bcc.is_empty(), "ann is in To, so not a Bcc");
    }

    #[test]
    fn bodies_are_cut_to_the_budget_and_attachments_listed() {
        let body = "x".repeat(50);
        let r = read(
            &format!(
                "Subject: Report\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=b\r\n\r\n\
                 --b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n\
                 --b\r\nContent-Type: application/pdf\r\n\
                 Content-Disposition: attachment; filename=\"r.pdf\"\r\n\r\n%PDF-1\r\n--b--\r\n"
            ),
            10,
        );
        let text = r.text.expect("a text body");
        assert_eq!(text.text, "x".repeat(10), "cut to 10 characters");
        assert!(
            !read("Subject: a\r\n\r\none\r\ntwo\r\n", 100)
                .text
                .expect("a text body")
                .text
                .contains('\r'),
            "lines end in \\n"
        );
        assert!(text.truncated && text.total_chars >= 50, "{text:?}");
        assert_eq!(r.attachments.len(), 1, "{:?}", r.attachments);
        assert_eq!(r.attachments[0].filename, "r.pdf");
        assert_eq!(r.attachments[0].part_id, "1.2", "the path in the MIME tree");
        assert!(
            r.envelope.bcc == ["ann@example.test"],
            "a recipient in no header is the Bcc: {:?}",
            r.envelope.bcc
        );
        assert!(
            r.headers
                .iter()
                .any(|h| h.name == "Subject" && h.decoded == "Report"),
            "{:?}",
            r.headers
        );
    }

    #[test]
    fn a_forwarded_message_is_read_as_attached_text_with_its_headers() {
        let r = read(
            "Subject: Fwd: numbers\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=o\r\n\r\n\
             --o\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\
             --o\r\nContent-Type: message/rfc822\r\n\r\n\
             From: Bob <bob@example.test>\r\nSubject: numbers\r\n\r\nRevenue is up.\r\n\
             --o--\r\n",
            1000,
        );
        assert_eq!(
            r.text.as_ref().map(|t| t.text.trim()),
            Some("See below."),
            "the own body stays the own body"
        );
        let attached = r.attached_text.expect("the forwarded message is read");
        assert!(
            attached.text.contains("Forwarded message")
                && attached.text.contains("From: Bob <bob@example.test>")
                && attached.text.contains("Subject: numbers")
                && attached.text.contains("Revenue is up."),
            "headers and text of the inner message: {:?}",
            attached.text
        );
        assert!(!attached.text.contains('\r'), "lines end in \\n");
        let plain = read("Subject: a\r\n\r\njust text\r\n", 100);
        assert!(
            plain.attached_text.is_none(),
            "nothing attached, nothing read"
        );
    }

    #[test]
    fn a_message_rfc822_root_has_no_own_text_but_its_inner_text_is_read() {
        let r = read(
            "Subject: wrapper\r\nContent-Type: message/rfc822\r\n\r\n\
             Subject: inner\r\n\r\nInside.\r\n",
            1000,
        );
        assert!(r.text.is_none(), "the wrapper has no text part of its own");
        let attached = r.attached_text.expect("the inner message");
        assert!(attached.text.contains("Inside."), "{:?}", attached.text);
    }
}
