//! The listener under abuse, over real sockets: stalled TLS handshakes, slowloris command
//! lines and DATA, one address taking every slot, password guessing, and a shutdown with
//! all of them open. Timeouts are small (1-2 s); assertions are on outcomes, with
//! generous bounds where time is involved.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use pigeonhole_core::config::{AuthMode, AuthUser, Config};
use pigeonhole_core::Engine;

struct Harness {
    engine: Engine,
    addr: SocketAddr,
    smtps: Option<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(tweak: impl FnOnce(&mut Config)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: Some(dir.path().to_path_buf()),
            smtp_addr: "127.0.0.1:0".into(),
            http_addr: String::new(),
            ..Config::default()
        };
        tweak(&mut config);
        let engine = Engine::start(&config).await.expect("server starts");
        let (addr, smtps) = engine.bound_addrs().expect("listening");
        Harness {
            engine,
            addr,
            smtps,
            _dir: dir,
        }
    }
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let r = BufReader::new(s.try_clone().expect("clone"));
    (s, r)
}

/// One reply, every line of it; empty when the server closed.
fn read_reply(r: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return all,
            Ok(_) => {}
        }
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] == b' ' {
            return all;
        }
    }
}

/// Everything until the server closes (or 10 s pass).
fn read_rest(r: &mut BufReader<TcpStream>) -> String {
    let mut rest = String::new();
    let _ = r.read_to_string(&mut rest);
    rest
}

