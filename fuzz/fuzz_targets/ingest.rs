//! The ingest path and the on-demand views on arbitrary message bytes: the summary
//! (`message::summarize`), lint (as SMTP mail and as imported mail), the search-index text,
//! the detail view with its body blocks, links and codes, and the HTML check. None may
//! panic, and the summary must agree with itself run twice (it is derived data that is
//! rebuilt from the raw bytes).
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use pigeonhole_core::lint::{self, Input, Transport};
use pigeonhole_core::message::{extract, html_check, parse, summarize};
use pigeonhole_core::model::{Envelope, MessageDetail, MessageSummary, Recipient, StoredEnvelope};
use pigeonhole_core::store::index_text;

fuzz_target!(|raw: &[u8]| {
    let parsed = summarize(raw);
    assert_eq!(
        summarize(raw),
        parsed,
        "the summary of the same bytes changed"
    );
    let received_at = DateTime::from_timestamp(1_796_000_000, 0).expect("a fixed time");
    for transport in [
        Some(Transport::default()),
        Some(Transport {
            eight_bit: true,
            smtputf8: true,
        }),
        None,
    ] {
        let report = lint::check(&Input {
            raw,
            mail_from: "app@example.test",
            transport,
            received_at,
        });
        assert_eq!(
            report.findings.len(),
            (report.errors + report.warnings + report.infos) as usize,
            "lint counts do not add up to its findings"
        );
    }
    let envelope = Envelope {
        mail_from: "app@example.test".into(),
        mail_params: Vec::new(),
        rcpt_to: vec![Recipient {
            address: "qa@example.test".into(),
            params: Vec::new(),
        }],
    };
    let _ = index_text(&envelope, parsed.clone(), Some("user"), "default");

    let summary = MessageSummary {
        id: 1,
        session_id: 1,
        received_at,
        mail_from: envelope.mail_from.clone(),
        rcpt_to: vec!["qa@example.test".into()],
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
    let stored = StoredEnvelope {
        envelope,
        transcript_range: (0, 0),
        auth_user: None,
    };
    let _ = MessageDetail::build(summary, stored, raw);

    parse::with_message(raw, |msg| {
        let Some(msg) = msg else { return };
        let (text, html) = extract::bodies(msg);
        let _ = extract::links(text, html);
        let _ = extract::all_links(text, html);
        let _ = extract::codes(text, html);
        if let Some(html) = html {
            let _ = html_check::check(html);
            let _ = html_check::resources(html);
        }
    });
});
