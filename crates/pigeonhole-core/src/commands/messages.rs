//! Messages: list, count, read one in every form, change read state, tag, pin, delete;
//! by id or by query.

use super::files::{eml_file_name, fallback_part_name, safe_file_name};
use super::{blocking, CommandError, Result};
use crate::message::{extract, normalize_tag, part_bytes};
use crate::model::{
    Checksums, Code, Counts, Inbox, InboxKey, InboxKind, Link, ListQuery, MessageDetail,
    MessageFilter, MessageId, MessagePage, MessageSummary,
};
use crate::search::{self, ParseError};
use crate::store::{Clock, Filter, Store};

/// The page a list returns when it does not say.
pub const DEFAULT_PAGE: u64 = 100;
/// The most one page returns; a caller wanting more pages through with `offset`.
pub const MAX_PAGE: u64 = 10_000;

/// Offsets beyond this are treated as this (past any store's end; SQLite's integers are
/// signed).
const MAX_OFFSET: u64 = 1 << 53;

/// Bytes to save or open, with the file name to give them and their type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileData {
    pub bytes: Vec<u8>,
    /// Already safe for any file system (`safe_file_name`).
    pub file_name: String,
    pub content_type: String,
}

/// Checks a query without running it: the error has the position of the problem.
pub fn check_query(query: &str) -> std::result::Result<(), ParseError> {
    search::parse(query).map(|_| ())
}

/// A filter compiled for the store; a malformed query is `CommandError::Query`.
pub(super) fn compile(filter: &MessageFilter) -> Result<Filter> {
    let query = search::parse(&filter.query)?;
    let mut clock = Clock::system();
    if let Some(minutes) = filter.utc_offset_minutes {
        clock.offset = Some(
            chrono::FixedOffset::east_opt(minutes.saturating_mul(60)).ok_or_else(|| {
                CommandError::Invalid(format!("{minutes} minutes is not a UTC offset"))
            })?,
        );
    }
    Ok(Filter::new(&query, filter.inbox.as_ref(), &clock))
}

/// Before a query runs, what has been acknowledged is indexed: a search right after a
/// `250` finds that message, as a person (or a test) expects. All mail, unfiltered, reads
/// no index.
async fn settle(store: &Store, filter: &MessageFilter) -> Result<()> {
    // Tag rules tag a message as it is indexed, so a tag inbox reads the index too.
    if !filter.query.trim().is_empty() || filter.inbox.is_some() {
        store.sync_index().await?;
    }
    // Findings come from the lint worker a moment after the index.
    if crate::search::parse(&filter.query).is_ok_and(|q| q.mentions_lint()) {
        store.sync_lint().await?;
    }
    Ok(())
}

/// One page of the messages a query matches, newest first. A `limit` of 0 is
/// `DEFAULT_PAGE`; more than `MAX_PAGE` is clamped to it (page on with `offset`).
pub async fn list(store: &Store, query: ListQuery) -> Result<MessagePage> {
    let limit = match query.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let filter = compile(&query.filter())?;
    settle(store, &query.filter()).await?;
    let offset = query.offset.min(MAX_OFFSET);
    blocking(store, move |s| Ok(s.list(&filter, offset, limit)?)).await
}

