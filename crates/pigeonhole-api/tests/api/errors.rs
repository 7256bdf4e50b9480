//! Every failure is JSON with its status, reason and a message: 404, 400, 405, 413, 501.

use axum::http::{Method, StatusCode};
use pigeonhole_api::Access;
use serde_json::json;

use crate::support::{seed_rich, Api};

#[tokio::test]
async fn unknown_and_non_numeric_ids_are_404() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    for uri in [
        "/api/v1/message/999999".to_string(),
        "/api/v1/message/abc".into(),
        "/api/v1/message/0".into(),
        "/api/v1/message/-1".into(),
        "/api/v1/message/999999/headers".into(),
        "/api/v1/message/999999/raw".into(),
        "/api/v1/message/abc/raw".into(),
        "/api/v1/message/999999/part/2".into(),
        "/api/v1/message/999999/links".into(),
        "/api/v1/message/abc/codes".into(),
        "/api/v1/message/999999/transcript".into(),
        "/view/999999.html".into(),
        "/view/abc.txt".into(),
        format!("/view/{id}.pdf"),
        "/api/v1/session/999999".into(),
        "/api/v1/session/abc".into(),
        "/api/v1/session/999999/transcript".into(),
    ] {
        let v = api.get(&uri).await.error(StatusCode::NOT_FOUND);
        assert!(
            v.get("position").is_none(),
            "{uri}: only a query error has a position: {v}"
        );
    }
}

#[tokio::test]
async fn an_unknown_part_is_404_naming_it() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let v = api
        .get(&format!("/api/v1/message/{id}/part/9.9"))
        .await
        .error(StatusCode::NOT_FOUND);
    assert!(
        v["message"].as_str().unwrap_or("").contains("9.9"),
        "the message names the part: {v}"
    );
}

