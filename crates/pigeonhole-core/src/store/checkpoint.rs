//! The checkpointer thread: copies committed WAL pages into the database file.

use std::path::Path;

use super::{schema, Result};
use crate::event::{Event, EventBus};
use crate::model::Durability;

/// Copies committed WAL pages into the database every half second from its own connection
/// (PASSIVE: it never waits for the writer or readers), so the writer, which has automatic
/// checkpoints off, never stalls a waiting 250 on one.
///
/// `Store::set_durability` does not reach this connection, and need not: `synchronous`
/// decides only whether a WAL commit is fsynced (FULL) or not (NORMAL). A checkpoint syncs
/// the WAL before copying and the database after, the same under NORMAL and FULL (SQLite's
/// pager derives the checkpoint sync flags alike for both; only OFF skips them), and this
/// connection commits nothing. So the durability of an acknowledged message is the write
/// connection's setting alone.
///
/// It also watches `meta.edits`, which another process bumps when it changes the store
/// (`Store::open_for_edit`: the CLI's delete, tag, pin), and then publishes
/// `store://changed` so the window and API clients reload.
pub(super) fn spawn(
    db: &Path,
    durability: Durability,
    bus: EventBus,
    alive: std::sync::Weak<()>,
) -> Result<()> {
    let conn = schema::open_connection(db, false, durability)?;
    let edits = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT value FROM meta WHERE key = 'edits'", [], |r| {
            r.get(0)
        })
        .unwrap_or(0)
    };
    let mut seen = edits(&conn);
    std::thread::Builder::new()
        .name("pigeonhole-checkpoint".into())
        .spawn(move || {
            while alive.upgrade().is_some() {
                std::thread::sleep(std::time::Duration::from_millis(500));
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "checkpoint skipped");
                }
                let now = edits(&conn);
                if now != seen {
                    seen = now;
                    bus.publish(Event::StoreChanged);
                }
            }
        })?;
    Ok(())
}
