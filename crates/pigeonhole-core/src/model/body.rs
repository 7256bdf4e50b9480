//! What a message says, in the order its MIME structure puts it: text and HTML bodies, inline
//! images between them, forwarded messages with their own headers and bodies, delivery and
//! read reports, calendar events. Built by `message::body` from the raw bytes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Header;

/// One thing a reader sees, in document order. The Text and HTML views render a list of
/// these; `MessageDetail.text` and `.html` stay the first body for the API and MCP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyBlock {
    /// A text body: a text/plain part, a text/html part, or the pair a
    /// multipart/alternative offers (then `part_id` is the alternative's).
    Body {
        part_id: String,
        /// The text/plain version, `None` when the sender gave none.
        text: Option<String>,
        /// The HTML version as sent (hostile: rendered only through ui/src/lib/html.ts).
        html: Option<String>,
        /// The HTML as plain text, only when there is no `text`, so the Text view has
        /// something to show for an HTML-only part.
        html_as_text: Option<String>,
    },
    /// An image the structure shows in line (not referenced by Content-ID from HTML).
    Image {
        part_id: String,
        content_type: String,
        filename: Option<String>,
        /// A `data:` URL; `None` once the inline-image budget is spent.
        src: Option<String>,
        size: u64,
    },
    /// A `message/rfc822` part (a forwarded or bounced message) or the `text/rfc822-headers`
    /// of a report, shown as a message of its own.
    Message {
        part_id: String,
        message: NestedMessage,
    },
    /// A `message/delivery-status` (RFC 3464) or `message/disposition-notification`
    /// (RFC 8098) part as fields.
    Report {
        part_id: String,
        report: DeliveryReport,
    },
    /// A `text/calendar` part (RFC 5545): the events it carries.
    Calendar {
        part_id: String,
        /// The name it downloads as: its own, always ending in `.ics`, else `invite.ics`.
        file_name: String,
        invite: CalendarInvite,
    },
}

/// A message inside a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NestedMessage {
    /// Its first Subject, decoded (empty when it has none).
    pub subject: String,
    /// The headers a reader looks at (From, To, Cc, Date, Subject), decoded, in that order.
    pub headers: Vec<Header>,
    /// Its own blocks, recursively.
    pub body: Vec<BodyBlock>,
    /// True for `text/rfc822-headers`: there is no body to show.
    pub headers_only: bool,
    /// True when nesting went deeper than we follow; the part is still in the Parts tree.
    pub too_deep: bool,
}

/// Which report a `Report` block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// RFC 3464 `message/delivery-status` (bounces, delays, success notices).
    DeliveryStatus,
    /// RFC 8098 `message/disposition-notification` (read receipts).
    DispositionNotification,
}

/// One `Name: value` field of a report, unfolded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportField {
    pub name: String,
    pub value: String,
}

/// The fields of a delivery-status or disposition-notification part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeliveryReport {
    pub kind: ReportKind,
    /// The per-message fields (Reporting-MTA, Arrival-Date, Reporting-UA, Disposition...).
    pub message_fields: Vec<ReportField>,
    /// One entry per recipient block (a disposition notification has one).
    pub recipients: Vec<ReportRecipient>,
}

/// A recipient's block of a report, the fields a reader scans for pulled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportRecipient {
    /// `Final-Recipient` without its address type (`rfc822;`).
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    /// failed, delayed, delivered, relayed, expanded.
    pub action: Option<String>,
    /// The enhanced status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// The remote server's reply, type prefix (`smtp;`) removed.
    pub diagnostic_code: Option<String>,
    pub remote_mta: Option<String>,
    /// A read receipt's `Disposition` (e.g. `manual-action/MDN-sent-manually; displayed`).
    pub disposition: Option<String>,
    /// Every field of the block as sent, for what the summary leaves out.
    pub fields: Vec<ReportField>,
}

/// What a calendar part carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CalendarInvite {
    /// REQUEST, REPLY, CANCEL, PUBLISH...
    pub method: Option<String>,
    pub events: Vec<CalendarEvent>,
    /// True when the part had more than we read (events, attendees or bytes).
    pub truncated: bool,
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CalendarEvent {
    pub summary: Option<String>,
    pub organizer: Option<CalendarPerson>,
    pub start: Option<CalendarTime>,
    pub end: Option<CalendarTime>,
    pub location: Option<String>,
    pub description: Option<String>,
    /// CONFIRMED, TENTATIVE, CANCELLED.
    pub status: Option<String>,
    pub uid: Option<String>,
    pub attendees: Vec<CalendarPerson>,
}

/// An ORGANIZER or ATTENDEE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CalendarPerson {
    /// The CN parameter.
    pub name: Option<String>,
    /// The address, `mailto:` removed.
    pub address: String,
    /// NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED.
    pub partstat: Option<String>,
    /// REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR...
    pub role: Option<String>,
}

/// A DTSTART or DTEND as written, and read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CalendarTime {
    /// The value as sent, e.g. `20261203T100000`.
    pub raw: String,
    /// ISO 8601 (`2026-12-03T10:00:00`, `...Z` for UTC, `2026-12-03` for a date), when the
    /// value parses.
    pub iso: Option<String>,
    /// The TZID parameter: the zone the wall-clock time is in.
    pub tzid: Option<String>,
    /// The value ends in `Z`.
    pub utc: bool,
    /// VALUE=DATE: a whole day, no time.
    pub all_day: bool,
    /// For people: `Thu 3 Dec 2026, 10:00 (Europe/Berlin)`.
    pub display: String,
}
