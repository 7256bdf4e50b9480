//! The fixture as a test suite uses it: start, send with lettre, wait, read, drop.
//!
//! Most tests run on `#[tokio::test]`'s single thread and send with lettre's blocking
//! `SmtpTransport` straight from it: the server's own thread is what makes that work.

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use lettre::{Message, SmtpTransport, Transport};
use pigeonhole_test::pigeonhole_core::model::Direction;
use pigeonhole_test::{Error, TestServer};

fn mailer(server: &TestServer) -> SmtpTransport {
    let smtp = server.smtp_addr();
    SmtpTransport::builder_dangerous(smtp.ip().to_string())
        .port(smtp.port())
        .build()
}

/// Sends one plain message and returns when the server has said 250 (it is stored).
fn send(server: &TestServer, to: &str, subject: &str, body: &str) {
    let email = Message::builder()
        .from("App <app@example.com>".parse().expect("from address"))
        .to(to.parse().expect("to address"))
        .subject(subject)
        .body(body.to_string())
        .expect("message builds");
    mailer(server)
        .send(&email)
        .expect("the server accepts the message");
}

/// Polls a future once, so an `async` wait has subscribed and made its first query
/// before the test goes on.
fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn refuses_connections(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err()
}

/// The first line the SMTP server sends.
fn greeting(addr: SocketAddr) -> String {
    let stream = TcpStream::connect(addr).expect("SMTP accepts a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("a greeting");
    line
}

#[tokio::test]
async fn start_listens_on_free_loopback_ports_with_smtp_and_the_api() {
    let server = TestServer::start().await.expect("server starts");
    let smtp = server.smtp_addr();
    assert!(
        smtp.ip().is_loopback() && smtp.port() != 0,
        "SMTP on a real loopback port: {smtp}"
    );
    assert!(
        greeting(smtp).starts_with("220 "),
        "the SMTP listener greets"
    );
    let http = server.http_addr().expect("the API runs by default");
    assert!(http.ip().is_loopback() && http.port() != 0, "API on {http}");
    assert_eq!(
        server.http_url().as_deref(),
        Some(format!("http://{http}").as_str()),
        "http_url is the API's base URL"
    );
    assert!(
        TcpStream::connect(http).is_ok(),
        "the API accepts connections"
    );
    assert!(
        server.data_dir().join("pigeonhole.sqlite3").is_file(),
        "the store is in the temporary data dir"
    );
    assert!(
        server.messages().await.expect("list").is_empty(),
        "a fresh server has no mail"
    );
}

#[tokio::test]
async fn dropping_the_server_closes_its_ports_and_removes_the_store() {
    let server = TestServer::start().await.expect("server starts");
    send(&server, "ann@example.com", "Before the drop", "hi");
    server.wait_for("subject:drop").await.expect("stored");
    let (smtp, http, dir) = (
        server.smtp_addr(),
        server.http_addr().expect("api"),
        server.data_dir().to_path_buf(),
    );
    drop(server);
    assert!(!dir.exists(), "the temp dir {} is removed", dir.display());
    assert!(
        refuses_connections(smtp),
        "SMTP {smtp} no longer accepts once dropped"
    );
    assert!(
        refuses_connections(http),
        "the API {http} no longer accepts once dropped"
    );
}

#[tokio::test]
async fn stop_tells_open_sessions_421_closes_the_ports_and_removes_the_store() {
    let server = TestServer::start().await.expect("server starts");
    let (smtp, http, dir) = (
        server.smtp_addr(),
        server.http_addr().expect("api"),
        server.data_dir().to_path_buf(),
    );
    let stream = TcpStream::connect(smtp).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("greeting");
    (&stream).write_all(b"EHLO client.test\r\n").expect("ehlo");
    loop {
        line.clear();
        reader.read_line(&mut line).expect("ehlo reply");
        if line.starts_with("250 ") {
            break;
        }
    }
    server.stop().await;
    line.clear();
    reader
        .read_line(&mut line)
        .expect("a reply to the shutdown");
    assert!(
        line.starts_with("421 "),
        "an open session is told 421 on stop, got {line:?}"
    );
    assert!(!dir.exists(), "the temp dir {} is removed", dir.display());
    assert!(
        refuses_connections(smtp),
        "SMTP {smtp} is closed after stop"
    );
    assert!(
        refuses_connections(http),
        "the API {http} is closed after stop"
    );
}

#[tokio::test]
async fn the_api_can_be_turned_off() {
    let server = TestServer::builder()
        .api(false)
        .start()
        .await
        .expect("server starts");
    assert_eq!(server.http_addr(), None, "no API address when it is off");
    assert_eq!(server.http_url(), None, "no API URL when it is off");
    send(&server, "ann@example.com", "No API", "hi");
    server
        .wait_for("subject:API")
        .await
        .expect("SMTP still works");
}

#[tokio::test]
async fn starttls_and_auth_users_are_offered_when_asked_for() {
    let server = TestServer::builder()
        .starttls(true)
        .auth_users([("ci", "secret")])
        .start()
        .await
        .expect("server starts");
    let stream = TcpStream::connect(server.smtp_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut ehlo = String::new();
    reader.read_line(&mut ehlo).expect("greeting");
    (&stream).write_all(b"EHLO client.test\r\n").expect("ehlo");
    ehlo.clear();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("ehlo reply");
        ehlo.push_str(&line);
        if line.starts_with("250 ") {
            break;
        }
    }
    assert!(ehlo.contains("STARTTLS"), "STARTTLS is offered:\n{ehlo}");
    let inbox = server.test_inbox();
    assert_eq!(
        (inbox.username, inbox.password),
        (None, None),
        "with configured users a test inbox offers no credentials of its own"
    );

    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    let tls = TlsParameters::builder("localhost".into())
        .dangerous_accept_invalid_certs(true)
        .build_rustls()
        .expect("tls parameters");
    let smtp = server.smtp_addr();
    let with = |user: &str, password: &str| {
        SmtpTransport::builder_dangerous(smtp.ip().to_string())
            .port(smtp.port())
            .tls(Tls::Required(tls.clone()))
            .credentials(Credentials::new(user.into(), password.into()))
            .build()
    };
    let email = Message::builder()
        .from("app@example.com".parse().expect("from"))
        .to("ann@example.com".parse().expect("to"))
        .subject("Over TLS")
        .body("hi".to_string())
        .expect("message");
    assert!(
        with("ci", "wrong").send(&email).is_err(),
        "a wrong password is refused"
    );
    with("ci", "secret")
        .send(&email)
        .expect("the configured user may send");
    let m = server.wait_for("subject:TLS").await.expect("stored");
    assert_eq!(m.auth_user.as_deref(), Some("ci"), "sent as the AUTH user");
}

#[tokio::test]
async fn wait_for_finds_a_message_that_is_already_there() {
    let server = TestServer::start().await.expect("server starts");
    send(&server, "ann@example.com", "Welcome", "Hello Ann");
    let m = server.wait_for("subject:Welcome").await.expect("found");
    assert_eq!(m.subject, "Welcome", "the message found is the one sent");
    assert_eq!(m.rcpt_to, ["ann@example.com"], "with its envelope");

    let all = server.messages().await.expect("list");
    assert_eq!(all.len(), 1, "one message stored");
    let detail = server.message(m.id).await.expect("detail");
    assert_eq!(
        detail.text.as_deref().map(str::trim),
        Some("Hello Ann"),
        "the detail has the body"
    );
    let raw = String::from_utf8(server.raw(m.id).await.expect("raw")).expect("utf-8");
    assert!(
        raw.contains("Subject: Welcome"),
        "raw is the message as sent:\n{raw}"
    );
}

#[tokio::test]
async fn a_wait_started_before_the_mail_is_sent_sees_it() {
    let server = TestServer::start().await.expect("server starts");
    let mut wait = pin!(server.wait_for("subject:Late"));
    assert!(
        poll_once(wait.as_mut()).is_pending(),
        "nothing to find before the mail is sent"
    );
    send(&server, "ann@example.com", "Late arrival", "hi");
    let m = tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the wait ends")
        .expect("found");
    assert_eq!(
        m.subject, "Late arrival",
        "the wait saw the message sent after it started"
    );
}

#[tokio::test]
async fn wait_for_times_out_with_an_error_that_says_what_did_arrive() {
    let server = TestServer::builder()
        .wait_timeout(Duration::from_millis(300))
        .start()
        .await
        .expect("server starts");
    send(&server, "ann@example.com", "Password reset", "hi");
    let started = Instant::now();
    let err = server
        .wait_for("subject:Welcome")
        .await
        .expect_err("nothing matches");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the wait lasts its timeout"
    );
    let Error::Timeout(t) = &err else {
        panic!("a timeout error, got {err:?}");
    };
    assert_eq!((t.wanted, t.matched), (1, 0), "wanted one, none matched");
    assert_eq!(t.recent.len(), 1, "the error lists what is in the store");
    let text = err.to_string();
    assert!(
        text.contains("subject:Welcome") && text.contains("\"Password reset\""),
        "the message names the query and what did arrive: {text}"
    );
}

