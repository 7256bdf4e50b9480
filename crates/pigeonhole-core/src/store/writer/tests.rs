//! Tests that reach the writer thread through a real store in a temporary directory.

use super::Op;
use crate::event::EventBus;
use crate::model::Durability;
use crate::store::{Store, StoreError, StoreOptions};

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("open a store")
}

/// `PRAGMA synchronous` as the writer's own connection has it: 1 is NORMAL, 2 is FULL.
async fn synchronous(store: &Store) -> i64 {
    store
        .request(|done| Op::Synchronous { done })
        .await
        .expect("the writer answers")
}

#[tokio::test]
async fn set_durability_changes_what_the_writer_commits_with() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir);
    assert_eq!(
        synchronous(&store).await,
        1,
        "a store opened for Process durability commits with synchronous=NORMAL"
    );
    store
        .set_durability(Durability::PowerLoss)
        .await
        .expect("the writer sets it");
    assert_eq!(
        synchronous(&store).await,
        2,
        "after PowerLoss the writer must fsync every commit (synchronous=FULL)"
    );
    store
        .set_durability(Durability::Process)
        .await
        .expect("the writer sets it");
    assert_eq!(
        synchronous(&store).await,
        1,
        "going back to Process returns the writer to synchronous=NORMAL"
    );
}

#[tokio::test]
async fn a_failed_write_reaches_the_caller_as_an_sql_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir);
    // Pull the table out from under the writer so its next statement fails in SQLite.
    let side = rusqlite::Connection::open(dir.path().join(crate::store::DB_FILE))
        .expect("a second connection");
    side.execute_batch("ALTER TABLE messages RENAME TO messages_gone")
        .expect("rename the messages table");
    let err = store
        .mark_read(vec![1], true)
        .await
        .expect_err("marking read without a messages table must fail");
    assert!(
        matches!(err, StoreError::Sql(_)),
        "an SQLite failure must arrive as StoreError::Sql, not disguised as I/O: {err:?}"
    );
}
