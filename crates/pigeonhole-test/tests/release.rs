//! Release against a second Pigeonhole acting as the real server: the bytes arrive as they
//! were captured, to the envelope's recipients or to the ones given, with the original
//! MAIL FROM; the allowlist refuses before anything connects; a server's refusal is
//! reported exactly as it was sent.
//!
//! `capture` is the Pigeonhole a message is released from, `remote` the one it goes to.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use pigeonhole_test::pigeonhole_core::commands::{self, CommandError};
use pigeonhole_test::pigeonhole_core::model::{
    ReleaseRequest, ReleaseServer, ReleaseStage, ReleaseTls, SessionFilter,
};
use pigeonhole_test::{Config, TestServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpListener;

/// A message with what a careless relay would change: 8-bit UTF-8 and Latin-1 bytes,
/// lines starting with dots, trailing spaces, a tab, a bare LF and a bare CR inside lines,
/// blank lines, and a 990-octet line.
fn odd_message() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(b"From: Caf\xc3\xa9 <app@example.com>\r\n");
    m.extend_from_slice(b"To: ann@example.com\r\n");
    m.extend_from_slice(b"Subject: odd bytes\r\n");
    m.extend_from_slice(b"X-Latin-1: \xe9t\xe9 \r\n");
    m.extend_from_slice(b"\r\n");
    m.extend_from_slice(b".a line starting with a dot\r\n");
    m.extend_from_slice(b"..two dots\r\n");
    m.extend_from_slice(b"trailing spaces   \r\n");
    m.extend_from_slice(b"\ttab first\r\n");
    m.extend_from_slice(b"bare LF\ninside a line\r\n");
    m.extend_from_slice(b"bare CR\rinside a line\r\n");
    m.extend_from_slice(b"\r\n\r\n");
    m.extend_from_slice(&[b'x'; 990]);
    m.extend_from_slice(b"\r\n\xe2\x9c\x89 last line\r\n");
    m
}

/// Sends `raw` over SMTP as a client would (EHLO, MAIL, RCPT, DATA, dot-stuffed after
/// each CRLF) and returns once the server has said 250.
fn smtp_send(addr: SocketAddr, from: &str, to: &[&str], raw: &[u8]) {
    let stream = TcpStream::connect(addr).expect("SMTP accepts a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut expect = |code: &str| loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a reply");
        assert!(line.starts_with(code), "wanted {code}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    };
    expect("220");
    let command = |w: &mut TcpStream, line: String| {
        w.write_all(line.as_bytes()).expect("write");
    };
    command(&mut writer, "EHLO client.test\r\n".into());
    expect("250");
    command(&mut writer, format!("MAIL FROM:<{from}> BODY=8BITMIME\r\n"));
    expect("250");
    for t in to {
        command(&mut writer, format!("RCPT TO:<{t}>\r\n"));
        expect("250");
    }
    command(&mut writer, "DATA\r\n".into());
    expect("354");
    let mut data = Vec::new();
    let mut at_line_start = true;
    for (i, &b) in raw.iter().enumerate() {
        if at_line_start && b == b'.' {
            data.push(b'.');
        }
        data.push(b);
        at_line_start = b == b'\n' && i > 0 && raw[i - 1] == b'\r';
    }
    data.extend_from_slice(b".\r\n");
    writer.write_all(&data).expect("write data");
    expect("250");
    command(&mut writer, "QUIT\r\n".into());
}

/// The capture side's config: release to `remote` over plain SMTP, to these domains.
fn release_config(remote: SocketAddr, allowed: &[&str]) -> Config {
    let mut c = Config {
        hostname: "capture.test".into(),
        ..Config::default()
    };
    c.release.host = remote.ip().to_string();
    c.release.port = remote.port();
    c.release.tls = ReleaseTls::None;
    c.release.allowed_domains = allowed.iter().map(|d| d.to_string()).collect();
    c
}

#[tokio::test]
async fn the_stored_bytes_arrive_unchanged_at_the_envelope_recipients() {
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::start().await.expect("remote server");
    let raw = odd_message();
    smtp_send(
        capture.smtp_addr(),
        "bounce@example.com",
        &["ann@example.com", "bob@example.org"],
        &raw,
    );
    let caught = capture.wait_for("subject:odd").await.expect("captured");
    let stored = capture.raw(caught.id).await.expect("raw");
    assert_eq!(stored, raw, "the capture side stored what was sent");

    let config = release_config(remote.smtp_addr(), &["example.com", "example.org"]);
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("released");
    assert!(r.ok, "the remote took it: {r:?}");
    assert_eq!(r.code, Some(250), "{r:?}");
    assert_eq!(r.enhanced_code.as_deref(), Some("2.0.0"), "{r:?}");
    assert!(
        r.text.starts_with("Ok: queued as "),
        "the remote's own words: {:?}",
        r.text
    );
    assert_eq!(r.stage, ReleaseStage::Message);

    let arrived = remote.wait_for("subject:odd").await.expect("arrived");
    let arrived_raw = remote.raw(arrived.id).await.expect("raw");
    assert!(
        arrived_raw == stored,
        "the bytes arrive unchanged; first difference at byte {:?} ({} vs {} bytes)",
        arrived_raw.iter().zip(&stored).position(|(a, b)| a != b),
        arrived_raw.len(),
        stored.len()
    );
    assert_eq!(arrived.rcpt_to, ["ann@example.com", "bob@example.org"]);
    assert_eq!(
        arrived.mail_from, "bounce@example.com",
        "the original MAIL FROM"
    );
    let t = remote.transcript(arrived.id).await.expect("transcript");
    let lines: Vec<&str> = t.lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        lines.contains(&"EHLO capture.test")
            && lines.contains(&"MAIL FROM:<bounce@example.com> BODY=8BITMIME"),
        "the remote saw our name and 8BITMIME for the 8-bit bytes: {lines:#?}"
    );

    let recorded = commands::releases(capture.store(), caught.id)
        .await
        .expect("releases");
    assert_eq!(
        recorded,
        vec![r],
        "the attempt is recorded with the message"
    );
}

