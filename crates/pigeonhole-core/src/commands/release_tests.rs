//! `commands::release` without a real server: what is refused before anything connects,
//! and how an attempt is recorded and deleted with its message. The conversation with a
//! real server is tested in pigeonhole-test's `tests/release.rs`.

use std::net::TcpListener;

use super::fixture::{seed, Seed};
use super::*;
use crate::config::Config;
use crate::event::EventBus;
use crate::model::{ReleaseRequest, ReleaseServer, ReleaseStage, ReleaseTls};
use crate::store::StoreOptions;

const RAW: &str = "From: app@example.com\r\nTo: ann@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store opens");
    (store, dir)
}

/// A listener nobody accepts on: a connection made to it waits in its backlog, where a
/// non-blocking `accept` finds it.
fn quiet_server() -> TcpListener {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.set_nonblocking(true).expect("non-blocking");
    l
}

fn connected(l: &TcpListener) -> bool {
    match l.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept failed: {e}"),
    }
}

fn config_for(port: u16, allowed: &[&str]) -> Config {
    let mut c = Config::default();
    c.release.host = "127.0.0.1".into();
    c.release.port = port;
    c.release.tls = ReleaseTls::None;
    c.release.allowed_domains = allowed.iter().map(|d| d.to_string()).collect();
    c
}

async fn seeded(store: &Store) -> MessageId {
    seed(
        store,
        Seed {
            raw: RAW.into(),
            rcpt: &["ann@example.com", "bob@other.test"],
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn recipients_the_allowlist_does_not_allow_are_refused_before_connecting() {
    let (store, _dir) = store();
    let id = seeded(&store).await;
    let server = quiet_server();
    let port = server.local_addr().expect("addr").port();

    let empty = release(
        &store,
        &config_for(port, &[]),
        id,
        ReleaseRequest::default(),
    )
    .await
    .expect_err("an empty allowlist releases nothing");
    let text = empty.to_string();
    assert!(
        matches!(
            empty,
            CommandError::NotAllowed {
                list_empty: true,
                ..
            }
        ),
        "{empty:?}"
    );
    assert!(
        text.contains("release.allowed_domains is empty")
            && text.contains("\"example.com\", \"other.test\"")
            && text.contains("ann@example.com, bob@other.test"),
        "the refusal says how to allow both recipients: {text}"
    );

    let partly = release(
        &store,
        &config_for(port, &["example.com"]),
        id,
        ReleaseRequest::default(),
    )
    .await
    .expect_err("bob@other.test is not allowed");
    let text = partly.to_string();
    assert!(
        text.contains("bob@other.test")
            && !text.contains("ann@")
            && text.contains("add \"other.test\" to release.allowed_domains"),
        "only the refused address is named, with the fix: {text}"
    );

    let given = release(
        &store,
        &config_for(port, &["example.com"]),
        id,
        ReleaseRequest {
            to: vec!["eve@mail.example.com".into()],
            ..Default::default()
        },
    )
    .await
    .expect_err("a subdomain needs its own entry");
    assert!(
        given.to_string().contains("eve@mail.example.com"),
        "{given}"
    );

    assert!(
        !connected(&server),
        "nothing connected to the server for a refused release"
    );
    assert!(
        releases(&store, id).await.expect("releases").is_empty(),
        "a refusal before connecting is not an attempt, and is not recorded"
    );
}

#[tokio::test]
async fn a_release_needs_a_server_a_known_message_and_real_addresses() {
    let (store, _dir) = store();
    let id = seeded(&store).await;
    let none = release(&store, &Config::default(), id, ReleaseRequest::default())
        .await
        .expect_err("no server configured");
    assert!(
        matches!(none, CommandError::NoReleaseServer) && none.is_bad_request(),
        "{none:?}"
    );
    assert!(none.to_string().contains("release.host"), "{none}");

    let config = config_for(2525, &["example.com"]);
    let missing = release(&store, &config, 999, ReleaseRequest::default())
        .await
        .expect_err("no message 999");
    assert!(missing.is_not_found(), "{missing:?}");

    let bad = release(
        &store,
        &config,
        id,
        ReleaseRequest {
            to: vec!["not an address".into()],
            ..Default::default()
        },
    )
    .await
    .expect_err("not an address");
    assert!(
        bad.is_bad_request() && bad.to_string().contains("\"not an address\""),
        "{bad}"
    );

    let no_port = release(
        &store,
        &config,
        id,
        ReleaseRequest {
            server: Some(ReleaseServer {
                host: "".into(),
                port: 0,
                tls: ReleaseTls::None,
                user: String::new(),
                password: String::new(),
                accept_invalid_certs: false,
            }),
            ..Default::default()
        },
    )
    .await
    .expect_err("a named server needs a host and a port");
    let text = no_port.to_string();
    assert!(
        text.contains("server.host") && text.contains("server.port"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_attempt_is_recorded_and_goes_with_its_message() {
    let (store, _dir) = store();
    let id = seeded(&store).await;
    // A port that was just free: nothing listens there.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let config = config_for(port, &["example.com", "other.test"]);
    let r = release(&store, &config, id, ReleaseRequest::default())
        .await
        .expect("an attempt that could not connect is still an attempt");
    assert!(!r.ok, "nothing listens: {r:?}");
    assert_eq!(r.stage, ReleaseStage::Connect);
    assert_eq!(r.code, None, "no reply came");
    assert!(
        r.text
            .starts_with(&format!("could not connect to 127.0.0.1:{port}: "))
            && r.text.to_lowercase().contains("refused"),
        "the reason is readable: {}",
        r.text
    );
    assert_eq!(r.recipients, ["ann@example.com", "bob@other.test"]);
    assert_eq!(r.mail_from, "app@example.com", "the envelope's sender");
    assert!(r.id > 0, "recorded: {r:?}");

    let detail = get_message(&store, id).await.expect("detail");
    assert_eq!(detail.releases, vec![r.clone()], "the detail lists it");
    assert_eq!(releases(&store, id).await.expect("releases"), vec![r]);

    let other = seeded(&store).await;
    release(&store, &config, other, ReleaseRequest::default())
        .await
        .expect("attempt");
    delete(&store, vec![id]).await.expect("delete");
    assert!(
        releases(&store, id).await.expect_err("gone").is_not_found(),
        "the message and its releases are gone"
    );
    let left: i64 = store
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM releases", [], |r| r.get(0))?))
        .expect("count");
    assert_eq!(left, 1, "only the other message's release is left");
    clear(&store).await.expect("clear");
    let left: i64 = store
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM releases", [], |r| r.get(0))?))
        .expect("count");
    assert_eq!(left, 0, "Clear all takes the releases too");
}

#[tokio::test]
async fn a_message_a_lenient_server_could_split_is_not_released() {
    let (store, _dir) = store();
    let id = seed(
        &store,
        Seed {
            raw: "Subject: x\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.com>\r\n".into(),
            rcpt: &["ann@example.com"],
            ..Default::default()
        },
    )
    .await;
    let server = quiet_server();
    let port = server.local_addr().expect("addr").port();
    let e = release(
        &store,
        &config_for(port, &["example.com"]),
        id,
        ReleaseRequest::default(),
    )
    .await
    .expect_err("smuggling-shaped content is refused");
    assert!(
        e.is_bad_request() && e.to_string().contains("SMTP smuggling"),
        "{e}"
    );
    assert!(!connected(&server), "refused before connecting");
}
