//! Tags a message carries from the moment it arrives: those its `X-Tags` header names, and
//! the plus-address tags of its recipients (`bob+signup@example.com` is tagged `signup`).

use super::Parsed;
use crate::model::Envelope;

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most tags a message gets at ingest: a header naming thousands must not become thousands
/// of rows in the commit a 250 waits for, or thousands of inboxes.
pub const MAX_INGEST_TAGS: usize = 32;

/// A tag as stored: trimmed, inner whitespace collapsed to one space, lowercased. `None` when
/// nothing is left, or it is longer than `MAX_TAG_CHARS` or holds a control character or
/// a comma (the separator of `X-Tags`).
pub fn normalize_tag(tag: &str) -> Option<String> {
    let tag = tag
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let ok = !tag.is_empty()
        && tag.chars().count() <= MAX_TAG_CHARS
        && !tag.chars().any(|c| c.is_control() || c == ',');
    ok.then_some(tag)
}

/// The tag in an address's plus part: `bob+signup@example.com` -> `signup`.
fn plus_tag(address: &str) -> Option<String> {
    let (local, _) = address.rsplit_once('@')?;
    let (user, tag) = local.split_once('+')?;
    if user.is_empty() {
        return None;
    }
    normalize_tag(tag)
}

/// Every tag a new message gets at ingest, sorted and without repeats.
pub fn tags_for(envelope: &Envelope, parsed: &Parsed) -> Vec<String> {
    let mut tags: Vec<String> = parsed.x_tags.clone();
    let header_rcpts = parsed
        .to
        .iter()
        .chain(&parsed.cc)
        .map(|a| a.address.as_str());
    let envelope_rcpts = envelope.rcpt_to.iter().map(|r| r.address.as_str());
    tags.extend(header_rcpts.chain(envelope_rcpts).filter_map(plus_tag));
    tags.sort();
    tags.dedup();
    tags.truncate(MAX_INGEST_TAGS);
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Recipient};

    #[test]
    fn tags_come_from_x_tags_and_plus_addresses() {
        let envelope = Envelope {
            mail_from: "app@example.com".into(),
            mail_params: Vec::new(),
            rcpt_to: vec![
                Recipient {
                    address: "bob+Signup@example.com".into(),
                    params: Vec::new(),
                },
                Recipient {
                    address: "+nouser@example.com".into(),
                    params: Vec::new(),
                },
            ],
        };
        let parsed = Parsed {
            to: vec![Address {
                name: None,
                address: "ann+welcome@example.com".into(),
            }],
            x_tags: vec!["urgent".into(), "signup".into()],
            ..Parsed::default()
        };
        assert_eq!(
            tags_for(&envelope, &parsed),
            ["signup", "urgent", "welcome"]
        );
    }

    #[test]
    fn tags_are_normalised_or_refused() {
        assert_eq!(
            normalize_tag("  Password   Reset "),
            Some("password reset".into())
        );
        assert_eq!(normalize_tag(" "), None);
        assert_eq!(normalize_tag("a,b"), None);
        assert_eq!(normalize_tag("bell\x07"), None);
        assert_eq!(normalize_tag(&"x".repeat(65)), None);
        assert_eq!(normalize_tag("ÄRGER"), Some("ärger".into()));
    }
}
