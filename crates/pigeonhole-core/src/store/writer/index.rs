//! The search index: rows queued after the ack, indexed in batches, rebuilt in the
//! background from raw bytes after a crash or a migration. After each batch, tag rules run
//! over it and `message://indexed` goes out, so a search-filtered view never misses a
//! message that arrived while it was open.

use rusqlite::{params, params_from_iter, Transaction};

use super::Writer;
use crate::event::Event;
use crate::message::index::{address_key, cjk_spaced, facet_text};
use crate::message::Parsed;
use crate::model::{Address, Envelope, Recipient};
use crate::store::search::{Filter, BCC, CC, FROM, MAIL_FROM, MESSAGE_ID, RCPT_TO, REPLY_TO, TO};

/// Rows wait at most this long for a quiet moment before they are indexed.
pub(super) const INDEX_IDLE: std::time::Duration = std::time::Duration::from_millis(100);
/// ...and are indexed at once past this many rows or bytes, so memory stays bounded...
const MAX_ROWS: usize = 2000;
const MAX_BYTES: usize = 8 * 1024 * 1024;
/// ...or once the oldest has waited this long, so under a steady stream of mail (never
/// quiet) a message is still findable well within a second of its 250.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_millis(400);
/// Messages re-indexed per step of a background rebuild, between other work, and the most
/// raw bytes one step parses.
const REBUILD_STEP: i64 = 200;
const REBUILD_STEP_BYTES: usize = 4 * 1024 * 1024;

/// A committed message waiting for the index.
pub(crate) struct IndexRow {
    id: i64,
    /// subject, sender, to_rcpt, cc_rcpt, bcc_rcpt, reply_to, body, files, headers, facets
    text: [String; 10],
    /// (lowercased address, role)
    addresses: Vec<(String, i64)>,
    /// Set when the row replaces what may already be indexed (a rebuild).
    rebuild: Option<Rebuilt>,
}

/// What a rebuild also restores: columns older versions did not compute, and tags.
struct Rebuilt {
    has_inline: bool,
    tags: Vec<String>,
}

/// `cjk_spaced`, without a copy when nothing changes.
fn spaced(text: String) -> String {
    match cjk_spaced(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(spaced) => spaced,
    }
}

fn names(list: &[&Address]) -> String {
    let mut out = String::new();
    for a in list {
        if let Some(n) = &a.name {
            out.push_str(n);
            out.push(' ');
        }
        out.push_str(&a.address);
        out.push(' ');
    }
    cjk_spaced(&out).into_owned()
}

impl IndexRow {
    /// Takes the index-only text (body and header text) out of `parsed`; what is left is
    /// what the message's row and summary need. Built where a message is handed to the
    /// store, so this work runs on the sender's thread, not the one writer's.
    pub(crate) fn new(
        id: i64,
        envelope: &Envelope,
        parsed: &mut Parsed,
        auth_user: Option<&str>,
        listener: &str,
    ) -> IndexRow {
        let facets = facet_text(
            parsed.has_attachments,
            parsed.has_inline,
            auth_user,
            listener,
        );
        let mut addresses: Vec<(String, i64)> = Vec::new();
        let mut add = |a: &str, role: i64| {
            if !a.trim().is_empty() {
                addresses.push((address_key(a), role));
            }
        };
        if let Some(a) = &parsed.from {
            add(&a.address, FROM);
        }
        for a in &parsed.to {
            add(&a.address, TO);
        }
        for a in &parsed.cc {
            add(&a.address, CC);
        }
        for a in &parsed.reply_to {
            add(&a.address, REPLY_TO);
        }
        add(&envelope.mail_from, MAIL_FROM);
        let visible: Vec<String> = parsed
            .to
            .iter()
            .chain(&parsed.cc)
            .map(|a| address_key(&a.address))
            .collect();
        let bcc: Vec<Address> = envelope
            .rcpt_to
            .iter()
            .filter(|r| !visible.contains(&address_key(&r.address)))
            .map(|r| Address {
                name: None,
                address: r.address.clone(),
            })
            .collect();
        for r in &envelope.rcpt_to {
            add(&r.address, RCPT_TO);
        }
        for a in &bcc {
            add(&a.address, BCC);
        }
        if let Some(m) = &parsed.message_id {
            add(m, MESSAGE_ID);
        }
        addresses.sort();
        addresses.dedup();
        let envelope_from = Address {
            name: None,
            address: envelope.mail_from.clone(),
        };
        let sender: Vec<&Address> = parsed.from.iter().chain([&envelope_from]).collect();
        IndexRow {
            id,
            text: [
                cjk_spaced(&parsed.subject).into_owned(),
                names(&sender),
                names(&parsed.to.iter().collect::<Vec<_>>()),
                names(&parsed.cc.iter().collect::<Vec<_>>()),
                names(&bcc.iter().collect::<Vec<_>>()),
                names(&parsed.reply_to.iter().collect::<Vec<_>>()),
                spaced(std::mem::take(&mut parsed.body_text)),
                cjk_spaced(&parsed.attachment_names.join(" ")).into_owned(),
                std::mem::take(&mut parsed.header_text),
                facets,
            ],
            addresses,
            rebuild: None,
        }
    }

