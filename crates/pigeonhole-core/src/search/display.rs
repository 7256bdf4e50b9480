//! Canonical text for a tree: `parse(&q.to_string()) == Ok(q)` for every parsed query.
//! Operators are written with their canonical names, sizes and ages in their largest exact
//! unit, dates in ISO form, values quoted only when they must be (or were, for text).

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{Expr, LintValue, Query, Term, TextField};
use super::lexer::{is_bare_value, is_free_word};
use super::values::{date_text, size_text};

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.expr {
            Some(expr) => expr.fmt(f),
            None => Ok(()),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(children) => join(f, children, " ", |c| matches!(c, Expr::Or(_))),
            Expr::Or(children) => join(f, children, " OR ", |c| matches!(c, Expr::Or(_))),
            Expr::Not(inner) => {
                f.write_char('-')?;
                grouped(f, inner, matches!(**inner, Expr::And(_) | Expr::Or(_)))
            }
            Expr::Term(term) => term.fmt(f),
        }
    }
}

fn join(
    f: &mut Formatter<'_>,
    children: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        grouped(f, child, needs_parens(child))?;
    }
    Ok(())
}

fn grouped(f: &mut Formatter<'_>, expr: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({expr})")
    } else {
        expr.fmt(f)
    }
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Term::Text {
                field: TextField::Any,
                value,
                phrase,
            } => {
                if !phrase && is_free_word(value) {
                    f.write_str(value)
                } else {
                    quote(f, value)
                }
            }
            Term::Text {
                field,
                value,
                phrase,
            } => {
                write!(f, "{}:", field.operator().unwrap_or_default())?;
                if *phrase {
                    quote(f, value)
                } else {
                    bare_or_quoted(f, value)
                }
            }
            Term::Header { name, value } => {
                f.write_str("header:")?;
                if is_bare_value(name) && !name.contains(':') {
                    f.write_str(name)?;
                } else {
                    quote(f, name)?;
                }
                match value {
                    Some(value) => {
                        f.write_char(':')?;
                        bare_or_quoted(f, value)
                    }
                    None => Ok(()),
                }
            }
            Term::Tag(value) => operator(f, "tag", value),
            Term::Inbox(value) => operator(f, "inbox", value),
            Term::User(value) => operator(f, "user", value),
            Term::Listener(value) => operator(f, "listener", value),
            Term::Is(flag) => write!(f, "is:{}", flag.name()),
            Term::Has(has) => write!(f, "has:{}", has.name()),
            Term::Lint(v) => match v {
                LintValue::Error => write!(f, "lint:error"),
                LintValue::Warning => write!(f, "lint:warning"),
                LintValue::Info => write!(f, "lint:info"),
                LintValue::Check(id) => write!(f, "lint:{id}"),
            },
            Term::Size { larger, bytes } => {
                let name = if *larger { "larger" } else { "smaller" };
                write!(f, "{name}:{}", size_text(*bytes))
            }
            Term::Date { after, at } => {
                let name = if *after { "after" } else { "before" };
                write!(f, "{name}:{}", date_text(at))
            }
        }
    }
}

fn operator(f: &mut Formatter<'_>, name: &str, value: &str) -> fmt::Result {
    write!(f, "{name}:")?;
    bare_or_quoted(f, value)
}

fn bare_or_quoted(f: &mut Formatter<'_>, value: &str) -> fmt::Result {
    if is_bare_value(value) {
        f.write_str(value)
    } else {
        quote(f, value)
    }
}

/// `"..."` with `"` and `\` escaped.
fn quote(f: &mut Formatter<'_>, value: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}
