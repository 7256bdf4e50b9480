//! The lint worker: a thread that checks each committed message (`lint::check`) off the
//! acknowledgement path and hands the findings to the writer (`Op::Lint`).
//!
//! It reads raw bytes on its own connection, in id order from `meta.lint_upto`, so a crash,
//! a migration or a newer `lint::VERSION` only means it starts further back: findings are
//! derived data, rebuilt from the raw bytes like the search index.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use tokio::sync::oneshot;

use super::writer::Op;
use super::{schema, Inner, Result, Store};
use crate::lint::{self, Input, Transport};
use crate::model::time::ms_to_datetime;
use crate::model::{Durability, LintReport};

/// Messages linted per step, and the most raw bytes one step reads.
const STEP: i64 = 256;
const STEP_BYTES: usize = 8 * 1024 * 1024;
/// How often an idle worker looks whether its store is still open.
const IDLE: Duration = Duration::from_millis(250);
/// How long a lint search waits for the worker to reach the newest message.
const PATIENCE: Duration = Duration::from_secs(3);
/// While mail keeps arriving, the worker waits for a pause this long (or a full step, or a
/// lint search) before it lints: the checks and their commit then run between bursts, not
/// on the two cores the senders' 250s need, and in steps of many messages.
const QUIET: Duration = Duration::from_millis(50);

/// Listeners whose mail did not come over an SMTP session of its own, so its MAIL FROM
/// parameters and arrival time say nothing about the sender: the API's send
/// (`config::API_LISTENER`) and imports.
pub(crate) const NOT_SMTP: &[&str] = &["api", "import"];

/// Wakes the worker when the writer commits a message.
#[derive(Default)]
pub(crate) struct LintSignal {
    state: Mutex<Arrivals>,
    wake: Condvar,
}

#[derive(Default)]
struct Arrivals {
    /// The newest committed message.
    newest: i64,
    /// When the last one was committed.
    last: Option<Instant>,
    /// A lint search waits: lint now, whatever arrives.
    hurry: bool,
    /// What the worker is waiting for, so an arrival wakes it only when that is met: under
    /// a stream of mail, a wake per message would cost a context switch each on the cores
    /// the senders' 250s need.
    waiting: Waiting,
}

#[derive(Default, Clone, Copy)]
enum Waiting {
    /// Linting, or between waits: nothing to wake.
    #[default]
    No,
    /// Idle: any message above this cursor.
    Beyond(i64),
    /// Settling after this cursor: a full step (a pause is timed, not signalled).
    Step(i64),
}

impl LintSignal {
    pub(crate) fn arrived(&self, id: i64) {
        if let Ok(mut a) = self.state.lock() {
            a.newest = a.newest.max(id);
            a.last = Some(Instant::now());
            let due = match a.waiting {
                Waiting::No => false,
                Waiting::Beyond(cursor) => a.newest > cursor,
                Waiting::Step(cursor) => a.newest - cursor >= STEP,
            };
            if due {
                self.wake.notify_one();
            }
        }
    }

    /// A search for findings is waiting (`Store::sync_lint`): the worker stops waiting for
    /// a pause in the mail.
    pub(crate) fn hurry(&self) {
        if let Ok(mut a) = self.state.lock() {
            a.hurry = true;
            self.wake.notify_one();
        }
    }

    /// Waits until a message above `cursor` is announced, or `timeout` passes.
    fn wait_beyond(&self, cursor: i64, timeout: Duration) {
        let Ok(mut a) = self.state.lock() else { return };
        a.waiting = Waiting::Beyond(cursor);
        if let Ok((mut a, _)) = self
            .wake
            .wait_timeout_while(a, timeout, |a| a.newest <= cursor)
        {
            a.waiting = Waiting::No;
        }
    }

    /// Waits while mail is arriving, until `QUIET` passes without any, a full step waits
    /// beyond `cursor`, or a search hurries the worker.
    fn settle(&self, cursor: i64) {
        let Ok(mut a) = self.state.lock() else { return };
        a.waiting = Waiting::Step(cursor);
        loop {
            let since = a.last.map(|t| t.elapsed()).unwrap_or(QUIET);
            if a.hurry || since >= QUIET || a.newest - cursor >= STEP {
                a.waiting = Waiting::No;
                return;
            }
            match self.wake.wait_timeout(a, QUIET - since) {
                Ok((next, _)) => a = next,
                Err(_) => return,
            }
        }
    }

