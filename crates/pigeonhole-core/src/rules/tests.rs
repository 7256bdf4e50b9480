//! The rules alone: matching, counters, seeded probability, tempfail, and every refusal
//! of a bad rule naming the rule and the field.

use serde_json::json;

use super::*;

fn ev<'a>(stage: Stage, addresses: &'a [&'a str]) -> Event<'a> {
    Event {
        stage,
        listener: "default",
        client: "127.0.0.1",
        helo: Some("client.test"),
        auth_user: None,
        addresses,
        message_key: None,
    }
}

fn faults(rules: serde_json::Value) -> Faults {
    let rules = parse_rules(&rules).expect("valid rules");
    Faults::new(RuleSet {
        fail_fast: false,
        rules,
    })
    .expect("valid set")
}

fn code(v: &Option<Verdict>) -> Option<u16> {
    match v.as_ref().map(|v| &v.effect) {
        Some(Effect::Reply { code, .. }) => Some(*code),
        _ => None,
    }
}

#[test]
fn nth_every_and_first_count_matching_occurrences() {
    let f = faults(json!([
        {"name": "second", "stage": "rcpt", "nth": 2, "action": "reply", "code": 452, "enhanced": "4.5.3"},
    ]));
    let codes: Vec<_> = (0..4)
        .map(|_| code(&f.check(&ev(Stage::Rcpt, &["a@x"]))))
        .collect();
    assert_eq!(codes, [None, Some(452), None, None]);
    assert_eq!(
        code(&f.check(&ev(Stage::Mail, &["a@x"]))),
        None,
        "other stages don't count"
    );
    assert_eq!(f.stats()[0].matched, 4);
    assert_eq!(f.stats()[0].fired, 1);

    let f = faults(
        json!([{"name": "every 3rd", "stage": "mail", "every": 3, "action": "reply", "code": 451}]),
    );
    let fired: Vec<bool> = (0..7)
        .map(|_| f.check(&ev(Stage::Mail, &["a@x"])).is_some())
        .collect();
    assert_eq!(fired, [false, false, true, false, false, true, false]);

    let f = faults(
        json!([{"name": "first two", "stage": "helo", "first": 2, "action": "reply", "code": 554}]),
    );
    let fired: Vec<bool> = (0..4)
        .map(|_| f.check(&ev(Stage::Helo, &[])).is_some())
        .collect();
    assert_eq!(fired, [true, true, false, false]);
    f.reset_counters();
    assert!(
        f.check(&ev(Stage::Helo, &[])).is_some(),
        "a reset starts the count over"
    );
}

#[test]
fn counters_per_client_and_per_listener_are_apart() {
    let f = faults(
        json!([{"name": "2nd per client", "stage": "mail", "nth": 2, "per": "client", "action": "reply", "code": 451}]),
    );
    let at = |client: &'static str| {
        let mut e = ev(Stage::Mail, &[]);
        e.client = client;
        f.check(&e).is_some()
    };
    assert_eq!(
        [
            at("10.0.0.1"),
            at("10.0.0.2"),
            at("10.0.0.1"),
            at("10.0.0.2")
        ],
        [false, false, true, true]
    );
    let f = faults(
        json!([{"name": "1st per listener", "nth": 1, "stage": "connect", "per": "listener", "action": "drop"}]),
    );
    let on = |listener: &'static str| {
        let mut e = ev(Stage::Connect, &[]);
        e.listener = listener;
        f.check(&e).is_some()
    };
    assert_eq!(
        [on("default"), on("shop"), on("default"), on("shop")],
        [true, true, false, false]
    );
}

