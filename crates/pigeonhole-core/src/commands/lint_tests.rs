//! Lint through the store: the worker lints each message after its ack, the findings are
//! searchable and announced, and a store linted by older checks is linted again.

use super::fixture::{seed, Seed};
use super::*;
use crate::event::{Event, EventBus};
use crate::model::{ListQuery, Severity};
use crate::store::StoreOptions;

const CLEAN: &str = "From: Ada <ada@example.com>\r\nTo: dev@example.com\r\nSubject: clean\r\n\
Date: Tue, 1 Dec 2026 20:00:00 +0000\r\nMessage-ID: <clean@example.com>\r\n\r\nHello\r\n";

fn bare_lf() -> String {
    "From: Ada <ada@example.com>\nTo: dev@example.com\nSubject: bare\n\nno CR here\n".to_string()
}

const BCC: &str = "From: Ada <ada@example.com>\r\nTo: dev@example.com\r\nBcc: boss@example.com\r\n\
Subject: bcc\r\nDate: Tue, 1 Dec 2026 20:00:00 +0000\r\nMessage-ID: <bcc@example.com>\r\n\r\nHi\r\n";

async fn ids_for(store: &Store, query: &str) -> Vec<i64> {
    let page = list(
        store,
        ListQuery {
            query: query.into(),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{query:?}: {e}"));
    let mut ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    ids.sort();
    ids
}

fn at_arrival(raw: &str) -> Seed<'_> {
    Seed {
        raw: raw.into(),
        mail_from: "ada@example.com",
        received_at: chrono::DateTime::parse_from_rfc2822("Tue, 1 Dec 2026 20:00:00 +0000")
            .expect("date")
            .with_timezone(&chrono::Utc),
        ..Seed::default()
    }
}

#[tokio::test]
async fn findings_are_stored_searchable_and_announced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let clean = seed(&store, at_arrival(CLEAN)).await;
    let bare = seed(&store, at_arrival(&bare_lf())).await;
    let bcc = seed(&store, at_arrival(BCC)).await;

    // Right after the acks, a lint search waits for the worker and finds them.
    assert_eq!(ids_for(&store, "has:lint").await, vec![bare, bcc]);
    assert_eq!(ids_for(&store, "-has:lint").await, vec![clean]);
    assert_eq!(ids_for(&store, "lint:bare-lf").await, vec![bare]);
    assert_eq!(ids_for(&store, "lint:error").await, vec![bare]);
    assert_eq!(
        ids_for(&store, "lint:warning").await,
        vec![bare, bcc],
        "bare has no Message-ID"
    );
    assert_eq!(
        ids_for(&store, "lint:bcc-header subject:bcc").await,
        vec![bcc]
    );
    assert!(ids_for(&store, "lint:nul-byte").await.is_empty());

    let report = lint(&store, bare).await.expect("report");
    let f = report
        .findings
        .iter()
        .find(|f| f.id == "bare-lf")
        .expect("bare-lf");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.location.line, Some(1));
    assert!(report.errors >= 1);
    assert_eq!(
        lint(&store, clean).await.expect("clean"),
        Default::default()
    );

    let summary = &summaries(&store, vec![bare]).await.expect("summary")[0];
    assert_eq!(
        (summary.lint_errors, summary.lint_warnings),
        (report.errors, report.warnings)
    );

    // The badge's counts went out as an update.
    let mut updated = false;
    while let Ok(Ok(e)) = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv()).await {
        if let Event::MessagesUpdated(list) = e {
            if list.iter().any(|m| m.id == bare && m.lint_errors > 0) {
                updated = true;
                break;
            }
        }
    }
    assert!(updated, "message://updated carried the lint counts");

    // Lint never changes the bytes.
    assert_eq!(
        raw(&store, bare).await.expect("raw"),
        bare_lf().into_bytes()
    );
    assert!(matches!(
        lint(&store, 9999).await,
        Err(CommandError::NoMessage(9999))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lint_search_finds_a_message_in_a_steady_stream_of_mail() {
    // The worker waits for a pause in arrivals before it lints; a search must not wait for
    // one, and every message of the stream is linted in the end.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store");
    let stream = {
        let store = store.clone();
        tokio::spawn(async move {
            for _ in 0..300 {
                seed(&store, at_arrival(CLEAN)).await;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let bare = seed(&store, at_arrival(&bare_lf())).await;
    assert_eq!(
        ids_for(&store, "lint:bare-lf").await,
        vec![bare],
        "found while the stream goes on"
    );
    stream.await.expect("the stream");
    // Findings come only from the worker, which lints in id order: finding the last
    // message means it went through the whole stream.
    let last = seed(&store, at_arrival(&bare_lf())).await;
    assert_eq!(ids_for(&store, "lint:bare-lf").await, vec![bare, last]);
    assert_eq!(
        ids_for(&store, "has:lint").await,
        vec![bare, last],
        "and only the two bare-LF messages have one"
    );
}

#[tokio::test]
async fn a_misspelled_check_is_an_error_naming_the_checks() {
    let err = check_query("lint:bare_lf").expect_err("unknown check");
    assert!(err.message.contains("bare-lf"), "{}", err.message);
}

#[tokio::test]
async fn findings_of_older_checks_are_linted_again_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bare = {
        let store =
            Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store");
        let id = seed(&store, at_arrival(&bare_lf())).await;
        assert_eq!(ids_for(&store, "lint:bare-lf").await, vec![id]);
        id
    };
    // As if an older version had linted nothing: findings gone, version behind.
    let db = rusqlite::Connection::open(dir.path().join(crate::store::DB_FILE)).expect("db");
    db.execute_batch(
        "DELETE FROM message_lint; DELETE FROM message_lint_checks;
         UPDATE messages SET lint_errors = 0, lint_warnings = 0;
         UPDATE meta SET value = 0 WHERE key = 'lint_version';",
    )
    .expect("reset");
    drop(db);
    let store = Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("reopen");
    assert_eq!(
        ids_for(&store, "lint:bare-lf").await,
        vec![bare],
        "linted again"
    );
}
