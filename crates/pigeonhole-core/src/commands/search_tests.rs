//! The query language end to end over a fixture store: one case per operator, through
//! the same command layer the window, the CLI and the API call.

use chrono::{TimeZone, Utc};

use super::fixture::{indexed, seed, Seed};
use super::*;
use crate::event::{Event, EventBus};
use crate::model::{InboxKey, InboxKind, ListQuery, MessageFilter};
use crate::store::StoreOptions;

const M1: &str = "From: Mikel Lindsaar <mikel@test.lindsaar.net>\r\n\
To: bob@example.com\r\nReply-To: help@support.test\r\n\
Subject: Your PDF invoice\r\nMessage-ID: <abc.123@mail.test>\r\nX-Mailer: Acme Mailer 2.0\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nPlease find the invoice attached.\r\n\
--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"quarterly-report.pdf\"\r\n\r\n%PDF-1\r\n--b--\r\n";

fn m2() -> String {
    format!(
        "From: ann@example.com\r\nTo: bob@example.com.au\r\nCc: ann.bob@example.com\r\n\
Subject: =?UTF-8?B?5pel5pys6Kqe44Oh44O844Or44OG44K544OI?=\r\nX-Tags: Urgent, later\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
こんにちは世界\r\n{}\r\n",
        "x".repeat(2048)
    )
}

const M3: &str = "From: noreply@shop.test\r\nTo: user17@seed.test\r\nSubject: Welcome e-mail\r\n\
MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>Click <b>confirm</b> now</p>\r\n";

const M4: &str = "From: user170@seed.test\r\nTo: user170@seed.test\r\n\
Subject: =?UTF-8?Q?=C3=9Cn=C3=AFcode_Stra=C3=9Fe?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n\
--r\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain résumé\r\n\
--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\n\r\nPNG\r\n--r--\r\n";

