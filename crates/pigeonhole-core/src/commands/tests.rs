//! The command layer called directly, as every front end calls it: no Tauri, no sockets.

use chrono::Utc;

use super::*;
use crate::event::EventBus;
use crate::model::{
    AuthInfo, Direction, ListQuery, MessageFilter, SessionFilter, SessionShow, SessionSummary,
    TranscriptLine,
};
use crate::store::StoreOptions;

struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store opens");
    Fixture { store, _dir: dir }
}

/// Stores `raw` as if an SMTP session had delivered it; returns its id.
async fn seed(store: &Store, raw: &str) -> MessageId {
    super::fixture::seed(
        store,
        super::fixture::Seed {
            raw: raw.into(),
            ..Default::default()
        },
    )
    .await
}

const WITH_ATTACHMENTS: &str = "From: a@example.com\r\nTo: dev@example.com\r\n\
Subject: Re: invoice 7/2026\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n\
--b\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"../../etc/passwd.pdf\"\r\n\r\n%PDF-1\r\n\
--b\r\nContent-Type: application/zip\r\n\r\nPK\r\n\
--b--\r\n";

#[tokio::test]
async fn list_clamps_the_page_so_any_limit_is_answered() {
    let f = fixture();
    for n in 0..3 {
        seed(&f.store, &format!("Subject: m{n}\r\n\r\nbody\r\n")).await;
    }
    for limit in [0, 2, u64::MAX] {
        let page = list(
            &f.store,
            ListQuery {
                limit,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("limit {limit} must not fail: {e}"));
        assert_eq!(page.total, 3, "total counts every match");
        let expected = if limit == 2 { 2 } else { 3 };
        assert_eq!(
            page.messages.len(),
            expected,
            "limit {limit}: 0 is the default page, huge is clamped"
        );
    }
}

#[tokio::test]
async fn a_missing_message_is_not_found_for_every_read() {
    let f = fixture();
    let e = get_message(&f.store, 99).await.expect_err("no message 99");
    assert!(
        matches!(e, CommandError::NoMessage(99)) && e.is_not_found(),
        "get: {e:?}"
    );
    assert!(raw(&f.store, 99).await.expect_err("raw").is_not_found());
    assert!(raw_file(&f.store, 99)
        .await
        .expect_err("eml")
        .is_not_found());
    assert!(part(&f.store, 99, "1".into())
        .await
        .expect_err("part")
        .is_not_found());
    assert!(transcript(&f.store, 99)
        .await
        .expect_err("transcript")
        .is_not_found());
}

#[tokio::test]
async fn parts_come_with_safe_file_names() {
    let f = fixture();
    let id = seed(&f.store, WITH_ATTACHMENTS).await;
    let detail = get_message(&f.store, id).await.expect("detail");
    assert_eq!(detail.summary.subject, "Re: invoice 7/2026");
    assert_eq!(detail.attachments.len(), 2, "two attachments");

    let pdf = part(&f.store, id, "1.2".into()).await.expect("pdf part");
    assert_eq!(pdf.bytes, b"%PDF-1", "decoded bytes of the part");
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(
        pdf.file_name, "_.._etc_passwd.pdf",
        "the hostile name cannot leave the folder"
    );
    let zip = part(&f.store, id, "1.3".into()).await.expect("zip part");
    assert_eq!(
        zip.file_name, "part-1.3.zip",
        "a nameless part is named by its type"
    );
    let missing = part(&f.store, id, "1.9".into())
        .await
        .expect_err("no part 1.9");
    assert!(
        matches!(&missing, CommandError::NoPart { part, .. } if part == "1.9"),
        "{missing:?}"
    );

    let eml = raw_file(&f.store, id).await.expect("eml");
    assert_eq!(
        eml.file_name, "Re_ invoice 7_2026.eml",
        "named after the subject"
    );
    assert_eq!(eml.bytes, WITH_ATTACHMENTS.as_bytes(), "byte-exact");
}

#[tokio::test]
async fn writes_resolve_after_the_commit_and_are_visible_at_once() {
    let f = fixture();
    let a = seed(&f.store, "Subject: a\r\n\r\nx\r\n").await;
    let b = seed(&f.store, "Subject: b\r\n\r\nx\r\n").await;
    assert_eq!(counts(&f.store).await.expect("counts").unread, 2);

    mark_read(&f.store, vec![a], true).await.expect("mark read");
    let c = counts(&f.store).await.expect("counts");
    assert_eq!((c.total, c.unread), (2, 1), "one read, one unread");
    let inbox = inboxes(&f.store).await.expect("inboxes");
    assert_eq!(inbox.len(), 1, "one envelope recipient");
    assert_eq!((inbox[0].total, inbox[0].unread), (2, 1));

    assert_eq!(
        delete(&f.store, vec![b, 12345]).await.expect("delete"),
        1,
        "only existing messages count as deleted"
    );
    assert!(get_message(&f.store, b).await.is_err(), "b is gone");

    clear(&f.store).await.expect("clear");
    assert_eq!(counts(&f.store).await.expect("counts").total, 0, "all gone");
}

#[tokio::test]
async fn session_pages_are_clamped() {
    let f = fixture();
    seed(&f.store, "Subject: s\r\n\r\nx\r\n").await;
    let none_asked = sessions(&f.store, SessionFilter::default(), 0, 0)
        .await
        .expect("sessions");
    assert_eq!(none_asked.len(), 1, "a limit of 0 still returns a page");
    let huge = sessions(&f.store, SessionFilter::default(), 0, u64::MAX)
        .await
        .expect("huge limit");
    assert_eq!(huge.len(), 1, "a huge limit is clamped, not an SQL error");
}

/// Stores a session that sent no message, with `lines` as its transcript; `edit` sets what
/// the case needs. Written by the writer in order, before anything queued after it.
fn stored_session(
    store: &Store,
    peer: &str,
    lines: &[&str],
    edit: impl FnOnce(&mut SessionSummary),
) -> SessionId {
    let mut s = SessionSummary {
        id: store.next_session_id(),
        peer: peer.into(),
        local: "127.0.0.1:1025".into(),
        started_at: Utc::now(),
        ended_at: Some(Utc::now()),
        helo: Some("client.test".into()),
        tls: None,
        auth: None,
        message_count: 0,
        last_code: Some(221),
        refusals: 0,
        aborted_messages: 0,
        tls_failed: false,
        auth_failures: 0,
        faults: 0,
    };
    edit(&mut s);
    let id = s.id;
    let lines = lines
        .iter()
        .map(|t| TranscriptLine {
            ts: Utc::now(),
            dir: Direction::Out,
            text: t.to_string(),
        })
        .collect();
    store.update_session(s, 0, lines, true);
    id
}

#[tokio::test]
async fn session_filters_pick_errors_messages_peers_users_and_transcript_text() {
    let f = fixture();
    let refused = stored_session(
        &f.store,
        "10.0.0.2:40000",
        &["RCPT TO:<a@b.c>", "503 5.5.1 Need MAIL before RCPT"],
        |s| s.refusals = 1,
    );
    let aborted = stored_session(&f.store, "10.0.0.3:40001", &["354 go ahead"], |s| {
        s.aborted_messages = 1;
        s.auth = Some(AuthInfo {
            mechanism: "PLAIN".into(),
            user: "alice".into(),
        });
    });
    let tls = stored_session(&f.store, "192.168.1.9:1234", &["220 ready"], |s| {
        s.tls_failed = true
    });
    let auth = stored_session(&f.store, "10.0.0.4:40002", &["535 \"bad\" creds"], |s| {
        s.auth_failures = 1
    });
    let clean = stored_session(&f.store, "10.0.0.5:40003", &["221 bye"], |_| {});
    // A delivered message resolves after its commit, so every session above is stored by then.
    seed(&f.store, "Subject: s\r\n\r\nx\r\n").await;
    let delivered = clean + 1;

    let all = vec![delivered, clean, auth, tls, aborted, refused];
    let cases: Vec<(&str, SessionFilter, Vec<SessionId>)> = vec![
        ("everything", SessionFilter::default(), all),
        (
            "with errors: refusals, broken-off messages, TLS and AUTH failures",
            SessionFilter {
                show: SessionShow::Errors,
                ..Default::default()
            },
            vec![auth, tls, aborted, refused],
        ),
        (
            "with messages",
            SessionFilter {
                show: SessionShow::Messages,
                ..Default::default()
            },
            vec![delivered],
        ),
        (
            "client address by IP",
            SessionFilter {
                peer: "10.0.0.3".into(),
                ..Default::default()
            },
            vec![aborted],
        ),
        (
            "client address by port, trimmed",
            SessionFilter {
                peer: " 1234 ".into(),
                ..Default::default()
            },
            vec![tls],
        ),
        (
            "AUTH user exactly",
            SessionFilter {
                auth_user: "alice".into(),
                ..Default::default()
            },
            vec![aborted],
        ),
        (
            "AUTH user is not a prefix match",
            SessionFilter {
                auth_user: "ali".into(),
                ..Default::default()
            },
            vec![],
        ),
        (
            "transcript text, any case",
            SessionFilter {
                search: "need mail".into(),
                ..Default::default()
            },
            vec![refused],
        ),
        (
            "transcript text with quotes matches the line, not its JSON",
            SessionFilter {
                search: "\"bad\"".into(),
                ..Default::default()
            },
            vec![auth],
        ),
        (
            "SQL in the search is only text",
            SessionFilter {
                search: "') OR 1=1 --".into(),
                ..Default::default()
            },
            vec![],
        ),
        (
            "parts combine with AND",
            SessionFilter {
                show: SessionShow::Errors,
                peer: "10.0.0.".into(),
                search: "354".into(),
                ..Default::default()
            },
            vec![aborted],
        ),
    ];
    for (name, filter, want) in cases {
        let got: Vec<SessionId> = sessions(&f.store, filter, 0, 100)
            .await
            .expect("sessions")
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(got, want, "{name}");
    }
    let marks = session(&f.store, aborted).await.expect("session");
    assert!(
        marks.aborted_messages == 1 && marks.had_problems() && marks.refusals == 0,
        "the counters are stored and read back: {marks:?}"
    );
}

#[tokio::test]
async fn reading_pages_are_small_by_default_and_a_limit_of_0_counts_only() {
    let f = fixture();
    for n in 0..(READ_PAGE + 3) {
        seed(&f.store, &format!("Subject: m{n}\r\n\r\nbody\r\n")).await;
    }
    let all = MessageFilter::default();
    let page = read_page(&f.store, all.clone(), 0, None).await.unwrap();
    assert_eq!(page.total, READ_PAGE + 3, "the total counts every match");
    assert_eq!(
        page.messages.len() as u64,
        READ_PAGE,
        "no limit is the reading page"
    );
    let page = read_page(&f.store, all.clone(), 0, Some(0)).await.unwrap();
    assert!(page.messages.is_empty(), "limit 0 answers the total only");
    assert_eq!(page.total, READ_PAGE + 3);
    let page = read_page(&f.store, all, 20, Some(u64::MAX)).await.unwrap();
    assert_eq!(
        page.messages.len(),
        3,
        "a huge limit is clamped, the offset kept"
    );
    let e = read_page(&f.store, MessageFilter::query("subject:\"open"), 0, None)
        .await
        .expect_err("a bad query fails");
    assert!(
        matches!(e, CommandError::Query(ref p) if p.pos == 8),
        "with the parser's position: {e:?}"
    );
}

#[tokio::test]
async fn reading_a_missing_message_or_its_transcript_is_not_found() {
    let f = fixture();
    let e = read_message(&f.store, 99, None).await.expect_err("no 99");
    assert!(matches!(e, CommandError::NoMessage(99)), "{e:?}");
    let e = read_transcript(&f.store, TranscriptOf::Message(99), None)
        .await
        .expect_err("no 99");
    assert!(matches!(e, CommandError::NoMessage(99)), "{e:?}");
    let id = seed(&f.store, "Subject: hi\r\n\r\nhello there\r\n").await;
    let r = read_message(&f.store, id, Some(5)).await.unwrap();
    let text = r.text.expect("a text body");
    assert_eq!(text.text, "hello", "cut to 5 characters");
    assert!(text.truncated, "and says so");
}

#[tokio::test]
async fn a_search_from_another_process_waits_for_the_servers_index() {
    let f = fixture();
    let id = seed(&f.store, "Subject: zebra crossing\r\n\r\nbody\r\n").await;
    // As the CLI or MCP opens it beside a running server, right after the 250.
    let reader = Store::open_read_only(f.store.dir()).expect("read-only store");
    let found = count(&reader, MessageFilter::query("subject:zebra"))
        .await
        .expect("the search runs");
    assert_eq!(
        found.total, 1,
        "message {id} is found although the server had not indexed it when asked"
    );
}
