//! SMTP replies: a code, an enhanced status code (RFC 3463) and text, formatted on the wire.

use std::fmt::Write as _;

/// One reply, possibly multi-line. `lines` never contains CR or LF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Enhanced status code such as "2.1.0"; `None` where RFC 3463 does not apply
    /// (greeting, 354, 334, and replies sent before EHLO negotiated the extension).
    pub enhanced: Option<&'static str>,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, enhanced: &'static str, text: impl Into<String>) -> Self {
        Reply {
            code,
            enhanced: Some(enhanced),
            lines: vec![text.into()],
        }
    }

    /// A reply that by definition carries no enhanced code (220, 221 greeting-type, 354, 334).
    pub fn plain(code: u16, text: impl Into<String>) -> Self {
        Reply {
            code,
            enhanced: None,
            lines: vec![text.into()],
        }
    }

    pub fn multi(code: u16, enhanced: Option<&'static str>, lines: Vec<String>) -> Self {
        debug_assert!(!lines.is_empty(), "a reply has at least one line");
        Reply {
            code,
            enhanced,
            lines,
        }
    }

    /// The reply as sent: `250-first\r\n250 last\r\n`.
    pub fn to_wire(&self) -> String {
        let mut out = String::with_capacity(64);
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == n { ' ' } else { '-' };
            let _ = write!(out, "{}{}", self.code, sep);
            if let Some(e) = self.enhanced {
                // The enhanced code leads every line of a multi-line reply (RFC 2034 §4).
                let _ = write!(out, "{e} ");
            }
            push_printable(&mut out, line);
            out.push_str("\r\n");
        }
        out
    }
}

/// Appends `line` with every control character written as `\xNN`: a reply never carries
/// a byte a client sent that could end the line early or confuse a terminal (an echoed
/// HELO name, say).
fn push_printable(out: &mut String, line: &str) {
    if !line.chars().any(char::is_control) {
        out.push_str(line);
        return;
    }
    for c in line.chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02X}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// Defines named replies, one row each, in three forms:
/// `name => CODE, "enhanced", "text"` is fixed to the byte;
/// `name(text) => CODE, "enhanced"` is a family whose text the caller words;
/// `name(value: Type) => CODE, "enhanced", "text with {value}"` fills in one value.
macro_rules! named_replies {
    () => {};
    ($(#[$doc:meta])* $name:ident => $code:ident, $enhanced:literal, $text:literal; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name() -> Self {
            Reply::new(code::$code, $enhanced, $text)
        }
        named_replies!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident(text) => $code:ident, $enhanced:literal; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(text: impl Into<String>) -> Self {
            Reply::new(code::$code, $enhanced, text)
        }
        named_replies!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident($value:ident: $ty:ty) => $code:ident, $enhanced:literal, $text:literal;
     $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name($value: $ty) -> Self {
            Reply::new(code::$code, $enhanced, format!($text, $value = $value))
        }
        named_replies!($($rest)*);
    };
}

