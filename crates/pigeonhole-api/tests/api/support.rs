//! What the API tests share: a router over a real test server's engine (called in process
//! with `oneshot`), the reply with assertions on its shape, mail sent over real SMTP, and
//! a future polled once.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use axum::body::{Body, Bytes};
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use lettre::address::Envelope;
use lettre::{SmtpTransport, Transport};
use pigeonhole_api::{Access, AppState};
use pigeonhole_test::TestServer;
use serde_json::Value;
use tower::ServiceExt;

/// Large enough for every test body but the one that checks the limit.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
pub const TOKEN: &str = "ci-token-0123456789abcdef";
/// The client address `send` sees in process.
pub const PEER: ([u8; 4], u16) = ([127, 0, 0, 1], 40123);

/// A capture server, and the API router over its engine.
pub struct Api {
    pub server: TestServer,
    pub app: Router,
}

impl Api {
    pub async fn start() -> Api {
        Api::with(Access::default(), MAX_BODY).await
    }

    pub async fn with(access: Access, max_body: usize) -> Api {
        let server = TestServer::start().await.expect("the test server starts");
        Api::over(server, access, max_body)
    }

    /// The router over a server started with settings of the test's own.
    pub fn over(server: TestServer, access: Access, max_body: usize) -> Api {
        let state = AppState::new(server.engine().clone(), access);
        let app =
            pigeonhole_api::router(state, max_body).layer(MockConnectInfo(SocketAddr::from(PEER)));
        Api { server, app }
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let response = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router never fails");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body reads").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// The status alone, without reading the body (an event stream never ends).
    pub async fn status_of(&self, method: Method, uri: &str) -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        self.app
            .clone()
            .oneshot(req)
            .await
            .expect("the router never fails")
            .status()
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri, None).await
    }

    /// A request with an optional JSON body.
    pub async fn call(&self, method: Method, uri: &str, json: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match json {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.request(req.body(body).expect("request")).await
    }

    /// A request with a body as given (bad JSON, a large body).
    pub async fn call_raw(&self, method: Method, uri: &str, body: impl Into<Body>) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .expect("request");
        self.request(req).await
    }

    /// A GET with these headers.
    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::empty()).expect("request"))
            .await
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("a JSON body ({e}), got {}: {}", self.status, self.text()))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts 200 and returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "expected 200, got {}: {}",
            self.status,
            self.text()
        );
        self.json()
    }

    /// Asserts 200 with Mailpit's plain `ok`.
    pub fn plain_ok(&self) {
        assert_eq!(
            (self.status, self.text().as_str()),
            (StatusCode::OK, "ok"),
            "expected 200 ok"
        );
    }

    /// Asserts an error of this status whose body is our JSON error, and returns it.
    pub fn error(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text()
        );
        assert!(
            self.header("content-type").starts_with("application/json"),
            "a {status} error is JSON, got content-type {:?}: {}",
            self.header("content-type"),
            self.text()
        );
        let v = self.json();
        assert_eq!(
            v["status"].as_u64(),
            Some(u64::from(status.as_u16())),
            "the body repeats the status: {v}"
        );
        assert_eq!(
            v["error"].as_str(),
            status.canonical_reason(),
            "the body names the status: {v}"
        );
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "the body has a readable message: {v}"
        );
        v
    }
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn mailer(server: &TestServer) -> SmtpTransport {
    let smtp = server.smtp_addr();
    SmtpTransport::builder_dangerous(smtp.ip().to_string())
        .port(smtp.port())
        .build()
}

/// Sends these bytes over SMTP; returns once the server has said 250.
pub fn send_raw(server: &TestServer, from: &str, to: &[&str], raw: &str) {
    let envelope = Envelope::new(
        Some(from.parse().expect("from address")),
        to.iter().map(|t| t.parse().expect("to address")).collect(),
    )
    .expect("envelope");
    mailer(server)
        .send_raw(&envelope, raw.as_bytes())
        .expect("the server accepts the message");
}

/// Sends a plain message over SMTP; returns once the server has said 250.
pub fn send(server: &TestServer, to: &str, subject: &str, body: &str) {
    let raw = format!(
        "From: App <app@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.com>\r\n\r\n{body}\r\n",
        subject.replace(' ', "-")
    );
    send_raw(server, "app@example.com", &[to], &raw);
}

/// A message with everything Mailpit's shapes show: names, Cc, Bcc (envelope only),
/// Reply-To, List-Unsubscribe, tags, text and HTML, an attachment.
pub const RICH: &str = "From: App <app@example.com>\r
To: Ann <ann@example.com>\r
Cc: carl@example.com\r
Reply-To: support@example.com\r
Subject: Rich message\r
Message-ID: <rich-1@example.com>\r
Date: Tue, 01 Dec 2026 10:00:00 +0000\r
List-Unsubscribe: <mailto:unsub@example.com>, <https://example.com/unsub/1>\r
X-Tags: alpha, beta\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"mixed\"\r
\r
--mixed\r
Content-Type: multipart/alternative; boundary=\"alt\"\r
\r
--alt\r
Content-Type: text/plain; charset=utf-8\r
\r
Hello Ann, your verification code is 482913.\r
Confirm: https://example.com/confirm/1\r
--alt\r
Content-Type: text/html; charset=utf-8\r
\r
<p>Hello Ann, your verification code is <b>482913</b>.</p><p><a href=\"https://example.com/confirm/1\">Confirm email</a></p><script>alert(1)</script>\r
--alt--\r
--mixed\r
Content-Type: text/plain; name=\"report.txt\"\r
Content-Disposition: attachment; filename=\"report.txt\"\r
\r
report body\r
--mixed--\r
";

/// Sends `RICH` to Ann and Carl, and Dave as a Bcc, and waits until it can be searched.
pub async fn seed_rich(server: &TestServer) -> i64 {
    send_raw(
        server,
        "app@example.com",
        &["ann@example.com", "carl@example.com", "dave@example.com"],
        RICH,
    );
    server
        .wait_for("subject:Rich")
        .await
        .expect("the rich message is stored")
        .id
}

/// Polls a future once, so a wait has subscribed and started before the test goes on.
pub fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}