/// The ids a query matches, newest first, from `offset`, at most `limit` (0: every one).
pub async fn ids(
    store: &Store,
    filter: MessageFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<MessageId>> {
    let compiled = compile(&filter)?;
    settle(store, &filter).await?;
    let filter = compiled;
    let offset = offset.min(MAX_OFFSET);
    blocking(store, move |s| Ok(s.ids(&filter, offset, limit)?)).await
}

/// The summaries of these messages, in the order given; ids that do not exist are left out.
pub async fn summaries(store: &Store, ids: Vec<MessageId>) -> Result<Vec<MessageSummary>> {
    blocking(store, move |s| Ok(s.summaries(&ids)?)).await
}

/// How many messages there are, and how many unread.
pub async fn counts(store: &Store) -> Result<Counts> {
    blocking(store, |s| Ok(s.counts()?)).await
}

/// How many messages a query matches, and how many of those are unread.
pub async fn count(store: &Store, filter: MessageFilter) -> Result<Counts> {
    let compiled = compile(&filter)?;
    settle(store, &filter).await?;
    let filter = compiled;
    blocking(store, move |s| Ok(s.count(&filter)?)).await
}

/// Every inbox with counts: per envelope recipient, AUTH user, listener and tag.
pub async fn inboxes(store: &Store) -> Result<Vec<Inbox>> {
    blocking(store, |s| Ok(s.inboxes()?)).await
}

/// The full parsed view, with the message's releases. Does not mark the message read.
pub async fn get_message(store: &Store, id: MessageId) -> Result<MessageDetail> {
    blocking(store, move |s| {
        let summary = s.summary(id)?;
        let envelope = s.envelope(id)?;
        let raw = s.raw(id)?;
        let mut detail = MessageDetail::build(summary, envelope, &raw);
        detail.releases = s.releases(id)?;
        Ok(detail)
    })
    .await
}

/// Every link in a message's HTML and text bodies, each once, with its anchor text.
pub async fn links(store: &Store, id: MessageId) -> Result<Vec<Link>> {
    from_bodies(store, id, extract::links).await
}

/// The one-time codes in a message (verification codes, PINs), each with its sentence.
pub async fn codes(store: &Store, id: MessageId) -> Result<Vec<Code>> {
    from_bodies(store, id, extract::codes).await
}

/// `f` over the message's own text and HTML parts (`extract::bodies`).
pub(super) async fn from_bodies<T: Send + 'static>(
    store: &Store,
    id: MessageId,
    f: fn(Option<&str>, Option<&str>) -> T,
) -> Result<T> {
    blocking(store, move |s| {
        let raw = s.raw(id)?;
        let msg = mail_parser::MessageParser::default().parse(&raw);
        let (text, html) = msg.as_ref().map(extract::bodies).unwrap_or_default();
        Ok(f(text, html))
    })
    .await
}

/// The exact bytes stored.
pub async fn raw(store: &Store, id: MessageId) -> Result<Vec<u8>> {
    blocking(store, move |s| Ok(s.raw(id)?)).await
}

/// The stored bytes as a `.eml` file named after the subject.
pub async fn raw_file(store: &Store, id: MessageId) -> Result<FileData> {
    blocking(store, move |s| {
        let summary = s.summary(id)?;
        Ok(FileData {
            bytes: s.raw(id)?,
            file_name: eml_file_name(&summary),
            content_type: "message/rfc822".into(),
        })
    })
    .await
}

/// The decoded bytes of MIME part `part_id` ("1.2"), with a safe file name: the part's own
/// name when it has one, else `part-1.2.<subtype>`.
pub async fn part(store: &Store, id: MessageId, part_id: String) -> Result<FileData> {
    blocking(store, move |s| {
        let raw = s.raw(id)?;
        let Some((bytes, content_type, name)) = part_bytes(&raw, &part_id) else {
            return Err(CommandError::NoPart { id, part: part_id });
        };
        let name = name.unwrap_or_else(|| fallback_part_name(&part_id, &content_type));
        Ok(FileData {
            bytes,
            file_name: safe_file_name(&name),
            content_type,
        })
    })
    .await
}

/// Digests of these parts' decoded bytes, by part id; ids that are not parts are left out.
pub async fn checksums(
    store: &Store,
    id: MessageId,
    part_ids: Vec<String>,
) -> Result<std::collections::BTreeMap<String, Checksums>> {
    use md5::Digest as _;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    blocking(store, move |s| {
        let raw = s.raw(id)?;
        let mut sums = std::collections::BTreeMap::new();
        // One parse for every part: a message may have thousands.
        crate::message::each_part_bytes(&raw, &part_ids, |path, bytes| {
            sums.insert(
                path.to_string(),
                Checksums {
                    md5: hex(&md5::Md5::digest(bytes)),
                    sha1: hex(&sha1::Sha1::digest(bytes)),
                    sha256: hex(&sha2::Sha256::digest(bytes)),
                },
            );
        });
        Ok(sums)
    })
    .await
}

/// Deletes these messages, pinned or not; returns how many existed. Resolves after the
/// commit.
pub async fn delete(store: &Store, ids: Vec<MessageId>) -> Result<u64> {
    Ok(store.delete(ids).await?)
}

