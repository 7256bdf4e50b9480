//! Every check: a message that triggers it and one that does not.

use chrono::{TimeZone, Utc};

use super::*;

const ARRIVED: &str = "Tue, 1 Dec 2026 20:00:00 +0000";

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 20, 0, 0).unwrap()
}

/// A clean message around `headers` (extra header lines, CRLF-separated) and `body`.
fn msg(extra: &str, body: &str) -> String {
    let mut m = format!(
        "From: Ada <ada@example.com>\r\nTo: bob@example.com\r\nSubject: Hi\r\nDate: {ARRIVED}\r\nMessage-ID: <1@example.com>\r\n"
    );
    for line in extra.split("\r\n").filter(|l| !l.is_empty()) {
        m.push_str(line);
        m.push_str("\r\n");
    }
    m.push_str("\r\n");
    m.push_str(body);
    m
}

fn lint_with(raw: &[u8], transport: Option<Transport>, mail_from: &str) -> LintReport {
    check(&Input {
        raw,
        mail_from,
        transport,
        received_at: received(),
    })
}

fn smtp() -> Option<Transport> {
    Some(Transport::default())
}

fn ids(raw: &str) -> Vec<String> {
    lint_with(raw.as_bytes(), smtp(), "ada@example.com")
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect()
}

fn finds(raw: &str, id: &str) -> bool {
    ids(raw).iter().any(|i| i == id)
}

#[track_caller]
fn triggers(id: &str, bad: &str, good: &str) {
    assert!(
        finds(bad, id),
        "{id} should be found in:\n{bad}\nfound: {:?}",
        ids(bad)
    );
    assert!(
        !finds(good, id),
        "{id} should not be found in:\n{good}\nfound: {:?}",
        ids(good)
    );
}

#[test]
fn a_clean_message_has_no_findings() {
    let report = lint_with(msg("", "Hello\r\n").as_bytes(), smtp(), "ada@example.com");
    assert_eq!(report, LintReport::default(), "{:#?}", report.findings);
}

#[test]
fn every_finding_is_in_the_catalogue_with_why_and_reference() {
    for c in checks() {
        assert!(
            !c.why.is_empty() && !c.reference.is_empty() && !c.title.is_empty(),
            "{}",
            c.id
        );
        assert!(
            c.id.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{}",
            c.id
        );
    }
    let mut seen: Vec<&str> = check_ids().collect();
    seen.sort_unstable();
    let n = seen.len();
    seen.dedup();
    assert_eq!(seen.len(), n, "ids are unique");
    let ours: Vec<&str> = check_ids().collect();
    assert_eq!(
        ours,
        crate::search::LINT_CHECKS,
        "the search language knows every check id"
    );
}

#[test]
fn line_endings() {
    triggers(
        "bare-lf",
        &msg("", "one\ntwo\r\n"),
        &msg("", "one\r\ntwo\r\n"),
    );
    triggers(
        "bare-cr",
        &msg("", "one\rtwo\r\n"),
        &msg("", "one\r\ntwo\r\n"),
    );
    let r = lint_with(msg("", "a\nb\nc\r\n").as_bytes(), smtp(), "");
    let f = r.findings.iter().find(|f| f.id == "bare-lf").unwrap();
    assert_eq!(
        f.location.line,
        Some(7),
        "the first bare LF is on line 7: {f:?}"
    );
    assert!(f.message.contains("1 more"), "{}", f.message);
    // An imported LF mbox message keeps its file's endings: not a finding.
    let imported = lint_with(msg("", "a\nb\r\n").as_bytes(), None, "");
    assert!(
        !imported.findings.iter().any(|f| f.id == "bare-lf"),
        "{:?}",
        imported.findings
    );
}

#[test]
fn long_lines_and_nul() {
    let long = "x".repeat(999);
    let ok = "x".repeat(998);
    triggers(
        "line-too-long",
        &msg("", &format!("{long}\r\n")),
        &msg("", &format!("{ok}\r\n")),
    );
    triggers("nul-byte", &msg("", "a\0b\r\n"), &msg("", "ab\r\n"));
}

