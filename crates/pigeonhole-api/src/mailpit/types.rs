//! Mailpit v1's JSON shapes (PascalCase, ids as strings), from its swagger file, and the
//! conversions from core's types. Nothing here reads the store.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use pigeonhole_core::model::{self, MessageDetail, MessageSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `2026-12-01T10:00:00.123Z`, as Mailpit writes dates.
pub fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    pub name: String,
    pub address: String,
}

impl From<&model::Address> for Address {
    fn from(a: &model::Address) -> Address {
        Address {
            name: a.name.clone().unwrap_or_default(),
            address: a.address.clone(),
        }
    }
}

fn addresses(list: &[model::Address]) -> Vec<Address> {
    list.iter().map(Address::from).collect()
}

fn bare(list: Vec<String>) -> Vec<Address> {
    list.into_iter()
        .map(|address| Address {
            name: String::new(),
            address,
        })
        .collect()
}

/// One row of a list or search.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "MessageID")]
    pub message_id: String,
    pub read: bool,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub subject: String,
    /// When it was received.
    pub created: String,
    /// The SMTP AUTH user, if any.
    pub username: String,
    pub tags: Vec<String>,
    pub size: u64,
    /// How many attachments.
    pub attachments: u64,
    pub snippet: String,
}

impl From<&MessageSummary> for Summary {
    fn from(m: &MessageSummary) -> Summary {
        Summary {
            id: m.id.to_string(),
            message_id: m.message_id.clone().unwrap_or_default(),
            read: m.read,
            from: m.from.as_ref().map(Address::from),
            to: addresses(&m.to),
            cc: addresses(&m.cc),
            bcc: bare(m.bcc()),
            reply_to: addresses(&m.reply_to),
            subject: m.subject.clone(),
            created: rfc3339(m.received_at),
            username: m.auth_user.clone().unwrap_or_default(),
            tags: m.tags.clone(),
            size: m.size,
            attachments: u64::from(m.attachments),
            snippet: m.snippet.clone(),
        }
    }
}

/// A page of messages with the mailbox's totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagesSummary {
    /// Messages in the mailbox.
    pub total: u64,
    pub unread: u64,
    /// Messages the query matches (all of them, not only this page).
    pub messages_count: u64,
    pub messages_unread: u64,
    /// Messages on this page (Mailpit's older field).
    pub count: u64,
    pub start: u64,
    /// Every tag in use.
    pub tags: Vec<String>,
    pub messages: Vec<Summary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    #[serde(rename = "PartID")]
    pub part_id: String,
    pub file_name: String,
    pub content_type: String,
    #[serde(rename = "ContentID")]
    pub content_id: String,
    pub size: u64,
    pub checksums: Checksums,
}

/// Hex digests of a part's decoded bytes.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Checksums {
    #[serde(rename = "MD5")]
    pub md5: String,
    #[serde(rename = "SHA1")]
    pub sha1: String,
    #[serde(rename = "SHA256")]
    pub sha256: String,
}

impl From<&model::Checksums> for Checksums {
    fn from(c: &model::Checksums) -> Checksums {
        Checksums {
            md5: c.md5.clone(),
            sha1: c.sha1.clone(),
            sha256: c.sha256.clone(),
        }
    }
}

impl From<&model::Attachment> for Attachment {
    fn from(a: &model::Attachment) -> Attachment {
        Attachment {
            part_id: a.part_id.clone(),
            file_name: a.filename.clone(),
            content_type: a.content_type.clone(),
            content_id: a.content_id.clone().unwrap_or_default(),
            size: a.size,
            checksums: Checksums::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListUnsubscribe {
    pub header: String,
    pub header_post: String,
    pub links: Vec<String>,
    pub errors: String,
}

/// One message in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "MessageID")]
    pub message_id: String,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub reply_to: Vec<Address>,
    /// The envelope sender (MAIL FROM).
    pub return_path: String,
    pub subject: String,
    pub list_unsubscribe: ListUnsubscribe,
    /// The Date header, else when it was received.
    pub date: String,
    pub tags: Vec<String>,
    pub username: String,
    pub text: String,
    #[serde(rename = "HTML")]
    pub html: String,
    pub size: u64,
    pub inline: Vec<Attachment>,
    pub attachments: Vec<Attachment>,
}

/// A header's value as sent (unfolded). Not the decoded form: for List-Unsubscribe that
/// drops the angle brackets its links are found by, and Mailpit shows the header as sent.
fn header<'a>(d: &'a MessageDetail, name: &str) -> Option<&'a str> {
    d.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.raw.trim())
}

