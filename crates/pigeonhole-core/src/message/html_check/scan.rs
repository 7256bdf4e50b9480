//! Reads an HTML body once and records which caniemail features it uses: elements,
//! attributes, `<style>` sheets and `style=` attributes (through `css`), image formats,
//! comments and the doctype. Also counts the document's elements (the score's weight) and
//! collects the http(s) resources it would load, for the link check.
//!
//! A tolerant tokenizer of our own: a browser's tree builder is not needed to know what is
//! used, only tags, attributes and raw-text content. Linear; every cut is at an ASCII byte.

use std::collections::HashMap;

use memchr::{memchr, memmem};

use super::css;
use super::data::data;

/// What a document uses.
#[derive(Debug, Default)]
pub struct Usage {
    /// slug -> how often, for slugs in the data (plus our `html-script`).
    pub found: HashMap<&'static str, u32>,
    /// Elements, without html, head and meta (as Mailpit counts them).
    pub nodes: u32,
    /// `<img src>`, `<link rel=stylesheet href>`, `background=` and the like that are
    /// http(s), in document order.
    pub resources: Vec<String>,
}

/// The slug for `<script>`, which caniemail does not list since no client runs it.
pub const SCRIPT: &str = "html-script";

impl Usage {
    /// Counts `slug`, which must be in the data: a typo is a bug the tests catch.
    pub fn hit(&mut self, slug: &str) {
        let known = self.hit_if_known(slug);
        debug_assert!(known, "{slug} is not a caniemail feature");
    }

    /// Counts `slug` if the data has it; says whether it did.
    pub fn hit_if_known(&mut self, slug: &str) -> bool {
        let key = if slug == SCRIPT {
            SCRIPT
        } else {
            match data().feature(slug) {
                Some(f) => f.slug.as_str(),
                None => return false,
            }
        };
        *self.found.entry(key).or_insert(0) += 1;
        true
    }
}

/// Elements caniemail tests under a slug.
pub(super) const ELEMENTS: &[(&str, &str)] = &[
    ("abbr", "html-abbr"),
    ("acronym", "html-acronym"),
    ("address", "html-address"),
    ("audio", "html-audio"),
    ("base", "html-base"),
    ("bdi", "html-bdi"),
    ("blockquote", "html-blockquote"),
    ("body", "html-body"),
    ("code", "html-code"),
    ("del", "html-del"),
    ("dfn", "html-dfn"),
    ("dialog", "html-dialog"),
    ("div", "html-div"),
    ("form", "html-form"),
    ("hr", "html-hr"),
    ("img", "html-img"),
    ("link", "html-link"),
    ("marquee", "html-marquee"),
    ("meter", "html-meter"),
    ("object", "html-object"),
    ("embed", "html-object"),
    ("p", "html-p"),
    ("picture", "html-picture"),
    ("pre", "html-pre"),
    ("progress", "html-progress"),
    ("rp", "html-rp"),
    ("rt", "html-rt"),
    ("ruby", "html-ruby"),
    ("select", "html-select"),
    ("small", "html-small"),
    ("span", "html-span"),
    ("strike", "html-strike"),
    ("strong", "html-strong"),
    ("style", "html-style"),
    ("svg", "html-svg"),
    ("table", "html-table"),
    ("textarea", "html-textarea"),
    ("video", "html-video"),
    ("wbr", "html-wbr"),
    ("h1", "html-h1-h6"),
    ("h2", "html-h1-h6"),
    ("h3", "html-h1-h6"),
    ("h4", "html-h1-h6"),
    ("h5", "html-h1-h6"),
    ("h6", "html-h1-h6"),
    ("ul", "html-lists"),
    ("ol", "html-lists"),
    ("dl", "html-lists"),
    ("map", "html-image-maps"),
    ("article", "html-semantics"),
    ("aside", "html-semantics"),
    ("details", "html-semantics"),
    ("figcaption", "html-semantics"),
    ("figure", "html-semantics"),
    ("footer", "html-semantics"),
    ("header", "html-semantics"),
    ("main", "html-semantics"),
    ("mark", "html-semantics"),
    ("nav", "html-semantics"),
    ("section", "html-semantics"),
    ("summary", "html-semantics"),
    ("time", "html-semantics"),
];

/// Attributes caniemail tests, on any element.
pub(super) const ATTRIBUTES: &[(&str, &str)] = &[
    ("align", "html-align"),
    ("background", "html-background"),
    ("cellpadding", "html-cellpadding"),
    ("cellspacing", "html-cellspacing"),
    ("dir", "html-dir"),
    ("height", "html-height"),
    ("width", "html-width"),
    ("hidden", "html-hidden"),
    ("lang", "html-lang"),
    ("required", "html-required"),
    ("role", "html-role"),
    ("srcset", "html-srcset"),
    ("sizes", "html-srcset"),
    ("target", "html-target"),
    ("valign", "html-valign"),
    ("loading", "html-loading-attribute"),
    ("aria-describedby", "html-aria-describedby"),
    ("aria-hidden", "html-aria-hidden"),
    ("aria-label", "html-aria-label"),
    ("aria-labelledby", "html-aria-labelledby"),
    ("aria-live", "html-aria-live"),
    ("popover", "html-popover"),
    ("inert", "css-inert-attribute"),
    ("usemap", "html-image-maps"),
];

