//! One SMTP conversation with the release server, driven step by step over lettre's
//! `SmtpConnection` (connect and EHLO, STARTTLS, AUTH, MAIL, each RCPT, DATA, the bytes),
//! so the reply that ended it is kept with the step it answered. Blocking: run it on the
//! blocking pool.

use std::error::Error as _;
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error;
use lettre::Address;

use crate::model::{ReleaseServer, ReleaseStage, ReleaseTls};

/// How long connecting, and then each read or write, may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What to send and where. The addresses have been checked (`Address` parses them).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub server: ReleaseServer,
    /// Our name in EHLO.
    pub hello: String,
    /// "" for the null sender.
    pub from: String,
    pub to: Vec<String>,
    /// The bytes to send, exactly; they must end with CRLF to arrive unchanged.
    pub bytes: Vec<u8>,
}

/// How the conversation ended: the server's last reply as sent, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub ok: bool,
    pub stage: ReleaseStage,
    /// The recipient a refused RCPT named.
    pub recipient: Option<String>,
    pub code: Option<u16>,
    pub enhanced_code: Option<String>,
    pub text: String,
}

impl Ended {
    fn local(stage: ReleaseStage, text: String) -> Ended {
        Ended {
            ok: false,
            stage,
            recipient: None,
            code: None,
            enhanced_code: None,
            text,
        }
    }
}

/// Talks to the server once; never panics, every failure is an `Ended`.
pub fn send(out: &Outgoing) -> Ended {
    let s = &out.server;
    let addr = s.addr();
    let tls = match s.tls {
        ReleaseTls::None => None,
        ReleaseTls::Starttls | ReleaseTls::Tls => {
            match TlsParameters::builder(s.host.clone())
                .dangerous_accept_invalid_certs(s.accept_invalid_certs)
                .dangerous_accept_invalid_hostnames(s.accept_invalid_certs)
                .build()
            {
                Ok(p) => Some(p),
                Err(e) => {
                    return Ended::local(
                        ReleaseStage::Tls,
                        format!("could not set up TLS for {addr}: {}", cause(&e)),
                    )
                }
            }
        }
    };
    let hello = ClientId::Domain(out.hello.clone());
    let wrapper = if s.tls == ReleaseTls::Tls {
        tls.as_ref()
    } else {
        None
    };
    let mut conn = match SmtpConnection::connect(
        (s.host.as_str(), s.port),
        Some(TIMEOUT),
        &hello,
        wrapper,
        None,
    ) {
        Ok(c) => c,
        Err(e) => return failed(ReleaseStage::Connect, &addr, &e),
    };
    let ended = converse(&mut conn, out, tls.as_ref(), &hello, &addr);
    if ended.ok {
        // The message is taken; how QUIT goes changes nothing.
        let _ = conn.quit();
    } else {
        conn.abort();
    }
    ended
}

fn converse(
    conn: &mut SmtpConnection,
    out: &Outgoing,
    tls: Option<&TlsParameters>,
    hello: &ClientId,
    addr: &str,
) -> Ended {
    let s = &out.server;
    if let (ReleaseTls::Starttls, Some(params)) = (s.tls, tls) {
        if !conn.can_starttls() {
            return Ended::local(
                ReleaseStage::Tls,
                format!("{addr} does not offer STARTTLS; set tls to none to send in the clear, or tls for implicit TLS"),
            );
        }
        if let Err(e) = conn.starttls(params, hello) {
            return failed(ReleaseStage::Tls, addr, &e);
        }
    }
    if !s.user.is_empty() {
        let credentials = Credentials::new(s.user.clone(), s.password.clone());
        if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials) {
            return failed(ReleaseStage::Auth, addr, &e);
        }
    }
    let info = conn.server_info();
    let mut params = Vec::new();
    if !out.bytes.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            return Ended::local(
                ReleaseStage::Mail,
                format!("{addr} does not offer 8BITMIME and this message has 8-bit bytes, which would not arrive unchanged"),
            );
        }
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let non_ascii = !out.from.is_ascii() || out.to.iter().any(|t| !t.is_ascii());
    if non_ascii {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Ended::local(
                ReleaseStage::Mail,
                format!("{addr} does not offer SMTPUTF8, which the non-ASCII addresses need"),
            );
        }
        params.push(MailParameter::SmtpUtfEight);
    }
    let from = if out.from.is_empty() {
        None
    } else {
        match Address::from_str(&out.from) {
            Ok(a) => Some(a),
            Err(e) => {
                return Ended::local(
                    ReleaseStage::Mail,
                    format!("\"{}\" is not an address: {e}", out.from),
                )
            }
        }
    };
    if let Err(e) = conn.command(Mail::new(from, params)) {
        return failed(ReleaseStage::Mail, addr, &e);
    }
    for to in &out.to {
        let rcpt = match Address::from_str(to) {
            Ok(a) => a,
            Err(e) => {
                return Ended::local(
                    ReleaseStage::Rcpt,
                    format!("\"{to}\" is not an address: {e}"),
                )
            }
        };
        if let Err(e) = conn.command(Rcpt::new(rcpt, Vec::new())) {
            return Ended {
                recipient: Some(to.clone()),
                ..failed(ReleaseStage::Rcpt, addr, &e)
            };
        }
    }
    if let Err(e) = conn.command(Data) {
        return failed(ReleaseStage::Data, addr, &e);
    }
    // lettre dot-stuffs and always ends with CRLF . CRLF, whose first CRLF ends the last
    // line: give it the bytes without their own final CRLF, so they arrive exactly.
    let body = out.bytes.strip_suffix(b"\r\n").unwrap_or(&out.bytes);
    match conn.message(body) {
        Ok(r) => accepted(&r),
        Err(e) => failed(ReleaseStage::Message, addr, &e),
    }
}