#[tokio::test]
async fn given_recipients_and_sender_replace_the_envelope_and_a_received_header_is_optional() {
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::start().await.expect("remote server");
    let raw = b"From: app@example.com\r\nTo: ann@example.com\r\nSubject: redirect\r\n\r\nhello\r\n";
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["ann@example.com"],
        raw,
    );
    let caught = capture
        .wait_for("subject:redirect")
        .await
        .expect("captured");

    let mut config = release_config(remote.smtp_addr(), &["*.example.net"]);
    config.release.add_received = true;
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest {
            to: vec![
                "carol@qa.example.net".into(),
                " dave@x.qa.example.net ".into(),
            ],
            from: Some(String::new()),
            server: None,
        },
    )
    .await
    .expect("released");
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.recipients,
        ["carol@qa.example.net", "dave@x.qa.example.net"]
    );
    assert_eq!(r.mail_from, "", "the null sender was asked for");

    let arrived = remote.wait_for("subject:redirect").await.expect("arrived");
    assert_eq!(
        arrived.rcpt_to,
        ["carol@qa.example.net", "dave@x.qa.example.net"],
        "only the given recipients"
    );
    assert_eq!(arrived.mail_from, "", "MAIL FROM:<>");
    let arrived_raw = remote.raw(arrived.id).await.expect("raw");
    let text = String::from_utf8(arrived_raw.clone()).expect("ASCII");
    assert!(
        text.starts_with(&format!(
            "Received: by capture.test (Pigeonhole) with release id {};\r\n\t",
            caught.id
        )),
        "add_received puts one header in front: {text}"
    );
    assert!(
        arrived_raw.ends_with(raw),
        "and changes nothing else: {text}"
    );
}

#[tokio::test]
async fn the_allowlist_refuses_before_anything_connects() {
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::start().await.expect("remote server");
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["ann@example.com", "eve@elsewhere.test"],
        b"Subject: leak\r\n\r\nsecret\r\n",
    );
    let caught = capture.wait_for("subject:leak").await.expect("captured");
    let config = release_config(remote.smtp_addr(), &["example.com"]);
    let e = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect_err("eve@elsewhere.test is not allowed");
    assert!(
        matches!(&e, CommandError::NotAllowed { addresses, .. } if addresses == &["eve@elsewhere.test".to_string()]),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("add \"elsewhere.test\" to release.allowed_domains"),
        "the refusal says how to allow it: {e}"
    );
    let mut empty = config.clone();
    empty.release.allowed_domains.clear();
    let e = commands::release(
        capture.store(),
        &empty,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect_err("an empty allowlist releases nothing");
    assert!(
        e.to_string().contains("release.allowed_domains is empty"),
        "{e}"
    );

    // Then one that is allowed, so the remote's sessions can be counted once it is done.
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest {
            to: vec!["ann@example.com".into()],
            ..Default::default()
        },
    )
    .await
    .expect("allowed");
    assert!(r.ok, "{r:?}");
    let arrived = remote.wait_for("subject:leak").await.expect("arrived");
    remote
        .transcript(arrived.id)
        .await
        .expect("its session ended");
    let sessions = commands::sessions(remote.store(), SessionFilter::default(), 0, 100)
        .await
        .expect("sessions");
    assert_eq!(
        sessions.len(),
        1,
        "the refused releases never connected; only the allowed one did: {sessions:#?}"
    );
    assert_eq!(arrived.rcpt_to, ["ann@example.com"]);
    assert_eq!(
        commands::releases(capture.store(), caught.id)
            .await
            .expect("releases")
            .len(),
        1,
        "refusals before connecting are not recorded"
    );
}

