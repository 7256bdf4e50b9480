//! Crash safety: a 250 after DATA is a promise. Kill the server with SIGKILL while clients
//! are mid-flight, restart it on the same data directory, and check that every message that
//! was acknowledged is still there.
//!
//! The clients speak raw SMTP over std's TcpStream, only to 127.0.0.1, and every loop is
//! bounded by a count and a deadline.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{Server, BIN};

/// Client threads sending at once.
const CLIENTS: usize = 8;
/// Load runs at least this long before the kill (unless `MAX_ACKS` comes first)...
const MIN_LOAD: Duration = Duration::from_secs(1);
/// ...and the kill comes after this many acknowledgements at most, which keeps the check
/// (one `pigeonhole list` of everything) quick.
const MAX_ACKS: usize = 3_000;
/// No load phase lasts longer than this, whatever the acknowledgement count.
const MAX_LOAD: Duration = Duration::from_secs(8);
/// Hard cap on messages per client thread.
const MAX_PER_CLIENT: usize = 2_000;
/// Socket reads and writes give up after this, so a wedged server fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A minimal blocking SMTP client: enough to send plain messages and read replies.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let mut c = Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        c.expect("greeting", "220")?;
        c.send("EHLO crash-test.localhost\r\n")?;
        c.expect("EHLO", "250")?;
        Ok(c)
    }

    fn send(&mut self, s: &str) -> std::io::Result<()> {
        self.writer.write_all(s.as_bytes())
    }

    /// Reads one (possibly multi-line) reply and returns its final line.
    fn reply(&mut self) -> std::io::Result<String> {
        for _ in 0..100 {
            let mut line = String::new();
            // Bounded read: a reply line is short; anything endless is a broken server.
            let n = (&mut self.reader).take(4096).read_line(&mut line)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
            // "250-..." continues a multi-line reply; "250 ..." (or a bare code) ends it.
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(line);
            }
        }
        Err(std::io::Error::other("reply longer than 100 lines"))
    }

    fn expect(&mut self, what: &str, code: &str) -> std::io::Result<String> {
        let line = self.reply()?;
        if line.starts_with(code) {
            Ok(line)
        } else {
            Err(std::io::Error::other(format!(
                "{what}: expected {code}, got {line:?}"
            )))
        }
    }

    /// Sends one message; Ok(true) only if the reply to the final "." was a 250.
    fn send_message(&mut self, token: &str) -> std::io::Result<bool> {
        self.send("MAIL FROM:<sender@crash.test>\r\n")?;
        self.expect("MAIL", "250")?;
        self.send("RCPT TO:<inbox@crash.test>\r\n")?;
        self.expect("RCPT", "250")?;
        self.send("DATA\r\n")?;
        self.expect("DATA", "354")?;
        let mut body = format!(
            "From: Sender <sender@crash.test>\r\nTo: inbox@crash.test\r\nSubject: {token}\r\n\
             Message-ID: <{token}@crash.test>\r\n\r\nBody of {token}.\r\n"
        );
        // Some bulk so a commit takes real work and the kill lands mid-write more often.
        for i in 0..16 {
            body.push_str(&format!(
                "line {i:02} of filler text for {token}, long enough to matter\r\n"
            ));
        }
        body.push_str(".\r\n");
        self.send(&body)?;
        Ok(self.reply()?.starts_with("250"))
    }
}

/// One load thread: sends messages until the connection breaks, the count or deadline runs out,
/// or `stop` is set. Returns the tokens that were acknowledged with a 250.
fn client_loop(
    addr: SocketAddr,
    id: usize,
    deadline: Instant,
    stop: Arc<AtomicBool>,
    acks: Arc<AtomicUsize>,
) -> Vec<String> {
    let mut acked = Vec::new();
    let Ok(mut client) = Client::connect(addr) else {
        return acked;
    };
    for n in 0..MAX_PER_CLIENT {
        if Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
            break;
        }
        let token = format!("crash-c{id}-m{n}");
        match client.send_message(&token) {
            Ok(true) => {
                acked.push(token);
                acks.fetch_add(1, Ordering::Relaxed);
            }
            // A refusal is allowed (nothing was promised); a broken connection ends the loop,
            // which is what the kill does to every client.
            Ok(false) => {}
            Err(_) => break,
        }
    }
    acked
}

#[derive(serde::Deserialize)]
struct Listed {
    id: i64,
    subject: String,
}