/// Image formats by `<img src>` extension.
pub(super) const IMAGE_EXTENSIONS: &[(&str, &str)] = &[
    ("apng", "image-apng"),
    ("avif", "image-avif"),
    ("bmp", "image-bmp"),
    ("gif", "image-gif"),
    ("hdr", "image-hdr"),
    ("heif", "image-heif"),
    ("heic", "image-heif"),
    ("ico", "image-ico"),
    ("jpg", "image-jpg"),
    ("jpeg", "image-jpg"),
    ("mp4", "image-mp4"),
    ("png", "image-png"),
    ("svg", "image-svg"),
    ("tif", "image-tiff"),
    ("tiff", "image-tiff"),
    ("webp", "image-webp"),
];

/// The features an HTML body uses.
pub fn scan(html: &str) -> Usage {
    let b = html.as_bytes();
    let mut usage = Usage::default();
    let mut i = 0;
    while let Some(k) = memchr(b'<', &b[i..]) {
        let lt = i + k;
        let after = |from: usize, what: &[u8]| {
            memmem::find(&b[from.min(b.len())..], what).map_or(b.len(), |k| from + k + what.len())
        };
        match b.get(lt + 1) {
            Some(b'!') if b[lt..].starts_with(b"<!--") => {
                usage.hit("html-comments");
                i = after(lt + 4, b"-->");
            }
            Some(b'!') => {
                let gt = memchr(b'>', &b[lt + 2..]).map_or(b.len(), |k| lt + 2 + k);
                let end = (gt + 1).min(b.len());
                let decl = html[lt + 2..gt].trim();
                // The HTML5 doctype is `<!DOCTYPE html>`, without a public identifier.
                if starts_ignore_case(decl, "doctype")
                    && decl[7..].trim().eq_ignore_ascii_case("html")
                {
                    usage.hit("html-doctype");
                }
                i = end;
            }
            Some(b'?') => i = after(lt + 2, b">"),
            Some(b'/') => i = after(lt + 2, b">"),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = tag_name_end(b, lt + 1);
                let name = html[lt + 1..name_end].to_ascii_lowercase();
                let (attrs, end) = attributes(html, name_end);
                i = element(html, &name, &attrs, end, &mut usage);
            }
            _ => i = lt + 1,
        }
        if i <= lt {
            i = lt + 1;
        }
    }
    usage
}

/// One start tag; returns where scanning goes on (past raw text for style and script).
fn element(
    html: &str,
    name: &str,
    attrs: &[(String, String)],
    end: usize,
    usage: &mut Usage,
) -> usize {
    let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if !matches!(name, "html" | "head" | "meta") {
        usage.nodes += 1;
    }
    if let Some((_, slug)) = ELEMENTS.iter().find(|(e, _)| *e == name) {
        usage.hit(slug);
    }
    for (k, v) in attrs {
        if let Some((_, slug)) = ATTRIBUTES.iter().find(|(a, _)| a == k) {
            usage.hit(slug);
        }
        if k == "style" {
            css::inline(v, usage);
        }
        if k == "background" && is_http(v) {
            usage.resources.push(v.trim().to_string());
        }
    }
    match name {
        "html" if attr("amp4email").is_some() || attr("\u{26a1}4email").is_some() => {
            usage.hit("amp");
        }
        "a" => {
            let href = attr("href").unwrap_or("").trim();
            if href.starts_with('#') {
                usage.hit("html-anchor-links");
            } else if starts_ignore_case(href, "mailto:") {
                usage.hit("html-mailto-links");
            }
        }
        "img" => {
            if let Some(src) = attr("src") {
                image(src, usage);
                if is_http(src) {
                    usage.resources.push(src.trim().to_string());
                }
            }
        }
        "link" => {
            let rel = attr("rel").unwrap_or("").to_ascii_lowercase();
            if let Some(href) = attr("href").filter(|h| is_http(h)) {
                if rel.split_whitespace().any(|r| r == "stylesheet") {
                    usage.resources.push(href.trim().to_string());
                }
            }
        }
        "meta" => {
            let n = attr("name").unwrap_or("").to_ascii_lowercase();
            if n == "color-scheme" || n == "supported-color-schemes" {
                usage.hit("html-meta-color-scheme");
            }
        }
        "input" => {
            let kind = attr("type").unwrap_or("text").trim().to_ascii_lowercase();
            let slug = match kind.as_str() {
                "text" => Some("html-input-text"),
                "checkbox" => Some("html-input-checkbox"),
                "hidden" => Some("html-input-hidden"),
                "radio" => Some("html-input-radio"),
                "submit" => Some("html-input-submit"),
                "reset" => Some("html-input-reset"),
                _ => None,
            };
            if let Some(slug) = slug {
                usage.hit(slug);
            }
        }
        "button" => {
            // A button's default type is submit.
            match attr("type")
                .unwrap_or("submit")
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "submit" => usage.hit("html-button-submit"),
                "reset" => usage.hit("html-button-reset"),
                _ => {}
            }
        }
        "style" => {
            let close = raw_text_end(html, end, "style");
            css::sheet(&html[end..close.0], usage);
            return close.1;
        }
        "script" => {
            let kind = attr("type").unwrap_or("").trim().to_ascii_lowercase();
            if kind != "application/ld+json" && kind != "application/json" {
                usage.hit(SCRIPT);
            }
            return raw_text_end(html, end, "script").1;
        }
        "textarea" | "title" | "xmp" | "noembed" | "noframes" | "template" => {
            return raw_text_end(html, end, name).1;
        }
        _ => {}
    }
    end
}

