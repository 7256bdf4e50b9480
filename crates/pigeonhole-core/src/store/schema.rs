//! Opening connections and running the numbered migrations in `migrations/`.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Result, StoreError};
use crate::model::Durability;

/// Migrations in order; `user_version` records how many have run.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("migrations/0001_initial.sql")),
    (
        "0002_unread_index",
        include_str!("migrations/0002_unread_index.sql"),
    ),
    (
        "0003_fts_watermark",
        include_str!("migrations/0003_fts_watermark.sql"),
    ),
    (
        "0004_drop_session_index",
        include_str!("migrations/0004_drop_session_index.sql"),
    ),
    (
        "0005_session_problems",
        include_str!("migrations/0005_session_problems.sql"),
    ),
    (
        "0006_search_index",
        include_str!("migrations/0006_search_index.sql"),
    ),
    (
        "0007_summary_ids",
        include_str!("migrations/0007_summary_ids.sql"),
    ),
    (
        "0008_count_index",
        include_str!("migrations/0008_count_index.sql"),
    ),
    (
        "0009_session_faults",
        include_str!("migrations/0009_session_faults.sql"),
    ),
    (
        "0010_releases",
        include_str!("migrations/0010_releases.sql"),
    ),
    ("0011_lint", include_str!("migrations/0011_lint.sql")),
];

/// The `PRAGMA synchronous` value for a durability. NORMAL in WAL mode: a commit reaches
/// the OS before we ack, so it survives a crash or kill -9 of the process; FULL also fsyncs
/// each commit, surviving power loss.
pub(crate) fn synchronous(durability: Durability) -> &'static str {
    match durability {
        Durability::Process => "NORMAL",
        Durability::PowerLoss => "FULL",
    }
}

/// How long a statement waits for a lock another connection holds.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The one place connections are opened: WAL, busy timeout, foreign keys.
pub(crate) fn open_connection(
    path: &Path,
    read_only: bool,
    durability: Durability,
) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let opened = || -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if !read_only {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", synchronous(durability))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        if !read_only {
            // The writer never checkpoints itself (a checkpoint would hold up every waiting
            // 250); `checkpointer` does it from its own connection.
            // (`journal_size_limit` matters only where the WAL starts over, on the write
            // connection: `writer::spawn` sets it to the store's limit.)
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(conn)
    };
    // Every failure here names the file: a read-only data dir fails at the WAL pragma.
    opened().map_err(|e| StoreError::Open {
        path: path.to_path_buf(),
        source: e,
    })
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            found: version,
            known: MIGRATIONS.len(),
        });
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Migration { name, source: e })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}