    /// The text columns the index would get, for the fuzz targets (`fuzzing` feature).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn into_text(self) -> [String; 10] {
        self.text
    }

    /// The id, once the message has one (`IndexRow::new` may run before its commit).
    pub(super) fn set_id(&mut self, id: i64) {
        self.id = id;
    }

    fn bytes(&self) -> usize {
        self.text.iter().map(String::len).sum()
    }
}

/// Inserts one row's words and addresses; a rebuilt row replaces what was there.
fn insert(tx: &Transaction, r: &IndexRow) -> rusqlite::Result<()> {
    if let Some(rebuilt) = &r.rebuild {
        tx.prepare_cached("DELETE FROM message_text WHERE rowid = ?1")?
            .execute([r.id])?;
        tx.prepare_cached("UPDATE messages SET has_inline = ?2 WHERE id = ?1")?
            .execute(params![r.id, rebuilt.has_inline])?;
        let mut tag = tx.prepare_cached(
            "INSERT OR IGNORE INTO message_tags (tag, message_id) VALUES (?1, ?2)",
        )?;
        for t in &rebuilt.tags {
            tag.execute(params![t, r.id])?;
        }
    }
    tx.prepare_cached(
        "INSERT INTO message_text (rowid, subject, sender, to_rcpt, cc_rcpt, bcc_rcpt, reply_to, body, files, headers, facets)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        r.id, r.text[0], r.text[1], r.text[2], r.text[3], r.text[4], r.text[5], r.text[6],
        r.text[7], r.text[8], r.text[9]
    ])?;
    let mut addr = tx.prepare_cached(
        "INSERT OR IGNORE INTO message_addresses (address, role, message_id) VALUES (?1, ?2, ?3)",
    )?;
    for (a, role) in &r.addresses {
        addr.execute(params![a, role, r.id])?;
    }
    Ok(())
}

/// Tags `tag` on the messages in `ids` that `filter` matches (a tag rule); returns the ids
/// that got it.
fn apply_rule(
    tx: &Transaction,
    filter: &Filter,
    tag: &str,
    ids: &[i64],
) -> rusqlite::Result<Vec<i64>> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let sql = format!(
        "INSERT OR IGNORE INTO message_tags (tag, message_id)
         SELECT ?, m.id FROM messages m WHERE m.id IN (SELECT value FROM json_each(?)) AND ({})
         RETURNING message_id",
        filter.sql
    );
    let mut args: Vec<rusqlite::types::Value> = vec![tag.to_string().into(), list.into()];
    args.extend(filter.args.iter().cloned());
    let mut stmt = tx.prepare(&sql)?;
    let tagged = stmt
        .query_map(params_from_iter(args), |r| r.get(0))?
        .collect();
    tagged
}

impl Writer {
    pub(super) fn queue_index(&mut self, row: IndexRow) {
        if self.index.is_empty() {
            self.index_since = std::time::Instant::now();
        }
        self.index_bytes += row.bytes();
        self.index.push(row);
    }

    /// True once the queue should be indexed without waiting for a quiet moment.
    pub(super) fn index_is_due(&self) -> bool {
        !self.index.is_empty()
            && (self.waiters.load(std::sync::atomic::Ordering::Relaxed) > 0
                || self.index.len() >= MAX_ROWS
                || self.index_bytes >= MAX_BYTES
                || self.index_since.elapsed() >= MAX_WAIT)
    }

