//! Every error, with its exact position and length (in characters).

use super::super::parse;
use super::check_errors;

#[test]
fn error_display_counts_from_one() {
    let error = parse("a )").unwrap_err();
    assert_eq!(
        error.to_string(),
        "this ) has no ( before it (at character 3)"
    );
}

#[test]
fn quotes() {
    check_errors(&[
        ("\"abc", 0, 1, "never closed"),
        ("a \"b c", 2, 1, "never closed"),
        ("\"a\" \"b", 4, 1, "never closed"),
        ("\"abc\\\"", 0, 1, "never closed"),
        ("請求 \"書", 3, 1, "never closed"),
        ("from:\"bob", 5, 1, "never closed"),
        ("header:\"X", 7, 1, "never closed"),
        ("header:X:\"v", 9, 1, "never closed"),
        ("\"\"", 0, 2, "empty quotes"),
        ("a \"  \"", 2, 4, "empty quotes"),
    ]);
}

#[test]
fn negation() {
    check_errors(&[
        ("-", 0, 1, "- must be followed directly"),
        ("!", 0, 1, "! must be followed directly"),
        ("a -", 2, 1, "- must be followed"),
        ("a - b", 2, 1, "- must be followed"),
        ("a ! b", 2, 1, "! must be followed"),
        ("-\u{3000}a", 0, 1, "- must be followed"),
        ("(a -)", 3, 1, "- must be followed"),
        ("-OR a", 0, 1, "- must be followed"),
        ("NOT", 0, 3, "NOT needs a term"),
        ("a NOT", 2, 3, "NOT needs a term"),
        ("NOT OR a", 0, 3, "NOT needs a term"),
        ("(NOT)", 1, 3, "NOT needs a term"),
    ]);
}

#[test]
fn dangling_or_and_and() {
    check_errors(&[
        ("OR", 0, 2, "OR needs a term on each side"),
        ("OR a", 0, 2, "OR needs a term"),
        ("a OR", 2, 2, "OR needs a term"),
        ("a OR OR b", 2, 2, "OR needs a term"),
        ("OR OR", 0, 2, "OR needs a term"),
        ("(OR a)", 1, 2, "OR needs a term"),
        ("(a OR)", 3, 2, "OR needs a term"),
        ("a OR -", 5, 1, "- must be followed"),
        ("AND", 0, 3, "AND needs a term on each side"),
        ("AND a", 0, 3, "AND needs a term"),
        ("a AND", 2, 3, "AND needs a term"),
        ("a AND OR b", 2, 3, "AND needs a term"),
        ("a OR AND b", 2, 2, "OR needs a term"),
        ("a AND AND b", 2, 3, "AND needs a term"),
    ]);
}

#[test]
fn parentheses() {
    check_errors(&[
        ("(", 0, 1, "never closed"),
        ("(a", 0, 1, "never closed"),
        ("a (b OR c", 2, 1, "never closed"),
        ("((a)", 0, 1, "never closed"),
        ("(a (b)", 0, 1, "never closed"),
        (")", 0, 1, "has no ( before it"),
        ("a)", 1, 1, "has no ( before it"),
        ("(a))", 3, 1, "has no ( before it"),
        ("a ) b", 2, 1, "has no ( before it"),
        ("()", 0, 2, "empty parentheses"),
        ("a (  )", 2, 4, "empty parentheses"),
        ("(())", 1, 2, "empty parentheses"),
        ("-()", 1, 2, "empty parentheses"),
    ]);
}

