//! The full view of one message, parsed on demand from its raw bytes.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::Engine as _;

use mail_parser::{HeaderValue, Message, MessagePart, MimeHeaders, PartType};

use super::{body, is_real_attachment, limits, parse, to_utc, Elided};
use crate::model::{
    Attachment, BodyBlock, Envelope, EnvelopeView, Header, MessageDetail, MessageSummary, MimePart,
    RecipientView, StoredEnvelope,
};

/// Inline images larger than this in total are not inlined as data: URLs.
const INLINE_IMAGE_BUDGET: usize = 20 * 1024 * 1024;

impl MessageDetail {
    /// The parsed view; `releases` is left empty for the caller that reads them to fill.
    pub fn build(summary: MessageSummary, stored: StoredEnvelope, raw: &[u8]) -> MessageDetail {
        // Large attachments are not decoded for the view: their sizes come from their
        // encoded bodies (`Elided`); downloads (`part_bytes`) parse the full bytes.
        let (skeleton, elided) = super::without_binary_bodies(raw, true);
        parse::with_message(&skeleton, |msg| {
            Self::from_parsed(summary, stored, raw, msg, &elided)
        })
    }

    fn from_parsed(
        summary: MessageSummary,
        stored: StoredEnvelope,
        raw: &[u8],
        parsed: Option<&Message>,
        elided: &Elided,
    ) -> MessageDetail {
        let env = &stored.envelope;
        let mut envelope = envelope_view(env);
        let Some(msg) = parsed else {
            envelope.bcc = env.rcpt_to.iter().map(|r| r.address.clone()).collect();
            let text = String::from_utf8_lossy(raw).into_owned();
            return MessageDetail {
                summary,
                envelope,
                headers: Vec::new(),
                body: vec![BodyBlock::Body {
                    part_id: "1".into(),
                    text: Some(text.clone()),
                    html: None,
                    html_as_text: None,
                }],
                text: Some(text),
                html: None,
                inline_images: BTreeMap::new(),
                parts: MimePart {
                    id: "1".into(),
                    content_type: "text/plain".into(),
                    charset: None,
                    filename: None,
                    content_id: None,
                    disposition: None,
                    size: raw.len() as u64,
                    children: Vec::new(),
                },
                attachments: Vec::new(),
                transcript_range: stored.transcript_range,
                auth_user: stored.auth_user,
                releases: Vec::new(),
                not_walked: None,
            };
        };
        // The summary's To and Cc are these headers, parsed at ingest.
        envelope.bcc = summary.bcc();

        let parts = part_tree(msg, 0, "1".into(), 0, &mut 0, elided);
        let mut budget = INLINE_IMAGE_BUDGET;
        let mut inline_images = BTreeMap::new();
        let mut attachments = Vec::new();
        collect_attachments(msg, "1", &mut |part, path| {
            let content_type = content_type_of(part);
            let content_id = part
                .content_id()
                .map(|c| c.trim_matches(['<', '>']).to_string());
            if let Some(cid) = &content_id {
                if content_type.starts_with("image/")
                    && part.len() <= budget
                    && !inline_images.contains_key(cid)
                {
                    budget -= part.len();
                    let data = base64::engine::general_purpose::STANDARD.encode(part.contents());
                    inline_images.insert(cid.clone(), format!("data:{content_type};base64,{data}"));
                }
            }
            attachments.push(attachment(part, path, content_type, content_id, elided));
        });
        let body = body::blocks(msg, "1", 0, &mut body::Budget::new(Some(budget)));
        let html = msg
            .html_body
            .first()
            .and_then(|&i| msg.parts.get(i as usize))
            .and_then(|p| match &p.body {
                PartType::Html(h) => Some(h.to_string()),
                _ => None,
            });
        // A wrapper (a message/rfc822 root) has no text of its own: its first inner text is
        // what a client shows, so API readers get it too.
        let text = msg
            .body_text(0)
            .map(|t| t.into_owned())
            .or_else(|| first_text(&body));
        MessageDetail {
            summary,
            envelope,
            headers: headers(msg),
            text,
            html,
            body,
            inline_images,
            parts,
            attachments,
            transcript_range: stored.transcript_range,
            auth_user: stored.auth_user,
            releases: Vec::new(),
            not_walked: limits::cut(msg).map(|c| c.sentence()),
        }
    }
}

