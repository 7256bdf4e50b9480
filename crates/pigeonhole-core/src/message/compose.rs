//! A message from fields (`model::Compose`) to MIME bytes and an envelope, with lettre's
//! builder: the API's send endpoint and (next) MCP use it, and the result goes through the
//! same ingest as SMTP mail.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::model::{Address, Compose, ComposeAttachment, Envelope, Recipient};

/// Why fields could not be made into a message; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ComposeError {
    pub field: String,
    pub message: String,
}

/// Headers the fields themselves write; giving one again would contradict the envelope or
/// break the MIME structure.
const PROTECTED: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "Date",
    "Subject",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
];

fn bad(field: &str, message: impl Into<String>) -> ComposeError {
    ComposeError {
        field: field.into(),
        message: message.into(),
    }
}

fn mailbox(field: &str, a: &Address) -> Result<Mailbox, ComposeError> {
    let email = a.address.trim().parse().map_err(|e| {
        bad(
            field,
            format!("\"{}\" is not an email address ({e})", a.address),
        )
    })?;
    let name = a
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Ok(Mailbox::new(name, email))
}

/// The type a file name suggests, for an attachment sent without one.
pub fn guess_content_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "ics" => "text/calendar",
        "eml" => "message/rfc822",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

fn attachment(i: usize, a: &ComposeAttachment) -> Result<SinglePart, ComposeError> {
    let field = format!("attachments[{i}]");
    let name = a.file_name.trim();
    if name.is_empty() {
        return Err(bad(&field, "needs a file name"));
    }
    let ct = a
        .content_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| guess_content_type(name));
    let ct = ContentType::parse(ct)
        .map_err(|_| bad(&field, format!("\"{ct}\" is not a content type")))?;
    let part = match a
        .content_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(cid) => Attachment::new_inline_with_name(cid.to_string(), name.to_string()),
        None => Attachment::new(name.to_string()),
    };
    Ok(part.body(a.bytes.clone(), ct))
}

fn body(c: &Compose) -> Result<MultiPart, ComposeError> {
    let text = c.text.clone();
    let html = c.html.clone();
    let content = match (text, html) {
        (Some(t), Some(h)) => MultiPart::alternative_plain_html(t, h),
        (None, Some(h)) => MultiPart::mixed().singlepart(SinglePart::html(h)),
        (Some(t), None) => MultiPart::mixed().singlepart(SinglePart::plain(t)),
        (None, None) => MultiPart::mixed().singlepart(SinglePart::plain(String::new())),
    };
    let mut mixed = MultiPart::mixed().multipart(content);
    for (i, a) in c.attachments.iter().enumerate() {
        mixed = mixed.singlepart(attachment(i, a)?);
    }
    Ok(mixed)
}