#[test]
fn eight_bit_needs_8bitmime_and_headers_need_smtputf8() {
    let body = msg("", "caf\u{e9}\r\n");
    assert!(finds(&body, "8bit-without-8bitmime"));
    let declared = Some(Transport {
        eight_bit: true,
        smtputf8: false,
    });
    assert!(!lint_with(body.as_bytes(), declared, "")
        .findings
        .iter()
        .any(|f| f.id == "8bit-without-8bitmime"));
    // Imported mail has no session to judge.
    assert!(!lint_with(body.as_bytes(), None, "")
        .findings
        .iter()
        .any(|f| f.id == "8bit-without-8bitmime"));

    let header = msg("X-Note: caf\u{e9}", "x\r\n");
    assert!(finds(&header, "non-ascii-header"));
    assert!(!finds(
        &msg("X-Note: =?utf-8?q?caf=C3=A9?=", "x\r\n"),
        "non-ascii-header"
    ));
    let utf8 = Some(Transport {
        eight_bit: true,
        smtputf8: true,
    });
    assert!(!lint_with(header.as_bytes(), utf8, "")
        .findings
        .iter()
        .any(|f| f.id == "non-ascii-header"));
    let f = lint_with(header.as_bytes(), smtp(), "")
        .findings
        .into_iter()
        .find(|f| f.id == "non-ascii-header")
        .unwrap();
    assert_eq!(f.location.header.as_deref(), Some("X-Note"));
    assert_eq!(f.location.line, Some(6));
}

#[test]
fn header_syntax() {
    let yahoo = format!(" \r\n{}", msg("", "x\r\n"));
    assert!(finds(&yahoo, "header-syntax"), "{:?}", ids(&yahoo));
    triggers(
        "header-syntax",
        &msg("this is not a header", "x\r\n"),
        &msg("X-Folded: a\r\n b", "x\r\n"),
    );
}

#[test]
fn address_fields() {
    let bad = |v: &str| msg(&format!("Cc: {v}"), "x\r\n");
    for v in [
        "Smith, John <john@example.com>",
        "john doe@example.com",
        "<john@example.com",
        "john@",
        "@example.com",
        "\"unclosed <a@b.c>",
        "a@b..c",
        "John <john@example.com> extra",
    ] {
        assert!(finds(&bad(v), "invalid-address"), "{v} should not parse");
    }
    for v in [
        "\"Smith, John\" <john@example.com>",
        "John Q. Public <john@example.com>",
        "john@example.com, mary@example.com",
        "undisclosed-recipients:;",
        "friends: a@example.com, b@example.com;",
        "=?utf-8?q?Ad=C3=A9?= <ade@example.com>",
        "john@example.com (John)",
        "\"quoted local\"@example.com",
        "user@[192.0.2.1]",
    ] {
        assert!(
            !finds(&bad(v), "invalid-address"),
            "{v} should parse: {:?}",
            ids(&bad(v))
        );
    }
}

#[test]
fn date_and_message_id() {
    let with = |date: &str, id: &str| {
        format!("From: a@example.com\r\nDate: {date}\r\nMessage-ID: {id}\r\n\r\nx\r\n")
    };
    triggers(
        "invalid-date",
        &with("yesterday", "<1@x>"),
        &with(ARRIVED, "<1@x>"),
    );
    assert!(!finds(
        &with("Tue, 1 Dec 2026 20:00:00 +0000 (UTC)", "<1@x>"),
        "invalid-date"
    ));
    triggers(
        "invalid-message-id",
        &with(ARRIVED, "1@x"),
        &with(ARRIVED, "<1.2.3@x.example>"),
    );
    assert!(finds(&with(ARRIVED, "<no at sign>"), "invalid-message-id"));
    // RFC 5322 §3.3: the weekday must be the date's.
    let r = lint_with(
        with("Mon, 1 Dec 2026 20:00:00 +0000", "<1@x>").as_bytes(),
        smtp(),
        "",
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "invalid-date")
        .expect("wrong weekday");
    assert!(
        f.message.contains("1 Dec 2026 is a Tuesday"),
        "{}",
        f.message
    );
}

#[test]
fn required_and_single_fields() {
    triggers(
        "missing-from",
        "Date: Tue, 1 Dec 2026 20:00:00 +0000\r\n\r\nx\r\n",
        &msg("", "x\r\n"),
    );
    triggers(
        "missing-date",
        "From: a@example.com\r\n\r\nx\r\n",
        &msg("", "x\r\n"),
    );
    triggers(
        "missing-message-id",
        "From: a@example.com\r\n\r\nx\r\n",
        &msg("", "x\r\n"),
    );
    triggers(
        "duplicate-header",
        &msg("Subject: Second", "x\r\n"),
        &msg("Comments: one\r\nComments: two", "x\r\n"),
    );
    triggers(
        "bcc-header",
        &msg("Bcc: secret@example.com", "x\r\n"),
        &msg("", "x\r\n"),
    );
}

