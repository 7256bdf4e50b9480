//! The SMTP envelope: what MAIL FROM and RCPT TO said, apart from the message's headers.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Recipient {
    pub address: String,
    /// ESMTP parameters as given (NOTIFY, ORCPT), upper-cased keys.
    pub params: Vec<(String, String)>,
}

/// The SMTP envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Envelope {
    /// "" for the null sender `<>`.
    pub mail_from: String,
    pub mail_params: Vec<(String, String)>,
    pub rcpt_to: Vec<Recipient>,
}

/// A stored message's envelope and links, beyond the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    pub envelope: Envelope,
    /// Transcript lines `[first, end)` of the session that carried this message.
    pub transcript_range: (usize, usize),
    /// The SMTP AUTH user of the session, if it authenticated.
    pub auth_user: Option<String>,
}
