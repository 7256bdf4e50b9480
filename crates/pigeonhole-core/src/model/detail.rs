//! The full view of one message, parsed on demand from its raw bytes by `message`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{BodyBlock, MessageSummary, Release};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Header {
    pub name: String,
    /// The value as in the message, unfolded, not decoded.
    pub raw: String,
    /// RFC 2047-decoded value (equal to `raw` when nothing was encoded).
    pub decoded: String,
}

/// One node of the MIME tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MimePart {
    /// Path such as "1.2", stable for a given raw message; used to fetch the part's bytes.
    pub id: String,
    pub content_type: String,
    pub charset: Option<String>,
    pub filename: Option<String>,
    pub content_id: Option<String>,
    pub disposition: Option<String>,
    /// Decoded body size in bytes (0 for multipart containers).
    pub size: u64,
    pub children: Vec<MimePart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Attachment {
    pub part_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub content_id: Option<String>,
    /// An inline image referenced by Content-ID rather than an attachment a person saves.
    pub inline: bool,
}

/// The envelope as the window shows it, with the Bcc worked out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EnvelopeView {
    pub mail_from: String,
    pub mail_params: BTreeMap<String, String>,
    pub rcpt_to: Vec<RecipientView>,
    /// Envelope recipients in none of To or Cc: the Bcc.
    pub bcc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecipientView {
    pub address: String,
    /// ESMTP parameters as given, e.g. {"NOTIFY": "SUCCESS,FAILURE"}.
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessageDetail {
    pub summary: MessageSummary,
    pub envelope: EnvelopeView,
    pub headers: Vec<Header>,
    /// The first text/plain body (for the API and MCP); for a message that is only a
    /// wrapper (a `message/rfc822` root) the first text found inside it.
    pub text: Option<String>,
    /// HTML body as sent. Hostile: the window renders it only through ui/src/lib/html.ts.
    pub html: Option<String>,
    /// Everything the message says, in the order its structure puts it: what the Text and
    /// HTML views render (`text` and `html` are its first body, repeated for API clients).
    pub body: Vec<BodyBlock>,
    /// content-id (without <>) -> data: URL, for cid: images in the HTML.
    pub inline_images: BTreeMap<String, String>,
    pub parts: MimePart,
    pub attachments: Vec<Attachment>,
    /// `[first, end)` indexes into the session transcript covering this message.
    pub transcript_range: (usize, usize),
    /// The SMTP AUTH user of the session that sent it.
    pub auth_user: Option<String>,
    /// Every time it was released to a real server, newest first, with the reply.
    pub releases: Vec<Release>,
    /// Set when the message is past the MIME walk's caps (`message::limits`: depth and part
    /// count): one sentence saying what was not walked. Everything above shows what lies
    /// within the caps; the stored raw bytes hold all of it.
    #[serde(default)]
    pub not_walked: Option<String>,
}

/// Hex digests of a part's decoded bytes, for a test to compare an attachment with a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Checksums {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

/// Text cut to a budget, saying how much there was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clipped {
    /// The first characters of the text, at most the budget.
    pub text: String,
    /// Characters in the whole text, so a reader knows what `text` leaves out.
    pub total_chars: u64,
    /// True when `text` is shorter than the whole.
    pub truncated: bool,
}

/// A message as text, for a reader that pays for every character (a coding assistant over
/// MCP): no HTML markup, no inline images, each body cut to a budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageReading {
    pub summary: MessageSummary,
    pub envelope: EnvelopeView,
    pub headers: Vec<Header>,
    /// The message's own text/plain body, its lines ending in `\n`; `None` when it has none
    /// (an HTML-only mail), so a reader can tell that a text-only client would see nothing.
    pub text: Option<Clipped>,
    /// The text/html body as plain text (markup dropped, entities decoded); `None` when
    /// there is no HTML body.
    pub html_text: Option<Clipped>,
    /// What the message carries beyond its own body, as plain text in order: forwarded
    /// messages (with their From, Date and Subject), delivery reports, calendar events.
    /// `None` when it carries none of those.
    pub attached_text: Option<Clipped>,
    pub attachments: Vec<Attachment>,
    /// As in `MessageDetail`: what of the MIME tree was past the caps and not read.
    #[serde(default)]
    pub not_walked: Option<String>,
}
