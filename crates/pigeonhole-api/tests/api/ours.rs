//! Pigeonhole's own endpoints: status, sessions and transcripts, inboxes and per-test
//! addresses, the server-side wait, links and codes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::pin::pin;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use pigeonhole_test::pigeonhole_core::event::Event;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::{enc, poll_once, seed_rich, send, Api};

fn texts(lines: &Value) -> Vec<String> {
    lines
        .as_array()
        .unwrap_or_else(|| panic!("transcript lines, got {lines}"))
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["dir"].as_str().unwrap_or(""),
                l["text"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// A session that refuses a command (RCPT before MAIL) and then quits.
fn send_a_refused_session(api: &Api) {
    let stream = TcpStream::connect(api.server.smtp_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("greeting");
    let mut say = |cmd: &str, line: &mut String| {
        (&stream).write_all(cmd.as_bytes()).expect("write");
        line.clear();
        reader.read_line(line).expect("reply");
    };
    say("HELO refused.test\r\n", &mut line);
    say("RCPT TO:<ann@example.com>\r\n", &mut line);
    assert!(
        line.starts_with("503"),
        "RCPT before MAIL is refused: {line}"
    );
    say("QUIT\r\n", &mut line);
}

#[tokio::test]
async fn status_says_where_it_listens_and_what_it_holds() {
    let api = Api::start().await;
    seed_rich(&api.server).await;
    let s = api.get("/api/v1/status").await.ok();
    assert_eq!(s["listening"], true, "{s}");
    assert_eq!(s["paused"], false, "{s}");
    assert_eq!(s["smtp_addr"], api.server.smtp_addr().to_string(), "{s}");
    assert_eq!(
        (s["total"].as_u64(), s["unread"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(
        s["data_dir"],
        api.server.data_dir().display().to_string(),
        "{s}"
    );
    assert_eq!(
        s["api_url"],
        json!(api.server.http_url()),
        "the running API reports itself: {s}"
    );
}

#[tokio::test]
async fn sessions_list_filter_and_show_one_with_its_transcript() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    // The transcript waits for the session to end, so it is complete below.
    let session = api
        .server
        .transcript(id)
        .await
        .expect("transcript")
        .session
        .id;
    let mut events = api.server.engine().bus.subscribe();
    send_a_refused_session(&api);
    // Once the refused session is announced as closed, it is in the store as such.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(Event::SessionClosed(s)) if s.helo.as_deref() == Some("refused.test") => return,
                Ok(_) => {}
                Err(e) => panic!("the bus ended: {e}"),
            }
        }
    })
    .await
    .expect("the refused session closes");
    let all = api.get("/api/v1/sessions").await.ok();
    let all = all.as_array().expect("a list").clone();
    assert_eq!(all.len(), 2, "both sessions are listed: {all:?}");
    let delivering = all
        .iter()
        .find(|s| s["id"] == session)
        .unwrap_or_else(|| panic!("session {session} is listed: {all:?}"));
    assert_eq!(delivering["message_count"], 1, "{delivering}");
    assert_eq!(
        delivering["last_code"], 221,
        "it ended with QUIT: {delivering}"
    );

    let errors = api.get("/api/v1/sessions?show=errors").await.ok();
    let errors = errors.as_array().expect("a list");
    assert_eq!(
        errors.len(),
        1,
        "only the refused session has errors: {errors:?}"
    );
    assert_eq!(errors[0]["helo"], "refused.test");
    assert!(errors[0]["refusals"].as_u64() >= Some(1), "{}", errors[0]);
    let messages = api.get("/api/v1/sessions?show=messages").await.ok();
    assert_eq!(
        messages
            .as_array()
            .map(|a| a.iter().all(|s| s["message_count"].as_u64() > Some(0))),
        Some(true),
        "show=messages: only sessions that delivered: {messages}"
    );
    let limited = api.get("/api/v1/sessions?limit=1").await.ok();
    assert_eq!(limited.as_array().map(Vec::len), Some(1), "{limited}");

    let one = api.get(&format!("/api/v1/session/{session}")).await.ok();
    assert_eq!(one["id"], session, "{one}");
    assert!(
        one["peer"]
            .as_str()
            .is_some_and(|p| p.starts_with("127.0.0.1")),
        "{one}"
    );
    let t = api
        .get(&format!("/api/v1/session/{session}/transcript"))
        .await
        .ok();
    assert_eq!(t["session"]["id"], session);
    let lines = texts(&t["lines"]);
    for expected in [
        "in MAIL FROM:<app@example.com>",
        "in DATA",
        "in QUIT",
        "out 221",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "the session transcript has {expected:?}: {lines:#?}"
        );
    }
}

