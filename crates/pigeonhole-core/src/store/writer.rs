//! The writer thread: owns the write connection and commits everything waiting in one
//! transaction (group commit), then answers each waiter and publishes events.

use std::sync::mpsc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};
use tokio::sync::oneshot;

use super::Result;
use crate::event::{Event, EventBus};
use crate::message::Parsed;
use crate::model::{Address, Envelope, MessageSummary, Recipient, SessionSummary, TranscriptLine};

/// Most operations one transaction takes; bounds latency under a flood.
const MAX_BATCH: usize = 256;
/// How long a commit waits for more messages when several sessions are sending at once.
const GATHER: std::time::Duration = std::time::Duration::from_micros(200);
/// Full-text rows wait at most this long for a quiet moment before they are indexed.
const FTS_IDLE: std::time::Duration = std::time::Duration::from_millis(100);
/// ...and are indexed at once past this many rows or bytes, so memory stays bounded.
const FTS_MAX_ROWS: usize = 2000;
const FTS_MAX_BYTES: usize = 8 * 1024 * 1024;

/// A committed message waiting for the full-text index.
struct FtsRow {
    id: i64,
    subject: String,
    addresses: String,
    body: String,
}

type Done<T> = oneshot::Sender<std::io::Result<T>>;

/// A message ready to be stored, with the session facts and transcript lines so far.
#[derive(Debug)]
pub(crate) struct NewMessage {
    pub session: SessionSummary,
    pub first_line: usize,
    pub lines: Vec<TranscriptLine>,
    pub envelope: Envelope,
    pub raw: Vec<u8>,
    pub parsed: Parsed,
    pub received_at: DateTime<Utc>,
    pub transcript_range: (usize, usize),
    pub auth_user: Option<String>,
}

// Ops are built once and moved once through the channel; boxing the small ones buys nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Op {
    Deliver {
        msg: Box<NewMessage>,
        done: Done<i64>,
    },
    Session {
        session: SessionSummary,
        first_line: usize,
        lines: Vec<TranscriptLine>,
        closed: bool,
    },
    Delete {
        ids: Vec<i64>,
        done: Done<u64>,
    },
    Clear {
        done: Done<()>,
    },
    MarkRead {
        ids: Vec<i64>,
        read: bool,
        done: Done<()>,
    },
    SetRetention(u64),
}

/// What one applied op produced, to be reported after the commit.
enum Outcome {
    Delivered(i64, MessageSummary),
    SessionClosed(Option<SessionSummary>),
    Deleted(Vec<i64>),
    Cleared,
    Read(Vec<i64>, bool),
    Nothing,
}

pub(crate) fn spawn(conn: Connection, bus: EventBus, retention: u64) -> Result<mpsc::Sender<Op>> {
    let (tx, rx) = mpsc::channel::<Op>();
    std::thread::Builder::new()
        .name("pigeonhole-writer".into())
        .spawn(move || {
            Writer {
                conn,
                bus,
                retention,
                fts: Vec::new(),
                fts_bytes: 0,
                fts_failed: false,
                last_deliveries: 0,
            }
            .run(rx)
        })?;
    Ok(tx)
}