#[test]
fn operators_without_values() {
    check_errors(&[
        ("from:", 0, 5, "from: needs a value"),
        ("from: bob", 0, 5, "from: needs a value"),
        ("a FROM:", 2, 5, "from: needs a value"),
        ("(from:)", 1, 5, "from: needs a value"),
        ("from:\"\"", 0, 5, "from: needs a value"),
        ("from:\" \"", 0, 5, "from: needs a value"),
        ("msgid:<>", 0, 6, "msgid: needs a value"),
        ("tag:", 0, 4, "tag: needs a value"),
        ("is:", 0, 3, "is: needs a value"),
        ("larger:", 0, 7, "larger: needs a value"),
        ("after:", 0, 6, "after: needs a value"),
        ("-to:", 1, 3, "to: needs a value"),
        (
            "from:(a b)",
            0,
            5,
            "parentheses after an operator are not supported",
        ),
        (
            "x from:(a)",
            2,
            5,
            "parentheses after an operator are not supported",
        ),
        (
            "tag:(",
            0,
            4,
            "parentheses after an operator are not supported",
        ),
    ]);
}

#[test]
fn header_errors() {
    check_errors(&[
        ("header:", 0, 7, "header: needs a header name"),
        ("header: X", 0, 7, "header: needs a header name"),
        ("header::v", 0, 7, "header: needs a header name"),
        (
            "header:(X)",
            0,
            7,
            "parentheses after an operator are not supported",
        ),
        ("header:\"\"", 7, 2, "is not a header name"),
        ("header:\"X Y\"", 7, 5, "\"X Y\" is not a header name"),
        ("header:\"X:Y\":v", 7, 5, "is not a header name"),
        ("header:Tëst", 7, 4, "is not a header name"),
        ("header:\"a\tb\":v", 7, 5, "is not a header name"),
        (
            "header:X-A:",
            0,
            11,
            "header:X-A: needs a value after the colon",
        ),
        ("header:X-A: b", 0, 11, "needs a value after the colon"),
        ("header:X-A:\"\"", 0, 13, "header:X-A: needs a value"),
        (
            "header:X-A:(b)",
            0,
            11,
            "parentheses after an operator are not supported",
        ),
    ]);
}

#[test]
fn unknown_operators() {
    let known = "known: from, to, cc, bcc, addressed, reply-to, subject, message-id, header, tag, \
                 inbox, user, listener, is, has, lint, larger, smaller, before, after";
    check_errors(&[
        ("foo:bar", 0, 4, "unknown operator \"foo:\""),
        ("foo:bar", 0, 4, known),
        ("a FOO:bar", 2, 4, "unknown operator \"FOO:\""),
        ("foo:", 0, 4, "unknown operator"),
        ("foo:(a)", 0, 4, "unknown operator"),
        ("foo-bar:x", 0, 8, "unknown operator \"foo-bar:\""),
        ("http:x", 0, 5, "unknown operator \"http:\""),
        ("mailto:bob@x", 0, 7, "unknown operator"),
        ("-label:x", 1, 6, "unknown operator \"label:\""),
        ("subj:x", 0, 5, "unknown operator"),
    ]);
}

