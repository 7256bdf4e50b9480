//! The HTML compatibility report (`message::html_check`, against the caniemail data) and the
//! on-request link check (`message::link_check`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How one mail client version handles a feature, as caniemail tested it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    Yes,
    /// Works with caveats; the numbered notes say which.
    Partial,
    No,
}

/// One client version's result for one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct ClientSupport {
    /// "Outlook Windows (2019)": family, platform and version, for a person.
    pub name: String,
    /// caniemail's family key ("outlook", "gmail").
    pub family: String,
    /// caniemail's platform key ("windows", "ios", "desktop-webmail").
    pub platform: String,
    /// The version or test date ("2019", "2023-05").
    pub version: String,
    pub support: Support,
    /// Keys into the feature's `notes` that qualify this result ("1", "2").
    pub notes: Vec<String>,
    /// The newest tested version of this family on this platform: what the client counts
    /// (`unsupported_clients`, `partial_clients`) are taken from, since old versions of a
    /// webmail are history, not clients anyone runs.
    pub latest: bool,
}

/// Percentages of tested client versions, each 0-100, adding up to 100.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct SupportScore {
    pub supported: f32,
    pub partial: f32,
    pub unsupported: f32,
}

/// One caniemail feature the message uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct HtmlFeature {
    /// caniemail's id ("css-display-flex", "html-svg"); `html-script` is our own, for the
    /// `<script>` no client runs.
    pub slug: String,
    /// "display:flex", "<svg> element".
    pub title: String,
    /// caniemail's description (Markdown: `code` and [links](...)); may be "".
    pub description: String,
    /// The feature's caniemail.com page.
    pub url: String,
    /// "html", "css", "image" or "others".
    pub category: String,
    pub tags: Vec<String>,
    /// How often the message uses it (elements, attributes, declarations, rules).
    pub found: u32,
    pub score: SupportScore,
    /// Client families on their newest tested version without support.
    pub unsupported_clients: u32,
    /// Client families on their newest tested version with partial support.
    pub partial_clients: u32,
    /// Every tested client version, worst first.
    pub results: Vec<ClientSupport>,
    /// Numbered notes ("1" -> "Partial. Not supported with ...") the results refer to.
    pub notes: BTreeMap<String, String>,
}

/// The whole message's score, computed as Mailpit does so the numbers compare: for each
/// of partial and unsupported, the worst feature's percentage weighted by how much of the
/// document uses it (`found / nodes`, at most 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct HtmlCheckTotal {
    /// Feature tests run.
    pub tests: u32,
    /// Elements in the document (without html, head and meta).
    pub nodes: u32,
    pub supported: f32,
    pub partial: f32,
    pub unsupported: f32,
}

/// The compatibility report for a message's HTML body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct HtmlCheck {
    /// Features used, those that fewest clients support first.
    pub features: Vec<HtmlFeature>,
    pub total: HtmlCheckTotal,
    /// Platform name -> the client families tested on it, sorted.
    pub platforms: BTreeMap<String, Vec<String>>,
    /// Which caniemail data this is ("caniemail 2.0.2 ..., 2026-05-13"): the data is
    /// bundled, so a report is as current as the build.
    pub data_version: String,
}

/// What is wrong, or worth a look, about a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkFlag {
    /// The visible text shows one URL or domain and the link goes to another host, the
    /// shape of phishing (and of click tracking).
    Mismatch,
    /// `http:`, sent in clear.
    Insecure,
    /// `file:`, a file on the reader's own machine.
    File,
    /// `javascript:` or `vbscript:`, which mail clients do not run.
    Script,
    /// `data:`, inline content that clients refuse to open.
    Data,
}

/// One link's answer in a link check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct LinkStatus {
    pub url: String,
    /// The HTTP status, or 0 when no answer came (refused, unreachable, timed out, invalid).
    pub status_code: u16,
    /// The status's reason ("OK", "Not Found") or why there was none.
    pub status: String,
}

/// The result of requesting every http(s) link and image of a message once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct LinkCheck {
    /// Links with status 0 or at least 400.
    pub errors: u32,
    /// In the order the message has them.
    pub links: Vec<LinkStatus>,
}
