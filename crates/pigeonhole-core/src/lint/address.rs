//! A strict reader of RFC 5322 address lists (§3.4, with the obsolete phrase forms of §4.1
//! and UTF-8 in atoms per RFC 6532), saying what is wrong in words.

use super::mime::strip_comments;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Atom(String),
    Quoted(String),
    Literal(String),
    Special(char),
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn tokens(value: &str) -> Result<Vec<Token>, String> {
    let value = strip_comments(value);
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => s.extend(chars.next()),
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err("a quoted string is never closed".into());
                }
                out.push(Token::Quoted(s));
            }
            '[' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == ']' {
                        closed = true;
                        break;
                    }
                    s.push(c);
                }
                if !closed {
                    return Err("a domain literal [..] is never closed".into());
                }
                out.push(Token::Literal(s));
            }
            '<' | '>' | '@' | ',' | ';' | ':' | '.' => {
                chars.next();
                out.push(Token::Special(c));
            }
            c if is_atext(c) => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_atext(c) {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(Token::Atom(s));
            }
            c => return Err(format!("{c:?} may not appear outside quotes")),
        }
    }
    Ok(out)
}

struct Reader {
    t: Vec<Token>,
    i: usize,
}

impl Reader {
    fn peek(&self) -> Option<&Token> {
        self.t.get(self.i)
    }
    fn special(&self, c: char) -> bool {
        self.peek() == Some(&Token::Special(c))
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }

    /// Words and dots up to the next other special, as written.
    fn phrase(&mut self) -> Vec<Token> {
        let mut out = Vec::new();
        while let Some(t) = self.peek() {
            match t {
                Token::Atom(_) | Token::Quoted(_) | Token::Special('.') => {
                    out.push(t.clone());
                    self.i += 1;
                }
                _ => break,
            }
        }
        out
    }

    fn domain(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Token::Literal(_)) => return Ok(()),
            Some(Token::Atom(_)) => {}
            _ => return Err("the address has nothing after @".into()),
        }
        while self.special('.') {
            self.i += 1;
            match self.next() {
                Some(Token::Atom(_)) => {}
                _ => {
                    return Err(
                        "the domain has an empty label (two dots, or a dot at the end)".into(),
                    )
                }
            }
        }
        Ok(())
    }

    fn addr_spec_after_local(&mut self, local: &[Token]) -> Result<(), String> {
        local_part(local)?;
        if !self.special('@') {
            return Err("an address has no @".into());
        }
        self.i += 1;
        self.domain()
    }

    fn angle(&mut self) -> Result<(), String> {
        // `<` was read. An obsolete route (`@a,@b:`) may come first.
        if self.special('@') {
            while !self.special(':') {
                if self.next().is_none() {
                    return Err("a <...> address is never closed".into());
                }
            }
            self.i += 1;
        }
        let local = self.phrase();
        if local.is_empty() && self.special('>') {
            return Err("<> holds no address".into());
        }
        self.addr_spec_after_local(&local)?;
        match self.next() {
            Some(Token::Special('>')) => Ok(()),
            None => Err("a <...> address is never closed".into()),
            Some(_) => Err("something follows the address inside <...>".into()),
        }
    }

    /// One mailbox; `in_group` lets `;` end it.
    fn mailbox(&mut self) -> Result<(), String> {
        let phrase = self.phrase();
        match self.peek() {
            Some(Token::Special('<')) => {
                self.i += 1;
                self.angle()
            }
            Some(Token::Special('@')) => self.addr_spec_after_local(&phrase),
            _ if phrase.is_empty() => Err("an address is missing (an empty entry)".into()),
            _ => Err(format!(
                "{:?} is not an address; a display name with a comma, dot or other special must be in quotes",
                shown(&phrase)
            )),
        }
    }

    fn address(&mut self) -> Result<(), String> {
        // A group: `name: a, b;`.
        let start = self.i;
        let phrase = self.phrase();
        if self.special(':') && !phrase.is_empty() {
            self.i += 1;
            loop {
                if self.special(';') {
                    self.i += 1;
                    return Ok(());
                }
                if self.peek().is_none() {
                    return Err("a group (name: ...;) is never closed with ;".into());
                }
                self.mailbox()?;
                if self.special(',') {
                    self.i += 1;
                }
            }
        }
        self.i = start;
        self.mailbox()
    }
}

fn shown(phrase: &[Token]) -> String {
    phrase
        .iter()
        .map(|t| match t {
            Token::Atom(a) => a.clone(),
            Token::Quoted(q) => format!("\"{q}\""),
            Token::Special(c) => c.to_string(),
            Token::Literal(l) => format!("[{l}]"),
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" . ", ".")
}

/// `word *("." word)`.
fn local_part(t: &[Token]) -> Result<(), String> {
    if t.is_empty() {
        return Err("the address has nothing before @".into());
    }
    let mut want_word = true;
    for tok in t {
        match (tok, want_word) {
            (Token::Atom(_) | Token::Quoted(_), true) => want_word = false,
            (Token::Special('.'), false) => want_word = true,
            (Token::Atom(_) | Token::Quoted(_), false) => {
                return Err(format!(
                    "the address {:?} has a space in it; a display name goes before <address>",
                    shown(t)
                ))
            }
            _ => {
                return Err(
                    "the part before @ has two dots in a row, or starts or ends with one".into(),
                )
            }
        }
    }
    if want_word {
        return Err("the part before @ ends with a dot".into());
    }
    Ok(())
}

/// Checks an address-list value; `Err` says what is wrong.
pub(super) fn check_list(value: &str) -> Result<(), String> {
    let t = tokens(value)?;
    if t.is_empty() {
        return Err("it is empty".into());
    }
    let mut r = Reader { t, i: 0 };
    loop {
        r.address()?;
        match r.next() {
            None => return Ok(()),
            Some(Token::Special(',')) => {
                // Obsolete syntax allows empty entries (`a@b, , c@d`) and a trailing comma.
                while r.special(',') {
                    r.i += 1;
                }
                if r.peek().is_none() {
                    return Ok(());
                }
            }
            Some(_) => {
                return Err("something follows an address without a comma between them".into())
            }
        }
    }
}

/// Checks a Message-ID-like value (`<left@right>`, RFC 5322 §3.6.4).
pub(super) fn check_msg_id(value: &str) -> Result<(), String> {
    let v = strip_comments(value);
    let v = v.trim();
    let Some(inner) = v.strip_prefix('<').and_then(|v| v.strip_suffix('>')) else {
        return Err(format!("{v:?} is not in angle brackets <...>"));
    };
    let Some((left, right)) = inner.rsplit_once('@') else {
        return Err(format!("<{inner}> has no @"));
    };
    if left.is_empty() || right.is_empty() {
        return Err(format!("<{inner}> is empty on one side of @"));
    }
    let ok = |s: &str| {
        !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
            && s.chars().all(|c| is_atext(c) || c == '.')
    };
    let right_ok = ok(right) || (right.starts_with('[') && right.ends_with(']'));
    let left_ok = ok(left) || (left.starts_with('"') && left.ends_with('"') && left.len() >= 2);
    if !left_ok || !right_ok {
        return Err(format!(
            "<{inner}> has characters a Message-ID may not hold (spaces, or a second @)"
        ));
    }
    Ok(())
}
