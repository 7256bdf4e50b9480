//! Reverse- and forward-paths: `<a@b>`, `<>`, lenient unbracketed forms, source routes.

/// A parsed path. `address` is "" for the null reverse-path `<>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// `<a@b` with no closing bracket.
    Unterminated,
    /// Nothing where the address should be.
    Missing,
    /// `<>` where a null path is not allowed (RCPT).
    NullNotAllowed,
    /// Something that is not `local@domain` (or `postmaster` for RCPT).
    Invalid,
}

impl PathError {
    pub fn describe(&self) -> &'static str {
        match self {
            PathError::Unterminated => "missing '>' after the address",
            PathError::Missing => "an address is required",
            PathError::NullNotAllowed => "the null path <> is only valid as a sender",
            PathError::Invalid => "the address is not of the form local@domain",
        }
    }
}

/// Parses the path at the start of `input` and returns it with the remaining text
/// (the ESMTP parameters). `reverse` is true for MAIL FROM, where `<>` is allowed.
pub fn parse_path(input: &str, reverse: bool) -> Result<(Path, &str), PathError> {
    let input = input.trim_start();
    if input.is_empty() {
        return Err(PathError::Missing);
    }
    let (inner, rest) = if let Some(body) = input.strip_prefix('<') {
        let end = find_closing_bracket(body).ok_or(PathError::Unterminated)?;
        (&body[..end], &body[end + 1..])
    } else {
        // Lenient: `MAIL FROM:a@b` without brackets, as some scripts send.
        let end = input.find(' ').unwrap_or(input.len());
        let word = &input[..end];
        if word.contains('<') || word.contains('>') {
            return Err(PathError::Invalid);
        }
        (word, &input[end..])
    };
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(PathError::Invalid);
    }
    let address = strip_source_route(inner);
    if address.is_empty() {
        return if reverse {
            Ok((
                Path {
                    address: String::new(),
                },
                rest,
            ))
        } else {
            Err(PathError::NullNotAllowed)
        };
    }
    if !is_valid_mailbox(address, !reverse) {
        return Err(PathError::Invalid);
    }
    Ok((
        Path {
            address: address.to_string(),
        },
        rest,
    ))
}

/// Finds the `>` closing a path, skipping any inside a quoted local part.
fn find_closing_bracket(s: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '>' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

/// `@a,@b:user@c` -> `user@c` (RFC 5321 §4.1.2: source routes must be accepted and ignored).
fn strip_source_route(inner: &str) -> &str {
    if inner.starts_with('@') {
        if let Some(colon) = inner.find(':') {
            return &inner[colon + 1..];
        }
    }
    inner
}

fn is_valid_mailbox(address: &str, allow_postmaster: bool) -> bool {
    if allow_postmaster && address.eq_ignore_ascii_case("postmaster") {
        return true;
    }
    if address.chars().any(|c| c.is_control()) {
        return false;
    }
    let Some(at) = address.rfind('@') else {
        return false;
    };
    let (local, domain) = (&address[..at], &address[at + 1..]);
    if local.is_empty() || domain.is_empty() {
        return false;
    }
    let quoted = local.starts_with('"') && local.ends_with('"') && local.len() >= 2;
    if !quoted && local.contains(' ') {
        return false;
    }
    if domain.starts_with('[') {
        return domain.ends_with(']');
    }
    !domain.contains(' ')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(input: &str, reverse: bool) -> Result<String, PathError> {
        parse_path(input, reverse).map(|(p, _)| p.address)
    }

    #[test]
    fn path_forms_table() {
        let cases: &[(&str, bool, Result<&str, PathError>)] = &[
            ("<a@b.c>", true, Ok("a@b.c")),
            ("<>", true, Ok("")),
            ("<>", false, Err(PathError::NullNotAllowed)),
            ("a@b.c", true, Ok("a@b.c")),
            ("<@relay.x,@relay.y:a@b.c>", false, Ok("a@b.c")),
            ("<a@b.c", true, Err(PathError::Unterminated)),
            ("", true, Err(PathError::Missing)),
            ("<postmaster>", false, Ok("postmaster")),
            ("<postmaster>", true, Err(PathError::Invalid)),
            ("<\"odd >\"@b.c>", true, Ok("\"odd >\"@b.c")),
            ("<a@[127.0.0.1]>", true, Ok("a@[127.0.0.1]")),
            ("<ab.c>", true, Err(PathError::Invalid)),
            ("<a@b.c>x", true, Err(PathError::Invalid)),
            ("<用户@例子.广告>", true, Ok("用户@例子.广告")),
        ];
        for (input, reverse, want) in cases {
            let got = addr(input, *reverse);
            let want = want.clone().map(str::to_string);
            assert_eq!(got, want, "parsing {input:?} (reverse={reverse})");
        }
    }

    #[test]
    fn parameters_follow_the_path() {
        let (_, rest) = parse_path("<a@b> SIZE=5", true).expect("valid path with params");
        assert_eq!(rest.trim(), "SIZE=5");
    }
}