/// Named replies, one per meaning, so a handler (and later a fault rule) says which reply it
/// means instead of spelling out a code, an enhanced code and text.
impl Reply {
    named_replies! {
        /// 220 2.0.0: go ahead with the TLS handshake (RFC 3207 §4).
        tls_ready => READY, "2.0.0", "Ready to start TLS";
        /// 221 2.0.0: the answer to QUIT.
        closing(hostname: &str) => CLOSING, "2.0.0", "{hostname} closing connection";
        /// 235 2.7.0 (RFC 4954 §6).
        auth_ok => AUTH_OK, "2.7.0", "Authentication successful";
        /// 250 2.0.0: done, with no more specific status to give.
        ok(text) => OK, "2.0.0";
        /// 250 2.1.0: MAIL FROM accepted.
        sender_ok(address: &str) => OK, "2.1.0", "Sender <{address}> OK";
        /// 250 2.1.5: RCPT TO accepted.
        recipient_ok(address: &str) => OK, "2.1.5", "Recipient <{address}> OK";
        /// 250 2.0.0 after the message is committed; only then may it be sent.
        queued(id: i64) => OK, "2.0.0", "Ok: queued as {id}";
        /// 252 2.5.0: VRFY, answered as RFC 5321 §3.5.3 suggests for a server that will
        /// not say which users exist.
        cannot_vrfy => CANNOT_VRFY, "2.5.0",
            "Cannot VRFY user, but will accept message and attempt delivery";
        /// 451 4.3.0: the message could not be committed; the client should try again.
        local_error => LOCAL_ERROR, "4.3.0", "Local error: message not stored, please try again";
        /// 452 4.3.1: the message could not be committed for want of space (RFC 3463
        /// "mail system full"); the client should try again later.
        storage_full => INSUFFICIENT_STORAGE_TEMP, "4.3.1",
            "Insufficient system storage: message not stored, please try again later";
        /// 452 4.5.3: one RCPT more than `limit` (RFC 5321 §4.5.3.1.10).
        too_many_recipients(limit: usize) => INSUFFICIENT_STORAGE_TEMP, "4.5.3",
            "Too many recipients (limit is {limit})";
        /// 500 5.5.2: not a command we know.
        unrecognised => SYNTAX_ERROR, "5.5.2", "Command not recognised";
        /// 500 5.5.2: a command line longer than `limit` octets was discarded.
        line_too_long(limit: usize) => SYNTAX_ERROR, "5.5.2",
            "Line too long (limit is {limit} octets)";
        /// 500 5.5.6: an AUTH exchange line over the limit (RFC 4954 §4).
        auth_line_too_long => SYNTAX_ERROR, "5.5.6", "Authentication exchange line is too long";
        /// 501 5.5.2: a command line with bytes we will not take (invalid UTF-8, control
        /// characters), refused rather than echoed or altered.
        bad_bytes(text) => PARAM_SYNTAX, "5.5.2";
        /// 501 5.5.4: a command's arguments or parameters do not parse.
        param_syntax(text) => PARAM_SYNTAX, "5.5.4";
        /// 501 5.5.4: the same ESMTP parameter given twice.
        duplicate_param(key: &str) => PARAM_SYNTAX, "5.5.4", "Duplicate parameter {key}";
        /// 501 5.5.4: a known ESMTP parameter with a value it cannot take.
        bad_param_value(key: &str) => PARAM_SYNTAX, "5.5.4", "Bad {key} parameter value";
        /// 501 5.1.7: the MAIL FROM path does not parse.
        bad_sender(why: &str) => PARAM_SYNTAX, "5.1.7", "Bad sender address syntax: {why}";
        /// 501 5.1.3: the RCPT TO path does not parse.
        bad_recipient(why: &str) => PARAM_SYNTAX, "5.1.3", "Bad recipient address syntax: {why}";
        /// 501 5.5.2: an AUTH response that cannot be decoded or is not allowed.
        auth_syntax(text) => PARAM_SYNTAX, "5.5.2";
        /// 501 5.0.0: the client sent `*` (RFC 4954 §4).
        auth_cancelled => PARAM_SYNTAX, "5.0.0", "Authentication cancelled";
        /// 502 5.5.1: a command we know but do not do.
        not_implemented(text) => NOT_IMPLEMENTED, "5.5.1";
        /// 503 5.5.1: a command out of order.
        bad_sequence(text) => BAD_SEQUENCE, "5.5.1";
        /// 504 5.5.4: an argument (HELP topic, AUTH mechanism) we do not know.
        param_not_implemented(text) => PARAM_NOT_IMPLEMENTED, "5.5.4";
        /// 535 5.7.8 (RFC 4954 §6).
        auth_invalid => AUTH_INVALID, "5.7.8", "Authentication credentials invalid";
        /// 552 5.3.4: the message itself grew past `limit` bytes.
        too_big(limit: usize) => EXCEEDED_STORAGE, "5.3.4",
            "Message exceeds the size limit of {limit} bytes";
        /// 552 5.3.4: MAIL FROM declared a SIZE over `limit` (RFC 1870 §6.1).
        declared_too_big(limit: usize) => EXCEEDED_STORAGE, "5.3.4",
            "Message size exceeds fixed maximum message size ({limit} bytes)";
        /// 553 5.6.7: a non-ASCII address without SMTPUTF8 (RFC 6531 §3.5).
        needs_smtputf8 => MAILBOX_NAME_NOT_ALLOWED, "5.6.7",
            "Non-ASCII address requires the SMTPUTF8 parameter";
        /// 553 5.6.7: an address that is not valid UTF-8 (RFC 6531 §3.5); storing it
        /// lossily would make different addresses one.
        address_not_utf8 => MAILBOX_NAME_NOT_ALLOWED, "5.6.7",
            "Address is not valid UTF-8";
        /// 555 5.5.4: an ESMTP parameter we do not accept here.
        param_not_recognised(text) => PARAMS_NOT_RECOGNISED, "5.5.4";
        /// 555 5.5.4: a parameter we have never heard of.
        unsupported_param(key: &str) => PARAMS_NOT_RECOGNISED, "5.5.4", "Unsupported parameter {key}";
        /// 555 5.5.4: parameters on MAIL or RCPT after HELO (RFC 5321 §4.1.1.11).
        params_need_ehlo => PARAMS_NOT_RECOGNISED, "5.5.4", "ESMTP parameters need EHLO, not HELO";
    }

