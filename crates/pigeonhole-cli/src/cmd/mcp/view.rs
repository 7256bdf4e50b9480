//! What the tools answer: core's types in the shape an assistant reads best, as JSON text.
//! Only conversions live here; every number and decision comes from core.

use chrono::{DateTime, Utc};
use pigeonhole_core::model::time::ms_rfc3339;
use pigeonhole_core::model::{
    Address, Attachment, Clipped, Direction, MessagePage, MessageReading, MessageSummary,
    SessionSummary, TranscriptExcerpt, WaitOutcome, WaitResult,
};
use serde::Serialize;

/// A message as a search or a wait lists it.
#[derive(Serialize)]
pub struct Brief {
    pub id: i64,
    #[serde(with = "ms_rfc3339")]
    pub received_at: DateTime<Utc>,
    /// The From header, "Name <address>".
    pub from: Option<String>,
    /// The To header.
    pub to: Vec<String>,
    pub subject: String,
    /// Envelope sender (MAIL FROM); "" for the null sender.
    pub mail_from: String,
    /// Envelope recipients (RCPT TO): who the mail was really sent to.
    pub rcpt_to: Vec<String>,
    #[serde(with = "ms_rfc3339::option")]
    pub date: Option<DateTime<Utc>>,
    pub size: u64,
    pub attachments: u32,
    pub tags: Vec<String>,
    pub read: bool,
    pub pinned: bool,
    pub snippet: String,
}

fn address(a: &Address) -> String {
    match &a.name {
        Some(n) => format!("{n} <{}>", a.address),
        None => a.address.clone(),
    }
}

