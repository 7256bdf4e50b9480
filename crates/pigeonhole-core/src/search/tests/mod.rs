//! Table tests. Every valid case also checks the Display round trip, so each table is both
//! a parse test and a round-trip test.

mod dates;
mod errors;
mod operators;
mod structure;
mod words;

use super::{parse, Expr, Query, Term, TextField};

pub(super) fn t(term: Term) -> Expr {
    Expr::Term(term)
}

/// A free word.
pub(super) fn w(value: &str) -> Expr {
    text(TextField::Any, value, false)
}

/// A free "phrase".
pub(super) fn ph(value: &str) -> Expr {
    text(TextField::Any, value, true)
}

pub(super) fn text(field: TextField, value: &str, phrase: bool) -> Expr {
    t(Term::Text {
        field,
        value: value.to_string(),
        phrase,
    })
}

pub(super) fn and(children: Vec<Expr>) -> Expr {
    Expr::And(children)
}

pub(super) fn or(children: Vec<Expr>) -> Expr {
    Expr::Or(children)
}

pub(super) fn not(expr: Expr) -> Expr {
    Expr::Not(Box::new(expr))
}

/// Parses each input, compares with the expected tree, then checks that the canonical text
/// parses back to the same tree and is itself canonical.
#[track_caller]
pub(super) fn check(cases: &[(&str, Expr)]) {
    for (input, expected) in cases {
        let query = parse(input).unwrap_or_else(|e| panic!("{input:?} failed: {e}"));
        assert_eq!(query.expr.as_ref(), Some(expected), "parsing {input:?}");
        round_trip(input, &query);
    }
}

#[track_caller]
pub(super) fn round_trip(input: &str, query: &Query) {
    let text = query.to_string();
    let again = parse(&text).unwrap_or_else(|e| panic!("{input:?} -> {text:?} failed: {e}"));
    assert_eq!(&again, query, "{input:?} -> {text:?} parsed differently");
    assert_eq!(
        again.to_string(),
        text,
        "{input:?}: canonical text is not stable"
    );
}

/// Parses each input and compares its canonical text.
#[track_caller]
pub(super) fn check_text(cases: &[(&str, &str)]) {
    for (input, expected) in cases {
        let query = parse(input).unwrap_or_else(|e| panic!("{input:?} failed: {e}"));
        assert_eq!(query.to_string(), *expected, "displaying {input:?}");
        round_trip(input, &query);
    }
}

/// `(input, pos, len, a piece of the message)`.
#[track_caller]
pub(super) fn check_errors(cases: &[(&str, usize, usize, &str)]) {
    for &(input, pos, len, message) in cases {
        let error = match parse(input) {
            Ok(query) => panic!("{input:?} parsed as {query:?}, expected an error"),
            Err(error) => error,
        };
        assert_eq!((error.pos, error.len), (pos, len), "{input:?}: {error}");
        assert!(
            error.message.contains(message),
            "{input:?}: {:?} does not contain {message:?}",
            error.message
        );
    }
}