#[tokio::test]
async fn a_message_transcript_marks_the_lines_of_that_message() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    api.server.transcript(id).await.expect("the session ends");
    for which in [id.to_string(), "latest".into()] {
        let t = api
            .get(&format!("/api/v1/message/{which}/transcript"))
            .await
            .ok();
        let lines = texts(&t["lines"]);
        let (first, end) = (
            t["first"].as_u64().expect("first") as usize,
            t["end"].as_u64().expect("end") as usize,
        );
        assert!(
            first < end && end <= lines.len(),
            "a range in the lines: {t}"
        );
        let mine = &lines[first..end];
        assert!(
            mine.iter()
                .any(|l| l.starts_with("in MAIL FROM:<app@example.com>")),
            "the message's lines begin at its MAIL FROM: {mine:#?}"
        );
        assert_eq!(t["session"]["message_count"], 1);
    }
}

#[tokio::test]
async fn inboxes_are_listed_and_a_new_one_selects_only_its_own_mail() {
    let api = Api::start().await;
    seed_rich(&api.server).await;
    let inboxes = api.get("/api/v1/inboxes").await.ok();
    let has = |kind: &str, key: &str| {
        inboxes
            .as_array()
            .expect("a list")
            .iter()
            .any(|i| i["kind"] == kind && i["key"] == key && i["total"] == 1)
    };
    assert!(has("recipient", "ann@example.com"), "{inboxes}");
    assert!(has("recipient", "dave@example.com"), "{inboxes}");
    assert!(has("tag", "alpha"), "{inboxes}");

    let inbox = api.call(Method::POST, "/api/v1/inboxes", None).await.ok();
    let address = inbox["address"].as_str().expect("address").to_string();
    assert!(address.ends_with("@pigeonhole.test"), "{inbox}");
    assert_eq!(inbox["smtp_port"], api.server.smtp_addr().port(), "{inbox}");
    assert_eq!(inbox["smtp_host"], "127.0.0.1", "{inbox}");
    assert!(
        inbox["username"].is_string() && inbox["password"].is_string(),
        "{inbox}"
    );
    let other = api.call(Method::POST, "/api/v1/inboxes", None).await.ok();
    assert_ne!(other["address"], inbox["address"], "each inbox is new");

    send(&api.server, &address, "For the inbox", "hi");
    send(
        &api.server,
        other["address"].as_str().expect("address"),
        "For the other",
        "hi",
    );
    let query = inbox["query"].as_str().expect("query");
    api.get(&format!("/api/v1/wait?query={}&timeout=10s", enc(query)))
        .await
        .ok();
    api.server
        .wait_for("subject:other")
        .await
        .expect("both stored");
    let found = api
        .get(&format!("/api/v1/search?query={}", enc(query)))
        .await
        .ok();
    assert_eq!(
        found["messages_count"], 1,
        "only the inbox's own mail: {found}"
    );
    assert_eq!(found["messages"][0]["Subject"], "For the inbox");
}

