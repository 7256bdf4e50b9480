//! What the content says: HTML without text, Gmail's clipping size, `cid:` references
//! against the parts, and the Date against the arrival time.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::headers::parse_date;
use super::mime::{Entity, Tree};
use super::{at_header, Findings, Input, LintLocation};

/// Gmail clips a message whose HTML is over 102 KB.
pub(super) const GMAIL_CLIP_BYTES: usize = 102 * 1024;
/// A Date further than this from the arrival time is reported.
const SKEW_MINUTES: i64 = 60;
/// Most cid: findings listed one by one.
const MAX_CID_FINDINGS: usize = 10;

/// The decoded bytes of a leaf part (transfer encoding undone; charset left alone).
pub(super) fn decoded(raw: &[u8], e: &Entity) -> Vec<u8> {
    let body = &raw[e.body.0..e.body.1];
    let out = match e.encoding.as_str() {
        "base64" => mail_parser::decoders::base64::base64_decode(body),
        "quoted-printable" => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
        }
        _ => None,
    };
    out.unwrap_or_else(|| body.to_vec())
}

fn body_parts<'a>(tree: &'a Tree, ctype: &str) -> Vec<&'a Entity> {
    tree.all()
        .into_iter()
        .filter(|e| !e.nested && e.ctype == ctype && !e.is_attachment() && e.children.is_empty())
        .collect()
}

fn cid_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"(?i)\bcid:([^"'\s)>;,]+)"#).expect("valid regex"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn human_minutes(m: i64) -> String {
    let m = m.abs();
    if m < 120 {
        format!("{m} minutes")
    } else if m < 48 * 60 {
        format!("{:.1} hours", m as f64 / 60.0)
    } else {
        format!("{} days", m / (24 * 60))
    }
}

pub(super) fn check(input: &Input, tree: &Tree, found: &mut Findings) {
    let raw = input.raw;
    let html = body_parts(tree, "text/html");
    let text = body_parts(tree, "text/plain");
    if let Some(first) = html.first() {
        if text.is_empty() {
            found.add(
                "html-without-text",
                "The message has an HTML body and no text/plain alternative.",
                first.at(),
            );
        }
    }

    let mut referenced = BTreeSet::new();
    let mut html_bytes = 0usize;
    let ids: BTreeSet<&str> = tree
        .all()
        .into_iter()
        .filter(|e| !e.nested)
        .filter_map(|e| e.content_id.as_deref())
        .collect();
    let mut missing = 0;
    for part in &html {
        let bytes = decoded(raw, part);
        html_bytes += bytes.len();
        let text = String::from_utf8_lossy(&bytes);
        for c in cid_re().captures_iter(&text) {
            let cid = percent_decode(&c[1]);
            if !ids.contains(cid.as_str()) && referenced.insert(cid.clone()) {
                missing += 1;
                if missing <= MAX_CID_FINDINGS {
                    found.add(
                        "cid-missing",
                        format!("The HTML in part {} refers to cid:{cid}, and no part has Content-ID <{cid}>.", part.id),
                        LintLocation {
                            header: None,
                            line: None,
                            part: Some(part.id.clone()),
                        },
                    );
                }
            }
            referenced.insert(cid);
        }
    }
    if html_bytes > GMAIL_CLIP_BYTES {
        found.add(
            "gmail-clipping",
            format!(
                "The HTML is {} KB; Gmail shows the first 102 KB and clips the rest.",
                html_bytes / 1024
            ),
            html.first().map(|e| e.at()).unwrap_or_default(),
        );
    }
    for e in tree.all() {
        let Some(cid) = e.content_id.as_deref() else {
            continue;
        };
        let inline = e.related || e.disposition.as_deref() == Some("inline");
        if e.nested || !inline || e.ctype.starts_with("text/") || e.ctype.starts_with("multipart/")
        {
            continue;
        }
        if !referenced.contains(cid) {
            found.add(
                "inline-unreferenced",
                format!(
                    "Part {} ({}, Content-ID <{cid}>) is inline, but no cid: in the HTML refers to it.",
                    e.id, e.ctype
                ),
                e.at(),
            );
        }
    }

    // The Date against arrival, for mail that arrived over SMTP just now.
    if input.transport.is_some() {
        if let Some(f) = tree.root.headers.get("Date") {
            if let Some(date) = parse_date(&f.text()) {
                let minutes = (date.with_timezone(&chrono::Utc) - input.received_at).num_minutes();
                if minutes.abs() > SKEW_MINUTES {
                    let dir = if minutes > 0 { "ahead of" } else { "before" };
                    let zone = if minutes.abs() % 30 <= 1 || minutes.abs() % 30 >= 29 {
                        "; a whole number of half hours suggests a wrong time zone"
                    } else {
                        ""
                    };
                    found.add(
                        "date-skew",
                        format!(
                            "Date is {} {dir} the arrival time{zone}.",
                            human_minutes(minutes)
                        ),
                        at_header(&f.name, f.line),
                    );
                }
            }
        }
    }
}