async fn ids_for(store: &Store, query: &str) -> Vec<MessageId> {
    let page = list(
        store,
        ListQuery {
            query: query.into(),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{query:?} must run: {e}"));
    let mut ids: Vec<MessageId> = page.messages.iter().map(|m| m.id).collect();
    ids.sort();
    assert_eq!(
        page.total,
        ids.len() as u64,
        "{query:?}: total agrees with the page"
    );
    ids
}

#[tokio::test]
async fn every_operator_finds_what_it_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let old = Utc
        .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .expect("a date");
    let m1 = seed(
        &store,
        Seed {
            raw: M1.into(),
            mail_from: "bounce@lindsaar.net",
            rcpt: &["bob@example.com", "secret@hidden.test"],
            received_at: old,
            ..Seed::default()
        },
    )
    .await;
    let m2 = seed(
        &store,
        Seed {
            raw: m2(),
            rcpt: &["bob@example.com.au", "ann.bob@example.com"],
            ..Seed::default()
        },
    )
    .await;
    let m3 = seed(
        &store,
        Seed {
            raw: M3.into(),
            rcpt: &["user17+signup@seed.test"],
            auth_user: Some("alice"),
            listener: "shop",
            local: "127.0.0.1:1026",
            ..Seed::default()
        },
    )
    .await;
    let m4 = seed(
        &store,
        Seed {
            raw: M4.into(),
            rcpt: &["user170@seed.test"],
            ..Seed::default()
        },
    )
    .await;
    indexed(&mut rx, m4).await;
    mark_read(&store, vec![m1], true).await.expect("mark");
    pin(&store, vec![m2], true).await.expect("pin");

    let all = vec![m1, m2, m3, m4];
    let cases: Vec<(&str, Vec<MessageId>)> = vec![
        ("", all.clone()),
        ("mikel", vec![m1]),
        ("MIKEL", vec![m1]),
        ("from:mikel", vec![m1]),
        ("from:bounce@lindsaar.net", vec![m1]),
        ("from:lindsaar", vec![m1]),
        ("subject:PDF", vec![m1]),
        ("subject:invoice", vec![m1]),
        ("subject:attached", vec![]),
        ("report", vec![m1]),
        ("quarterly-report.pdf", vec![m1]),
        ("invo", vec![m1]),
        ("\"find the invoice\"", vec![m1]),
        ("\"invoice find\"", vec![]),
        ("メール", vec![m2]),
        ("テスト", vec![m2]),
        ("本語", vec![m2]),
        ("世界", vec![m2]),
        ("subject:日本語", vec![m2]),
        ("to:bob@example.com", vec![m1]),
        ("to:BOB@EXAMPLE.COM", vec![m1]),
        ("addressed:bob@example.com", vec![m1]),
        ("cc:ann.bob@example.com", vec![m2]),
        ("to:bob", vec![m1, m2]),
        ("user17@seed.test", vec![m3]),
        ("to:user17@seed.test", vec![m3]),
        ("user170@seed.test", vec![m4]),
        ("bcc:secret@hidden.test", vec![m1]),
        ("bcc:bob@example.com", vec![]),
        ("bcc:secret", vec![m1]),
        ("addressed:secret@hidden.test", vec![m1]),
        ("reply-to:help@support.test", vec![m1]),
        ("reply-to:support", vec![m1]),
        ("message-id:abc.123@mail.test", vec![m1]),
        ("message-id:<ABC.123@mail.test>", vec![m1]),
        ("message-id:abc", vec![]),
        ("header:X-Mailer:acme", vec![m1]),
        ("header:x-mailer", vec![m1]),
        ("header:X-Mailer:\"mailer 2\"", vec![m1]),
        ("header:X-Mailer:2.0", vec![m1]),
        ("header:X-Mail", vec![]),
        ("header:Subject:invoice", vec![m1]),
        ("header:X-Tags:urgent", vec![m2]),
        ("tag:urgent", vec![m2]),
        ("tag:LATER", vec![m2]),
        ("tag:signup", vec![m3]),
        ("is:tagged", vec![m2, m3]),
        ("-is:tagged", vec![m1, m4]),
        ("inbox:bob@example.com", vec![m1]),
        ("user:alice", vec![m3]),
        ("-user:alice", vec![m1, m2, m4]),
        ("listener:shop", vec![m3]),
        ("listener:1026", vec![m3]),
        ("listener:default", vec![m1, m2, m4]),
        ("is:read", vec![m1]),
        ("is:unread", vec![m2, m3, m4]),
        ("is:pinned", vec![m2]),
        ("has:attachment", vec![m1]),
        ("has:inline", vec![m4]),
        ("larger:1K", vec![m2]),
        ("smaller:1K", vec![m1, m3, m4]),
        ("before:2026-06-01", vec![m1]),
        ("after:2026-06-01", vec![m2, m3, m4]),
        ("after:1d", vec![m2, m3, m4]),
        ("before:1d", vec![m1]),
        ("-mikel", vec![m2, m3, m4]),
        ("!from:mikel", vec![m2, m3, m4]),
        ("mikel OR tag:urgent", vec![m1, m2]),
        ("mikel OR メール", vec![m1, m2]),
        ("(mikel OR メール) -tag:urgent", vec![m1]),
        ("(mikel OR メール) -世界", vec![m1]),
        ("confirm", vec![m3]),
        ("e-mail", vec![m3]),
        ("unicode", vec![m4]),
        ("straße", vec![m4]),
        ("RÉSUMÉ", vec![m4]),
        ("resume", vec![m4]),
        ("'; DROP TABLE messages; --x", vec![]),
        ("\"a\"\"b\"", vec![]),
    ];
    let mut failures = Vec::new();
    for (query, want) in &cases {
        let got = ids_for(&store, query).await;
        if &got != want {
            failures.push(format!("{query:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "queries that went wrong:\n{}",
        failures.join("\n")
    );

    let inbox = |kind, key: &str| InboxKey {
        kind,
        key: key.into(),
    };
    let in_inbox = |key: InboxKey, query: &str| {
        let store = store.clone();
        let query = query.to_string();
        async move {
            count(
                &store,
                MessageFilter {
                    inbox: Some(key),
                    query,
                    ..Default::default()
                },
            )
            .await
            .expect("count")
            .total
        }
    };
    assert_eq!(in_inbox(inbox(InboxKind::User, "alice"), "").await, 1);
    assert_eq!(in_inbox(inbox(InboxKind::Listener, "shop"), "").await, 1);
    assert_eq!(
        in_inbox(inbox(InboxKind::Recipient, "bob@example.com"), "mikel").await,
        1
    );
    assert_eq!(in_inbox(inbox(InboxKind::Tag, "urgent"), "mikel").await, 0);
    let c = count(&store, MessageFilter::query("mikel OR tag:urgent"))
        .await
        .expect("count");
    assert_eq!((c.total, c.unread), (2, 1), "count and unread of a query");

    let boxes = inboxes(&store).await.expect("inboxes");
    let has = |kind: InboxKind, key: &str, total: u64| {
        boxes
            .iter()
            .any(|b| b.kind == kind && b.key == key && b.total == total)
    };
    assert!(has(InboxKind::User, "alice", 1), "{boxes:?}");
    assert!(
        has(InboxKind::Listener, "shop", 1) && has(InboxKind::Listener, "default", 3),
        "{boxes:?}"
    );
    assert!(
        has(InboxKind::Tag, "urgent", 1) && has(InboxKind::Tag, "signup", 1),
        "{boxes:?}"
    );
    assert!(
        has(InboxKind::Recipient, "secret@hidden.test", 1),
        "{boxes:?}"
    );

    // Deleting by query spares pinned mail; marking by query reports what changed.
    let gone = delete_matching(&store, MessageFilter::query("tag:urgent OR user:alice"))
        .await
        .expect("delete");
    assert_eq!(gone, 1, "the pinned match stays");
    assert_eq!(ids_for(&store, "").await, vec![m1, m2, m4]);
    let marked = mark_read_matching(&store, MessageFilter::query("is:unread"), true)
        .await
        .expect("mark");
    assert_eq!(marked, 2);
    assert_eq!(ids_for(&store, "is:unread").await, Vec::<MessageId>::new());
}

#[tokio::test]
async fn a_malformed_query_is_an_error_with_a_position_never_an_empty_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store");
    for (query, pos) in [
        ("from:(", 0),
        ("hello nope:x", 6),
        ("before:yesterday-ish", 7),
        ("') OR 1=1 --", 1),
    ] {
        let err = list(
            &store,
            ListQuery {
                query: query.into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("a bad query fails");
        assert!(err.is_bad_request(), "{query:?}: {err}");
        match err {
            CommandError::Query(e) => assert_eq!(e.pos, pos, "{query:?}: {e}"),
            other => panic!("{query:?}: not a query error: {other}"),
        }
    }
}

#[tokio::test]
async fn tags_by_hand_are_checked_and_announced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let id = seed(
        &store,
        Seed {
            raw: "Subject: hi\r\n\r\nbody\r\n".into(),
            ..Seed::default()
        },
    )
    .await;
    tag(&store, vec![id], vec!["  Needs Review ".into()], vec![])
        .await
        .expect("tag");
    // The first update may be the lint worker's (the message has no From or Date).
    let updated = loop {
        match rx.recv().await.expect("events") {
            Event::MessagesUpdated(list) if !list[0].tags.is_empty() => break list,
            _ => continue,
        }
    };
    assert_eq!(
        updated[0].tags,
        ["needs review"],
        "normalised, and the summary goes out"
    );
    assert!(matches!(
        tag(&store, vec![id], vec!["a,b".into()], vec![]).await,
        Err(CommandError::BadTag(_))
    ));
    tag(&store, vec![id], vec![], vec!["needs review".into()])
        .await
        .expect("untag");
    assert_eq!(
        summaries(&store, vec![id]).await.expect("summary")[0].tags,
        Vec::<String>::new()
    );
}

/// Every query that parses also runs: no input, however odd, reaches SQLite or FTS5 as
/// syntax (an FTS5 syntax error would look like a bug, or worse, like "no mail").
#[tokio::test]
async fn any_query_that_parses_runs_without_an_sql_or_fts_error() {
    const PIECES: &[&str] = &[
        " ",
        " ",
        "a",
        "mail",
        "語",
        "メール",
        "-",
        "!",
        "(",
        ")",
        "\"",
        "*",
        "^",
        "{",
        "}",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "'",
        "+",
        ":",
        ";",
        "%",
        "_",
        "\\",
        "from:",
        "to:",
        "bcc:",
        "addressed:",
        "subject:",
        "header:",
        "X-A:",
        "message-id:",
        "tag:",
        "inbox:",
        "user:",
        "listener:",
        "1025",
        "is:unread",
        "has:inline",
        "larger:1K",
        "after:3d",
        "before:2026-11-30",
        "bob@example.com",
        "@",
        ".",
        "é",
        "\u{E000}",
        "\u{3000}",
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let id = seed(
        &store,
        Seed {
            raw: M1.into(),
            ..Seed::default()
        },
    )
    .await;
    seed(
        &store,
        Seed {
            raw: m2(),
            ..Seed::default()
        },
    )
    .await;
    let last = seed(
        &store,
        Seed {
            raw: M3.into(),
            ..Seed::default()
        },
    )
    .await;
    indexed(&mut rx, last).await;
    tag(&store, vec![id], vec!["a".into()], vec![])
        .await
        .expect("tag");
    let mut seed_n: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed_n ^= seed_n << 13;
        seed_n ^= seed_n >> 7;
        seed_n ^= seed_n << 17;
        seed_n
    };
    let mut ran = 0;
    for _ in 0..3000 {
        let len = 1 + (next() % 8) as usize;
        let mut q = String::new();
        for _ in 0..len {
            q.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            if next() % 3 == 0 {
                q.push(' ');
            }
        }
        if crate::search::parse(&q).is_err() {
            continue;
        }
        ran += 1;
        let page = list(
            &store,
            ListQuery {
                query: q.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{q:?} parses but does not run: {e}"));
        let c = count(&store, MessageFilter::query(q.clone()))
            .await
            .unwrap_or_else(|e| panic!("{q:?} parses but does not count: {e}"));
        assert_eq!(c.total, page.total, "{q:?}");
        assert!(page.total <= 3, "{q:?}");
    }
    assert!(
        ran > 500,
        "the generator mostly makes valid queries ({ran} ran)"
    );
}

/// A value with no words is never "everything": `from:<>` is the null sender, a symbol is
/// a substring, and a negated index term leaves out what is not indexed yet.
#[tokio::test]
async fn wordless_values_and_negations_never_widen_to_everything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let bounce = seed(
        &store,
        Seed {
            raw: "Subject: Undeliverable 🎉\r\n\r\nbounced\r\n".into(),
            mail_from: "",
            ..Seed::default()
        },
    )
    .await;
    let normal = seed(
        &store,
        Seed {
            raw: "Subject: hello\r\n\r\nhi\r\n".into(),
            ..Seed::default()
        },
    )
    .await;
    indexed(&mut rx, normal).await;
    assert_eq!(ids_for(&store, "from:<>").await, vec![bounce]);
    assert_eq!(ids_for(&store, "🎉").await, vec![bounce]);
    assert_eq!(ids_for(&store, "-🎉").await, vec![normal]);
    assert_eq!(
        ids_for(&store, "subject:???").await,
        Vec::<MessageId>::new()
    );
    assert_eq!(ids_for(&store, "to:<>").await, Vec::<MessageId>::new());
    let deep = format!("{}hello", "-".repeat(1000));
    assert_eq!(
        ids_for(&store, &deep).await,
        vec![normal],
        "even negations cancel out"
    );

    // Just after its 250 a message is not in the index yet: "-subject:keep" must not
    // take it in (a delete by that query would delete it unseen).
    let fresh = seed(
        &store,
        Seed {
            raw: "Subject: keep me\r\n\r\nx\r\n".into(),
            ..Seed::default()
        },
    )
    .await;
    let early = ids_for(&store, "-subject:keep").await;
    indexed(&mut rx, fresh).await;
    assert!(
        !early.contains(&fresh),
        "an unindexed message matched a negation: {early:?}"
    );
    assert_eq!(ids_for(&store, "-subject:keep").await, vec![bounce, normal]);
}

/// A delete by query of more than one slice deletes them all, a slice per commit, and still
/// spares the pinned ones.
#[tokio::test]
async fn a_large_delete_by_query_goes_in_slices_and_spares_pins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let store = Store::open(dir.path(), bus, StoreOptions::default()).expect("store");
    let mut last = 0;
    for n in 0..1_150 {
        last = seed(
            &store,
            Seed {
                raw: format!("Subject: bulk {n}\r\n\r\nx\r\n"),
                ..Seed::default()
            },
        )
        .await;
    }
    seed(
        &store,
        Seed {
            raw: "Subject: other\r\n\r\nx\r\n".into(),
            ..Seed::default()
        },
    )
    .await;
    pin(&store, vec![last], true).await.expect("pin");
    indexed(&mut rx, last).await;
    let mut slices = 0;
    let deleted = delete_matching(&store, MessageFilter::query("subject:bulk"))
        .await
        .expect("delete");
    while let Ok(event) = rx.try_recv() {
        if matches!(event, Event::MessagesDeleted(_)) {
            slices += 1;
        }
    }
    assert_eq!(deleted, 1_149, "every unpinned match");
    assert!(
        slices >= 3,
        "deleted in slices, each its own commit ({slices})"
    );
    assert_eq!(
        count(&store, MessageFilter::query(""))
            .await
            .expect("count")
            .total,
        2
    );
}

/// Read-your-writes: a search run right after a message's 250 finds it, with no wait for
/// the index's idle flush (Mailpit clients search once, without polling).
#[tokio::test]
async fn a_search_right_after_the_250_finds_the_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store");
    for i in 0..20 {
        let raw = format!("From: a@example.test\r\nSubject: arrival{i}\r\n\r\nbody {i}\r\n");
        seed(
            &store,
            Seed {
                raw,
                ..Default::default()
            },
        )
        .await;
        let q = format!("subject:arrival{i}");
        assert_eq!(
            count(&store, MessageFilter::query(q.clone()))
                .await
                .expect("count")
                .total,
            1,
            "message {i} is found at once by count"
        );
        let page = list(
            &store,
            ListQuery {
                query: format!("arrival{i} body"),
                ..Default::default()
            },
        )
        .await
        .expect("list");
        assert_eq!(page.messages.len(), 1, "and by list");
    }
}
