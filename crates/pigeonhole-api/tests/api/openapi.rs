//! The OpenAPI document and the router agree: every route is documented, every documented
//! path and method answers (with something other than 404 or 405), no undocumented method
//! is served on a documented path, and Mailpit's v1 paths are all there.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{seed_rich, Api};

/// Mailpit v1's paths and methods (its swagger), which its clients call.
const MAILPIT: &[(&str, &str)] = &[
    ("get", "/api/v1/info"),
    ("get", "/api/v1/webui"),
    ("get", "/api/v1/messages"),
    ("put", "/api/v1/messages"),
    ("delete", "/api/v1/messages"),
    ("get", "/api/v1/search"),
    ("delete", "/api/v1/search"),
    ("get", "/api/v1/message/{ID}"),
    ("get", "/api/v1/message/{ID}/headers"),
    ("get", "/api/v1/message/{ID}/raw"),
    ("get", "/api/v1/message/{ID}/part/{PartID}"),
    ("get", "/api/v1/message/{ID}/part/{PartID}/thumb"),
    ("get", "/api/v1/message/{ID}/html-check"),
    ("get", "/api/v1/message/{ID}/link-check"),
    ("get", "/api/v1/message/{ID}/sa-check"),
    ("post", "/api/v1/message/{ID}/release"),
    ("post", "/api/v1/send"),
    ("get", "/api/v1/tags"),
    ("put", "/api/v1/tags"),
    ("put", "/api/v1/tags/{Tag}"),
    ("delete", "/api/v1/tags/{Tag}"),
    ("get", "/api/v1/chaos"),
    ("put", "/api/v1/chaos"),
    ("get", "/view/{File}"),
    ("get", "/api/events"),
    ("get", "/livez"),
    ("get", "/readyz"),
];

/// Pigeonhole's own.
const OURS: &[(&str, &str)] = &[
    ("get", "/api/v1/status"),
    ("get", "/api/v1/sessions"),
    ("get", "/api/v1/session/{ID}"),
    ("get", "/api/v1/session/{ID}/transcript"),
    ("get", "/api/v1/message/{ID}/transcript"),
    ("get", "/api/v1/message/{ID}/links"),
    ("get", "/api/v1/message/{ID}/codes"),
    ("get", "/api/v1/message/{ID}/lint"),
    ("get", "/api/v1/lint/checks"),
    ("get", "/api/v1/inboxes"),
    ("post", "/api/v1/inboxes"),
    ("get", "/api/v1/wait"),
    ("get", "/api/v1/rules"),
    ("put", "/api/v1/rules"),
    ("delete", "/api/v1/rules"),
    ("post", "/api/v1/rules/reset"),
    ("post", "/api/v1/import"),
    ("get", "/api/v1/export.mbox"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/openapi.json"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(pigeonhole_api::document()).expect("the document serialises");
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect()
}

fn set(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let routes: BTreeSet<_> = set(MAILPIT).union(&set(OURS)).cloned().collect();
    let documented = documented();
    let missing: Vec<_> = routes.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented but not in this test's route list (add them here and test them): {extra:?}"
    );
}

#[test]
fn mailpits_v1_paths_are_all_documented() {
    let documented = documented();
    for route in set(MAILPIT) {
        assert!(
            documented.contains(&route),
            "Mailpit's {route:?} is documented"
        );
    }
}

#[test]
fn every_operation_says_what_it_answers() {
    let doc = serde_json::to_value(pigeonhole_api::document()).expect("serialises");
    for (method, path) in documented() {
        let op = &doc["paths"][&path][&method];
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents its responses: {op}"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} is tagged mailpit or pigeonhole: {op}"
        );
    }
}

/// A concrete URI for a documented path: `latest` for a message, the seeded session,
/// the seeded attachment's part, `x` for a tag.
fn concrete(path: &str, session: i64, part: &str) -> String {
    let uri = if path.starts_with("/api/v1/session/") {
        path.replace("{ID}", &session.to_string())
    } else {
        path.replace("{ID}", "latest")
    };
    uri.replace("{PartID}", part)
        .replace("{Tag}", "x")
        .replace("{File}", "latest.html")
}

#[tokio::test]
async fn every_documented_path_and_method_answers() {
    let api = Api::start().await;
    let id = seed_rich(&api.server).await;
    let session = api
        .server
        .transcript(id)
        .await
        .expect("transcript")
        .session
        .id;
    let m = api.get(&format!("/api/v1/message/{id}")).await.ok();
    let part = m["Attachments"][0]["PartID"]
        .as_str()
        .expect("the seeded attachment")
        .to_string();
    let mut routes: Vec<(String, String)> = documented().into_iter().collect();
    // Reads first, deletes last, and deleting everything very last.
    let rank = |(m, p): &(String, String)| match (m.as_str(), p.as_str()) {
        ("get", _) => 0,
        ("delete", "/api/v1/messages") => 3,
        ("delete", _) => 2,
        _ => 1,
    };
    routes.sort_by_key(rank);
    for (method, path) in &routes {
        let uri = concrete(path, session, part.as_str());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let status = api.status_of(method.clone(), &uri).await;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri} (documented as {path}) answers {status}"
        );
    }
}

#[tokio::test]
async fn no_undocumented_method_is_served_on_a_documented_path() {
    let api = Api::start().await;
    let documented = documented();
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for path in paths {
        for method in ["get", "put", "post", "delete", "patch"] {
            if documented.contains(&(method.to_string(), path.clone())) {
                continue;
            }
            let uri = concrete(path, 1, "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let status = api.status_of(m, &uri).await;
            assert_eq!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri} is not documented, so it is not served"
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_served_as_json() {
    let api = Api::start().await;
    let served: Value = api.get("/api/v1/openapi.json").await.ok();
    assert_eq!(
        served,
        serde_json::to_value(pigeonhole_api::document()).expect("serialises"),
        "the served document is the generated one"
    );
    assert!(
        served["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "OpenAPI 3: {}",
        served["openapi"]
    );
}
