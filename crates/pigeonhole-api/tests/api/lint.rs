//! Lint over the API: a message's report right after its 250, the lint search terms, the
//! catalogue, and a JSON 404 for an unknown id.

use axum::http::StatusCode;

use crate::support::{enc, send_raw, Api};

/// A message with a bare LF, a Bcc header and no Message-ID, sent as-is over SMTP.
const FLAWED: &str = "From: App <app@example.com>\r\nTo: dev@example.com\r\n\
Bcc: boss@example.com\r\nSubject: flawed\r\nDate: Tue, 1 Dec 2026 20:00:00 +0000\r\n\r\n\
first line\nsecond line\r\n";

#[tokio::test]
async fn a_message_s_findings_are_served_right_after_its_250() {
    let api = Api::start().await;
    send_raw(&api.server, "app@example.com", &["dev@example.com"], FLAWED);
    let report = api.get("/api/v1/message/latest/lint").await.ok();
    let findings = report["findings"].as_array().expect("findings");
    let ids: Vec<&str> = findings.iter().filter_map(|f| f["id"].as_str()).collect();
    for want in ["bare-lf", "bcc-header", "missing-message-id"] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
    let bare = findings
        .iter()
        .find(|f| f["id"] == "bare-lf")
        .expect("bare-lf");
    assert_eq!(bare["severity"], "error");
    assert_eq!(bare["location"]["line"], 7, "{bare}");
    assert!(bare["reference"]
        .as_str()
        .unwrap_or("")
        .contains("RFC 5322"));
    assert!(!bare["why"].as_str().unwrap_or("").is_empty());
    let bcc = findings
        .iter()
        .find(|f| f["id"] == "bcc-header")
        .expect("bcc");
    assert_eq!(bcc["location"]["header"], "Bcc");
    assert!(report["errors"].as_u64() >= Some(1));

    // The search terms, through Mailpit's search.
    let found = api
        .get(&format!("/api/v1/search?query={}", enc("lint:bare-lf")))
        .await
        .ok();
    assert_eq!(found["messages_count"], 1, "{found}");
    let none = api
        .get(&format!("/api/v1/search?query={}", enc("lint:nul-byte")))
        .await
        .ok();
    assert_eq!(none["messages_count"], 0, "{none}");
    let bad = api
        .get(&format!("/api/v1/search?query={}", enc("lint:bare_lf")))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        bad["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a lint check"),
        "{bad}"
    );

    api.get("/api/v1/message/999999/lint")
        .await
        .error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalogue_lists_every_check() {
    let api = Api::start().await;
    let checks = api.get("/api/v1/lint/checks").await.ok();
    let checks = checks.as_array().expect("a list");
    assert!(checks.len() >= 30, "{}", checks.len());
    let dkim = checks
        .iter()
        .find(|c| c["id"] == "dkim-body-hash")
        .expect("dkim");
    assert_eq!(dkim["severity"], "error");
    assert!(dkim["reference"].as_str().unwrap_or("").contains("6376"));
}
