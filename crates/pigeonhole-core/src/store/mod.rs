//! SQLite storage: one writer thread with group commit, readers on their own connections.
//!
//! - `schema`: opening connections and migrations.
//! - `writer`: the thread that owns the write connection and batches commits.
//! - `query`: read-side queries (list, search, inboxes, sessions, transcripts).

mod query;
mod schema;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::event::EventBus;
use crate::smtp::session::{AuthInfo, Envelope, TlsInfo};
use crate::smtp::transcript::Line;

pub use query::{ListQuery, MessagePage};
pub(crate) use writer::{NewMessage, Op};

pub const DB_FILE: &str = "pigeonhole.sqlite3";
const LOCK_FILE: &str = "pigeonhole.lock";

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
    #[error("the store at {0} is in use by another Pigeonhole server")]
    Locked(PathBuf),
    #[error(
        "store schema version {found} is newer than this build knows ({known}); upgrade Pigeonhole"
    )]
    TooNew { found: usize, known: usize },
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

/// How far a 250 can be trusted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// Committed to the OS before the ack: survives a crash or `kill -9` of Pigeonhole.
    #[default]
    Process,
    /// Also fsynced before the ack: survives power loss. Slower.
    PowerLoss,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub address: String,
}

/// One row of the message list. Serialised field names are the UI's wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub id: i64,
    pub session_id: i64,
    #[serde(with = "ms_rfc3339")]
    pub received_at: DateTime<Utc>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    #[serde(with = "ms_rfc3339::option")]
    pub date: Option<DateTime<Utc>>,
    pub size: u64,
    pub has_attachments: bool,
    pub snippet: String,
    pub read: bool,
}

/// A stored message's envelope and links, beyond the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    pub envelope: Envelope,
    pub transcript_range: (usize, usize),
    pub auth_user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: i64,
    pub peer: String,
    pub local: String,
    #[serde(with = "ms_rfc3339")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "ms_rfc3339::option")]
    pub ended_at: Option<DateTime<Utc>>,
    pub helo: Option<String>,
    pub tls: Option<TlsInfo>,
    pub auth: Option<AuthInfo>,
    pub message_count: u32,
    pub last_code: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub session: SessionSummary,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub address: String,
    pub total: u64,
    pub unread: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub unread: u64,
}

/// Options for a writable store.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Keep the newest N messages; 0 keeps all.
    pub retention: u64,
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
    /// Held for the life of a writable store: one server per data directory.
    _lock: Option<File>,
    /// The checkpointer thread runs while this lives.
    _alive: Option<Arc<()>>,
}

impl Store {
    /// Opens (creating if needed) a writable store in `dir` and starts its writer thread.
    pub fn open(dir: &Path, bus: EventBus, options: StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let lock = File::create(dir.join(LOCK_FILE))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(dir.to_path_buf()));
        }
        let db_path = dir.join(DB_FILE);
        let mut conn = schema::open_connection(&db_path, false, options.durability)?;
        schema::migrate(&mut conn)?;
        let max_session: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM sessions", [], |r| {
                r.get(0)
            })?;
        let tx = writer::spawn(conn, bus, options.retention)?;
        let alive = Arc::new(());
        spawn_checkpointer(&db_path, options.durability, Arc::downgrade(&alive))?;
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db_path,
                writer: Some(tx),
                readers: Mutex::new(Vec::new()),
                next_session_id: AtomicI64::new(max_session + 1),
                _lock: Some(lock),
                _alive: Some(alive),
            }),
        })
    }

    /// Opens an existing store for reading only; works while a server is running.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        let db_path = dir.join(DB_FILE);
        if !db_path.is_file() {
            return Err(StoreError::Missing(dir.to_path_buf()));
        }
        let conn = schema::open_connection(&db_path, true, Durability::Process)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > schema::MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: version as usize,
                known: schema::MIGRATIONS.len(),
            });
        }
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db_path,
                writer: None,
                readers: Mutex::new(vec![conn]),
                next_session_id: AtomicI64::new(0),
                _lock: None,
                _alive: None,
            }),
        })
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
        let (done, wait) = oneshot::channel();
        self.send(Op::Deliver {
            msg: Box::new(msg),
            done,
        })?;
        wait.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Io)
    }

    /// Records session facts and new transcript lines; fire and forget, in order.
    pub(crate) fn update_session(
        &self,
        session: SessionSummary,
        first_line: usize,
        lines: Vec<Line>,
        closed: bool,
    ) {
        if self
            .send(Op::Session {
                session,
                first_line,
                lines,
                closed,
            })
            .is_err()
        {
            tracing::warn!("store writer gone; a session transcript was not saved");
        }
    }

    async fn request<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<std::io::Result<T>>) -> Op,
    ) -> Result<T> {
        let (done, wait) = oneshot::channel();
        self.send(make(done))?;
        wait.await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Io)
    }

    pub async fn delete(&self, ids: Vec<i64>) -> Result<u64> {
        self.request(|done| Op::Delete { ids, done }).await
    }

    pub async fn clear(&self) -> Result<()> {
        self.request(|done| Op::Clear { done }).await
    }

    pub async fn mark_read(&self, ids: Vec<i64>, read: bool) -> Result<()> {
        self.request(|done| Op::MarkRead { ids, read, done }).await
    }

    pub fn set_retention(&self, keep: u64) -> Result<()> {
        self.send(Op::SetRetention(keep))
    }

    /// Runs `f` on a pooled read connection. Blocking: call from a blocking context.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
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

/// Copies committed WAL pages into the database every half second from its own connection
/// (PASSIVE: it never waits for the writer or readers), so the writer, which has automatic
/// checkpoints off, never stalls a waiting 250 on one.
fn spawn_checkpointer(db: &Path, durability: Durability, alive: std::sync::Weak<()>) -> Result<()> {
    let conn = schema::open_connection(db, false, durability)?;
    std::thread::Builder::new()
        .name("pigeonhole-checkpoint".into())
        .spawn(move || {
            while alive.upgrade().is_some() {
                std::thread::sleep(std::time::Duration::from_millis(500));
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "checkpoint skipped");
                }
            }
        })?;
    Ok(())
}

pub(crate) fn ms_to_datetime(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Serialises timestamps as RFC 3339 with milliseconds, which every JS engine parses.
pub(crate) mod ms_rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let s: Option<String> = Option::deserialize(d)?;
            s.map(|s| {
                DateTime::parse_from_rfc3339(&s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(serde::de::Error::custom)
            })
            .transpose()
        }
    }
}