#[test]
fn encoded_words() {
    triggers(
        "encoded-word-invalid",
        &msg("X-A: =?x-klingon?q?hi?=", "x\r\n"),
        &msg("X-A: =?iso-8859-1?q?caf=E9?=", "x\r\n"),
    );
    assert!(finds(
        &msg("X-A: =?utf-8?x?hi?=", "x\r\n"),
        "encoded-word-invalid"
    ));
    assert!(finds(
        &msg("X-A: =?utf-8?q?bad=ZZ?=", "x\r\n"),
        "encoded-word-invalid"
    ));
    assert!(finds(
        &msg("X-A: =?utf-8?b?aGk*?=", "x\r\n"),
        "encoded-word-invalid"
    ));
}

#[test]
fn date_skew() {
    let at = |date: &str| {
        format!("From: a@example.com\r\nDate: {date}\r\nMessage-ID: <1@x>\r\n\r\nx\r\n")
    };
    triggers(
        "date-skew",
        &at("Tue, 1 Dec 2026 15:00:00 +0000"),
        &at("Tue, 1 Dec 2026 20:20:00 +0000"),
    );
    let r = lint_with(at("Tue, 1 Dec 2026 20:00:00 +0500").as_bytes(), smtp(), "");
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "date-skew")
        .expect("five hours off");
    assert!(f.message.contains("time zone"), "{}", f.message);
    assert!(
        !lint_with(at("Tue, 1 Dec 2020 20:00:00 +0000").as_bytes(), None, "")
            .findings
            .iter()
            .any(|f| f.id == "date-skew"),
        "imported mail is not judged by its import time"
    );
}

fn mime(boundary_param: &str, parts: &str) -> String {
    msg(
        &format!("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; {boundary_param}"),
        parts,
    )
}

#[test]
fn html_without_text() {
    let html_only = msg(
        "MIME-Version: 1.0\r\nContent-Type: text/html",
        "<p>Hi</p>\r\n",
    );
    let both = mime("boundary=\"b\"", "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n--b--\r\n");
    triggers("html-without-text", &html_only, &both);
}

#[test]
fn gmail_clipping() {
    let big = msg(
        "Content-Type: text/html",
        &format!("<p>{}</p>\r\n", "x".repeat(900)).repeat(120),
    );
    let small = msg(
        "Content-Type: text/html",
        &format!("<p>{}</p>\r\n", "x".repeat(900)).repeat(100),
    );
    triggers("gmail-clipping", &big, &small);
}

fn related(html: &str, cid: &str, disposition: &str) -> String {
    msg(
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r",
        &format!("--r\r\nContent-Type: text/html\r\n\r\n{html}\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <{cid}>\r\n{disposition}Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n"),
    )
}

#[test]
fn cid_references() {
    triggers(
        "cid-missing",
        &related("<img src=\"cid:logo@x\">", "other@x", ""),
        &related("<img src=\"cid:logo@x\">", "logo@x", ""),
    );
    triggers(
        "inline-unreferenced",
        &related(
            "<p>no image</p>",
            "logo@x",
            "Content-Disposition: inline\r\n",
        ),
        &related(
            "<img src='cid:logo%40x'>",
            "logo@x",
            "Content-Disposition: inline\r\n",
        ),
    );
}

#[test]
fn boundaries() {
    let parts = "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b--\r\n";
    triggers(
        "boundary-malformed",
        &mime("boundary=\"b<>\"", "--b<>\r\n\r\nHi\r\n--b<>--\r\n"),
        &mime("boundary=b", parts),
    );
    assert!(
        finds(&mime("charset=x", "Hi\r\n"), "boundary-malformed"),
        "no boundary parameter"
    );
    assert!(finds(
        &mime(&format!("boundary={}", "b".repeat(71)), "x\r\n"),
        "boundary-malformed"
    ));
    triggers(
        "boundary-unclosed",
        &mime(
            "boundary=b",
            "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n",
        ),
        &mime("boundary=b", parts),
    );
    assert!(finds(
        &mime("boundary=zz", "no delimiters at all\r\n"),
        "boundary-unclosed"
    ));
}