/// The `<…>` links of a List-Unsubscribe header: at most one mailto: and one http(s).
fn unsubscribe_links(value: &str) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for part in value.split('<').skip(1) {
        let Some((link, _)) = part.split_once('>') else {
            continue;
        };
        let link = link.trim();
        let kind = |l: &str| l.split(':').next().unwrap_or("").to_ascii_lowercase();
        let k = kind(link);
        let ok = k == "mailto" || k == "http" || k == "https";
        let web = |k: &str| k == "http" || k == "https";
        if ok
            && !links
                .iter()
                .any(|l| kind(l) == k || (web(&kind(l)) && web(&k)))
        {
            links.push(link.to_string());
        }
    }
    links
}

impl From<&MessageDetail> for Message {
    fn from(d: &MessageDetail) -> Message {
        let s = &d.summary;
        let unsubscribe = header(d, "List-Unsubscribe").unwrap_or("");
        let links = unsubscribe_links(unsubscribe);
        Message {
            id: s.id.to_string(),
            message_id: s.message_id.clone().unwrap_or_default(),
            from: s.from.as_ref().map(Address::from),
            to: addresses(&s.to),
            cc: addresses(&s.cc),
            bcc: bare(d.envelope.bcc.clone()),
            reply_to: addresses(&s.reply_to),
            return_path: s.mail_from.clone(),
            subject: s.subject.clone(),
            list_unsubscribe: ListUnsubscribe {
                header: unsubscribe.to_string(),
                header_post: header(d, "List-Unsubscribe-Post").unwrap_or("").to_string(),
                errors: if !unsubscribe.is_empty() && links.is_empty() {
                    "no valid unsubscribe links found".into()
                } else {
                    String::new()
                },
                links,
            },
            date: rfc3339(s.date.unwrap_or(s.received_at)),
            tags: s.tags.clone(),
            username: s.auth_user.clone().unwrap_or_default(),
            text: d.text.clone().unwrap_or_default(),
            html: d.html.clone().unwrap_or_default(),
            size: s.size,
            inline: d
                .attachments
                .iter()
                .filter(|a| a.inline)
                .map(Attachment::from)
                .collect(),
            attachments: d
                .attachments
                .iter()
                .filter(|a| !a.inline)
                .map(Attachment::from)
                .collect(),
        }
    }
}

/// Header name -> every value as written (unfolded, encoded words kept), names in
/// Mailpit's (Go's) canonical form, `Message-Id`, and in alphabetical order.
pub fn headers(d: &MessageDetail) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in &d.headers {
        map.entry(canonical_header_name(&h.name))
            .or_default()
            .push(h.raw.trim().to_string());
    }
    map
}