#[test]
fn patterns_select_addresses_names_users_clients_and_listeners() {
    let f = faults(json!([
        {"name": "nobody", "stage": "rcpt", "address": "nobody@*", "action": "reply", "code": 550, "enhanced": "5.1.1"},
        {"name": "bounces", "stage": "mail", "address": "/^bounce-[0-9]+@/", "action": "reply", "code": 553},
        {"name": "bad helo", "helo": "*.bad", "stage": "mail", "action": "reply", "code": 554},
        {"name": "carol", "auth_user": "carol", "stage": "mail", "action": "reply", "code": 535},
        {"name": "shop only", "listener": "shop", "stage": "data", "action": "reply", "code": 452},
        {"name": "lan", "client": "192.168.*", "stage": "connect", "action": "reply", "code": 554},
    ]));
    assert_eq!(
        code(&f.check(&ev(Stage::Rcpt, &["Nobody@Example.com"]))),
        Some(550)
    );
    assert_eq!(
        code(&f.check(&ev(Stage::Rcpt, &["somebody@example.com"]))),
        None
    );
    assert_eq!(
        code(&f.check(&ev(Stage::Mail, &["bounce-17@x"]))),
        Some(553)
    );
    assert_eq!(code(&f.check(&ev(Stage::Mail, &["bounce@x"]))), None);
    let mut e = ev(Stage::Mail, &["a@x"]);
    e.helo = Some("host.bad");
    assert_eq!(code(&f.check(&e)), Some(554));
    let mut e = ev(Stage::Mail, &["a@x"]);
    e.auth_user = Some("carol");
    assert_eq!(code(&f.check(&e)), Some(535));
    assert_eq!(
        code(&f.check(&ev(Stage::Data, &["a@x"]))),
        None,
        "not the shop listener"
    );
    let mut e = ev(Stage::Data, &["a@x"]);
    e.listener = "shop";
    assert_eq!(code(&f.check(&e)), Some(452));
    let mut e = ev(Stage::Connect, &[]);
    e.client = "192.168.1.9";
    assert_eq!(code(&f.check(&e)), Some(554));
    assert_eq!(code(&f.check(&ev(Stage::Connect, &[]))), None);
}

#[test]
fn a_seeded_probability_fires_on_the_same_occurrences_every_run() {
    let run = |seed: u64| {
        let f = faults(
            json!([{"name": "flaky", "stage": "rcpt", "probability": 0.3, "seed": seed, "action": "reply", "code": 451}]),
        );
        (0..200)
            .map(|_| f.check(&ev(Stage::Rcpt, &["a@x"])).is_some())
            .collect::<Vec<_>>()
    };
    let first = run(7);
    assert_eq!(first, run(7), "same seed, same traffic, same choices");
    assert_ne!(first, run(8), "another seed chooses otherwise");
    let hits = first.iter().filter(|b| **b).count();
    assert!((40..=80).contains(&hits), "about 30% of 200 fire: {hits}");
    let never = faults(json!([{"name": "never", "probability": 0.0, "action": "drop"}]));
    assert!((0..50).all(|_| never.check(&ev(Stage::Mail, &[])).is_none()));
}

#[test]
fn tempfail_refuses_the_same_message_n_times_then_lets_it_through() {
    let f = faults(json!([{"name": "retry me", "action": "tempfail", "attempts": 2}]));
    let at_end = |key: &'static str| {
        let mut e = ev(Stage::EndOfData, &["a@x", "b@y"]);
        e.message_key = Some(key);
        f.check(&e)
    };
    assert_eq!(code(&at_end("m1")), Some(451));
    assert_eq!(
        code(&at_end("m2")),
        Some(451),
        "another message has its own tries"
    );
    assert_eq!(code(&at_end("m1")), Some(451));
    let third = at_end("m1").expect("a note that it let the message through");
    assert_eq!(third.effect, Effect::Pass);
    assert!(
        third.notes[0].contains("accepted after 2"),
        "{:?}",
        third.notes
    );
    assert_eq!(third.fired, 0);
    assert_eq!(code(&at_end("m2")), Some(451));
    assert_eq!(at_end("m2").map(|v| v.effect), Some(Effect::Pass));
}

#[test]
fn the_message_key_is_the_envelope_and_the_message_id() {
    let env = ["a@x".to_string(), "b@y".to_string()];
    let raw = b"Subject: hi\r\nMessage-ID:\r\n <one@x>\r\n\r\nbody";
    let k1 = message_key(&env, raw);
    assert!(k1.ends_with("<one@x>"), "{k1:?}");
    assert_ne!(k1, message_key(&env, b"Message-ID: <two@x>\r\n\r\n"));
    assert_ne!(k1, message_key(&env[..1], raw));
    assert_eq!(
        k1,
        message_key(&env, b"message-id: <one@x>\r\n\r\nother body")
    );
}

