//! Who may call: the token (401), the Host check against DNS rebinding and the Origin check
//! against other web pages (403), including the event WebSocket.

use axum::http::StatusCode;
use base64::Engine as _;
use pigeonhole_api::Access;
use pigeonhole_test::TestServer;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::support::{Api, MAX_BODY, TOKEN};

async fn with_token() -> Api {
    Api::with(
        Access {
            token: Some(TOKEN.into()),
            ..Access::default()
        },
        MAX_BODY,
    )
    .await
}

fn basic(user: &str, password: &str) -> String {
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {pair}")
}

#[tokio::test]
async fn with_a_token_a_request_without_it_or_with_a_wrong_one_is_401() {
    let api = with_token().await;
    let wrong_bearer = format!("Bearer {TOKEN}x");
    let wrong_basic = basic("ci", "nope");
    let cases: [&[(&str, &str)]; 5] = [
        &[],
        &[("authorization", &wrong_bearer)],
        &[("authorization", &wrong_basic)],
        &[("authorization", TOKEN)],
        &[("authorization", "Bearer")],
    ];
    for headers in cases {
        let r = api.get_with("/api/v1/messages", headers).await;
        r.error(StatusCode::UNAUTHORIZED);
        assert!(
            r.header("www-authenticate").starts_with("Bearer"),
            "{headers:?}: a 401 says how to authenticate"
        );
    }
    // The WebSocket and SSE need it too.
    api.get("/api/events").await.error(StatusCode::UNAUTHORIZED);
    api.get("/api/v1/events")
        .await
        .error(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn with_a_token_bearer_or_basic_with_it_as_password_is_let_in() {
    let api = with_token().await;
    let bearer = format!("Bearer {TOKEN}");
    let basic = basic("anyone", TOKEN);
    for auth in [bearer.as_str(), basic.as_str()] {
        api.get_with("/api/v1/messages", &[("authorization", auth)])
            .await
            .ok();
    }
}

#[tokio::test]
async fn health_checks_are_open_even_with_a_token() {
    let api = with_token().await;
    for uri in ["/livez", "/readyz"] {
        let r = api.get(uri).await;
        assert_eq!(
            (r.status, r.text().as_str()),
            (StatusCode::OK, "ok"),
            "{uri} needs no token"
        );
    }
}

#[tokio::test]
async fn without_a_token_a_foreign_host_is_403() {
    let api = Api::start().await;
    for host in ["evil.example", "evil.example:8025", "192.0.2.1:8025"] {
        let v = api
            .get_with("/api/v1/messages", &[("host", host)])
            .await
            .error(StatusCode::FORBIDDEN);
        assert!(
            v["message"].as_str().unwrap_or("").contains("Host"),
            "{host}: the message says it is the Host: {v}"
        );
    }
    for host in ["127.0.0.1:8025", "localhost:8025", "[::1]:8025"] {
        api.get_with("/api/v1/messages", &[("host", host)])
            .await
            .ok();
    }
}

#[tokio::test]
async fn a_page_from_another_origin_is_403_unless_configured() {
    let api = Api::with(
        Access {
            origins: vec!["http://localhost:3000".into()],
            ..Access::default()
        },
        MAX_BODY,
    )
    .await;
    let host = ("host", "127.0.0.1:8025");
    let v = api
        .get_with(
            "/api/v1/messages",
            &[host, ("origin", "https://evil.example")],
        )
        .await
        .error(StatusCode::FORBIDDEN);
    assert!(
        v["message"].as_str().unwrap_or("").contains("origin"),
        "the message names the origin: {v}"
    );
    let r = api
        .get_with(
            "/api/v1/messages",
            &[host, ("origin", "http://localhost:3000")],
        )
        .await;
    r.ok();
    assert_eq!(
        r.header("access-control-allow-origin"),
        "http://localhost:3000",
        "a configured origin gets CORS headers"
    );
    api.get_with(
        "/api/v1/messages",
        &[host, ("origin", "http://127.0.0.1:8025")],
    )
    .await
    .ok();
    // A token does not let a foreign page in either.
    let api = with_token().await;
    let bearer = format!("Bearer {TOKEN}");
    api.get_with(
        "/api/v1/messages",
        &[
            host,
            ("origin", "https://evil.example"),
            ("authorization", &bearer),
        ],
    )
    .await
    .error(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_origin_websocket_upgrade_is_refused() {
    let server = TestServer::start().await.expect("server starts");
    let addr = server.http_addr().expect("api");
    let mut req = format!("ws://{addr}/api/events")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("https://evil.example"));
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(
            response.status(),
            403,
            "a foreign page may not open the event socket"
        ),
        Err(e) => panic!("a 403 refusal, got {e}"),
        Ok(_) => panic!("the cross-origin upgrade was accepted"),
    }
    // The same origin (the server's own page) may.
    let mut req = format!("ws://{addr}/api/events")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "origin",
        HeaderValue::from_str(&format!("http://{addr}")).expect("header"),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .expect("a same-origin upgrade is accepted");
}
