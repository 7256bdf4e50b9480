//! Delivery reports: the fields of a `message/delivery-status` (RFC 3464 §2) or
//! `message/disposition-notification` (RFC 8098 §3) part.
//!
//! Both are blocks of header-like fields separated by blank lines: the first block is about
//! the message, each further block about one recipient (a disposition notification has its
//! one recipient in the same block). Pure and bounded.

use crate::model::{DeliveryReport, ReportField, ReportKind, ReportRecipient};

/// Most bytes read from a report part.
const MAX_BYTES: usize = 256 * 1024;
/// Most recipient blocks kept.
const MAX_RECIPIENTS: usize = 500;
/// Most fields kept per block.
const MAX_FIELDS: usize = 100;

/// The report in `body`.
pub fn parse(kind: ReportKind, body: &[u8]) -> DeliveryReport {
    let body = &body[..body.len().min(MAX_BYTES)];
    let text = String::from_utf8_lossy(body);
    let mut blocks = fields_blocks(&text).into_iter();
    let first = blocks.next().unwrap_or_default();
    let mut report = DeliveryReport {
        kind,
        message_fields: Vec::new(),
        recipients: Vec::new(),
    };
    match kind {
        ReportKind::DeliveryStatus => {
            report.message_fields = first;
            report.recipients = blocks
                .take(MAX_RECIPIENTS)
                .map(recipient)
                .filter(|r| !r.fields.is_empty())
                .collect();
        }
        ReportKind::DispositionNotification => {
            // RFC 8098 has one block; its recipient fields are pulled out, the rest stay.
            let is_recipient = |f: &ReportField| {
                is_named(f, "final-recipient") || is_named(f, "original-recipient")
            };
            let recipient_fields = first
                .iter()
                .filter(|f| is_recipient(f) || is_named(f, "disposition"))
                .cloned()
                .collect::<Vec<_>>();
            report.message_fields = first
                .into_iter()
                .filter(|f| !is_recipient(f) && !is_named(f, "disposition"))
                .collect();
            if !recipient_fields.is_empty() {
                report.recipients.push(recipient(recipient_fields));
            }
        }
    }
    report
}

fn is_named(f: &ReportField, name: &str) -> bool {
    f.name.eq_ignore_ascii_case(name)
}

/// A recipient block's fields, the common ones pulled out.
fn recipient(fields: Vec<ReportField>) -> ReportRecipient {
    let get = |name: &str| {
        fields
            .iter()
            .find(|f| is_named(f, name))
            .map(|f| f.value.clone())
    };
    ReportRecipient {
        final_recipient: get("final-recipient").map(|v| without_type(&v)),
        original_recipient: get("original-recipient").map(|v| without_type(&v)),
        action: get("action").map(|v| v.to_ascii_lowercase()),
        status: get("status"),
        diagnostic_code: get("diagnostic-code").map(|v| without_type(&v)),
        remote_mta: get("remote-mta").map(|v| without_type(&v)),
        disposition: get("disposition"),
        fields,
    }
}

/// `rfc822; a@b` -> `a@b`: the address or diagnostic type (RFC 3464 §2.1.2) dropped.
fn without_type(value: &str) -> String {
    match value.split_once(';') {
        Some((kind, rest))
            if !kind.is_empty()
                && kind
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            rest.trim().to_string()
        }
        _ => value.trim().to_string(),
    }
}

/// The blank-line separated blocks of `Name: value` fields, continuation lines unfolded.
fn fields_blocks(text: &str) -> Vec<Vec<ReportField>> {
    let mut blocks = Vec::new();
    let mut block: Vec<ReportField> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = block.last_mut() {
                last.value.push(' ');
                last.value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if block.len() < MAX_FIELDS {
                block.push(ReportField {
                    name: name.trim().to_string(),
                    value: value.trim().to_string(),
                });
            }
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounce_has_message_fields_and_one_entry_per_recipient() {
        let r = parse(
            ReportKind::DeliveryStatus,
            b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@x.test\r\n\
Action: Failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 no\r\n  such user\r\n\
Remote-MTA: dns; mx.x.test\r\n\r\nFinal-Recipient: rfc822;b@y.test\r\nAction: delayed\r\n\
Status: 4.4.1\r\n",
        );
        assert_eq!(r.message_fields.len(), 1, "{:?}", r.message_fields);
        assert_eq!(r.recipients.len(), 2, "two recipient blocks");
        let a = &r.recipients[0];
        assert_eq!(
            a.final_recipient.as_deref(),
            Some("a@x.test"),
            "type dropped"
        );
        assert_eq!(a.action.as_deref(), Some("failed"), "action lower-cased");
        assert_eq!(a.status.as_deref(), Some("5.1.1"));
        assert_eq!(
            a.diagnostic_code.as_deref(),
            Some("550 no such user"),
            "continuation lines unfolded"
        );
        assert_eq!(a.remote_mta.as_deref(), Some("mx.x.test"));
        assert_eq!(r.recipients[1].final_recipient.as_deref(), Some("b@y.test"));
    }

    #[test]
    fn a_read_receipt_has_its_disposition_and_recipient() {
        let r = parse(
            ReportKind::DispositionNotification,
            b"Reporting-UA: ua.example; Mail\r\nFinal-Recipient: rfc822;e@x.test\r\n\
Original-Message-ID: <m@x>\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n",
        );
        assert_eq!(r.recipients.len(), 1);
        assert_eq!(r.recipients[0].final_recipient.as_deref(), Some("e@x.test"));
        assert_eq!(
            r.recipients[0].disposition.as_deref(),
            Some("manual-action/MDN-sent-manually; displayed")
        );
        assert!(
            r.message_fields
                .iter()
                .any(|f| f.name == "Original-Message-ID"),
            "{:?}",
            r.message_fields
        );
    }

    #[test]
    fn garbage_gives_an_empty_report() {
        let r = parse(ReportKind::DeliveryStatus, b"\xff\xfe\x00 nonsense");
        assert!(
            r.recipients.is_empty() && r.message_fields.is_empty(),
            "{r:?}"
        );
    }
}