#[tokio::test]
async fn wait_for_count_returns_the_newest_first_or_says_how_many_matched() {
    let server = TestServer::start().await.expect("server starts");
    for n in 1..=3 {
        send(&server, "ann@example.com", &format!("Digest {n}"), "hi");
    }
    let found = server
        .wait_for_count("subject:Digest", 3, Duration::from_secs(10))
        .await
        .expect("three found");
    let subjects: Vec<&str> = found.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["Digest 3", "Digest 2", "Digest 1"],
        "newest first"
    );

    let err = server
        .wait_for_count("subject:Digest", 5, Duration::from_millis(200))
        .await
        .expect_err("only three");
    let text = err.to_string();
    assert!(
        text.starts_with("3 of 5 messages matching `subject:Digest`"),
        "the timeout says how many matched: {text}"
    );
}

#[tokio::test]
async fn expect_none_holds_while_nothing_matches() {
    let server = TestServer::start().await.expect("server starts");
    send(&server, "ann@example.com", "For Ann", "hi");
    let started = Instant::now();
    server
        .expect_none("to:bob@example.com", Duration::from_millis(300))
        .await
        .expect("nothing went to Bob");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "expect_none watches for the whole time"
    );
}

#[tokio::test]
async fn expect_none_fails_with_the_message_that_broke_it() {
    let server = TestServer::start().await.expect("server starts");
    let within = Duration::from_secs(30);
    let mut watch = pin!(server.expect_none("to:bob@example.com", within));
    assert!(
        poll_once(watch.as_mut()).is_pending(),
        "nothing for Bob yet"
    );
    send(
        &server,
        "bob@example.com",
        "Oops",
        "should not have been sent",
    );
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), watch)
        .await
        .expect("expect_none ends as soon as the message arrives")
        .expect_err("a message went to Bob");
    assert!(started.elapsed() < within, "it did not wait out the window");
    let Error::Unexpected(u) = &err else {
        panic!("an unexpected-message error, got {err:?}");
    };
    assert_eq!(u.message.subject, "Oops", "the error carries the message");
    assert!(
        err.to_string()
            .contains("\"Oops\" from <app@example.com> to <bob@example.com>"),
        "the error names the message: {err}"
    );
}

