//! Negation, OR/AND precedence, grouping, flattening, and the canonical text of each.

use super::super::{parse, Flag, Term, TextField};
use super::{and, check, check_text, not, or, ph, t, text, w};

#[test]
fn negation_forms() {
    check(&[
        ("-spam", not(w("spam"))),
        ("!spam", not(w("spam"))),
        ("NOT spam", not(w("spam"))),
        ("-\"big deal\"", not(ph("big deal"))),
        ("-(a b)", not(and(vec![w("a"), w("b")]))),
        ("!(a OR b)", not(or(vec![w("a"), w("b")]))),
        ("NOT (a b)", not(and(vec![w("a"), w("b")]))),
        ("NOT(a)", not(w("a"))),
        ("-(a)", not(w("a"))),
        ("-from:x", not(text(TextField::From, "x", false))),
        ("!from:x", not(text(TextField::From, "x", false))),
        ("NOT from:x", not(text(TextField::From, "x", false))),
        ("a -b", and(vec![w("a"), not(w("b"))])),
        ("a NOT b", and(vec![w("a"), not(w("b"))])),
        ("--a", not(not(w("a")))),
        ("-!a", not(not(w("a")))),
        ("NOT NOT a", not(not(w("a")))),
        ("NOT -a", not(not(w("a")))),
        ("-e-mail", not(w("e-mail"))),
        ("-12:30", not(w("12:30"))),
        (
            "-is:read OR is:pinned",
            or(vec![
                not(t(Term::Is(Flag::Read))),
                t(Term::Is(Flag::Pinned)),
            ]),
        ),
    ]);
}

#[test]
fn or_and_precedence() {
    check(&[
        ("a OR b", or(vec![w("a"), w("b")])),
        ("a OR b OR c", or(vec![w("a"), w("b"), w("c")])),
        ("a b OR c", or(vec![and(vec![w("a"), w("b")]), w("c")])),
        ("a OR b c", or(vec![w("a"), and(vec![w("b"), w("c")])])),
        (
            "a b OR c d",
            or(vec![and(vec![w("a"), w("b")]), and(vec![w("c"), w("d")])]),
        ),
        ("a AND b", and(vec![w("a"), w("b")])),
        ("a AND b c", and(vec![w("a"), w("b"), w("c")])),
        ("a AND b OR c", or(vec![and(vec![w("a"), w("b")]), w("c")])),
        ("a OR b AND c", or(vec![w("a"), and(vec![w("b"), w("c")])])),
        ("-a OR b", or(vec![not(w("a")), w("b")])),
        ("NOT a OR b", or(vec![not(w("a")), w("b")])),
        (
            "from:bob OR from:alice subject:hi",
            or(vec![
                text(TextField::From, "bob", false),
                and(vec![
                    text(TextField::From, "alice", false),
                    text(TextField::Subject, "hi", false),
                ]),
            ]),
        ),
    ]);
}

#[test]
fn grouping_and_flattening() {
    check(&[
        ("(a)", w("a")),
        ("((a))", w("a")),
        ("(a b)", and(vec![w("a"), w("b")])),
        ("(a OR b) c", and(vec![or(vec![w("a"), w("b")]), w("c")])),
        ("c (a OR b)", and(vec![w("c"), or(vec![w("a"), w("b")])])),
        ("a (b c)", and(vec![w("a"), w("b"), w("c")])),
        ("(a b) (c d)", and(vec![w("a"), w("b"), w("c"), w("d")])),
        ("(a OR b) OR c", or(vec![w("a"), w("b"), w("c")])),
        ("a OR (b OR c)", or(vec![w("a"), w("b"), w("c")])),
        (
            "(a OR b) (c OR d)",
            and(vec![or(vec![w("a"), w("b")]), or(vec![w("c"), w("d")])]),
        ),
        (
            "a (b OR (c d))",
            and(vec![w("a"), or(vec![w("b"), and(vec![w("c"), w("d")])])]),
        ),
        ("( a )", w("a")),
        ("(from:bob)", text(TextField::From, "bob", false)),
        ("(\"x y\")", ph("x y")),
        ("(a)(b)", and(vec![w("a"), w("b")])),
        ("a(b)", and(vec![w("a"), w("b")])),
        ("-(a)-(b)", and(vec![not(w("a")), not(w("b"))])),
        ("(請求書 OR 发票)", or(vec![w("請求書"), w("发票")])),
    ]);
}

