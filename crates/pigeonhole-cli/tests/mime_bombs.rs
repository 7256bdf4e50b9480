//! MIME bombs over SMTP and `pigeonhole show`: 20 000 nested multiparts, 20 000 nested
//! forwarded messages and 100 000 sibling parts are acknowledged and stored byte-exact, and
//! every view shows what lies within `message::limits`, says the rest was not walked, stays
//! small and never crashes.

mod common;

use common::{cli, send, Server};

fn nested_multiparts(levels: usize) -> String {
    let mut m = String::from(
        "From: a@example.test\r\nTo: b@example.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b0\r\n\r\n",
    );
    for i in 0..levels {
        m.push_str(&format!(
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
            i + 1
        ));
    }
    m.push_str(&format!(
        "--b{levels}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{levels}--\r\n"
    ));
    for i in (0..levels).rev() {
        m.push_str(&format!("--b{i}--\r\n"));
    }
    m
}

fn nested_messages(levels: usize) -> String {
    let mut m = String::new();
    for i in 0..levels {
        m.push_str(&format!(
            "From: a@example.test\r\nSubject: level {i}\r\nMIME-Version: 1.0\r\n\
             Content-Type: message/rfc822\r\n\r\n"
        ));
    }
    m.push_str("From: a@example.test\r\nSubject: inner\r\n\r\ndeep\r\n");
    m
}

fn siblings(n: usize) -> String {
    let mut m = String::from(
        "From: a@example.test\r\nTo: b@example.test\r\nSubject: siblings\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=s\r\n\r\n",
    );
    for i in 0..n {
        m.push_str(&format!(
            "--s\r\nContent-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename=p{i}.bin\r\n\r\n{i}\r\n"
        ));
    }
    m.push_str("--s--\r\n");
    m
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn mime_bombs_are_stored_byte_exact_and_shown_within_the_caps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    let bombs = [
        ("too-deep", nested_multiparts(20_000)),
        ("too-deep", nested_messages(20_000)),
        ("too-many-parts", siblings(100_000)),
    ];
    for (n, (_, raw)) in bombs.iter().enumerate() {
        send(&server, &[(&format!("bomb{n}@example.test"), raw.clone())]);
    }
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&cli(dir.path(), &["list", "--json"]), "list")).expect("JSON");
    assert_eq!(list.len(), bombs.len(), "every bomb was stored: {list:?}");
    for (kind, raw) in &bombs {
        let rcpt_n = bombs.iter().position(|(_, r)| r == raw).expect("a bomb");
        let row = list
            .iter()
            .find(|r| r["rcpt_to"][0] == format!("bomb{rcpt_n}@example.test"))
            .expect("the bomb's row");
        let id = row["id"].as_i64().expect("id").to_string();

        let stored = cli(dir.path(), &["show", &id, "--raw"]);
        assert!(stored.status.success(), "show --raw");
        let mut sent = raw.clone().into_bytes();
        sent.extend_from_slice(b"\r\n");
        assert!(
            stored.stdout == sent,
            "bomb {id} ({kind}) stored byte-exact"
        );

        // Pretty JSON of 10,000 attachments and parts is about 4.5 MB: bounded by the caps.
        let json = cli(dir.path(), &["show", &id, "--json"]);
        let text = ok(&json, "show --json");
        assert!(
            text.len() < 8 * 1024 * 1024,
            "show --json of bomb {id} ({kind}) stays small: {} bytes",
            text.len()
        );
        let detail: serde_json::Value = serde_json::from_str(&text).expect("show --json is JSON");
        let note = detail["not_walked"].as_str().unwrap_or_default();
        assert!(
            note.contains("not walked") && note.contains("raw"),
            "bomb {id} ({kind}) says what was not walked: {note:?}"
        );

        let plain = ok(&cli(dir.path(), &["show", &id]), "show");
        assert!(
            plain.contains("Not shown: Only part of this message is shown"),
            "the text view says so too: {}",
            &plain[..plain.len().min(2000)]
        );
        assert!(
            ok(
                &cli(dir.path(), &["show", &id, "--headers"]),
                "show --headers"
            )
            .contains("Subject:"),
            "headers show"
        );

        let lint = ok(
            &cli(dir.path(), &["show", &id, "--lint", "--json"]),
            "show --lint",
        );
        let report: serde_json::Value = serde_json::from_str(&lint).expect("lint JSON");
        let check = format!("mime-{kind}");
        assert!(
            report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["id"] == check.as_str() && f["severity"] == "error"),
            "bomb {id} gets the {check} error: {lint}"
        );
        for view in ["--html-check", "--links"] {
            // Neither has more than the top-level bodies to read; both must answer, not crash.
            let out = cli(dir.path(), &["show", &id, view]);
            assert!(
                out.status.code().is_some(),
                "show {view} of bomb {id} ended by itself: {:?}",
                out.status
            );
        }
    }
    drop(server);
}
