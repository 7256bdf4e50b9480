//! `POST /api/v1/message/{ID}/release`: Mailpit's body and `ok`, our JSON errors: 404 for
//! an unknown message, 400 with no server or a bad address, 403 when the allowlist refuses
//! (nothing connects), 502 with the remote's reply when it refuses or cannot be reached.

use std::net::{SocketAddr, TcpListener};

use axum::http::{Method, StatusCode};
use pigeonhole_api::Access;
use pigeonhole_test::pigeonhole_core::commands;
use pigeonhole_test::pigeonhole_core::model::ReleaseTls;
use pigeonhole_test::TestServer;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{seed_rich, Api, MAX_BODY};

/// An API whose engine releases to `to` over plain SMTP, to these domains.
async fn releasing_to(to: SocketAddr, allowed: &[&str]) -> Api {
    let allowed: Vec<String> = allowed.iter().map(|d| d.to_string()).collect();
    let server = TestServer::builder()
        .config(move |c| {
            c.release.host = to.ip().to_string();
            c.release.port = to.port();
            c.release.tls = ReleaseTls::None;
            c.release.allowed_domains = allowed;
        })
        .start()
        .await
        .expect("the capture server starts");
    Api::over(server, Access::default(), MAX_BODY)
}

#[tokio::test]
async fn a_release_sends_the_stored_bytes_and_answers_mailpits_ok() {
    let remote = TestServer::start().await.expect("remote");
    let api = releasing_to(remote.smtp_addr(), &["example.com"]).await;
    let id = seed_rich(&api.server).await;

    let r = api
        .call(
            Method::POST,
            &format!("/api/v1/message/{id}/release"),
            Some(json!({"To": ["Carol <carol@example.com>"]})),
        )
        .await;
    r.plain_ok();
    assert!(
        r.header("x-release-reply")
            .starts_with("250 2.0.0 Ok: queued as "),
        "the remote's reply is repeated: {:?}",
        r.header("x-release-reply")
    );
    let arrived = remote.wait_for("subject:Rich").await.expect("arrived");
    assert_eq!(
        arrived.rcpt_to,
        ["carol@example.com"],
        "to the given address"
    );
    assert_eq!(
        arrived.mail_from, "app@example.com",
        "from the original sender"
    );
    assert_eq!(
        remote.raw(arrived.id).await.expect("raw"),
        api.server.raw(id).await.expect("raw"),
        "byte for byte"
    );

    // Without To (Mailpit requires it): the envelope's recipients, Bcc included.
    api.call(Method::POST, "/api/v1/message/latest/release", None)
        .await
        .plain_ok();
    let both = remote
        .wait_for_count("subject:Rich", 2, std::time::Duration::from_secs(10))
        .await
        .expect("arrived again");
    let all = &both[0];
    assert_eq!(
        all.rcpt_to,
        ["ann@example.com", "carl@example.com", "dave@example.com"]
    );
    let recorded = commands::releases(api.server.store(), id)
        .await
        .expect("releases");
    assert_eq!(
        recorded.len(),
        2,
        "both releases are recorded: {recorded:?}"
    );
    assert!(recorded.iter().all(|r| r.ok && r.code == Some(250)));
}

#[tokio::test]
async fn webui_reports_the_release_settings_as_mailpit_does() {
    let remote = TestServer::start().await.expect("remote");
    let api = releasing_to(remote.smtp_addr(), &["example.com", "*.example.net"]).await;
    let ui = api.get("/api/v1/webui").await.ok();
    let relay = &ui["MessageRelay"];
    assert_eq!(relay["Enabled"], true, "{ui}");
    assert_eq!(relay["SMTPServer"], remote.smtp_addr().to_string(), "{ui}");
    assert_eq!(
        relay["AllowedRecipients"], "(?i)@(example\\.com|.+\\.example\\.net)$",
        "the allowlist as Mailpit's regular expression: {ui}"
    );
    assert_eq!(
        relay["PreserveMessageIDs"], true,
        "the bytes go unchanged: {ui}"
    );
    let api = releasing_to(remote.smtp_addr(), &[]).await;
    let ui = api.get("/api/v1/webui").await.ok();
    assert_eq!(
        ui["MessageRelay"]["Enabled"], false,
        "with an empty allowlist nothing can be released: {ui}"
    );
}

