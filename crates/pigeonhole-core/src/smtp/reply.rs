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
            out.push_str(line);
            out.push_str("\r\n");
        }
        out
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
    fn enhanced_code_leads_every_line() {
        let r = Reply::multi(214, Some("2.0.0"), vec!["x".into(), "y".into()]);
        assert_eq!(r.to_wire(), "214-2.0.0 x\r\n214 2.0.0 y\r\n");
    }
}