#[tokio::test]
async fn starttls_and_auth_are_used_and_an_unverifiable_certificate_is_refused_unless_allowed() {
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::builder()
        .starttls(true)
        .auth_users([("relay", "s3cret")])
        .start()
        .await
        .expect("remote server");
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["ann@example.com"],
        b"Subject: over tls\r\n\r\nbody\r\n",
    );
    let caught = capture.wait_for("subject:tls").await.expect("captured");
    let mut config = release_config(remote.smtp_addr(), &["example.com"]);
    config.release.tls = ReleaseTls::Starttls;
    config.release.user = "relay".into();
    config.release.password = "s3cret".into();

    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert!(!r.ok, "a self-signed certificate does not verify: {r:?}");
    assert_eq!(r.stage, ReleaseStage::Tls, "{r:?}");
    assert!(r.text.contains("TLS"), "{}", r.text);

    let wrong = ReleaseServer {
        password: "wrong".into(),
        accept_invalid_certs: true,
        ..config.release.server().expect("a server")
    };
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest {
            server: Some(wrong),
            ..Default::default()
        },
    )
    .await
    .expect("an attempt");
    assert_eq!(
        (r.ok, r.stage, r.code, r.enhanced_code.as_deref()),
        (false, ReleaseStage::Auth, Some(535), Some("5.7.8")),
        "the remote's AUTH refusal: {r:?}"
    );

    config.release.accept_invalid_certs = true;
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("released");
    assert!(r.ok, "{r:?}");
    let arrived = remote.wait_for("subject:tls").await.expect("arrived");
    assert_eq!(arrived.auth_user.as_deref(), Some("relay"), "AUTH was used");
    let t = remote.transcript(arrived.id).await.expect("transcript");
    assert!(
        t.session.tls.is_some(),
        "STARTTLS was used: {:?}",
        t.session
    );
    assert_eq!(
        commands::releases(capture.store(), caught.id)
            .await
            .expect("releases")
            .len(),
        3,
        "every attempt is recorded, newest first"
    );
}

#[tokio::test]
async fn implicit_tls_talks_tls_from_the_first_byte() {
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::builder()
        .config(|c| c.smtps_addr = Some("127.0.0.1:0".into()))
        .start()
        .await
        .expect("remote server");
    let smtps = remote
        .engine()
        .bound_addrs()
        .and_then(|(_, smtps)| smtps)
        .expect("an SMTPS listener");
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["ann@example.com"],
        b"Subject: implicit\r\n\r\nbody\r\n",
    );
    let caught = capture
        .wait_for("subject:implicit")
        .await
        .expect("captured");
    let mut config = release_config(smtps, &["example.com"]);
    config.release.tls = ReleaseTls::Tls;
    config.release.accept_invalid_certs = true;
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("released");
    assert!(r.ok, "{r:?}");
    let arrived = remote.wait_for("subject:implicit").await.expect("arrived");
    let t = remote.transcript(arrived.id).await.expect("transcript");
    assert!(t.session.tls.is_some(), "it came over TLS: {:?}", t.session);
}

/// A scripted SMTP server for one connection: it greets, says 250 to EHLO and MAIL, and
/// answers RCPT and the end of the data as told: a multi-line reply and exact wording from
/// a server that is not Pigeonhole (the test after it uses Pigeonhole's fault rules).
async fn scripted(rcpt: &'static str, after_data: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("a connection");
        let (read, mut write) = stream.into_split();
        let mut lines = AsyncBufReader::new(read);
        write
            .write_all(b"220 scripted.test ESMTP\r\n")
            .await
            .expect("greet");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let reply: &str = if in_data {
                if line != ".\r\n" {
                    continue;
                }
                in_data = false;
                after_data
            } else {
                match line.get(..4).map(|c| c.to_ascii_uppercase()).as_deref() {
                    Some("EHLO") => "250-scripted.test\r\n250 8BITMIME\r\n",
                    Some("MAIL") => "250 2.1.0 Ok\r\n",
                    Some("RCPT") => rcpt,
                    Some("DATA") => {
                        in_data = true;
                        "354 go ahead\r\n"
                    }
                    Some("QUIT") => {
                        let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                        return;
                    }
                    _ => "250 2.0.0 Ok\r\n",
                }
            };
            if write.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    addr
}

