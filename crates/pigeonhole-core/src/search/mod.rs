//! The search box's query language: text in, a syntax tree out. PURE: no I/O, no clock, no
//! `crate::` imports; relative dates (`after:3d`) stay relative in the tree and the SQL
//! compiler resolves them against its own "now".
//!
//! The language is Gmail-like:
//!
//! - Free words are ANDed: `invoice paid`. `"a phrase"` is one term; inside quotes `\"` and
//!   `\\` escape.
//! - `OR` (uppercase) between terms; AND binds tighter, so `a b OR c` is `(a b) OR c`. `AND`
//!   (uppercase) is an explicit, optional conjunction. Parentheses group.
//! - `-term`, `!term` and `NOT term` negate; a `-` inside a word (`e-mail`) is just a letter.
//! - Operators, case-insensitive names, a bare or "quoted" value: `from:` `to:` `cc:` `bcc:`
//!   `addressed:` `reply-to:`/`replyto:` `subject:` `message-id:`/`msgid:`,
//!   `header:Name[:value]`, `tag:` `inbox:` `user:` `listener:`, `is:read|unread|pinned|tagged|imported`,
//!   `has:attachment|inline`, `larger:`/`smaller:` (`500K`, `1.5MB`, `2G`) and
//!   `before:`/`after:` (`2026-11-30`, `2026-11-30T10:00`, RFC 3339, or an age: `30m` `2h`
//!   `3d` `1w`).
//! - A word whose part before the first colon is not all ASCII letters and `-` (`12:30`,
//!   `a.b:c`), and `http://`/`https://` URLs, are plain words.
//!
//! Files: `ast` (the tree and `ParseError`), `lexer` (characters to tokens; an operator and
//! its value become one finished `Term` there), `operators` (the operator table and value
//! checks), `values` (sizes and dates), `parse` (precedence, grouping, limits) and `display`
//! (canonical text that parses back to the same tree).

mod ast;
mod display;
mod lexer;
mod operators;
mod parse;
mod values;

#[cfg(test)]
mod tests;

pub use ast::{DateValue, Expr, Flag, Has, LintValue, ParseError, Query, Term, TextField};
pub use operators::LINT_CHECKS;
pub use parse::{parse, parse_duration, MAX_CHARS, MAX_DEPTH, MAX_TERMS};
