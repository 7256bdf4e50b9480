//! Retention: old mail is deleted by count and by age, a slice at a time, never a pinned
//! message and never the one open in the window.
//!
//! A slice holds the writer, so a message that arrives meanwhile waits for its 250: each is
//! sized to take about `SLICE_BUDGET`, from what deleting took so far (about 0.3-0.7 ms a
//! message with its recipients, raw bytes, index rows and findings). Slices follow each
//! other while the writer is idle, and one runs every `STREAM_GAP` under a steady stream.
//! Deleting 2000 at once held commits up for 1.4 s and halved ingest (bench/retention.sh).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rusqlite::params;

use super::Writer;
use crate::event::Event;

/// The fewest and most messages one slice deletes.
const SLICE_MIN: i64 = 16;
const SLICE_MAX: i64 = 2000;
/// About how long one slice may hold up commits.
const SLICE_BUDGET: Duration = Duration::from_millis(20);
/// Under a steady stream of mail, a slice runs between commits this often: retention then
/// takes at most about a fifth of the writer's time while the prune goes on.
pub(super) const STREAM_GAP: Duration = Duration::from_millis(100);
/// How soon after arrivals a sweep runs: bursts are swept once, not per message.
const SWEEP_DELAY: Duration = Duration::from_millis(50);
/// How often age-based retention looks again when nothing arrives.
const AGE_TICK: Duration = Duration::from_secs(60);
/// With no retention at all, the writer just waits for work.
const NEVER: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Keep the newest N messages (and every pinned one); 0 keeps all.
    pub keep: u64,
    /// Delete messages received longer ago than this (pinned ones excepted).
    pub max_age: Option<Duration>,
}

impl Retention {
    fn is_off(&self) -> bool {
        self.keep == 0 && self.max_age.is_none()
    }

    /// How long the idle writer may wait before it should sweep; `more` when the last
    /// slice was full, so more is waiting to be deleted.
    pub(super) fn sweep_wait(&self, due: bool, more: bool, last: Instant) -> Duration {
        if self.is_off() {
            NEVER
        } else if due && more {
            Duration::ZERO
        } else if due {
            SWEEP_DELAY
        } else if self.max_age.is_some() {
            AGE_TICK.saturating_sub(last.elapsed())
        } else {
            NEVER
        }
    }
}

impl Writer {
    /// Deletes what retention says must go (one slice), then announces it.
    pub(super) fn sweep(&mut self) {
        let started = Instant::now();
        self.last_sweep = started;
        if self.retention.is_off() {
            self.retention_due = false;
            self.sweep_more = false;
            return;
        }
        let slice = (SLICE_BUDGET.as_nanos() / self.sweep_cost.as_nanos().max(1))
            .clamp(SLICE_MIN as u128, SLICE_MAX as u128) as i64;
        let held = self.held.load(Ordering::Relaxed);
        let retention = self.retention;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let result = (|| -> rusqlite::Result<Vec<i64>> {
            let tx = self.conn.transaction()?;
            let mut cutoff_id = 0i64;
            if retention.keep > 0 {
                cutoff_id = tx
                    .query_row(
                        "SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?1",
                        [i64::try_from(retention.keep).unwrap_or(i64::MAX)],
                        |r| r.get(0),
                    )
                    .unwrap_or(0);
            }
            let cutoff_ms = retention
                .max_age
                .map(|a| now_ms.saturating_sub(a.as_millis().min(i64::MAX as u128) as i64))
                .unwrap_or(i64::MIN);
            let ids: Vec<i64> = tx
                .prepare_cached(
                    "SELECT id FROM messages WHERE (id <= ?1 OR received_at < ?2)
                     AND pinned = 0 AND id != ?3 ORDER BY id LIMIT ?4",
                )?
                .query_map(params![cutoff_id, cutoff_ms, held, slice], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            {
                let mut del = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
                for id in &ids {
                    del.execute([id])?;
                }
            }
            tx.commit()?;
            Ok(ids)
        })();
        match result {
            Ok(ids) => {
                self.sweep_more = ids.len() as i64 == slice;
                self.retention_due = self.sweep_more;
                if !ids.is_empty() {
                    let took = started.elapsed();
                    // Each slice's cost per message, averaged with what came before.
                    self.sweep_cost = (self.sweep_cost + took / ids.len() as u32) / 2;
                    tracing::debug!(
                        deleted = ids.len(),
                        ms = took.as_millis() as u64,
                        "retention"
                    );
                    self.bus.publish(Event::MessagesDeleted(ids));
                }
            }
            Err(e) => {
                self.retention_due = false;
                self.sweep_more = false;
                tracing::warn!(error = %e, "retention failed");
            }
        }
    }
}
