//! DKIM, offline: the body hash (`bh=`) of each DKIM-Signature against the body as received
//! (RFC 6376 §3.4.3-3.4.4, §3.7). No DNS: the header signature `b=` is not verified, so this
//! catches a library that changes the body after signing, not a forged signature.

use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::mime::Tree;
use super::{at_header, Findings};

/// The tags of a DKIM-Signature value, names lowercased, whitespace removed from values.
pub(super) fn tags(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter_map(|t| {
            let (k, v) = t.split_once('=')?;
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            Some((k.trim().to_ascii_lowercase(), v))
        })
        .collect()
}

fn tag<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The body canonicalised (`relaxed` or `simple`).
pub(super) fn canonical_body(body: &[u8], relaxed: bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    loop {
        match memchr::memmem::find(rest, b"\r\n") {
            Some(i) => {
                lines.push(rest[..i].to_vec());
                rest = &rest[i + 2..];
            }
            None => {
                if !rest.is_empty() {
                    lines.push(rest.to_vec());
                }
                break;
            }
        }
    }
    if relaxed {
        for line in &mut lines {
            let mut out = Vec::with_capacity(line.len());
            let mut space = false;
            for &b in line.iter() {
                if b == b' ' || b == b'\t' {
                    space = true;
                } else {
                    if space {
                        out.push(b' ');
                    }
                    space = false;
                    out.push(b);
                }
            }
            *line = out;
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = Vec::with_capacity(body.len() + 2);
    for l in &lines {
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    if out.is_empty() && !relaxed {
        // An empty body is one CRLF in simple canonicalisation.
        out.extend_from_slice(b"\r\n");
    }
    out
}

pub(super) fn check(raw: &[u8], tree: &Tree, found: &mut Findings) {
    let body = &raw[tree.root.body.0.min(raw.len())..];
    for f in tree.root.headers.all("DKIM-Signature") {
        let t = tags(&f.text());
        let d = tag(&t, "d").unwrap_or("?");
        let s = tag(&t, "s").unwrap_or("?");
        let missing: Vec<&str> = ["v", "a", "b", "bh", "d", "h", "s"]
            .into_iter()
            .filter(|k| tag(&t, k).is_none_or(str::is_empty))
            .collect();
        if !missing.is_empty() {
            found.add(
                "dkim-malformed",
                format!(
                    "The DKIM-Signature (d={d}, s={s}) lacks required tags: {}.",
                    missing.join(", ")
                ),
                at_header(&f.name, f.line),
            );
            continue;
        }
        let algorithm = tag(&t, "a").unwrap_or("").to_ascii_lowercase();
        let sha1 = match algorithm.as_str() {
            "rsa-sha256" | "ed25519-sha256" => false,
            "rsa-sha1" => true,
            other => {
                found.add(
                    "dkim-malformed",
                    format!("The DKIM-Signature (d={d}, s={s}) names algorithm {other:?}, which receivers do not know."),
                    at_header(&f.name, f.line),
                );
                continue;
            }
        };
        let canon = tag(&t, "c").unwrap_or("simple/simple").to_ascii_lowercase();
        let body_canon = canon.split_once('/').map_or("simple", |(_, b)| b);
        let relaxed = match body_canon {
            "relaxed" => true,
            "simple" => false,
            other => {
                found.add(
                    "dkim-malformed",
                    format!(
                        "The DKIM-Signature (d={d}, s={s}) names body canonicalisation {other:?}."
                    ),
                    at_header(&f.name, f.line),
                );
                continue;
            }
        };
        let mut canonical = canonical_body(body, relaxed);
        if let Some(l) = tag(&t, "l") {
            match l.parse::<usize>() {
                Ok(n) if n <= canonical.len() => canonical.truncate(n),
                Ok(n) => {
                    found.add(
                        "dkim-body-hash",
                        format!("The DKIM-Signature (d={d}, s={s}) signs l={n} octets, but the body has only {}.", canonical.len()),
                        at_header(&f.name, f.line),
                    );
                    continue;
                }
                Err(_) => {
                    found.add(
                        "dkim-malformed",
                        format!(
                            "The DKIM-Signature (d={d}, s={s}) has l={l:?}, which is not a number."
                        ),
                        at_header(&f.name, f.line),
                    );
                    continue;
                }
            }
        }
        let digest = if sha1 {
            Sha1::digest(&canonical).to_vec()
        } else {
            Sha256::digest(&canonical).to_vec()
        };
        let computed = base64::engine::general_purpose::STANDARD.encode(digest);
        let claimed = tag(&t, "bh").unwrap_or("");
        if computed != claimed {
            found.add(
                "dkim-body-hash",
                format!("The DKIM-Signature (d={d}, s={s}, c={canon}) says bh={claimed}, but the body as received hashes to {computed}."),
                at_header(&f.name, f.line),
            );
        }
    }
}