#[test]
fn charsets_and_base64() {
    triggers(
        "charset-unknown",
        &msg("Content-Type: text/plain; charset=x-klingon", "x\r\n"),
        &msg("Content-Type: text/plain; charset=\"ISO-8859-2\"", "x\r\n"),
    );
    let b64 = |line: &str| {
        msg(
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64",
            &format!("{line}\r\n"),
        )
    };
    triggers(
        "base64-line-length",
        &b64(&"QUJD".repeat(20)),
        &b64(&"QUJD".repeat(19)),
    );
}

#[test]
fn envelope_sender() {
    let m = msg("", "x\r\n");
    let found = |from: &str| {
        lint_with(m.as_bytes(), smtp(), from)
            .findings
            .into_iter()
            .find(|f| f.id == "envelope-from-mismatch")
    };
    let f = found("bounces@mail.example.com").expect("differs");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains("align"), "{}", f.message);
    assert!(found("ADA@example.com").is_none(), "case does not matter");
    assert!(found("").is_none(), "the null sender is not compared");
}

#[test]
fn one_click_unsubscribe() {
    triggers(
        "list-unsubscribe-missing",
        &msg("List-Id: <news.example.com>", "x\r\n"),
        &msg("List-Id: <news.example.com>\r\nList-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click", "x\r\n"),
    );
    assert!(finds(
        &msg("Precedence: bulk", "x\r\n"),
        "list-unsubscribe-missing"
    ));
    assert!(
        !finds(&msg("", "x\r\n"), "list-unsubscribe-missing"),
        "not bulk"
    );
    triggers(
        "list-unsubscribe-post-missing",
        &msg("List-Unsubscribe: <https://example.com/u>", "x\r\n"),
        &msg("List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click", "x\r\n"),
    );
    assert!(finds(
        &msg("List-Unsubscribe: <mailto:u@example.com>", "x\r\n"),
        "list-unsubscribe-post-missing"
    ));
    triggers(
        "list-unsubscribe-invalid",
        &msg("List-Unsubscribe: https://example.com/u", "x\r\n"),
        &msg("List-Unsubscribe: <mailto:u@example.com>, <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click", "x\r\n"),
    );
    let signed = |h: &str| {
        msg(&format!("List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; c=relaxed/relaxed; h={h}; bh=x; b=y"), "x\r\n")
    };
    triggers(
        "list-unsubscribe-unsigned",
        &signed("from:to:subject"),
        &signed("from:to:subject:list-unsubscribe:list-unsubscribe-post"),
    );
}

/// A DKIM-Signature over `body` with the right body hash for `canon`.
fn signed(body: &str, canon: &str, extra_body: &str) -> String {
    // `c=relaxed` alone is relaxed headers with a simple body (RFC 6376 §3.5).
    let relaxed = canon.split('/').nth(1) == Some("relaxed");
    let bh = base64::engine::general_purpose::STANDARD.encode(
        <sha2::Sha256 as sha2::Digest>::digest(dkim::canonical_body(body.as_bytes(), relaxed)),
    );
    msg(
        &format!("DKIM-Signature: v=1; a=rsa-sha256; c={canon}; d=example.com; s=sel;\r\n h=from:to:subject; bh={bh};\r\n b=AAAA"),
        &format!("{body}{extra_body}"),
    )
}

use base64::Engine as _;

#[test]
fn dkim_body_hash() {
    let body = "Hello  there \r\nsecond line\r\n\r\n\r\n";
    for canon in [
        "simple/simple",
        "relaxed/relaxed",
        "relaxed/simple",
        "relaxed",
    ] {
        let good = signed(body, canon, "");
        assert!(!finds(&good, "dkim-body-hash"), "{canon}: {:?}", ids(&good));
        assert!(
            finds(
                &signed(body, canon, "-- \r\nAdded footer\r\n"),
                "dkim-body-hash"
            ),
            "{canon}: a footer added after signing"
        );
    }
    // Relaxed ignores trailing whitespace changes; simple does not.
    let relaxed = signed("a b\r\n", "relaxed/relaxed", "").replace("a b\r\n", "a  b  \r\n");
    assert!(!finds(&relaxed, "dkim-body-hash"));
    let simple = signed("a b\r\n", "simple/simple", "").replace("a b\r\n", "a  b  \r\n");
    assert!(finds(&simple, "dkim-body-hash"));
    // A known vector: RFC 6376 §3.4.5's example body in simple/simple.
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(
            dkim::canonical_body(b"", false)
        )),
        "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
    );
}

