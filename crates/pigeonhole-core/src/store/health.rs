//! The store's health at open: a writable data dir, an integrity check of the database,
//! and keeping a damaged file aside (renamed, never deleted).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{Result, StoreError};

/// What opening a writable store does when the integrity check fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDamage {
    /// Fail with `StoreError::Damaged`, leaving the file where it is (headless: the person
    /// runs `pigeonhole doctor --recover`, and nothing new is acknowledged into a file that
    /// `list` could not read back).
    Refuse,
    /// Keep the damaged file aside and start an empty store (the window, which then says so).
    StartFresh,
}

/// A damaged store kept aside by `OnDamage::StartFresh`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Damage {
    /// Where the damaged database is now (its -wal and -shm beside it, same name + suffix).
    pub kept: PathBuf,
    /// The first problem the check reported.
    pub problem: String,
}

/// How many problems the check at open collects; one is enough to decide.
const PROBLEMS: usize = 10;

/// The database and the files SQLite keeps beside it.
pub(crate) fn db_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// Fails with `ReadOnlyDir`, naming the directory, when nothing can be created in it: the
/// lock file, the database or its WAL would fail later with a vaguer error.
pub(crate) fn check_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(format!(".pigeonhole-write-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe);
    match written {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(StoreError::ReadOnlyDir {
            path: dir.to_path_buf(),
            source: e,
        }),
    }
}

/// The problems `PRAGMA quick_check` finds in `db` (empty: healthy). A file that is not a
/// database at all counts as one problem.
pub(crate) fn quick_check(db: &Path) -> Result<Vec<String>> {
    run_check(db, &format!("PRAGMA quick_check({PROBLEMS})"))
}

/// Runs an integrity pragma on its own plain connection (no WAL switch, no migrations).
pub(crate) fn run_check(db: &Path, pragma: &str) -> Result<Vec<String>> {
    let opened = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| {
        c.busy_timeout(super::schema::BUSY_TIMEOUT)?;
        Ok(c)
    });
    let conn = match opened {
        Ok(c) => c,
        Err(e) if is_corruption(&e) => return Ok(vec![e.to_string()]),
        Err(e) => {
            return Err(StoreError::Open {
                path: db.to_path_buf(),
                source: e,
            })
        }
    };
    let rows = (|| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(pragma)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    })();
    match rows {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(Vec::new()),
        Ok(rows) => Ok(rows),
        Err(e) if is_corruption(&e) => Ok(vec![e.to_string()]),
        Err(e) => Err(StoreError::Open {
            path: db.to_path_buf(),
            source: e,
        }),
    }
}

/// SQLITE_CORRUPT and SQLITE_NOTADB: the file itself is bad, not the access to it.
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

impl StoreError {
    /// True when SQLite found the database file damaged (a read that hit bad pages).
    pub fn is_corruption(&self) -> bool {
        match self {
            StoreError::Sql(e) | StoreError::Open { source: e, .. } => is_corruption(e),
            StoreError::Damaged { .. } => true,
            _ => false,
        }
    }
}

/// `<db>.clean`: written by the writer after the checkpoint of a clean close, holding the
/// database file's length and modification time then.
fn clean_marker(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".clean");
    PathBuf::from(p)
}

fn file_stamp(db: &Path) -> Option<String> {
    let m = std::fs::metadata(db).ok()?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{} {mtime}\n", m.len()))
}

/// After a clean close (the WAL checkpointed and truncated): records the file as it is, so
/// the next open can skip the integrity check if nothing touched it since.
pub(crate) fn mark_clean(db: &Path) {
    if let Some(stamp) = file_stamp(db) {
        if let Err(e) = std::fs::write(clean_marker(db), stamp) {
            tracing::debug!(error = %e, "could not record the clean close");
        }
    }
}

/// True when the last close was clean and the file is exactly as that close left it (same
/// length and modification time, no WAL to replay). Always forgets the mark: this open is
/// about to write, and only its own clean close may set it again.
fn closed_cleanly_and_untouched(db: &Path) -> bool {
    let marker = clean_marker(db);
    let recorded = std::fs::read_to_string(&marker).ok();
    let _ = std::fs::remove_file(&marker);
    let wal_empty = std::fs::metadata(&db_files(db)[1]).map_or(true, |m| m.len() == 0);
    wal_empty && recorded.is_some() && recorded == file_stamp(db)
}

/// Checks an existing database before the store opens it; see `Store::open_checked`.
///
/// `PRAGMA quick_check` reads every page (0.5 s warm, 5 s cold for 100,000 messages here),
/// so it runs only when the file may be damaged: after a crash or kill, or when something
/// changed the file after Pigeonhole's last clean close (a copy, a disk error that touched
/// it, another program). A file exactly as the last clean close left it is trusted.
pub(crate) fn check_at_open(db: &Path, on_damage: OnDamage) -> Result<Option<Damage>> {
    let exists = std::fs::metadata(db).map(|m| m.len() > 0).unwrap_or(false);
    if !exists {
        let _ = std::fs::remove_file(clean_marker(db));
        return Ok(None);
    }
    if closed_cleanly_and_untouched(db) {
        tracing::debug!("closed cleanly and untouched since: integrity check skipped");
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let problems = quick_check(db)?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "integrity check at open"
    );
    let Some(problem) = problems.into_iter().next() else {
        return Ok(None);
    };
    match on_damage {
        OnDamage::Refuse => {
            tracing::error!(path = %db.display(), %problem, "the store is damaged; refusing to open it");
            Err(StoreError::Damaged {
                path: db.to_path_buf(),
                problem,
            })
        }
        OnDamage::StartFresh => {
            let kept = keep_aside(db)?;
            tracing::error!(path = %db.display(), kept = %kept.display(), %problem,
                "the store is damaged; kept it aside and started a new one");
            Ok(Some(Damage { kept, problem }))
        }
    }
}

/// Renames the database, with its -wal and -shm, to `<db>.damaged-<UTC time>` (+ suffix),
/// so SQLite still finds the pair; answers the new database path. Never deletes.
pub(crate) fn keep_aside(db: &Path) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut kept = db.as_os_str().to_owned();
    kept.push(format!(".damaged-{stamp}"));
    let mut kept = PathBuf::from(kept);
    // Two in one second (a test, a loop of restarts) must not overwrite the first.
    let mut n = 1;
    while kept.exists() {
        let mut p = db.as_os_str().to_owned();
        p.push(format!(".damaged-{stamp}-{n}"));
        kept = PathBuf::from(p);
        n += 1;
    }
    for (from, to) in db_files(db).iter().zip(db_files(&kept)) {
        match std::fs::rename(from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && from != db => {}
            Err(e) => return Err(StoreError::Io(e)),
        }
    }
    Ok(kept)
}
