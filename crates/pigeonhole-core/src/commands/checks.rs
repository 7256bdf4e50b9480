//! Judging a message's HTML: the caniemail compatibility report, the links for review, and
//! the link check, which requests each target only when a person or a test asks for it.

use super::messages::from_bodies;
use super::{CommandError, Result};
use crate::message::{extract, html_check, link_check};
use crate::model::{HtmlCheck, Link, LinkCheck, MessageId};
use crate::store::Store;

/// The HTML compatibility report; a message without an HTML body is a bad request (Mailpit
/// answers 400 too).
pub async fn html_check(store: &Store, id: MessageId) -> Result<HtmlCheck> {
    from_bodies(store, id, |_, html| html.map(html_check::check))
        .await?
        .ok_or_else(|| CommandError::Invalid(format!("message {id} has no HTML body to check")))
}

/// Every link for a person to review, flagged, with `javascript:` and `data:` anchors that
/// `links` leaves out.
pub async fn all_links(store: &Store, id: MessageId) -> Result<Vec<Link>> {
    from_bodies(store, id, extract::all_links).await
}

/// Requests every http(s) link, image and style sheet of the message once (HEAD, then
/// GET), at most `link_check::MAX_LINKS`; with `follow`, through redirects.
pub async fn link_check(store: &Store, id: MessageId, follow: bool) -> Result<LinkCheck> {
    let urls = from_bodies(store, id, |text, html| {
        let mut urls: Vec<String> = extract::links(text, html)
            .into_iter()
            .map(|l| l.url)
            .filter(|u| is_web(u))
            .collect();
        if let Some(html) = html {
            urls.extend(html_check::resources(html));
        }
        urls
    })
    .await?;
    Ok(link_check::check(urls, follow).await)
}

/// Only http(s) targets are requested; bare "www." URLs from text have no scheme to trust.
fn is_web(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    u.starts_with("http://") || u.starts_with("https://")
}
