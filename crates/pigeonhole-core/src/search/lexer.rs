//! Characters to tokens. Positions are CHARACTER offsets. An operator and its value are
//! lexed, checked and turned into a finished `Term` here, so errors come out left to right
//! as the parser pulls tokens.

use super::ast::{ParseError, Term, TextField};
use super::operators::{self, Kind};

#[derive(Debug)]
pub(super) enum Tok {
    LParen,
    RParen,
    /// A leading `-` or `!`, directly followed by what it negates.
    Neg(char),
    /// The keywords, uppercase only.
    Not,
    And,
    Or,
    Term(Term),
}

#[derive(Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
    pub(super) len: usize,
}

/// An operator's value (or a header's name) as typed: `pos`/`len` cover its quotes too.
#[derive(Debug)]
pub(super) struct Seg {
    pub(super) text: String,
    pub(super) quoted: bool,
    pub(super) pos: usize,
    pub(super) len: usize,
}

/// Where an operator's name and colon are, and the name as typed, lowercased.
#[derive(Debug, Clone)]
pub(super) struct OpName {
    pub(super) name: String,
    pub(super) pos: usize,
    pub(super) len: usize,
}

impl OpName {
    pub(super) fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.pos, self.len, message)
    }
}

pub(super) struct Lexer {
    chars: Vec<char>,
    at: usize,
}

/// Ends a bare word: whitespace, parentheses and quotes.
fn is_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

/// The operator name of `word` (a whole bare word), if it is shaped like `name:...`: the part
/// before the first colon is non-empty ASCII letters and `-`, and it is not an `http(s)://` URL.
pub(super) fn operator_name(word: &str) -> Option<&str> {
    let (name, rest) = word.split_once(':')?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return None;
    }
    let url = name.eq_ignore_ascii_case("http") || name.eq_ignore_ascii_case("https");
    if url && rest.starts_with("//") {
        return None;
    }
    Some(name)
}

/// Whether `word` lexes back as this same free word (not a keyword, negation or operator).
pub(super) fn is_free_word(word: &str) -> bool {
    is_bare_value(word)
        && !word.starts_with(['-', '!'])
        && !matches!(word, "OR" | "AND" | "NOT")
        && operator_name(word).is_none()
}

/// Whether an operator's value can be written without quotes.
pub(super) fn is_bare_value(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(is_break)
}

impl Lexer {
    pub(super) fn new(input: &str) -> Self {
        Lexer {
            chars: input.chars().collect(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Whether the next character ends an operator that has no value there.
    fn at_value_end(&self) -> bool {
        self.peek().is_none_or(|c| c.is_whitespace() || c == ')')
    }

    pub(super) fn next_token(&mut self) -> Result<Option<Token>, ParseError> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        let pos = self.at;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let tok = match c {
            '(' => {
                self.at += 1;
                Tok::LParen
            }
            ')' => {
                self.at += 1;
                Tok::RParen
            }
            '-' | '!' => {
                self.at += 1;
                if self.peek().is_none_or(char::is_whitespace) {
                    return Err(ParseError::new(pos, 1, negation_message(c)));
                }
                Tok::Neg(c)
            }
            '"' => {
                let text = self.quoted()?;
                if text.trim().is_empty() {
                    let message = "empty quotes: put the phrase to search for between them";
                    return Err(ParseError::new(pos, self.at - pos, message));
                }
                Tok::Term(Term::Text {
                    field: TextField::Any,
                    value: text,
                    phrase: true,
                })
            }
            _ => self.word(pos)?,
        };
        Ok(Some(Token {
            tok,
            pos,
            len: self.at - pos,
        }))
    }

    /// A bare word at `pos`: a keyword, an operator with its value, or a free word.
    fn word(&mut self, pos: usize) -> Result<Tok, ParseError> {
        let word = self.bare(false);
        match word.as_str() {
            "OR" => return Ok(Tok::Or),
            "AND" => return Ok(Tok::And),
            "NOT" => return Ok(Tok::Not),
            _ => {}
        }
        let Some(name) = operator_name(&word) else {
            return Ok(Tok::Term(Term::Text {
                field: TextField::Any,
                value: word,
                phrase: false,
            }));
        };
        let op = OpName {
            name: name.to_ascii_lowercase(),
            pos,
            len: name.len() + 1,
        };
        // Re-read from just after the colon: the value may be quoted, or a header's parts.
        self.at = pos + op.len;
        let kind = operators::lookup(&op.name).ok_or_else(|| operators::unknown(&op, name))?;
        let term = if kind == Kind::Header {
            self.header(&op)?
        } else {
            let value = self.value(&op, false)?;
            operators::build(kind, &op, value)?
        };
        Ok(Tok::Term(term))
    }

    /// Consumes a run of non-break characters (stopping at `:` too if asked).
    fn bare(&mut self, stop_at_colon: bool) -> String {
        let start = self.at;
        while let Some(c) = self.peek() {
            if is_break(c) || (stop_at_colon && c == ':') {
                break;
            }
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    /// A quoted string starting at the `"` under the cursor; `\"` and `\\` escape, any other
    /// backslash is kept as typed.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let open = self.at;
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    let message = "this quote is never closed: add a \" at the end of the phrase";
                    return Err(ParseError::new(open, 1, message));
                }
                Some('"') => {
                    self.at += 1;
                    return Ok(text);
                }
                Some('\\') => match self.chars.get(self.at + 1) {
                    Some(&c @ ('"' | '\\')) => {
                        text.push(c);
                        self.at += 2;
                    }
                    _ => {
                        text.push('\\');
                        self.at += 1;
                    }
                },
                Some(c) => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// An operator's value under the cursor: a quoted string, or a bare run (which stops at
    /// a colon when `stop_at_colon`, for a header's name). Missing or `(` is an error at `op`.
    fn value(&mut self, op: &OpName, stop_at_colon: bool) -> Result<Seg, ParseError> {
        let pos = self.at;
        if self.peek() == Some('(') {
            return Err(op.error(format!(
                "{}: needs a value; parentheses after an operator are not supported \
                 (write {0}:a OR {0}:b, or quote a value with spaces)",
                op.name
            )));
        }
        if self.at_value_end() {
            return Err(op.error(operators::needs_value(op)));
        }
        let (text, quoted) = if self.peek() == Some('"') {
            (self.quoted()?, true)
        } else {
            (self.bare(stop_at_colon), false)
        };
        Ok(Seg {
            text,
            quoted,
            pos,
            len: self.at - pos,
        })
    }

    /// `header:Name`, `header:Name:value`, either part bare or quoted.
    fn header(&mut self, op: &OpName) -> Result<Term, ParseError> {
        if self.peek() == Some(':') || self.at_value_end() {
            return Err(op.error(operators::needs_value(op)));
        }
        let name = self.value(op, true)?;
        let value = if self.peek() == Some(':') {
            let colon = OpName {
                name: format!("{}:{}", op.name, name.text),
                pos: op.pos,
                len: self.at + 1 - op.pos,
            };
            self.at += 1;
            if self.at_value_end() {
                return Err(colon.error(format!(
                    "{}: needs a value after the colon (or drop the colon to match any value)",
                    colon.name
                )));
            }
            Some(self.value(&colon, false)?)
        } else {
            None
        };
        operators::header(op, name, value)
    }
}

pub(super) fn negation_message(c: char) -> String {
    format!("{c} must be followed directly by what it excludes, as in {c}word or {c}from:bob")
}