/// Deletes the messages a query matches, except pinned ones; returns how many went.
pub async fn delete_matching(store: &Store, filter: MessageFilter) -> Result<u64> {
    let filter = compile(&filter)?;
    Ok(store.delete_matching(filter).await?)
}

/// Marks these messages read or unread. Resolves after the commit.
pub async fn mark_read(store: &Store, ids: Vec<MessageId>, read: bool) -> Result<()> {
    Ok(store.mark_read(ids, read).await?)
}

/// Marks the messages a query matches read or unread; returns how many changed.
pub async fn mark_read_matching(store: &Store, filter: MessageFilter, read: bool) -> Result<u64> {
    let filter = compile(&filter)?;
    Ok(store.mark_matching(filter, read).await?)
}

/// Adds and removes tags; every tag is checked first (`message::normalize_tag`), so a bad
/// one changes nothing.
pub async fn tag(
    store: &Store,
    ids: Vec<MessageId>,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<()> {
    let norm = |tags: Vec<String>| -> Result<Vec<String>> {
        tags.into_iter()
            .map(|t| normalize_tag(&t).ok_or(CommandError::BadTag(t)))
            .collect()
    };
    let (add, remove) = (norm(add)?, norm(remove)?);
    Ok(store.tag(ids, add, remove).await?)
}

/// Gives these messages exactly these tags, removing the others (Mailpit's `PUT /tags`).
pub async fn set_tags(store: &Store, ids: Vec<MessageId>, tags: Vec<String>) -> Result<()> {
    let mut wanted: Vec<String> = tags
        .into_iter()
        .map(|t| normalize_tag(&t).ok_or(CommandError::BadTag(t)))
        .collect::<Result<_>>()?;
    wanted.sort();
    wanted.dedup();
    let current = summaries(store, ids.clone()).await?;
    let mut remove: Vec<String> = current
        .into_iter()
        .flat_map(|m| m.tags)
        .filter(|t| !wanted.contains(t))
        .collect();
    remove.sort();
    remove.dedup();
    Ok(store.tag(ids, wanted, remove).await?)
}

/// The newest message a filter matches (`latest` in the API).
pub async fn latest(store: &Store, filter: MessageFilter) -> Result<Option<MessageId>> {
    Ok(ids(store, filter, 0, 1).await?.first().copied())
}

/// Every tag in use, with how many messages carry it, by name.
pub async fn tags(store: &Store) -> Result<Vec<(String, u64)>> {
    blocking(store, |s| Ok(s.tags()?)).await
}

fn tagged(tag: &str) -> Result<(String, MessageFilter)> {
    let tag = normalize_tag(tag).ok_or_else(|| CommandError::BadTag(tag.to_string()))?;
    let filter = MessageFilter {
        inbox: Some(InboxKey {
            kind: InboxKind::Tag,
            key: tag.clone(),
        }),
        query: String::new(),
        utc_offset_minutes: None,
    };
    Ok((tag, filter))
}

/// Renames a tag on every message that has it; returns how many messages changed.
pub async fn rename_tag(store: &Store, from: &str, to: &str) -> Result<u64> {
    let (from, filter) = tagged(from)?;
    let to = normalize_tag(to).ok_or_else(|| CommandError::BadTag(to.to_string()))?;
    let ids = ids(store, filter, 0, 0).await?;
    let n = ids.len() as u64;
    if n > 0 && from != to {
        store.tag(ids, vec![to], vec![from]).await?;
    }
    Ok(n)
}

/// Takes a tag off every message (the messages stay); returns how many changed.
pub async fn delete_tag(store: &Store, tag: &str) -> Result<u64> {
    let (tag, filter) = tagged(tag)?;
    let ids = ids(store, filter, 0, 0).await?;
    let n = ids.len() as u64;
    if n > 0 {
        store.tag(ids, Vec::new(), vec![tag]).await?;
    }
    Ok(n)
}

/// Pins or unpins: a pinned message survives retention and Clear all.
pub async fn pin(store: &Store, ids: Vec<MessageId>, pinned: bool) -> Result<()> {
    Ok(store.pin(ids, pinned).await?)
}

/// Deletes every unpinned message, and every finished session no pinned message needs.
pub async fn clear(store: &Store) -> Result<()> {
    Ok(store.clear().await?)
}
