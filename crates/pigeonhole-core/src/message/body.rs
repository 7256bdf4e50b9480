//! A message's blocks in reading order (`BodyBlock`): walks the MIME tree the way a mail
//! client does, into forwarded messages, reports and calendar parts, and names parts.
//!
//! Part ids follow `detail::part_tree`: the root is "1", a multipart's children "1.1",
//! "1.2"..., and a `message/rfc822` part "1.2" has its own root as "1.2.1".

use base64::Engine as _;
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::detail::{content_type_of, decoded_header};
use super::limits::{MAX_PARTS, MAX_PART_DEPTH};
use super::{calendar, parse, report};
use crate::model::{BodyBlock, Header, NestedMessage, ReportKind};

/// Most blocks in one message, nested ones included: a message of 10 000 tiny parts is
/// listed in the Parts tree, not rendered.
const MAX_BLOCKS: usize = 500;

/// The headers a nested message shows, in this order.
const SHOWN_HEADERS: [&str; 5] = ["From", "To", "Cc", "Date", "Subject"];

/// What the walk may spend.
pub(super) struct Budget {
    /// Bytes of images still allowed as data: URLs; `None`: no images (ingest).
    pub images: Option<usize>,
    blocks: usize,
    /// Parts visited, against `limits::MAX_PARTS`.
    parts: usize,
    /// UIDs of events already shown: Outlook sends an invite twice (a text/calendar
    /// alternative and an .ics attachment), and one card is enough.
    event_uids: Vec<String>,
}

impl Budget {
    pub fn new(images: Option<usize>) -> Budget {
        Budget {
            images,
            blocks: 0,
            parts: 0,
            event_uids: Vec::new(),
        }
    }
}

/// The blocks of `msg`, whose root has id `root_id` and is at `depth` (`limits`).
pub(super) fn blocks(
    msg: &Message,
    root_id: &str,
    depth: usize,
    budget: &mut Budget,
) -> Vec<BodyBlock> {
    let mut out = Vec::new();
    if !msg.parts.is_empty() {
        walk(msg, 0, root_id.to_string(), depth, budget, &mut out);
    }
    out
}

fn is_attachment(part: &MessagePart) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

fn push(out: &mut Vec<BodyBlock>, budget: &mut Budget, block: BodyBlock) {
    if let BodyBlock::Calendar { invite, .. } = &block {
        let uids: Vec<&String> = invite
            .events
            .iter()
            .filter_map(|e| e.uid.as_ref())
            .collect();
        if !uids.is_empty() && uids.iter().all(|u| budget.event_uids.contains(u)) {
            return;
        }
        budget.event_uids.extend(uids.into_iter().cloned());
    }
    if budget.blocks < MAX_BLOCKS {
        budget.blocks += 1;
        out.push(block);
    }
}

fn walk(
    msg: &Message,
    index: usize,
    id: String,
    depth: usize,
    budget: &mut Budget,
    out: &mut Vec<BodyBlock>,
) {
    // The depth cap also ends a broken tree whose part index points at itself or loops.
    if depth > MAX_PART_DEPTH || budget.blocks >= MAX_BLOCKS || budget.parts >= MAX_PARTS {
        return;
    }
    budget.parts += 1;
    let Some(part) = msg.parts.get(index) else {
        return;
    };
    let ctype = content_type_of(part);
    match &part.body {
        PartType::Multipart(kids) => {
            let kids: Vec<(usize, String)> = kids
                .iter()
                .enumerate()
                .filter(|(_, &k)| (k as usize) < msg.parts.len() && k as usize != index)
                .map(|(n, &k)| (k as usize, format!("{id}.{}", n + 1)))
                .collect();
            match ctype.as_str() {
                "multipart/alternative" => alternative(msg, &kids, id, depth, budget, out),
                "multipart/related" => {
                    // The root (the `start` part, else the first) is the body; the others are
                    // what it references by Content-ID.
                    let start = part
                        .content_type()
                        .and_then(|c| c.attribute("start"))
                        .map(|s| s.trim_matches(['<', '>']).to_string());
                    let root = start
                        .and_then(|s| {
                            kids.iter().find(|(k, _)| {
                                msg.parts[*k]
                                    .content_id()
                                    .is_some_and(|c| c.trim_matches(['<', '>']) == s)
                            })
                        })
                        .or(kids.first());
                    if let Some((k, kid_id)) = root {
                        walk(msg, *k, kid_id.clone(), depth + 1, budget, out);
                    }
                }
                _ => {
                    for (k, kid_id) in kids {
                        walk(msg, k, kid_id, depth + 1, budget, out);
                    }
                }
            }
        }
        PartType::Message(nested) => {
            let message = nested_message(nested, &format!("{id}.1"), depth + 1, budget);
            push(
                out,
                budget,
                BodyBlock::Message {
                    part_id: id,
                    message,
                },
            );
        }
        PartType::Text(text) => match ctype.as_str() {
            "text/calendar" => push(out, budget, calendar_block(part, id, text)),
            "text/rfc822-headers" => {
                let message = headers_only(text);
                push(
                    out,
                    budget,
                    BodyBlock::Message {
                        part_id: id,
                        message,
                    },
                );
            }
            "text/plain" if !is_attachment(part) => push(
                out,
                budget,
                BodyBlock::Body {
                    part_id: id,
                    text: Some(text.to_string()),
                    html: None,
                    html_as_text: None,
                },
            ),
            _ => {}
        },
        PartType::Html(html) if !is_attachment(part) => {
            push(out, budget, html_block(id, html));
        }
        PartType::Html(_) => {}
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            let kind = match ctype.as_str() {
                "message/delivery-status" | "message/global-delivery-status" => {
                    Some(ReportKind::DeliveryStatus)
                }
                "message/disposition-notification" | "message/global-disposition-notification" => {
                    Some(ReportKind::DispositionNotification)
                }
                _ => None,
            };
            if let Some(kind) = kind {
                let report = report::parse(kind, bytes);
                push(
                    out,
                    budget,
                    BodyBlock::Report {
                        part_id: id,
                        report,
                    },
                );
            } else if is_calendar(part, &ctype) {
                let text = String::from_utf8_lossy(bytes);
                push(out, budget, calendar_block(part, id, &text));
            } else if ctype.starts_with("image/")
                && !is_attachment(part)
                && part.content_id().is_none()
            {
                let block = image_block(part, id, ctype, budget);
                push(out, budget, block);
            }
        }
    }
}

