//! `pigeonhole serve --data-dir D` runs with the settings the window saved in D, and
//! `PIGEONHOLE_*` variables and flags still override them; a setting core refuses stops it
//! with the file and the field named.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_pigeonhole");

/// A running `pigeonhole serve`, killed and reaped on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PIGEONHOLE_HOSTNAME")
        .env_remove("PIGEONHOLE_SMTP")
        // Parallel servers must not race for the API's default port.
        .env("PIGEONHOLE_HTTP", "127.0.0.1:0")
        .env("PIGEONHOLE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Starts the server and returns it with the address it says it captures on and what it
/// printed before that.
fn start(mut cmd: Command) -> (Server, SocketAddr, String) {
    let mut child = cmd.spawn().expect("spawning pigeonhole serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel::<(SocketAddr, String)>();
    thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("capturing on smtp://").nth(1) {
                if let Ok(addr) = rest.split_whitespace().next().unwrap_or("").parse() {
                    let _ = tx.send((addr, seen.clone()));
                }
            }
        }
    });
    let server = Server(child);
    let (addr, log) = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("serve reports its address within 15 s");
    (server, addr, log)
}

fn greeting(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).expect("read greeting");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn save_window_settings(dir: &Path, engine: &str) {
    std::fs::write(
        dir.join("settings.json"),
        format!(r#"{{"engine": {engine}, "ui": {{"theme": "dark", "notifications": false}}}}"#),
    )
    .expect("write settings.json");
}

#[test]
fn serve_uses_the_settings_the_window_saved_in_its_data_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    save_window_settings(
        dir.path(),
        r#"{"smtp_addr": "127.0.0.1:0", "hostname": "saved.test", "starttls": false}"#,
    );
    let (_server, addr, log) = start(serve(dir.path(), &[], &[]));
    assert!(
        greeting(addr).starts_with("220 saved.test "),
        "the greeting uses the saved host name"
    );
    assert!(
        log.contains("settings.json"),
        "serve says where its settings came from: {log}"
    );
}

#[test]
fn environment_and_flags_override_the_saved_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    save_window_settings(
        dir.path(),
        r#"{"smtp_addr": "127.0.0.1:0", "hostname": "saved.test"}"#,
    );
    {
        let (_server, addr, _) = start(serve(
            dir.path(),
            &[],
            &[("PIGEONHOLE_HOSTNAME", "env.test")],
        ));
        assert!(
            greeting(addr).starts_with("220 env.test "),
            "PIGEONHOLE_HOSTNAME beats the saved settings"
        );
    }
    let (_server, addr, _) = start(serve(
        dir.path(),
        &["--hostname", "flag.test"],
        &[("PIGEONHOLE_HOSTNAME", "env.test")],
    ));
    assert!(
        greeting(addr).starts_with("220 flag.test "),
        "a flag beats the environment"
    );
    let saved = std::fs::read_to_string(dir.path().join("settings.json")).expect("still there");
    assert!(
        saved.contains("saved.test") && saved.contains("dark"),
        "serve never rewrites what the window saved: {saved}"
    );
}

#[test]
fn a_saved_setting_core_refuses_stops_serve_with_file_and_field_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    save_window_settings(dir.path(), r#"{"max_line_length": 78}"#);
    let out = serve(dir.path(), &["--smtp", "127.0.0.1:0"], &[])
        .output()
        .expect("run serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve must not start: {err}");
    assert!(
        err.contains("settings.json") && err.contains("max_line_length") && err.contains("512"),
        "the reason names the file, the field and the bound: {err}"
    );
}

#[test]
fn a_message_that_does_not_exist_exits_2_with_a_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        // Create the store.
        let (_server, _, _) = start(serve(dir.path(), &["--smtp", "127.0.0.1:0"], &[]));
    }
    let out = Command::new(BIN)
        .args(["show", "424242", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run show");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "not found is exit 2: {err}");
    assert!(
        err.contains("no message with id 424242"),
        "the reason is printed: {err}"
    );
}
