//! `pigeonhole doctor`: a report on a data dir (integrity, schema, counts, WAL, file modes),
//! and `--recover`, which salvages the readable rows of a damaged store into a new one.
//!
//! Both are here, in core, so the CLI (and any other front end) only prints what they return.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Serialize;

use super::health::{self, db_files};
use super::{schema, Result, StoreError, DB_FILE, LOCK_FILE};
use crate::model::Durability;

/// The highest rowid a row-by-row copy tries: far past any real store, so a garbage
/// MAX(rowid) from a damaged page cannot make recovery run for ever.
const ROWID_SCAN_CAP: i64 = 50_000_000;

/// The tables a recovery copies: what was received and what people did with it. The rest
/// (search index, exact addresses, lint findings) is derived from the raw bytes and rebuilt
/// by the server after the watermarks go back to 0.
const KEPT_TABLES: &[&str] = &[
    "sessions",
    "transcript_chunks",
    "messages",
    "message_raw",
    "recipients",
    "message_tags",
    "releases",
    "meta",
];

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked: "integrity", "schema", "counts", "wal", "permissions".
    pub name: &'static str,
    pub ok: bool,
    /// What was found, in a sentence.
    pub detail: String,
}

/// What `pigeonhole doctor` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    /// Every check passed.
    pub healthy: bool,
    pub checks: Vec<Check>,
    /// Messages and sessions, when the store could be counted.
    pub messages: Option<i64>,
    pub sessions: Option<i64>,
    pub schema_version: Option<i64>,
    pub database_bytes: u64,
    pub wal_bytes: u64,
}

/// Checks the store in `dir` without changing it (safe while a server runs).
pub fn check(dir: &Path) -> Result<Report> {
    let db = dir.join(DB_FILE);
    let [_, wal, _] = db_files(&db);
    let mut report = Report {
        data_dir: dir.to_path_buf(),
        database: db.clone(),
        healthy: false,
        checks: Vec::new(),
        messages: None,
        sessions: None,
        schema_version: None,
        database_bytes: std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0),
        wal_bytes: std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
    };
    if !db.is_file() {
        return Err(StoreError::Missing(dir.to_path_buf()));
    }
    let mut checks: Vec<Check> = Vec::new();
    let mut add =
        |name: &'static str, ok: bool, detail: String| checks.push(Check { name, ok, detail });

    let problems = health::run_check(&db, "PRAGMA integrity_check(20)")?;
    let intact = problems.is_empty();
    add(
        "integrity",
        intact,
        if intact {
            "PRAGMA integrity_check: ok".into()
        } else {
            format!(
                "PRAGMA integrity_check found problems: {}{}",
                problems
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                if problems.len() > 3 { "; …" } else { "" }
            )
        },
    );

    let conn = Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Open {
        path: db.clone(),
        source: e,
    })?;
    let _ = conn.busy_timeout(schema::BUSY_TIMEOUT);
    let known = schema::MIGRATIONS.len() as i64;
    match conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)) {
        Ok(v) => {
            report.schema_version = Some(v);
            add(
                "schema",
                v == known,
                match v.cmp(&known) {
                    std::cmp::Ordering::Equal => format!("version {v}, as this build expects"),
                    std::cmp::Ordering::Less => format!("version {v}, older than this build's {known}: `pigeonhole serve` upgrades it"),
                    std::cmp::Ordering::Greater => format!("version {v}, newer than this build's {known}: upgrade Pigeonhole"),
                },
            );
        }
        Err(e) => add("schema", false, format!("could not read the version: {e}")),
    }

    let counts = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM sessions),
                (SELECT COUNT(*) FROM messages m WHERE NOT EXISTS
                    (SELECT 1 FROM message_raw r WHERE r.message_id = m.id))",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    );
    match counts {
        Ok((messages, sessions, no_raw)) => {
            report.messages = Some(messages);
            report.sessions = Some(sessions);
            add(
                "counts",
                no_raw == 0,
                if no_raw == 0 {
                    format!("{messages} messages, {sessions} sessions")
                } else {
                    format!("{messages} messages, {sessions} sessions; {no_raw} messages have no raw bytes")
                },
            );
        }
        Err(e) => add("counts", false, format!("could not count: {e}")),
    }

    let wal_limit = 4 * super::writer::WAL_LIMIT;
    add(
        "wal",
        report.wal_bytes <= wal_limit,
        format!(
            "{} ({} MiB is where a server checkpoints it)",
            bytes(report.wal_bytes),
            super::writer::WAL_LIMIT / (1024 * 1024)
        ),
    );

    let (ok, detail) = permissions(dir);
    add("permissions", ok, detail);

    report.healthy = checks.iter().all(|c| c.ok);
    report.checks = checks;
    Ok(report)
}