#[test]
fn delays_add_up_and_the_first_other_action_decides() {
    let f = faults(json!([
        {"name": "slow", "action": "delay", "delay_ms": 300},
        {"name": "slower rcpt", "stage": "rcpt", "action": "delay", "delay_ms": 200},
        {"name": "throttle", "stage": "data", "action": "throttle", "bytes_per_second": 512},
        {"name": "refuse", "stage": "rcpt", "action": "reply", "code": 450, "delay_ms": 100},
        {"name": "never reached", "stage": "rcpt", "action": "drop"},
    ]));
    let v = f.check(&ev(Stage::Rcpt, &["a@x"])).expect("fires");
    assert_eq!(v.delay_ms, 600);
    assert_eq!(v.fired, 3);
    assert_eq!(code(&Some(v.clone())), Some(450));
    assert!(
        v.notes[2].contains("rule \"refuse\" fired at rcpt (occurrence 1): reply 450 4.0.0"),
        "{:?}",
        v.notes
    );
    let v = f.check(&ev(Stage::Data, &["a@x"])).expect("fires");
    assert_eq!((v.throttle, v.effect), (Some(512), Effect::Pass));
    assert!(f
        .check(&ev(Stage::Quit, &[]))
        .is_some_and(|v| v.delay_ms == 300));
}

#[test]
fn closing_421_close_and_fail_fast() {
    let f =
        faults(json!([{"name": "bye", "stage": "end_of_data", "action": "reply", "code": 421}]));
    assert!(
        f.check(&ev(Stage::EndOfData, &[])).unwrap().close,
        "421 closes"
    );
    let f = faults(json!([{"name": "550", "stage": "rcpt", "action": "reply", "code": 550}]));
    assert!(!f.check(&ev(Stage::Rcpt, &[])).unwrap().close);
    let mut set = f.get();
    set.fail_fast = true;
    f.set(set).unwrap();
    assert!(
        f.check(&ev(Stage::Rcpt, &[])).unwrap().close,
        "fail-fast closes after a refusal"
    );
    let f = faults(
        json!([{"name": "busy", "stage": "rcpt", "action": "reply", "code": 450, "close": true}]),
    );
    assert!(f.check(&ev(Stage::Rcpt, &[])).unwrap().close);
}

#[test]
fn no_enabled_rule_means_no_verdict() {
    let f = faults(json!([{"name": "off", "enabled": false, "action": "drop"}]));
    assert!(f.check(&ev(Stage::Connect, &[])).is_none());
    assert!(Faults::default().check(&ev(Stage::Connect, &[])).is_none());
}

