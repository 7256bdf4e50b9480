//! `pigeonhole release`: the message goes byte for byte to another `pigeonhole serve`,
//! the server's reply is printed as sent, the exit code says how it went (0 taken, 1
//! refused or not allowed, 2 no such message), and every attempt is recorded with the
//! message beside the running server.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};

use common::{cli, send, Server, BIN};

const MESSAGE: &str =
    "From: app@example.test\r\nTo: ann@example.test\r\nSubject: release me\r\n\r\n\
..dotted line (stuffed: stored with one dot)\r\nbare\nLF and caf\u{e9}\r\nend";

fn release(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("release")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("PIGEONHOLE_RELEASE_SERVER")
        .env_remove("PIGEONHOLE_RELEASE_TLS")
        .env_remove("PIGEONHOLE_RELEASE_USER")
        .env_remove("PIGEONHOLE_RELEASE_PASSWORD")
        .env_remove("PIGEONHOLE_RELEASE_ALLOWED_DOMAINS")
        .env_remove("PIGEONHOLE_CONFIG")
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The newest message's id in a data dir.
fn latest_id(dir: &std::path::Path) -> i64 {
    let out = cli(dir, &["list", "--json", "--limit", "1"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    list[0]["id"].as_i64().expect("a message")
}

#[test]
fn a_release_prints_the_reply_and_the_bytes_arrive_unchanged() {
    let capture_dir = tempfile::tempdir().unwrap();
    let remote_dir = tempfile::tempdir().unwrap();
    let capture = Server::start(capture_dir.path());
    let remote = Server::start(remote_dir.path());
    send(&capture, &[("ann@example.test", MESSAGE.to_string())]);
    let id = latest_id(capture_dir.path()).to_string();
    let server = remote.addr.to_string();

    let out = release(
        capture_dir.path(),
        &[
            &id,
            "--server",
            &server,
            "--tls",
            "none",
            "--allow",
            "example.test",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).starts_with("250 2.0.0 Ok: queued as "),
        "the remote's reply as sent: {}",
        text(&out)
    );
    assert!(
        stderr(&out).contains(&format!(
            "released message {id} to {server} for ann@example.test"
        )),
        "{}",
        text(&out)
    );
    let remote_id = latest_id(remote_dir.path()).to_string();
    let sent = cli(capture_dir.path(), &["show", &id, "--raw"]);
    let arrived = cli(remote_dir.path(), &["show", &remote_id, "--raw"]);
    assert!(
        sent.status.success() && !sent.stdout.is_empty(),
        "{}",
        text(&sent)
    );
    assert_eq!(arrived.stdout, sent.stdout, "byte for byte");

    // A config file's [release] section, and given recipients, with --json.
    let toml = capture_dir.path().join("release.toml");
    std::fs::write(
        &toml,
        format!(
            "[release]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nallowed_domains = [\"*.example.test\"]\n",
            remote.addr.port()
        ),
    )
    .unwrap();
    let toml = toml.to_str().unwrap();
    let out = release(
        capture_dir.path(),
        &[
            "latest",
            "--config",
            toml,
            "--to",
            "qa@team.example.test",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["code"], 250, "{r}");
    assert_eq!(r["recipients"], serde_json::json!(["qa@team.example.test"]));

    let show = cli(capture_dir.path(), &["show", &id, "--json"]);
    let detail: serde_json::Value = serde_json::from_slice(&show.stdout).expect("JSON");
    let recorded = detail["releases"]
        .as_array()
        .expect("releases in the detail");
    assert_eq!(recorded.len(), 2, "both releases are recorded: {detail}");
    assert_eq!(
        recorded[0]["recipients"][0], "qa@team.example.test",
        "newest first"
    );
    drop(capture);
}

#[test]
fn a_release_that_is_not_allowed_or_not_found_exits_non_zero_with_the_reason() {
    let capture_dir = tempfile::tempdir().unwrap();
    let capture = Server::start(capture_dir.path());
    send(&capture, &[("ann@example.test", MESSAGE.to_string())]);
    let id = latest_id(capture_dir.path()).to_string();
    let quiet = TcpListener::bind("127.0.0.1:0").unwrap();
    quiet.set_nonblocking(true).unwrap();
    let server = quiet.local_addr().unwrap().to_string();

    let out = release(
        capture_dir.path(),
        &[&id, "--server", &server, "--tls", "none"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("release.allowed_domains is empty")
            && stderr(&out).contains("\"example.test\""),
        "says how to allow it: {}",
        text(&out)
    );
    assert!(stdout(&out).is_empty(), "no reply to print: {}", text(&out));
    let out = release(
        capture_dir.path(),
        &[
            &id,
            "--server",
            &server,
            "--tls",
            "none",
            "--allow",
            "other.test",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("ann@example.test")
            && stderr(&out).contains("add \"example.test\" to release.allowed_domains"),
        "{}",
        text(&out)
    );
    assert!(
        matches!(quiet.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing connected"
    );

    let out = release(
        capture_dir.path(),
        &["9999", "--server", &server, "--allow", "example.test"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("no message with id 9999"),
        "{}",
        text(&out)
    );

    let out = release(capture_dir.path(), &[&id, "--allow", "example.test"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("release.host"),
        "no server: {}",
        text(&out)
    );
    drop(capture);
}

/// One connection of a server that refuses every RCPT with 550 5.1.1. (`serve` with fault
/// rules can stand in once they exist.)
fn refusing_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((stream, _)) = l.accept() else { return };
        let mut w = stream.try_clone().unwrap();
        let r = BufReader::new(stream);
        let _ = w.write_all(b"220 strict.test ESMTP\r\n");
        for line in r.lines() {
            let Ok(line) = line else { return };
            let reply: &[u8] = match line.get(..4).map(|c| c.to_ascii_uppercase()).as_deref() {
                Some("EHLO") => b"250-strict.test\r\n250 8BITMIME\r\n",
                Some("RCPT") => b"550 5.1.1 <ann@example.test>: Recipient address rejected\r\n",
                Some("QUIT") => b"221 2.0.0 Bye\r\n",
                _ => b"250 2.0.0 Ok\r\n",
            };
            if w.write_all(reply).is_err() {
                return;
            }
        }
    });
    addr
}

#[test]
fn a_remote_refusal_is_printed_as_sent_and_exits_1() {
    let capture_dir = tempfile::tempdir().unwrap();
    let capture = Server::start(capture_dir.path());
    send(&capture, &[("ann@example.test", MESSAGE.to_string())]);
    let id = latest_id(capture_dir.path()).to_string();
    let server = refusing_server().to_string();
    let out = release(
        capture_dir.path(),
        &[
            &id,
            "--server",
            &server,
            "--tls",
            "none",
            "--allow",
            "example.test",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        stdout(&out),
        "550 5.1.1 <ann@example.test>: Recipient address rejected\n",
        "the reply, as the server sent it"
    );
    assert!(
        stderr(&out).contains(&format!(
            "release of message {id}: {server} refused at RCPT TO:<ann@example.test>: 550 5.1.1"
        )),
        "{}",
        text(&out)
    );
    let show = cli(capture_dir.path(), &["show", &id, "--json"]);
    let detail: serde_json::Value = serde_json::from_slice(&show.stdout).expect("JSON");
    assert_eq!(detail["releases"][0]["code"], 550, "recorded: {detail}");
    assert_eq!(detail["releases"][0]["stage"], "rcpt");
    drop(capture);
}
