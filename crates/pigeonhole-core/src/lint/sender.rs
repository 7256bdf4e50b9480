//! Sender hygiene: the envelope sender against From, and one-click unsubscribe for bulk
//! mail (RFC 2369, RFC 8058).

use super::dkim::tags;
use super::mime::{strip_comments, Tree};
use super::{at_header, Findings, Input, LintLocation};

/// The address in a From value: inside the last <...>, or the whole value.
fn from_address(value: &str) -> String {
    let v = strip_comments(value);
    let v = v.trim();
    match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].trim().to_string(),
        _ => v.to_string(),
    }
}

fn domain(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// The registrable part of a domain, roughly: its last two labels.
fn organisational(domain: &str) -> String {
    let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
    labels[labels.len().saturating_sub(2)..]
        .join(".")
        .to_ascii_lowercase()
}

pub(super) fn check(input: &Input, tree: &Tree, found: &mut Findings) {
    let h = &tree.root.headers;
    if let Some(f) = h.get("From") {
        let from = from_address(&f.text());
        let env = input.mail_from.trim();
        if !env.is_empty() && !from.is_empty() && !from.eq_ignore_ascii_case(env) {
            let aligned = organisational(domain(&from)) == organisational(domain(env));
            found.add(
                "envelope-from-mismatch",
                format!(
                    "MAIL FROM is <{env}> and From is <{from}>; {}",
                    if aligned {
                        "their domains align, so bounces go elsewhere but DMARC can pass."
                    } else {
                        "their domains differ, so SPF cannot align for DMARC."
                    }
                ),
                at_header(&f.name, f.line),
            );
        }
    }

    let unsubscribe = h.get("List-Unsubscribe");
    let post = h.get("List-Unsubscribe-Post");
    let bulk = [
        "List-Id",
        "Feedback-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ]
    .into_iter()
    .find(|n| h.get(n).is_some())
    .map(|n| format!("it has {n}"))
    .or_else(|| {
        h.get("Precedence")
            .map(|p| p.text().trim().to_ascii_lowercase())
            .filter(|p| matches!(p.as_str(), "bulk" | "list" | "junk"))
            .map(|p| format!("it has Precedence: {p}"))
    });
    let Some(bulk) = bulk else {
        return;
    };
    let Some(unsubscribe) = unsubscribe else {
        found.add(
            "list-unsubscribe-missing",
            format!("The message looks like bulk mail ({bulk}) but has no List-Unsubscribe."),
            LintLocation::default(),
        );
        return;
    };
    let value = unsubscribe.text();
    let mut uris = Vec::new();
    let mut bad = None;
    for item in strip_comments(&value).split(',') {
        let item = item.trim();
        match item.strip_prefix('<').and_then(|i| i.strip_suffix('>')) {
            Some(uri) if uri.contains(':') => uris.push(uri.trim().to_string()),
            _ => bad = Some(item.to_string()),
        }
    }
    if let Some(item) = bad {
        found.add(
            "list-unsubscribe-invalid",
            format!("List-Unsubscribe holds {item:?}, which is not a URI in angle brackets."),
            at_header(&unsubscribe.name, unsubscribe.line),
        );
    }
    let https = uris.iter().any(|u| {
        u.get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    });
    match post {
        None if https => found.add(
            "list-unsubscribe-post-missing",
            "List-Unsubscribe has an https URI but there is no List-Unsubscribe-Post: List-Unsubscribe=One-Click.",
            at_header(&unsubscribe.name, unsubscribe.line),
        ),
        None => found.add(
            "list-unsubscribe-post-missing",
            "List-Unsubscribe has no https URI, so one-click unsubscribe cannot work.",
            at_header(&unsubscribe.name, unsubscribe.line),
        ),
        Some(p) if p.text().trim() != "List-Unsubscribe=One-Click" => found.add(
            "list-unsubscribe-invalid",
            format!("List-Unsubscribe-Post is {:?}; it must be exactly \"List-Unsubscribe=One-Click\".", p.text()),
            at_header(&p.name, p.line),
        ),
        Some(_) if !https => found.add(
            "list-unsubscribe-post-missing",
            "List-Unsubscribe-Post is set, but List-Unsubscribe has no https URI to POST to.",
            at_header(&unsubscribe.name, unsubscribe.line),
        ),
        Some(_) => {}
    }
    // Signed? Only judged when the message carries a DKIM signature.
    let signatures: Vec<_> = h.all("DKIM-Signature").collect();
    if !signatures.is_empty() {
        let covers = |name: &str| {
            signatures.iter().any(|s| {
                tags(&s.text())
                    .iter()
                    .find(|(k, _)| k == "h")
                    .is_some_and(|(_, v)| v.split(':').any(|n| n.trim().eq_ignore_ascii_case(name)))
            })
        };
        let mut unsigned = Vec::new();
        if !covers("List-Unsubscribe") {
            unsigned.push("List-Unsubscribe");
        }
        if post.is_some() && !covers("List-Unsubscribe-Post") {
            unsigned.push("List-Unsubscribe-Post");
        }
        if !unsigned.is_empty() {
            found.add(
                "list-unsubscribe-unsigned",
                format!("No DKIM-Signature's h= covers {}.", unsigned.join(" or ")),
                at_header(&unsubscribe.name, unsubscribe.line),
            );
        }
    }
}
