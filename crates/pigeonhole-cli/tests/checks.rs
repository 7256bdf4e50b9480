//! `pigeonhole show ID --html-check` and `--links`, as text and as JSON.

mod common;

use std::time::{Duration, Instant};

use common::{cli, send, Server};

#[test]
fn show_prints_the_html_check_and_the_flagged_links() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    send(
        &server,
        &[(
            "qa@example.com",
            "From: Shop <shop@example.com>\r\nSubject: news\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/html\r\n\r\n<div style=\"display:flex\"><a href=\"https://evil.test/x\">\
             https://bank.example.com</a> <a href=\"file:///etc/passwd\">f</a></div>\r\n"
                .into(),
        )],
    );
    let until = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let out = cli(dir.path(), &["list", "--json"]);
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if let Some(id) = rows.first().and_then(|m| m["id"].as_i64()) {
            break id.to_string();
        }
        assert!(Instant::now() < until, "the message never arrived");
        std::thread::sleep(Duration::from_millis(100));
    };

    let out = cli(dir.path(), &["show", &id, "--html-check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTML check: "), "{text}");
    assert!(
        text.contains("display:flex"),
        "the flex feature is listed: {text}"
    );
    assert!(
        text.contains("Outlook Windows"),
        "its unsupported clients are named: {text}"
    );

    let out = cli(dir.path(), &["show", &id, "--html-check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        v["features"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["slug"] == "css-display-flex")),
        "{v}"
    );

    let out = cli(dir.path(), &["show", &id, "--links"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MISMATCH(text shows bank.example.com)  https://evil.test/x"),
        "{text}"
    );
    assert!(text.contains("FILE  file:///etc/passwd"), "{text}");

    let out = cli(dir.path(), &["show", &id, "--links", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v[0]["flags"][0], "mismatch", "{v}");

    let out = cli(dir.path(), &["show", &id, "--html-check", "--links"]);
    assert!(!out.status.success(), "one view at a time");
}

#[test]
fn html_check_of_a_text_message_fails_with_a_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    send(
        &server,
        &[(
            "qa@example.com",
            "Subject: plain\r\n\r\njust text\r\n".into(),
        )],
    );
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let out = cli(dir.path(), &["show", "1", "--html-check"]);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        if err.contains("no HTML body") {
            assert!(!out.status.success());
            break;
        }
        assert!(Instant::now() < until, "never said why: {err}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