struct Writer {
    conn: Connection,
    bus: EventBus,
    retention: u64,
    /// Committed, acknowledged messages not yet in the full-text index. Indexing is derived
    /// data, so it happens after the ack, in batches; `meta.fts_upto` survives a crash.
    fts: Vec<FtsRow>,
    fts_bytes: usize,
    /// Set if an indexing batch failed: the watermark then stays put, so the next start
    /// indexes those messages again from their raw bytes.
    fts_failed: bool,
    /// Messages in the previous commit: more than one means concurrent senders.
    last_deliveries: usize,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Op>) {
        self.catch_up_fts();
        loop {
            let first = if self.fts.is_empty() {
                match rx.recv() {
                    Ok(op) => op,
                    Err(_) => break,
                }
            } else {
                match rx.recv_timeout(FTS_IDLE) {
                    Ok(op) => op,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.flush_fts();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            // When the last commit carried several messages, other sessions are mid-flight:
            // wait a moment for them so one commit serves all. A lone session never waits.
            if self.last_deliveries > 1 {
                let until = std::time::Instant::now() + GATHER;
                while batch.len() < MAX_BATCH {
                    let left = until.saturating_duration_since(std::time::Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(op) => batch.push(op),
                        Err(_) => break,
                    }
                }
            }
            self.last_deliveries = batch
                .iter()
                .filter(|op| matches!(op, Op::Deliver { .. }))
                .count();
            self.commit_batch(batch);
            if self.fts.len() >= FTS_MAX_ROWS || self.fts_bytes >= FTS_MAX_BYTES {
                self.flush_fts();
            }
        }
        self.flush_fts();
        // Every sender is gone: checkpoint so the WAL does not linger.
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    fn commit_batch(&mut self, mut batch: Vec<Op>) {
        for op in &batch {
            if let Op::SetRetention(n) = op {
                self.retention = *n;
            }
        }
        let retention = self.retention;
        let result = (|| -> rusqlite::Result<(Vec<Outcome>, Vec<i64>)> {
            let tx = self.conn.transaction()?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for op in &mut batch {
                outcomes.push(apply(&tx, op)?);
            }
            let delivered = outcomes.iter().any(|o| matches!(o, Outcome::Delivered(..)));
            let expired = if retention > 0 && delivered {
                enforce_retention(&tx, retention)?
            } else {
                Vec::new()
            };
            tx.commit()?;
            Ok((outcomes, expired))
        })();
        match result {
            Ok((outcomes, expired)) => {
                for (op, outcome) in batch.into_iter().zip(outcomes) {
                    self.report(op, Ok(outcome));
                }
                if !expired.is_empty() {
                    self.bus.publish(Event::MessagesDeleted(expired));
                }
            }
            Err(e) if batch.len() > 1 => {
                // One bad op must not fail its neighbours: retry each on its own.
                tracing::warn!(error = %e, "batch failed; retrying its operations one by one");
                for op in batch {
                    self.commit_batch(vec![op]);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store write failed");
                for op in batch {
                    self.report(op, Err(std::io::Error::other(e.to_string())));
                }
            }
        }
    }

    fn report(&mut self, op: Op, outcome: std::io::Result<Outcome>) {
        match (op, outcome) {
            (Op::Deliver { done, msg }, Ok(Outcome::Delivered(id, summary))) => {
                let _ = done.send(Ok(id));
                self.bus.publish(Event::MessageReceived(summary));
                let msg = *msg;
                let addresses = index_addresses(
                    &msg.envelope,
                    msg.parsed.from.as_ref(),
                    &msg.parsed.to,
                    &msg.parsed.cc,
                );
                self.queue_fts(FtsRow {
                    id,
                    subject: msg.parsed.subject,
                    addresses,
                    body: msg.parsed.body_text,
                });
            }
            (Op::Deliver { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::Session { .. }, Ok(Outcome::SessionClosed(Some(s)))) => {
                self.bus.publish(Event::SessionClosed(s))
            }
            (Op::Delete { done, .. }, Ok(Outcome::Deleted(ids))) => {
                let n = ids.len() as u64;
                if !ids.is_empty() {
                    self.bus.publish(Event::MessagesDeleted(ids));
                }
                let _ = done.send(Ok(n));
            }
            (Op::Delete { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::Clear { done }, Ok(Outcome::Cleared)) => {
                self.bus.publish(Event::Cleared);
                let _ = done.send(Ok(()));
            }
            (Op::Clear { done }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::MarkRead { done, .. }, Ok(Outcome::Read(ids, read))) => {
                self.bus.publish(Event::MessagesRead { ids, read });
                let _ = done.send(Ok(()));
            }
            (Op::MarkRead { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            _ => {}
        }
    }
}

impl Writer {
    fn queue_fts(&mut self, row: FtsRow) {
        self.fts_bytes += row.subject.len() + row.addresses.len() + row.body.len();
        self.fts.push(row);
    }

    /// Indexes every waiting row in one transaction and moves the watermark.
    fn flush_fts(&mut self) {
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
    fn catch_up_fts(&mut self) {
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
                let addresses =
                    index_addresses(&envelope, parsed.from.as_ref(), &parsed.to, &parsed.cc);
                found.push(FtsRow {
                    id,
                    subject: parsed.subject,
                    addresses,
                    body: parsed.body_text,
                });
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

fn apply(tx: &Transaction, op: &mut Op) -> rusqlite::Result<Outcome> {
    match op {
        Op::Deliver { msg, .. } => {
            upsert_session(tx, &msg.session, msg.first_line, &msg.lines)?;
            let (id, summary) = insert_message(tx, msg)?;
            Ok(Outcome::Delivered(id, summary))
        }
        Op::Session {
            session,
            first_line,
            lines,
            closed,
        } => {
            upsert_session(tx, session, *first_line, lines)?;
            Ok(Outcome::SessionClosed(closed.then(|| session.clone())))
        }
        Op::Delete { ids, .. } => {
            let mut stmt = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
            let mut deleted = Vec::with_capacity(ids.len());
            for id in ids.iter() {
                if stmt.execute([id])? > 0 {
                    deleted.push(*id);
                }
            }
            Ok(Outcome::Deleted(deleted))
        }
        Op::Clear { .. } => {
            tx.execute_batch(
                "DELETE FROM recipients; DELETE FROM message_raw;
                 DELETE FROM messages; DELETE FROM transcript_chunks; DELETE FROM sessions
                 WHERE ended_at IS NOT NULL;",
            )?;
            Ok(Outcome::Cleared)
        }
        Op::MarkRead { ids, read, .. } => {
            let mut stmt = tx.prepare_cached("UPDATE messages SET read = ?2 WHERE id = ?1")?;
            for id in ids.iter() {
                stmt.execute(params![id, *read])?;
            }
            Ok(Outcome::Read(ids.clone(), *read))
        }
        Op::SetRetention(_) => Ok(Outcome::Nothing),
    }
}

fn upsert_session(
    tx: &Transaction,
    s: &SessionSummary,
    first_line: usize,
    lines: &[TranscriptLine],
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sessions (id, peer, local, started_at, ended_at, helo, tls_version, tls_cipher,
                               auth_mechanism, auth_user, message_count, last_code, line_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at, helo = excluded.helo,
             tls_version = excluded.tls_version, tls_cipher = excluded.tls_cipher,
             auth_mechanism = excluded.auth_mechanism, auth_user = excluded.auth_user,
             message_count = excluded.message_count, last_code = excluded.last_code,
             line_count = MAX(line_count, excluded.line_count)",
    )?;
    stmt.execute(params![
        s.id,
        s.peer,
        s.local,
        s.started_at.timestamp_millis(),
        s.ended_at.map(|t| t.timestamp_millis()),
        s.helo,
        s.tls.as_ref().map(|t| &t.version),
        s.tls.as_ref().map(|t| &t.cipher),
        s.auth.as_ref().map(|a| &a.mechanism),
        s.auth.as_ref().map(|a| &a.user),
        s.message_count,
        s.last_code,
        (first_line + lines.len()) as i64,
    ])?;
    if !lines.is_empty() {
        let json = serde_json::to_string(lines)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.prepare_cached("INSERT OR REPLACE INTO transcript_chunks (session_id, first_line, lines) VALUES (?1, ?2, ?3)")?
            .execute(params![s.id, first_line as i64, json])?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn insert_message(tx: &Transaction, m: &NewMessage) -> rusqlite::Result<(i64, MessageSummary)> {
    let p = &m.parsed;
    tx.prepare_cached(
        "INSERT INTO messages (session_id, received_at, mail_from, mail_params, rcpt_to, from_addr, to_addrs,
                               cc_addrs, subject, date, size, has_attachments, snippet, transcript_first,
                               transcript_end, auth_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        m.session.id,
        m.received_at.timestamp_millis(),
        m.envelope.mail_from,
        to_json(&m.envelope.mail_params)?,
        to_json(&m.envelope.rcpt_to)?,
        p.from.as_ref().map(to_json).transpose()?,
        to_json(&p.to)?,
        to_json(&p.cc)?,
        p.subject,
        p.date.map(|d| d.timestamp_millis()),
        m.raw.len() as i64,
        p.has_attachments,
        p.snippet,
        m.transcript_range.0 as i64,
        m.transcript_range.1 as i64,
        m.auth_user,
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO message_raw (message_id, raw) VALUES (?1, ?2)")?
        .execute(params![id, m.raw])?;
    let mut rcpt =
        tx.prepare_cached("INSERT INTO recipients (message_id, address) VALUES (?1, ?2)")?;
    for r in &m.envelope.rcpt_to {
        rcpt.execute(params![id, r.address])?;
    }
    let summary = MessageSummary {
        id,
        session_id: m.session.id,
        received_at: m.received_at,
        mail_from: m.envelope.mail_from.clone(),
        rcpt_to: m
            .envelope
            .rcpt_to
            .iter()
            .map(|r| r.address.clone())
            .collect(),
        from: p.from.clone(),
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        date: p.date,
        size: m.raw.len() as u64,
        has_attachments: p.has_attachments,
        snippet: p.snippet.clone(),
        read: false,
    };
    Ok((id, summary))
}

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

/// Deletes all but the newest `keep` messages; returns the deleted ids.
fn enforce_retention(tx: &Transaction, keep: u64) -> rusqlite::Result<Vec<i64>> {
    let cutoff: Option<i64> = tx
        .query_row(
            "SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?1",
            [keep as i64 - 1],
            |r| r.get(0),
        )
        .ok();
    let Some(cutoff) = cutoff else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM messages WHERE id < ?1")?
        .query_map([cutoff], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !ids.is_empty() {
        tx.execute("DELETE FROM messages WHERE id < ?1", [cutoff])?;
    }
    Ok(ids)
}