#[tokio::test]
async fn wait_answers_200_when_found() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let r = api.get("/api/v1/wait?query=subject%3ARich").await.ok();
    assert_eq!(r["outcome"], "found", "{r}");
    assert_eq!(
        (r["wanted"].as_u64(), r["matched"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["messages"][0]["id"], id, "{r}");
    assert!(r["waited_ms"].is_u64(), "{r}");
}

#[tokio::test]
async fn wait_times_out_with_408_and_what_matched() {
    let api = Api::start().await;
    seed_rich(&api.server).await;
    let started = Instant::now();
    let r = api
        .get("/api/v1/wait?query=subject%3ARich&count=2&timeout=300ms")
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT, "{}", r.text());
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited");
    let v = r.json();
    assert_eq!(v["outcome"], "timeout", "{v}");
    assert_eq!(
        (v["wanted"].as_u64(), v["matched"].as_u64()),
        (Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(
        v["messages"][0]["subject"], "Rich message",
        "what did match: {v}"
    );
}

#[tokio::test]
async fn wait_for_none_holds_with_200_and_breaks_with_409() {
    let api = Api::start().await;
    seed_rich(&api.server).await;
    let started = Instant::now();
    let r = api
        .get("/api/v1/wait?query=to%3Abob%40example.com&count=0&timeout=300ms")
        .await
        .ok();
    assert_eq!(r["outcome"], "none_arrived", "{r}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it watched the whole time"
    );

    let r = api
        .get("/api/v1/wait?query=subject%3ARich&count=0&timeout=30s")
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let v = r.json();
    assert_eq!(v["outcome"], "unexpected", "{v}");
    assert_eq!(
        v["messages"][0]["subject"], "Rich message",
        "the culprit: {v}"
    );
}

#[tokio::test]
async fn an_expect_none_wait_breaks_as_soon_as_the_mail_arrives() {
    let api = Api::start().await;
    let req = Request::get("/api/v1/wait?query=to%3Abob%40example.com&count=0&timeout=60s")
        .body(Body::empty())
        .expect("request");
    let mut call = pin!(api.app.clone().oneshot(req));
    assert!(poll_once(call.as_mut()).is_pending(), "nothing for Bob yet");
    send(&api.server, "bob@example.com", "Oops", "hi");
    let response = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the wait ends when the mail arrives, not after 60 s")
        .expect("response");
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["messages"][0]["subject"], "Oops", "{v}");
}

#[tokio::test]
async fn a_wait_started_before_the_mail_is_sent_finds_it() {
    let api = Api::start().await;
    let req = Request::get("/api/v1/wait?query=subject%3ALate&timeout=10s")
        .body(Body::empty())
        .expect("request");
    let mut call = pin!(api.app.clone().oneshot(req));
    assert!(poll_once(call.as_mut()).is_pending(), "nothing to find yet");
    send(&api.server, "ann@example.com", "Late arrival", "hi");
    let response = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the wait ends")
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["outcome"], "found", "{v}");
    assert_eq!(v["messages"][0]["subject"], "Late arrival", "{v}");
}

#[tokio::test]
async fn links_and_codes_are_found_in_a_message() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    for which in [id.to_string(), "latest".into()] {
        let links = api
            .get(&format!("/api/v1/message/{which}/links"))
            .await
            .ok();
        let confirm = links
            .as_array()
            .expect("a list")
            .iter()
            .find(|l| l["url"] == "https://example.com/confirm/1")
            .unwrap_or_else(|| panic!("the confirm link: {links}"))
            .clone();
        assert_eq!(
            confirm["text"], "Confirm email",
            "the anchor text: {confirm}"
        );
        let sources = confirm["sources"].as_array().expect("sources");
        assert!(
            sources.contains(&json!("html")) && sources.contains(&json!("text")),
            "seen in both bodies: {confirm}"
        );
        let codes = api
            .get(&format!("/api/v1/message/{which}/codes"))
            .await
            .ok();
        assert_eq!(codes[0]["code"], "482913", "{codes}");
        assert!(
            codes[0]["context"]
                .as_str()
                .is_some_and(|c| c.contains("verification code")),
            "{codes}"
        );
        assert!(codes[0]["source"].is_string(), "{codes}");
    }
}

#[tokio::test]
async fn livez_and_readyz_answer_ok() {
    let api = Api::start().await;
    for uri in ["/livez", "/readyz"] {
        let r = api.get(uri).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (StatusCode::OK, "ok"),
            "{uri}"
        );
    }
}