fn list(data_dir: &Path) -> Vec<Listed> {
    let out = Command::new(BIN)
        .args(["list", "--json", "--limit", "100000", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("running pigeonhole list");
    assert!(
        out.status.success(),
        "pigeonhole list failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "pigeonhole list printed invalid JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn show_raw(data_dir: &Path, id: i64) -> Vec<u8> {
    let out = Command::new(BIN)
        .args(["show", &id.to_string(), "--raw", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("running pigeonhole show");
    assert!(
        out.status.success(),
        "pigeonhole show {id} --raw failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().expect("creating a temporary data directory");
    let data_dir = dir.path().join("data");

    // Load: CLIENTS threads sending as fast as they can.
    let mut server = Server::start(&data_dir);
    let addr = server.addr;
    assert!(
        addr.ip().is_loopback(),
        "the server must listen on loopback only, got {addr}"
    );
    let started = Instant::now();
    let deadline = started + MAX_LOAD + Duration::from_secs(2);
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let (stop, acks) = (stop.clone(), acks.clone());
            thread::spawn(move || client_loop(addr, id, deadline, stop, acks))
        })
        .collect();

    // Kill while the clients are still sending: after MIN_LOAD, or sooner at MAX_ACKS.
    loop {
        let elapsed = started.elapsed();
        let n = acks.load(Ordering::Relaxed);
        if (elapsed >= MIN_LOAD && n > 0) || n >= MAX_ACKS || elapsed >= MAX_LOAD {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let acks_before_kill = acks.load(Ordering::Relaxed);
    let load_time = started.elapsed();
    let log_before_kill = server.log();
    server.kill_9();
    // Clients still running see their connection break; stop any that somehow do not.
    stop.store(true, Ordering::Relaxed);
    let mut acked: Vec<String> = Vec::new();
    for c in clients {
        acked.extend(c.join().expect("a client thread panicked"));
    }
    drop(server);

    assert!(
        acks_before_kill > 0,
        "no message was acknowledged within {MAX_LOAD:?}, so the crash proved nothing; server stderr:\n{log_before_kill}"
    );
    assert!(
        acked.len() >= acks_before_kill,
        "clients reported {} acknowledged tokens but counted {acks_before_kill} acks before the kill",
        acked.len()
    );

    // Restart on the same data: it must open (recovering the WAL) and hold every acked message.
    let server = Server::start(&data_dir);
    let listed = list(&data_dir);
    assert!(
        listed.len() < 10_000,
        "pigeonhole list returned {} rows, at its cap, so the check below could miss messages; lower MAX_ACKS",
        listed.len()
    );
    let stored: HashSet<&str> = listed.iter().map(|m| m.subject.as_str()).collect();
    let missing: Vec<&String> = acked
        .iter()
        .filter(|t| !stored.contains(t.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages are missing after kill -9 and restart (first few: {:?}); {} messages stored",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)],
        listed.len()
    );
    eprintln!(
        "crash test: {} acknowledged before kill -9 after {:?}, {} stored after restart",
        acked.len(),
        load_time,
        listed.len()
    );
    let in_flight = listed.len() - acked.iter().filter(|t| stored.contains(t.as_str())).count();
    assert!(
        in_flight <= CLIENTS,
        "{in_flight} stored messages were never acknowledged, but at most one per client ({CLIENTS}) can be in flight"
    );

    // The stored bytes are the sent bytes, not a truncated or torn write.
    let last = acked.last().expect("at least one acked token");
    let row = listed
        .iter()
        .find(|m| &m.subject == last)
        .expect("the last acked message is listed");
    let raw = String::from_utf8(show_raw(&data_dir, row.id)).expect("stored message is UTF-8");
    assert!(
        raw.contains(&format!("Message-ID: <{last}@crash.test>"))
            && raw.contains(&format!("filler text for {last}")),
        "stored bytes of {last} (id {}) are not what was sent:\n{raw}",
        row.id
    );

    // The restarted server works: it takes a new message and stores it.
    let mut client = Client::connect(server.addr).expect("connecting to the restarted server");
    let ok = client
        .send_message("after-restart")
        .expect("sending to the restarted server");
    assert!(
        ok,
        "the restarted server did not answer 250 to a new message; stderr:\n{}",
        server.log()
    );
    let after = list(&data_dir);
    assert!(
        after.iter().any(|m| m.subject == "after-restart"),
        "the message sent after the restart is not listed ({} messages listed)",
        after.len()
    );
    assert_eq!(
        after.len(),
        listed.len() + 1,
        "the restart should add exactly the one new message"
    );
}
