//! SIGTERM with stalled clients: the real binary must close every session (a silent SMTPS
//! handshake, a STARTTLS that never handshakes, a half-sent command line, a message half
//! through DATA) and exit 0 within a few seconds, keeping what it acknowledged.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cli, BIN};

/// Pulls `"key":"addr"` out of the `--print-ports` JSON line.
fn field(line: &str, key: &str) -> SocketAddr {
    let pat = format!("\"{key}\":\"");
    let start = line.find(&pat).unwrap_or_else(|| panic!("{key} in {line}")) + pat.len();
    let end = start + line[start..].find('"').expect("closing quote");
    line[start..end].parse().expect("an address")
}

fn reply(r: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return all;
        }
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] == b' ' {
            return all;
        }
    }
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let r = BufReader::new(s.try_clone().expect("clone"));
    (s, r)
}

#[test]
fn sigterm_with_stalled_clients_exits_within_seconds_with_status_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--smtps",
            "127.0.0.1:0",
            "--no-http",
            "--idle-timeout",
            "60",
            "--print-ports",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("PIGEONHOLE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning pigeonhole serve");
    let mut ports = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut ports)
        .expect("the ports line");
    let (smtp, smtps) = (field(&ports, "smtp"), field(&ports, "smtps"));

    let mut held = Vec::new();
    // One message acknowledged before anything stalls: it must survive the shutdown.
    let (mut s, mut r) = connect(smtp);
    reply(&mut r);
    s.write_all(b"EHLO ok\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<kept@e.f>\r\nDATA\r\n")
        .expect("write");
    for _ in 0..4 {
        reply(&mut r);
    }
    s.write_all(b"Subject: kept\r\n\r\nhello\r\n.\r\n")
        .expect("write");
    assert!(
        reply(&mut r).starts_with("250 "),
        "the message is acknowledged"
    );
    held.push(s);
    // Two SMTPS connections that never send a ClientHello.
    for _ in 0..2 {
        held.push(TcpStream::connect(smtps).expect("connect smtps"));
    }
    // A STARTTLS that never handshakes.
    let (mut s, mut r) = connect(smtp);
    reply(&mut r);
    s.write_all(b"EHLO a\r\n").expect("write");
    reply(&mut r);
    s.write_all(b"STARTTLS\r\n").expect("write");
    assert!(reply(&mut r).starts_with("220 "), "STARTTLS accepted");
    held.push(s);
    // A slowloris: half a command line.
    let (mut s, mut r) = connect(smtp);
    reply(&mut r);
    s.write_all(b"MAIL FROM:<slo").expect("write");
    held.push(s);
    // A message half through DATA.
    let (mut s, mut r) = connect(smtp);
    reply(&mut r);
    s.write_all(b"EHLO b\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<half@e.f>\r\nDATA\r\n")
        .expect("write");
    for _ in 0..4 {
        reply(&mut r);
    }
    s.write_all(b"Subject: half\r\n\r\nnot fini")
        .expect("write");
    held.push(s);
    std::thread::sleep(Duration::from_millis(300));

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(term.success(), "SIGTERM sent");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the server") {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(8) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(held);
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("pigeonhole serve was still running 8 s after SIGTERM with stalled clients");
    };
    let took = start.elapsed();
    assert!(
        status.success(),
        "the server exits with status 0 after SIGTERM: {status}"
    );
    assert!(
        took < Duration::from_secs(4),
        "exited {took:?} after SIGTERM; every stalled session should close within a second or two"
    );
    let list = cli(dir.path(), &["list", "--json"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("kept@e.f") && !text.contains("half@e.f"),
        "the acknowledged message is kept and the half-sent one was never stored: {text}"
    );
}