/// `content-TYPE` -> `Content-Type`: each letter after a hyphen (or first) upper case,
/// the rest lower, as Go's `textproto.CanonicalMIMEHeaderKey` writes them.
pub fn canonical_header_name(name: &str) -> String {
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return name.to_string();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeStats {
    /// Resident memory in bytes.
    pub memory: u64,
    pub messages_deleted: u64,
    #[serde(rename = "SMTPAccepted")]
    pub smtp_accepted: u64,
    #[serde(rename = "SMTPAcceptedSize")]
    pub smtp_accepted_size: u64,
    #[serde(rename = "SMTPIgnored")]
    pub smtp_ignored: u64,
    #[serde(rename = "SMTPRejected")]
    pub smtp_rejected: u64,
    /// Seconds since the API started.
    pub uptime: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AppInformation {
    pub version: String,
    pub latest_version: String,
    /// Where the store is.
    pub database: String,
    pub database_size: u64,
    pub messages: u64,
    pub unread: u64,
    /// Tag -> how many messages have it.
    pub tags: BTreeMap<String, u64>,
    pub runtime_stats: RuntimeStats,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MessageRelay {
    pub enabled: bool,
    #[serde(rename = "SMTPServer")]
    pub smtp_server: String,
    pub return_path: String,
    pub allowed_recipients: String,
    pub blocked_recipients: String,
    pub override_from: String,
    #[serde(rename = "PreserveMessageIDs")]
    pub preserve_message_ids: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct WebUiConfiguration {
    pub label: String,
    pub message_relay: MessageRelay,
    pub spam_assassin: bool,
    pub chaos_enabled: bool,
    pub duplicates_ignored: bool,
    pub hide_delete_all_button: bool,
}

/// `PUT /api/v1/messages`: set read status by ids, by search, or (neither) for all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct SetReadStatus {
    #[serde(rename = "IDs")]
    pub ids: Vec<String>,
    pub read: bool,
    pub search: String,
}

/// `DELETE /api/v1/messages`: these ids, or (none) everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct DeleteMessages {
    #[serde(rename = "IDs")]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct SetTags {
    #[serde(rename = "IDs")]
    pub ids: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct RenameTag {
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct SendAddress {
    pub email: String,
    pub name: String,
}

impl SendAddress {
    pub fn to_model(&self) -> model::Address {
        model::Address {
            name: Some(self.name.trim().to_string()).filter(|n| !n.is_empty()),
            address: self.email.trim().to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct SendAttachment {
    /// Base64 of the file's bytes.
    pub content: String,
    pub filename: String,
    pub content_type: String,
    #[serde(rename = "ContentID")]
    pub content_id: String,
}

/// `POST /api/v1/send`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct SendRequest {
    pub from: SendAddress,
    pub to: Vec<SendAddress>,
    pub cc: Vec<SendAddress>,
    /// Addresses only.
    pub bcc: Vec<String>,
    pub reply_to: Vec<SendAddress>,
    pub subject: String,
    pub text: String,
    #[serde(rename = "HTML")]
    pub html: String,
    pub attachments: Vec<SendAttachment>,
    pub headers: BTreeMap<String, String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SendResponse {
    #[serde(rename = "ID")]
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_take_go_s_canonical_form() {
        assert_eq!(canonical_header_name("Message-ID"), "Message-Id");
        assert_eq!(canonical_header_name("x-TAGS"), "X-Tags");
        assert_eq!(canonical_header_name("odd name"), "odd name");
    }

    #[test]
    fn unsubscribe_keeps_one_mailto_and_one_web_link() {
        let links = unsubscribe_links(
            "<mailto:u@example.test?subject=unsub>, <https://example.test/u/1>, <http://example.test/u/2>, <ftp://x>",
        );
        assert_eq!(
            links,
            [
                "mailto:u@example.test?subject=unsub",
                "https://example.test/u/1"
            ]
        );
        assert!(unsubscribe_links("garbage").is_empty());
    }
}

/// One of Mailpit's chaos triggers: refuse with `ErrorCode` on `Probability` percent of
/// the commands at its stage. Here each is a seeded fault rule, so a run repeats.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct ChaosTrigger {
    /// 400-599.
    pub error_code: u16,
    /// 0-100; 0 turns the trigger off.
    pub probability: u8,
}

impl Default for ChaosTrigger {
    fn default() -> Self {
        // Mailpit's default code for a trigger that is off.
        ChaosTrigger {
            error_code: 451,
            probability: 0,
        }
    }
}

/// `GET/PUT /api/v1/chaos`. A trigger left out of a PUT is turned off, as in Mailpit.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct ChaosTriggers {
    pub authentication: ChaosTrigger,
    pub recipient: ChaosTrigger,
    pub sender: ChaosTrigger,
}

impl From<pigeonhole_core::commands::Chaos> for ChaosTriggers {
    fn from(c: pigeonhole_core::commands::Chaos) -> Self {
        let t = |t: pigeonhole_core::commands::ChaosTrigger| ChaosTrigger {
            error_code: t.error_code,
            probability: t.probability,
        };
        ChaosTriggers {
            authentication: t(c.authentication),
            recipient: t(c.recipient),
            sender: t(c.sender),
        }
    }
}

impl From<ChaosTriggers> for pigeonhole_core::commands::Chaos {
    fn from(c: ChaosTriggers) -> Self {
        let t = |t: ChaosTrigger| pigeonhole_core::commands::ChaosTrigger {
            error_code: t.error_code,
            probability: t.probability,
        };
        pigeonhole_core::commands::Chaos {
            authentication: t(c.authentication),
            sender: t(c.sender),
            recipient: t(c.recipient),
        }
    }
}

/// `POST /api/v1/message/{ID}/release`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct ReleaseMessage {
    /// Addresses to release the message to (`ann@example.com` or `Ann <ann@example.com>`).
    /// Mailpit requires it; here, left out or empty, the message's envelope recipients.
    #[schema(example = json!(["user1@example.com", "user2@example.com"]))]
    pub to: Vec<String>,
}