#[tokio::test]
async fn a_release_the_allowlist_refuses_is_403_and_connects_to_nothing() {
    let quiet = TcpListener::bind("127.0.0.1:0").expect("bind");
    quiet.set_nonblocking(true).expect("non-blocking");
    let api = releasing_to(quiet.local_addr().expect("addr"), &["example.com"]).await;
    let id = seed_rich(&api.server).await;

    let v = api
        .call(
            Method::POST,
            &format!("/api/v1/message/{id}/release"),
            Some(json!({"to": ["ann@example.com", "eve@evil.test"]})),
        )
        .await
        .error(StatusCode::FORBIDDEN);
    let message = v["message"].as_str().unwrap_or("");
    assert!(
        message.contains("eve@evil.test")
            && message.contains("add \"evil.test\" to release.allowed_domains"),
        "the refusal names the address and the setting: {v}"
    );
    assert!(
        matches!(quiet.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing connected to the server"
    );
    assert!(commands::releases(api.server.store(), id)
        .await
        .expect("releases")
        .is_empty());
}

#[tokio::test]
async fn a_release_without_a_server_a_message_or_a_real_address_is_refused() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let uri = format!("/api/v1/message/{id}/release");
    let v = api
        .call(Method::POST, &uri, Some(json!({"To": ["ann@example.com"]})))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        v["message"].as_str().unwrap_or("").contains("release.host"),
        "no server configured: {v}"
    );

    let remote = TestServer::start().await.expect("remote");
    let api = releasing_to(remote.smtp_addr(), &["example.com"]).await;
    let id = seed_rich(&api.server).await;
    api.call(
        Method::POST,
        "/api/v1/message/999/release",
        Some(json!({"To": ["ann@example.com"]})),
    )
    .await
    .error(StatusCode::NOT_FOUND);
    let v = api
        .call(
            Method::POST,
            &format!("/api/v1/message/{id}/release"),
            Some(json!({"To": ["not an address"]})),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("\"not an address\""),
        "{v}"
    );
    api.call(
        Method::POST,
        &format!("/api/v1/message/{id}/release"),
        Some(json!({"To": ["ann@example.com"], "Server": "elsewhere:25"})),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
}

/// A one-connection SMTP server that refuses every RCPT with `550 5.1.1`. (`TestServer`'s
/// fault rules can replace it once they exist.)
async fn refusing_rcpt() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 strict.test ESMTP\r\n").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let reply: &[u8] = match line.get(..4).map(|c| c.to_ascii_uppercase()).as_deref() {
                Some("EHLO") => b"250-strict.test\r\n250 8BITMIME\r\n",
                Some("RCPT") => b"550 5.1.1 <ann@example.com>: no such user here\r\n",
                Some("QUIT") => b"221 2.0.0 Bye\r\n",
                _ => b"250 2.0.0 Ok\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    });
    addr
}

#[tokio::test]
async fn a_remote_refusal_or_no_connection_is_502_with_what_happened() {
    let api = releasing_to(refusing_rcpt().await, &["example.com"]).await;
    let id = seed_rich(&api.server).await;
    let v = api
        .call(
            Method::POST,
            &format!("/api/v1/message/{id}/release"),
            Some(json!({"To": ["ann@example.com"]})),
        )
        .await
        .error(StatusCode::BAD_GATEWAY);
    let message = v["message"].as_str().unwrap_or("");
    assert!(
        message.contains(
            "refused at RCPT TO:<ann@example.com>: 550 5.1.1 <ann@example.com>: no such user here"
        ),
        "the remote's code and text, as sent: {v}"
    );

    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let api = releasing_to(closed, &["example.com"]).await;
    let id = seed_rich(&api.server).await;
    let v = api
        .call(Method::POST, &format!("/api/v1/message/{id}/release"), None)
        .await
        .error(StatusCode::BAD_GATEWAY);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("could not connect to {closed}")),
        "a connection failure is readable: {v}"
    );
}