#[test]
fn dkim_malformed() {
    triggers(
        "dkim-malformed",
        &msg("DKIM-Signature: v=1; a=rsa-sha256; d=example.com", "x\r\n"),
        &signed("x\r\n", "relaxed/relaxed", ""),
    );
    assert!(finds(
        &msg(
            "DKIM-Signature: v=1; a=rot13; d=e; s=s; h=from; bh=x; b=y",
            "x\r\n"
        ),
        "dkim-malformed"
    ));
}

#[test]
fn an_attached_message_in_base64_is_flagged_and_a_plain_one_is_not() {
    let inner = "From: old@example.com\r\nSubject: inner\r\n\r\nold\r\n";
    let attached = |encoding: &str, body: &str| {
        mime(
            "boundary=out",
            &format!("--out\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--out\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n--out--\r\n"),
        )
    };
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(inner);
    let r = lint_with(
        attached("base64", &encoded).as_bytes(),
        smtp(),
        "ada@example.com",
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "message-part-encoded")
        .expect("a base64 message/rfc822 is flagged");
    assert_eq!(f.location.part.as_deref(), Some("1.2"), "{f:?}");
    assert_eq!(
        f.location.header.as_deref(),
        Some("Content-Transfer-Encoding")
    );
    assert!(f.message.contains("base64"), "{}", f.message);
    for plain in ["7bit", "8bit"] {
        let r = lint_with(attached(plain, inner).as_bytes(), smtp(), "ada@example.com");
        assert!(
            !r.findings.iter().any(|f| f.id == "message-part-encoded"),
            "{plain} is allowed: {:?}",
            r.findings
        );
    }
}

#[test]
fn forwarded_messages_are_walked_with_nested_part_paths() {
    let inner = "From: old@example.com\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nold\r\n--in\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n--in--\r\n";
    let outer = mime(
        "boundary=out",
        &format!("--out\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--out\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--out--\r\n"),
    );
    let r = lint_with(outer.as_bytes(), smtp(), "ada@example.com");
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "charset-unknown")
        .expect("found inside the forwarded message");
    assert_eq!(f.location.part.as_deref(), Some("1.2.1.2"), "{f:?}");
    assert!(
        !r.findings.iter().any(|f| f.id == "missing-date"),
        "a forwarded message's headers are not the message's: {:?}",
        r.findings
    );
}

#[test]
fn findings_are_capped() {
    let body = "x\n".repeat(10_000);
    let r = lint_with(msg("", &body).as_bytes(), smtp(), "");
    assert_eq!(
        r.findings.iter().filter(|f| f.id == "bare-lf").count(),
        1,
        "one finding per check, with a count"
    );
}

#[test]
fn mail_a_library_builds_is_clean() {
    use crate::model::{Address, Compose, ComposeAttachment};
    let addr = |a: &str| Address {
        name: Some("Ada Lovelace".into()),
        address: a.into(),
    };
    let c = Compose {
        from: Some(addr("ada@example.com")),
        to: vec![addr("bob@example.com")],
        subject: "Ünïcode subject, long enough to be folded by the encoder at some point or other"
            .into(),
        text: Some(format!("Grüße\n{}\n", "word ".repeat(400))),
        html: Some("<p>Grüße <img src=\"cid:logo@example.com\"></p>".into()),
        attachments: vec![
            ComposeAttachment {
                file_name: "logo.png".into(),
                content_id: Some("logo@example.com".into()),
                bytes: vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255],
                ..Default::default()
            },
            ComposeAttachment {
                file_name: "report.pdf".into(),
                bytes: (0..=255u8).cycle().take(5000).collect(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let (_, raw) = crate::message::compose::compose(&c).expect("composed");
    let r = check(&Input {
        raw: &raw,
        mail_from: "ada@example.com",
        transport: Some(Transport {
            eight_bit: false,
            smtputf8: false,
        }),
        received_at: Utc::now(),
    });
    assert_eq!(
        (r.errors, r.warnings),
        (0, 0),
        "{:#?}\n{}",
        r.findings,
        String::from_utf8_lossy(&raw)
    );
}
