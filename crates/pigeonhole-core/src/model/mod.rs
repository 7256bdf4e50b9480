//! The domain types every layer shares: ids, addresses, envelopes, message and session
//! summaries, transcripts, the parsed message view and release records.
//!
//! A LEAF: nothing here imports another `crate::` module, so `smtp`, `store`, `message`,
//! `event` and the front ends all depend on `model` and never on each other for a type.
//! Serialised field names are the wire format of the window, the CLI's JSON and the API;
//! `ui/src/lib/generated/core.ts` is generated from these types by `tests/ui_types.rs`.

mod address;
mod automation;
mod body;
mod detail;
mod durability;
mod envelope;
mod extract;
mod html_check;
mod lint;
mod message;
mod release;
mod session;
mod status;
pub mod time;
mod transfer;

pub use address::Address;
pub use automation::{Compose, ComposeAttachment, TestInbox, WaitOutcome, WaitResult};
pub use body::{
    BodyBlock, CalendarEvent, CalendarInvite, CalendarPerson, CalendarTime, DeliveryReport,
    NestedMessage, ReportField, ReportKind, ReportRecipient,
};
pub use detail::{
    Attachment, Checksums, Clipped, EnvelopeView, Header, MessageDetail, MessageReading, MimePart,
    RecipientView,
};
pub use durability::Durability;
pub use envelope::{Envelope, Recipient, StoredEnvelope};
pub use extract::{Code, Link, LinkSource};
pub use html_check::{
    ClientSupport, HtmlCheck, HtmlCheckTotal, HtmlFeature, LinkCheck, LinkFlag, LinkStatus,
    Support, SupportScore,
};
pub use lint::{Finding, LintCheck, LintLocation, LintReport, Severity};
pub use message::{
    Counts, Inbox, InboxKey, InboxKind, ListQuery, MessageFilter, MessagePage, MessageSummary,
};
pub use release::{Release, ReleaseRequest, ReleaseServer, ReleaseStage, ReleaseTls};
pub use session::{
    AuthInfo, Direction, SessionFilter, SessionShow, SessionSummary, TlsInfo, Transcript,
    TranscriptExcerpt, TranscriptLine,
};
pub use status::{ListenerAddr, ServerStatus};
pub use transfer::{ExportFormat, ExportReport, ImportProblem, ImportReport};

/// A stored message's id: its row id, increasing in arrival order.
pub type MessageId = i64;
/// An SMTP session's id, increasing in connection order.
pub type SessionId = i64;