#[tokio::test]
async fn latest_with_no_mail_is_404() {
    let api = Api::start().await;
    api.get("/api/v1/message/latest")
        .await
        .error(StatusCode::NOT_FOUND);
    api.get("/view/latest.html")
        .await
        .error(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let api = Api::start().await;
    for uri in [
        "/api/v1/nope",
        "/nope",
        "/api/v2/messages",
        "/api/v1/message/1/nope",
    ] {
        let v = api.get(uri).await.error(StatusCode::NOT_FOUND);
        assert!(
            v["message"].as_str().unwrap_or("").contains("openapi.json"),
            "{uri}: the 404 points at the API description: {v}"
        );
    }
}

#[tokio::test]
async fn a_method_an_endpoint_does_not_take_is_a_json_405() {
    let api = Api::start().await;
    for (method, uri) in [
        (Method::POST, "/api/v1/info"),
        (Method::DELETE, "/api/v1/tags"),
        (Method::GET, "/api/v1/send"),
        (Method::PUT, "/api/v1/message/1"),
        (Method::POST, "/api/v1/wait"),
    ] {
        api.call(method.clone(), uri, None)
            .await
            .error(StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test]
async fn a_bad_query_is_400_with_where_it_goes_wrong() {
    let api = Api::start().await;
    // "bogus:" starts at character 11 (counting from 0).
    let q = crate::support::enc("subject:hi bogus:x");
    for uri in [
        format!("/api/v1/search?query={q}"),
        format!("/api/v1/wait?query={q}&timeout=5s"),
        format!("/api/v1/search?query={q}&tz=UTC"),
    ] {
        let v = api.get(&uri).await.error(StatusCode::BAD_REQUEST);
        assert_eq!(v["position"], 11, "{uri}: the position of bogus: {v}");
        assert!(
            v["length"].as_u64().is_some_and(|n| n >= 5),
            "{uri}: the length covers the operator: {v}"
        );
    }
    for (method, uri) in [
        (Method::DELETE, format!("/api/v1/search?query={q}")),
        (Method::DELETE, "/api/v1/search?query=".to_string()),
    ] {
        api.call(method, &uri, None)
            .await
            .error(StatusCode::BAD_REQUEST);
    }
    let v = api
        .call(
            Method::PUT,
            "/api/v1/messages",
            Some(json!({"Search": "subject:hi bogus:x", "Read": true})),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(
        v["position"], 11,
        "a bad Search in a body has its position too: {v}"
    );
}

#[tokio::test]
async fn bad_json_and_bad_ids_in_a_body_are_400() {
    let api = Api::start().await;
    for (method, uri) in [
        (Method::PUT, "/api/v1/messages"),
        (Method::DELETE, "/api/v1/messages"),
        (Method::PUT, "/api/v1/tags"),
        (Method::PUT, "/api/v1/tags/x"),
        (Method::POST, "/api/v1/send"),
    ] {
        let v = api
            .call_raw(method.clone(), uri, "{\"IDs\": [")
            .await
            .error(StatusCode::BAD_REQUEST);
        assert!(
            v["message"].as_str().unwrap_or("").contains("JSON"),
            "{method} {uri}: the message says the JSON is bad: {v}"
        );
    }
    api.call(
        Method::DELETE,
        "/api/v1/messages",
        Some(json!({"IDs": ["abc"]})),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
    api.call(
        Method::PUT,
        "/api/v1/tags",
        Some(json!({"IDs": ["1"], "Tags": ["has,comma"]})),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_query_string_values_are_json_400s() {
    let api = Api::start().await;
    for uri in [
        "/api/v1/messages?start=abc",
        "/api/v1/messages?limit=-1",
        "/api/v1/search?query=x&start=abc",
        "/api/v1/wait?query=x&count=many",
        "/api/v1/sessions?start=abc",
        "/api/v1/sessions?show=bogus",
    ] {
        api.get(uri).await.error(StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_a_json_400() {
    let api = Api::start().await;
    for uri in [
        "/api/v1/message/%FF",
        "/api/v1/session/%FF/transcript",
        "/view/%FF.html",
    ] {
        api.get(uri).await.error(StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn read_status_with_both_ids_and_search_is_400() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    api.call(
        Method::PUT,
        "/api/v1/messages",
        Some(json!({"IDs": [id.to_string()], "Search": "subject:Rich", "Read": true})),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
    let list = api.get("/api/v1/messages").await.ok();
    assert_eq!(list["unread"], 1, "nothing was marked: {list}");
}

#[tokio::test]
async fn a_bad_time_zone_is_400() {
    let api = Api::start().await;
    for uri in [
        "/api/v1/search?query=after:2020-01-01&tz=Mars/Olympus",
        "/api/v1/search?query=x&tz=%2B25:00",
        "/api/v1/wait?query=x&tz=nowhere&timeout=1s",
    ] {
        let v = api.get(uri).await.error(StatusCode::BAD_REQUEST);
        assert!(
            v["message"].as_str().unwrap_or("").starts_with("tz:"),
            "{uri}: the message names tz: {v}"
        );
    }
    api.call(Method::DELETE, "/api/v1/search?query=x&tz=Mars", None)
        .await
        .error(StatusCode::BAD_REQUEST);
    for tz in ["Europe/Berlin", "UTC", "%2B02:00", "-0530"] {
        api.get(&format!("/api/v1/search?query=after:2020-01-01&tz={tz}"))
            .await
            .ok();
    }
}

#[tokio::test]
async fn a_bad_or_too_long_timeout_is_400() {
    let api = Api::start().await;
    for timeout in ["soon", "-1", "11m", "1h"] {
        let v = api
            .get(&format!("/api/v1/wait?query=x&timeout={timeout}"))
            .await
            .error(StatusCode::BAD_REQUEST);
        assert!(
            v["message"].as_str().unwrap_or("").starts_with("timeout:"),
            "timeout={timeout}: the message names timeout: {v}"
        );
    }
}

#[tokio::test]
async fn a_send_body_over_the_limit_is_413() {
    let api = Api::with(Access::default(), 2048).await;
    let big = json!({
        "From": {"Email": "app@example.com"},
        "To": [{"Email": "ann@example.com"}],
        "Subject": "Too big",
        "Text": "x".repeat(4096),
    });
    api.call(Method::POST, "/api/v1/send", Some(big))
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE);
    let small = json!({
        "From": {"Email": "app@example.com"},
        "To": [{"Email": "ann@example.com"}],
        "Subject": "Fits",
    });
    api.call(Method::POST, "/api/v1/send", Some(small))
        .await
        .ok();
}

#[tokio::test]
async fn what_is_not_implemented_is_a_json_501() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    for (method, uri) in [
        (Method::GET, format!("/api/v1/message/{id}/sa-check")),
        (Method::GET, format!("/api/v1/message/{id}/part/2/thumb")),
    ] {
        let v = api
            .call(method.clone(), &uri, None)
            .await
            .error(StatusCode::NOT_IMPLEMENTED);
        assert!(
            v["message"]
                .as_str()
                .unwrap_or("")
                .contains("not implemented"),
            "{method} {uri}: the message says so: {v}"
        );
    }
}
