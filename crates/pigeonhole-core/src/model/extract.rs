//! Links and one-time codes found in a message's bodies (`message::extract`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::LinkFlag;

/// Which body a link or code was seen in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkSource {
    /// The HTML body: an `<a>`/`<area>` href, or a bare URL in its visible text.
    Html,
    /// The plain-text body.
    Text,
}

/// One distinct URL of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Link {
    /// As written, with HTML entities decoded; the identity links are deduplicated by.
    pub url: String,
    /// The first non-empty anchor text (tags stripped, whitespace collapsed), so a person
    /// can tell "Confirm email" from "Unsubscribe"; "" for bare URLs.
    pub text: String,
    /// Every body it appears in, in the order first seen: a link only in the HTML shows
    /// that a text-only client would miss it.
    pub sources: Vec<LinkSource>,
    /// Why the link deserves a second look (phishing-style text, `http:`, `file:`,
    /// `javascript:`, `data:`); empty for an ordinary https link.
    #[serde(default)]
    pub flags: Vec<LinkFlag>,
    /// With the flag `mismatch`: the host the visible text shows.
    #[serde(default)]
    pub shown_host: Option<String>,
}

/// A one-time code (verification code, PIN, OTP) that a test or a person would type in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct Code {
    /// As written, grouping kept: "482913", "123 456", "A7K-92Q".
    pub code: String,
    /// The sentence or line it came from (with the keyword's, when that came before it),
    /// whitespace collapsed, at most about 200 characters: why it was taken for a code.
    pub context: String,
    /// The body it was first found in.
    pub source: LinkSource,
}
