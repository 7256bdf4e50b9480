//! Golden tests for every MIME shape: each `tests/fixtures/mime/NAME.eml` is parsed into the
//! view the window shows, and compared with `NAME.json` beside it. On a mismatch the actual
//! view is written to `NAME.actual.json` (git-ignored) and the test fails naming it; to
//! accept a change, review the diff and move the actual file over the golden one.

use std::path::{Path, PathBuf};

use pigeonhole_core::message::summarize;
use pigeonhole_core::model::{
    Envelope, MessageDetail, MessageSummary, MimePart, Recipient, StoredEnvelope,
};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime")
}

fn detail(raw: &[u8]) -> MessageDetail {
    let parsed = summarize(raw);
    let summary = MessageSummary {
        id: 1,
        session_id: 1,
        received_at: chrono::DateTime::from_timestamp(1_796_000_000, 0).expect("a time"),
        mail_from: "app@example.test".into(),
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
        envelope: Envelope {
            mail_from: "app@example.test".into(),
            mail_params: Vec::new(),
            rcpt_to: vec![Recipient {
                address: "qa@example.test".into(),
                params: Vec::new(),
            }],
        },
        transcript_range: (0, 0),
        auth_user: None,
    };
    MessageDetail::build(summary, stored, raw)
}

fn tree(p: &MimePart) -> Value {
    let mut node = json!({ "id": p.id, "type": p.content_type });
    if let Some(f) = &p.filename {
        node["filename"] = json!(f);
    }
    if !p.children.is_empty() {
        node["children"] = p.children.iter().map(tree).collect();
    }
    node
}

/// The parts of the view that matter for reading, with the index's text alongside.
fn view(raw: &[u8]) -> Value {
    let d = detail(raw);
    let summary = summarize(raw);
    json!({
        "summary": {
            "subject": d.summary.subject,
            "from": d.summary.from,
            "snippet": d.summary.snippet,
            "attachments": d.summary.attachments,
            "attachment_names": summary.attachment_names,
        },
        "headers": d.headers.iter()
            .filter(|h| ["From", "To", "Subject", "Date"].contains(&h.name.as_str()))
            .map(|h| json!([h.name, h.decoded]))
            .collect::<Vec<_>>(),
        "text": d.text,
        "body": d.body,
        "parts": tree(&d.parts),
        "attachments": d.attachments.iter()
            .map(|a| json!({ "part_id": a.part_id, "filename": a.filename, "type": a.content_type }))
            .collect::<Vec<_>>(),
        "index_text": summary.body_text,
    })
}

#[test]
fn every_mime_fixture_parses_to_its_golden_view() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("the fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "a fixture per shape: {names:?}");
    let mut failed = Vec::new();
    for eml in &names {
        let raw = std::fs::read(eml).expect("a fixture");
        let actual = view(&raw);
        let golden_path = eml.with_extension("json");
        let actual_path = eml.with_extension("actual.json");
        let golden: Option<Value> = std::fs::read(&golden_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if golden.as_ref() == Some(&actual) {
            let _ = std::fs::remove_file(&actual_path);
        } else {
            let pretty = serde_json::to_string_pretty(&actual).expect("json") + "\n";
            std::fs::write(&actual_path, pretty).expect("write the actual view");
            failed.push(format!(
                "{} differs from {}",
                actual_path.display(),
                golden_path.display()
            ));
        }
    }
    assert!(failed.is_empty(), "golden mismatch:\n{}", failed.join("\n"));
}

#[test]
fn a_forwarded_part_is_addressable_inside_and_named_after_its_subject() {
    let raw = std::fs::read(fixtures().join("forwarded.eml")).expect("fixture");
    let (bytes, ctype, name) =
        pigeonhole_core::message::part_bytes(&raw, "1.2").expect("the forwarded part");
    assert_eq!(ctype, "message/rfc822");
    assert_eq!(
        name.as_deref(),
        Some("Quarterly numbers.eml"),
        "named after its subject"
    );
    assert!(
        bytes.starts_with(b"From: Bob Sender"),
        "the part's bytes are the inner message"
    );
    let (pdf, ctype, name) =
        pigeonhole_core::message::part_bytes(&raw, "1.2.1.2").expect("the inner PDF");
    assert_eq!(ctype, "application/pdf");
    assert_eq!(name.as_deref(), Some("q3.pdf"));
    assert!(pdf.starts_with(b"%PDF-1.4"), "decoded from base64: {pdf:?}");
    assert!(
        pigeonhole_core::message::part_bytes(&raw, "1.2.9").is_none(),
        "a path that is not there is none"
    );
}

#[test]
fn a_calendar_part_downloads_with_an_ics_name() {
    let raw = std::fs::read(fixtures().join("calendar.eml")).expect("fixture");
    let (bytes, _, name) =
        pigeonhole_core::message::part_bytes(&raw, "1.2").expect("the ics attachment");
    assert_eq!(
        name.as_deref(),
        Some("invite.ics"),
        "`.ics` added to its name"
    );
    assert!(bytes.starts_with(b"BEGIN:VCALENDAR"), "decoded");
    let (_, ctype, name) =
        pigeonhole_core::message::part_bytes(&raw, "1.1.3").expect("the text/calendar part");
    assert_eq!(ctype, "text/calendar");
    assert_eq!(
        name.as_deref(),
        Some("invite.ics"),
        "a nameless calendar is invite.ics"
    );
}

#[test]
fn the_stored_bytes_are_never_changed_by_parsing() {
    for name in ["yahoo-whitespace", "latin1-headers", "gb2312-no-close"] {
        let path = fixtures().join(format!("{name}.eml"));
        let raw = std::fs::read(&path).expect("fixture");
        let copy = raw.clone();
        let d = detail(&raw);
        assert_eq!(raw, copy, "{name}: parsing works on its own copy");
        assert!(!d.body.is_empty(), "{name}: something to read");
        assert!(!d.headers.is_empty(), "{name}: headers found");
    }
}

// MIME bombs: generated here (never committed as multi-MB fixtures), each run on a thread
// with a small stack so any walk that recursed with the nesting would overflow it.

fn nested_multiparts(levels: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: a@example.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b0\r\n\r\n",
    );
    for i in 0..levels {
        m.push_str(&format!(
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
            i + 1
        ));
    }
    m.push_str(&format!(
        "--b{levels}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{levels}--\r\n"
    ));
    for i in (0..levels).rev() {
        m.push_str(&format!("--b{i}--\r\n"));
    }
    m.into_bytes()
}

