//! Keeping the WAL bounded: a RESTART checkpoint from the writer when the file passes a size.
//!
//! The checkpointer thread (`store::checkpoint`) copies pages every half second with PASSIVE,
//! which never waits, so it never restarts the WAL: under a steady stream of commits, with
//! the lint worker and the window reading between them, there is never a moment with every
//! frame copied and no reader on the WAL, and the file only grows (2.1 GB for a 380 MB
//! database after 30 s of 8 senders). Here the writer, between two commits (so nothing new
//! is appended meanwhile), copies what is left and has the next commit start the WAL over,
//! waiting at most `PATIENCE` for readers that still use old frames. RESTART, not TRUNCATE:
//! the next commits overwrite the file's first pages where they are, and
//! `journal_size_limit` cuts the file back to the limit. Cutting it to zero made every
//! commit after it extend the file into new pages and blocks, about a tenth of the writer's
//! time under a flood of small messages. The close still truncates. Most pages are already copied by the
//! checkpointer, so this costs little; a reader that holds a snapshot for longer (a big
//! export) only delays it: the writer tries again after `RETRY`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::store::schema;

/// The WAL size past which the writer checkpoints: 64 MiB.
pub(crate) const LIMIT: u64 = 64 * 1024 * 1024;
/// How long the writer waits for readers of old frames before giving up for now. Waiting
/// holds up the commits queued behind it, so it is short.
const PATIENCE: Duration = Duration::from_millis(200);
/// After a checkpoint readers kept from finishing, how long before the next try; each
/// further miss doubles it up to `RETRY_MAX`, so a reader that holds an old snapshot for
/// long (an export, a doctor's integrity check) does not cost every commit `PATIENCE`.
const RETRY: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// The whole checkpoint at close gives up after this: the WAL is durable, and the next
/// open replays it, so a reader holding a snapshot must not hold up the exit.
const CLOSE_PATIENCE: Duration = Duration::from_secs(3);
/// Between two tries of one checkpoint that found the checkpoint lock taken.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// The writer's view of its WAL file.
pub(crate) struct WalBound {
    /// `<db>-wal`, whose size is checked after each commit (one `stat`).
    path: PathBuf,
    /// Checkpoint once the file is larger than this.
    limit: u64,
    /// No try before this (set after a try readers kept from finishing).
    next_try: Instant,
    /// The wait after the next miss (`RETRY`, doubling to `RETRY_MAX`).
    backoff: Duration,
}

/// What one checkpoint did, for the log and the bench.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpointed {
    pub done: bool,
    pub frames: i64,
    pub took: Duration,
}

impl WalBound {
    pub(crate) fn new(db: &std::path::Path, limit: u64) -> WalBound {
        let mut path = db.as_os_str().to_owned();
        path.push("-wal");
        WalBound {
            path: PathBuf::from(path),
            limit: if limit == 0 { LIMIT } else { limit },
            next_try: Instant::now(),
            backoff: RETRY,
        }
    }

    /// The size past which the writer checkpoints; also the write connection's
    /// `journal_size_limit`, so a WAL that starts over by itself is cut back to it.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// After a commit: checkpoint (RESTART) when the WAL has passed the limit.
    pub(crate) fn after_commit(&mut self, conn: &Connection) {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        if meta.len() <= self.limit || Instant::now() < self.next_try {
            return;
        }
        let size = meta.len();
        match checkpoint(conn, "RESTART", PATIENCE) {
            Ok(c) if c.done => {
                self.backoff = RETRY;
                tracing::debug!(
                    wal_bytes = size,
                    frames = c.frames,
                    ms = c.took.as_millis() as u64,
                    "checkpointed the WAL; it starts over"
                )
            }
            Ok(c) => {
                self.miss();
                tracing::debug!(
                    wal_bytes = size,
                    ms = c.took.as_millis() as u64,
                    "readers kept the WAL from starting over; trying again soon"
                );
            }
            Err(e) => {
                self.miss();
                tracing::debug!(error = %e, "WAL checkpoint failed; trying again soon");
            }
        }
    }

    fn miss(&mut self) {
        self.next_try = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(RETRY_MAX);
    }
}

/// Runs `PRAGMA wal_checkpoint(mode)`, trying for at most `patience`; `done` is false when
/// it could not finish in that time.
///
/// Two things make a try busy. Readers of old frames: SQLite waits for them through the
/// busy handler. Another checkpoint (the checkpointer thread's PASSIVE copy, which holds the
/// checkpoint lock while it syncs): SQLite returns busy at once without the busy handler, so
/// a single try would miss whenever the two meet, and on a slow disk they meet often enough
/// that every try missed and the WAL grew unbounded. So a quick busy is tried again.
pub(crate) fn checkpoint(
    conn: &Connection,
    mode: &str,
    patience: Duration,
) -> rusqlite::Result<Checkpointed> {
    let started = Instant::now();
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let result = loop {
        let left = patience.saturating_sub(started.elapsed());
        conn.busy_timeout(left)?;
        let result = conn.query_row(&sql, [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)));
        match result {
            Ok((busy, _)) if busy != 0 && started.elapsed() + RETRY_PAUSE < patience => {
                std::thread::sleep(RETRY_PAUSE)
            }
            other => break other,
        }
    };
    conn.busy_timeout(schema::BUSY_TIMEOUT)?;
    let (busy, frames) = result?;
    Ok(Checkpointed {
        done: busy == 0,
        frames,
        took: started.elapsed(),
    })
}

/// The checkpoint at close: TRUNCATE, tried for up to `CLOSE_PATIENCE`, since the
/// checkpointer thread may hold the checkpoint lock for a moment (SQLite does not wait for
/// that lock) and a reader may still use old frames.
pub(crate) fn truncate_at_close(conn: &Connection) -> crate::store::Result<()> {
    let mut last = None;
    let started = Instant::now();
    while started.elapsed() < CLOSE_PATIENCE {
        match checkpoint(conn, "TRUNCATE", Duration::from_millis(500)) {
            Ok(c) if c.done => {
                if let Some(db) = conn.path() {
                    crate::store::health::mark_clean(std::path::Path::new(db));
                }
                return Ok(());
            }
            Ok(_) => last = None,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(match last {
        Some(e) => e.into(),
        None => crate::store::StoreError::CheckpointBusy,
    })
}