    /// The worker has linted everything announced: a later search hurries it again.
    fn caught_up(&self, cursor: i64) {
        if let Ok(mut a) = self.state.lock() {
            if a.newest <= cursor {
                a.hurry = false;
            }
        }
    }
}

/// One message as the worker reads it.
struct Row {
    id: i64,
    raw: Vec<u8>,
    mail_from: String,
    params: Vec<(String, String)>,
    received_ms: i64,
    listener: String,
}

fn report_for(row: &Row) -> LintReport {
    let transport =
        (!NOT_SMTP.contains(&row.listener.as_str())).then(|| Transport::from_params(&row.params));
    lint::check(&Input {
        raw: &row.raw,
        mail_from: &row.mail_from,
        transport,
        received_at: ms_to_datetime(row.received_ms),
    })
}

/// Lints each row, one at a time under `catch_unwind`: a check that panics on one message
/// (a bug, not the message's fault) loses that message's findings, with a WARN naming it,
/// and the worker goes on to the next one instead of stopping linting for good. The
/// message then gets an empty report, so the cursor moves past it.
fn lint_rows(rows: &[Row], check: impl Fn(&Row) -> LintReport) -> Vec<(i64, LintReport)> {
    rows.iter()
        .map(|row| {
            let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(row)))
                .unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::warn!(message = row.id, panic = %why, "lint: a check panicked on this message; it is skipped");
                    LintReport::default()
                });
            (row.id, report)
        })
        .collect()
}

/// The next step's messages, all read from one snapshot.
fn read_step(conn: &Connection, cursor: i64) -> rusqlite::Result<Vec<Row>> {
    let tx = conn.unchecked_transaction()?;
    let rows = read_step_in(&tx, cursor)?;
    tx.finish()?;
    Ok(rows)
}

fn read_step_in(conn: &Connection, cursor: i64) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, 0, m.mail_from, m.mail_params, m.received_at, m.listener
         FROM messages m JOIN message_raw r ON r.message_id = m.id
         WHERE m.id > ?1 ORDER BY m.id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![cursor, STEP])?;
    let mut out = Vec::new();
    let mut bytes = 0;
    while let Some(r) = rows.next()? {
        if bytes >= STEP_BYTES {
            break;
        }
        let id: i64 = r.get(0)?;
        // Read on its own, straight into one buffer (`query::read_raw`).
        let Some(raw) = super::query::read_raw(conn, id)? else {
            continue;
        };
        bytes += raw.len();
        out.push(Row {
            id,
            raw,
            mail_from: r.get(2)?,
            params: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
            received_ms: r.get(4)?,
            listener: r.get(5)?,
        });
    }
    Ok(out)
}

/// Where the worker starts: after `lint_upto`, or from the start for findings of an older
/// version of the checks.
fn start_cursor(conn: &Connection) -> rusqlite::Result<i64> {
    let (upto, version): (i64, i64) = conn.query_row(
        "SELECT (SELECT value FROM meta WHERE key = 'lint_upto'),
                (SELECT value FROM meta WHERE key = 'lint_version')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(if version == lint::VERSION { upto } else { 0 })
}

pub(crate) fn spawn(store: &Store, signal: Arc<LintSignal>) -> Result<()> {
    let conn = schema::open_connection(store.db_path(), true, Durability::Process)?;
    let weak = Arc::downgrade(&store.inner);
    std::thread::Builder::new()
        .name("pigeonhole-lint".into())
        .spawn(move || run(conn, weak, signal))?;
    Ok(())
}

fn run(conn: Connection, store: Weak<Inner>, signal: Arc<LintSignal>) {
    let mut cursor = match start_cursor(&conn) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "lint: could not read where to start; lint is off");
            return;
        }
    };
    loop {
        signal.settle(cursor);
        let rows = match read_step(&conn, cursor) {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "lint: reading messages failed; trying again");
                Vec::new()
            }
        };
        let Some(last) = rows.last().map(|r| r.id) else {
            if store.strong_count() == 0 {
                return;
            }
            signal.caught_up(cursor);
            signal.wait_beyond(cursor, IDLE);
            continue;
        };
        let results = lint_rows(&rows, report_for);
        let Some(inner) = store.upgrade() else { return };
        let Some(writer) = inner.writer.clone() else {
            return;
        };
        drop(inner);
        let (done, answer) = oneshot::channel();
        if writer
            .send(Op::Lint {
                results,
                upto: last,
                done,
            })
            .is_err()
        {
            return;
        }
        drop(writer);
        match answer.blocking_recv() {
            Ok(Ok(())) => cursor = last,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "lint: storing findings failed; trying again");
                std::thread::sleep(IDLE);
            }
            Err(_) => return,
        }
    }
}

