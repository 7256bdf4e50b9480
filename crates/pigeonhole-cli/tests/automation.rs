//! The CLI for shell CI: `serve --print-ports`, `wait` against a running server's API
//! (exit 0 found, 1 not, 2 error) and `get --links | --codes`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{cli, Server, BIN};

fn send(server: &Server, rcpt: &str, raw: &str) {
    common::send(server, &[(rcpt, raw.to_string())]);
}

fn wait(server: &Server, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("wait")
        .args(args)
        .arg("--api")
        .arg(format!("http://{}", server.http))
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

const SIGNUP: &str = "From: Shop <shop@example.test>\r\nTo: ann@example.test\r\nSubject: Confirm your account\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Your verification code is <b>482913</b>.</p><p><a href=\"https://shop.example.test/confirm?t=abc&amp;u=1\">Confirm email</a></p>";

#[test]
fn wait_answers_found_timeout_none_and_error_by_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    // Started before the mail is sent: the wait must see it arrive.
    let waiter = {
        let api = format!("http://{}", server.http);
        std::thread::spawn(move || {
            Command::new(BIN)
                .args([
                    "wait",
                    "--query",
                    "subject:confirm",
                    "--timeout",
                    "10s",
                    "--json",
                    "--api",
                    &api,
                ])
                .output()
                .expect("runs")
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    send(&server, "ann@example.test", SIGNUP);
    let out = waiter.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "answered soon after the mail came"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["outcome"], "found");
    assert_eq!(json["messages"][0]["subject"], "Confirm your account");

    let out = wait(
        &server,
        &["--query", "subject:nothing-like-this", "--timeout", "300ms"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "timeout is exit 1: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("timed out"),
        "{}",
        text(&out)
    );

    let out = wait(
        &server,
        &[
            "--query",
            "subject:nothing-like-this",
            "--count",
            "0",
            "--timeout",
            "300ms",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "none expected, none came: {}",
        text(&out)
    );
    let out = wait(
        &server,
        &[
            "--query",
            "subject:confirm",
            "--count",
            "0",
            "--timeout",
            "5s",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "one came though none was expected: {}",
        text(&out)
    );

    let out = wait(&server, &["--query", "subject:\"unterminated"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad query is an error: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("400"),
        "{}",
        text(&out)
    );
    let out = wait(&server, &["--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn wait_without_a_server_is_exit_2_with_a_reason() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = Command::new(BIN)
        .args([
            "wait",
            "--api",
            &format!("http://{free}"),
            "--timeout",
            "1s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach the API"),
        "{}",
        text(&out)
    );
}

#[test]
fn get_prints_links_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    send(&server, "ann@example.test", SIGNUP);
    let out = cli(dir.path(), &["get", "latest", "--links"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "https://shop.example.test/confirm?t=abc&u=1\tConfirm email\n"
    );
    let out = cli(dir.path(), &["get", "1", "--codes", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let codes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codes[0]["code"], "482913");
    let out = cli(dir.path(), &["get", "99", "--codes"]);
    assert_eq!(out.status.code(), Some(2), "an unknown id: {}", text(&out));
    let out = cli(dir.path(), &["get", "1"]);
    assert!(!out.status.success(), "--links or --codes is required");
    drop(server);
}

#[test]
fn serve_prints_its_ports_as_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--print-ports",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("PIGEONHOLE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ports: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    let smtp: std::net::SocketAddr = ports["smtp"].as_str().unwrap().parse().unwrap();
    let http: std::net::SocketAddr = ports["http"].as_str().unwrap().parse().unwrap();
    assert!(smtp.port() != 0 && http.port() != 0, "real ports: {line}");
    // Both are listening when the line is printed.
    TcpStream::connect(smtp).expect("SMTP listens");
    let mut api = TcpStream::connect(http).expect("the API listens");
    api.write_all(b"GET /livez HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    BufReader::new(api).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_refuses_an_open_api_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--http",
            "0.0.0.0:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("api_token"),
        "the reason names the setting: {err}"
    );
}