fn bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{n} bytes")
    }
}

/// The data dir should be 0700 and the private files in it 0600.
#[cfg(unix)]
fn permissions(dir: &Path) -> (bool, String) {
    let mut wide = Vec::new();
    let mut check = |path: &Path, want: u32| {
        if let Ok(mode) = crate::private::mode(path) {
            if mode & 0o077 != 0 {
                wide.push(format!("{} is {mode:o} (want {want:o})", path.display()));
            }
        }
    };
    check(dir, 0o700);
    let db = dir.join(DB_FILE);
    for f in db_files(&db) {
        check(&f, 0o600);
    }
    check(&dir.join(crate::private::KEY_FILE), 0o600);
    check(&dir.join(crate::private::SETTINGS_FILE), 0o600);
    if wide.is_empty() {
        (
            true,
            "the data dir is 0700 and its private files 0600".into(),
        )
    } else {
        (
            false,
            format!(
                "readable by other users: {} (`pigeonhole serve` tightens them)",
                wide.join(", ")
            ),
        )
    }
}

#[cfg(not(unix))]
fn permissions(_: &Path) -> (bool, String) {
    (true, "not checked on this platform".into())
}

/// How one table came through a recovery.
#[derive(Debug, Clone, Serialize)]
pub struct TableRecovery {
    pub table: String,
    pub copied: u64,
    /// Rows whose pages could not be read.
    pub unreadable: u64,
}

/// What `pigeonhole doctor --recover` did.
#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    /// Where the damaged database is now, renamed, never deleted.
    pub kept: PathBuf,
    /// The new store.
    pub database: PathBuf,
    /// Messages in the new store with their raw bytes.
    pub recovered: u64,
    /// Messages the damaged file had a trace of (a summary row or raw bytes) that could not
    /// be brought over whole.
    pub lost: u64,
    pub tables: Vec<TableRecovery>,
    /// The integrity check of the new store.
    pub healthy: bool,
}