/// A multipart/alternative: one `Body` with its text and HTML versions (the last HTML, as the
/// richest; the first text), then any calendar it also offers (Outlook puts invites there).
fn alternative(
    msg: &Message,
    kids: &[(usize, String)],
    id: String,
    depth: usize,
    budget: &mut Budget,
    out: &mut Vec<BodyBlock>,
) {
    let mut text = None;
    let mut html = None;
    let mut extra = Vec::new();
    for (k, kid_id) in kids {
        let part = &msg.parts[*k];
        let ctype = content_type_of(part);
        match (&part.body, ctype.as_str()) {
            (PartType::Text(t), "text/plain") if text.is_none() => text = Some(t.to_string()),
            (PartType::Html(h), _) => html = Some(h.to_string()),
            (PartType::Multipart(_), _) => {
                // multipart/related (HTML with its images) or a mixed body.
                let mut inner = Vec::new();
                walk(msg, *k, kid_id.clone(), depth + 1, budget, &mut inner);
                for block in inner {
                    match block {
                        BodyBlock::Body {
                            text: t, html: h, ..
                        } if h.is_some() || t.is_some() => {
                            if let Some(h) = h {
                                html = Some(h);
                            } else if text.is_none() {
                                text = t;
                            }
                        }
                        other => extra.push(other),
                    }
                }
            }
            _ => {
                let mut inner = Vec::new();
                walk(msg, *k, kid_id.clone(), depth + 1, budget, &mut inner);
                extra.extend(inner.into_iter().filter(|b| {
                    matches!(b, BodyBlock::Calendar { .. } | BodyBlock::Report { .. })
                }));
            }
        }
    }
    if text.is_some() || html.is_some() {
        let html_as_text = match (&text, &html) {
            (None, Some(h)) => Some(html_text(h)),
            _ => None,
        };
        push(
            out,
            budget,
            BodyBlock::Body {
                part_id: id,
                text,
                html,
                html_as_text,
            },
        );
    }
    out.extend(extra);
}

fn html_block(id: String, html: &str) -> BodyBlock {
    BodyBlock::Body {
        part_id: id,
        text: None,
        html: Some(html.to_string()),
        html_as_text: Some(html_text(html)),
    }
}

fn html_text(html: &str) -> String {
    mail_parser::decoders::html::html_to_text(html)
        .trim()
        .to_string()
}

fn image_block(part: &MessagePart, id: String, ctype: String, budget: &mut Budget) -> BodyBlock {
    let size = part.len();
    let src = match budget.images.as_mut() {
        Some(left) if size <= *left => {
            *left -= size;
            let data = base64::engine::general_purpose::STANDARD.encode(part.contents());
            Some(format!("data:{ctype};base64,{data}"))
        }
        _ => None,
    };
    BodyBlock::Image {
        part_id: id,
        content_type: ctype,
        filename: part.attachment_name().map(str::to_string),
        src,
        size: size as u64,
    }
}

fn is_calendar(part: &MessagePart, ctype: &str) -> bool {
    ctype == "text/calendar"
        || ctype == "application/ics"
        || part
            .attachment_name()
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".ics"))
}

fn calendar_block(part: &MessagePart, id: String, text: &str) -> BodyBlock {
    BodyBlock::Calendar {
        part_id: id,
        file_name: calendar_name(part),
        invite: calendar::parse(text),
    }
}

/// A calendar part's file name: its own with `.ics` added when missing, else `invite.ics`.
fn calendar_name(part: &MessagePart) -> String {
    match part
        .attachment_name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) if n.to_ascii_lowercase().ends_with(".ics") => n.to_string(),
        Some(n) => format!("{n}.ics"),
        None => "invite.ics".into(),
    }
}