fn nested_messages(levels: usize) -> Vec<u8> {
    let mut m = String::new();
    for i in 0..levels {
        m.push_str(&format!(
            "From: a@example.test\r\nSubject: level {i}\r\nMIME-Version: 1.0\r\n\
             Content-Type: message/rfc822\r\n\r\n"
        ));
    }
    m.push_str("From: a@example.test\r\nSubject: inner\r\n\r\ndeep\r\n");
    m.into_bytes()
}

fn siblings(n: usize, ctype: &str) -> Vec<u8> {
    let mut m = String::from(
        "From: a@example.test\r\nSubject: siblings\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=s\r\n\r\n",
    );
    for i in 0..n {
        m.push_str(&format!(
            "--s\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=p{i}\r\n\r\n{i}\r\n"
        ));
    }
    m.push_str("--s--\r\n");
    m.into_bytes()
}

/// Runs `f` on a thread with a 512 KiB stack (a debug build's frames are large; a walk that
/// recursed once per level would need megabytes for 20 000 levels).
fn small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no stack overflow or panic")
}

/// Every walker on `raw`: summary and index text, the detail (blocks, parts tree,
/// attachments), the reading, part downloads and lint. Returns the detail's JSON size,
/// the detail and the lint report.
fn walk_everything(raw: Vec<u8>) -> (usize, MessageDetail, pigeonhole_core::model::LintReport) {
    small_stack(move || {
        let summary = summarize(&raw);
        assert!(
            summary.body_text.len() <= 64 * 1024 && summary.attachment_names.len() <= 10_000,
            "the index text stays bounded"
        );
        let d = detail(&raw);
        let json = serde_json::to_vec(&d).expect("serializes");
        let deep_id = std::iter::repeat_n("1", 60).collect::<Vec<_>>().join(".");
        let _ = pigeonhole_core::message::part_bytes(&raw, &deep_id);
        let _ = pigeonhole_core::message::part_bytes(&raw, "1.9999");
        let report = pigeonhole_core::lint::check(&pigeonhole_core::lint::Input {
            raw: &raw,
            mail_from: "app@example.test",
            transport: None,
            received_at: chrono::Utc::now(),
        });
        (json.len(), d, report)
    })
}

fn has_finding(report: &pigeonhole_core::model::LintReport, id: &str) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.id == id && f.severity == pigeonhole_core::model::Severity::Error)
}

fn depth_of(p: &MimePart) -> usize {
    1 + p.children.iter().map(depth_of).max().unwrap_or(0)
}

