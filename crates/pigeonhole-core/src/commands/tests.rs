//! The command layer called directly, as every front end calls it: no Tauri, no sockets.

use chrono::Utc;

use super::*;
use crate::event::EventBus;
use crate::model::{Envelope, ListQuery, Recipient, SessionSummary};
use crate::store::{NewMessage, StoreOptions};

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
    let session = SessionSummary {
        id: store.next_session_id(),
        peer: "127.0.0.1:50000".into(),
        local: "127.0.0.1:1025".into(),
        started_at: Utc::now(),
        ended_at: None,
        helo: Some("client.test".into()),
        tls: None,
        auth: None,
        message_count: 1,
        last_code: Some(250),
    };
    let msg = NewMessage {
        session,
        first_line: 0,
        lines: Vec::new(),
        envelope: Envelope {
            mail_from: "app@example.com".into(),
            mail_params: Vec::new(),
            rcpt_to: vec![Recipient {
                address: "dev@example.com".into(),
                params: Vec::new(),
            }],
        },
        raw: raw.as_bytes().to_vec(),
        parsed: crate::message::summarize(raw.as_bytes()),
        received_at: Utc::now(),
        transcript_range: (0, 0),
        auth_user: None,
    };
    store.deliver(msg).await.expect("delivered")
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
    let none_asked = sessions(&f.store, 0, 0).await.expect("sessions");
    assert_eq!(none_asked.len(), 1, "a limit of 0 still returns a page");
    let huge = sessions(&f.store, 0, u64::MAX).await.expect("huge limit");
    assert_eq!(huge.len(), 1, "a huge limit is clamped, not an SQL error");
}
