//! The envelope an imported message gets. There was no SMTP conversation, so it is taken
//! from what delivery left behind, most specific first:
//!
//! - sender: the mbox `From ` line's sender, else `Return-Path`, else the From header's
//!   address, else the null sender;
//! - recipients: `X-Original-To`, then every `Delivered-To` (the addresses the delivering
//!   server used), else the To, Cc and Bcc header addresses.

use mail_parser::{Address, MessageParser};

use super::header_values;
use crate::model::{Envelope, Recipient};

/// The envelope for `raw`, with `mbox_sender` from an mbox `From ` line if there was one.
pub fn guess(raw: &[u8], mbox_sender: Option<&str>) -> Envelope {
    let header = &raw[..super::header_end(raw).unwrap_or(raw.len())];
    let first_addr = |name: &str| {
        header_values(header, name)
            .into_iter()
            .next()
            .map(|v| angle_addr(&v))
    };
    let parsed = MessageParser::default().parse_headers(raw);
    let mail_from = match mbox_sender {
        Some(s) => s.to_string(),
        None => first_addr("Return-Path")
            .or_else(|| {
                parsed
                    .as_ref()
                    .and_then(|m| addresses(m.from()).into_iter().next())
            })
            .unwrap_or_default(),
    };
    let mut rcpts: Vec<String> = Vec::new();
    let add = |rcpts: &mut Vec<String>, a: String| {
        if !a.is_empty() && !rcpts.iter().any(|r| r.eq_ignore_ascii_case(&a)) {
            rcpts.push(a);
        }
    };
    for name in ["X-Original-To", "Delivered-To"] {
        for v in header_values(header, name) {
            for a in v.split(',') {
                add(&mut rcpts, angle_addr(a));
            }
        }
    }
    if rcpts.is_empty() {
        if let Some(m) = &parsed {
            for a in addresses(m.to())
                .into_iter()
                .chain(addresses(m.cc()))
                .chain(addresses(m.bcc()))
            {
                add(&mut rcpts, a);
            }
        }
    }
    Envelope {
        mail_from,
        mail_params: Vec::new(),
        rcpt_to: rcpts
            .into_iter()
            .map(|address| Recipient {
                address,
                params: Vec::new(),
            })
            .collect(),
    }
}

/// `Name <a@b>` or `<a@b>` or `a@b` -> `a@b`; `<>` -> "".
fn angle_addr(v: &str) -> String {
    let v = v.trim();
    match (v.rfind('<'), v.rfind('>')) {
        (Some(l), Some(r)) if l < r => v[l + 1..r].trim().to_string(),
        _ => v.to_string(),
    }
}

fn addresses(a: Option<&Address>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address.as_ref().map(|s| s.to_string()))
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rcpts(e: &Envelope) -> Vec<&str> {
        e.rcpt_to.iter().map(|r| r.address.as_str()).collect()
    }

    #[test]
    fn delivery_headers_fill_the_envelope_before_the_message_headers() {
        let raw = b"Return-Path: <bounce@shop.example>\r\nDelivered-To: real@x.example\r\n\
X-Original-To: alias@x.example\r\nFrom: Shop <news@shop.example>\r\nTo: list@x.example\r\n\r\nbody\r\n";
        let e = guess(raw, None);
        assert_eq!(
            e.mail_from, "bounce@shop.example",
            "Return-Path is the sender"
        );
        assert_eq!(rcpts(&e), vec!["alias@x.example", "real@x.example"]);
        let e = guess(raw, Some("envelope@shop.example"));
        assert_eq!(
            e.mail_from, "envelope@shop.example",
            "the mbox From_ line wins"
        );
    }

    #[test]
    fn without_delivery_headers_the_message_headers_are_used() {
        let raw = b"From: Ann <ann@x.example>\r\nTo: b@x.example, C <c@x.example>\r\nCc: d@x.example\r\nBcc: e@x.example\r\n\r\nbody";
        let e = guess(raw, None);
        assert_eq!(e.mail_from, "ann@x.example");
        assert_eq!(
            rcpts(&e),
            vec!["b@x.example", "c@x.example", "d@x.example", "e@x.example"]
        );
        let e = guess(b"Return-Path: <>\r\nSubject: bounce\r\n\r\n", None);
        assert_eq!(e.mail_from, "", "<> is the null sender");
        assert!(e.rcpt_to.is_empty());
    }
}
