//! Import and export over HTTP: an mbox body in, a streamed mbox out, byte for byte, and
//! clear errors for a body that is not mail or a bad query.

use axum::http::{Method, StatusCode};

use crate::support::{enc, Api};

const MBOX: &str = "From bounce@shop.example Tue Dec  1 09:05:03 2026\n\
Subject: one\nTo: ann@x.example\n\n>From the body\n>>From quoted\n\n\
From a@x.example Tue Dec  1 09:05:04 2026\nSubject: two\nTo: bob@x.example\n\nno final newline\n";

#[tokio::test]
async fn an_mbox_posted_is_imported_and_comes_back_byte_for_byte_from_the_export() {
    let api = Api::start().await;
    let report = api
        .call_raw(Method::POST, "/api/v1/import?tags=ci,Legacy", MBOX)
        .await
        .ok();
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
    assert!(
        report["session_id"].as_i64().unwrap() < 0,
        "a pseudo-session: {report}"
    );

    let search = api
        .get(&format!(
            "/api/v1/search?query={}",
            enc("is:imported tag:legacy")
        ))
        .await
        .ok();
    assert_eq!(
        search["messages_count"], 2,
        "imported mail is searchable: {search}"
    );

    let out = api
        .get(&format!("/api/v1/export.mbox?query={}", enc("is:imported")))
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.header("content-type"), "application/mbox");
    let text = out.text();
    assert!(
        text.starts_with("From bounce@shop.example "),
        "the envelope sender in the From_ line: {text}"
    );
    // The From_ lines carry the import time; everything else is the file as posted.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let posted: Vec<&str> = MBOX.split_inclusive('\n').collect();
    assert_eq!(lines.len(), posted.len(), "{text}");
    for (got, want) in lines.iter().zip(&posted) {
        if want.starts_with("From ") {
            let sender = want.split(' ').nth(1).unwrap();
            assert!(
                got.starts_with(&format!("From {sender} ")),
                "{got:?} for {want:?}"
            );
        } else {
            assert_eq!(got, want, "the export gives back the posted mbox");
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_mail_and_a_bad_query_are_400_with_a_reason() {
    let api = Api::start().await;
    let e = api
        .call_raw(Method::POST, "/api/v1/import", "\u{89}PNG not mail at all")
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        e.to_string().contains("not a message"),
        "the reason is given: {e}"
    );
    let e = api
        .call_raw(Method::POST, "/api/v1/import", "")
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("empty"), "{e}");
    let e = api
        .call_raw(Method::POST, "/api/v1/import?mbox=x", MBOX)
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("not rd or o"), "{e}");
    api.get(&format!("/api/v1/export.mbox?query={}", enc("subject:(")))
        .await
        .error(StatusCode::BAD_REQUEST);
}
