//! Mailpit v1's endpoints answer in Mailpit's shapes, so its clients work unchanged.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::{enc, seed_rich, send, Api, RICH};

fn addresses(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an address list, got {v}"))
        .iter()
        .map(|a| a["Address"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn info_and_webui_have_mailpits_fields() {
    let api = Api::start().await;
    seed_rich(&api.server).await;
    let info = api.get("/api/v1/info").await.ok();
    assert_eq!(info["Version"], pigeonhole_api::VERSION, "{info}");
    assert_eq!(
        (info["Messages"].as_u64(), info["Unread"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        info["Tags"],
        json!({"alpha": 1, "beta": 1}),
        "tag counts: {info}"
    );
    assert!(
        info["Database"]
            .as_str()
            .is_some_and(|d| d.starts_with(&*api.server.data_dir().to_string_lossy())),
        "the database is in the data dir: {info}"
    );
    assert!(
        info["DatabaseSize"].as_u64().is_some_and(|n| n > 0),
        "{info}"
    );
    let stats = &info["RuntimeStats"];
    for field in [
        "Memory",
        "MessagesDeleted",
        "SMTPAccepted",
        "SMTPAcceptedSize",
        "SMTPIgnored",
        "SMTPRejected",
        "Uptime",
    ] {
        assert!(stats[field].is_u64(), "RuntimeStats.{field}: {info}");
    }
    assert_eq!(stats["SMTPAccepted"], 1, "the arrival is counted: {info}");

    let ui = api.get("/api/v1/webui").await.ok();
    assert_eq!(ui["Label"], "Pigeonhole");
    assert_eq!(ui["MessageRelay"]["Enabled"], false, "{ui}");
    for field in [
        "SpamAssassin",
        "ChaosEnabled",
        "DuplicatesIgnored",
        "HideDeleteAllButton",
    ] {
        assert!(ui[field].is_boolean(), "{field}: {ui}");
    }
}

#[tokio::test]
async fn the_list_and_search_have_mailpits_summary_shape() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    send(&api.server, "bob@example.com", "Second one", "hi");
    api.server.wait_for("subject:Second").await.expect("stored");

    let list = api.get("/api/v1/messages").await.ok();
    assert_eq!(
        (
            &list["total"],
            &list["unread"],
            &list["messages_count"],
            &list["start"]
        ),
        (&json!(2), &json!(2), &json!(2), &json!(0)),
        "{list}"
    );
    assert_eq!(list["tags"], json!(["alpha", "beta"]), "{list}");
    let rows = list["messages"].as_array().expect("messages");
    assert_eq!(rows[0]["Subject"], "Second one", "newest first");
    let m = &rows[1];
    assert_eq!(m["ID"], id.to_string(), "ids are strings: {m}");
    assert_eq!(m["MessageID"], "rich-1@example.com");
    assert_eq!(m["Read"], false);
    assert_eq!(
        m["From"],
        json!({"Name": "App", "Address": "app@example.com"})
    );
    assert_eq!(
        m["To"],
        json!([{"Name": "Ann", "Address": "ann@example.com"}])
    );
    assert_eq!(addresses(&m["Cc"]), ["carl@example.com"]);
    assert_eq!(
        addresses(&m["Bcc"]),
        ["dave@example.com"],
        "Bcc from the envelope"
    );
    assert_eq!(addresses(&m["ReplyTo"]), ["support@example.com"]);
    assert_eq!(m["Tags"], json!(["alpha", "beta"]));
    assert_eq!(m["Attachments"], 1, "{m}");
    assert!(m["Size"].as_u64().is_some_and(|n| n > 0), "{m}");
    assert!(
        m["Created"].as_str().is_some_and(|c| c.ends_with('Z')),
        "{m}"
    );
    assert!(
        m["Snippet"]
            .as_str()
            .is_some_and(|s| s.contains("Hello Ann")),
        "{m}"
    );
    assert_eq!(m["Username"], "");

    let page = api.get("/api/v1/messages?start=1&limit=1").await.ok();
    assert_eq!(page["start"], 1);
    assert_eq!(page["messages"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["messages"][0]["ID"], id.to_string(), "the second page");

    let found = api.get("/api/v1/search?query=subject%3ARich").await.ok();
    assert_eq!(
        (&found["total"], &found["messages_count"]),
        (&json!(2), &json!(1)),
        "total is the mailbox, messages_count the matches: {found}"
    );
    assert_eq!(found["messages"][0]["ID"], id.to_string());
    let none = api.get("/api/v1/search?query=subject%3ANothing").await.ok();
    assert_eq!(none["messages"], json!([]), "{none}");
}

#[tokio::test]
async fn a_message_has_mailpits_detail_shape_and_is_marked_read() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let m = api.get(&format!("/api/v1/message/{id}")).await.ok();
    assert_eq!(m["ID"], id.to_string());
    assert_eq!(m["MessageID"], "rich-1@example.com");
    assert_eq!(m["Subject"], "Rich message");
    assert_eq!(m["ReturnPath"], "app@example.com", "the envelope sender");
    assert_eq!(m["From"]["Address"], "app@example.com");
    assert_eq!(addresses(&m["To"]), ["ann@example.com"]);
    assert_eq!(addresses(&m["Cc"]), ["carl@example.com"]);
    assert_eq!(addresses(&m["Bcc"]), ["dave@example.com"]);
    assert_eq!(addresses(&m["ReplyTo"]), ["support@example.com"]);
    assert_eq!(m["Date"], "2026-12-01T10:00:00.000Z", "the Date header");
    assert_eq!(m["Tags"], json!(["alpha", "beta"]));
    assert!(
        m["Text"].as_str().is_some_and(|t| t.contains("482913")),
        "{m}"
    );
    assert!(
        m["HTML"]
            .as_str()
            .is_some_and(|h| h.contains("Confirm email")),
        "{m}"
    );
    assert_eq!(
        m["ListUnsubscribe"],
        json!({
            "Header": "<mailto:unsub@example.com>, <https://example.com/unsub/1>",
            "HeaderPost": "",
            "Links": ["mailto:unsub@example.com", "https://example.com/unsub/1"],
            "Errors": "",
        })
    );
    assert_eq!(m["Inline"], json!([]));
    let a = &m["Attachments"][0];
    assert_eq!(a["FileName"], "report.txt", "{m}");
    assert!(
        a["ContentType"]
            .as_str()
            .is_some_and(|t| t.starts_with("text/plain")),
        "{a}"
    );
    assert!(a["PartID"].as_str().is_some_and(|p| !p.is_empty()), "{a}");
    assert_eq!(a["ContentID"], "");
    assert!(a["Size"].as_u64().is_some_and(|n| n > 0), "{a}");
    for digest in ["MD5", "SHA1", "SHA256"] {
        assert!(
            a["Checksums"][digest]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "Checksums.{digest}: {a}"
        );
    }
    let list = api.get("/api/v1/messages").await.ok();
    assert_eq!(list["messages"][0]["Read"], true, "opening marks it read");
    assert_eq!(list["unread"], 0);

    let latest = api.get("/api/v1/message/latest").await.ok();
    assert_eq!(latest["ID"], id.to_string(), "latest is the newest");
}

#[tokio::test]
async fn headers_raw_and_parts_are_as_received() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let h = api.get(&format!("/api/v1/message/{id}/headers")).await.ok();
    assert_eq!(h["Subject"], json!(["Rich message"]), "{h}");
    assert_eq!(h["X-Tags"], json!(["alpha, beta"]), "{h}");
    let names: Vec<&String> = h.as_object().expect("a map").keys().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "header names in order");

    for which in [id.to_string(), "latest".into()] {
        let raw = api.get(&format!("/api/v1/message/{which}/raw")).await;
        assert_eq!(raw.status, StatusCode::OK);
        assert!(raw.header("content-type").starts_with("text/plain"));
        // lettre ends DATA with CRLF . CRLF after the bytes given, so their last CRLF is
        // followed by the one that belongs to the terminator: the message has both.
        assert_eq!(raw.text(), format!("{RICH}\r\n"), "raw is the bytes sent");
    }

    let m = api.get(&format!("/api/v1/message/{id}")).await.ok();
    let part = m["Attachments"][0]["PartID"]
        .as_str()
        .expect("part id")
        .to_string();
    let p = api.get(&format!("/api/v1/message/{id}/part/{part}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert_eq!(p.text().trim_end(), "report body");
    assert!(
        p.header("content-type").starts_with("text/plain"),
        "{:?}",
        p.headers
    );
    assert!(
        p.header("content-disposition")
            .contains("filename=\"report.txt\""),
        "{:?}",
        p.headers
    );
    assert_eq!(p.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn view_serves_the_html_sandboxed_and_the_text() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    for file in [format!("{id}.html"), "latest.html".into(), id.to_string()] {
        let r = api.get(&format!("/view/{file}")).await;
        assert_eq!(r.status, StatusCode::OK, "/view/{file}");
        assert!(r.header("content-type").starts_with("text/html"));
        assert!(r.text().contains("Confirm email"), "{}", r.text());
        let csp = r.header("content-security-policy");
        assert!(
            csp.contains("sandbox") && csp.contains("default-src 'none'"),
            "/view/{file}: no script can run: {csp}"
        );
    }
    let t = api.get(&format!("/view/{id}.txt")).await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.header("content-type").starts_with("text/plain"));
    assert!(
        t.text().contains("verification code is 482913"),
        "{}",
        t.text()
    );
    let plain = api.get("/view/latest.txt").await;
    assert_eq!(plain.text(), t.text(), "latest.txt is the same message");
}

#[tokio::test]
async fn tags_are_set_renamed_and_deleted() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    assert_eq!(api.get("/api/v1/tags").await.ok(), json!(["alpha", "beta"]));
    let tags_of = |v: &Value| v["Tags"].clone();

    api.call(
        Method::PUT,
        "/api/v1/tags",
        Some(json!({"IDs": [id.to_string()], "Tags": ["Gamma", "beta"]})),
    )
    .await
    .plain_ok();
    let m = api.get(&format!("/api/v1/message/{id}")).await.ok();
    assert_eq!(
        tags_of(&m),
        json!(["beta", "gamma"]),
        "exactly the tags given, lowercased"
    );

    api.call(
        Method::PUT,
        "/api/v1/tags/gamma",
        Some(json!({"Name": "delta"})),
    )
    .await
    .plain_ok();
    assert_eq!(api.get("/api/v1/tags").await.ok(), json!(["beta", "delta"]));

    api.call(Method::DELETE, "/api/v1/tags/beta", None)
        .await
        .plain_ok();
    assert_eq!(api.get("/api/v1/tags").await.ok(), json!(["delta"]));
    assert_eq!(
        api.get("/api/v1/messages").await.ok()["total"],
        1,
        "deleting a tag keeps the message"
    );

    api.call(
        Method::PUT,
        "/api/v1/tags",
        Some(json!({"IDs": [id.to_string()], "Tags": []})),
    )
    .await
    .plain_ok();
    assert_eq!(
        api.get("/api/v1/tags").await.ok(),
        json!([]),
        "an empty list clears them"
    );
}

#[tokio::test]
async fn read_status_is_set_by_ids_by_search_or_for_all() {
    let api = Api::start().await;
    let rich = seed_rich(&api.server).await;
    send(&api.server, "bob@example.com", "Other", "hi");
    api.server.wait_for("subject:Other").await.expect("stored");
    let unread = |v: Value| v["unread"].as_u64();

    api.call(
        Method::PUT,
        "/api/v1/messages",
        Some(json!({"IDs": [rich.to_string()], "Read": true})),
    )
    .await
    .plain_ok();
    let list = api.get("/api/v1/messages").await.ok();
    assert_eq!(unread(list.clone()), Some(1), "one marked read: {list}");
    assert_eq!(list["messages"][1]["Read"], true, "the rich one");

    api.call(
        Method::PUT,
        "/api/v1/messages",
        Some(json!({"Search": "subject:Other", "Read": true})),
    )
    .await
    .plain_ok();
    assert_eq!(
        unread(api.get("/api/v1/messages").await.ok()),
        Some(0),
        "by search"
    );

    api.call(
        Method::PUT,
        "/api/v1/messages",
        Some(json!({"Read": false})),
    )
    .await
    .plain_ok();
    assert_eq!(
        unread(api.get("/api/v1/messages").await.ok()),
        Some(2),
        "neither ids nor search: all"
    );
}

#[tokio::test]
async fn messages_are_deleted_by_ids_by_search_and_all() {
    let api = Api::start().await;
    for subject in ["One", "Two", "Three", "Four"] {
        send(&api.server, "ann@example.com", subject, "hi");
    }
    api.server
        .wait_for_count("to:ann@example.com", 4, std::time::Duration::from_secs(10))
        .await
        .expect("stored");
    let subjects = |v: Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["Subject"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let list = api.get("/api/v1/messages").await.ok();
    let one = list["messages"][3]["ID"].as_str().expect("id").to_string();
    assert_eq!(list["messages"][3]["Subject"], "One");

    api.call(
        Method::DELETE,
        "/api/v1/messages",
        Some(json!({"IDs": [one]})),
    )
    .await
    .plain_ok();
    assert_eq!(
        subjects(api.get("/api/v1/messages").await.ok()),
        ["Four", "Three", "Two"],
        "by ids"
    );
    api.get(&format!("/api/v1/message/{one}"))
        .await
        .error(StatusCode::NOT_FOUND);

    api.call(
        Method::DELETE,
        &format!("/api/v1/search?query={}", enc("subject:Two")),
        None,
    )
    .await
    .plain_ok();
    assert_eq!(
        subjects(api.get("/api/v1/messages").await.ok()),
        ["Four", "Three"],
        "by search"
    );

    api.call(Method::DELETE, "/api/v1/messages", None)
        .await
        .plain_ok();
    let list = api.get("/api/v1/messages").await.ok();
    assert_eq!(list["total"], 0, "no ids: everything: {list}");
}

#[tokio::test]
async fn send_stores_a_message_from_json_fields() {
    let api = Api::start().await;
    let attachment = base64::engine::general_purpose::STANDARD.encode("file body");
    let r = api
        .call(
            Method::POST,
            "/api/v1/send",
            Some(json!({
                "From": {"Email": "app@example.com", "Name": "App"},
                "To": [{"Email": "ann@example.com", "Name": "Ann"}],
                "Cc": [{"Email": "carl@example.com"}],
                "Bcc": ["hidden@example.com"],
                "ReplyTo": [{"Email": "support@example.com"}],
                "Subject": "Sent by API",
                "Text": "plain body",
                "HTML": "<p>html body</p>",
                "Attachments": [{"Content": attachment, "Filename": "a.txt"}],
                "Headers": {"X-Test": "yes"},
                "Tags": ["api-tag"],
            })),
        )
        .await
        .ok();
    let id = r["ID"].as_str().expect("the new id, as a string");
    let m = api.get(&format!("/api/v1/message/{id}")).await.ok();
    assert_eq!(m["Subject"], "Sent by API");
    assert_eq!(
        m["From"],
        json!({"Name": "App", "Address": "app@example.com"})
    );
    assert_eq!(addresses(&m["To"]), ["ann@example.com"]);
    assert_eq!(addresses(&m["Cc"]), ["carl@example.com"]);
    assert_eq!(addresses(&m["Bcc"]), ["hidden@example.com"]);
    assert_eq!(addresses(&m["ReplyTo"]), ["support@example.com"]);
    assert!(
        m["Text"].as_str().is_some_and(|t| t.contains("plain body")),
        "{m}"
    );
    assert!(
        m["HTML"].as_str().is_some_and(|t| t.contains("html body")),
        "{m}"
    );
    assert_eq!(m["Attachments"][0]["FileName"], "a.txt", "{m}");
    assert_eq!(m["Tags"], json!(["api-tag"]));
    let h = api.get(&format!("/api/v1/message/{id}/headers")).await.ok();
    assert_eq!(h["X-Test"], json!(["yes"]), "{h}");
    let part = m["Attachments"][0]["PartID"].as_str().expect("part");
    let p = api.get(&format!("/api/v1/message/{id}/part/{part}")).await;
    assert_eq!(p.text(), "file body", "the attachment's bytes");
    // `listener:` is answered by the index, which follows the commit.
    api.server.wait_for("listener:api").await.expect("indexed");
    let via_api = api.get("/api/v1/search?query=listener%3Aapi").await.ok();
    assert_eq!(
        via_api["messages_count"], 1,
        "filed under the api listener: {via_api}"
    );

    api.call(
        Method::POST,
        "/api/v1/send",
        Some(json!({"To": [{"Email": "ann@example.com"}]})),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
    let v = api
        .call(
            Method::POST,
            "/api/v1/send",
            Some(json!({
                "From": {"Email": "app@example.com"},
                "To": [{"Email": "ann@example.com"}],
                "Attachments": [{"Content": "not base64!", "Filename": "x"}],
            })),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("Attachments[0].Content"),
        "the message names the field: {v}"
    );
}