    /// 220 without enhanced code: the greeting (sent before EHLO could negotiate any).
    pub fn greeting(hostname: &str) -> Self {
        Reply::plain(code::READY, format!("{hostname} ESMTP Pigeonhole"))
    }

    /// 214 2.0.0: the answer to HELP, one line or several.
    pub fn help(lines: Vec<String>) -> Self {
        Reply::multi(code::HELP, Some("2.0.0"), lines)
    }

    /// 250 without enhanced code: the answer to HELO, which negotiates no extensions.
    pub fn hello(hostname: &str, client: &str) -> Self {
        Reply::plain(code::OK, format!("{hostname} Hello {client}"))
    }

    /// 250 without enhanced code: the answer to EHLO, its greeting line first, then one
    /// extension a line (RFC 5321 §4.1.1.1).
    pub fn extensions(lines: Vec<String>) -> Self {
        Reply::multi(code::OK, None, lines)
    }

    /// 334 without enhanced code: the next step of a SASL exchange (base64 or empty).
    pub fn auth_continue(challenge: impl Into<String>) -> Self {
        Reply::plain(code::AUTH_CONTINUE, challenge)
    }

    /// 354 without enhanced code: send the message.
    pub fn start_input() -> Self {
        Reply::plain(code::START_INPUT, "End data with <CR><LF>.<CR><LF>")
    }

    /// 421: the service is going away and the connection closes; `enhanced` says why.
    pub fn unavailable(enhanced: &'static str, text: impl Into<String>) -> Self {
        Reply::new(code::UNAVAILABLE, enhanced, text)
    }
}

