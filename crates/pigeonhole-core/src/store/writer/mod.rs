//! The writer thread: owns the write connection and commits everything waiting in one
//! transaction (group commit), then answers each waiter and publishes events.
//!
//! - `apply`: the SQL of each operation, run inside the batch's transaction.
//! - `index`: the search index, filled after the ack from committed messages.
//! - `retention`: deleting old mail by count and age, when the writer is otherwise idle.

mod apply;
mod index;
mod retention;
#[cfg(test)]
mod tests;
mod wal;

use std::sync::atomic::{AtomicI64, AtomicUsize};
use std::sync::{mpsc, Arc};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{schema, Result, StoreError};
use crate::event::{Event, EventBus};
use crate::message::Parsed;
use crate::model::{
    Durability, Envelope, LintReport, MessageId, MessageSummary, Release, SessionSummary,
    TranscriptLine,
};
use crate::store::lint::LintSignal;
use crate::store::search::Filter;
use index::IndexRow;

/// The full-text index columns (subject, sender, to, cc, bcc, reply-to, body, files,
/// headers, facets) of a message, as the writer computes them; for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub fn index_text(
    envelope: &Envelope,
    mut parsed: Parsed,
    auth_user: Option<&str>,
    listener: &str,
) -> [String; 10] {
    IndexRow::new(0, envelope, &mut parsed, auth_user, listener).into_text()
}
pub(crate) use retention::Retention;
pub(crate) use wal::{WalBound, LIMIT as WAL_LIMIT};

/// Most operations one transaction takes; bounds latency under a flood.
const MAX_BATCH: usize = 256;
/// How long a commit waits for more messages when several sessions are sending at once.
const GATHER: std::time::Duration = std::time::Duration::from_micros(200);

/// Where a waiting caller hears how its operation went; SQL errors arrive as
/// `StoreError::Sql`, with the SQLite error intact.
pub(crate) type Done<T> = oneshot::Sender<Result<T>>;

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
    /// The name of the listener that took it.
    pub listener: String,
    /// Tags it carries from the start (`message::tags_for`).
    pub tags: Vec<String>,
}

// Ops are built once and moved once through the channel; boxing the small ones buys nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Op {
    Deliver {
        msg: Box<NewMessage>,
        /// Its search index row, built before it was sent (`Op::deliver`).
        index: Box<IndexRow>,
        /// The transcript lines that came with it (`msg.lines`, serialised).
        chunk: Chunk,
        done: Done<i64>,
    },
    Session {
        session: SessionSummary,
        chunk: Chunk,
        closed: bool,
    },
    Delete {
        ids: Vec<i64>,
        done: Done<u64>,
    },
    /// Deletes at most `limit` of the unpinned messages a filter matches; answers how many.
    DeleteMatching {
        filter: Filter,
        limit: usize,
        done: Done<u64>,
    },
    /// Deletes every unpinned message, and the finished sessions no message refers to.
    Clear {
        done: Done<()>,
    },
    MarkRead {
        ids: Vec<i64>,
        read: bool,
        done: Done<()>,
    },
    /// Marks what a filter matches; answers how many changed.
    MarkMatching {
        filter: Filter,
        read: bool,
        done: Done<u64>,
    },
    Tag {
        ids: Vec<i64>,
        add: Vec<String>,
        remove: Vec<String>,
        done: Done<()>,
    },
    Pin {
        ids: Vec<i64>,
        pinned: bool,
        done: Done<()>,
    },
    /// A release attempt, recorded with its message; answers the record's id.
    RecordRelease {
        release: Release,
        done: Done<i64>,
    },
    SetRetention(Retention),
    /// Answered once every message acknowledged before it is in the search index, so a
    /// search right after a 250 finds that message.
    SyncIndex {
        done: Done<()>,
    },
    /// Findings of the lint worker (`store::lint`), linted in id order up to `upto`.
    Lint {
        results: Vec<(i64, LintReport)>,
        upto: i64,
        done: Done<()>,
    },
    /// (filter, tag): each newly indexed message a filter matches gets the tag.
    SetTagRules(Vec<(Filter, String)>),
    /// Changes `PRAGMA synchronous` on the write connection, from this batch's commit on;
    /// answered once the pragma is set (or refused), before the batch commits.
    SetDurability {
        durability: Durability,
        done: Option<Done<()>>,
    },
    /// Commits what came before it, indexes what waits, checkpoints the WAL into the
    /// database (TRUNCATE) and stops the writer; answered once that is done. Every later
    /// write fails with `WriterGone`. Shutdown waits for this rather than for the last
    /// handle to drop, which a task still holding one can put off past the process's exit.
    Close {
        done: Done<()>,
    },
    /// Reads `PRAGMA synchronous` on the write connection, so tests can see what commits use.
    #[cfg(test)]
    Synchronous {
        done: Done<i64>,
    },
}

