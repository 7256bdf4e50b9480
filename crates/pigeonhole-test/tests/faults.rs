//! Fault rules through a real client: Python's smtplib talks to a `TestServer` whose rules
//! are set with `set_rules`, one case per action and per kind of match. Each case asserts
//! the exact reply codes the client saw and what was stored; the whole table runs three
//! times and must give the same replies each time (the seeded probability too).

use std::process::Command;
use std::time::{Duration, Instant};

use pigeonhole_test::pigeonhole_core::commands;
use pigeonhole_test::pigeonhole_core::config::ListenerConfig;
use pigeonhole_test::pigeonhole_core::model::{SessionFilter, SessionSummary};
use pigeonhole_test::rules::{parse_rules, RuleSet};
use pigeonhole_test::TestServer;
use serde_json::{json, Value};

const STEPS: &str = include_str!("smtp_steps.py");

/// What one conversation got: (step, code, text, milliseconds). Code -1: the server
/// closed the connection; -2: TLS failed.
type Got = Vec<(String, i64, String, u64)>;

fn run_plan(port: u16, plan: &Value) -> Vec<Got> {
    let out = Command::new("python3")
        .args([
            "-c",
            STEPS,
            "127.0.0.1",
            &port.to_string(),
            &plan.to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "smtplib script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    v.as_array()
        .expect("a list of conversations")
        .iter()
        .map(|conv| {
            conv.as_array()
                .expect("a conversation is a list")
                .iter()
                .map(|s| {
                    (
                        s[0].as_str().unwrap_or("").to_string(),
                        s[1].as_i64().unwrap_or(0),
                        s[2].as_str().unwrap_or("").to_string(),
                        s[3].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .collect()
}

fn codes(got: &[Got]) -> Vec<Vec<i64>> {
    got.iter()
        .map(|c| c.iter().map(|s| s.1).collect())
        .collect()
}

struct Case {
    name: &'static str,
    fail_fast: bool,
    rules: Value,
    plan: Value,
    /// The codes of each conversation; `None` for the seeded-probability case, checked
    /// by `check` and by the three runs agreeing.
    want: Option<Vec<Vec<i64>>>,
    stored: usize,
    check: fn(&[Got]),
}

fn none(_: &[Got]) {}

const MAIL: &str = "MAIL FROM:<app@example.com>";

fn cases(shop_port: u16) -> Vec<Case> {
    let shop = format!("PORT {shop_port}");
    vec![
        Case {
            name: "reply 452 4.5.3 to the 2nd RCPT",
            fail_fast: false,
            rules: json!([{"name": "second rcpt", "stage": "rcpt", "nth": 2, "action": "reply",
                           "code": 452, "enhanced": "4.5.3", "text": "Too many recipients"}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "RCPT TO:<b@x.test>",
                "RCPT TO:<c@x.test>",
                "DATA t452",
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 250, 250, 452, 250, 250, 221]]),
            stored: 1,
            check: |got| assert_eq!(got[0][4].2, "4.5.3 Too many recipients", "as configured"),
        },
        Case {
            name: "421 after DATA, then the connection is closed",
            fail_fast: false,
            rules: json!([{"name": "bye", "stage": "end_of_data", "action": "reply", "code": 421}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "DATA t421",
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 250, 250, 421, -1]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "550 5.1.1 for nobody@, by a glob",
            fail_fast: false,
            rules: json!([{"name": "no such user", "stage": "rcpt", "address": "nobody@*",
                           "action": "reply", "code": 550, "enhanced": "5.1.1"}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<Nobody@X.test>",
                "RCPT TO:<real@x.test>",
                "DATA t550",
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 250, 550, 250, 250, 221]]),
            stored: 1,
            check: |got| assert!(got[0][3].2.starts_with("5.1.1 "), "{:?}", got[0][3]),
        },
        Case {
            name: "a sender blacklist by regex",
            fail_fast: false,
            rules: json!([{"name": "bounces", "stage": "mail", "address": "/^bounce-[0-9]+@/",
                           "action": "reply", "code": 553, "enhanced": "5.1.8"}]),
            plan: json!([[
                "EHLO app.test",
                "MAIL FROM:<bounce-12@x.test>",
                "RSET",
                MAIL,
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 553, 250, 250, 221]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "delay before the MAIL reply",
            fail_fast: false,
            rules: json!([{"name": "slow", "stage": "mail", "action": "delay", "delay_ms": 600}]),
            plan: json!([["EHLO app.test", MAIL, "QUIT"]]),
            want: Some(vec![vec![220, 250, 250, 221]]),
            stored: 0,
            check: |got| assert!(got[0][2].3 >= 550, "MAIL took {} ms", got[0][2].3),
        },
        Case {
            name: "throttled to 1000 bytes/s from DATA on",
            fail_fast: false,
            rules: json!([{"name": "slow link", "stage": "data", "action": "throttle",
                           "bytes_per_second": 1000}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "DATA throttled",
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 250, 250, 250, 221]]),
            stored: 1,
            // About 600 bytes of message at 1000 bytes/s.
            check: |got| assert!(got[0][4].3 >= 400, "DATA took {} ms", got[0][4].3),
        },
        Case {
            name: "drop the connection at MAIL",
            fail_fast: false,
            rules: json!([{"name": "drop", "stage": "mail", "action": "drop"}]),
            plan: json!([["EHLO app.test", MAIL, "QUIT"]]),
            want: Some(vec![vec![220, 250, -1]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "drop in the middle of the RCPT reply",
            fail_fast: false,
            rules: json!([{"name": "cut", "stage": "rcpt", "action": "drop_mid_reply"}]),
            plan: json!([["EHLO app.test", MAIL, "RCPT TO:<a@x.test>", "QUIT"]]),
            // smtplib takes the half line it got for a reply, then finds the connection gone.
            want: Some(vec![vec![220, 250, 250, 250, -1]]),
            stored: 0,
            check: |got| {
                let full = "2.1.5 Recipient <a@x.test> OK";
                let cut = &got[0][3].2;
                assert!(
                    cut.len() < full.len() && full.starts_with(cut.as_str()),
                    "{cut:?}"
                );
            },
        },
        Case {
            name: "fail the STARTTLS handshake",
            fail_fast: false,
            rules: json!([{"name": "bad tls", "action": "fail_tls"}]),
            plan: json!([["EHLO app.test", "STARTTLS", "EHLO again.test"]]),
            want: Some(vec![vec![220, 250, -2]]),
            stored: 0,
            check: |got| assert!(got[0][2].2.contains("SSL"), "{:?}", got[0][2]),
        },
        Case {
            name: "accept and discard",
            fail_fast: false,
            rules: json!([{"name": "black hole", "action": "discard"}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "DATA gone",
                "QUIT"
            ]]),
            want: Some(vec![vec![220, 250, 250, 250, 250, 221]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "tempfail twice, then accept, with a client that retries",
            fail_fast: false,
            rules: json!([{"name": "greylist", "action": "tempfail", "attempts": 2}]),
            plan: json!([["RETRY 3 greylisted"]]),
            want: Some(vec![vec![451, 451, 250]]),
            stored: 1,
            check: none,
        },
        Case {
            name: "by HELO name",
            fail_fast: false,
            rules: json!([{"name": "blocked host", "stage": "mail", "helo": "*.blocked.test",
                           "action": "reply", "code": 554, "enhanced": "5.7.1"}]),
            plan: json!([["EHLO ci.blocked.test", MAIL], ["EHLO fine.test", MAIL]]),
            want: Some(vec![vec![220, 250, 554], vec![220, 250, 250]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "by AUTH user",
            fail_fast: false,
            rules: json!([{"name": "carol is suspended", "stage": "mail", "auth_user": "carol",
                           "action": "reply", "code": 550, "enhanced": "5.7.1"}]),
            plan: json!([
                ["EHLO app.test", "AUTH carol pw", MAIL],
                ["EHLO app.test", "AUTH dave pw", MAIL]
            ]),
            want: Some(vec![vec![220, 250, 235, 550], vec![220, 250, 235, 250]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "by client address, at connect",
            fail_fast: false,
            rules: json!([{"name": "local clients", "stage": "connect", "client": "127.0.0.*",
                           "action": "reply", "code": 554, "text": "No SMTP service here"}]),
            plan: json!([["QUIT"]]),
            want: Some(vec![vec![554, 221]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "by listener",
            fail_fast: false,
            rules: json!([{"name": "shop is full", "stage": "rcpt", "listener": "shop",
                           "action": "reply", "code": 452}]),
            plan: json!([
                [shop, "EHLO app.test", MAIL, "RCPT TO:<a@x.test>"],
                ["EHLO app.test", MAIL, "RCPT TO:<a@x.test>"]
            ]),
            want: Some(vec![vec![220, 250, 250, 452], vec![220, 250, 250, 250]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "every 2nd RCPT",
            fail_fast: false,
            rules: json!([{"name": "every other", "stage": "rcpt", "every": 2, "action": "reply", "code": 451}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "RCPT TO:<b@x.test>",
                "RCPT TO:<c@x.test>",
                "RCPT TO:<d@x.test>"
            ]]),
            want: Some(vec![vec![220, 250, 250, 250, 451, 250, 451]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "the first connection only: 421 and closed",
            fail_fast: false,
            rules: json!([{"name": "cold start", "stage": "connect", "first": 1, "action": "reply", "code": 421}]),
            plan: json!([["EHLO app.test"], ["EHLO app.test"]]),
            want: Some(vec![vec![421, -1], vec![220, 250]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "the first connection per listener",
            fail_fast: false,
            rules: json!([{"name": "first per listener", "stage": "connect", "nth": 1, "per": "listener",
                           "action": "reply", "code": 554}]),
            plan: json!([["QUIT"], [shop, "QUIT"], ["QUIT"]]),
            want: Some(vec![vec![554, 221], vec![554, 221], vec![220, 221]]),
            stored: 0,
            check: none,
        },
        Case {
            name: "a seeded half of RCPTs",
            fail_fast: false,
            rules: json!([{"name": "flaky", "stage": "rcpt", "probability": 0.5, "seed": 42,
                           "action": "reply", "code": 451}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<1@x.test>",
                "RCPT TO:<2@x.test>",
                "RCPT TO:<3@x.test>",
                "RCPT TO:<4@x.test>",
                "RCPT TO:<5@x.test>",
                "RCPT TO:<6@x.test>",
                "RCPT TO:<7@x.test>",
                "RCPT TO:<8@x.test>",
                "RCPT TO:<9@x.test>",
                "RCPT TO:<10@x.test>"
            ]]),
            want: None,
            stored: 0,
            check: |got| {
                let rcpt: Vec<i64> = got[0][3..].iter().map(|s| s.1).collect();
                assert!(
                    rcpt.contains(&250) && rcpt.contains(&451),
                    "a mix: {rcpt:?}"
                );
            },
        },
        Case {
            name: "fail fast: the first refusal ends the session",
            fail_fast: true,
            rules: json!([{"name": "no", "stage": "rcpt", "action": "reply", "code": 550}]),
            plan: json!([[
                "EHLO app.test",
                MAIL,
                "RCPT TO:<a@x.test>",
                "RCPT TO:<b@x.test>"
            ]]),
            want: Some(vec![vec![220, 250, 250, 550, -1]]),
            stored: 0,
            check: none,
        },
    ]
}

async fn ended_sessions(server: &TestServer, want: usize) -> Vec<SessionSummary> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = commands::sessions(server.store(), SessionFilter::default(), 0, 500)
            .await
            .expect("sessions");
        let ended: Vec<SessionSummary> =
            page.into_iter().filter(|s| s.ended_at.is_some()).collect();
        if ended.len() >= want || Instant::now() > deadline {
            return ended;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run_table(server: &TestServer, shop_port: u16) -> Vec<Vec<Vec<i64>>> {
    let mut all = Vec::new();
    for case in cases(shop_port) {
        let rules = parse_rules(&case.rules).unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        server
            .set_rule_set(RuleSet {
                fail_fast: case.fail_fast,
                rules,
            })
            .expect("valid rules");
        commands::clear(server.store()).await.expect("clear");
        let port = server.smtp_addr().port();
        let plan = case.plan.clone();
        let got = tokio::task::spawn_blocking(move || run_plan(port, &plan))
            .await
            .expect("client thread");
        let seen = codes(&got);
        if let Some(want) = &case.want {
            assert_eq!(
                &seen, want,
                "{}: the codes the client saw; got {got:?}",
                case.name
            );
        }
        (case.check)(&got);
        let stored = server.messages().await.expect("messages");
        assert_eq!(stored.len(), case.stored, "{}: messages stored", case.name);
        let fired: u64 = server.rules().stats.iter().map(|s| s.fired).sum();
        assert!(fired > 0, "{}: the rule's stats say it fired", case.name);
        all.push(seen);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_and_match_kind_through_smtplib_three_times_alike() {
    let server = TestServer::builder()
        .starttls(true)
        .config(|c| {
            c.listeners.push(ListenerConfig {
                name: "shop".into(),
                smtp: "127.0.0.1:0".into(),
                auth_mode: None,
                auth_users: None,
                starttls: None,
            })
        })
        .start()
        .await
        .expect("server starts");
    let shop_port = server
        .engine()
        .listener_addrs()
        .iter()
        .find(|(n, _)| n == "shop")
        .map(|(_, a)| a.port())
        .expect("the shop listener is bound");
    let first = run_table(&server, shop_port).await;
    for run in 2..=3 {
        let again = run_table(&server, shop_port).await;
        assert_eq!(again, first, "run {run} gave the same replies as run 1");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fired_rules_are_in_the_transcript_and_mark_the_session() {
    let server = TestServer::builder()
        .starttls(true)
        .start()
        .await
        .expect("server starts");
    server
        .set_rule_set(RuleSet {
            fail_fast: false,
            rules: parse_rules(&json!([
                {"name": "slow rcpt", "stage": "rcpt", "action": "delay", "delay_ms": 50},
                {"name": "quota", "stage": "rcpt", "nth": 2, "action": "reply", "code": 452, "enhanced": "4.2.2"},
                {"name": "bad tls", "action": "fail_tls"},
            ]))
            .expect("valid"),
        })
        .expect("set");
    let port = server.smtp_addr().port();
    let plan = json!([
        [
            "EHLO app.test",
            MAIL,
            "RCPT TO:<a@x.test>",
            "RCPT TO:<b@x.test>",
            "DATA marked",
            "QUIT"
        ],
        ["EHLO app.test", "STARTTLS"],
    ]);
    tokio::task::spawn_blocking(move || run_plan(port, &plan))
        .await
        .expect("client");
    let msg = server.wait_for("subject:marked").await.expect("stored");
    let t = server.transcript(msg.id).await.expect("transcript");
    let text: Vec<&str> = t.lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|l| l.starts_with("rule \"quota\" fired at rcpt (occurrence 2): reply 452 4.2.2")),
        "{text:#?}"
    );
    assert!(text
        .iter()
        .any(|l| l.starts_with("rule \"slow rcpt\" fired at rcpt")));
    assert!(text.contains(&"452 4.2.2 Requested action not taken: insufficient system storage"));
    assert_eq!(t.session.faults, 3, "two delays and the refusal");
    let sessions = ended_sessions(&server, 2).await;
    let tls = sessions
        .iter()
        .find(|s| s.message_count == 0)
        .expect("the TLS session");
    assert!(tls.tls_failed && tls.faults == 1, "{tls:?}");
    let stats = server.rules().stats;
    assert_eq!((stats[1].matched, stats[1].fired), (2, 1), "{stats:?}");
    server.reset_rule_counters();
    assert_eq!(server.rules().stats[1].matched, 0);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_rule_is_refused_and_the_old_rules_stay() {
    let server = TestServer::start().await.expect("server starts");
    server
        .set_rules(
            parse_rules(&json!([{"name": "keep", "action": "drop", "stage": "quit"}])).unwrap(),
        )
        .expect("set");
    let bad = pigeonhole_test::rules::Rule {
        code: Some(600),
        ..pigeonhole_test::rules::Rule::new("too big", pigeonhole_test::rules::Action::Reply)
    };
    let err = server.set_rules(vec![bad]).expect_err("600 is refused");
    assert!(
        err.to_string()
            .contains("rules[0] \"too big\": code: 600 is outside 200-599"),
        "{err}"
    );
    assert_eq!(server.rules().rules[0].name, "keep");
    server.stop().await;
}