#[test]
fn bad_rules_are_refused_naming_the_rule_and_the_field() {
    let cases = [
        (
            json!([{"name": "typo", "stage": "rcp", "action": "drop"}]),
            "rules[0] \"typo\": stage: \"rcp\" is not one of connect",
        ),
        (
            json!([{"name": "big", "action": "reply", "code": 700}]),
            "rules[0] \"big\": code: 700 is outside 200-599",
        ),
        (
            json!([{"name": "re", "address": "/(oops/", "action": "drop"}]),
            "rules[0] \"re\": address: the regular expression /(oops/ does not compile",
        ),
        (
            json!([{"name": "no code", "action": "reply"}]),
            "rules[0] \"no code\": code: a reply needs a code",
        ),
        (
            json!([{"name": "class", "action": "reply", "code": 550, "enhanced": "4.1.1"}]),
            "enhanced: \"4.1.1\" is class 4, but the code 550 is class 5",
        ),
        (
            json!([{"name": "late", "stage": "rcpt", "action": "discard"}]),
            "stage: discard applies at end_of_data",
        ),
        (
            json!([{"name": "tls", "stage": "mail", "action": "fail_tls"}]),
            "stage: fail_tls applies at starttls",
        ),
        (
            json!([{"name": "t", "action": "tempfail"}]),
            "attempts: tempfail needs attempts",
        ),
        (
            json!([{"name": "p", "probability": 1.5, "action": "drop"}]),
            "probability: 1.5 is not between 0 and 1",
        ),
        (
            json!([{"name": "n", "nth": 0, "action": "drop"}]),
            "nth: must be at least 1",
        ),
        (
            json!([{"name": "x", "action": "explode"}]),
            "action: \"explode\" is not one of reply",
        ),
        (json!([{"name": "x"}]), "action: is required"),
        (
            json!([{"name": "x", "action": "drop", "colour": "red"}]),
            "unknown field `colour`",
        ),
        (
            json!([{"name": "d", "action": "drop"}, {"name": "D", "action": "drop"}]),
            "rules[1] \"D\": name: \"D\" is used by an earlier rule",
        ),
        (
            json!([{"name": "", "action": "drop"}]),
            "rules[0]: name: is required",
        ),
        (
            json!([{"name": "slow", "action": "delay"}]),
            "delay_ms: a delay needs delay_ms",
        ),
        (
            json!([{"name": "bps", "action": "throttle"}]),
            "bytes_per_second",
        ),
        (
            json!([{"name": "code", "action": "drop", "code": 451}]),
            "code: only reply and tempfail",
        ),
        (
            json!([{"name": "txt", "action": "reply", "code": 451, "text": "a\r\nb"}]),
            "text: must be one line",
        ),
        (json!({"name": "x"}), "rules: must be a list"),
        (
            json!([{"name": "inject", "action": "tempfail", "attempts": 1, "enhanced": "4.3.0\r\n250 2.0.0 Ok"}]),
            "enhanced: \"4.3.0\r\n250 2.0.0 Ok\" is not an enhanced status code",
        ),
        (
            json!([{"name": "class", "action": "tempfail", "attempts": 1, "enhanced": "5.7.1"}]),
            "is class 5, but the code 451 is class 4",
        ),
        (
            json!([{"name": "e", "action": "drop", "enhanced": "4.0.0"}]),
            "enhanced: only reply and tempfail",
        ),
        (
            json!([{"name": "ok", "action": "reply", "code": 250}]),
            "code: a rule refuses with a 4xx or 5xx code",
        ),
        (
            json!([{"name": "tls", "stage": "starttls", "action": "reply", "code": 220}]),
            "code: a rule refuses with a 4xx or 5xx code",
        ),
        (
            json!([{"name": "s", "action": "reply", "code": "452"}]),
            "rules[0] \"s\": code: \"452\" must be a whole number",
        ),
        (
            json!([{"name": "p", "action": "drop", "probability": "half"}]),
            "probability: \"half\" must be a number",
        ),
        (
            json!([{"name": "b", "action": "drop", "close": "yes"}]),
            "close: \"yes\" must be true or false",
        ),
        (
            json!([{"name": "u", "stage": "auth", "auth_user": "bob", "action": "reply", "code": 535}]),
            "auth_user: the user is known only after AUTH succeeds",
        ),
        (
            json!([{"name": "nul", "action": "reply", "code": 451, "text": "a\u{0}b"}]),
            "text: must be one line",
        ),
        (
            json!([{"name": "slow", "action": "throttle", "bytes_per_second": 3}]),
            "at least 10",
        ),
    ];
    for (rules, want) in cases {
        let errs = parse_rules(&rules).expect_err(&format!("{rules} is refused"));
        assert!(
            errs.iter().any(|e| e.contains(want)),
            "{rules}: want {want:?} in {errs:?}"
        );
    }
    let f = faults(json!([{"name": "keep", "action": "drop"}]));
    let nan = Rule {
        probability: Some(f64::NAN),
        ..Rule::new("nan", Action::Drop)
    };
    assert!(
        check_rules(&[nan]).is_err(),
        "a NaN probability set in Rust is refused too"
    );
    let many: Vec<Rule> = (0..201)
        .map(|i| Rule::new(format!("r{i}"), Action::Drop))
        .collect();
    assert!(check_rules(&many)
        .unwrap_err()
        .iter()
        .any(|e| e.contains("at most 200")));
    let bad: Vec<Rule> = vec![Rule {
        code: Some(99),
        ..Rule::new("bad", Action::Reply)
    }];
    assert!(f
        .set(RuleSet {
            fail_fast: true,
            rules: bad
        })
        .is_err());
    assert_eq!(
        f.get().rules[0].name,
        "keep",
        "a refused set leaves the old one in force"
    );
    assert!(!f.get().fail_fast);
}