/// Moves the damaged database in `dir` aside (`pigeonhole.sqlite3.damaged-<UTC time>`) and
/// copies every row that can still be read into a new store there. Raw bytes are the
/// source of truth: a message comes back when its summary row and its raw bytes do; the
/// search index and lint findings are rebuilt from them by the next `pigeonhole serve`.
/// Refuses while a server holds the store.
///
/// With `from`, the damaged file is one kept aside already (the window's fresh start): it
/// is left where it is and salvaged into `dir`, whose store must not exist yet or hold no
/// message (the fresh empty one is replaced), so recovered ids cannot collide.
pub fn recover(dir: &Path, from: Option<&Path>) -> Result<Recovery> {
    let db = dir.join(DB_FILE);
    if from.is_none() && !db.is_file() {
        return Err(StoreError::Missing(dir.to_path_buf()));
    }
    crate::private::create_dir(dir).map_err(|e| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = std::fs::File::create(&lock_path).map_err(|e| StoreError::LockFile {
        path: lock_path.clone(),
        source: e,
    })?;
    if lock.try_lock().is_err() {
        return Err(StoreError::Locked(dir.to_path_buf()));
    }
    let kept = match from {
        None => health::keep_aside(&db)?,
        Some(from) => {
            if !from.is_file() {
                return Err(StoreError::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no damaged store at {}", from.display()),
                )));
            }
            if db.is_file() {
                let held = message_count(&db)?;
                if held > 0 {
                    return Err(StoreError::NotEmpty {
                        path: db.clone(),
                        messages: held,
                    });
                }
                // The fresh, empty store the window opened: nothing in it to keep.
                for f in db_files(&db) {
                    match std::fs::remove_file(&f) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(StoreError::Io(e))
                        }
                        _ => {}
                    }
                }
            }
            from.to_path_buf()
        }
    };
    crate::private::create_file(&db)?;
    let mut new = schema::open_connection(&db, false, Durability::Process)?;
    schema::migrate(&mut new)?;
    step(
        "turning foreign keys off",
        new.pragma_update(None, "foreign_keys", "OFF"),
    )?;
    let kept_uri = kept.to_string_lossy().replace('\'', "''");
    step(
        format!("attaching {}", kept.display()),
        new.execute_batch(&format!("ATTACH DATABASE '{kept_uri}' AS old")),
    )?;

    let mut tables = Vec::new();
    // Autocommit, a table (or a row) per statement: a read that fails on a damaged page
    // undoes only its own statement.
    let tx: &Connection = &new;
    for &table in KEPT_TABLES {
        tables.push(copy_table(tx, table)?);
    }
    // What the new store holds must hang together: a message needs its raw bytes (they
    // are the message), its session (a placeholder when that row was lost), and rows that
    // point at a lost message go.
    // Done with the damaged file: a statement that touches the schema (the triggers below)
    // would otherwise read its damaged pages again.
    step(
        "detaching the damaged store",
        new.execute_batch("DETACH DATABASE old"),
    )?;
    let tx = step("starting the tidy-up", new.transaction())?;
    let orphans_raw: i64 = tx.query_row(
        "SELECT COUNT(*) FROM message_raw r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)",
        [],
        |r| r.get(0),
    )?;
    let no_raw: i64 = tx.query_row(
        "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_raw r WHERE r.message_id = m.id)",
        [],
        |r| r.get(0),
    )?;
    // The delete triggers keep the search index in step; it is empty here (rebuilt later),
    // and FTS5 takes a delete of a row it never held for corruption: set them aside.
    let triggers: Vec<(String, String)> = step(
        "reading the triggers",
        (|| {
            let mut stmt = tx.prepare(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL",
        )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })(),
    )?;
    for (name, _) in &triggers {
        step(
            "setting a trigger aside",
            tx.execute_batch(&format!("DROP TRIGGER main.\"{name}\"")),
        )?;
    }
    step(
        "tidying what was copied",
        tx.execute_batch(
            "DELETE FROM message_raw WHERE message_id NOT IN (SELECT id FROM messages);
         DELETE FROM messages WHERE id NOT IN (SELECT message_id FROM message_raw);
         INSERT INTO sessions (id, peer, local, started_at)
             SELECT session_id, 'unknown (recovered)', '', MIN(received_at) FROM messages
             WHERE session_id NOT IN (SELECT id FROM sessions) GROUP BY session_id;
         DELETE FROM recipients WHERE message_id NOT IN (SELECT id FROM messages);
         DELETE FROM message_tags WHERE message_id NOT IN (SELECT id FROM messages);
         DELETE FROM transcript_chunks WHERE session_id NOT IN (SELECT id FROM sessions);
         UPDATE meta SET value = 0 WHERE key IN ('fts_upto', 'lint_upto');",
        ),
    )?;
    for (_, sql) in &triggers {
        step("putting a trigger back", tx.execute_batch(sql))?;
    }
    step("committing the tidy-up", tx.commit())?;
    new.pragma_update(None, "foreign_keys", "ON")?;
    let recovered: i64 = new.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?;
    let unreadable: u64 = tables
        .iter()
        .filter(|t| t.table == "messages" || t.table == "message_raw")
        .map(|t| t.unreadable)
        .max()
        .unwrap_or(0);
    new.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    drop(new);
    for f in db_files(&db) {
        crate::private::restrict(&f)?;
    }
    let healthy = health::quick_check(&db)?.is_empty();
    Ok(Recovery {
        kept,
        database: db,
        recovered: recovered as u64,
        lost: (orphans_raw + no_raw) as u64 + unreadable,
        tables,
        healthy,
    })
}