/// Polls until a new plain connection is greeted with 220, up to `within`.
fn greeted_within(addr: SocketAddr, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        let (_s, mut r) = connect(addr);
        if read_reply(&mut r).starts_with("220 ") {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_tls_handshakes_do_not_hold_slots_past_the_timeout() {
    let h = Harness::start(|c| {
        c.smtps_addr = Some("127.0.0.1:0".into());
        c.idle_timeout_secs = 2;
        c.max_connections = 5;
        c.max_connections_per_client = 5;
    })
    .await;
    let (addr, smtps) = (h.addr, h.smtps.expect("SMTPS bound"));
    let (full, later) = tokio::task::spawn_blocking(move || {
        // Three SMTPS connections that never send a ClientHello...
        let mut held: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect(smtps).expect("connect smtps"))
            .collect();
        // ...and two that ask for STARTTLS and then go silent.
        for _ in 0..2 {
            let (mut s, mut r) = connect(addr);
            read_reply(&mut r);
            s.write_all(b"EHLO staller\r\n").expect("write");
            read_reply(&mut r);
            s.write_all(b"STARTTLS\r\n").expect("write");
            assert!(read_reply(&mut r).starts_with("220 "), "STARTTLS accepted");
            held.push(s);
        }
        std::thread::sleep(Duration::from_millis(200));
        let (_s, mut r) = connect(addr);
        let full = read_reply(&mut r);
        // The handshake timeout (capped at the 2 s idle timeout) frees the slots.
        let later = greeted_within(addr, Duration::from_secs(8));
        drop(held);
        (full, later)
    })
    .await
    .expect("join");
    assert!(
        full.starts_with("421 4.7.0"),
        "the five stalled handshakes fill every slot at first: {full:?}"
    );
    assert!(
        later.is_some(),
        "a new client is served once the stalled handshakes time out"
    );
    h.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_line_sent_a_byte_at_a_time_is_cut_off_at_its_deadline() {
    let h = Harness::start(|c| {
        c.idle_timeout_secs = 60;
        c.command_timeout_secs = 2;
    })
    .await;
    let addr = h.addr;
    let (sent, reply) = tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        // 40 bytes at 4 a second would take 10 s; each byte would reset an idle timer.
        let line = b"MAIL FROM:<slow-loris@example.com>\r\n";
        let mut sent = 0;
        for b in line {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(250));
            // Stop once the server has answered (closed).
            s.set_nonblocking(true).expect("nonblocking");
            let mut peek = [0u8; 1];
            // Data waiting or the end of the stream: either way the server has spoken.
            let answered = s.peek(&mut peek).is_ok();
            s.set_nonblocking(false).expect("blocking");
            if answered {
                break;
            }
        }
        (sent, read_reply(&mut r))
    })
    .await
    .expect("join");
    assert!(
        reply.starts_with("421 4.4.2") && reply.contains("not completed"),
        "the dribbled line is cut off with 421 4.4.2: {reply:?}"
    );
    assert!(
        sent < 36,
        "the connection was closed before the line could complete ({sent} bytes sent)"
    );
    h.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_below_the_minimum_rate_is_cut_off_and_a_normal_message_is_not() {
    let h = Harness::start(|c| {
        c.idle_timeout_secs = 60;
        c.min_data_rate = 1000;
        c.data_rate_window_secs = 1;
    })
    .await;
    let addr = h.addr;
    let (fast, slow) = tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")
            .expect("write");
        for _ in 0..4 {
            read_reply(&mut r);
        }
        let body = "Subject: fast\r\n\r\n".to_string() + &"x".repeat(200_000) + "\r\n.\r\n";
        s.write_all(body.as_bytes()).expect("write");
        let fast = read_reply(&mut r);
        s.write_all(b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")
            .expect("write");
        for _ in 0..3 {
            read_reply(&mut r);
        }
        // 10 bytes every 300 ms: ~33 bytes/s, far under 1000.
        for _ in 0..30 {
            if s.write_all(b"slow-data ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        (fast, read_reply(&mut r) + &read_rest(&mut r))
    })
    .await
    .expect("join");
    assert!(
        fast.starts_with("250 "),
        "a normal message is accepted: {fast:?}"
    );
    assert!(
        slow.starts_with("421 4.4.2") && slow.contains("too slowly"),
        "a trickle of DATA is cut off with 421 4.4.2: {slow:?}"
    );
    h.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_cannot_take_every_slot() {
    let h = Harness::start(|c| {
        c.max_connections = 4;
        c.max_connections_per_client = 2;
    })
    .await;
    let addr = h.addr;
    let (third, after_close) = tokio::task::spawn_blocking(move || {
        let (_a, mut ra) = connect(addr);
        assert!(read_reply(&mut ra).starts_with("220 "), "first greeted");
        let (b, mut rb) = connect(addr);
        assert!(read_reply(&mut rb).starts_with("220 "), "second greeted");
        let (_c, mut rc) = connect(addr);
        let third = read_reply(&mut rc);
        drop(rb);
        drop(b);
        let after_close = greeted_within(addr, Duration::from_secs(5));
        (third, after_close)
    })
    .await
    .expect("join");
    assert!(
        third.starts_with("421 4.7.0") && third.contains("from your address"),
        "the third connection from one address is refused with a clear 421: {third:?}"
    );
    assert!(
        after_close.is_some(),
        "a closed connection gives its slot back"
    );
    h.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_answered_ever_later_and_then_the_connection_is_closed() {
    let h = Harness::start(|c| {
        c.auth_mode = AuthMode::Users;
        c.auth_users = vec![AuthUser {
            username: "alice".into(),
            password: "right".into(),
        }];
        c.auth_max_failures = 3;
    })
    .await;
    let addr = h.addr;
    let (replies, took, other) = tokio::task::spawn_blocking(move || {
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO guesser\r\n").expect("write");
        read_reply(&mut r);
        let start = Instant::now();
        let mut replies = Vec::new();
        let mut other = None;
        for i in 0..10 {
            // "\0alice\0wrong<i>" in base64, one guess per line.
            let creds = format!("\0alice\0wrong{i}");
            let b64 = base64_encode(creds.as_bytes());
            if s.write_all(format!("AUTH PLAIN {b64}\r\n").as_bytes())
                .is_err()
            {
                break;
            }
            if i == 1 {
                // While this connection waits out its delay, another one is served at once.
                let t = Instant::now();
                let (_o, mut ro) = connect(addr);
                let greeting = read_reply(&mut ro);
                other = Some((greeting, t.elapsed()));
            }
            let reply = read_reply(&mut r);
            if reply.is_empty() {
                break;
            }
            let closed = reply.starts_with("421");
            replies.push(reply);
            if closed {
                break;
            }
        }
        (replies, start.elapsed(), other)
    })
    .await
    .expect("join");
    let codes: Vec<&str> = replies.iter().map(|r| &r[..9.min(r.len())]).collect();
    assert_eq!(
        codes,
        ["535 5.7.8", "535 5.7.8", "535 5.7.8", "421 4.7.0"],
        "three failures, then 421 and a close: {replies:?}"
    );
    assert!(
        took >= Duration::from_millis(1700),
        "the failures were answered after 250 + 500 + 1000 ms of delay, not at once ({took:?})"
    );
    let (greeting, greeted_in) = other.expect("the other client connected");
    assert!(
        greeting.starts_with("220 ") && greeted_in < Duration::from_secs(2),
        "another client is not held up by the delay: {greeting:?} after {greeted_in:?}"
    );
    h.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_pipelined_in_one_burst_still_count_against_the_address() {
    let h = Harness::start(|c| {
        c.auth_mode = AuthMode::Users;
        c.auth_users = vec![AuthUser {
            username: "alice".into(),
            password: "right".into(),
        }];
        c.auth_max_failures = 3;
    })
    .await;
    let addr = h.addr;
    let second = tokio::task::spawn_blocking(move || {
        // Every guess in one write: the session handles them all in one pass and closes.
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        let mut burst = String::from("EHLO burst\r\n");
        for i in 0..3 {
            let b64 = base64_encode(format!("\0alice\0wrong{i}").as_bytes());
            burst.push_str(&format!("AUTH PLAIN {b64}\r\n"));
        }
        s.write_all(burst.as_bytes()).expect("write");
        let rest = read_rest(&mut r);
        assert!(
            rest.contains("421 4.7.0"),
            "the burst ends in 421: {rest:?}"
        );
        // A new connection from the same address: its first failure is not a fresh 250 ms.
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO again\r\n").expect("write");
        read_reply(&mut r);
        let b64 = base64_encode(b"\0alice\0wrong-again");
        let t = Instant::now();
        s.write_all(format!("AUTH PLAIN {b64}\r\n").as_bytes())
            .expect("write");
        let reply = read_reply(&mut r);
        (reply, t.elapsed())
    })
    .await
    .expect("join");
    let (reply, waited) = second;
    assert!(
        reply.starts_with("535") || reply.starts_with("421"),
        "{reply:?}"
    );
    assert!(
        waited >= Duration::from_millis(1500),
        "the address's earlier failures (sent in one burst) count: waited only {waited:?}"
    );
    h.engine.shutdown().await;
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_stalled_sessions_at_once_and_commits_what_was_handed_over() {
    let h = Harness::start(|c| {
        c.smtps_addr = Some("127.0.0.1:0".into());
        c.idle_timeout_secs = 60;
    })
    .await;
    let (addr, smtps) = (h.addr, h.smtps.expect("SMTPS bound"));
    let held = tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        // A silent SMTPS handshake.
        held.push(TcpStream::connect(smtps).expect("connect smtps"));
        // A STARTTLS that never handshakes.
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO a\r\nSTARTTLS\r\n").expect("write");
        read_reply(&mut r);
        read_reply(&mut r);
        held.push(s);
        // A half-sent command line.
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"MAIL FROM:<half").expect("write");
        held.push(s);
        // A message half through DATA.
        let (mut s, mut r) = connect(addr);
        read_reply(&mut r);
        s.write_all(b"EHLO b\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: half\r\n")
            .expect("write");
        for _ in 0..4 {
            read_reply(&mut r);
        }
        held.push(s);
        held
    })
    .await
    .expect("join");
    let start = Instant::now();
    h.engine.shutdown().await;
    let took = start.elapsed();
    drop(held);
    assert!(
        took < Duration::from_secs(3),
        "shutdown with four stalled sessions finished in {took:?}, not after the 60 s idle timeout"
    );
}
