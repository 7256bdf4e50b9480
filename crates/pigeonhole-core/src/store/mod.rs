//! SQLite storage: one writer thread with group commit, readers on their own connections.
//!
//! - `schema`: opening connections and migrations.
//! - `writer`: the thread that owns the write connection and batches commits.
//! - `checkpoint`: the thread that moves committed WAL pages into the database file.
//! - `query`: read-side queries (list, count, inboxes, sessions, transcripts).
//! - `search`: the one compiler from the search language to SQL.
//! - `health`: the integrity check at open, and keeping a damaged file aside.
//! - `doctor`: the report of `pigeonhole doctor`, and salvaging a damaged store.

mod checkpoint;
pub mod doctor;
mod health;
mod lint;
mod query;
mod schema;
pub(crate) mod search;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::event::EventBus;
use crate::model::{Durability, MessageId, Release, SessionSummary, TranscriptLine};

pub use health::{Damage, OnDamage};
pub use search::Clock;
pub(crate) use search::Filter;
pub(crate) use writer::{NewMessage, Op, Retention};

#[cfg(feature = "fuzzing")]
pub use writer::index_text;

pub use crate::private::DB_FILE;
use crate::private::LOCK_FILE;
/// How long a reader in another process waits for the server's index to take in mail
/// already acknowledged: the writer indexes at most 400 ms after a 250, so this is that
/// with room to spare.
const OTHER_INDEX_PATIENCE: Duration = Duration::from_millis(750);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("opening store at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no Pigeonhole store at {0} (expected {DB_FILE} there; run `pigeonhole serve` first or pass the right --data-dir)")]
    Missing(PathBuf),
    #[error("creating data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the data directory {path} is not writable ({source}); Pigeonhole keeps its database there: make it writable, or pass another --data-dir")]
    ReadOnlyDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store {shown} is damaged ({problem}); nothing was written to it. Run `pigeonhole doctor --data-dir {dir} --recover` to keep it aside (renamed, not deleted) and salvage its messages into a new store", dir = .path.parent().unwrap_or(Path::new(".")).display(), shown = .path.display())]
    Damaged { path: PathBuf, problem: String },
    #[error("the store {} already holds {messages} messages; recovering into it would mix ids: recover into another --data-dir", .path.display())]
    NotEmpty { path: PathBuf, messages: i64 },
    #[error("recovering the store, {step}: {source}")]
    Recover {
        step: String,
        source: rusqlite::Error,
    },
    #[error("the WAL could not be checkpointed: readers kept it busy")]
    CheckpointBusy,
    #[error("creating the lock file {path} (is the data directory writable?): {source}")]
    LockFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store at {0} is in use by another Pigeonhole server")]
    Locked(PathBuf),
    #[error(
        "store schema version {found} is newer than this build knows ({known}); upgrade Pigeonhole"
    )]
    TooNew { found: usize, known: usize },
    #[error("the store is from an older Pigeonhole (schema {found}, this build has {known}); start `pigeonhole serve` or the app on it once to upgrade it")]
    TooOld { found: usize, known: usize },
    #[error("running migration {name}: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("no message with id {0}")]
    NoMessage(i64),
    #[error("no session with id {0}")]
    NoSession(i64),
    #[error("the store writer has stopped")]
    WriterGone,
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Options for a writable store.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Keep the newest N messages (and every pinned one); 0 keeps all.
    pub retention: u64,
    /// Delete unpinned messages older than this.
    pub retention_age: Option<Duration>,
    /// Checkpoint the WAL once it is larger than this many bytes; 0 is the default, 64 MiB.
    /// A knob for tests, which cannot write 64 MiB quickly.
    pub wal_limit: u64,
}

impl StoreOptions {
    fn retention(&self) -> Retention {
        Retention {
            keep: self.retention,
            max_age: self.retention_age,
        }
    }
}

/// See `Store::index_eagerly`.
pub struct IndexEagerly(Arc<AtomicUsize>);

impl Drop for IndexEagerly {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Handle to the store. Cheap to clone; the writer stops when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    db_path: PathBuf,
    /// `None` for a read-only store (the CLI's `list` / `show`).
    writer: Option<mpsc::Sender<Op>>,
    /// Idle read connections, reused so the UI's frequent queries don't reopen SQLite.
    readers: Mutex<Vec<Connection>>,
    next_session_id: AtomicI64,
    /// The message open in the window (0: none), which retention must not delete.
    held: Arc<AtomicI64>,
    /// How many `index_eagerly` guards are alive.
    waiters: Arc<AtomicUsize>,
    /// Held for the life of a writable store: one server per data directory.
    _lock: Option<File>,
    /// The checkpointer thread runs while this lives.
    _alive: Option<Arc<()>>,
    /// Wakes this process's lint worker (`None` without one: read-only, a side writer).
    lint: Option<Arc<lint::LintSignal>>,
}