fn image(src: &str, usage: &mut Usage) {
    let src = src.trim();
    if src.len() > 11 && starts_ignore_case(src, "data:image/") {
        usage.hit("image-base64");
        let kind = src[11..]
            .split([';', ',', '+'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if let Some((_, slug)) = IMAGE_EXTENSIONS.iter().find(|(e, _)| *e == kind) {
            usage.hit(slug);
        }
        return;
    }
    let path = src.split(['?', '#']).next().unwrap_or("");
    if let Some(dot) = path.rfind('.') {
        let ext = path[dot + 1..].to_ascii_lowercase();
        if let Some((_, slug)) = IMAGE_EXTENSIONS.iter().find(|(e, _)| *e == ext) {
            usage.hit(slug);
        }
    }
}

/// `s` starts with the ASCII `prefix`, in any case. Compared as bytes: slicing `s` at
/// `prefix.len()` panics when a multi-byte character straddles that point (the fuzz target
/// `ingest` found `<!DOCTY\u{FFFD}...`); after a match, `prefix.len()` is a boundary.
fn starts_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn is_http(url: &str) -> bool {
    let u = url.trim().as_bytes();
    (u.len() > 7 && u[..7].eq_ignore_ascii_case(b"http://"))
        || (u.len() > 8 && u[..8].eq_ignore_ascii_case(b"https://"))
}

fn tag_name_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_')))
        .map_or(b.len(), |k| from + k)
}

/// A start tag's attributes (names lowercased, values with entities decoded as far as
/// `&amp;`, `&quot;` and friends) and where the tag ends.
fn attributes(html: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let n = b.len();
    let mut attrs: Vec<(String, String)> = Vec::new();
    loop {
        while i < n && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= n {
            return (attrs, n);
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < n && !(b[i].is_ascii_whitespace() || matches!(b[i], b'=' | b'>' | b'/')) {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let name = html[start..i].to_ascii_lowercase();
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if i < n && b[i] == b'=' {
            i += 1;
            while i < n && b[i].is_ascii_whitespace() {
                i += 1;
            }
            value = if i < n && (b[i] == b'"' || b[i] == b'\'') {
                let from = i + 1;
                match memchr(b[i], &b[from..]) {
                    Some(k) => {
                        i = from + k + 1;
                        &html[from..from + k]
                    }
                    None => {
                        i = n;
                        &html[from..]
                    }
                }
            } else {
                let from = i;
                while i < n && !(b[i].is_ascii_whitespace() || b[i] == b'>') {
                    i += 1;
                }
                &html[from..i]
            };
        }
        // The first of a repeated attribute wins, as in a browser.
        if !attrs.iter().any(|(k, _)| *k == name) && attrs.len() < 64 {
            attrs.push((name, decode_basic(value)));
        }
    }
}

/// The entities that matter inside style and URL values.
fn decode_basic(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    v.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// For a raw-text element whose content starts at `from`: where the content ends and
/// where scanning goes on (past the end tag).
fn raw_text_end(html: &str, from: usize, name: &str) -> (usize, usize) {
    let b = html.as_bytes();
    let mut j = from.min(b.len());
    while let Some(k) = memchr(b'<', &b[j..]) {
        let lt = j + k;
        let name_at = lt + 2;
        let closes = b.get(lt + 1) == Some(&b'/')
            && b.len() >= name_at + name.len()
            && b[name_at..name_at + name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !b
                .get(name_at + name.len())
                .is_some_and(u8::is_ascii_alphanumeric);
        if closes {
            let past = memchr(b'>', &b[name_at..]).map_or(b.len(), |k| name_at + k + 1);
            return (lt, past);
        }
        j = lt + 1;
    }
    (b.len(), b.len())
}