/// Transcript lines from `first_line` on, serialised for `transcript_chunks` where they were
/// recorded, so the one writer thread does not spend its time turning them into JSON.
pub(crate) struct Chunk {
    pub first_line: usize,
    pub count: usize,
    /// `None` for no lines.
    pub json: Option<String>,
}

impl Chunk {
    pub(crate) fn new(first_line: usize, lines: &[TranscriptLine]) -> Chunk {
        Chunk {
            first_line,
            count: lines.len(),
            // Lines are plain structs with string keys: serialising them cannot fail.
            json: (!lines.is_empty())
                .then(|| serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())),
        }
    }
}

impl Op {
    /// A message to store, with its index row and transcript lines prepared here, on the
    /// caller's thread.
    pub(crate) fn deliver(mut msg: NewMessage, done: Done<i64>) -> Op {
        let chunk = Chunk::new(msg.first_line, &std::mem::take(&mut msg.lines));
        let index = IndexRow::new(
            0,
            &msg.envelope,
            &mut msg.parsed,
            msg.auth_user.as_deref(),
            &msg.listener,
        );
        Op::Deliver {
            msg: Box::new(msg),
            index: Box::new(index),
            chunk,
            done,
        }
    }
}

/// What one applied op produced, to be reported after the commit.
enum Outcome {
    Delivered(i64, MessageSummary),
    SessionClosed(Option<SessionSummary>),
    Deleted(Vec<i64>),
    Cleared,
    Read(Vec<i64>, bool),
    /// Tags or pins changed: their summaries go out after the commit.
    Updated(Vec<i64>),
    Recorded(i64),
    /// Linted messages with a finding, whose badge changes.
    Linted(Vec<i64>),
    #[cfg(test)]
    Synchronous(i64),
    Nothing,
}

// One call site per kind of store; a struct for these would only name them twice.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn(
    conn: Connection,
    wal: wal::WalBound,
    bus: EventBus,
    retention: Retention,
    held: Arc<AtomicI64>,
    waiters: Arc<AtomicUsize>,
    side: bool,
    lint: Option<Arc<LintSignal>>,
) -> Result<mpsc::Sender<Op>> {
    // IMMEDIATE: take the write lock when a transaction starts, so a read-then-write (delete
    // by query, retention, the index's checks) waits for another process's writer
    // (`Store::open_for_edit`) instead of failing with a stale snapshot.
    let mut conn = conn;
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    conn.pragma_update(None, "journal_size_limit", wal.limit() as i64)?;
    let (tx, rx) = mpsc::channel::<Op>();
    std::thread::Builder::new()
        .name("pigeonhole-writer".into())
        .spawn(move || {
            Writer {
                conn,
                wal,
                bus,
                retention,
                held,
                waiters,
                retention_due: true,
                last_sweep: std::time::Instant::now(),
                sweep_more: false,
                sweep_cost: std::time::Duration::from_micros(500),
                tag_rules: Vec::new(),
                index: Vec::new(),
                index_bytes: 0,
                index_since: std::time::Instant::now(),
                index_failed: false,
                rebuild: None,
                senders: 0,
                side,
                lint,
            }
            .run(rx)
        })?;
    Ok(tx)
}