#[tokio::test]
async fn a_remote_refusal_is_reported_as_it_was_sent() {
    let capture = TestServer::start().await.expect("capture server");
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["nobody@example.com"],
        b"Subject: refused\r\n\r\nbody\r\n",
    );
    let caught = capture.wait_for("subject:refused").await.expect("captured");

    let at_rcpt = scripted(
        "550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n",
        "250 2.0.0 Ok\r\n",
    )
    .await;
    let r = commands::release(
        capture.store(),
        &release_config(at_rcpt, &["example.com"]),
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert_eq!(
        (
            r.ok,
            r.stage,
            r.code,
            r.enhanced_code.as_deref(),
            r.text.as_str()
        ),
        (
            false,
            ReleaseStage::Rcpt,
            Some(550),
            Some("5.1.1"),
            "<nobody@example.com>: Recipient address rejected"
        ),
        "{r:?}"
    );
    assert_eq!(r.recipient.as_deref(), Some("nobody@example.com"));
    assert_eq!(
        r.reply(),
        "550 5.1.1 <nobody@example.com>: Recipient address rejected",
        "the reply line, as sent"
    );
    assert!(
        r.summary()
            .contains("refused at RCPT TO:<nobody@example.com>: 550 5.1.1"),
        "{}",
        r.summary()
    );

    let after_data = scripted(
        "250 2.1.5 Ok\r\n",
        "554-5.7.1 Message rejected\r\n554 5.7.1 looks like spam\r\n",
    )
    .await;
    let r = commands::release(
        capture.store(),
        &release_config(after_data, &["example.com"]),
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert_eq!(
        (
            r.ok,
            r.stage,
            r.code,
            r.enhanced_code.as_deref(),
            r.text.as_str()
        ),
        (
            false,
            ReleaseStage::Message,
            Some(554),
            Some("5.7.1"),
            "Message rejected looks like spam"
        ),
        "a multi-line refusal after the data: {r:?}"
    );
    let recorded = commands::releases(capture.store(), caught.id)
        .await
        .expect("releases");
    assert_eq!(
        recorded.iter().map(|r| r.code).collect::<Vec<_>>(),
        [Some(554), Some(550)],
        "both refusals are recorded, newest first"
    );
}

/// The real server is a second Pigeonhole whose fault rules refuse: a 550 at RCPT and a
/// 421 after the data come back exactly as the rules worded them, and nothing is stored
/// there; once the rules are gone the same release goes through.
#[tokio::test]
async fn a_second_pigeonhole_with_fault_rules_refuses_as_its_rules_say() {
    use pigeonhole_test::rules::{Action, Rule, Stage};
    let capture = TestServer::start().await.expect("capture server");
    let remote = TestServer::start().await.expect("remote server");
    smtp_send(
        capture.smtp_addr(),
        "app@example.com",
        &["nobody@example.com"],
        b"Subject: ruled\r\nMessage-ID: <ruled@example.com>\r\n\r\nbody\r\n",
    );
    let caught = capture.wait_for("subject:ruled").await.expect("captured");
    let config = release_config(remote.smtp_addr(), &["example.com"]);

    remote
        .set_rules(vec![Rule {
            stage: Some(Stage::Rcpt),
            address: Some("nobody@*".into()),
            code: Some(550),
            enhanced: Some("5.1.1".into()),
            text: Some("No such user here".into()),
            ..Rule::new("no nobody", Action::Reply)
        }])
        .expect("rules");
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert_eq!(
        (r.ok, r.stage, r.reply()),
        (
            false,
            ReleaseStage::Rcpt,
            "550 5.1.1 No such user here".to_string()
        ),
        "{r:?}"
    );

    remote
        .set_rules(vec![Rule {
            stage: Some(Stage::EndOfData),
            code: Some(421),
            ..Rule::new("gone after data", Action::Reply)
        }])
        .expect("rules");
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert!(!r.ok && r.stage == ReleaseStage::Message, "{r:?}");
    assert_eq!(r.code, Some(421), "{r:?}");
    assert!(
        remote.messages().await.expect("list").is_empty(),
        "nothing stored remotely"
    );

    remote.set_rules(Vec::new()).expect("no rules");
    let r = commands::release(
        capture.store(),
        &config,
        caught.id,
        ReleaseRequest::default(),
    )
    .await
    .expect("an attempt");
    assert!(r.ok, "{r:?}");
    let arrived = remote.wait_for("subject:ruled").await.expect("arrived");
    assert_eq!(
        remote.raw(arrived.id).await.expect("raw"),
        capture.raw(caught.id).await.expect("raw")
    );
    let recorded = commands::releases(capture.store(), caught.id)
        .await
        .expect("releases");
    assert_eq!(recorded.len(), 3, "every attempt is recorded");
    capture.stop().await;
    remote.stop().await;
}
