//! `pigeonhole show ID --lint`: the findings as text and JSON beside a running server,
//! `--fail-on` for CI, and `list --query has:lint`.

mod common;

use common::{cli, send, Server};

#[test]
fn show_lint_prints_findings_and_fails_on_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path());
    send(
        &server,
        &[
            (
                "dev@example.com",
                "From: App <app@test>\r\nTo: dev@example.com\r\nBcc: boss@example.com\r\n\
                 Subject: flawed\r\n\r\nbare\nline\r\n"
                    .to_string(),
            ),
            (
                "dev@example.com",
                // Dated now: a Date an hour from arrival is itself a finding (date-skew).
                format!(
                    "From: App <app@test>\r\nTo: dev@example.com\r\nSubject: clean\r\n\
                     Date: {}\r\nMessage-ID: <c@test>\r\n\r\nfine\r\n",
                    chrono::Utc::now().to_rfc2822()
                ),
            ),
        ],
    );
    let out = cli(dir.path(), &["list", "--json", "--query", "has:lint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows.len(), 1, "only the flawed one: {rows:?}");
    assert_eq!(rows[0]["subject"], "flawed");
    assert!(rows[0]["lint_errors"].as_u64() >= Some(1), "{}", rows[0]);
    let flawed = rows[0]["id"].as_i64().expect("id").to_string();

    let text = cli(dir.path(), &["show", &flawed, "--lint"]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("error   bare-lf (line 6)"), "{text}");
    assert!(text.contains("warning bcc-header (Bcc, line 3)"), "{text}");
    assert!(
        text.contains("Why: ") && text.contains("[RFC 5322 §3.6.3]"),
        "{text}"
    );

    let json = cli(dir.path(), &["show", &flawed, "--lint", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["id"] == "missing-date"));

    let failed = cli(
        dir.path(),
        &["show", &flawed, "--lint", "--fail-on", "error"],
    );
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("at or above error"));
    let clean = (flawed.parse::<i64>().unwrap() + 1).to_string();
    let passed = cli(
        dir.path(),
        &["show", &clean, "--lint", "--fail-on", "warning"],
    );
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stdout)
    );

    let missing = cli(dir.path(), &["show", "999", "--lint"]);
    assert_eq!(missing.status.code(), Some(2), "an unknown id is exit 2");
}
