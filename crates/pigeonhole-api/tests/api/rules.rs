//! Fault rules over the API: `/api/v1/rules` and Mailpit's `/api/v1/chaos`, each checked by
//! what a real SMTP conversation then gets.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::Api;

/// Talks SMTP over a plain socket and returns the final reply line of each command.
fn converse(api: &Api, commands: &[&str]) -> Vec<String> {
    let stream = TcpStream::connect(api.server.smtp_addr()).expect("connects");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut w = stream;
    let mut read_reply = || loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return "closed".to_string();
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return line.trim_end().to_string();
        }
    };
    let mut out = vec![read_reply()];
    for c in commands {
        w.write_all(format!("{c}\r\n").as_bytes()).expect("writes");
        out.push(read_reply());
    }
    out
}

#[tokio::test]
async fn rules_are_set_read_counted_reset_and_cleared() {
    let api = Api::start().await;
    let empty = api.get("/api/v1/rules").await.ok();
    assert_eq!(empty, json!({"fail_fast": false, "rules": [], "stats": []}));

    let set = api
        .call(
            Method::PUT,
            "/api/v1/rules",
            Some(
                json!([{"name": "no nobody", "stage": "rcpt", "address": "nobody@*",
                         "action": "reply", "code": 550, "enhanced": "5.1.1"}]),
            ),
        )
        .await
        .ok();
    assert_eq!(set["rules"][0]["name"], "no nobody");
    let got = converse(
        &api,
        &[
            "EHLO t",
            "MAIL FROM:<a@x>",
            "RCPT TO:<nobody@x>",
            "RCPT TO:<b@x>",
            "QUIT",
        ],
    );
    assert!(got[3].starts_with("550 5.1.1 "), "{got:?}");
    assert!(got[4].starts_with("250 "), "{got:?}");
    let stats = api.get("/api/v1/rules").await.ok()["stats"][0].clone();
    assert_eq!(
        (stats["matched"].as_u64(), stats["fired"].as_u64()),
        (Some(1), Some(1)),
        "{stats}"
    );

    let reset = api
        .call(Method::POST, "/api/v1/rules/reset", None)
        .await
        .ok();
    assert_eq!(reset["stats"][0]["fired"], 0);
    assert_eq!(
        reset["rules"][0]["name"], "no nobody",
        "a reset keeps the rules"
    );

    // The object form sets fail-fast too.
    let v = api
        .call(
            Method::PUT,
            "/api/v1/rules",
            Some(json!({"fail_fast": true, "rules": [{"name": "full", "stage": "rcpt", "action": "reply", "code": 452}]})),
        )
        .await
        .ok();
    assert_eq!(v["fail_fast"], true);
    let got = converse(
        &api,
        &["EHLO t", "MAIL FROM:<a@x>", "RCPT TO:<b@x>", "NOOP"],
    );
    assert!(got[3].starts_with("452 4.0.0"), "{got:?}");
    assert_eq!(got[4], "closed", "fail-fast closed the session: {got:?}");

    // Only fail_fast: the rules stay.
    let v = api
        .call(
            Method::PUT,
            "/api/v1/rules",
            Some(json!({"fail_fast": false})),
        )
        .await
        .ok();
    assert_eq!(
        (v["fail_fast"].as_bool(), v["rules"][0]["name"].as_str()),
        (Some(false), Some("full")),
        "{v}"
    );

    let cleared = api.call(Method::DELETE, "/api/v1/rules", None).await.ok();
    assert_eq!(cleared["rules"], json!([]));
    let got = converse(
        &api,
        &["EHLO t", "MAIL FROM:<a@x>", "RCPT TO:<b@x>", "QUIT"],
    );
    assert!(got[3].starts_with("250 "), "no rules, no faults: {got:?}");
}

