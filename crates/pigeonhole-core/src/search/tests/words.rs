//! Free words and phrases: juxtaposition, quoting, escapes, Unicode, colon-words.

use super::super::{parse, Query};
use super::{and, check, ph, w};

#[test]
fn empty_and_blank_input_match_everything() {
    for input in ["", " ", "   \t\n ", "\u{3000}", "\u{a0}\u{2003}"] {
        let query = parse(input).unwrap();
        assert_eq!(query, Query { expr: None }, "{input:?}");
        assert_eq!(query.to_string(), "");
    }
}

#[test]
fn free_words_are_anded() {
    check(&[
        ("invoice", w("invoice")),
        ("invoice paid", and(vec![w("invoice"), w("paid")])),
        ("  invoice   paid  ", and(vec![w("invoice"), w("paid")])),
        ("a b c", and(vec![w("a"), w("b"), w("c")])),
        ("Invoice", w("Invoice")),
        ("bob@example.com", w("bob@example.com")),
        ("<abc@x>", w("<abc@x>")),
        ("it's", w("it's")),
        ("50%", w("50%")),
        ("a\\b", w("a\\b")),
    ]);
}

#[test]
fn dashes_and_bangs_inside_words_are_letters() {
    check(&[
        ("e-mail", w("e-mail")),
        ("foo-bar", w("foo-bar")),
        ("foo-", w("foo-")),
        ("wow!", w("wow!")),
        ("a!b", w("a!b")),
        ("x -y", and(vec![w("x"), super::not(w("y"))])),
    ]);
}

#[test]
fn lowercase_keywords_are_words() {
    check(&[
        ("a or b", and(vec![w("a"), w("or"), w("b")])),
        ("and", w("and")),
        ("not", w("not")),
        ("Or", w("Or")),
        ("ORDER", w("ORDER")),
        ("NOTE", w("NOTE")),
        ("ANDROID", w("ANDROID")),
    ]);
}

#[test]
fn quoted_phrases() {
    check(&[
        ("\"quoted phrase\"", ph("quoted phrase")),
        ("\"x\"", ph("x")),
        ("\"OR\"", ph("OR")),
        ("\"NOT\" \"-x\"", and(vec![ph("NOT"), ph("-x")])),
        ("\"from:bob\"", ph("from:bob")),
        ("\"a (b) c\"", ph("a (b) c")),
        ("\"  padded  \"", ph("  padded  ")),
        ("a \"b c\" d", and(vec![w("a"), ph("b c"), w("d")])),
        // A quote ends a bare word and starts a new term.
        ("foo\"bar\"", and(vec![w("foo"), ph("bar")])),
        ("\"bar\"foo", and(vec![ph("bar"), w("foo")])),
        ("\"a\"\"b\"", and(vec![ph("a"), ph("b")])),
    ]);
}

#[test]
fn escapes_inside_quotes() {
    check(&[
        (r#""say \"hi\"""#, ph("say \"hi\"")),
        (r#""back\\slash""#, ph("back\\slash")),
        (r#""\\""#, ph("\\")),
        (r#""\"""#, ph("\"")),
        // Any other backslash is kept as typed.
        (r#""a\nb""#, ph("a\\nb")),
        (r#""C:\temp""#, ph("C:\\temp")),
    ]);
}

#[test]
fn unicode_words() {
    check(&[
        ("請求書", w("請求書")),
        ("請求書 支払い", and(vec![w("請求書"), w("支払い")])),
        // The ideographic space separates words.
        ("請求書\u{3000}支払い", and(vec![w("請求書"), w("支払い")])),
        ("发票", w("发票")),
        ("영수증", w("영수증")),
        ("🎉", w("🎉")),
        ("café résumé", and(vec![w("café"), w("résumé")])),
        ("\"日本語 の 件名\"", ph("日本語 の 件名")),
        ("a\u{a0}b", and(vec![w("a"), w("b")])),
        ("日本:東京", w("日本:東京")),
        ("-請求書", super::not(w("請求書"))),
    ]);
}

#[test]
fn colon_words_that_are_not_operators() {
    check(&[
        ("12:30", w("12:30")),
        ("10:00:00", w("10:00:00")),
        ("a.b:c", w("a.b:c")),
        ("a1:b", w("a1:b")),
        ("x_y:z", w("x_y:z")),
        (":foo", w(":foo")),
        ("http://example.com/a?b=c", w("http://example.com/a?b=c")),
        ("https://example.com", w("https://example.com")),
        ("HTTPS://EXAMPLE.COM", w("HTTPS://EXAMPLE.COM")),
        ("2026-11-30T10:00", w("2026-11-30T10:00")),
        ("bob@example.com:25", w("bob@example.com:25")),
        ("[::1]:25", w("[::1]:25")),
        ("ünïcode:x", w("ünïcode:x")),
    ]);
}
