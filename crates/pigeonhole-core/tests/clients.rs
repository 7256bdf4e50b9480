//! Socket tests: a real server on 127.0.0.1:0 and real SMTP clients (lettre, Python
//! smtplib, swaks, curl), then checks against the store.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use pigeonhole_core::config::{AuthMode, AuthUser, Config};
use pigeonhole_core::model::{
    ListQuery, MessageSummary, SessionFilter, SessionShow, SessionSummary,
};
use pigeonhole_core::{commands, Engine};

struct Harness {
    engine: Option<Engine>,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(tweak: impl FnOnce(&mut Config)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: Some(dir.path().to_path_buf()),
            smtp_addr: "127.0.0.1:0".into(),
            ..Config::default()
        };
        tweak(&mut config);
        let engine = Engine::start(&config).await.expect("server starts");
        let addr = engine.bound_addrs().expect("listening").0;
        Harness {
            engine: Some(engine),
            addr,
            _dir: dir,
        }
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().expect("running")
    }

    /// Every stored message, newest first (reads on the blocking pool).
    async fn messages(&self) -> Vec<MessageSummary> {
        commands::list(
            &self.engine().store,
            ListQuery {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("list")
        .messages
    }

    async fn raw(&self, id: i64) -> Vec<u8> {
        commands::raw(&self.engine().store, id).await.expect("raw")
    }

    async fn transcript_text(&self, session_id: i64) -> String {
        let store = self.engine().store.clone();
        // The session row is written when the connection closes; give the writer a moment.
        for _ in 0..50 {
            if let Ok(t) = commands::transcript(&store, session_id).await {
                if t.session.ended_at.is_some() {
                    return t
                        .lines
                        .iter()
                        .map(|l| format!("{:?} {}\n", l.dir, l.text))
                        .collect();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("session {session_id} never closed");
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e} (is it installed? see .ci/install-deps)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{text}",
        out.status
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lettre_sends_over_starttls_with_auth() {
    let h = Harness::start(|_| {}).await;
    let port = h.addr.port();
    tokio::task::spawn_blocking(move || {
        use lettre::transport::smtp::authentication::{Credentials, Mechanism};
        use lettre::transport::smtp::client::{Tls, TlsParameters};
        use lettre::{Message, SmtpTransport, Transport};
        let tls = TlsParameters::builder("localhost".into())
            .dangerous_accept_invalid_certs(true)
            .build_rustls()
            .expect("tls params");
        let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port)
            .tls(Tls::Required(tls))
            .credentials(Credentials::new("lettre-user".into(), "pw".into()))
            .authentication(vec![Mechanism::Login])
            .build();
        let email = Message::builder()
            .from("Sender <sender@example.com>".parse().expect("from"))
            .to("rcpt@example.com".parse().expect("to"))
            .bcc("hidden@example.com".parse().expect("bcc"))
            .subject("From lettre")
            .body("Hello from lettre".to_string())
            .expect("message");
        mailer.send(&email).expect("lettre send succeeds");
    })
    .await
    .expect("join");
    let msgs = h.messages().await;
    assert_eq!(msgs.len(), 1, "one message stored");
    let m = &msgs[0];
    assert_eq!(m.subject, "From lettre");
    assert_eq!(
        m.rcpt_to,
        ["rcpt@example.com", "hidden@example.com"],
        "Bcc is an envelope recipient"
    );
    let raw = h.raw(m.id).await;
    assert!(
        !String::from_utf8_lossy(&raw).contains("hidden@example.com"),
        "lettre strips Bcc from the headers"
    );
    let t = h.transcript_text(m.session_id).await;
    assert!(
        t.contains("TLS established: TLSv1"),
        "TLS facts recorded:\n{t}"
    );
    assert!(
        t.contains("authenticated as lettre-user with LOGIN"),
        "AUTH recorded:\n{t}"
    );
    assert!(!t.contains("cHc="), "the base64 password is masked:\n{t}");
}

const SMTPLIB_SCRIPT: &str = r#"
import json, smtplib, ssl, sys
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Client(smtplib.SMTP):
    def connect(self, *a, **k):  # keep the greeting, which smtplib otherwise discards
        self.welcome = super().connect(*a, **k)
        return self.welcome
s = Client("127.0.0.1", port, timeout=10)
code, banner = s.welcome
s.ehlo("smtplib.test")
before = sorted(s.esmtp_features)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo("smtplib.test")
after = sorted(s.esmtp_features)
try:
    s.login(user, password)
    login = "ok"
except smtplib.SMTPAuthenticationError as e:
    login = "refused %d" % e.smtp_code
refused = s.sendmail("py@example.com", ["one@example.com", "two@example.com"],
    "Subject: From smtplib\r\nFrom: py@example.com\r\nTo: one@example.com\r\n\r\nHi\r\n.dot line\r\n")
s.quit()
print(json.dumps({"welcome": "%d %s" % (code, banner.decode()), "before": before, "after": after, "login": login, "refused": refused}))
"#;

fn smtplib(port: u16, user: &str, password: &str) -> serde_json::Value {
    let out = run(Command::new("python3").args([
        "-c",
        SMTPLIB_SCRIPT,
        &port.to_string(),
        user,
        password,
    ]));
    serde_json::from_str(out.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("smtplib output {out}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_smtplib_starttls_login_sendmail() {
    let h = Harness::start(|_| {}).await;
    let port = h.addr.port();
    let v = tokio::task::spawn_blocking(move || smtplib(port, "alice", "secret"))
        .await
        .expect("join");
    assert!(
        v["welcome"]
            .as_str()
            .unwrap_or("")
            .contains("ESMTP Pigeonhole"),
        "greeting: {v}"
    );
    let before: Vec<&str> = v["before"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    for f in [
        "pipelining",
        "size",
        "8bitmime",
        "smtputf8",
        "chunking",
        "dsn",
        "enhancedstatuscodes",
        "starttls",
        "auth",
        "help",
    ] {
        assert!(before.contains(&f), "esmtp_features lacks {f}: {before:?}");
    }
    let after: Vec<&str> = v["after"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        !after.contains(&"starttls"),
        "STARTTLS is not offered inside TLS: {after:?}"
    );
    assert_eq!(
        v["login"], "ok",
        "smtplib login (it picks CRAM-MD5 first) succeeds"
    );
    let msgs = h.messages().await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].rcpt_to, ["one@example.com", "two@example.com"]);
    let raw = h.raw(msgs[0].id).await;
    assert!(
        raw.ends_with(b"Hi\r\n.dot line\r\n"),
        "dot-stuffed by smtplib, unstuffed by us: {:?}",
        String::from_utf8_lossy(&raw)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_users_are_enforced_for_real_clients() {
    let h = Harness::start(|c| {
        c.auth_mode = AuthMode::Users;
        c.auth_users = vec![AuthUser {
            username: "alice".into(),
            password: "right".into(),
        }];
    })
    .await;
    let port = h.addr.port();
    let good = tokio::task::spawn_blocking(move || smtplib(port, "alice", "right"))
        .await
        .expect("join");
    assert_eq!(good["login"], "ok", "the right CRAM-MD5 answer is accepted");
    let bad = tokio::task::spawn_blocking(move || smtplib(port, "alice", "wrong"))
        .await
        .expect("join");
    assert_eq!(bad["login"], "refused 535", "a wrong password gets 535");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_sends_with_starttls_cram_md5_and_pipelining() {
    let h = Harness::start(|_| {}).await;
    let server = h.addr.to_string();
    tokio::task::spawn_blocking(move || {
        run(Command::new("swaks").args([
            "--server",
            &server,
            "--from",
            "swaks@example.com",
            "--to",
            "a@example.com,b@example.com",
            "--tls",
            "--auth",
            "CRAM-MD5",
            "--auth-user",
            "u",
            "--auth-password",
            "p",
            "--header",
            "Subject: From swaks",
            "--body",
            "swaks body",
        ]));
        run(Command::new("swaks").args([
            "--server",
            &server,
            "--to",
            "c@example.com",
            "--pipeline",
            "--header",
            "Subject: pipelined",
        ]));
    })
    .await
    .expect("join");
    let msgs = h.messages().await;
    let subjects: Vec<&str> = msgs.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["pipelined", "From swaks"],
        "both swaks messages stored, newest first"
    );
    assert_eq!(msgs[1].rcpt_to, ["a@example.com", "b@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_over_smtp_and_starttls() {
    let h = Harness::start(|_| {}).await;
    let port = h.addr.port();
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("mail.txt");
    std::fs::write(
        &file,
        "From: curl@example.com\r\nTo: x@example.com\r\nSubject: From curl\r\n\r\ncurl body\r\n",
    )
    .expect("write");
    let path = file.display().to_string();
    tokio::task::spawn_blocking(move || {
        let url = format!("smtp://127.0.0.1:{port}");
        run(Command::new("curl").args([
            "-sS",
            &url,
            "--mail-from",
            "curl@example.com",
            "--mail-rcpt",
            "x@example.com",
            "--upload-file",
            &path,
        ]));
        run(Command::new("curl").args([
            "-sS",
            "--ssl-reqd",
            "-k",
            "--user",
            "cu:pw",
            &url,
            "--mail-from",
            "curl@example.com",
            "--mail-rcpt",
            "y@example.com",
            "--upload-file",
            &path,
        ]));
    })
    .await
    .expect("join");
    let msgs = h.messages().await;
    assert_eq!(msgs.len(), 2, "both curl uploads stored");
    assert_eq!(msgs[0].rcpt_to, ["y@example.com"]);
    let t = h.transcript_text(msgs[0].session_id).await;
    assert!(
        t.contains("TLS established"),
        "second upload used STARTTLS:\n{t}"
    );
}

fn read_reply(r: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).expect("read") == 0 {
            return all;
        }
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] == b' ' {
            return all;
        }
    }
}

/// Sends one message over raw SMTP and returns the connection, still open.
fn send_raw(addr: SocketAddr, ehlo: &str, message: &[u8]) -> (TcpStream, BufReader<TcpStream>) {
    let (mut s, mut r) = connect(addr);
    read_reply(&mut r);
    for line in [
        ehlo,
        "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.com>",
        "DATA",
    ] {
        s.write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
        read_reply(&mut r);
    }
    s.write_all(message).expect("write");
    assert!(read_reply(&mut r).starts_with("250 "), "message accepted");
    (s, r)
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let r = BufReader::new(s.try_clone().expect("clone"));
    (s, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_get_421_and_are_closed() {
    let h = Harness::start(|c| c.idle_timeout_secs = 1).await;
    let addr = h.addr;
    let reply = tokio::task::spawn_blocking(move || {
        let (_s, mut r) = connect(addr);
        read_reply(&mut r);
        let reply = read_reply(&mut r);
        let mut rest = String::new();
        let _ = r.read_to_string(&mut rest);
        reply + &rest
    })
    .await
    .expect("join");
    assert!(
        reply.starts_with("421 4.4.2"),
        "idle timeout reply: {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_get_421_and_others_keep_working() {
    let h = Harness::start(|c| c.max_connections = 1).await;
    let addr = h.addr;
    let (first, second, after) = tokio::task::spawn_blocking(move || {
        let (mut s1, mut r1) = connect(addr);
        let g1 = read_reply(&mut r1);
        let (_s2, mut r2) = connect(addr);
        let g2 = read_reply(&mut r2);
        s1.write_all(b"NOOP\r\n").expect("write");
        let noop = read_reply(&mut r1);
        (g1, g2, noop)
    })
    .await
    .expect("join");
    assert!(
        first.starts_with("220 "),
        "first connection greeted: {first}"
    );
    assert!(
        second.starts_with("421 4.7.0"),
        "second connection refused at the greeting: {second}"
    );
    assert!(
        after.starts_with("250 "),
        "the first session keeps working: {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_says_421_to_open_sessions() {
    let mut h = Harness::start(|_| {}).await;
    let (s, mut r) = connect(h.addr);
    let greeting = tokio::task::spawn_blocking(move || (read_reply(&mut r), r))
        .await
        .expect("join");
    let (_, mut r) = greeting;
    h.engine.take().expect("engine").shutdown().await;
    let bye = tokio::task::spawn_blocking(move || read_reply(&mut r))
        .await
        .expect("join");
    drop(s);
    assert!(bye.starts_with("421 4.3.2"), "shutdown reply: {bye:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_pipelined_injection_is_discarded_over_tcp() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    let replies = tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO x\r\n").expect("write");
        read_reply(&mut r);
        // The attacker's MAIL rides in the same packet as STARTTLS.
        s.write_all(b"STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")
            .expect("write");
        let starttls = read_reply(&mut r);
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        let mut extra = [0u8; 64];
        let n = r.get_mut().read(&mut extra).unwrap_or(0);
        (starttls, n)
    })
    .await
    .expect("join");
    assert!(
        replies.0.starts_with("220 2.0.0"),
        "STARTTLS accepted: {}",
        replies.0
    );
    assert_eq!(replies.1, 0, "no plaintext reply to the injected MAIL FROM");
}

async fn search_total(h: &Harness, text: &str) -> u64 {
    let q = ListQuery {
        query: text.into(),
        limit: 10,
        ..Default::default()
    };
    commands::list(&h.engine().store, q)
        .await
        .expect("search")
        .total
}

async fn wait_for_search(h: &Harness, text: &str, want: u64) {
    for _ in 0..100 {
        if search_total(h, text).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("search for {text:?} never found {want} message(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_mail_once_indexed_and_after_a_crash_before_indexing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        smtp_addr: "127.0.0.1:0".into(),
        ..Config::default()
    };
    let engine = Engine::start(&config).await.expect("server starts");
    let addr = engine.bound_addrs().expect("listening").0;
    let h = Harness {
        engine: Some(engine),
        addr,
        _dir: tempfile::tempdir().expect("unused"),
    };
    tokio::task::spawn_blocking(move || {
        send_raw(
            addr,
            "EHLO t",
            b"Subject: zebra crossing\r\n\r\nthe quokka body\r\n.\r\n",
        )
    })
    .await
    .expect("join");
    wait_for_search(&h, "zebra", 1).await;
    wait_for_search(&h, "quokka", 1).await;
    assert_eq!(
        search_total(&h, "giraffe").await,
        0,
        "search is not match-all"
    );

    // Simulate a crash after the ack but before indexing: empty the index, rewind the mark.
    let mut h = h;
    h.engine.take().expect("engine").shutdown().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    {
        let db =
            rusqlite::Connection::open(dir.path().join("pigeonhole.sqlite3")).expect("open db");
        db.execute_batch(
            "INSERT INTO message_text(message_text) VALUES('delete-all');
             DELETE FROM message_addresses; UPDATE meta SET value = 0 WHERE key = 'fts_upto';",
        )
        .expect("rewind index");
    }
    let engine = Engine::start(&config).await.expect("restarts");
    let h = Harness {
        addr: engine.bound_addrs().expect("listening").0,
        engine: Some(engine),
        _dir: tempfile::tempdir().expect("unused"),
    };
    wait_for_search(&h, "zebra", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_has_its_transcript_stored_while_still_open() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    // A pooled client: one message, then the connection stays open and quiet.
    let (s, _r) = tokio::task::spawn_blocking(move || {
        send_raw(addr, "EHLO pool", b"Subject: pooled\r\n\r\nbody\r\n.\r\n")
    })
    .await
    .expect("join");
    let msgs = h.messages().await;
    assert_eq!(msgs.len(), 1, "the message is stored at once");
    let store = h.engine().store.clone();
    let session = msgs[0].session_id;
    let mut text = String::new();
    for _ in 0..60 {
        let t = commands::transcript(&store, session)
            .await
            .expect("transcript");
        text = t
            .lines
            .iter()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if text.contains("250 2.0.0 Ok: queued as") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        text.contains("EHLO pool"),
        "the open session's lines are stored:\n{text}"
    );
    assert!(
        text.contains("250 2.0.0 Ok: queued as"),
        "including the message's 250:\n{text}"
    );
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_deleted_before_it_is_indexed_is_gone_and_not_searchable() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    tokio::task::spawn_blocking(move || {
        send_raw(
            addr,
            "EHLO t",
            b"Subject: ephemeral walrus\r\n\r\nx\r\n.\r\n",
        )
    })
    .await
    .expect("join");
    let id = h.messages().await[0].id;
    // At once, before the writer's idle-time indexing batch.
    let deleted = commands::delete(&h.engine().store, vec![id])
        .await
        .expect("delete succeeds before indexing");
    assert_eq!(deleted, 1, "one message deleted");
    tokio::time::sleep(Duration::from_millis(400)).await; // past the indexing batch
    assert!(h.messages().await.is_empty(), "the message is gone");
    assert_eq!(
        search_total(&h, "walrus").await,
        0,
        "and never becomes searchable"
    );
}

/// The sessions `filter` matches once all of them have ended (the row is final then).
async fn ended_sessions(h: &Harness, filter: SessionFilter) -> Vec<SessionSummary> {
    for _ in 0..100 {
        let all = commands::sessions(&h.engine().store, filter.clone(), 0, 100)
            .await
            .expect("sessions");
        if !all.is_empty() && all.iter().all(|s| s.ended_at.is_some()) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no ended session matched {filter:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_data_leaves_a_session_marked_broken_off() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    let last = tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        let mut last = String::new();
        for line in [
            "EHLO c",
            "MAIL FROM:<a@example.com>",
            "RCPT TO:<b@example.com>",
            "DATA",
        ] {
            s.write_all(format!("{line}\r\n").as_bytes())
                .expect("write");
            last = read_reply(&mut r);
        }
        s.write_all(b"Subject: cut short\r\n\r\nhalf a bo")
            .expect("write");
        last
    })
    .await
    .expect("join");
    assert!(
        last.starts_with("354"),
        "DATA was accepted before the disconnect: {last}"
    );

    let errors = ended_sessions(
        &h,
        SessionFilter {
            show: SessionShow::Errors,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        errors.len(),
        1,
        "the session is listed with errors: {errors:?}"
    );
    let s = &errors[0];
    assert_eq!(s.aborted_messages, 1, "one message broken off: {s:?}");
    assert_eq!(s.refusals, 0, "nothing was refused: {s:?}");
    assert_eq!(
        (s.message_count, s.last_code),
        (0, Some(354)),
        "no message, last reply 354"
    );
    let t = h.transcript_text(s.id).await;
    assert!(
        t.contains("message broken off"),
        "the transcript says so:\n{t}"
    );
    assert!(
        h.messages().await.is_empty(),
        "half a message is not stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_only_refusals_is_counted_though_it_ends_with_221() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        for line in ["EHLO c", "RCPT TO:<b@example.com>", "DATA", "QUIT"] {
            s.write_all(format!("{line}\r\n").as_bytes())
                .expect("write");
            read_reply(&mut r);
        }
    })
    .await
    .expect("join");
    let all = ended_sessions(&h, SessionFilter::default()).await;
    let s = &all[0];
    assert_eq!(s.last_code, Some(221), "it ended politely: {s:?}");
    assert_eq!(
        s.refusals, 2,
        "RCPT and DATA before MAIL were refused: {s:?}"
    );
    assert!(s.had_problems(), "so it is a session with errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_starttls_handshake_marks_the_session() {
    let h = Harness::start(|_| {}).await;
    let addr = h.addr;
    tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        for line in ["EHLO c", "STARTTLS"] {
            s.write_all(format!("{line}\r\n").as_bytes())
                .expect("write");
            read_reply(&mut r);
        }
        // Not a TLS ClientHello: the handshake fails and the server hangs up.
        s.write_all(b"this is not TLS at all\r\n\r\n")
            .expect("write");
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
    })
    .await
    .expect("join");
    let all = ended_sessions(&h, SessionFilter::default()).await;
    let s = &all[0];
    assert!(
        s.tls_failed && s.tls.is_none(),
        "the handshake failure is recorded: {s:?}"
    );
    assert!(s.had_problems(), "so it is a session with errors");
    let t = h.transcript_text(s.id).await;
    assert!(
        t.contains("TLS handshake failed"),
        "the transcript says why:\n{t}"
    );
}