/// The first text anywhere in `blocks`, depth first.
fn first_text(blocks: &[BodyBlock]) -> Option<String> {
    blocks.iter().find_map(|b| match b {
        BodyBlock::Body {
            text, html_as_text, ..
        } => text.clone().or_else(|| html_as_text.clone()),
        BodyBlock::Message { message, .. } => first_text(&message.body),
        _ => None,
    })
}

/// The envelope as shown, its Bcc left for the caller to work out.
pub(super) fn envelope_view(env: &Envelope) -> EnvelopeView {
    EnvelopeView {
        mail_from: env.mail_from.clone(),
        mail_params: env.mail_params.iter().cloned().collect(),
        rcpt_to: env
            .rcpt_to
            .iter()
            .map(|r| RecipientView {
                address: r.address.clone(),
                params: r.params.iter().cloned().collect(),
            })
            .collect(),
        bcc: Vec::new(),
    }
}

/// The attachment list's entry for `part`, found at `path` in the MIME tree.
fn attachment(
    part: &MessagePart,
    path: &str,
    content_type: String,
    content_id: Option<String>,
    elided: &Elided,
) -> Attachment {
    Attachment {
        part_id: path.to_string(),
        filename: body::part_name(part).unwrap_or_else(|| format!("part-{path}")),
        content_type,
        size: elided.size(part) as u64,
        content_id,
        inline: !is_real_attachment(part),
    }
}

/// Every attachment and inline part of `msg`, in order, with its path in the MIME tree;
/// those of forwarded messages follow the message they are in. `elided` holds the decoded
/// sizes of the bodies the parse left out (`without_binary_bodies`).
pub(super) fn attachments(msg: &Message, elided: &Elided) -> Vec<Attachment> {
    let mut out = Vec::new();
    collect_attachments(msg, "1", &mut |part, path| {
        let content_id = part
            .content_id()
            .map(|c| c.trim_matches(['<', '>']).to_string());
        out.push(attachment(
            part,
            path,
            content_type_of(part),
            content_id,
            elided,
        ));
    });
    out
}

/// Calls `f` with each attachment of `msg` (whose root has id `root_id`) and its path,
/// going into nested messages (within `limits`).
fn collect_attachments(msg: &Message, root_id: &str, f: &mut dyn FnMut(&MessagePart, &str)) {
    // mail-parser lists each message's attachments by part index; looked up once per message.
    let mut lists: HashMap<usize, HashSet<u32>> = HashMap::new();
    limits::each_part(msg, root_id, |w| {
        let list = lists
            .entry(w.msg as *const Message as usize)
            .or_insert_with(|| w.msg.attachments.iter().copied().collect());
        if list.contains(&(w.index as u32)) {
            f(&w.msg.parts[w.index], &w.id);
        }
        true
    });
}

pub(super) fn content_type_of(part: &MessagePart) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match part.body {
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            PartType::Binary(_) | PartType::InlineBinary(_) => "application/octet-stream".into(),
            _ => "text/plain".into(),
        },
    }
}

