//! What the CLI's integration tests share: a real `pigeonhole serve` in a child process.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_pigeonhole");

/// A running `pigeonhole serve`; killed (SIGKILL) and reaped on drop so a failing test leaves nothing behind.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The HTTP API's address.
    pub http: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--smtp",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--no-starttls",
                "--data-dir",
            ])
            .arg(data_dir)
            .env("PIGEONHOLE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning pigeonhole serve");
        let stderr = child.stderr.take().expect("serve's stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<(SocketAddr, SocketAddr)>();
        {
            let log = log.clone();
            // Keep draining stderr for the server's whole life so it never blocks on a full pipe.
            thread::spawn(move || {
                let mut smtp = None;
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.split("capturing on smtp://").nth(1) {
                        let addr = rest.split_whitespace().next().unwrap_or_default();
                        smtp = addr.parse().ok();
                    }
                    // Printed after the SMTP line, once the API listens too.
                    if let Some(rest) = line.split("API on http://").nth(1) {
                        let http = rest.split_whitespace().next().unwrap_or_default();
                        if let (Some(smtp), Ok(http)) = (smtp, http.parse()) {
                            let _ = tx.send((smtp, http));
                        }
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok((addr, http)) => Server {
                child,
                addr,
                http,
                log,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = log.lock().unwrap().clone();
                panic!("pigeonhole serve did not print its listening addresses within 15 s; stderr:\n{log}");
            }
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: no shutdown path, no final checkpoint, whatever was in flight is cut off.
    pub fn kill_9(&mut self) {
        self.child
            .kill()
            .expect("sending SIGKILL to pigeonhole serve");
        self.child.wait().expect("reaping the killed server");
    }
}

impl Server {
    /// SIGTERM, the way a service manager stops it, and waits (at most 20 s) for the exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("running kill");
        assert!(sent.success(), "sending SIGTERM to pigeonhole serve");
        wait_exit(&mut self.child, Duration::from_secs(20)).unwrap_or_else(|| {
            panic!(
                "pigeonhole serve did not exit within 20 s of SIGTERM; stderr:\n{}",
                self.log()
            )
        })
    }
}

/// Waits for `child` to exit, at most `limit`; `None` (and the child killed) if it did not.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends messages over one SMTP session; each is (rcpt, raw message).
pub fn send(server: &Server, messages: &[(&str, String)]) {
    let stream = TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    let reply = |r: &mut BufReader<TcpStream>| loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("reply");
        if line.len() < 4 || line.as_bytes()[3] == b' ' {
            return line;
        }
    };
    reply(&mut r);
    w.write_all(b"EHLO cli-test\r\n").unwrap();
    reply(&mut r);
    for (rcpt, raw) in messages {
        w.write_all(format!("MAIL FROM:<app@test>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n").as_bytes())
            .unwrap();
        for _ in 0..3 {
            reply(&mut r);
        }
        w.write_all(raw.as_bytes()).unwrap();
        w.write_all(b"\r\n.\r\n").unwrap();
        let done = reply(&mut r);
        assert!(done.starts_with("250"), "accepted: {done}");
    }
    w.write_all(b"QUIT\r\n").unwrap();
}

/// Runs a read or edit command (`list`, `count`, `get`, …) on `dir`.
pub fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("runs")
}
