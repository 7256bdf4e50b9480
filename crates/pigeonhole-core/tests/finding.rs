//! Finding mail across real SMTP: inboxes by recipient, AUTH user and named listener; tags
//! from headers, plus-addressing and rules; retention by count and age with pins and the
//! open message spared; edits from a second process announced; an old store re-indexed.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use pigeonhole_core::commands;
use pigeonhole_core::config::{AuthMode, AuthUser, Config, ListenerConfig, TagRule};
use pigeonhole_core::event::Event;
use pigeonhole_core::model::{InboxKind, MessageFilter};
use pigeonhole_core::store::Store;
use pigeonhole_core::Engine;

fn config(dir: &tempfile::TempDir) -> Config {
    Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: "127.0.0.1:0".into(),
        starttls: false,
        ..Config::default()
    }
}

/// Sends one message with lettre over plain SMTP, optionally after AUTH.
async fn send(
    port: u16,
    to: &str,
    subject: &str,
    headers: &[(&str, &str)],
    auth: Option<(&str, &str)>,
) {
    let mut raw = format!("From: app@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\nbody\r\n");
    let to = to.to_string();
    let auth = auth.map(|(u, p)| Credentials::new(u.into(), p.into()));
    tokio::task::spawn_blocking(move || {
        let mut t = SmtpTransport::builder_dangerous("127.0.0.1").port(port);
        if let Some(c) = auth {
            t = t.credentials(c);
        }
        let envelope = lettre::address::Envelope::new(
            Some("app@example.com".parse().expect("from")),
            vec![to.parse().expect("to")],
        )
        .expect("envelope");
        t.build().send_raw(&envelope, raw.as_bytes())
    })
    .await
    .expect("join")
    .expect("sent");
}

async fn total(engine: &Engine, query: &str) -> u64 {
    commands::count(&engine.store, MessageFilter::query(query))
        .await
        .expect("count")
        .total
}