#[tokio::test]
async fn a_bad_rule_set_is_a_400_naming_each_rule_and_field_and_nothing_changes() {
    let api = Api::start().await;
    api.call(
        Method::PUT,
        "/api/v1/rules",
        Some(json!([{"name": "keep", "stage": "quit", "action": "drop"}])),
    )
    .await
    .ok();
    let v = api
        .call(
            Method::PUT,
            "/api/v1/rules",
            Some(json!([
                {"name": "fine", "action": "drop"},
                {"name": "typo", "stage": "rcp", "action": "drop"},
                {"name": "loud", "action": "reply", "code": 700},
                {"name": "re", "address": "/(x/", "action": "drop"},
            ])),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .expect("a list of problems")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with("rules[1] \"typo\": stage: \"rcp\" is not one of connect"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("rules[2] \"loud\": code: 700 is outside 200-599"),
        "{errors:?}"
    );
    assert!(
        errors[2]
            .starts_with("rules[3] \"re\": address: the regular expression /(x/ does not compile"),
        "{errors:?}"
    );
    let now = api.get("/api/v1/rules").await.ok();
    assert_eq!(
        now["rules"][0]["name"], "keep",
        "the old set stays whole: {now}"
    );
    assert_eq!(now["rules"].as_array().map(Vec::len), Some(1));

    for (body, want) in [
        ("not json", "invalid JSON"),
        ("{\"rules\": [], \"colour\": 1}", "colour: is not a field"),
        ("{\"fail_fast\": \"yes\"}", "fail_fast"),
        ("42", "send a list of rules"),
    ] {
        let v = api
            .call_raw(Method::PUT, "/api/v1/rules", body.to_string())
            .await
            .error(StatusCode::BAD_REQUEST);
        assert!(
            v["message"].as_str().unwrap_or("").contains(want),
            "{body}: {v}"
        );
    }
}

#[tokio::test]
async fn mailpit_chaos_triggers_are_seeded_rules() {
    let api = Api::start().await;
    let off = api.get("/api/v1/chaos").await.ok();
    assert_eq!(
        off,
        json!({
            "Authentication": {"ErrorCode": 535, "Probability": 0},
            "Recipient": {"ErrorCode": 451, "Probability": 0},
            "Sender": {"ErrorCode": 451, "Probability": 0},
        })
    );
    assert_eq!(api.get("/api/v1/webui").await.ok()["ChaosEnabled"], true);
    // Go matches keys ignoring case, so Mailpit clients may send them in any case.
    let set = api
        .call(
            Method::PUT,
            "/api/v1/chaos",
            Some(json!({"sender": {"errorcode": 421, "probability": 100}})),
        )
        .await
        .ok();
    assert_eq!(set["Sender"], json!({"ErrorCode": 421, "Probability": 100}));
    let got = converse(&api, &["EHLO t", "MAIL FROM:<a@x>", "NOOP"]);
    assert!(got[2].starts_with("421 "), "{got:?}");
    assert_eq!(got[3], "closed", "421 closes: {got:?}");
    let rules = api.get("/api/v1/rules").await.ok();
    assert_eq!(rules["rules"][0]["name"], "chaos:sender");
    assert_eq!(rules["rules"][0]["stage"], "mail");

    // A trigger left out is turned off; other rules stay.
    api.call(
        Method::PUT,
        "/api/v1/rules",
        Some(json!([{"name": "mine", "stage": "quit", "action": "drop"}])),
    )
    .await
    .ok();
    api.call(
        Method::PUT,
        "/api/v1/chaos",
        Some(json!({"Recipient": {"ErrorCode": 452, "Probability": 50}})),
    )
    .await
    .ok();
    let names: Vec<String> = api.get("/api/v1/rules").await.ok()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["mine", "chaos:recipient"]);
    api.call(Method::PUT, "/api/v1/chaos", Some(json!({})))
        .await
        .ok();
    assert_eq!(api.get("/api/v1/chaos").await.ok(), off);

    let v = api
        .call(
            Method::PUT,
            "/api/v1/chaos",
            Some(json!({"Sender": {"ErrorCode": 250, "Probability": 10}})),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("Sender.ErrorCode: 250 is not 400-599"),
        "{v}"
    );
    let v = api
        .call(
            Method::PUT,
            "/api/v1/chaos",
            Some(json!({"Sender": {"ErrorCode": 451, "Probability": 101}})),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap_or("").contains("0-100"), "{v}");
}
