//! Messages: list, count, read one in every form, change read state, delete.

use super::files::{eml_file_name, fallback_part_name, safe_file_name};
use super::{blocking, CommandError, Result};
use crate::message::part_bytes;
use crate::model::{Counts, Inbox, ListQuery, MessageDetail, MessageId, MessagePage};
use crate::store::Store;

/// The page a list returns when it does not say.
pub const DEFAULT_PAGE: u64 = 100;
/// The most one page returns; a caller wanting more pages through with `offset`.
pub const MAX_PAGE: u64 = 10_000;

/// Bytes to save or open, with the file name to give them and their type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileData {
    pub bytes: Vec<u8>,
    /// Already safe for any file system (`safe_file_name`).
    pub file_name: String,
    pub content_type: String,
}

/// One page of messages, newest first. A `limit` of 0 is `DEFAULT_PAGE`; more than
/// `MAX_PAGE` is clamped to it.
pub async fn list(store: &Store, mut query: ListQuery) -> Result<MessagePage> {
    query.limit = match query.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    blocking(store, move |s| Ok(s.list(&query)?)).await
}

/// How many messages there are, and how many unread.
pub async fn counts(store: &Store) -> Result<Counts> {
    blocking(store, |s| Ok(s.counts()?)).await
}

/// One inbox per envelope recipient, with counts.
pub async fn inboxes(store: &Store) -> Result<Vec<Inbox>> {
    blocking(store, |s| Ok(s.inboxes()?)).await
}

/// The full parsed view. Does not mark the message read.
pub async fn get_message(store: &Store, id: MessageId) -> Result<MessageDetail> {
    blocking(store, move |s| {
        let summary = s.summary(id)?;
        let envelope = s.envelope(id)?;
        let raw = s.raw(id)?;
        Ok(MessageDetail::build(summary, envelope, &raw))
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

/// Deletes these messages; returns how many existed. Resolves after the commit.
pub async fn delete(store: &Store, ids: Vec<MessageId>) -> Result<u64> {
    Ok(store.delete(ids).await?)
}

/// Marks these messages read or unread. Resolves after the commit.
pub async fn mark_read(store: &Store, ids: Vec<MessageId>, read: bool) -> Result<()> {
    Ok(store.mark_read(ids, read).await?)
}

/// Deletes every message and every finished session.
pub async fn clear(store: &Store) -> Result<()> {
    Ok(store.clear().await?)
}
