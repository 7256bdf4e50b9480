//! The HTML check, links for review and the link check, through the command layer.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::event::EventBus;
use crate::model::LinkFlag;
use crate::store::StoreOptions;

async fn store_with(raw: &str) -> (Store, MessageId, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(dir.path(), EventBus::new(), StoreOptions::default()).expect("store opens");
    let id = super::fixture::seed(
        &store,
        super::fixture::Seed {
            raw: raw.into(),
            ..Default::default()
        },
    )
    .await;
    (store, id, dir)
}

fn html_mail(html: &str) -> String {
    html_mail_with_text("See http://plain.test/x", html)
}

fn html_mail_with_text(text: &str, html: &str) -> String {
    format!(
        "From: a@example.com\r\nTo: dev@example.com\r\nSubject: news\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n\
         --b\r\nContent-Type: text/html\r\n\r\n{html}\r\n--b--\r\n"
    )
}

#[tokio::test]
async fn html_check_reports_the_features_of_the_stored_html() {
    let (store, id, _dir) = store_with(&html_mail(
        "<html><body><div style=\"display:flex\"><svg></svg></div></body></html>",
    ))
    .await;
    let c = html_check(&store, id).await.expect("checked");
    let slugs: Vec<&str> = c.features.iter().map(|f| f.slug.as_str()).collect();
    assert!(
        slugs.contains(&"css-display-flex") && slugs.contains(&"html-svg"),
        "{slugs:?}"
    );
    assert!(c.total.supported < 100.0);
}

#[tokio::test]
async fn html_check_of_a_text_only_message_is_a_bad_request_and_a_missing_one_not_found() {
    let (store, id, _dir) =
        store_with("From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n\r\nplain\r\n").await;
    let err = html_check(&store, id).await.expect_err("no HTML");
    assert!(
        matches!(err, CommandError::Invalid(ref m) if m.contains("no HTML")),
        "{err}"
    );
    let err = html_check(&store, id + 99).await.expect_err("no message");
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn all_links_lists_script_links_flagged_and_links_leaves_them_out() {
    let (store, id, _dir) = store_with(&html_mail(
        "<a href=\"javascript:go()\">https://bank.example.com</a> <a href=\"https://ok.test/\">ok</a>",
    ))
    .await;
    let all = all_links(&store, id).await.unwrap();
    assert_eq!(all[0].flags, vec![LinkFlag::Mismatch, LinkFlag::Script]);
    let follow = links(&store, id).await.unwrap();
    assert!(follow.iter().all(|l| !l.url.starts_with("javascript")));
    let plain = follow
        .iter()
        .find(|l| l.url == "http://plain.test/x")
        .expect("text link");
    assert_eq!(plain.flags, vec![LinkFlag::Insecure]);
}

#[tokio::test]
async fn link_check_requests_links_and_images_of_the_message_from_a_local_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let reply = if req.contains(" /logo.png ") {
                    "HTTP/1.1 404 Not Found\r\n\r\n"
                } else {
                    "HTTP/1.1 200 OK\r\n\r\n"
                };
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    // Every target is on this machine: the test requests nothing else.
    let (store, id, _dir) = store_with(&html_mail_with_text(
        &format!("Or open {base}/confirm"),
        &format!(
            "<a href=\"{base}/confirm\">Confirm</a><img src=\"{base}/logo.png\">\
         <a href=\"file:///etc/passwd\">f</a>"
        ),
    ))
    .await;
    let c = link_check(&store, id, false).await.unwrap();
    let by_url = |u: &str| c.links.iter().find(|l| l.url == u).map(|l| l.status_code);
    assert_eq!(by_url(&format!("{base}/confirm")), Some(200));
    assert_eq!(
        by_url(&format!("{base}/logo.png")),
        Some(404),
        "images are checked too"
    );
    assert_eq!(
        by_url("file:///etc/passwd"),
        None,
        "file: links are not even listed"
    );
    assert!(c.errors >= 1, "the 404 counts");
}