impl Store {
    /// The lint report of one message: what the worker stored, or, before it got there,
    /// the same checks run now.
    pub(crate) fn lint_report(&self, id: i64) -> Result<LintReport> {
        self.read(|c| {
            let stored: Option<String> = c
                .query_row(
                    "SELECT report FROM message_lint WHERE message_id = ?1 AND version = ?2",
                    params![id, lint::VERSION],
                    |r| r.get(0),
                )
                .ok();
            if let Some(report) = stored.and_then(|s| serde_json::from_str(&s).ok()) {
                return Ok(report);
            }
            let row = c
                .query_row(
                    "SELECT m.id, r.raw, m.mail_from, m.mail_params, m.received_at, m.listener
                     FROM messages m JOIN message_raw r ON r.message_id = m.id WHERE m.id = ?1",
                    [id],
                    |r| {
                        Ok(Row {
                            id: r.get(0)?,
                            raw: r.get(1)?,
                            mail_from: r.get(2)?,
                            params: serde_json::from_str(&r.get::<_, String>(3)?)
                                .unwrap_or_default(),
                            received_ms: r.get(4)?,
                            listener: r.get(5)?,
                        })
                    },
                )
                .map_err(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => super::StoreError::NoMessage(id),
                    e => e.into(),
                })?;
            Ok(report_for(&row))
        })
    }

    /// Resolves once the lint worker has reached the newest message there was when called
    /// (a few seconds at most), so `has:lint` right after a 250 finds that message. Works
    /// for a read-only store too: another process's server lints its own mail.
    pub(crate) async fn sync_lint(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        if let Some(signal) = &self.inner.lint {
            signal.hurry();
        }
        loop {
            let store = self.clone();
            let caught_up = tokio::task::spawn_blocking(move || {
                store.read(|c| {
                    Ok(c.query_row(
                        "SELECT (SELECT value FROM meta WHERE key = 'lint_upto')
                                  >= COALESCE((SELECT MAX(id) FROM messages), 0)
                            AND (SELECT value FROM meta WHERE key = 'lint_version') = ?1
                            OR NOT EXISTS (SELECT 1 FROM messages)",
                        [lint::VERSION],
                        |r| r.get::<_, bool>(0),
                    )?)
                })
            })
            .await
            .unwrap_or(Ok(true))?;
            if caught_up || tokio::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> Row {
        Row {
            id,
            raw: b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n".to_vec(),
            mail_from: "a@example.com".into(),
            params: Vec::new(),
            received_ms: 0,
            listener: "smtp".into(),
        }
    }

    #[test]
    fn a_check_that_panics_on_one_message_does_not_stop_the_others() {
        let rows = [row(1), row(2), row(3)];
        let results = lint_rows(&rows, |r| {
            if r.id == 2 {
                panic!("injected failure in a check");
            }
            report_for(r)
        });
        let ids: Vec<i64> = results.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids,
            [1, 2, 3],
            "every message, the panicking one included, gets a result"
        );
        assert_eq!(
            results[1].1,
            LintReport::default(),
            "the message whose check panicked is recorded as linted with no findings"
        );
        assert_eq!(
            results[2].1,
            report_for(&rows[2]),
            "the message after the panic is linted as usual"
        );
    }
}