#[test]
fn canonical_text_of_structure() {
    check_text(&[
        ("a   b", "a b"),
        ("a AND b", "a b"),
        ("a b OR c", "a b OR c"),
        ("(a OR b) c", "(a OR b) c"),
        ("((a OR b)) ((c))", "(a OR b) c"),
        ("(a b) OR (c d)", "a b OR c d"),
        ("!a", "-a"),
        ("NOT a", "-a"),
        ("NOT (a b)", "-(a b)"),
        ("-(a OR b)", "-(a OR b)"),
        ("NOT NOT a", "--a"),
        ("-(-a)", "--a"),
        ("-(a)", "-a"),
        ("a OR (b OR c)", "a OR b OR c"),
        ("\"a\\\\b\"", "\"a\\\\b\""),
        (
            "FROM:bob OR -(is:read has:attachments)",
            "from:bob OR -(is:read has:attachment)",
        ),
    ]);
}

#[test]
fn deep_and_wide_queries_within_the_limits() {
    let terms: Vec<String> = (0..64).map(|i| format!("w{i}")).collect();
    let query = parse(&terms.join(" ")).unwrap();
    assert_eq!(query.expr, Some(and(terms.iter().map(|s| w(s)).collect())));
    super::round_trip("64 terms", &query);

    let query = parse(&terms.join(" OR ")).unwrap();
    assert_eq!(query.expr, Some(or(terms.iter().map(|s| w(s)).collect())));

    let nested = format!("{}a{}", "(".repeat(32), ")".repeat(32));
    assert_eq!(parse(&nested).unwrap().expr, Some(w("a")));

    let nested_or = format!("{}a OR b{}", "(".repeat(32), ")".repeat(32));
    assert_eq!(
        parse(&nested_or).unwrap().expr,
        Some(or(vec![w("a"), w("b")]))
    );

    // Negations are not nesting: a long run of them parses (iteratively) and round-trips.
    let dashes = format!("{}a", "-".repeat(1999));
    let query = parse(&dashes).unwrap();
    super::round_trip("1999 dashes", &query);
    assert_eq!(query.to_string(), dashes);

    let longest = "a".repeat(2000);
    assert_eq!(parse(&longest).unwrap().expr, Some(w(&longest)));
    // 2000 characters, not bytes.
    let wide = "語".repeat(2000);
    assert_eq!(parse(&wide).unwrap().expr, Some(w(&wide)));
}

/// Random queries over a tricky alphabet: parsing never panics, errors point inside the
/// input, and whatever parses round-trips through its canonical text.
#[test]
fn random_queries_never_panic_and_round_trip() {
    const PIECES: &[&str] = &[
        " ",
        " ",
        " ",
        "a",
        "b",
        "語",
        "-",
        "!",
        "(",
        ")",
        "\"",
        "\\",
        ":",
        "OR",
        "AND",
        "NOT",
        "from:",
        "header:",
        "X-A",
        "is:",
        "read",
        "larger:",
        "1.5M",
        "after:",
        "3d",
        "2026-11-30",
        "T10:00",
        "Z",
        "+02:00",
        "msgid:",
        "<",
        ">",
        "http",
        "//",
        "12",
        ".",
        "tag:",
        "\u{3000}",
        "e-mail",
        "or",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let mut input = String::new();
        for _ in 0..len {
            input.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            if next() % 2 == 0 {
                input.push(' ');
            }
        }
        match parse(&input) {
            Ok(query) => super::round_trip(&input, &query),
            Err(error) => {
                let chars = input.chars().count();
                assert!(
                    error.pos + error.len <= chars,
                    "{input:?}: {error:?} is out of range"
                );
                assert!(
                    error.len > 0 || error.pos == chars,
                    "{input:?}: {error:?} is empty"
                );
            }
        }
    }
}

#[test]
fn parse_duration_shares_the_age_syntax() {
    use std::time::Duration;
    let d = super::super::parse_duration;
    assert_eq!(d("30s"), Some(Duration::from_secs(30)));
    assert_eq!(d("12h"), Some(Duration::from_secs(12 * 3600)));
    assert_eq!(d("7D"), Some(Duration::from_secs(7 * 86_400)));
    assert_eq!(d("2w"), Some(Duration::from_secs(14 * 86_400)));
    for bad in ["", "7", "d", "7y", "1.5d", "-1d", " 7d", "7 d", "90min"] {
        assert_eq!(d(bad), None, "{bad:?}");
    }
}
