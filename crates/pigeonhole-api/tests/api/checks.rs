//! Mailpit's HTML check and link check, in Mailpit's shapes.

use std::io::{Read, Write};
use std::net::TcpListener;

use axum::http::StatusCode;

use crate::support::{seed_rich, send, send_raw, Api};

#[tokio::test]
async fn html_check_answers_in_mailpits_shape_with_scores_and_client_results() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    for which in [id.to_string(), "latest".into()] {
        let v = api
            .get(&format!("/api/v1/message/{which}/html-check"))
            .await
            .ok();
        let total = &v["Total"];
        for key in ["Tests", "Nodes", "Supported", "Partial", "Unsupported"] {
            assert!(total[key].is_number(), "Total.{key} is a number: {total}");
        }
        assert!(
            v["Platforms"]["ios"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{}",
            v["Platforms"]
        );
        let warnings = v["Warnings"].as_array().expect("Warnings");
        let script = warnings
            .iter()
            .find(|w| w["Slug"] == "html-script")
            .unwrap_or_else(|| panic!("the RICH message's <script> is reported: {warnings:?}"));
        assert_eq!(script["Score"]["Unsupported"], 100.0);
        let p = warnings
            .iter()
            .find(|w| w["Slug"] == "html-p")
            .expect("<p> is used");
        for key in [
            "Title",
            "Description",
            "URL",
            "Category",
            "Tags",
            "Keywords",
            "Results",
            "NotesByNumber",
            "Score",
        ] {
            assert!(!p[key].is_null(), "Warning.{key} is there: {p}");
        }
        let r = &p["Results"][0];
        for key in [
            "Name",
            "Platform",
            "Family",
            "Version",
            "Support",
            "NoteNumber",
        ] {
            assert!(r[key].is_string(), "Result.{key} is a string: {r}");
        }
        assert!(["yes", "no", "partial"].contains(&r["Support"].as_str().unwrap_or("")));
    }
}

#[tokio::test]
async fn html_check_of_a_message_without_html_is_400_and_of_none_404() {
    let api = Api::start().await;
    send(&api.server, "ann@example.com", "Only text", "plain");
    let id = api
        .server
        .wait_for("subject:Only")
        .await
        .expect("stored")
        .id;
    let v = api
        .get(&format!("/api/v1/message/{id}/html-check"))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        v["message"].as_str().unwrap_or("").contains("no HTML"),
        "{v}"
    );
    api.get("/api/v1/message/9999/html-check")
        .await
        .error(StatusCode::NOT_FOUND);
}

/// A one-thread HTTP server on loopback answering `n` requests: 200 for /ok, 404 else.
fn local_server(n: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 2048];
            let k = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..k]).to_string();
            let reply = if req.contains(" /ok ") {
                "HTTP/1.1 200 OK\r\n\r\n"
            } else {
                "HTTP/1.1 404 Not Found\r\n\r\n"
            };
            let _ = s.write_all(reply.as_bytes());
        }
    });
    base
}

#[tokio::test]
async fn link_check_requests_each_link_and_reports_status_and_errors() {
    let api = Api::start().await;
    // /ok is HEAD once; /missing is HEAD and then GET.
    let base = local_server(3);
    let raw = format!(
        "From: a@example.com\r\nTo: ann@example.com\r\nSubject: Links\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html\r\n\r\n<a href=\"{base}/ok\">ok</a> <a href=\"{base}/missing\">m</a> \
         <a href=\"file:///etc/hosts\">f</a>\r\n"
    );
    send_raw(&api.server, "a@example.com", &["ann@example.com"], &raw);
    let id = api
        .server
        .wait_for("subject:Links")
        .await
        .expect("stored")
        .id;
    let v = api
        .get(&format!("/api/v1/message/{id}/link-check?follow=false"))
        .await
        .ok();
    assert_eq!(v["Errors"], 1, "{v}");
    let links = v["Links"].as_array().expect("Links");
    assert_eq!(links.len(), 2, "file: links are not checked: {v}");
    assert_eq!(links[0]["URL"], format!("{base}/ok"));
    assert_eq!(links[0]["StatusCode"], 200);
    assert_eq!(links[0]["Status"], "OK");
    assert_eq!(links[1]["StatusCode"], 404);
    assert_eq!(links[1]["Status"], "Not Found");
}
