//! Parsing one SMTP command line (without its CRLF) into a `Command`.

use super::address::{parse_path, Path, PathError};

/// One parsed command. Arguments are kept as sent; the session judges them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Helo(String),
    Ehlo(String),
    Mail {
        path: Path,
        params: Vec<Param>,
    },
    Rcpt {
        path: Path,
        params: Vec<Param>,
    },
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Vrfy(String),
    Expn(String),
    Help(Option<String>),
    Noop,
    Quit,
    StartTls,
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// Commands we recognise but never perform; the reply says why.
    Refused(Refused),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Turn,
    Atrn,
    Etrn,
    Send,
    Soml,
    Saml,
}

/// An ESMTP parameter such as `SIZE=1000` (`value` is `None` for `SMTPUTF8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Upper-cased keyword.
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Not a command we know: 500.
    Unrecognised,
    /// Right command, wrong arguments: 501 with this text.
    Syntax(&'static str),
    /// A broken reverse-path (MAIL): 501 5.1.7.
    SenderPath(PathError),
    /// A broken forward-path (RCPT): 501 5.1.3.
    RecipientPath(PathError),
}

/// Parses a command line. `line` has no trailing CRLF.
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let (verb, rest) = match line.find(' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let arg = rest.trim();
    let verb_upper = verb.to_ascii_uppercase();
    let no_args = |cmd: Command| {
        if arg.is_empty() {
            Ok(cmd)
        } else {
            Err(CommandError::Syntax("this command takes no arguments"))
        }
    };
    match verb_upper.as_str() {
        "HELO" | "EHLO" => {
            if arg.is_empty() {
                return Err(CommandError::Syntax(
                    "a domain name or address literal is required",
                ));
            }
            // The client's own name; anything after it is ignored, as most MTAs do.
            let name = arg.split_whitespace().next().unwrap_or(arg).to_string();
            Ok(if verb_upper == "HELO" {
                Command::Helo(name)
            } else {
                Command::Ehlo(name)
            })
        }
        "MAIL" => {
            let rest = strip_keyword(rest, "FROM:").ok_or(CommandError::Syntax(
                "syntax is MAIL FROM:<address> [parameters]",
            ))?;
            let (path, params) = parse_path_and_params(rest, true).map_err(|e| match e {
                CommandError::RecipientPath(p) => CommandError::SenderPath(p),
                other => other,
            })?;
            Ok(Command::Mail { path, params })
        }
        "RCPT" => {
            let rest = strip_keyword(rest, "TO:").ok_or(CommandError::Syntax(
                "syntax is RCPT TO:<address> [parameters]",
            ))?;
            let (path, params) = parse_path_and_params(rest, false)?;
            Ok(Command::Rcpt { path, params })
        }
        "DATA" => no_args(Command::Data),
        "BDAT" => {
            let mut words = arg.split_ascii_whitespace();
            let size = words
                .next()
                .and_then(|w| {
                    if w.bytes().all(|b| b.is_ascii_digit()) {
                        w.parse::<u64>().ok()
                    } else {
                        None
                    }
                })
                .ok_or(CommandError::Syntax("syntax is BDAT <size> [LAST]"))?;
            let last = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("LAST") => true,
                Some(_) => return Err(CommandError::Syntax("syntax is BDAT <size> [LAST]")),
            };
            if words.next().is_some() {
                return Err(CommandError::Syntax("syntax is BDAT <size> [LAST]"));
            }
            Ok(Command::Bdat { size, last })
        }
        "RSET" => no_args(Command::Rset),
        // NOOP may carry a string, which is ignored (RFC 5321 §4.1.1.9).
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_args(Command::Quit),
        "VRFY" | "EXPN" => {
            if arg.is_empty() {
                return Err(CommandError::Syntax("a user name or address is required"));
            }
            Ok(if verb_upper == "VRFY" {
                Command::Vrfy(arg.to_string())
            } else {
                Command::Expn(arg.to_string())
            })
        }
        "HELP" => Ok(Command::Help(if arg.is_empty() {
            None
        } else {
            Some(arg.to_string())
        })),
        "STARTTLS" => no_args(Command::StartTls),
        "AUTH" => {
            let mut words = arg.split_ascii_whitespace();
            let mechanism = words
                .next()
                .ok_or(CommandError::Syntax(
                    "syntax is AUTH <mechanism> [initial-response]",
                ))?
                .to_ascii_uppercase();
            let initial = words.next().map(str::to_string);
            if words.next().is_some() {
                return Err(CommandError::Syntax(
                    "syntax is AUTH <mechanism> [initial-response]",
                ));
            }
            Ok(Command::Auth { mechanism, initial })
        }
        "TURN" => Ok(Command::Refused(Refused::Turn)),
        "ATRN" => Ok(Command::Refused(Refused::Atrn)),
        "ETRN" => Ok(Command::Refused(Refused::Etrn)),
        "SEND" => Ok(Command::Refused(Refused::Send)),
        "SOML" => Ok(Command::Refused(Refused::Soml)),
        "SAML" => Ok(Command::Refused(Refused::Saml)),
        _ => Err(CommandError::Unrecognised),
    }
}