/// A positive reply to the message.
fn accepted(r: &Response) -> Ended {
    let code = r.code().to_string().parse().ok();
    let lines: Vec<String> = r.message().map(str::to_string).collect();
    let (enhanced_code, text) = split_enhanced(code, &lines);
    Ended {
        ok: true,
        stage: ReleaseStage::Message,
        recipient: None,
        code,
        enhanced_code,
        text,
    }
}

/// A failure at `stage`: the server's negative reply, or what stopped the conversation.
fn failed(stage: ReleaseStage, addr: &str, e: &Error) -> Ended {
    if let Some(status) = e.status() {
        let code = status.to_string().parse().ok();
        // lettre keeps a negative reply's text, its lines joined, as the error's source.
        let text = e.source().map(|s| s.to_string()).unwrap_or_default();
        let (enhanced_code, text) = split_enhanced(code, &[text]);
        return Ended {
            ok: false,
            stage,
            recipient: None,
            code,
            enhanced_code,
            text,
        };
    }
    let why = cause(e);
    let (stage, text) = if stage == ReleaseStage::Tls || is_tls(e) {
        (ReleaseStage::Tls, format!("TLS with {addr} failed: {why}"))
    } else if e.is_timeout() {
        (
            stage,
            format!("{addr} did not answer within {} s", TIMEOUT.as_secs()),
        )
    } else if stage == ReleaseStage::Connect && !e.is_response() {
        (stage, format!("could not connect to {addr}: {why}"))
    } else {
        (stage, format!("{addr}: {why}"))
    };
    Ended::local(stage, text)
}

/// Whether TLS failed: lettre marks its own TLS errors, but a failed handshake reaches it
/// as an I/O error that carries rustls's.
fn is_tls(e: &Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = next {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
            {
                return true;
            }
        }
        next = err.source();
    }
    e.is_tls()
}

/// The innermost error's words: "Connection refused (os error 111)".
fn cause(e: &Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// The RFC 3463 code a reply's text starts with (its class must be the reply's), and the
/// text without it; a line repeating the code loses it too. Lines are joined by "\n".
fn split_enhanced(code: Option<u16>, lines: &[String]) -> (Option<String>, String) {
    let class = code.map(|c| (c / 100).to_string());
    let first = lines.first().and_then(|l| l.split_whitespace().next());
    let enhanced = first.filter(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3
            && Some(parts[0]) == class.as_deref()
            && parts[1..]
                .iter()
                .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    });
    let text = lines
        .iter()
        .map(|l| match enhanced {
            Some(e) => l.strip_prefix(e).map_or(l.as_str(), str::trim_start),
            None => l.as_str(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    (enhanced.map(str::to_string), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enhanced_code_is_taken_off_the_text_only_when_it_is_one() {
        let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            split_enhanced(Some(550), &lines(&["5.1.1 <x@y>: no such user"])),
            (Some("5.1.1".into()), "<x@y>: no such user".into())
        );
        assert_eq!(
            split_enhanced(Some(250), &lines(&["2.0.0 Ok: queued as 7"])),
            (Some("2.0.0".into()), "Ok: queued as 7".into())
        );
        assert_eq!(
            split_enhanced(Some(250), &lines(&["5.1.1 not ours"])),
            (None, "5.1.1 not ours".into()),
            "a code of another class is text"
        );
        assert_eq!(
            split_enhanced(Some(250), &lines(&["Ok"])),
            (None, "Ok".into())
        );
        assert_eq!(
            split_enhanced(Some(451), &lines(&["4.3.0 first", "4.3.0 second", "third"])),
            (Some("4.3.0".into()), "first\nsecond\nthird".into())
        );
        assert_eq!(split_enhanced(Some(421), &[]), (None, String::new()));
    }
}