#[test]
fn bad_values() {
    check_errors(&[
        (
            "is:starred",
            3,
            7,
            "\"starred\" is not a value of is:; use is:read, is:unread, is:pinned, is:tagged or is:imported",
        ),
        ("is:\"read it\"", 3, 9, "is not a value of is:"),
        ("a is:x", 5, 1, "is not a value of is:"),
        (
            "has:pdf",
            4,
            3,
            "\"pdf\" is not a value of has:; use has:attachment, has:inline or has:lint",
        ),
        ("lint:bare_lf", 5, 7, "\"bare_lf\" is not a lint check"),
        ("lint:bare_lf", 5, 7, "bare-lf, bare-cr"),
        ("larger:big", 7, 3, "\"big\" is not a size"),
        ("larger:big", 7, 3, "as in larger:500K"),
        ("larger:1T", 7, 2, "is not a size"),
        ("larger:1.", 7, 2, "is not a size"),
        ("larger:.5M", 7, 3, "is not a size"),
        ("larger:1.2.3", 7, 5, "is not a size"),
        ("larger:-1", 7, 2, "is not a size"),
        ("larger:1KiB", 7, 4, "is not a size"),
        ("larger:17179869184G", 7, 12, "is not a size"),
        ("larger:99999999999999999999", 7, 20, "is not a size"),
        ("smaller:1.5MBs", 8, 6, "is not a size"),
        ("after:soon", 6, 4, "\"soon\" is not a date"),
        ("after:soon", 6, 4, "2026-11-30T10:00:00Z"),
        ("after:today", 6, 5, "is not a date"),
        ("before:yesterday", 7, 9, "is not a date"),
        ("after:2026-13-01", 6, 10, "is not a date"),
        ("after:2026-02-30", 6, 10, "is not a date"),
        ("after:2026-11", 6, 7, "is not a date"),
        ("after:26-11-30", 6, 8, "is not a date"),
        ("after:2026-11/30", 6, 10, "is not a date"),
        ("after:2026-11-30T25:00", 6, 16, "is not a date"),
        ("after:2026-11-30T10", 6, 13, "is not a date"),
        ("after:2026-11-30T10:00:60", 6, 19, "is not a date"),
        ("after:2026-11-30T10:00+2", 6, 18, "is not a date"),
        ("after:2026-11-30T10:00+24:00", 6, 22, "is not a date"),
        ("after:2026-11-30T10:00:00.Z", 6, 21, "is not a date"),
        ("after:2026-11-30Z", 6, 11, "is not a date"),
        ("after:3y", 6, 2, "is not a date"),
        ("after:90min", 6, 5, "is not a date"),
        ("after:d", 6, 1, "is not a date"),
        ("after:3日", 6, 2, "is not a date"),
        ("after:99999999999999999999w", 6, 21, "is not a date"),
        ("after:\"2026-11-30  10:00\"", 6, 19, "is not a date"),
    ]);
}

#[test]
fn limits() {
    let long = "a".repeat(2001);
    check_errors(&[(
        long.as_str(),
        0,
        2001,
        "too long: 2001 characters, the most is 2000",
    )]);
    let wide = "語".repeat(2001);
    check_errors(&[(wide.as_str(), 0, 2001, "too long")]);

    // Found by fuzzing: 2000 characters whose canonical text has 2003 (each `"b"c` is written
    // `"b" c`), so the canonical text did not parse back. The written-out length counts too.
    let grows = format!("{} \"b\"c \"d\"e \"f\"g", "a".repeat(1985));
    assert_eq!(grows.chars().count(), 2000);
    check_errors(&[(
        grows.as_str(),
        0,
        2000,
        "too long: written out in full it has 2003 characters, the most is 2000",
    )]);
    let fits = format!("{} \"b\"c \"d\"e \"f\"g", "a".repeat(1982));
    let query = parse(&fits).expect("2000 characters written out is within the limit");
    assert_eq!(query.to_string().chars().count(), 2000);
    assert_eq!(parse(&query.to_string()), Ok(query));

    // The 65th term is reported, wherever it is.
    let terms: Vec<String> = (0..65).map(|i| format!("t{i:02}")).collect();
    let at = 64 * 4;
    check_errors(&[(
        terms.join(" ").as_str(),
        at,
        3,
        "too many terms: the most is 64",
    )]);
    let ors = terms.join(" OR ");
    check_errors(&[(ors.as_str(), 64 * 7, 3, "too many terms")]);
    let fields = "from:x ".repeat(65);
    check_errors(&[(fields.trim_end(), 64 * 7, 6, "too many terms")]);

    let deep = format!("{}a{}", "(".repeat(33), ")".repeat(33));
    check_errors(&[(
        deep.as_str(),
        32,
        1,
        "too many nested parentheses: the most is 32",
    )]);
    let deep_negated = format!("x {}a", "-(".repeat(40));
    check_errors(&[(
        deep_negated.as_str(),
        2 + 32 * 2 + 1,
        1,
        "too many nested parentheses",
    )]);
}

#[test]
fn the_leftmost_error_wins() {
    check_errors(&[
        (") foo:bar", 0, 1, "has no ( before it"),
        ("foo:bar )", 0, 4, "unknown operator"),
        ("() \"x", 0, 2, "empty parentheses"),
        ("is:x has:y", 3, 1, "is not a value of is:"),
        ("a OR \"b", 5, 1, "never closed"),
    ]);
}
