//! Releasing a captured message to a real SMTP server: where to, what to send, and what the
//! server answered, as recorded with the message.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::time::ms_rfc3339;
use super::MessageId;

/// How the connection to the release server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseTls {
    /// Plain SMTP, e.g. a relay on the same machine or a test server.
    None,
    /// STARTTLS after the greeting (usually port 587); a server that does not offer it is
    /// refused rather than talked to in the clear.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl ReleaseTls {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseTls::None => "none",
            ReleaseTls::Starttls => "starttls",
            ReleaseTls::Tls => "tls",
        }
    }
}

impl std::str::FromStr for ReleaseTls {
    type Err = String;

    fn from_str(s: &str) -> Result<ReleaseTls, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(ReleaseTls::None),
            "starttls" => Ok(ReleaseTls::Starttls),
            "tls" | "smtps" | "implicit" => Ok(ReleaseTls::Tls),
            other => Err(format!(
                "\"{other}\" is not a TLS mode; use none, starttls or tls"
            )),
        }
    }
}

/// The server a release goes to: the config's `release` section, or one a call names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReleaseServer {
    pub host: String,
    pub port: u16,
    pub tls: ReleaseTls,
    /// AUTH user; empty means no AUTH.
    pub user: String,
    pub password: String,
    /// Accept a certificate that does not verify (a self-signed test server).
    pub accept_invalid_certs: bool,
}

impl ReleaseServer {
    /// `host:port`, with an IPv6 host in brackets.
    pub fn addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// What a front end asks to release. Every part left empty means "as it was captured, to
/// the configured server".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ReleaseRequest {
    /// Recipients; empty: the message's envelope recipients.
    pub to: Vec<String>,
    /// The MAIL FROM to use; `None`: the envelope's (`Some("")` is the null sender).
    #[ts(optional)]
    pub from: Option<String>,
    /// The server; `None`: the config's `release` section. The allowlist always comes
    /// from the config, whichever server is named.
    #[ts(optional)]
    pub server: Option<ReleaseServer>,
}

/// The step of the SMTP conversation a release ended at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseStage {
    /// Connecting, the greeting or EHLO.
    Connect,
    /// STARTTLS or the TLS handshake.
    Tls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The message itself, after `354`: the reply is the server's verdict on it.
    Message,
}

impl ReleaseStage {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStage::Connect => "connect",
            ReleaseStage::Tls => "tls",
            ReleaseStage::Auth => "auth",
            ReleaseStage::Mail => "mail",
            ReleaseStage::Rcpt => "rcpt",
            ReleaseStage::Data => "data",
            ReleaseStage::Message => "message",
        }
    }

    pub fn parse(s: &str) -> Option<ReleaseStage> {
        [
            ReleaseStage::Connect,
            ReleaseStage::Tls,
            ReleaseStage::Auth,
            ReleaseStage::Mail,
            ReleaseStage::Rcpt,
            ReleaseStage::Data,
            ReleaseStage::Message,
        ]
        .into_iter()
        .find(|stage| stage.as_str() == s)
    }

    /// The command the reply answered, as a person reads it.
    pub fn describe(self) -> &'static str {
        match self {
            ReleaseStage::Connect => "on connecting",
            ReleaseStage::Tls => "at STARTTLS / TLS",
            ReleaseStage::Auth => "at AUTH",
            ReleaseStage::Mail => "at MAIL FROM",
            ReleaseStage::Rcpt => "at RCPT TO",
            ReleaseStage::Data => "at DATA",
            ReleaseStage::Message => "after the message",
        }
    }
}

/// One release attempt, as recorded with the message: where it went, and the reply the
/// server ended it with, exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Release {
    pub id: i64,
    pub message_id: MessageId,
    #[serde(with = "ms_rfc3339")]
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// `host:port` of the server.
    pub server: String,
    pub tls: ReleaseTls,
    /// The MAIL FROM used; "" for the null sender.
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The server took the message (2xx after the data).
    pub ok: bool,
    /// Where the conversation ended: `message` on success.
    pub stage: ReleaseStage,
    /// For a refused RCPT: the recipient it refused.
    pub recipient: Option<String>,
    /// The reply code; `None` when no reply came (no connection, a TLS failure).
    pub code: Option<u16>,
    /// The RFC 3463 code the reply began with, e.g. "5.1.1".
    pub enhanced_code: Option<String>,
    /// The reply text as sent (lines joined by "\n", without the codes), or what went
    /// wrong when there was no reply.
    pub text: String,
}

impl Release {
    /// `550 5.1.1 text`: the reply as the server sent it; only the text without a reply.
    pub fn reply(&self) -> String {
        let mut out = String::new();
        if let Some(code) = self.code {
            out.push_str(&code.to_string());
            out.push(' ');
        }
        if let Some(e) = &self.enhanced_code {
            out.push_str(e);
            out.push(' ');
        }
        out.push_str(&self.text);
        out
    }

    /// What happened, in one sentence: "smtp.example.com:587 refused at RCPT TO:<a@b>:
    /// 550 5.1.1 no such user"; without a reply, the reason alone (it names the server).
    pub fn summary(&self) -> String {
        if self.ok {
            return format!("accepted by {}: {}", self.server, self.reply());
        }
        if self.code.is_none() {
            return self.text.clone();
        }
        let at = match (&self.recipient, self.stage) {
            (Some(r), ReleaseStage::Rcpt) => format!("at RCPT TO:<{r}>"),
            (_, stage) => stage.describe().to_string(),
        };
        format!("{} refused {at}: {}", self.server, self.reply())
    }
}
