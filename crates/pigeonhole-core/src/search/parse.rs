//! Tokens to a tree: `OR` below juxtaposition/`AND`, below negation, below groups and
//! terms; same-kind `And`/`Or` are flattened; the size limits are enforced here.
//!
//! ```text
//! query := or? EOF
//! or    := and (OR and)*
//! and   := unary (AND? unary)*
//! unary := (- | ! | NOT)* atom
//! atom  := ( or ) | term
//! ```

use std::time::Duration;

use super::ast::{Expr, ParseError, Query};
use super::lexer::{negation_message, Lexer, Tok, Token};
use super::values;

/// Longest accepted input, in characters, as typed and as written out in canonical form.
pub const MAX_CHARS: usize = 2000;
/// Most terms (leaves) in one query.
pub const MAX_TERMS: usize = 64;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 32;

/// Parses a search-box query. Empty or whitespace-only input matches everything.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    let chars = input.chars().count();
    if chars > MAX_CHARS {
        let message = format!("the query is too long: {chars} characters, the most is {MAX_CHARS}");
        return Err(ParseError::new(0, chars, message));
    }
    let mut parser = Parser {
        lexer: Lexer::new(input),
        peeked: None,
        terms: 0,
        depth: 0,
    };
    let expr = match parser.peek()? {
        None => None,
        Some(_) => Some(parser.or()?),
    };
    let query = match parser.next()? {
        None => Query { expr },
        Some(token) => return Err(unexpected(&token)),
    };
    // The canonical text can be longer than what was typed (`"b"c` is written `"b" c`).
    // Held to the same limit, it always parses back.
    let written = query.to_string().chars().count();
    if written > MAX_CHARS {
        let message = format!(
            "the query is too long: written out in full it has {written} characters, the most is {MAX_CHARS}"
        );
        return Err(ParseError::new(0, chars, message));
    }
    Ok(query)
}

/// An age as `before:`/`after:` take it: a whole number and `s`, `m`, `h`, `d` or `w` (any
/// case), such as `30m` or `7d`. For settings that share the syntax (`retention_age`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    values::age(text)
}

struct Parser {
    lexer: Lexer,
    peeked: Option<Token>,
    terms: usize,
    depth: usize,
}

impl Parser {
    fn peek(&mut self) -> Result<Option<&Token>, ParseError> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next_token()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<Token>, ParseError> {
        self.peek()?;
        Ok(self.peeked.take())
    }

    /// Whether the next token can begin an operand (a term, a group or a negation).
    fn at_operand(&mut self) -> Result<bool, ParseError> {
        Ok(matches!(
            self.peek()?.map(|t| &t.tok),
            Some(Tok::Term(_) | Tok::LParen | Tok::Neg(_) | Tok::Not)
        ))
    }

    /// Consumes a binary keyword or a negation and checks an operand follows it.
    fn operator(&mut self, message: &str) -> Result<(), ParseError> {
        let Some(token) = self.next()? else {
            unreachable!("operator() is called on a peeked token")
        };
        if self.at_operand()? {
            Ok(())
        } else {
            Err(ParseError::new(token.pos, token.len, message))
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut children = Vec::new();
        push_flat(&mut children, self.and()?, false);
        while matches!(self.peek()?.map(|t| &t.tok), Some(Tok::Or)) {
            self.operator("OR needs a term on each side")?;
            push_flat(&mut children, self.and()?, false);
        }
        Ok(collect(children, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut children = Vec::new();
        push_flat(&mut children, self.unary()?, true);
        loop {
            if matches!(self.peek()?.map(|t| &t.tok), Some(Tok::And)) {
                self.operator("AND needs a term on each side")?;
            } else if !self.at_operand()? {
                break;
            }
            push_flat(&mut children, self.unary()?, true);
        }
        Ok(collect(children, Expr::And))
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        // A loop, not recursion: a query of 2000 dashes must not nest 2000 frames.
        let mut negations = 0;
        loop {
            match self.peek()?.map(|t| &t.tok) {
                Some(&Tok::Neg(c)) => self.operator(&negation_message(c))?,
                Some(Tok::Not) => self.operator("NOT needs a term after it")?,
                _ => break,
            }
            negations += 1;
        }
        let mut expr = self.atom()?;
        for _ in 0..negations {
            expr = Expr::Not(Box::new(expr));
        }
        Ok(expr)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.next()? else {
            return Err(ParseError::new(0, 0, "expected a term"));
        };
        match token.tok {
            Tok::Term(term) => {
                self.terms += 1;
                if self.terms > MAX_TERMS {
                    let message = format!("too many terms: the most is {MAX_TERMS}");
                    return Err(ParseError::new(token.pos, token.len, message));
                }
                Ok(Expr::Term(term))
            }
            Tok::LParen => self.group(token.pos),
            _ => Err(unexpected(&token)),
        }
    }

    /// After the `(` at `open`.
    fn group(&mut self, open: usize) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let message = format!("too many nested parentheses: the most is {MAX_DEPTH}");
            return Err(ParseError::new(open, 1, message));
        }
        match self.peek()? {
            None => return Err(unclosed(open)),
            Some(Token {
                tok: Tok::RParen,
                pos,
                ..
            }) => {
                let len = pos + 1 - open;
                return Err(ParseError::new(
                    open,
                    len,
                    "empty parentheses: put terms inside",
                ));
            }
            Some(_) => {}
        }
        let inner = self.or()?;
        match self.next()? {
            Some(Token {
                tok: Tok::RParen, ..
            }) => {
                self.depth -= 1;
                Ok(inner)
            }
            None => Err(unclosed(open)),
            Some(token) => Err(unexpected(&token)),
        }
    }
}

fn unclosed(open: usize) -> ParseError {
    ParseError::new(open, 1, "this ( is never closed: add a )")
}

/// A token that cannot stand where it is.
fn unexpected(token: &Token) -> ParseError {
    let message = match token.tok {
        Tok::RParen => "this ) has no ( before it",
        Tok::Or => "OR needs a term on each side",
        Tok::And => "AND needs a term on each side",
        _ => "unexpected here",
    };
    ParseError::new(token.pos, token.len, message)
}

/// Appends `expr`, splicing in its children when it is the same kind of list.
fn push_flat(children: &mut Vec<Expr>, expr: Expr, and: bool) {
    match expr {
        Expr::And(inner) if and => children.extend(inner),
        Expr::Or(inner) if !and => children.extend(inner),
        other => children.push(other),
    }
}

fn collect(mut children: Vec<Expr>, list: fn(Vec<Expr>) -> Expr) -> Expr {
    if children.len() == 1 {
        children.pop().expect("one child")
    } else {
        list(children)
    }
}