struct Writer {
    conn: Connection,
    /// Keeps the WAL file under its size limit under a steady stream of commits.
    wal: wal::WalBound,
    bus: EventBus,
    retention: Retention,
    /// The message open in the window (0 for none): retention never deletes it.
    held: Arc<AtomicI64>,
    /// Clients waiting for mail (`Store::index_eagerly`): while there are any, each
    /// commit's messages are indexed at once instead of at the next quiet moment.
    waiters: Arc<AtomicUsize>,
    /// Set by arrivals and setting changes: the next idle moment applies retention.
    retention_due: bool,
    last_sweep: std::time::Instant,
    /// The last slice of retention was full: more waits to be deleted.
    sweep_more: bool,
    /// What deleting one message has cost so far, which sizes the next slice.
    sweep_cost: std::time::Duration,
    tag_rules: Vec<(Filter, String)>,
    /// Committed, acknowledged messages not yet in the search index. Indexing is derived
    /// data, so it happens after the ack, in batches; `meta.fts_upto` survives a crash.
    index: Vec<IndexRow>,
    index_bytes: usize,
    /// When the oldest waiting row was queued.
    index_since: std::time::Instant,
    /// Set if an indexing batch failed: the watermark then stays put, so the next start
    /// indexes those messages again from their raw bytes.
    index_failed: bool,
    /// A background rebuild: (indexed up to, rebuild up to).
    rebuild: Option<(i64, i64)>,
    /// How many messages recent commits carried (the largest, less one per commit since):
    /// more than one means concurrent senders, and about how many a gather can expect.
    senders: usize,
    /// A second process's writer (`Store::open_for_edit`): every commit bumps
    /// `meta.edits` so the server notices; no indexing rebuild, no retention.
    side: bool,
    /// Wakes the lint worker after each delivery (`None` for a second process's writer).
    lint: Option<Arc<LintSignal>>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Op>) {
        if !self.side {
            self.start_rebuild();
        }
        let mut closed: Option<Done<()>> = None;
        loop {
            // Idle work, in order: index what waits, rebuild a step, apply retention. Each
            // runs only when no operation is waiting, so none of it holds up a 250.
            let first = match rx.try_recv() {
                Ok(op) => op,
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) if self.rebuild.is_some() => {
                    self.rebuild_step();
                    continue;
                }
                Err(mpsc::TryRecvError::Empty) => {
                    let wait = if !self.index.is_empty() {
                        index::INDEX_IDLE
                    } else {
                        self.retention.sweep_wait(
                            self.retention_due,
                            self.sweep_more,
                            self.last_sweep,
                        )
                    };
                    match rx.recv_timeout(wait) {
                        Ok(op) => op,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            if !self.index.is_empty() {
                                self.flush_index();
                            } else {
                                self.sweep();
                            }
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            // When recent commits carried several messages, other sessions are mid-flight:
            // wait a moment for them so one commit serves all, but no longer once as many
            // as recent commits carried are here (each of those senders waits on this
            // commit for its 250). A lone session never waits.
            let deliveries = |batch: &[Op]| {
                batch
                    .iter()
                    .filter(|op| matches!(op, Op::Deliver { .. }))
                    .count()
            };
            if self.senders > 1 {
                let until = std::time::Instant::now() + GATHER;
                let mut here = deliveries(&batch);
                while batch.len() < MAX_BATCH && here < self.senders {
                    let left = until.saturating_duration_since(std::time::Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(op) => {
                            here += usize::from(matches!(op, Op::Deliver { .. }));
                            batch.push(op);
                        }
                        Err(_) => break,
                    }
                }
            }
            self.senders = deliveries(&batch).max(self.senders.saturating_sub(1));
            // A close ends the writer once what was queued before it is committed; what
            // was queued after it (in the same gather) still commits, as it was sent before
            // the close was answered.
            let close = batch
                .iter()
                .position(|op| matches!(op, Op::Close { .. }))
                .map(|at| batch.remove(at));
            self.commit_batch(batch);
            if let Some(Op::Close { done }) = close {
                closed = Some(done);
                break;
            }
            if self.index_is_due() {
                self.flush_index();
            }
            if !self.side {
                self.wal.after_commit(&self.conn);
            }
            // Under a steady stream the writer is never idle; retention still runs a slice
            // every `STREAM_GAP`.
            if self.retention_due && self.last_sweep.elapsed() >= retention::STREAM_GAP {
                self.sweep();
            }
        }
        self.flush_index();
        // Closed, or every sender is gone: checkpoint so the WAL does not linger. A second
        // process's writer leaves that to the server, whose writes a checkpoint would hold up.
        let result = if self.side {
            Ok(())
        } else {
            wal::truncate_at_close(&self.conn)
        };
        if let Err(e) = &result {
            tracing::warn!(error = %e, "the WAL was not checkpointed at shutdown; the next start replays it");
        }
        if let Some(done) = closed {
            let _ = done.send(result);
        }
        // Ops that arrived after the close are dropped with `rx`: their callers hear
        // `WriterGone`.
    }

    /// Settings carried by the batch, applied before its transaction opens: SQLite refuses
    /// to change `synchronous` inside a transaction, and the batch's own commit should
    /// already honour a durability the caller asked for before it.
    fn apply_settings(&mut self, batch: &mut [Op]) {
        for op in batch {
            match op {
                Op::SetRetention(r) => {
                    self.retention = *r;
                    self.retention_due = true;
                }
                Op::SetTagRules(rules) => self.tag_rules = std::mem::take(rules),
                Op::SetDurability { durability, done } => {
                    let sync = schema::synchronous(*durability);
                    let result = self.conn.pragma_update(None, "synchronous", sync);
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, synchronous = sync, "could not change durability");
                    }
                    if let Some(done) = done.take() {
                        let _ = done.send(result.map_err(Into::into));
                    }
                }
                _ => {}
            }
        }
    }

    fn commit_batch(&mut self, mut batch: Vec<Op>) {
        self.apply_settings(&mut batch);
        // An operation by query sees what has been acknowledged: index what waits first.
        if batch.iter().any(|op| {
            matches!(
                op,
                Op::DeleteMatching { .. } | Op::MarkMatching { .. } | Op::SyncIndex { .. }
            )
        }) {
            self.flush_index();
        }
        let result = (|| -> rusqlite::Result<Vec<Outcome>> {
            let tx = self.conn.transaction()?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for op in &mut batch {
                outcomes.push(apply::apply(&tx, op)?);
            }
            if self.side {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('edits', 1)
                     ON CONFLICT(key) DO UPDATE SET value = value + 1",
                    [],
                )?;
            }
            tx.commit()?;
            Ok(outcomes)
        })();
        match result {
            Ok(outcomes) => {
                if outcomes.iter().any(|o| matches!(o, Outcome::Delivered(..))) {
                    self.retention_due = true;
                }
                for (op, outcome) in batch.into_iter().zip(outcomes) {
                    self.report(op, Ok(outcome));
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
                // A larger batch was split above, so this error is the one op's own.
                if let Some(op) = batch.pop() {
                    self.report(op, Err(StoreError::Sql(e)));
                }
            }
        }
    }

    fn report(&mut self, op: Op, outcome: Result<Outcome>) {
        match (op, outcome) {
            (
                Op::Deliver {
                    done,
                    msg,
                    mut index,
                    ..
                },
                Ok(Outcome::Delivered(id, summary)),
            ) => {
                let _ = done.send(Ok(id));
                self.bus.publish(Event::MessageReceived(summary));
                // The bytes are stored: free them before the lint worker reads its own copy,
                // so a large message is not held twice.
                drop(msg);
                if let Some(lint) = &self.lint {
                    lint.arrived(id);
                }
                index.set_id(id);
                self.queue_index(*index);
            }
            (Op::Deliver { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::Session { .. }, Ok(Outcome::SessionClosed(Some(s)))) => {
                self.bus.publish(Event::SessionClosed(s))
            }
            (
                Op::Delete { done, .. } | Op::DeleteMatching { done, .. },
                Ok(Outcome::Deleted(ids)),
            ) => {
                let n = ids.len() as u64;
                if !ids.is_empty() {
                    self.bus.publish(Event::MessagesDeleted(ids));
                }
                let _ = done.send(Ok(n));
            }
            (Op::Delete { done, .. } | Op::DeleteMatching { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::MarkMatching { done, .. }, Ok(Outcome::Read(ids, read))) => {
                let n = ids.len() as u64;
                if !ids.is_empty() {
                    self.bus.publish(Event::MessagesRead { ids, read });
                }
                let _ = done.send(Ok(n));
            }
            (Op::MarkMatching { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::Tag { done, .. } | Op::Pin { done, .. }, Ok(Outcome::Updated(ids))) => {
                self.publish_updated(&ids);
                let _ = done.send(Ok(()));
            }
            (Op::Tag { done, .. } | Op::Pin { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::RecordRelease { done, .. }, Ok(Outcome::Recorded(id))) => {
                let _ = done.send(Ok(id));
            }
            (Op::RecordRelease { done, .. }, Err(e)) => {
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
            (Op::Lint { done, .. }, Ok(Outcome::Linted(ids))) => {
                self.publish_updated(&ids);
                let _ = done.send(Ok(()));
            }
            (Op::Lint { done, .. }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            (Op::SyncIndex { done }, outcome) => {
                let _ = done.send(outcome.map(|_| ()));
            }
            #[cfg(test)]
            (Op::Synchronous { done }, Ok(Outcome::Synchronous(level))) => {
                let _ = done.send(Ok(level));
            }
            #[cfg(test)]
            (Op::Synchronous { done }, Err(e)) => {
                let _ = done.send(Err(e));
            }
            _ => {}
        }
    }

    /// Publishes the current summaries of messages whose tags or pin changed.
    fn publish_updated(&self, ids: &[MessageId]) {
        match super::query::summaries(&self.conn, ids) {
            Ok(list) if !list.is_empty() => self.bus.publish(Event::MessagesUpdated(list)),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not read changed messages"),
        }
    }
}