async fn wait_total(engine: &Engine, query: &str, want: u64) {
    for _ in 0..100 {
        if total(engine, query).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{query:?} never counted {want} (counts {})",
        total(engine, query).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_listeners_auth_users_and_tags_route_mail_to_their_inboxes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::start(&Config {
        listeners: vec![ListenerConfig {
            name: "shop".into(),
            smtp: "127.0.0.1:0".into(),
            auth_mode: Some(AuthMode::Users),
            auth_users: Some(vec![AuthUser {
                username: "shop-app".into(),
                password: "s3cret".into(),
            }]),
            starttls: None,
        }],
        tag_rules: vec![TagRule {
            query: "subject:invoice".into(),
            tag: "Billing".into(),
        }],
        ..config(&dir)
    })
    .await
    .expect("starts");
    let main = engine.bound_addrs().expect("listening").0.port();
    let shop = engine.listener_addrs();
    assert_eq!(shop.len(), 1, "the named listener is bound: {shop:?}");
    assert_eq!(shop[0].0, "shop");
    let shop = shop[0].1.port();
    let status = engine.status().await;
    assert_eq!(status.listeners[0].name, "shop", "the status lists it");

    send(
        main,
        "dev+signup@example.com",
        "Welcome",
        &[("X-Tags", "QA, smoke")],
        None,
    )
    .await;
    send(
        main,
        "ops@example.com",
        "Your invoice",
        &[],
        Some(("alice", "any")),
    )
    .await;
    send(
        shop,
        "buyer@example.com",
        "Order shipped",
        &[],
        Some(("shop-app", "s3cret")),
    )
    .await;
    // The shop listener enforces its own users; the main one accepts anyone.
    let refused = tokio::task::spawn_blocking(move || {
        SmtpTransport::builder_dangerous("127.0.0.1")
            .port(shop)
            .credentials(Credentials::new("alice".into(), "any".into()))
            .build()
            .send_raw(
                &lettre::address::Envelope::new(
                    Some("a@example.com".parse().expect("from")),
                    vec!["b@example.com".parse().expect("to")],
                )
                .expect("envelope"),
                b"Subject: no\r\n\r\nx\r\n",
            )
    })
    .await
    .expect("join");
    assert!(
        refused.is_err(),
        "a user of another listener is refused on shop"
    );

    wait_total(&engine, "tag:billing", 1).await;
    assert_eq!(total(&engine, "listener:shop").await, 1);
    assert_eq!(
        total(&engine, &format!("listener:{shop}")).await,
        1,
        "by port too"
    );
    assert_eq!(total(&engine, "listener:default").await, 2);
    assert_eq!(total(&engine, "user:alice").await, 1);
    assert_eq!(total(&engine, "user:shop-app listener:shop").await, 1);
    assert_eq!(
        total(&engine, "tag:signup").await,
        1,
        "from plus-addressing"
    );
    assert_eq!(total(&engine, "tag:qa tag:smoke").await, 1, "from X-Tags");

    let inboxes = commands::inboxes(&engine.store).await.expect("inboxes");
    let keys = |kind| -> Vec<String> {
        inboxes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.key.clone())
            .collect()
    };
    assert_eq!(keys(InboxKind::Listener), ["default", "shop"]);
    assert_eq!(keys(InboxKind::User), ["alice", "shop-app"]);
    assert_eq!(keys(InboxKind::Tag), ["billing", "qa", "signup", "smoke"]);
    assert_eq!(
        keys(InboxKind::Recipient),
        [
            "buyer@example.com",
            "dev+signup@example.com",
            "ops@example.com"
        ]
    );
    let summary = commands::list(&engine.store, Default::default())
        .await
        .expect("list")
        .messages;
    let shop_mail = summary
        .iter()
        .find(|m| m.listener == "shop")
        .expect("shop mail");
    assert_eq!(shop_mail.auth_user.as_deref(), Some("shop-app"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keeps_pins_and_the_open_message_and_runs_after_the_ack() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::start(&config(&dir)).await.expect("starts");
    let port = engine.bound_addrs().expect("listening").0.port();
    for n in 0..6 {
        send(port, "dev@example.com", &format!("m{n}"), &[], None).await;
    }
    let ids = commands::ids(&engine.store, MessageFilter::default(), 0, 0)
        .await
        .expect("ids");
    let (oldest, second) = (ids[5], ids[4]);
    commands::pin(&engine.store, vec![oldest], true)
        .await
        .expect("pin");
    engine.store.hold(Some(second)); // the window has it open
    let mut events = engine.bus.subscribe();
    engine
        .apply(Config {
            retention: 2,
            ..engine.config()
        })
        .await
        .expect("retention applies");
    let deleted = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::MessagesDeleted(ids)) = events.recv().await {
                return ids;
            }
        }
    })
    .await
    .expect("retention runs soon after the setting changes");
    assert_eq!(deleted.len(), 2, "{deleted:?}");
    let left = commands::ids(&engine.store, MessageFilter::default(), 0, 0)
        .await
        .expect("ids");
    assert_eq!(
        left,
        vec![ids[0], ids[1], second, oldest],
        "newest 2 + open + pinned"
    );

    // Clear all keeps the pinned one; age-based retention spares it too.
    commands::clear(&engine.store).await.expect("clear");
    assert_eq!(
        commands::ids(&engine.store, MessageFilter::default(), 0, 0)
            .await
            .expect("ids"),
        vec![oldest]
    );
    engine
        .apply(Config {
            retention: 0,
            retention_age: "1s".into(),
            ..engine.config()
        })
        .await
        .expect("age applies");
    send(port, "dev@example.com", "ages out", &[], None).await;
    wait_total(&engine, "subject:ages", 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The next arrival wakes the sweep; the 1 s old message goes, the pinned one stays.
    send(port, "dev@example.com", "fresh", &[], None).await;
    wait_total(&engine, "subject:ages", 0).await;
    assert_eq!(total(&engine, "is:pinned").await, 1);
    assert!(
        engine
            .apply(Config {
                retention_age: "soon".into(),
                ..engine.config()
            })
            .await
            .is_err(),
        "a bad age is refused"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_from_another_process_is_announced_to_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::start(&config(&dir)).await.expect("starts");
    let port = engine.bound_addrs().expect("listening").0.port();
    send(port, "dev@example.com", "hello", &[], None).await;
    let id = commands::ids(&engine.store, MessageFilter::default(), 0, 1)
        .await
        .expect("ids")[0];
    let mut events = engine.bus.subscribe();
    // What `pigeonhole tag` does while the server runs.
    let side = Store::open_for_edit(dir.path()).expect("opens beside the server");
    commands::tag(&side, vec![id], vec!["later".into()], vec![])
        .await
        .expect("tag");
    drop(side);
    tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(Event::StoreChanged) = events.recv().await {
                return;
            }
        }
    })
    .await
    .expect("the server notices within a second or so");
    assert_eq!(total(&engine, "tag:later").await, 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_before_the_search_index_is_reindexed_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let engine = Engine::start(&config(&dir)).await.expect("starts");
        let port = engine.bound_addrs().expect("listening").0.port();
        send(
            port,
            "dev+legacy@example.com",
            "Ancient quokka",
            &[("X-Tags", "old")],
            None,
        )
        .await;
        wait_total(&engine, "quokka", 1).await;
        engine.shutdown().await;
    }
    // Make it look like a store written before migration 0006: no index, no tags.
    {
        let db = rusqlite::Connection::open(dir.path().join("pigeonhole.sqlite3")).expect("db");
        db.execute_batch(
            "INSERT INTO message_text(message_text) VALUES('delete-all');
             DELETE FROM message_addresses; DELETE FROM message_tags;
             UPDATE messages SET has_inline = 0;
             UPDATE meta SET value = 0 WHERE key = 'fts_upto';",
        )
        .expect("rewind");
    }
    let engine = Engine::start(&config(&dir)).await.expect("restarts");
    wait_total(&engine, "quokka", 1).await;
    assert_eq!(
        total(&engine, "to:dev+legacy@example.com").await,
        1,
        "exact addresses rebuilt"
    );
    assert_eq!(
        total(&engine, "tag:old tag:legacy").await,
        1,
        "tags rebuilt from raw bytes"
    );
    engine.shutdown().await;
}