/// Matches `FROM:` / `TO:` case-insensitively, tolerating spaces before the colon's
/// argument (`MAIL FROM: <a@b>`), which many clients send.
fn strip_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = rest.trim_start();
    // Compared as bytes: `rest` may have a multi-byte character where the keyword ends
    // (`RCPT T\u{FFFD}:`), and slicing the str there would panic. A match is all ASCII, so
    // `keyword.len()` is then a character boundary.
    let head = rest.as_bytes().get(..keyword.len())?;
    if head.eq_ignore_ascii_case(keyword.as_bytes()) {
        Some(rest[keyword.len()..].trim_start())
    } else {
        None
    }
}

fn parse_path_and_params(rest: &str, reverse: bool) -> Result<(Path, Vec<Param>), CommandError> {
    let (path, tail) = parse_path(rest, reverse).map_err(CommandError::RecipientPath)?;
    let mut params = Vec::new();
    for word in tail.split_ascii_whitespace() {
        let (key, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (word, None),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(CommandError::Syntax("malformed ESMTP parameter"));
        }
        params.push(Param {
            key: key.to_ascii_uppercase(),
            value,
        });
    }
    Ok((path, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(parse("helo x"), Ok(Command::Helo("x".into())));
        assert_eq!(parse("QuIt"), Ok(Command::Quit));
    }

    #[test]
    fn mail_accepts_space_after_colon_and_parameters() {
        let Ok(Command::Mail { path, params }) = parse("MAIL FROM: <a@b.c> SIZE=10 body=8bitmime")
        else {
            panic!("lenient MAIL FROM: <a@b> should parse");
        };
        assert_eq!(path.address, "a@b.c");
        assert_eq!(
            params[0],
            Param {
                key: "SIZE".into(),
                value: Some("10".into())
            }
        );
        assert_eq!(params[1].key, "BODY", "parameter keywords are upper-cased");
    }

    #[test]
    fn bdat_needs_a_numeric_size() {
        assert_eq!(
            parse("BDAT 10 LAST"),
            Ok(Command::Bdat {
                size: 10,
                last: true
            })
        );
        assert_eq!(
            parse("BDAT 0 last"),
            Ok(Command::Bdat {
                size: 0,
                last: true
            })
        );
        assert!(
            matches!(parse("BDAT x"), Err(CommandError::Syntax(_))),
            "a non-numeric size is a syntax error"
        );
        assert!(
            matches!(parse("BDAT -1"), Err(CommandError::Syntax(_))),
            "a negative size is a syntax error"
        );
        assert!(matches!(parse("BDAT 1 MORE"), Err(CommandError::Syntax(_))));
    }

    #[test]
    fn a_multibyte_character_where_from_or_to_ends_is_a_syntax_error_not_a_panic() {
        // Found by the smtp_command fuzz target: "RCPT T\xc7:<po\x97tmaster>" decoded lossily.
        for line in [
            "RCPT T\u{FFFD}:<po\u{FFFD}tmaster>",
            "MAIL FR\u{e9}:<a@b>",
            "RCPT \u{FFFD}",
        ] {
            assert!(
                matches!(parse(line), Err(CommandError::Syntax(_))),
                "{line:?} lacks its FROM:/TO: keyword: {:?}",
                parse(line)
            );
        }
    }

    #[test]
    fn unknown_verbs_are_unrecognised() {
        assert_eq!(parse("FOO bar"), Err(CommandError::Unrecognised));
        assert_eq!(parse(""), Err(CommandError::Unrecognised));
    }
}
