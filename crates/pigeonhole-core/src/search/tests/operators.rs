//! Each operator, every alias, case-insensitive names, and the value grammars.

use super::super::{Flag, Has, LintValue, Term, TextField};
use super::{and, check, check_text, t, text};

fn header(name: &str, value: Option<&str>) -> super::Expr {
    t(Term::Header {
        name: name.to_string(),
        value: value.map(str::to_string),
    })
}

fn size(larger: bool, bytes: u64) -> super::Expr {
    t(Term::Size { larger, bytes })
}
#[test]
fn text_fields_and_aliases() {
    use TextField::*;
    check(&[
        ("from:bob", text(From, "bob", false)),
        ("to:alice@example.com", text(To, "alice@example.com", false)),
        ("cc:carol", text(Cc, "carol", false)),
        ("bcc:dave", text(Bcc, "dave", false)),
        ("addressed:erin", text(Addressed, "erin", false)),
        ("reply-to:frank", text(ReplyTo, "frank", false)),
        ("replyto:frank", text(ReplyTo, "frank", false)),
        ("subject:invoice", text(Subject, "invoice", false)),
        ("message-id:abc@x", text(MessageId, "abc@x", false)),
        ("msgid:abc@x", text(MessageId, "abc@x", false)),
        ("message-id:<abc@x>", text(MessageId, "abc@x", false)),
        ("msgid:\"<abc@x>\"", text(MessageId, "abc@x", true)),
        ("msgid:<<abc@x>>", text(MessageId, "abc@x", false)),
        ("from:\"Bob Smith\"", text(From, "Bob Smith", true)),
        ("subject:\"re: hi\"", text(Subject, "re: hi", true)),
        (
            "subject:\"say \\\"hi\\\"\"",
            text(Subject, "say \"hi\"", true),
        ),
        ("subject:re:hi", text(Subject, "re:hi", false)),
        ("from:-x", text(From, "-x", false)),
        ("from:OR", text(From, "OR", false)),
        ("subject:請求書", text(Subject, "請求書", false)),
        (
            "from:bob\"x\"",
            and(vec![text(From, "bob", false), super::ph("x")]),
        ),
    ]);
}

#[test]
fn operator_names_are_case_insensitive_values_keep_case() {
    use TextField::*;
    check(&[
        ("FROM:Bob", text(From, "Bob", false)),
        ("From:Bob", text(From, "Bob", false)),
        ("Reply-To:X", text(ReplyTo, "X", false)),
        ("MSGID:A@B", text(MessageId, "A@B", false)),
        ("TAG:Urgent", t(Term::Tag("Urgent".into()))),
        ("IS:READ", t(Term::Is(Flag::Read))),
        ("HAS:Attachment", t(Term::Has(Has::Attachment))),
        ("LARGER:1mb", size(true, 1 << 20)),
        ("Header:X-Mailer", header("X-Mailer", None)),
    ]);
}

#[test]
fn header_forms() {
    check(&[
        ("header:X-Mailer", header("X-Mailer", None)),
        (
            "header:X-Mailer:Thunderbird",
            header("X-Mailer", Some("Thunderbird")),
        ),
        (
            "header:x-mailer:thunderbird",
            header("x-mailer", Some("thunderbird")),
        ),
        (
            "header:\"X-Mailer\":\"Thunder bird\"",
            header("X-Mailer", Some("Thunder bird")),
        ),
        (
            "header:X-Mailer:\"value with spaces\"",
            header("X-Mailer", Some("value with spaces")),
        ),
        ("header:\"X-Mailer\"", header("X-Mailer", None)),
        ("header:\"X-Mailer\":v", header("X-Mailer", Some("v"))),
        ("header:X-Time:10:00:00", header("X-Time", Some("10:00:00"))),
        ("header:X-Url:http://x", header("X-Url", Some("http://x"))),
        // A parenthesis ends the header's name like any word.
        (
            "header:X(odd):v",
            and(vec![header("X", None), super::w("odd"), super::w(":v")]),
        ),
        ("header:\"X(odd)\":v", header("X(odd)", Some("v"))),
        ("header:X_Y.Z!#~", header("X_Y.Z!#~", None)),
        ("header:X-A:-", header("X-A", Some("-"))),
        ("-header:X-Spam", super::not(header("X-Spam", None))),
    ]);
}