#[test]
fn twenty_thousand_nested_multiparts_are_walked_to_the_cap_and_said_to_go_on() {
    let (size, d, report) = walk_everything(nested_multiparts(20_000));
    assert!(
        size < 2 * 1024 * 1024,
        "the detail stays small: {size} bytes"
    );
    assert_eq!(
        depth_of(&d.parts),
        pigeonhole_core::message::limits::MAX_PART_DEPTH + 1,
        "the Parts tree goes down to the cap and no further"
    );
    let note = d.not_walked.as_deref().unwrap_or_default();
    assert!(
        note.contains("20001 levels deep") && note.contains("not walked"),
        "the detail says what was not walked: {note:?}"
    );
    assert!(
        has_finding(&report, "mime-too-deep"),
        "{:?}",
        report.findings
    );
}

#[test]
fn twenty_thousand_nested_messages_are_walked_to_the_cap_and_dropped_without_recursion() {
    let (size, d, report) = walk_everything(nested_messages(20_000));
    assert!(
        size < 2 * 1024 * 1024,
        "the detail stays small: {size} bytes"
    );
    assert!(
        depth_of(&d.parts) <= pigeonhole_core::message::limits::MAX_PART_DEPTH + 1,
        "the Parts tree stops at the cap"
    );
    assert!(
        d.not_walked.is_some(),
        "the detail says the rest was not walked"
    );
    assert!(
        has_finding(&report, "mime-too-deep"),
        "{:?}",
        report.findings
    );
}

#[test]
fn a_hundred_thousand_siblings_are_walked_to_the_part_cap() {
    for ctype in ["application/octet-stream", "text/plain"] {
        let (size, d, report) = walk_everything(siblings(100_000, ctype));
        assert!(
            size < 8 * 1024 * 1024,
            "{ctype}: the detail stays small: {size} bytes"
        );
        assert!(
            d.attachments.len() < pigeonhole_core::message::limits::MAX_PARTS,
            "{ctype}: attachments within the part cap: {}",
            d.attachments.len()
        );
        assert!(
            d.parts.children.len() < pigeonhole_core::message::limits::MAX_PARTS,
            "{ctype}: the Parts tree within the cap"
        );
        let note = d.not_walked.as_deref().unwrap_or_default();
        assert!(note.contains("100001 parts"), "{ctype}: {note:?}");
        assert!(
            has_finding(&report, "mime-too-many-parts"),
            "{ctype}: {:?}",
            report.findings
        );
    }
}

#[test]
fn ten_thousand_siblings_and_ordinary_mail_are_within_the_caps() {
    // 9 999 parts and the multipart itself: exactly the cap, all of it walked.
    let (_, d, report) = walk_everything(siblings(9_999, "application/octet-stream"));
    assert_eq!(d.attachments.len(), 9_999, "every attachment listed");
    assert_eq!(d.not_walked, None, "nothing left out");
    assert!(
        !has_finding(&report, "mime-too-many-parts"),
        "{:?}",
        report.findings
    );
    let (_, d, report) = walk_everything(nested_multiparts(10));
    assert_eq!(d.not_walked, None, "ten levels are ordinary");
    assert!(!has_finding(&report, "mime-too-deep"));
}

#[test]
fn a_large_attachment_is_listed_with_its_decoded_size_without_being_decoded_for_the_view() {
    // 300 KB of base64 (a PDF) and of raw 8-bit (a zip), padded base64 included.
    let pdf: Vec<u8> = (0..225_001u32).map(|i| (i * 7 % 251) as u8).collect();
    let b64 = {
        use std::fmt::Write as _;
        let enc = base64_encode(&pdf);
        let mut out = String::new();
        for line in enc.as_bytes().chunks(76) {
            let _ = write!(out, "{}\r\n", std::str::from_utf8(line).expect("ascii"));
        }
        out
    };
    let zip = "z".repeat(300_000);
    let raw = format!(
        "From: a@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{b64}--b\r\nContent-Type: application/zip\r\n\
Content-Disposition: attachment; filename=b.zip\r\n\r\n{zip}\r\n--b--\r\n"
    );
    let d = detail(raw.as_bytes());
    for a in &d.attachments {
        let (bytes, _, _) = pigeonhole_core::message::part_bytes(raw.as_bytes(), &a.part_id)
            .expect("the part downloads");
        assert_eq!(
            a.size,
            bytes.len() as u64,
            "{}: the listed size is the decoded size",
            a.filename
        );
    }
    assert_eq!(d.attachments.len(), 2, "{:?}", d.attachments);
    assert_eq!(d.attachments[0].size, 225_001, "the PDF's own size");
    let tree_sizes: Vec<u64> = d.parts.children.iter().map(|p| p.size).collect();
    assert_eq!(
        tree_sizes[1], 225_001,
        "the Parts tree agrees: {tree_sizes:?}"
    );
}

fn base64_encode(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