/// A connection to the store that already exists in `dir`, for a reader or another
/// process's writer. Both need the schema this build knows: only a server migrates, and
/// editing an older or newer schema could lose data.
fn open_existing(dir: &Path, read_only: bool) -> Result<(PathBuf, Connection)> {
    let db_path = dir.join(DB_FILE);
    if !db_path.is_file() {
        return Err(StoreError::Missing(dir.to_path_buf()));
    }
    let conn = schema::open_connection(&db_path, read_only, Durability::Process)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    check_version(version as usize)?;
    Ok((db_path, conn))
}

fn check_version(found: usize) -> Result<()> {
    let known = schema::MIGRATIONS.len();
    match found.cmp(&known) {
        std::cmp::Ordering::Greater => Err(StoreError::TooNew { found, known }),
        std::cmp::Ordering::Less => Err(StoreError::TooOld { found, known }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

impl Store {
    /// Opens (creating if needed) a writable store in `dir` and starts its writer thread.
    /// A damaged database is refused (`StoreError::Damaged`), left as it is.
    pub fn open(dir: &Path, bus: EventBus, options: StoreOptions) -> Result<Store> {
        Store::open_checked(dir, bus, options, OnDamage::Refuse).map(|(store, _)| store)
    }

    /// Opens a writable store after an integrity check (`PRAGMA quick_check`) of an existing
    /// database. When it fails, `on_damage` decides: `Refuse` leaves the file as it is and
    /// fails with `StoreError::Damaged` (headless: the person runs the doctor); `StartFresh`
    /// renames it (with its -wal and -shm) to `pigeonhole.sqlite3.damaged-<UTC time>`, opens
    /// a new empty store, and says where the old one went (`Damage`), for the window to show.
    pub fn open_checked(
        dir: &Path,
        bus: EventBus,
        options: StoreOptions,
        on_damage: OnDamage,
    ) -> Result<(Store, Option<Damage>)> {
        crate::private::create_dir(dir).map_err(|e| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source: e,
        })?;
        health::check_writable(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::create(&lock_path).map_err(|e| StoreError::LockFile {
            path: lock_path.clone(),
            source: e,
        })?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(dir.to_path_buf()));
        }
        let db_path = dir.join(DB_FILE);
        let damage = health::check_at_open(&db_path, on_damage)?;
        // SQLite gives the -wal and -shm the database's mode: create it private, and
        // tighten one an older build made under the usual umask.
        crate::private::create_file(&db_path)?;
        for file in health::db_files(&db_path) {
            crate::private::restrict(&file)?;
        }
        let mut conn = schema::open_connection(&db_path, false, options.durability)?;
        schema::migrate(&mut conn)?;
        for file in health::db_files(&db_path) {
            crate::private::restrict(&file)?;
        }
        let max_session: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM sessions", [], |r| {
                r.get(0)
            })?;
        let held = Arc::new(AtomicI64::new(0));
        let waiters = Arc::new(AtomicUsize::new(0));
        let signal = Arc::new(lint::LintSignal::default());
        let tx = writer::spawn(
            conn,
            writer::WalBound::new(&db_path, options.wal_limit),
            bus.clone(),
            options.retention(),
            held.clone(),
            waiters.clone(),
            false,
            Some(signal.clone()),
        )?;
        let alive = Arc::new(());
        checkpoint::spawn(&db_path, options.durability, bus, Arc::downgrade(&alive))?;
        let store = Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db_path,
                writer: Some(tx),
                readers: Mutex::new(Vec::new()),
                next_session_id: AtomicI64::new(max_session + 1),
                held,
                waiters,
                _lock: Some(lock),
                _alive: Some(alive),
                lint: Some(signal.clone()),
            }),
        };
        lint::spawn(&store, signal)?;
        Ok((store, damage))
    }

    /// Commits what is queued, checkpoints the WAL into the database file (so the -wal is
    /// empty afterwards) and stops the writer; later writes fail with `WriterGone`. Reads
    /// still work. Resolves once that is done, whatever other handles are still alive: a
    /// front end awaits this before its process exits. A no-op for a read-only store.
    pub async fn close(&self) -> Result<()> {
        if self.inner.writer.is_none() {
            return Ok(());
        }
        // Idle pooled readers hold no lock, but closing them leaves nothing to wait for.
        if let Ok(mut pool) = self.inner.readers.lock() {
            pool.clear();
        }
        match self.request(|done| Op::Close { done }).await {
            // Closed before: the first close did the checkpoint.
            Err(StoreError::WriterGone) => Ok(()),
            other => other,
        }
    }

    /// Opens an existing store for reading only; works while a server is running.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        let (db_path, conn) = open_existing(dir, true)?;
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db_path,
                writer: None,
                readers: Mutex::new(vec![conn]),
                next_session_id: AtomicI64::new(0),
                held: Arc::new(AtomicI64::new(0)),
                waiters: Arc::new(AtomicUsize::new(0)),
                _lock: None,
                _alive: None,
                lint: None,
            }),
        })
    }

    /// Opens an existing store to change it from another process while a server may be
    /// running (the CLI's delete, tag and pin). SQLite serialises the two writers; each
    /// commit bumps `meta.edits`, which the server sees within a second and announces
    /// (`store://changed`). This writer indexes nothing and applies no retention.
    pub fn open_for_edit(dir: &Path) -> Result<Store> {
        let (db_path, conn) = open_existing(dir, false)?;
        let bus = EventBus::new();
        let held = Arc::new(AtomicI64::new(0));
        let waiters = Arc::new(AtomicUsize::new(0));
        let tx = writer::spawn(
            conn,
            writer::WalBound::new(&db_path, 0),
            bus,
            Retention::default(),
            held.clone(),
            waiters.clone(),
            true,
            None,
        )?;
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db_path,
                writer: Some(tx),
                readers: Mutex::new(Vec::new()),
                next_session_id: AtomicI64::new(0),
                held,
                waiters,
                _lock: None,
                _alive: None,
                lint: None,
            }),
        })
    }

    /// The SQLite file.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub(crate) fn next_session_id(&self) -> i64 {
        self.inner.next_session_id.fetch_add(1, Ordering::Relaxed)
    }

    fn send(&self, op: Op) -> Result<()> {
        let writer = self.inner.writer.as_ref().ok_or(StoreError::WriterGone)?;
        writer.send(op).map_err(|_| StoreError::WriterGone)
    }

    /// Queues a message and resolves once it is committed (or failed). Only then may the
    /// session say 250.
    pub(crate) async fn deliver(&self, msg: NewMessage) -> Result<i64> {
        self.request(|done| Op::deliver(msg, done)).await
    }

    /// Queues a message without waiting: the receiver answers after the commit. An import
    /// keeps many in flight this way, so they share commits, and still in file order.
    pub(crate) fn deliver_queued(&self, msg: NewMessage) -> Result<oneshot::Receiver<Result<i64>>> {
        let (done, wait) = oneshot::channel();
        self.send(Op::deliver(msg, done))?;
        Ok(wait)
    }

    /// A session id for an import: below every id there is, since SMTP sessions count up
    /// from the top and another process (the server) may be handing those out.
    pub(crate) fn import_session_id(&self) -> Result<i64> {
        static LAST: AtomicI64 = AtomicI64::new(0);
        let lowest: i64 = self.read(|c| {
            Ok(
                c.query_row("SELECT COALESCE(MIN(id), 0) FROM sessions", [], |r| {
                    r.get(0)
                })?,
            )
        })?;
        let below = lowest.min(0) - 1;
        Ok(LAST
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(last.min(below + 1) - 1)
            })
            .map(|last| last.min(below + 1) - 1)
            .unwrap_or(below))
    }

    /// Records session facts and new transcript lines; fire and forget, in order.
    pub(crate) fn update_session(
        &self,
        session: SessionSummary,
        first_line: usize,
        lines: Vec<TranscriptLine>,
        closed: bool,
    ) {
        if self
            .send(Op::Session {
                session,
                chunk: writer::Chunk::new(first_line, &lines),
                closed,
            })
            .is_err()
        {
            tracing::warn!("store writer gone; a session transcript was not saved");
        }
    }

    async fn request<T>(&self, make: impl FnOnce(writer::Done<T>) -> Op) -> Result<T> {
        let (done, wait) = oneshot::channel();
        self.send(make(done))?;
        wait.await.map_err(|_| StoreError::WriterGone)?
    }

    pub(crate) async fn delete(&self, ids: Vec<i64>) -> Result<u64> {
        self.request(|done| Op::Delete { ids, done }).await
    }

    pub(crate) async fn clear(&self) -> Result<()> {
        self.request(|done| Op::Clear { done }).await
    }

    pub(crate) async fn mark_read(&self, ids: Vec<i64>, read: bool) -> Result<()> {
        self.request(|done| Op::MarkRead { ids, read, done }).await
    }

    /// Deletes the unpinned messages a filter matches, a slice per commit, so a delete of
    /// thousands never holds the write lock for long: arrivals (and a server beside this
    /// process) commit between slices.
    pub(crate) async fn delete_matching(&self, filter: Filter) -> Result<u64> {
        const SLICE: usize = 500;
        let mut total = 0;
        loop {
            let filter = filter.clone();
            let n = self
                .request(|done| Op::DeleteMatching {
                    filter,
                    limit: SLICE,
                    done,
                })
                .await?;
            total += n;
            if (n as usize) < SLICE {
                return Ok(total);
            }
        }
    }

    pub(crate) async fn mark_matching(&self, filter: Filter, read: bool) -> Result<u64> {
        self.request(|done| Op::MarkMatching { filter, read, done })
            .await
    }

    /// Adds and removes (already normalised) tags on these messages.
    pub(crate) async fn tag(
        &self,
        ids: Vec<MessageId>,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<()> {
        self.request(|done| Op::Tag {
            ids,
            add,
            remove,
            done,
        })
        .await
    }

    pub(crate) async fn pin(&self, ids: Vec<MessageId>, pinned: bool) -> Result<()> {
        self.request(|done| Op::Pin { ids, pinned, done }).await
    }

    /// Records a release attempt with its message (its `id` is ignored); answers the new id.
    pub(crate) async fn record_release(&self, release: Release) -> Result<i64> {
        self.request(|done| Op::RecordRelease { release, done })
            .await
    }

    pub(crate) fn set_retention(&self, keep: u64, max_age: Option<Duration>) -> Result<()> {
        self.send(Op::SetRetention(Retention { keep, max_age }))
    }

    /// Tag rules: each newly indexed message a filter matches gets its tag.
    pub(crate) fn set_tag_rules(&self, rules: Vec<(Filter, String)>) -> Result<()> {
        self.send(Op::SetTagRules(rules))
    }

    /// Resolves once every message acknowledged so far is in the search index. On a store
    /// without a writer another process's server indexes its own mail, within a fraction
    /// of a second of the 250; this waits for that (`OTHER_INDEX_PATIENCE` at most), so a
    /// search from the CLI or MCP right after a send finds the message too.
    pub(crate) async fn sync_index(&self) -> Result<()> {
        if self.inner.writer.is_none() {
            return self.await_other_index().await;
        }
        self.request(|done| Op::SyncIndex { done }).await
    }

    /// Polls the watermark until it reaches the newest message there was when called, or
    /// the patience runs out (no server running, or one rebuilding its index): then the
    /// query runs on what is indexed, as before.
    async fn await_other_index(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + OTHER_INDEX_PATIENCE;
        let read = |store: Store| {
            tokio::task::spawn_blocking(move || {
                store.read(|c| {
                    Ok(c.query_row(
                        "SELECT (SELECT value FROM meta WHERE key = 'fts_upto'), \
                         COALESCE(MAX(id), 0) FROM messages",
                        [],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                    )?)
                })
            })
        };
        let Ok(Ok((mut upto, newest))) = read(self.clone()).await else {
            // A store that cannot be read says so in the query that follows.
            return Ok(());
        };
        while upto < newest && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            match read(self.clone()).await {
                Ok(Ok((now, _))) => upto = now,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// While the guard lives, new mail is indexed (and announced) right after its commit
    /// rather than at the next quiet moment: a client waiting for a message hears of it
    /// within a commit, not 100 ms later.
    pub fn index_eagerly(&self) -> IndexEagerly {
        self.inner.waiters.fetch_add(1, Ordering::Relaxed);
        IndexEagerly(self.inner.waiters.clone())
    }

    /// The message a person has open (or none): retention leaves it alone.
    pub fn hold(&self, id: Option<MessageId>) {
        self.inner.held.store(id.unwrap_or(0), Ordering::Relaxed);
    }

    /// Changes how far a 250 can be trusted, from the next commit on. Resolves once the
    /// writer has set it, so a refusal reaches the caller.
    pub(crate) async fn set_durability(&self, durability: Durability) -> Result<()> {
        self.request(|done| Op::SetDurability {
            durability,
            done: Some(done),
        })
        .await
    }

    /// Runs `f` on a pooled read connection. Blocking: call from a blocking context.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.inner.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match conn {
            Some(c) => c,
            None => schema::open_connection(
                &self.inner.db_path,
                self.inner.writer.is_none(),
                Durability::Process,
            )?,
        };
        let out = f(&conn);
        if let Ok(mut pool) = self.inner.readers.lock() {
            if pool.len() < 4 {
                pool.push(conn);
            }
        }
        out
    }
}