    /// Indexes every waiting row in one transaction, runs the tag rules over them, moves
    /// the watermark and announces the batch.
    pub(super) fn flush_index(&mut self) {
        if self.index.is_empty() {
            return;
        }
        let mut rows = std::mem::take(&mut self.index);
        self.index_bytes = 0;
        rows.sort_by_key(|r| r.id);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let upto = ids[ids.len() - 1];
        // While a rebuild runs, the watermark is its cursor: everything at or below it is
        // indexed. Live rows are above where the rebuild ends.
        let watermark = match self.rebuild {
            // After a failure the mark stays put: the next start indexes from there again.
            _ if self.index_failed => None,
            Some((cursor, _)) => Some(cursor),
            None => Some(upto),
        };
        let rules = self.tag_rules.clone();
        let result = (|| -> rusqlite::Result<(Vec<i64>, Vec<i64>)> {
            let tx = self.conn.transaction()?;
            let mut indexed = Vec::with_capacity(rows.len());
            {
                let mut exists = tx.prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?;
                for r in &rows {
                    // A message deleted before it was indexed is skipped.
                    if exists.exists([r.id])? {
                        insert(&tx, r)?;
                        indexed.push(r.id);
                    }
                }
            }
            // Rules tag arrivals; a rebuild re-indexes old mail and leaves its tags as they are.
            let arrived: Vec<i64> = rows
                .iter()
                .filter(|r| r.rebuild.is_none() && indexed.contains(&r.id))
                .map(|r| r.id)
                .collect();
            let mut tagged = Vec::new();
            if !arrived.is_empty() {
                for (filter, tag) in &rules {
                    tagged.extend(apply_rule(&tx, filter, tag, &arrived)?);
                }
            }
            tagged.sort_unstable();
            tagged.dedup();
            if let Some(w) = watermark {
                tx.execute(
                    "UPDATE meta SET value = MAX(value, ?1) WHERE key = 'fts_upto'",
                    [w],
                )?;
            }
            tx.commit()?;
            Ok((indexed, tagged))
        })();
        match result {
            Ok((indexed, tagged)) => {
                // Only the messages a rule tagged are read back and announced as changed.
                if !tagged.is_empty() {
                    self.publish_updated(&tagged);
                }
                if !indexed.is_empty() {
                    self.bus.publish(Event::MessagesIndexed(indexed));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, rows = ids.len(), "indexing failed; these messages are indexed again at next start");
                self.index_failed = true;
            }
        }
    }

    /// Starts a background rebuild of everything above the watermark (a crash before its
    /// batch was indexed, or a migration that reset the index).
    pub(super) fn start_rebuild(&mut self) {
        let found = self.conn.query_row(
            "SELECT (SELECT value FROM meta WHERE key = 'fts_upto'), COALESCE(MAX(id), 0) FROM messages",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        );
        match found {
            Ok((upto, max)) if max > upto => {
                tracing::info!(
                    from = upto + 1,
                    to = max,
                    "indexing messages the index does not hold yet"
                );
                self.rebuild = Some((upto, max));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the index watermark"),
        }
    }

    /// Re-indexes the next few messages of a rebuild from their raw bytes.
    pub(super) fn rebuild_step(&mut self) {
        let Some((cursor, end)) = self.rebuild else {
            return;
        };
        let result = (|| -> rusqlite::Result<Vec<IndexRow>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT m.id, m.mail_from, m.rcpt_to, r.raw, m.auth_user, m.listener FROM messages m
                 JOIN message_raw r ON r.message_id = m.id
                 WHERE m.id > ?1 AND m.id <= ?2 ORDER BY m.id LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![cursor, end, REBUILD_STEP])?;
            let mut found = Vec::new();
            let mut bytes = 0usize;
            while let Some(row) = rows.next()? {
                if bytes >= REBUILD_STEP_BYTES {
                    // Large mail: parse less per step, so a waiting 250 is not held up.
                    break;
                }
                let id: i64 = row.get(0)?;
                let rcpt_to: Vec<Recipient> =
                    serde_json::from_str(&row.get::<_, String>(2)?).unwrap_or_default();
                let envelope = Envelope {
                    mail_from: row.get(1)?,
                    mail_params: Vec::new(),
                    rcpt_to,
                };
                let raw: Vec<u8> = row.get(3)?;
                bytes += raw.len();
                let mut parsed = crate::message::summarize(&raw);
                let rebuilt = Rebuilt {
                    has_inline: parsed.has_inline,
                    tags: crate::message::tags_for(&envelope, &parsed),
                };
                let user: Option<String> = row.get(4)?;
                let listener: String = row.get(5)?;
                let mut r = IndexRow::new(id, &envelope, &mut parsed, user.as_deref(), &listener);
                r.rebuild = Some(rebuilt);
                found.push(r);
            }
            Ok(found)
        })();
        match result {
            Ok(found) => {
                let last = found.last().map(|r| r.id);
                // Live rows queued so far go in the same batch; they are above `end`.
                for r in found {
                    self.queue_index(r);
                }
                match last {
                    Some(last) if last < end => self.rebuild = Some((last, end)),
                    _ => {
                        // Done: the watermark may now cover live rows too.
                        self.rebuild = None;
                        tracing::info!(upto = end, "index rebuilt");
                    }
                }
                self.flush_index();
                if self.rebuild.is_none() && !self.index_failed {
                    let _ = self.conn.execute(
                        "UPDATE meta SET value = MAX(value, ?1) WHERE key = 'fts_upto'",
                        [end],
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "rebuilding the index failed; it is tried again at next start");
                self.rebuild = None;
                self.index_failed = true;
            }
        }
    }
}