/// The MIME tree from part `index` down, into nested messages, within `limits` (counted in
/// `seen`, in the same order as `limits::each_part`).
fn part_tree(
    msg: &Message,
    index: usize,
    id: String,
    depth: usize,
    seen: &mut usize,
    elided: &Elided,
) -> MimePart {
    *seen += 1;
    let part = &msg.parts[index];
    let deeper = depth + 1;
    let mut children = Vec::new();
    if deeper <= limits::MAX_PART_DEPTH {
        match &part.body {
            PartType::Multipart(kids) => {
                for (n, &k) in kids.iter().enumerate() {
                    if *seen >= limits::MAX_PARTS {
                        break;
                    }
                    // A part naming itself (a broken tree) is not followed.
                    if (k as usize) < msg.parts.len() && k as usize != index {
                        let kid_id = format!("{id}.{}", n + 1);
                        children.push(part_tree(msg, k as usize, kid_id, deeper, seen, elided));
                    }
                }
            }
            PartType::Message(nested) if !nested.parts.is_empty() && *seen < limits::MAX_PARTS => {
                children.push(part_tree(
                    nested,
                    0,
                    format!("{id}.1"),
                    deeper,
                    seen,
                    elided,
                ));
            }
            _ => {}
        }
    }
    let size = match &part.body {
        PartType::Multipart(_) => 0,
        _ => elided.size(part) as u64,
    };
    MimePart {
        id,
        content_type: content_type_of(part),
        charset: part
            .content_type()
            .and_then(|c| c.attribute("charset"))
            .map(str::to_string),
        filename: part.attachment_name().map(str::to_string),
        content_id: part
            .content_id()
            .map(|c| c.trim_matches(['<', '>']).to_string()),
        disposition: part.content_disposition().map(|d| d.ctype().to_string()),
        size,
        children,
    }
}

/// Decoded bytes of the part at `path` ("1.2", or "1.2.1.1" inside a forwarded message),
/// its content type and the name to save it as.
pub fn part_bytes(raw: &[u8], path: &str) -> Option<(Vec<u8>, String, Option<String>)> {
    let mut found = None;
    each_part(raw, &[path.to_string()], |_, part| {
        found = Some((
            part_contents(part),
            content_type_of(part),
            body::part_name(part),
        ))
    });
    found
}

/// Calls `f` with the decoded bytes of each part `paths` names that exists, parsing the
/// message once however many there are.
pub fn each_part_bytes(raw: &[u8], paths: &[String], mut f: impl FnMut(&str, &[u8])) {
    each_part(raw, paths, |path, part| f(path, &part_contents(part)));
}

fn part_contents(part: &mail_parser::MessagePart) -> Vec<u8> {
    match &part.body {
        PartType::Message(m) => m.raw_message().to_vec(),
        _ => part.contents().to_vec(),
    }
}

fn each_part(raw: &[u8], wanted: &[String], mut f: impl FnMut(&str, &mail_parser::MessagePart)) {
    parse::with_message(raw, |msg| {
        let Some(msg) = msg else { return };
        // Calls `f` for each part (within `limits`) whose path is wanted, going into a nested
        // message only when a wanted path lies inside it.
        limits::each_part(msg, "1", |w| {
            if wanted.contains(&w.id) {
                f(&w.id, &w.msg.parts[w.index]);
            }
            let inner = format!("{}.", w.id);
            wanted.iter().any(|p| p.starts_with(&inner))
        });
    });
}

pub(super) fn headers(msg: &Message) -> Vec<Header> {
    msg.headers()
        .iter()
        .map(|h| Header {
            name: h.name.as_str().to_string(),
            raw: raw_header(msg, h),
            decoded: decoded_header(msg, h),
        })
        .collect()
}

/// A header's value as sent, unfolded. Offsets are into the `raw_message` field, which for
/// a nested message that was not transfer-encoded is the outer message's bytes (whereas
/// `raw_message()` is the nested message's own slice).
pub(super) fn raw_header(msg: &Message, h: &mail_parser::Header) -> String {
    let slice = msg
        .raw_message
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    unfold(&String::from_utf8_lossy(slice))
}

/// A header's value decoded for people: encoded words, addresses and dates made readable.
pub(super) fn decoded_header(msg: &Message, h: &mail_parser::Header) -> String {
    let raw_value = || raw_header(msg, h);
    match &h.value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(a) => a
            .iter()
            .map(|addr| match (&addr.name, &addr.address) {
                (Some(n), Some(a)) => format!("{n} <{a}>"),
                (None, Some(a)) => a.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        HeaderValue::DateTime(d) => to_utc(d).map(|d| d.to_rfc2822()).unwrap_or_else(raw_value),
        _ => raw_value(),
    }
}

/// Undoes header folding: CRLF followed by whitespace becomes that whitespace.
fn unfold(s: &str) -> String {
    s.replace("\r\n", "").replace('\n', "").trim().to_string()
}