/// Reply codes by their RFC 5321 meaning, so the state machine reads as prose.
pub mod code {
    pub const HELP: u16 = 214;
    pub const READY: u16 = 220;
    pub const CLOSING: u16 = 221;
    pub const AUTH_OK: u16 = 235;
    pub const OK: u16 = 250;
    pub const CANNOT_VRFY: u16 = 252;
    pub const AUTH_CONTINUE: u16 = 334;
    pub const START_INPUT: u16 = 354;
    pub const UNAVAILABLE: u16 = 421;
    pub const INSUFFICIENT_STORAGE_TEMP: u16 = 452;
    pub const LOCAL_ERROR: u16 = 451;
    pub const TLS_UNAVAILABLE: u16 = 454;
    pub const SYNTAX_ERROR: u16 = 500;
    pub const PARAM_SYNTAX: u16 = 501;
    pub const NOT_IMPLEMENTED: u16 = 502;
    pub const BAD_SEQUENCE: u16 = 503;
    pub const PARAM_NOT_IMPLEMENTED: u16 = 504;
    pub const AUTH_INVALID: u16 = 535;
    pub const EXCEEDED_STORAGE: u16 = 552;
    pub const MAILBOX_NAME_NOT_ALLOWED: u16 = 553;
    pub const PARAMS_NOT_RECOGNISED: u16 = 555;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_reply_uses_dash_until_the_last_line() {
        let r = Reply::multi(250, None, vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(
            r.to_wire(),
            "250-a\r\n250-b\r\n250 c\r\n",
            "continuation lines must use '-'"
        );
    }

    #[test]
    fn named_replies_are_exactly_what_the_session_always_sent() {
        #[rustfmt::skip]
        let cases = [
            (Reply::greeting("h"), "220 h ESMTP Pigeonhole\r\n"),
            (Reply::tls_ready(), "220 2.0.0 Ready to start TLS\r\n"),
            (Reply::closing("h"), "221 2.0.0 h closing connection\r\n"),
            (Reply::auth_ok(), "235 2.7.0 Authentication successful\r\n"),
            (Reply::ok("Reset OK"), "250 2.0.0 Reset OK\r\n"),
            (Reply::sender_ok("a@b"), "250 2.1.0 Sender <a@b> OK\r\n"),
            (Reply::recipient_ok("a@b"), "250 2.1.5 Recipient <a@b> OK\r\n"),
            (Reply::queued(7), "250 2.0.0 Ok: queued as 7\r\n"),
            (Reply::cannot_vrfy(), "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"),
            (Reply::help(vec!["a".into(), "b".into()]), "214-2.0.0 a\r\n214 2.0.0 b\r\n"),
            (Reply::hello("h", "c"), "250 h Hello c\r\n"),
            (Reply::extensions(vec!["h Hello c".into(), "HELP".into()]), "250-h Hello c\r\n250 HELP\r\n"),
            (Reply::auth_continue(""), "334 \r\n"),
            (Reply::start_input(), "354 End data with <CR><LF>.<CR><LF>\r\n"),
            (Reply::unavailable("4.3.2", "h bye"), "421 4.3.2 h bye\r\n"),
            (Reply::local_error(), "451 4.3.0 Local error: message not stored, please try again\r\n"),
            (Reply::too_many_recipients(3), "452 4.5.3 Too many recipients (limit is 3)\r\n"),
            (Reply::unrecognised(), "500 5.5.2 Command not recognised\r\n"),
            (Reply::line_too_long(512), "500 5.5.2 Line too long (limit is 512 octets)\r\n"),
            (Reply::auth_line_too_long(), "500 5.5.6 Authentication exchange line is too long\r\n"),
            (Reply::duplicate_param("SIZE"), "501 5.5.4 Duplicate parameter SIZE\r\n"),
            (Reply::bad_param_value("RET"), "501 5.5.4 Bad RET parameter value\r\n"),
            (Reply::bad_sender("x"), "501 5.1.7 Bad sender address syntax: x\r\n"),
            (Reply::bad_recipient("x"), "501 5.1.3 Bad recipient address syntax: x\r\n"),
            (Reply::auth_syntax("x"), "501 5.5.2 x\r\n"),
            (Reply::auth_cancelled(), "501 5.0.0 Authentication cancelled\r\n"),
            (Reply::not_implemented("x"), "502 5.5.1 x\r\n"),
            (Reply::bad_sequence("x"), "503 5.5.1 x\r\n"),
            (Reply::param_not_implemented("x"), "504 5.5.4 x\r\n"),
            (Reply::auth_invalid(), "535 5.7.8 Authentication credentials invalid\r\n"),
            (Reply::too_big(1000), "552 5.3.4 Message exceeds the size limit of 1000 bytes\r\n"),
            (Reply::declared_too_big(1000), "552 5.3.4 Message size exceeds fixed maximum message size (1000 bytes)\r\n"),
            (Reply::needs_smtputf8(), "553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter\r\n"),
            (Reply::param_not_recognised("x"), "555 5.5.4 x\r\n"),
            (Reply::unsupported_param("FOO"), "555 5.5.4 Unsupported parameter FOO\r\n"),
            (Reply::params_need_ehlo(), "555 5.5.4 ESMTP parameters need EHLO, not HELO\r\n"),
        ];
        for (reply, wire) in cases {
            assert_eq!(
                reply.to_wire(),
                wire,
                "a named reply must keep its exact bytes"
            );
        }
    }

    #[test]
    fn enhanced_code_leads_every_line() {
        let r = Reply::multi(214, Some("2.0.0"), vec!["x".into(), "y".into()]);
        assert_eq!(r.to_wire(), "214-2.0.0 x\r\n214 2.0.0 y\r\n");
    }
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn control_characters_in_reply_text_are_escaped_on_the_wire() {
        let r = Reply::plain(250, "host Hello t\u{0}x\u{1b}[0m");
        assert_eq!(
            r.to_wire(),
            "250 host Hello t\\x00x\\x1B[0m\r\n",
            "no control byte reaches the client"
        );
    }
}
