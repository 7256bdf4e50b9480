//! The full-text index: rows queued after the ack, indexed in batches, caught up at start.

use rusqlite::params;

use super::Writer;
use crate::message::Parsed;
use crate::model::{Address, Envelope, Recipient};

/// Full-text rows wait at most this long for a quiet moment before they are indexed.
pub(super) const FTS_IDLE: std::time::Duration = std::time::Duration::from_millis(100);
/// ...and are indexed at once past this many rows or bytes, so memory stays bounded.
const FTS_MAX_ROWS: usize = 2000;
const FTS_MAX_BYTES: usize = 8 * 1024 * 1024;

/// A committed message waiting for the full-text index.
pub(super) struct FtsRow {
    id: i64,
    subject: String,
    addresses: String,
    body: String,
}

impl FtsRow {
    /// The searchable text of message `id`: subject, every address and name, body text.
    pub(super) fn new(id: i64, envelope: &Envelope, parsed: Parsed) -> FtsRow {
        let addresses = index_addresses(envelope, parsed.from.as_ref(), &parsed.to, &parsed.cc);
        FtsRow {
            id,
            subject: parsed.subject,
            addresses,
            body: parsed.body_text,
        }
    }
}

impl Writer {
    pub(super) fn queue_fts(&mut self, row: FtsRow) {
        self.fts_bytes += row.subject.len() + row.addresses.len() + row.body.len();
        self.fts.push(row);
    }

    /// True once the queue holds enough that it should be indexed without waiting.
    pub(super) fn fts_is_full(&self) -> bool {
        self.fts.len() >= FTS_MAX_ROWS || self.fts_bytes >= FTS_MAX_BYTES
    }

    /// Indexes every waiting row in one transaction and moves the watermark.
    pub(super) fn flush_fts(&mut self) {
        if self.fts.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.fts);
        self.fts_bytes = 0;
        let upto = rows.iter().map(|r| r.id).max().unwrap_or(0);
        let advance = !self.fts_failed;
        let result = (|| -> rusqlite::Result<()> {
            let tx = self.conn.transaction()?;
            {
                // A message deleted before it was indexed is skipped.
                let mut insert = tx.prepare_cached(
                    "INSERT INTO messages_fts (rowid, subject, addresses, body)
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1)",
                )?;
                for r in &rows {
                    insert.execute(params![r.id, r.subject, r.addresses, r.body])?;
                }
            }
            if advance {
                tx.execute(
                    "UPDATE meta SET value = MAX(value, ?1) WHERE key = 'fts_upto'",
                    [upto],
                )?;
            }
            tx.commit()
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, rows = rows.len(), "full-text indexing failed; these messages are re-indexed at next start");
            self.fts_failed = true;
        }
    }

    /// Indexes messages committed after the watermark (a crash before their batch was
    /// indexed), re-parsing them from their raw bytes.
    pub(super) fn catch_up_fts(&mut self) {
        let result = (|| -> rusqlite::Result<Vec<FtsRow>> {
            let upto: i64 = self
                .conn
                .query_row("SELECT value FROM meta WHERE key = 'fts_upto'", [], |r| {
                    r.get(0)
                })
                .unwrap_or(0);
            let mut stmt = self.conn.prepare(
                "SELECT m.id, m.mail_from, m.rcpt_to, r.raw FROM messages m
                 JOIN message_raw r ON r.message_id = m.id WHERE m.id > ?1 ORDER BY m.id",
            )?;
            let mut rows = stmt.query([upto])?;
            let mut found = Vec::new();
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let rcpt_to: Vec<Recipient> =
                    serde_json::from_str(&row.get::<_, String>(2)?).unwrap_or_default();
                let envelope = Envelope {
                    mail_from: row.get(1)?,
                    mail_params: Vec::new(),
                    rcpt_to,
                };
                let parsed = crate::message::summarize(&row.get::<_, Vec<u8>>(3)?);
                found.push(FtsRow::new(id, &envelope, parsed));
            }
            Ok(found)
        })();
        match result {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                tracing::info!(
                    messages = found.len(),
                    "indexing messages the last run had not indexed yet"
                );
                for row in found {
                    self.queue_fts(row);
                }
                self.flush_fts();
            }
            Err(e) => tracing::warn!(error = %e, "could not check the full-text index watermark"),
        }
    }
}

/// Every address and display name a search should find the message by, space-separated.
fn index_addresses(
    env: &Envelope,
    from: Option<&Address>,
    to: &[Address],
    cc: &[Address],
) -> String {
    let mut out = String::new();
    let mut add = |s: &str| {
        out.push_str(s);
        out.push(' ');
    };
    add(&env.mail_from);
    for r in &env.rcpt_to {
        add(&r.address);
    }
    for a in from.into_iter().chain(to).chain(cc) {
        add(&a.address);
        if let Some(n) = &a.name {
            add(n);
        }
    }
    out
}