/// Builds the message and its envelope (From as MAIL FROM; To, Cc and Bcc as RCPT TO).
/// Date and Message-ID are added unless `headers` sets them.
pub fn compose(c: &Compose) -> Result<(Envelope, Vec<u8>), ComposeError> {
    let from = c.from.as_ref().ok_or_else(|| bad("from", "is required"))?;
    let from_box = mailbox("from", from)?;
    let mut b = Message::builder()
        .from(from_box.clone())
        .subject(c.subject.clone());
    let mut rcpt: Vec<String> = Vec::new();
    for (i, a) in c.to.iter().enumerate() {
        let m = mailbox(&format!("to[{i}]"), a)?;
        rcpt.push(m.email.to_string());
        b = b.to(m);
    }
    for (i, a) in c.cc.iter().enumerate() {
        let m = mailbox(&format!("cc[{i}]"), a)?;
        rcpt.push(m.email.to_string());
        b = b.cc(m);
    }
    for (i, a) in c.bcc.iter().enumerate() {
        let m = mailbox(
            &format!("bcc[{i}]"),
            &Address {
                name: None,
                address: a.clone(),
            },
        )?;
        rcpt.push(m.email.to_string());
    }
    for (i, a) in c.reply_to.iter().enumerate() {
        b = b.reply_to(mailbox(&format!("reply_to[{i}]"), a)?);
    }
    if rcpt.is_empty() {
        return Err(bad(
            "to",
            "at least one recipient (To, Cc or Bcc) is required",
        ));
    }
    let mut has_message_id = false;
    for (name, value) in &c.headers {
        let field = format!("headers.{name}");
        if value.contains(['\r', '\n']) {
            return Err(bad(&field, "a header value cannot contain a line break"));
        }
        // RFC 5322 §3.6.8: printable ASCII but the colon. lettre checks less than that.
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(bad(
                &field,
                "is not a header name (printable ASCII without a colon)",
            ));
        }
        if PROTECTED.iter().any(|p| p.eq_ignore_ascii_case(name))
            || (!c.tags.is_empty() && name.eq_ignore_ascii_case("X-Tags"))
        {
            return Err(bad(
                &field,
                "is set from its own field and cannot be given as a header",
            ));
        }
        let header = HeaderName::new_from_ascii(name.to_string())
            .map_err(|_| bad(&field, "is not a header name"))?;
        has_message_id |= name.eq_ignore_ascii_case("message-id");
        b = b.raw_header(HeaderValue::new(header, value.clone()));
    }
    if !c.tags.is_empty() {
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Tags"),
            c.tags.join(", "),
        ));
    }
    if !has_message_id {
        b = b.message_id(None);
    }
    let envelope = lettre::address::Envelope::new(Some(from_box.email.clone()), {
        rcpt.iter().filter_map(|r| r.parse().ok()).collect()
    })
    .map_err(|e| bad("to", e.to_string()))?;
    let message = b
        .envelope(envelope)
        .multipart(body(c)?)
        .map_err(|e| bad("message", e.to_string()))?;
    let envelope = Envelope {
        mail_from: from_box.email.to_string(),
        mail_params: Vec::new(),
        rcpt_to: rcpt
            .into_iter()
            .map(|address| Recipient {
                address,
                params: Vec::new(),
            })
            .collect(),
    };
    Ok((envelope, message.formatted()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(a: &str) -> Address {
        Address {
            name: None,
            address: a.into(),
        }
    }

    #[test]
    fn builds_text_html_and_attachments_into_one_message() {
        let c = Compose {
            from: Some(Address {
                name: Some("Shop".into()),
                address: "shop@example.test".into(),
            }),
            to: vec![addr("ann@example.test")],
            bcc: vec!["audit@example.test".into()],
            subject: "Your receipt €".into(),
            text: Some("Thanks".into()),
            html: Some("<p>Thanks</p>".into()),
            attachments: vec![ComposeAttachment {
                file_name: "receipt.pdf".into(),
                bytes: b"%PDF-1.4".to_vec(),
                ..Default::default()
            }],
            headers: vec![("X-Campaign".into(), "spring".into())],
            tags: vec!["receipts".into()],
            ..Default::default()
        };
        let (env, raw) = compose(&c).expect("composes");
        assert_eq!(env.mail_from, "shop@example.test");
        let rcpt: Vec<&str> = env.rcpt_to.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(rcpt, ["ann@example.test", "audit@example.test"]);
        let text = String::from_utf8_lossy(&raw);
        assert!(
            !text.contains("audit@example.test"),
            "Bcc stays out of the headers"
        );
        let parsed = crate::message::summarize(&raw);
        assert_eq!(parsed.subject, "Your receipt €");
        assert!(parsed.has_attachments);
        assert_eq!(parsed.attachments, 1);
        assert_eq!(parsed.attachment_names, ["receipt.pdf"]);
        assert_eq!(parsed.x_tags, ["receipts"]);
        assert!(parsed.message_id.is_some(), "a Message-ID is added");
        assert!(text.contains("X-Campaign: spring"));
    }

    #[test]
    fn each_problem_names_its_field() {
        let none = compose(&Compose::default()).unwrap_err();
        assert_eq!(none.field, "from");
        let c = Compose {
            from: Some(addr("not an address")),
            to: vec![addr("a@example.test")],
            ..Default::default()
        };
        assert_eq!(compose(&c).unwrap_err().field, "from");
        let c = Compose {
            from: Some(addr("a@example.test")),
            ..Default::default()
        };
        assert_eq!(compose(&c).unwrap_err().field, "to");
        let c = Compose {
            from: Some(addr("a@example.test")),
            to: vec![addr("b@example.test")],
            headers: vec![("X-Evil".into(), "a\r\nBcc: x@example.test".into())],
            ..Default::default()
        };
        assert_eq!(compose(&c).unwrap_err().field, "headers.X-Evil");
        for name in ["X-A\r\nBcc", "X-A\r\n\r\nbody", "X A", "Content-Type", "to"] {
            let c = Compose {
                from: Some(addr("a@example.test")),
                to: vec![addr("b@example.test")],
                headers: vec![(name.into(), "x@example.test".into())],
                ..Default::default()
            };
            let e = compose(&c).expect_err(name);
            assert!(e.field.starts_with("headers."), "{name}: {e}");
        }
    }
}
