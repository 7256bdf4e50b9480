//! The store's health seen from the binary: the WAL after SIGTERM, a damaged store at start,
//! a read-only data dir, and `pigeonhole doctor`.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{cli, send, wait_exit, Server, BIN};

const DB: &str = "pigeonhole.sqlite3";

fn wal_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join(format!("{DB}-wal")))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// `count` messages of about 8 KiB, sent by pipelining clients, then SIGTERM.
fn store_with_mail(dir: &Path, count: usize) {
    let mut server = Server::start(dir);
    let body: String = "a line of a message body that fills the store\r\n".repeat(170);
    let messages: Vec<(&str, String)> = (0..count)
        .map(|n| {
            (
                "dev@example.com",
                format!("Subject: message {n}\r\n\r\n{body}"),
            )
        })
        .collect();
    for chunk in messages.chunks(50) {
        send(&server, chunk);
    }
    let status = server.terminate();
    assert!(status.success(), "serve exits 0 on SIGTERM: {status:?}");
}

#[test]
fn after_sigterm_right_after_pipelining_clients_the_wal_is_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    store_with_mail(dir.path(), 300);
    assert_eq!(
        wal_len(dir.path()),
        0,
        "shutdown must checkpoint everything into the database file"
    );
    let out = cli(dir.path(), &["count"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("300"),
        "every message is in the store: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Writes `len` bytes of garbage over the middle one of `count` stored messages.
fn corrupt_middle(db: &Path, count: usize, len: usize) {
    let size = std::fs::metadata(db).expect("db").len();
    assert!(
        size > 4 * len as u64,
        "the store ({size} bytes) is much larger than the damage"
    );
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(db)
        .expect("db");
    // At the raw bytes of the middle message, not the file's middle: where the search
    // index falls between the messages depends on how commits were batched (the machine's
    // load), and garbage in derived data alone costs no message.
    let file = std::fs::read(db).expect("read db");
    let mark = format!("Subject: message {}\r\n", count / 2).into_bytes();
    let at = file
        .windows(mark.len())
        .position(|w| w == mark.as_slice())
        .expect("the middle message is in the file") as u64;
    f.seek(SeekFrom::Start(at.saturating_sub(len as u64 / 2)))
        .expect("seek");
    let mut junk = vec![0u8; len];
    let mut x: u32 = 0x2545_f491;
    for b in junk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    f.write_all(&junk).expect("garbage");
    f.sync_all().expect("sync");
}

fn kept_copies(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.contains(".damaged-") && !n.ends_with("-wal") && !n.ends_with("-shm")
        })
        .collect()
}

/// Runs `serve` on `dir`, which is expected to refuse; answers (exit code, stderr).
fn serve_refuses(dir: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--smtp",
            "127.0.0.1:0",
            "--no-http",
            "--no-starttls",
            "--data-dir",
        ])
        .arg(dir)
        .env("PIGEONHOLE_LOG", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let status = wait_exit(&mut child, Duration::from_secs(30))
        .expect("serve must refuse and exit, not start");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    (status.code(), err)
}

#[test]
fn serve_refuses_a_damaged_store_and_the_doctor_recovers_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    store_with_mail(dir.path(), 400);
    let db = dir.path().join(DB);
    corrupt_middle(&db, 400, 256 * 1024);

    let (code, err) = serve_refuses(dir.path());
    assert_eq!(code, Some(1), "serve exits 1 on a damaged store: {err}");
    assert!(
        err.contains(&db.display().to_string())
            && err.contains("pigeonhole doctor --data-dir")
            && err.contains("--recover"),
        "the message names the file and how to recover: {err}"
    );

    let out = cli(dir.path(), &["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "doctor exits 1 on a damaged store: {report}"
    );
    assert!(
        report.contains("FAIL") && report.contains("integrity"),
        "the report says what failed: {report}"
    );

    let out = cli(dir.path(), &["doctor", "--recover", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "recovery succeeds: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let recovered = r["recovered"].as_u64().expect("recovered count");
    assert!(
        (280..400).contains(&recovered),
        "most messages come back: {r}"
    );
    assert_eq!(
        kept_copies(dir.path()).len(),
        1,
        "the damaged original is kept"
    );
    assert!(
        Path::new(r["kept"].as_str().expect("kept path")).is_file(),
        "the report names the kept copy: {r}"
    );

    let out = cli(dir.path(), &["doctor"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the recovered store is healthy: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut server = Server::start(dir.path());
    let out = cli(dir.path(), &["count"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&recovered.to_string()),
        "serve starts on the recovered store and counts what came back"
    );
    server.terminate();
}

#[test]
fn doctor_reports_a_healthy_store_as_json_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    store_with_mail(dir.path(), 5);
    let out = cli(dir.path(), &["doctor", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(r["healthy"], true);
    assert_eq!(r["messages"], 5, "the report counts the messages: {r}");
    let names: Vec<&str> = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["integrity", "schema", "counts", "wal", "permissions"]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn serve_on_a_read_only_data_dir_exits_1_naming_it() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("data");
    store_with_mail(&dir, 2);
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    // Root is not stopped by file modes: a read-only bind mount it is.
    struct Undo(PathBuf, bool);
    impl Drop for Undo {
        fn drop(&mut self) {
            if self.1 {
                let _ = Command::new("umount").arg(&self.0).status();
            } else {
                let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
    let _undo = if root {
        let ok = |c: &mut Command| c.status().map(|s| s.success()).unwrap_or(false);
        assert!(
            ok(Command::new("mount").arg("--bind").arg(&dir).arg(&dir)),
            "bind mount"
        );
        let undo = Undo(dir.clone(), true);
        assert!(
            ok(Command::new("mount")
                .args(["-o", "remount,ro,bind"])
                .arg(&dir)),
            "read-only remount"
        );
        undo
    } else {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        Undo(dir.clone(), false)
    };
    let (code, err) = serve_refuses(&dir);
    assert_eq!(code, Some(1), "serve exits 1: {err}");
    assert!(
        err.contains("not writable") && err.contains(&dir.display().to_string()),
        "the reason names the data dir: {err}"
    );
    assert!(!err.contains("panicked"), "no panic: {err}");
}
