//! The CLI reaching every message: `list` with a query and no silent cap, `count`,
//! `delete`, `tag`, `pin`, all beside a running server, and a terminal that a hostile
//! Subject cannot drive.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{cli, send, Server};

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn count(dir: &Path, query: &str) -> u64 {
    ok(dir, &["count", "--query", query])
        .trim()
        .parse()
        .expect("a number")
}

/// Waits until `query` counts `want` (indexing runs just after the 250).
fn wait_count(dir: &Path, query: &str, want: u64) {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if count(dir, query) == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{query:?} never counted {want}; it counts {}",
        count(dir, query)
    );
}

fn ids(dir: &Path, args: &[&str]) -> Vec<i64> {
    let json = ok(dir, &[&["list", "--json"], args].concat());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("JSON array");
    rows.iter().map(|m| m["id"].as_i64().expect("id")).collect()
}

#[test]
fn the_cli_finds_counts_tags_pins_and_deletes_by_query() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    let mut batch: Vec<(&str, String)> = (0..30)
        .map(|n| {
            (
                "bulk@example.com",
                format!("Subject: bulk {n}\r\n\r\nbody {n}\r\n"),
            )
        })
        .collect();
    batch.push((
        "bob+signup@example.com",
        "From: Shop <shop@example.com>\r\nSubject: Welcome to 日本語メールテスト\r\n\r\nhi\r\n"
            .into(),
    ));
    batch.push((
        "evil@example.com",
        "Subject: boom \x1b[2J\x07 done\r\n\r\nx\r\n".into(),
    ));
    send(&server, &batch);
    wait_count(dir.path(), "", 32);
    wait_count(dir.path(), "メール", 1);
    // The last message may be indexed in a later batch than the others.
    wait_count(dir.path(), "subject:boom", 1);

    // No silent cap: --limit 0 is everything, pages with --offset add up, the footer says so.
    assert_eq!(ids(dir.path(), &["--limit", "0"]).len(), 32);
    let first = ids(dir.path(), &["--limit", "20"]);
    let rest = ids(dir.path(), &["--limit", "20", "--offset", "20"]);
    assert_eq!((first.len(), rest.len()), (20, 12));
    assert!(
        first.iter().all(|id| !rest.contains(id)),
        "pages do not overlap"
    );
    let table = ok(dir.path(), &["list", "--limit", "5", "--query", "bulk"]);
    assert!(table.contains("(1-5 of 30 matching messages"), "{table}");
    assert_eq!(
        count(dir.path(), "addressed:bob+signup@example.com tag:signup"),
        1
    );
    assert_eq!(count(dir.path(), "from:shop@example.com"), 1);

    // A hostile Subject is shown, not obeyed.
    let table = ok(dir.path(), &["list", "--limit", "0"]);
    assert!(
        !table.contains('\x1b') && !table.contains('\x07'),
        "raw control bytes reached the terminal"
    );
    assert!(table.contains("boom \\u{1b}[2J\\u{7} done"), "{table}");
    let evil = ids(dir.path(), &["--query", "subject:boom"]);
    let shown = ok(dir.path(), &["show", &evil[0].to_string()]);
    assert!(!shown.contains('\x1b'), "show escapes too");
    let headers = ok(dir.path(), &["show", &evil[0].to_string(), "--headers"]);
    assert!(!headers.contains('\x1b'), "show --headers escapes too");

    // A bad query is an error with a caret, never an empty list.
    let bad = cli(dir.path(), &["list", "--query", "bulk from:("]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("bad query") && err.contains("\n  bulk from:(\n       ^^^^^"),
        "{err}"
    );
    assert!(!cli(dir.path(), &["count", "--query", "nope:x"])
        .status
        .success());

    // Tag and pin beside the running server; delete by query spares the pinned one.
    let bulk = ids(dir.path(), &["--query", "bulk", "--limit", "0"]);
    let (a, b) = (bulk[0].to_string(), bulk[1].to_string());
    ok(dir.path(), &["tag", &a, &b, "--add", "Keep Me"]);
    assert_eq!(count(dir.path(), "tag:\"keep me\""), 2);
    ok(dir.path(), &["pin", &a]);
    assert_eq!(count(dir.path(), "is:pinned"), 1);
    let out = ok(dir.path(), &["delete", "--query", "bulk"]);
    assert_eq!(out.trim(), "deleted 29 messages");
    assert_eq!(count(dir.path(), "bulk"), 1, "the pinned one stays");
    ok(dir.path(), &["delete", "--all"]);
    assert_eq!(count(dir.path(), ""), 1, "Clear all keeps the pinned one");
    ok(dir.path(), &["unpin", &a]);
    ok(dir.path(), &["delete", &a]);
    assert_eq!(count(dir.path(), ""), 0);
    let missing = cli(dir.path(), &["pin", "999999"]);
    assert_eq!(missing.status.code(), Some(2), "an unknown id is exit 2");
    let missing = cli(dir.path(), &["delete", "999999"]);
    assert_eq!(
        missing.status.code(),
        Some(2),
        "deleting an unknown id is exit 2"
    );
    let bad_tag = cli(dir.path(), &["tag", &b, "--add", "a,b"]);
    assert!(!bad_tag.status.success());

    // The server kept serving through all of it.
    send(
        &server,
        &[("late@example.com", "Subject: late\r\n\r\nx\r\n".to_string())],
    );
    wait_count(dir.path(), "subject:late", 1);
    assert!(!server.log().contains("ERROR"), "{}", server.log());
}