/// The name a person saves `part` as, when we can give a better one than its own (or it has
/// none): a forwarded message is its subject + `.eml`, a calendar part ends in `.ics`.
pub(super) fn part_name(part: &MessagePart) -> Option<String> {
    let ctype = content_type_of(part);
    if let PartType::Message(nested) = &part.body {
        let subject = parse::message_subject(nested)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        return Some(match (part.attachment_name(), subject) {
            (Some(n), _) if n.to_ascii_lowercase().ends_with(".eml") => n.to_string(),
            (_, Some(s)) => format!("{s}.eml"),
            (Some(n), None) => format!("{n}.eml"),
            (None, None) => "forwarded-message.eml".into(),
        });
    }
    if is_calendar(part, &ctype) {
        return Some(calendar_name(part));
    }
    part.attachment_name().map(str::to_string)
}

fn nested_message(
    msg: &Message,
    root_id: &str,
    depth: usize,
    budget: &mut Budget,
) -> NestedMessage {
    let headers = shown_headers(msg);
    let subject = parse::message_subject(msg).unwrap_or("").to_string();
    if depth > MAX_PART_DEPTH {
        return NestedMessage {
            subject,
            headers,
            body: Vec::new(),
            headers_only: false,
            too_deep: true,
        };
    }
    NestedMessage {
        subject,
        headers,
        body: blocks(msg, root_id, depth, budget),
        headers_only: false,
        too_deep: false,
    }
}

/// From, To, Cc, Date and Subject of `msg`, decoded; the first of each.
fn shown_headers(msg: &Message) -> Vec<Header> {
    let Some(root) = msg.parts.first() else {
        return Vec::new();
    };
    SHOWN_HEADERS
        .iter()
        .filter_map(|name| {
            let h = root
                .headers
                .iter()
                .find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
            Some(Header {
                name: (*name).to_string(),
                raw: super::detail::raw_header(msg, h),
                decoded: decoded_header(msg, h),
            })
        })
        .collect()
}

/// A `text/rfc822-headers` part (a report's copy of the returned message's headers).
fn headers_only(text: &str) -> NestedMessage {
    let raw = format!("{}\r\n\r\n", text.trim_end());
    parse::with_message(raw.as_bytes(), |msg| match msg {
        Some(msg) => NestedMessage {
            subject: parse::message_subject(msg).unwrap_or("").to_string(),
            headers: shown_headers(msg),
            body: Vec::new(),
            headers_only: true,
            too_deep: false,
        },
        None => NestedMessage {
            subject: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            headers_only: true,
            too_deep: false,
        },
    })
}

/// The blocks as plain text, in order, for the search index and for readers that pay per
/// character: bodies (HTML as text), nested messages under a "Forwarded message" line with
/// their headers, report fields, calendar events.
pub(super) fn reading_text(blocks: &[BodyBlock], out: &mut String) {
    for block in blocks {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
        match block {
            BodyBlock::Body {
                text, html_as_text, ..
            } => {
                if let Some(t) = text.as_ref().or(html_as_text.as_ref()) {
                    out.push_str(t.trim_end());
                }
            }
            BodyBlock::Image { filename, .. } => {
                out.push_str(&format!(
                    "[image: {}]",
                    filename.as_deref().unwrap_or("inline")
                ));
            }
            BodyBlock::Message { message, .. } => {
                out.push_str(if message.headers_only {
                    "---------- Returned message headers ----------\n"
                } else {
                    "---------- Forwarded message ----------\n"
                });
                for h in &message.headers {
                    out.push_str(&format!("{}: {}\n", h.name, h.decoded));
                }
                if !message.body.is_empty() {
                    out.push('\n');
                    reading_text(&message.body, out);
                }
            }
            BodyBlock::Report { report, .. } => {
                for f in &report.message_fields {
                    out.push_str(&format!("{}: {}\n", f.name, f.value));
                }
                for r in &report.recipients {
                    out.push('\n');
                    for f in &r.fields {
                        out.push_str(&format!("{}: {}\n", f.name, f.value));
                    }
                }
            }
            BodyBlock::Calendar { invite, .. } => {
                if let Some(m) = &invite.method {
                    out.push_str(&format!("Calendar {m}\n"));
                }
                for ev in &invite.events {
                    let mut line = |k: &str, v: Option<&str>| {
                        if let Some(v) = v {
                            out.push_str(&format!("{k}: {v}\n"));
                        }
                    };
                    line("Event", ev.summary.as_deref());
                    line("Start", ev.start.as_ref().map(|t| t.display.as_str()));
                    line("End", ev.end.as_ref().map(|t| t.display.as_str()));
                    line("Location", ev.location.as_deref());
                    line(
                        "Organizer",
                        ev.organizer.as_ref().map(|o| o.address.as_str()),
                    );
                    line("Description", ev.description.as_deref());
                }
            }
        }
    }
}