#[tokio::test]
async fn a_bad_query_fails_at_once_with_its_position() {
    let server = TestServer::start().await.expect("server starts");
    let started = Instant::now();
    let err = server.wait_for("subject:(").await.expect_err("a bad query");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a bad query does not wait"
    );
    assert!(
        matches!(&err, Error::Command(e) if e.is_bad_request()),
        "a query error, got {err:?}"
    );
}

#[tokio::test]
async fn transcript_is_the_whole_smtp_session_of_the_message() {
    let server = TestServer::start().await.expect("server starts");
    send(&server, "ann@example.com", "Transcribed", "hi");
    let m = server
        .wait_for("subject:Transcribed")
        .await
        .expect("stored");
    let t = server.transcript(m.id).await.expect("transcript");
    assert_eq!(t.session.id, m.session_id, "the message's own session");
    assert!(t.session.ended_at.is_some(), "the session has ended");
    let text: String = t
        .lines
        .iter()
        .map(|l| {
            let dir = match l.dir {
                Direction::In => "C",
                Direction::Out => "S",
                _ => "*",
            };
            format!("{dir}: {}\n", l.text)
        })
        .collect();
    for expected in [
        "S: 220 ",
        "C: EHLO ",
        "C: MAIL FROM:<app@example.com>",
        "C: RCPT TO:<ann@example.com>",
        "C: DATA",
        "S: 250 ",
        "C: QUIT",
        "S: 221 ",
    ] {
        assert!(
            text.contains(expected),
            "the transcript has {expected:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn links_codes_and_test_inboxes_come_from_core() {
    let server = TestServer::start().await.expect("server starts");
    let inbox = server.test_inbox();
    assert_eq!(
        inbox.smtp_port,
        server.smtp_addr().port(),
        "the inbox names this server"
    );
    send(
        &server,
        "ann@example.com",
        "Someone else's",
        "not for the inbox",
    );
    send(
        &server,
        &inbox.address,
        "Your code",
        "Your verification code is 482913. Or open https://app.example.com/verify?c=482913",
    );
    let mine = server
        .wait_for_count(&inbox.query, 1, Duration::from_secs(10))
        .await
        .expect("the inbox's mail");
    assert_eq!(mine.len(), 1, "the inbox query selects only its own mail");
    let id = mine[0].id;
    let codes = server.codes(id).await.expect("codes");
    assert_eq!(
        codes.first().map(|c| c.code.as_str()),
        Some("482913"),
        "the code is found: {codes:?}"
    );
    let links = server.links(id).await.expect("links");
    assert_eq!(
        links.first().map(|l| l.url.as_str()),
        Some("https://app.example.com/verify?c=482913"),
        "the link is found: {links:?}"
    );
    assert!(
        matches!(server.message(9999).await, Err(Error::Command(e)) if e.is_not_found()),
        "an unknown id is a not-found error"
    );
}