/// Copies what can be read of `old.<table>` into `main.<table>`: the whole table at once
/// when its pages are intact, else row by row (by rowid, or by message or session for
/// tables without one), skipping rows that fail.
fn copy_table(tx: &Connection, table: &str) -> Result<TableRecovery> {
    let mut out = TableRecovery {
        table: table.into(),
        copied: 0,
        unreadable: 0,
    };
    let cols = step(
        format!("reading the columns of {table}"),
        common_columns(tx, table),
    )?;
    if cols.is_empty() {
        return Ok(out);
    }
    let list = cols.join(", ");
    let all =
        format!("INSERT OR REPLACE INTO main.{table} ({list}) SELECT {list} FROM old.{table}");
    // In autocommit a statement that fails is undone whole, by itself.
    match tx.execute(&all, []) {
        Ok(n) => {
            out.copied = n as u64;
            return Ok(out);
        }
        Err(e) => {
            tracing::info!(table, error = %e, "the table cannot be read whole; copying it row by row");
            if !tx.is_autocommit() {
                let _ = tx.execute_batch("ROLLBACK");
            }
        }
    }
    let key = if step(
        format!("reading the schema of {table}"),
        has_rowid(tx, table),
    )? {
        "rowid"
    } else if cols.iter().any(|c| c == "\"message_id\"") {
        "message_id"
    } else if cols.iter().any(|c| c == "\"session_id\"") {
        "session_id"
    } else {
        // `meta`: the new store's defaults stand.
        out.unreadable = 1;
        return Ok(out);
    };
    let ids: Box<dyn Iterator<Item = i64>> = match key {
        "rowid" => {
            let max: i64 = tx
                .query_row(
                    &format!("SELECT COALESCE(MAX(rowid), 0) FROM old.{table}"),
                    [],
                    |r| r.get(0),
                )
                .or_else(|_| {
                    tx.query_row(
                        "SELECT COALESCE(MAX(seq), 0) FROM old.sqlite_sequence WHERE name = ?1",
                        [table],
                        |r| r.get(0),
                    )
                })
                .unwrap_or(0);
            // MAX(rowid) of a damaged b-tree can be garbage (2^62): walk the ids lazily and
            // no further than a store could hold.
            Box::new(1..=max.clamp(0, ROWID_SCAN_CAP))
        }
        "message_id" => Box::new(
            step(
                "listing copied messages",
                ids_of(tx, "SELECT id FROM main.messages"),
            )?
            .into_iter(),
        ),
        _ => Box::new(
            step(
                "listing copied sessions",
                ids_of(tx, "SELECT id FROM main.sessions"),
            )?
            .into_iter(),
        ),
    };
    let mut one = step(format!("preparing the copy of {table}"), tx.prepare(&format!(
        "INSERT OR REPLACE INTO main.{table} ({list}) SELECT {list} FROM old.{table} WHERE {key} = ?1"
    )))?;
    for id in ids {
        match one.execute([id]) {
            Ok(n) => out.copied += n as u64,
            Err(_) => {
                out.unreadable += 1;
                if !tx.is_autocommit() {
                    let _ = tx.execute_batch("ROLLBACK");
                }
            }
        }
    }
    Ok(out)
}

/// Names the step of a recovery that failed.
fn step<T>(what: impl std::fmt::Display, r: rusqlite::Result<T>) -> Result<T> {
    r.map_err(|source| StoreError::Recover {
        step: what.to_string(),
        source,
    })
}

fn message_count(db: &Path) -> Result<i64> {
    let conn = schema::open_connection(db, true, Durability::Process)?;
    Ok(conn.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?)
}

fn ids_of(tx: &Connection, sql: &str) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare(sql)?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect();
    ids
}

/// Columns both the new and the old table have (an older store lacks newer ones).
fn common_columns(tx: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let names = |schema: &str| -> rusqlite::Result<Vec<String>> {
        let mut stmt = tx.prepare(&format!("SELECT name FROM {schema}.pragma_table_info(?1)"))?;
        let rows = stmt.query_map([table], |r| r.get(0))?;
        rows.collect()
    };
    let new = names("main")?;
    let old = names("old").unwrap_or_default();
    Ok(new
        .into_iter()
        .filter(|c| old.contains(c))
        .map(|c| format!("\"{c}\""))
        .collect())
}

fn has_rowid(tx: &Connection, table: &str) -> rusqlite::Result<bool> {
    let sql: String = tx.query_row(
        "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    Ok(!sql.to_ascii_uppercase().contains("WITHOUT ROWID"))
}