impl From<&MessageSummary> for Brief {
    fn from(m: &MessageSummary) -> Brief {
        Brief {
            id: m.id,
            received_at: m.received_at,
            from: m.from.as_ref().map(address),
            to: m.to.iter().map(address).collect(),
            subject: m.subject.clone(),
            mail_from: m.mail_from.clone(),
            rcpt_to: m.rcpt_to.clone(),
            date: m.date,
            size: m.size,
            attachments: m.attachments,
            tags: m.tags.clone(),
            read: m.read,
            pinned: m.pinned,
            snippet: m.snippet.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Page {
    /// Every message the query matches, not only these.
    pub total: u64,
    pub offset: u64,
    pub messages: Vec<Brief>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<u64>,
}

impl From<MessagePage> for Page {
    fn from(p: MessagePage) -> Page {
        let end = p.offset + p.messages.len() as u64;
        Page {
            total: p.total,
            offset: p.offset,
            next_offset: (!p.messages.is_empty() && end < p.total).then_some(end),
            messages: p.messages.iter().map(Brief::from).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct Body {
    pub text: String,
    /// Set when the body was cut: how long it is in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

impl From<Clipped> for Body {
    fn from(c: Clipped) -> Body {
        let cut = c.truncated.then(|| {
            format!(
                "cut to {} of {} characters; ask with a larger max_chars for more",
                c.text.chars().count(),
                c.total_chars
            )
        });
        Body { text: c.text, cut }
    }
}

#[derive(Serialize)]
pub struct Envelope {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Envelope recipients named in no To or Cc header.
    pub bcc: Vec<String>,
    /// The SMTP AUTH user of the session that sent it.
    pub auth_user: Option<String>,
}

#[derive(Serialize)]
pub struct HeaderLine {
    pub name: String,
    /// Decoded for reading (encoded words, addresses, dates).
    pub value: String,
}

#[derive(Serialize)]
pub struct AttachmentLine {
    pub part_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// An inline image the HTML shows, rather than a file to save.
    pub inline: bool,
}

impl From<Attachment> for AttachmentLine {
    fn from(a: Attachment) -> AttachmentLine {
        AttachmentLine {
            part_id: a.part_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            inline: a.inline,
        }
    }
}

/// One message, for `get_message`.
#[derive(Serialize)]
pub struct Message {
    pub id: i64,
    #[serde(with = "ms_rfc3339")]
    pub received_at: DateTime<Utc>,
    pub subject: String,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub reply_to: Vec<String>,
    #[serde(with = "ms_rfc3339::option")]
    pub date: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub size: u64,
    pub tags: Vec<String>,
    pub listener: String,
    pub session_id: i64,
    pub envelope: Envelope,
    /// The text/plain body; null when the message has none.
    pub text: Option<Body>,
    /// The text/html body as plain text; null when there is no HTML.
    pub html_as_text: Option<Body>,
    /// What the message carries beyond its own body, as text in order: forwarded messages
    /// with their headers, delivery reports, calendar events; null when none.
    pub attached_text: Option<Body>,
    pub attachments: Vec<AttachmentLine>,
    pub headers: Vec<HeaderLine>,
}

impl From<MessageReading> for Message {
    fn from(r: MessageReading) -> Message {
        let s = r.summary;
        Message {
            id: s.id,
            received_at: s.received_at,
            from: s.from.as_ref().map(address),
            to: s.to.iter().map(address).collect(),
            cc: s.cc.iter().map(address).collect(),
            reply_to: s.reply_to.iter().map(address).collect(),
            subject: s.subject,
            date: s.date,
            message_id: s.message_id,
            size: s.size,
            tags: s.tags,
            listener: s.listener,
            session_id: s.session_id,
            envelope: Envelope {
                mail_from: r.envelope.mail_from,
                rcpt_to: r.envelope.rcpt_to.into_iter().map(|r| r.address).collect(),
                bcc: r.envelope.bcc,
                auth_user: s.auth_user,
            },
            text: r.text.map(Body::from),
            html_as_text: r.html_text.map(Body::from),
            attached_text: r.attached_text.map(Body::from),
            attachments: r
                .attachments
                .into_iter()
                .map(AttachmentLine::from)
                .collect(),
            headers: r
                .headers
                .into_iter()
                .map(|h| HeaderLine {
                    name: h.name,
                    value: h.decoded,
                })
                .collect(),
        }
    }
}

/// A transcript, for `get_transcript`: one line of text per SMTP line.
#[derive(Serialize)]
pub struct Transcript {
    pub session: SessionSummary,
    /// "`*` 12:00:01.234 C: MAIL FROM:<a@b>": `*` marks the message's own lines, C: is the
    /// client, S: the server, --: what the server noted.
    pub lines: Vec<String>,
    /// Set when lines were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

impl From<TranscriptExcerpt> for Transcript {
    fn from(t: TranscriptExcerpt) -> Transcript {
        let (first, end) = t.message_lines.unwrap_or((0, 0));
        let lines = t
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let n = t.first_line + i;
                let mark = if n >= first && n < end { '*' } else { ' ' };
                let arrow = match line.dir {
                    Direction::In => "C:",
                    Direction::Out => "S:",
                    Direction::Info => "--",
                };
                format!(
                    "{mark} {} {arrow} {}",
                    line.ts.format("%H:%M:%S%.3f"),
                    line.text
                )
            })
            .collect();
        let shown = t.lines.len();
        let cut = (shown < t.total_lines).then(|| {
            format!(
                "lines {}-{} of {} shown; ask with a larger max_lines for more",
                t.first_line + 1,
                t.first_line + shown,
                t.total_lines
            )
        });
        Transcript {
            session: t.session,
            lines,
            cut,
        }
    }
}

/// How a wait ended, for `wait`.
#[derive(Serialize)]
pub struct Wait {
    pub outcome: WaitOutcome,
    /// True when the wait got what it asked for (found, or none when none was expected).
    pub ok: bool,
    pub summary: String,
    pub wanted: u64,
    pub matched: u64,
    pub waited_ms: u64,
    pub messages: Vec<Brief>,
}

impl Wait {
    pub fn new(r: WaitResult, summary: String) -> Wait {
        Wait {
            outcome: r.outcome,
            ok: r.ok(),
            summary,
            wanted: r.wanted,
            matched: r.matched,
            waited_ms: r.waited_ms,
            messages: r.messages.iter().map(Brief::from).collect(),
        }
    }
}
