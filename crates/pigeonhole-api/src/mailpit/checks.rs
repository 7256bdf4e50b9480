//! Mailpit's HTML check (`/html-check`, against the caniemail data bundled in core) and
//! link check (`/link-check`), in Mailpit's response shapes, so `mailpit-api`'s
//! `htmlCheck(id)` and `linkCheck(id, follow)` work unchanged.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use pigeonhole_core::commands;
use pigeonhole_core::model::{HtmlCheck, LinkCheck, Support};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{resolve_in, LatestParams};
use crate::error::{ApiResult, ErrorBody, Params, Segments};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HtmlCheckResponse {
    pub warnings: Vec<HtmlCheckWarning>,
    /// Platform -> client families tested there.
    pub platforms: BTreeMap<String, Vec<String>>,
    pub total: HtmlCheckTotal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HtmlCheckWarning {
    pub slug: String,
    pub title: String,
    /// HTML (caniemail's Markdown converted, as Mailpit does).
    pub description: String,
    #[serde(rename = "URL")]
    pub url: String,
    pub category: String,
    pub tags: Vec<String>,
    pub keywords: String,
    pub results: Vec<HtmlCheckResult>,
    pub notes_by_number: BTreeMap<String, String>,
    pub score: HtmlCheckScore,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HtmlCheckResult {
    pub name: String,
    pub platform: String,
    pub family: String,
    pub version: String,
    /// yes, no or partial.
    pub support: String,
    pub note_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HtmlCheckScore {
    pub found: u32,
    pub supported: f32,
    pub partial: f32,
    pub unsupported: f32,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HtmlCheckTotal {
    pub tests: u32,
    pub nodes: u32,
    pub supported: f32,
    pub partial: f32,
    pub unsupported: f32,
}

impl From<HtmlCheck> for HtmlCheckResponse {
    fn from(c: HtmlCheck) -> Self {
        HtmlCheckResponse {
            warnings: c
                .features
                .into_iter()
                .map(|f| HtmlCheckWarning {
                    description: markdown(&f.description),
                    notes_by_number: f
                        .notes
                        .iter()
                        .map(|(k, v)| (k.clone(), markdown(v)))
                        .collect(),
                    results: f
                        .results
                        .into_iter()
                        .map(|r| HtmlCheckResult {
                            name: r.name,
                            platform: r.platform,
                            family: r.family,
                            version: r.version,
                            support: match r.support {
                                Support::Yes => "yes",
                                Support::Partial => "partial",
                                Support::No => "no",
                            }
                            .into(),
                            note_number: r.notes.first().cloned().unwrap_or_default(),
                        })
                        .collect(),
                    score: HtmlCheckScore {
                        found: f.found,
                        supported: f.score.supported,
                        partial: f.score.partial,
                        unsupported: f.score.unsupported,
                    },
                    slug: f.slug,
                    title: f.title,
                    url: f.url,
                    category: f.category,
                    tags: f.tags,
                    keywords: String::new(),
                })
                .collect(),
            platforms: c.platforms,
            total: HtmlCheckTotal {
                tests: c.total.tests,
                nodes: c.total.nodes,
                supported: c.total.supported,
                partial: c.total.partial,
                unsupported: c.total.unsupported,
            },
        }
    }
}

/// caniemail's Markdown as the HTML Mailpit serves: text escaped, `code` and
/// [text](url) links converted (the only markup its descriptions and notes use).
fn markdown(md: &str) -> String {
    let escaped = md
        .trim()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    let mut in_code = false;
    while let Some(tick) = rest.find('`') {
        out.push_str(&links(&rest[..tick], in_code));
        out.push_str(if in_code { "</code>" } else { "<code>" });
        in_code = !in_code;
        rest = &rest[tick + 1..];
    }
    out.push_str(&links(rest, in_code));
    if in_code {
        out.push_str("</code>");
    }
    out
}

fn links(s: &str, in_code: bool) -> String {
    if in_code {
        return s.to_string();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|k| open + k) else {
            break;
        };
        let Some(close) = rest[mid + 2..].find(')').map(|k| mid + 2 + k) else {
            break;
        };
        let url = &rest[mid + 2..close];
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            out.push_str(&rest[..close + 1]);
            rest = &rest[close + 1..];
            continue;
        }
        out.push_str(&rest[..open]);
        out.push_str(&format!(
            "<a href=\"{url}\" target=\"_blank\">{}</a>",
            &rest[open + 1..mid]
        ));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Which HTML and CSS features the message's HTML uses and which mail clients lack them,
/// from the caniemail data bundled at build time (nothing is fetched). 400 when the
/// message has no HTML body.
#[utoipa::path(get, path = "/api/v1/message/{ID}/html-check", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), LatestParams),
    responses((status = 200, body = HtmlCheckResponse), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn html_check(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    Params(latest): Params<LatestParams>,
) -> ApiResult<Json<HtmlCheckResponse>> {
    let id = resolve_in(&state, &id, &latest).await?;
    Ok(Json(commands::html_check(state.store(), id).await?.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub(super) struct LinkCheckParams {
    /// `true` or `1`: follow redirects (at most 3) and report the final status.
    follow: String,
    /// With the id `latest`: the newest message this query matches.
    query: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LinkCheckResponse {
    /// Links that answered 400 or more, or not at all.
    pub errors: u32,
    pub links: Vec<LinkCheckLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkCheckLink {
    #[serde(rename = "URL")]
    pub url: String,
    #[serde(rename = "StatusCode")]
    pub status_code: u16,
    #[serde(rename = "Status")]
    pub status: String,
}

impl From<LinkCheck> for LinkCheckResponse {
    fn from(c: LinkCheck) -> Self {
        LinkCheckResponse {
            errors: c.errors,
            links: c
                .links
                .into_iter()
                .map(|l| LinkCheckLink {
                    url: l.url,
                    status_code: l.status_code,
                    status: l.status,
                })
                .collect(),
        }
    }
}

/// Requests every http(s) link, image and style sheet in the message (HEAD, then GET when
/// HEAD is refused; at most 100, 8 at a time, 10 s each) and reports each status. Only
/// when asked: nothing in a message is requested otherwise. `file:` links are never
/// requested, nor link-local addresses.
#[utoipa::path(get, path = "/api/v1/message/{ID}/link-check", tag = "mailpit",
    params(("ID" = String, Path, description = "Message id, or latest"), LinkCheckParams),
    responses((status = 200, body = LinkCheckResponse), (status = 404, body = ErrorBody)))]
pub(super) async fn link_check(
    State(state): State<AppState>,
    Segments(id): Segments<String>,
    Params(p): Params<LinkCheckParams>,
) -> ApiResult<Json<LinkCheckResponse>> {
    let latest = LatestParams {
        query: p.query,
        tz: None,
    };
    let id = resolve_in(&state, &id, &latest).await?;
    let follow = p.follow == "true" || p.follow == "1";
    Ok(Json(
        commands::link_check(state.store(), id, follow)
            .await?
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_code_and_links_become_html_and_the_rest_is_escaped() {
        assert_eq!(
            markdown("Use `<td>` or [see](https://x.test/a) & <b>"),
            "Use <code>&lt;td&gt;</code> or <a href=\"https://x.test/a\" target=\"_blank\">see</a> &amp; &lt;b&gt;"
        );
        assert_eq!(markdown("[js](javascript:x)"), "[js](javascript:x)");
        assert_eq!(markdown("open `code"), "open <code>code</code>");
    }
}