#[test]
fn tag_inbox_user_listener() {
    check(&[
        ("tag:urgent", t(Term::Tag("urgent".into()))),
        ("tag:\"needs review\"", t(Term::Tag("needs review".into()))),
        ("inbox:alice", t(Term::Inbox("alice".into()))),
        (
            "inbox:alice@example.com",
            t(Term::Inbox("alice@example.com".into())),
        ),
        ("user:ci-bot", t(Term::User("ci-bot".into()))),
        ("listener:smtp", t(Term::Listener("smtp".into()))),
        (
            "listener:\"127.0.0.1:2525\"",
            t(Term::Listener("127.0.0.1:2525".into())),
        ),
        (
            "listener:127.0.0.1:2525",
            t(Term::Listener("127.0.0.1:2525".into())),
        ),
    ]);
}

#[test]
fn is_and_has() {
    check(&[
        ("is:read", t(Term::Is(Flag::Read))),
        ("is:unread", t(Term::Is(Flag::Unread))),
        ("is:pinned", t(Term::Is(Flag::Pinned))),
        ("is:tagged", t(Term::Is(Flag::Tagged))),
        ("is:imported", t(Term::Is(Flag::Imported))),
        ("is:\"read\"", t(Term::Is(Flag::Read))),
        ("has:attachment", t(Term::Has(Has::Attachment))),
        ("has:attachments", t(Term::Has(Has::Attachment))),
        ("has:inline", t(Term::Has(Has::Inline))),
        ("has:lint", t(Term::Has(Has::Lint))),
        ("lint:error", t(Term::Lint(LintValue::Error))),
        ("lint:Warnings", t(Term::Lint(LintValue::Warning))),
        ("lint:info", t(Term::Lint(LintValue::Info))),
        (
            "lint:DKIM-Body-Hash",
            t(Term::Lint(LintValue::Check("dkim-body-hash".into()))),
        ),
        ("-is:read", super::not(t(Term::Is(Flag::Read)))),
    ]);
}

#[test]
fn sizes() {
    check(&[
        ("larger:500", size(true, 500)),
        ("larger:0", size(true, 0)),
        ("smaller:500B", size(false, 500)),
        ("smaller:500b", size(false, 500)),
        ("larger:500K", size(true, 500 * 1024)),
        ("larger:500KB", size(true, 500 * 1024)),
        ("larger:500kb", size(true, 500 * 1024)),
        ("larger:1M", size(true, 1 << 20)),
        ("larger:1MB", size(true, 1 << 20)),
        ("larger:1.5MB", size(true, 1_572_864)),
        ("larger:2G", size(true, 2 << 30)),
        ("larger:2GB", size(true, 2 << 30)),
        ("larger:0.5K", size(true, 512)),
        ("larger:1.5", size(true, 2)),
        ("larger:1.4", size(true, 1)),
        ("larger:0.001K", size(true, 1)),
        ("larger:1.0000001K", size(true, 1024)),
        ("larger:007", size(true, 7)),
        ("larger:\"10K\"", size(true, 10 * 1024)),
        ("larger:17179869183G", size(true, 17_179_869_183 << 30)),
    ]);
}

#[test]
fn canonical_text_of_operators() {
    check_text(&[
        ("FROM:bob", "from:bob"),
        ("replyto:x", "reply-to:x"),
        ("msgid:<a@b>", "message-id:a@b"),
        ("from:\"bob\"", "from:\"bob\""),
        ("tag:\"x\"", "tag:x"),
        ("tag:\"a b\"", "tag:\"a b\""),
        ("tag:\"a\\\"b\"", "tag:\"a\\\"b\""),
        ("header:\"X-A\":\"v\"", "header:X-A:v"),
        ("header:\"X(1)\"", "header:\"X(1)\""),
        ("header:X:\"a b\"", "header:X:\"a b\""),
        ("IS:Unread", "is:unread"),
        ("has:attachments", "has:attachment"),
        ("larger:1.5MB", "larger:1536K"),
        ("larger:1024", "larger:1K"),
        ("larger:1025", "larger:1025"),
        ("smaller:2048MB", "smaller:2G"),
        ("larger:0KB", "larger:0"),
    ]);
}
