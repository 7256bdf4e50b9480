//! Links and one-time codes in a message's text and HTML bodies, for "open the confirm link"
//! and "type the code" in tests and in the window.
//!
//! Pure and hand-written, no regex: every scan moves forward through the input once (each
//! look-ahead is bounded or skips what it read), so a hostile 10 MB body costs a few passes,
//! and every slice is cut at an ASCII byte or a char boundary, so no input panics.
//!
//! HTML is read with a small tokenizer that knows only what it needs: `<a>`/`<area>` hrefs and
//! their text, `<img alt>` for image links, which elements break lines, and which hide their
//! content (`<head>`, `<style>`, `<script>`, `<template>`, `<title>`). Attributes and CSS are
//! never searched for codes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use mail_parser::{Message, PartType};
use memchr::{memchr, memmem};

use crate::model::{Code, Link, LinkFlag, LinkSource};

/// Most links returned: a message with more is a link farm, not a mail to act on.
pub const MAX_LINKS: usize = 1000;
/// Most codes returned.
pub const MAX_CODES: usize = 100;
/// Longest anchor text and code context, in characters.
const MAX_TEXT_CHARS: usize = 200;
/// Words a keyword may come before a code ("your code is 482913").
const KEYWORD_BEFORE: u32 = 8;
/// Words a keyword may come after a code ("482913 is your code").
const KEYWORD_AFTER: u32 = 3;
/// Within one sentence a keyword counts this far off, either side.
const SENTENCE_WORDS: u32 = 40;
/// A year-like code ("2026") needs its keyword this close before it.
const YEAR_KEYWORD_BEFORE: u32 = 3;
/// How far around a code its context is looked for, in bytes.
const CONTEXT_REACH: usize = 600;

/// The message's own first text/plain and text/html bodies. mail-parser's `body_text` and
/// `body_html` convert one into the other when a part is missing, which would report an
/// HTML-only message's links twice and under the wrong source.
pub fn bodies<'a>(msg: &'a Message<'a>) -> (Option<&'a str>, Option<&'a str>) {
    let text = msg.text_part(0).and_then(|p| match &p.body {
        PartType::Text(t) => Some(t.as_ref()),
        _ => None,
    });
    let html = msg.html_part(0).and_then(|p| match &p.body {
        PartType::Html(h) => Some(h.as_ref()),
        _ => None,
    });
    (text, html)
}

/// Every distinct link, HTML first (in document order: anchors and bare URLs in its text),
/// then bare URLs of the text body, each flagged ([`flag`]). At most [`MAX_LINKS`].
/// `javascript:`, `vbscript:` and `data:` hrefs are no links to follow and are left out;
/// [`all_links`] keeps them, flagged.
pub fn links(text: Option<&str>, html: Option<&str>) -> Vec<Link> {
    collect(text, html, false)
}

/// [`links`], with the anchors whose target is script or inline data as well: what a
/// person reviewing a message's links should see.
pub fn all_links(text: Option<&str>, html: Option<&str>) -> Vec<Link> {
    collect(text, html, true)
}

fn collect(text: Option<&str>, html: Option<&str>, keep_refused: bool) -> Vec<Link> {
    let mut set = LinkSet::default();
    if let Some(html) = html {
        let page = scan_html(html, Collect::Links);
        let mut bare = UrlSpans::new(&page.outside).peekable();
        for anchor in &page.anchors {
            while let Some(r) = bare.next_if(|r| r.start < anchor.at) {
                set.add(&page.outside[r], "", LinkSource::Html);
            }
            if anchor.refused && !keep_refused {
                continue;
            }
            set.add(&anchor.href, &anchor.text, LinkSource::Html);
        }
        for r in bare {
            set.add(&page.outside[r], "", LinkSource::Html);
        }
    }
    if let Some(text) = text {
        for r in UrlSpans::new(text) {
            set.add(&text[r], "", LinkSource::Text);
        }
    }
    let mut links = set.links;
    for link in &mut links {
        flag(link);
    }
    links
}

/// Sets `link.flags` (and `shown_host`) from its target and visible text.
pub fn flag(link: &mut Link) {
    let mut flags = Vec::new();
    let scheme = link
        .url
        .find(':')
        .map(|c| link.url[..c].to_ascii_lowercase())
        .filter(|s| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        });
    match scheme.as_deref() {
        Some("http") => flags.push(LinkFlag::Insecure),
        Some("file") => flags.push(LinkFlag::File),
        Some("javascript" | "vbscript") => flags.push(LinkFlag::Script),
        Some("data") => flags.push(LinkFlag::Data),
        _ => {}
    }
    link.shown_host = None;
    if let Some(shown) = shown_host(&link.text) {
        let target = target_host(&link.url);
        let same = target.as_deref().is_some_and(|t| {
            let t = t.strip_prefix("www.").unwrap_or(t);
            t == shown || t.ends_with(&format!(".{shown}"))
        });
        if !same {
            flags.insert(0, LinkFlag::Mismatch);
            link.shown_host = Some(shown);
        }
    }
    link.flags = flags;
}

/// Common top-level domains: a bare "name.tld" text with one of these (or any two-letter
/// country code) reads as a domain; "report.pdf" does not.
const TEXT_TLDS: &[&str] = &[
    "com", "net", "org", "io", "dev", "app", "info", "biz", "gov", "edu", "mil", "me", "ai", "xyz",
    "shop", "online", "site", "tech", "email", "cloud", "store", "bank", "money",
];

/// The host that a link's visible text shows, lowercased without "www.": from a URL
/// ("https://bank.example/login"), a "www." name, or a text that is just a domain.
fn shown_host(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for word in &words {
        let w = word.trim_matches(|c: char| {
            matches!(
                c,
                '(' | ')' | '<' | '>' | '"' | '\'' | ',' | ';' | '!' | '?'
            )
        });
        let w = w.trim_end_matches('.');
        let lower = w.to_ascii_lowercase();
        let (rest, explicit) = if let Some(r) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
        {
            (r, true)
        } else {
            (lower.as_str(), lower.starts_with("www."))
        };
        if rest.contains('@') && !explicit {
            continue;
        }
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("");
        let host = host.split(':').next().unwrap_or("").trim_end_matches('.');
        let labels: Vec<&str> = host.split('.').collect();
        let valid = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
            });
        if !valid {
            continue;
        }
        let tld = labels[labels.len() - 1];
        let tld_ok = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic() || b >= 0x80);
        let reads_as_domain = explicit
            || (words.len() == 1 && tld_ok && (tld.len() == 2 || TEXT_TLDS.contains(&tld)));
        if tld_ok && reads_as_domain {
            return Some(host.strip_prefix("www.").unwrap_or(host).to_string());
        }
    }
    None
}

/// The host a link goes to, lowercased; None for targets without one (mailto:, file:///).
fn target_host(url: &str) -> Option<String> {
    if let Ok(u) = url::Url::parse(url) {
        return u
            .host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase());
    }
    // A bare "www.example.com/path" from text.
    let lower = url.to_ascii_lowercase();
    lower.starts_with("www.").then(|| {
        lower
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or("")
            .to_string()
    })
}

/// One-time codes near a keyword ("code", "PIN", "verification", "验证码", ...), the text body
/// first (its sentences make the plainer context), then the HTML's visible text. Deduplicated
/// by code, in order of appearance, at most [`MAX_CODES`].
pub fn codes(text: Option<&str>, html: Option<&str>) -> Vec<Code> {
    let mut set = CodeSet::default();
    if let Some(text) = text {
        CodeScan::new(text, LinkSource::Text, &mut set).run();
    }
    if let Some(html) = html {
        if !set.full() {
            let page = scan_html(html, Collect::Text);
            CodeScan::new(&page.text, LinkSource::Html, &mut set).run();
        }
    }
    set.codes
}

// ---------------------------------------------------------------------------------------
// Links

#[derive(Default)]
struct LinkSet {
    links: Vec<Link>,
    /// url -> index in `links`.
    seen: HashMap<String, usize>,
}

impl LinkSet {
    fn add(&mut self, url: &str, text: &str, source: LinkSource) {
        if let Some(&i) = self.seen.get(url) {
            let link = &mut self.links[i];
            if link.text.is_empty() && !text.is_empty() {
                link.text = text.to_string();
            }
            if !link.sources.contains(&source) {
                link.sources.push(source);
            }
        } else if self.links.len() < MAX_LINKS {
            self.seen.insert(url.to_string(), self.links.len());
            self.links.push(Link {
                url: url.to_string(),
                text: text.to_string(),
                sources: vec![source],
                flags: Vec::new(),
                shown_host: None,
            });
        }
    }
}

/// An href as a link and whether it is one a reader must not follow (script, inline data),
/// or None for what is no link at all: empty, a fragment of this document, a part of this
/// message.
fn clean_href(raw: &str) -> Option<(String, bool)> {
    let decoded = decode_entities(raw);
    // What a browser does before it parses a URL: trim spaces and controls, drop tabs and
    // newlines anywhere (so "java\tscript:" is still script).
    let url: String = decoded
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if url.is_empty() || url.starts_with('#') {
        return None;
    }
    if let Some(colon) = url.find(':') {
        let scheme = &url[..colon];
        if scheme.eq_ignore_ascii_case("cid") {
            return None;
        }
        let refused = ["javascript", "vbscript", "data"];
        if refused.iter().any(|r| scheme.eq_ignore_ascii_case(r)) {
            // Long data: URLs are shortened; the list is for reading, not for opening.
            let url = if url.len() > 200 {
                let mut cut = 200;
                while !url.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}…", &url[..cut])
            } else {
                url
            };
            return Some((url, true));
        }
    }
    Some((url, false))
}

/// Bare URLs in text: `http://`, `https://` and `www.` ones, without the punctuation that
/// ends the sentence around them.
struct UrlSpans<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> UrlSpans<'a> {
    fn new(s: &'a str) -> Self {
        UrlSpans { s, pos: 0 }
    }
}

impl Iterator for UrlSpans<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let b = self.s.as_bytes();
        while self.pos < b.len() {
            let i = self.pos;
            // Only an ASCII 'h' or 'w' can start one; `| 0x20` folds ASCII case and maps no
            // other byte onto them, so `i` is a char boundary whenever this matches.
            let c = b[i] | 0x20;
            if (c == b'h' || c == b'w') && (i == 0 || !glues_to_url(b[i - 1])) {
                if let Some(end) = url_end(self.s, i) {
                    self.pos = end;
                    return Some(i..end);
                }
            }
            self.pos += 1;
        }
        None
    }
}

/// A byte before "http"/"www." that makes it the middle of a word or address, not a URL.
fn glues_to_url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'@' | b'-' | b'_')
}

/// Where the URL starting at `i` ends, or None when none starts there.
fn url_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let prefix = [&b"https://"[..], b"http://", b"www."]
        .into_iter()
        .find(|p| b.len() - i >= p.len() && b[i..i + p.len()].eq_ignore_ascii_case(p))?
        .len();
    let body = i + prefix;
    if !s[body..].chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    let mut end = s[body..]
        .char_indices()
        .find(|&(_, c)| ends_url(c))
        .map_or(s.len(), |(k, _)| body + k);
    // Count brackets once, then trim: "wiki/Rust_(language))." keeps one ')'.
    let (mut open_p, mut close_p, mut open_b, mut close_b) = (0usize, 0usize, 0usize, 0usize);
    for &c in &b[i..end] {
        match c {
            b'(' => open_p += 1,
            b')' => close_p += 1,
            b'[' => open_b += 1,
            b']' => close_b += 1,
            _ => {}
        }
    }
    while end > body {
        match b[end - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'*' => {}
            b')' if close_p > open_p => close_p -= 1,
            b']' if close_b > open_b => close_b -= 1,
            _ => break,
        }
        end -= 1;
    }
    (end > body).then_some(end)
}

/// A character no bare URL runs through: space, markup and quote delimiters, and non-ASCII
/// that is not a letter (emoji, fullwidth punctuation) or is CJK, which is written with no
/// space after a URL ("詳細はhttps://example.com/をご覧ください").
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
        || (!c.is_ascii() && (is_cjk(c) || !c.is_alphanumeric()))
}

// ---------------------------------------------------------------------------------------
// HTML

#[derive(Clone, Copy, PartialEq, Eq)]
enum Collect {
    /// Anchors, and the text outside them for bare URLs.
    Links,
    /// All visible text, for codes.
    Text,
}

#[derive(Default)]
struct Page {
    /// Visible text with line breaks for block elements (`Collect::Text`).
    text: String,
    /// Visible text outside anchors (`Collect::Links`).
    outside: String,
    anchors: Vec<Anchor>,
}

struct Anchor {
    /// `outside.len()` when the anchor began, to put bare URLs and anchors in one order.
    at: usize,
    href: String,
    text: String,
    /// Script or inline data: listed for review (`all_links`), never to follow.
    refused: bool,
}

/// An `<a>` being read: its text collects until `</a>`.
struct OpenAnchor {
    at: usize,
    /// None for an anchor that is no link (no href, `javascript:`): its text still must
    /// not count as outside text.
    href: Option<(String, bool)>,
    text: Collapsed,
    /// The first `<img alt>` inside, for image-only links.
    alt: Collapsed,
}

#[derive(Default)]
struct Attrs<'a> {
    href: Option<&'a str>,
    alt: Option<&'a str>,
}

enum Markup<'a> {
    Open {
        name: &'a str,
        attrs: Attrs<'a>,
    },
    Close {
        name: &'a str,
    },
    /// Comment, doctype, CDATA, processing instruction.
    Ignored,
    /// A '<' that starts no tag ("a < b").
    Literal,
}

fn scan_html(html: &str, collect: Collect) -> Page {
    let b = html.as_bytes();
    let mut page = Page::default();
    let mut open: Option<OpenAnchor> = None;
    // Inside <head> nothing is visible; a missing </head> ends at <body>.
    let mut in_head = false;
    let mut i = 0;
    while i < b.len() {
        let lt = memchr(b'<', &b[i..]).map_or(b.len(), |k| i + k);
        if lt > i && !in_head {
            page.text_node(&html[i..lt], collect, &mut open);
        }
        if lt >= b.len() {
            break;
        }
        let (markup, end) = markup(html, lt);
        i = end;
        match markup {
            Markup::Literal => {
                if !in_head {
                    page.text_node("<", collect, &mut open);
                }
            }
            Markup::Ignored => {}
            Markup::Open { name, attrs } => {
                if is_raw_text(name) {
                    i = skip_raw_text(html, end, name);
                } else if name.eq_ignore_ascii_case("head") {
                    in_head = true;
                } else if name.eq_ignore_ascii_case("body") {
                    in_head = false;
                } else if collect == Collect::Links && name.eq_ignore_ascii_case("a") {
                    page.close_anchor(open.take());
                    open = Some(OpenAnchor {
                        at: page.outside.len(),
                        href: attrs.href.and_then(clean_href),
                        text: Collapsed::default(),
                        alt: Collapsed::default(),
                    });
                } else if collect == Collect::Links && name.eq_ignore_ascii_case("area") {
                    if let Some((href, refused)) = attrs.href.and_then(clean_href) {
                        let mut alt = Collapsed::default();
                        alt.push(&decode_entities(attrs.alt.unwrap_or("")));
                        page.anchors.push(Anchor {
                            at: page.outside.len(),
                            href,
                            text: alt.out,
                            refused,
                        });
                    }
                } else if name.eq_ignore_ascii_case("img") {
                    if let (Some(a), Some(alt)) = (open.as_mut(), attrs.alt) {
                        if a.alt.out.is_empty() {
                            a.alt.push(&decode_entities(alt));
                        }
                    }
                } else if breaks_line(name) && !in_head {
                    page.line_break(collect, &mut open);
                }
            }
            Markup::Close { name } => {
                if name.eq_ignore_ascii_case("a") {
                    page.close_anchor(open.take());
                } else if name.eq_ignore_ascii_case("head") {
                    in_head = false;
                } else if breaks_line(name) && !in_head {
                    page.line_break(collect, &mut open);
                }
            }
        }
    }
    page.close_anchor(open.take());
    page
}

impl Page {
    fn text_node(&mut self, raw: &str, collect: Collect, open: &mut Option<OpenAnchor>) {
        let text = decode_entities(raw);
        match (collect, open) {
            (Collect::Text, _) => self.text.push_str(&text),
            (Collect::Links, Some(a)) => a.text.push(&text),
            (Collect::Links, None) => self.outside.push_str(&text),
        }
    }

    fn line_break(&mut self, collect: Collect, open: &mut Option<OpenAnchor>) {
        match (collect, open) {
            (Collect::Text, _) => self.text.push('\n'),
            (Collect::Links, Some(a)) => a.text.push(" "),
            (Collect::Links, None) => self.outside.push('\n'),
        }
    }

    fn close_anchor(&mut self, open: Option<OpenAnchor>) {
        let Some(a) = open else { return };
        // Whatever follows is a new word: "<a>x</a>https://y" must not glue.
        self.outside.push(' ');
        if let Some((href, refused)) = a.href {
            let text = if a.text.out.is_empty() { a.alt } else { a.text };
            self.anchors.push(Anchor {
                at: a.at,
                href,
                text: text.out,
                refused,
            });
        }
    }
}

/// Elements whose content is not markup, or not shown: skipped to their end tag.
fn is_raw_text(name: &str) -> bool {
    [
        "script", "style", "template", "title", "xmp", "noembed", "noframes",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// Elements that start a new line of visible text, so "<td>Code</td><td>482913</td>" is not
/// one word.
fn breaks_line(name: &str) -> bool {
    [
        "br",
        "p",
        "div",
        "td",
        "th",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "address",
        "center",
        "caption",
        "figure",
        "figcaption",
        "form",
        "fieldset",
        "legend",
        "option",
        "button",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// The markup starting at `html[lt] == '<'` and where it ends.
fn markup(html: &str, lt: usize) -> (Markup<'_>, usize) {
    let b = html.as_bytes();
    let n = b.len();
    let after = |from: usize, what: &[u8]| {
        memmem::find(&b[from..], what).map_or(n, |k| from + k + what.len())
    };
    match b.get(lt + 1) {
        Some(b'!') if b[lt..].starts_with(b"<!--") => (Markup::Ignored, after(lt + 4, b"-->")),
        Some(b'!') if b[lt..].starts_with(b"<![CDATA[") => (Markup::Ignored, after(lt + 9, b"]]>")),
        Some(b'!' | b'?') => (Markup::Ignored, after(lt + 2, b">")),
        Some(b'/') if b.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) => {
            let name_end = tag_name_end(b, lt + 2);
            (
                Markup::Close {
                    name: &html[lt + 2..name_end],
                },
                after(name_end, b">"),
            )
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let name_end = tag_name_end(b, lt + 1);
            let (attrs, end) = attributes(html, name_end);
            (
                Markup::Open {
                    name: &html[lt + 1..name_end],
                    attrs,
                },
                end,
            )
        }
        _ => (Markup::Literal, lt + 1),
    }
}

fn tag_name_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_')))
        .map_or(b.len(), |k| from + k)
}

/// The attributes we read from a start tag whose name ends at `i`, and where the tag ends.
/// Values may be double-quoted, single-quoted or bare; a quote never closed runs to the end,
/// as it does in a browser. Every cut is at an ASCII byte, so on a char boundary.
fn attributes(html: &str, mut i: usize) -> (Attrs<'_>, usize) {
    let b = html.as_bytes();
    let n = b.len();
    let mut attrs = Attrs::default();
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
            // A stray '='.
            i += 1;
            continue;
        }
        let name = &html[start..i];
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n || b[i] != b'=' {
            continue;
        }
        i += 1;
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if i < n && (b[i] == b'"' || b[i] == b'\'') {
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
        if name.eq_ignore_ascii_case("href") {
            attrs.href.get_or_insert(value);
        } else if name.eq_ignore_ascii_case("alt") {
            attrs.alt.get_or_insert(value);
        }
    }
}

/// Past the end tag of the raw-text element `name` whose content starts at `from`.
fn skip_raw_text(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut j = from;
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
            return memchr(b'>', &b[name_at..]).map_or(b.len(), |k| name_at + k + 1);
        }
        j = lt + 1;
    }
    b.len()
}

/// `s` with character references decoded: the common named ones, `&#NNN;` and `&#xHH;`.
/// Unknown or unterminated references stay as written.
fn decode_entities(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let Some(mut amp) = memchr(b'&', b) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    loop {
        out.push_str(&s[copied..amp]);
        match entity(&b[amp + 1..]) {
            Some((c, len)) => {
                out.push(c);
                copied = amp + 1 + len;
            }
            None => {
                out.push('&');
                copied = amp + 1;
            }
        }
        match memchr(b'&', &b[copied..]) {
            Some(k) => amp = copied + k,
            None => break,
        }
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

/// The character of the reference that follows a '&', and its length with the ';'.
fn entity(b: &[u8]) -> Option<(char, usize)> {
    // Names and numbers are short and alphanumeric: "&&&&" costs one look each.
    let len = b
        .iter()
        .take(33)
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'#'))?;
    if b[len] != b';' {
        return None;
    }
    let (body, semi) = (&b[..len], len);
    let c = if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        let valid = |c: &u8| {
            if radix == 16 {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        };
        if digits.is_empty() || digits.len() > 8 || !digits.iter().all(valid) {
            return None;
        }
        let v = digits.iter().fold(0u32, |v, &d| {
            v * radix + (d as char).to_digit(radix).unwrap_or(0)
        });
        char::from_u32(v)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}')
    } else {
        named_entity(body)?
    };
    Some((c, semi + 1))
}

fn named_entity(name: &[u8]) -> Option<char> {
    Some(match name {
        b"amp" | b"AMP" => '&',
        b"lt" | b"LT" => '<',
        b"gt" | b"GT" => '>',
        b"quot" | b"QUOT" => '"',
        b"apos" => '\'',
        b"nbsp" => '\u{a0}',
        b"copy" | b"COPY" => '©',
        b"reg" | b"REG" => '®',
        b"trade" => '™',
        b"hellip" => '…',
        b"mdash" => '—',
        b"ndash" => '–',
        b"lsquo" => '‘',
        b"rsquo" => '’',
        b"ldquo" => '“',
        b"rdquo" => '”',
        b"laquo" => '«',
        b"raquo" => '»',
        b"middot" => '·',
        b"bull" => '•',
        b"euro" => '€',
        b"pound" => '£',
        b"yen" => '¥',
        b"cent" => '¢',
        b"deg" => '°',
        b"times" => '×',
        b"zwnj" => '\u{200c}',
        b"zwj" => '\u{200d}',
        b"shy" => '\u{ad}',
        b"ensp" => '\u{2002}',
        b"emsp" => '\u{2003}',
        b"thinsp" => '\u{2009}',
        _ => return None,
    })
}

/// Text with whitespace runs collapsed to one space, invisible characters dropped and
/// trimmed, capped at [`MAX_TEXT_CHARS`]; fed piece by piece.
#[derive(Default)]
struct Collapsed {
    out: String,
    chars: usize,
    space: bool,
}

impl Collapsed {
    fn push(&mut self, s: &str) {
        for c in s.chars() {
            if self.chars >= MAX_TEXT_CHARS {
                return;
            }
            if c.is_whitespace() {
                self.space = !self.out.is_empty();
            } else if !is_invisible(c) {
                if self.space {
                    self.out.push(' ');
                    self.chars += 1;
                    self.space = false;
                }
                self.out.push(c);
                self.chars += 1;
            }
        }
    }
}

/// `s` with whitespace runs collapsed to one space, invisible characters dropped, trimmed.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        let visible = word.chars().filter(|&c| !is_invisible(c));
        if visible.clone().next().is_none() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(visible);
    }
    out
}

/// Zero-width and soft-hyphen characters that mail templates pad preheaders with.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{34f}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

/// Han, kana and hangul: scripts written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF
        | 0x3040..=0x30FF
        | 0x3100..=0x318F
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x2FFFF)
}

// ---------------------------------------------------------------------------------------
// Codes

#[derive(Default)]
struct CodeSet {
    codes: Vec<Code>,
    seen: HashSet<String>,
}

impl CodeSet {
    fn full(&self) -> bool {
        self.codes.len() >= MAX_CODES
    }

    fn add(&mut self, code: String, context: String, source: LinkSource) {
        if !self.full() && self.seen.insert(code.clone()) {
            self.codes.push(Code {
                code,
                context,
                source,
            });
        }
    }
}

/// Words lowercase that mark a nearby code as one to type in.
const KEYWORDS: &[&str] = &[
    "code",
    "codes",
    "otp",
    "pin",
    "passcode",
    "password",
    "verification",
    "verify",
    "token",
    "confirmation",
    "2fa",
    "mfa",
    "onetime",
    "authcode",
    // de, nl, es, pt, it, fr, ru, tr, pl, sv
    "bestätigungscode",
    "sicherheitscode",
    "anmeldecode",
    "einmalcode",
    "zugangscode",
    "verifizierungscode",
    "passwort",
    "kennwort",
    "verificatiecode",
    "inlogcode",
    "código",
    "codigo",
    "clave",
    "contraseña",
    "verificación",
    "senha",
    "verificação",
    "codice",
    "vérification",
    "код",
    "кода",
    "кодом",
    "коду",
    "пароль",
    "пароля",
    "kod",
    "kodu",
    "şifre",
    "engångskod",
];

/// Keywords in scripts written without spaces, matched anywhere in a run.
const CJK_KEYWORDS: &[&str] = &[
    "验证码",
    "驗證碼",
    "校验码",
    "动态码",
    "确认码",
    "认证码",
    "密码",
    "認証コード",
    "確認コード",
    "認証番号",
    "確認番号",
    "ワンタイム",
    "パスコード",
    "パスワード",
    "暗証番号",
    "コード",
    "인증번호",
    "인증코드",
    "인증",
    "코드",
    "비밀번호",
];

/// Words before "code" that make it no code to type: "promo code", "zip code".
const NOT_ONE_TIME: &[&str] = &[
    "promo",
    "promotional",
    "discount",
    "coupon",
    "voucher",
    "gift",
    "referral",
    "zip",
    "postal",
    "post",
    "area",
    "country",
    "tracking",
    "error",
    "status",
    "source",
    "qr",
    "bar",
    "sort",
    "swift",
    "bank",
    "tax",
    "product",
    "item",
    "style",
    "colour",
    "color",
    "html",
    "css",
    "sample",
    "example",
    "dress",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChunkKind {
    /// Letters, digits and ASCII punctuation between spaces.
    Word,
    /// A run of CJK characters.
    Cjk,
    /// A bare URL: never a code, never a keyword.
    Url,
    /// One non-ASCII symbol or punctuation mark ("©", "：", "😀"): not a word.
    Symbol,
}

/// A piece of text between spaces (or script changes) and the sentence it is in.
#[derive(Clone, Copy)]
struct Chunk {
    start: usize,
    end: usize,
    kind: ChunkKind,
    /// Sentence (or line) number, increasing.
    sentence: u32,
    sentence_start: usize,
}

/// Cuts `s` into chunks, tracking sentences: a line ends one, and so does a chunk ending in
/// '.', '!' or '?' (or "。！？").
struct Chunker<'a> {
    s: &'a str,
    urls: UrlSpans<'a>,
    sentence: u32,
    sentence_start: usize,
    /// The next chunk starts a sentence.
    boundary: bool,
}

impl<'a> Chunker<'a> {
    fn new(s: &'a str) -> Self {
        Chunker {
            s,
            urls: UrlSpans::new(s),
            sentence: 0,
            sentence_start: 0,
            boundary: true,
        }
    }

    fn chunk(&mut self, start: usize, end: usize, kind: ChunkKind) -> Chunk {
        if self.boundary {
            self.sentence += 1;
            self.sentence_start = start;
            self.boundary = false;
        }
        let c = Chunk {
            start,
            end,
            kind,
            sentence: self.sentence,
            sentence_start: self.sentence_start,
        };
        let last = self.s.as_bytes()[end - 1];
        let closes = match kind {
            ChunkKind::Word if last.is_ascii_alphanumeric() => false,
            ChunkKind::Word => self.s[start..end]
                .trim_end_matches([')', ']', '"', '\'', '»', '”', '’'])
                .ends_with(['.', '!', '?']),
            ChunkKind::Symbol => self.s[start..end].starts_with(['。', '！', '？']),
            ChunkKind::Cjk | ChunkKind::Url => false,
        };
        self.boundary |= closes;
        c
    }

    /// Calls `f` with each chunk in order until it returns false.
    fn each(mut self, mut f: impl FnMut(Chunk) -> bool) {
        let s = self.s;
        let b = s.as_bytes();
        let mut next_url = self.urls.next();
        let mut i = 0;
        let mut cur: Option<(usize, ChunkKind)> = None;
        let mut last = ' ';
        while i < b.len() {
            if let Some(u) = next_url.clone().filter(|u| u.start <= i) {
                if let Some((start, kind)) = cur.take() {
                    if !f(self.chunk(start, i, kind)) {
                        return;
                    }
                }
                if !f(self.chunk(u.start, u.end, ChunkKind::Url)) {
                    return;
                }
                i = u.end.max(i + 1);
                next_url = self.urls.next();
                continue;
            }
            // ASCII first: most mail is, and this loop runs once a character.
            let (c, kind) = if b[i].is_ascii() {
                let c = b[i] as char;
                (c, (!c.is_whitespace()).then_some(ChunkKind::Word))
            } else {
                let Some(c) = s[i..].chars().next() else {
                    break;
                };
                let kind = if c.is_whitespace() {
                    None
                } else if is_cjk(c) {
                    Some(ChunkKind::Cjk)
                } else if c.is_alphanumeric() {
                    Some(ChunkKind::Word)
                } else {
                    Some(ChunkKind::Symbol)
                };
                (c, kind)
            };
            // Close the chunk being read when this char cannot continue it.
            let continues =
                matches!((cur, kind), (Some((_, a)), Some(b)) if a == b && b != ChunkKind::Symbol);
            if !continues {
                if let Some((start, kind)) = cur.take() {
                    if !f(self.chunk(start, i, kind)) {
                        return;
                    }
                }
            }
            let next = i + c.len_utf8();
            match kind {
                None => {
                    if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') {
                        self.boundary = true;
                    }
                }
                Some(ChunkKind::Symbol) => {
                    if !f(self.chunk(i, next, ChunkKind::Symbol)) {
                        return;
                    }
                }
                Some(kind) => {
                    if cur.is_none() {
                        cur = Some((i, kind));
                    }
                    // "PIN:1234": a colon after a letter ends the word; "12:30" stays one.
                    if c == ':' && last.is_alphabetic() {
                        if let Some((start, kind)) = cur.take() {
                            if !f(self.chunk(start, next, kind)) {
                                return;
                            }
                        }
                    }
                }
            }
            last = c;
            i = next;
        }
        if let Some((start, kind)) = cur {
            f(self.chunk(start, s.len(), kind));
        }
    }
}

/// A keyword seen: where, for distances and the context.
#[derive(Clone, Copy)]
struct Keyword {
    word: u32,
    sentence_start: usize,
    end: usize,
}

/// A code-shaped token waiting for a keyword after it.
#[derive(Clone, Copy)]
struct Candidate {
    word: u32,
    sentence: u32,
    sentence_start: usize,
    span: (usize, usize),
}

/// One pass over one body: a candidate is taken when the last keyword before it is close
/// enough, or else waits ([`Candidate`]) for one within a few words after it or later in its
/// sentence. Memory stays bounded by those windows whatever the input's size.
struct CodeScan<'a, 's> {
    s: &'s str,
    source: LinkSource,
    set: &'a mut CodeSet,
    /// Index of the next word.
    word: u32,
    last_keyword: Option<Keyword>,
    pending: VecDeque<Candidate>,
    /// A grouped code ("123 456") took the next chunk too.
    taken_until: usize,
    /// The previous word in lowercase, for "promo code" and "one time"; empty when it was
    /// no word that could be one.
    previous: String,
    /// This word in lowercase (see `lowercase`).
    lower: String,
}

impl<'a, 's> CodeScan<'a, 's> {
    fn new(s: &'s str, source: LinkSource, set: &'a mut CodeSet) -> Self {
        CodeScan {
            s,
            source,
            set,
            word: 0,
            last_keyword: None,
            pending: VecDeque::new(),
            taken_until: 0,
            previous: String::new(),
            lower: String::new(),
        }
    }

    fn run(mut self) {
        let s = self.s;
        Chunker::new(s).each(|chunk| {
            self.chunk(chunk);
            !self.set.full()
        });
    }

    fn chunk(&mut self, ch: Chunk) {
        let raw = &self.s[ch.start..ch.end];
        if ch.kind == ChunkKind::Symbol || !raw.chars().any(char::is_alphanumeric) {
            // Punctuation alone ("-", "|", "("): not a word to count.
            return;
        }
        let w = self.word;
        self.word += 1;
        while self.pending.front().is_some_and(|c| {
            let d = w - c.word;
            d > SENTENCE_WORDS || (ch.sentence != c.sentence && d > KEYWORD_AFTER)
        }) {
            self.pending.pop_front();
        }
        if ch.kind == ChunkKind::Url {
            self.previous.clear();
            return;
        }
        self.lowercase(ch);
        if self.is_keyword(ch) {
            let kw = Keyword {
                word: w,
                sentence_start: ch.sentence_start,
                end: ch.end,
            };
            // Every candidate still waiting is close enough to this keyword.
            while let Some(c) = self.pending.pop_front() {
                self.accept(c, kw);
            }
            self.last_keyword = Some(kw);
        } else if ch.start >= self.taken_until {
            if let Some((span, year)) = candidate(self.s, ch) {
                self.taken_until = span.1;
                let c = Candidate {
                    word: w,
                    sentence: ch.sentence,
                    sentence_start: ch.sentence_start,
                    span,
                };
                let near = self.last_keyword.filter(|k| {
                    let d = w - k.word;
                    if year {
                        d <= YEAR_KEYWORD_BEFORE
                    } else {
                        d <= KEYWORD_BEFORE
                            || (k.sentence_start == ch.sentence_start && d <= SENTENCE_WORDS)
                    }
                });
                match near {
                    Some(kw) => self.accept(c, kw),
                    // A year needs its keyword right before it ("PIN: 2019").
                    None if !year => self.pending.push_back(c),
                    None => {}
                }
            }
        }
        self.remember_word();
    }

    fn is_keyword(&mut self, ch: Chunk) -> bool {
        let raw = &self.s[ch.start..ch.end];
        match ch.kind {
            ChunkKind::Cjk => CJK_KEYWORDS.iter().any(|k| raw.contains(k)),
            ChunkKind::Word if !self.lower.is_empty() => {
                let mut before: Option<&str> = None;
                for part in self.lower.split(|c: char| !c.is_alphanumeric()) {
                    if part.is_empty() {
                        continue;
                    }
                    let keyword = KEYWORDS.contains(&part);
                    if keyword || part == "time" {
                        // The word before only matters here: "one time", "promo code".
                        let before = before.unwrap_or_else(|| last_part(&self.previous));
                        let counts = if keyword {
                            !(part.starts_with("code") && NOT_ONE_TIME.contains(&before))
                        } else {
                            before == "one"
                        };
                        if counts {
                            return true;
                        }
                    }
                    before = Some(part);
                }
                false
            }
            _ => false,
        }
    }

    /// Puts the chunk in lowercase into `lower` when it is a word that could be a keyword
    /// (short, with a letter); empties it otherwise.
    fn lowercase(&mut self, ch: Chunk) {
        self.lower.clear();
        let raw = &self.s[ch.start..ch.end];
        if ch.kind != ChunkKind::Word || raw.len() > 48 {
            return;
        }
        if raw.is_ascii() {
            if raw.bytes().any(|b| b.is_ascii_alphabetic()) {
                self.lower.push_str(raw);
                self.lower.make_ascii_lowercase();
            }
        } else if raw.chars().any(char::is_alphabetic) {
            self.lower.extend(raw.chars().flat_map(char::to_lowercase));
        }
    }

    /// Keeps this word for the next one's keyword check.
    fn remember_word(&mut self) {
        std::mem::swap(&mut self.previous, &mut self.lower);
    }

    fn accept(&mut self, c: Candidate, kw: Keyword) {
        let s = self.s;
        let (start, end) = c.span;
        let code = collapse(&s[start..end]);
        if self.set.seen.contains(&code) {
            // Seen before: the context would be thrown away.
            return;
        }
        let from = floor_char(s, start.saturating_sub(CONTEXT_REACH));
        let ctx_start = c.sentence_start.min(kw.sentence_start).max(from);
        let ctx_end = sentence_end(s, end.max(kw.end));
        let context = context(&s[ctx_start..start], &code, &s[end..ctx_end]);
        self.set.add(code, context, self.source);
    }
}

/// The code-shaped token in `ch` (its byte span) and whether it looks like a year.
fn candidate(s: &str, ch: Chunk) -> Option<((usize, usize), bool)> {
    if ch.kind != ChunkKind::Word
        || ch.end - ch.start > 40
        || !s[ch.start..ch.end].bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (start, end) = core(s, ch.start, ch.end);
    let token = &s[start..end];
    if glued_to_number(s, ch.start, ch.end) {
        return None;
    }
    // "123 456": two equal groups of digits on one line, written with a space.
    let grouped = ((3..=4).contains(&token.len())
        && token.bytes().all(|b| b.is_ascii_digit())
        && end == ch.end)
        .then(|| next_token(s, ch.end))
        .flatten()
        .and_then(|(next_start, next_end)| {
            let (ns, ne) = core(s, next_start, next_end);
            let second = &s[ns..ne];
            (ns == next_start
                && second.len() == token.len()
                && second.bytes().all(|b| b.is_ascii_digit())
                && !glued_to_number(s, next_start, next_end))
            .then_some(ne)
        });
    let span = match grouped {
        Some(second_end) => (start, second_end),
        None if code_shaped(token) => (start, end),
        None => return None,
    };
    if number_beside(s, span.0, span.1) {
        return None;
    }
    let token = &s[span.0..span.1];
    let year = token.len() == 4
        && (token.starts_with("19") || token.starts_with("20"))
        && token.bytes().all(|b| b.is_ascii_digit());
    if year && previous_char(s, span.0).is_some_and(|c| c == '©') {
        return None;
    }
    Some((span, year))
}

/// The last alphanumeric part of a word: "promo" of "(promo".
fn last_part(word: &str) -> &str {
    word.rsplit(|c: char| !c.is_alphanumeric())
        .find(|p| !p.is_empty())
        .unwrap_or("")
}

/// The chunk without the brackets, quotes and sentence punctuation around it.
fn core(s: &str, start: usize, end: usize) -> (usize, usize) {
    let raw = &s[start..end];
    let lead = ['(', '[', '{', '"', '\'', '«', '“', '‘', '*', '<'];
    let trail = [
        '.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '»', '”', '’', '*', '>',
    ];
    let trimmed = raw.trim_start_matches(lead);
    let from = start + (raw.len() - trimmed.len());
    (from, from + trimmed.trim_end_matches(trail).len())
}

/// Digits, or uppercase (or lowercase) letters mixed with at least two digits, 4 to 10 of
/// them, optionally in two groups joined by one '-' ("123-456", "A7K-92Q", "G-482913").
fn code_shaped(token: &str) -> bool {
    let b = token.as_bytes();
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    let mut groups = token.split('-');
    let (Some(first), second, None) = (groups.next(), groups.next(), groups.next()) else {
        return false;
    };
    match second {
        None => (4..=10).contains(&first.len()) && mix_ok(first.bytes()),
        Some(second) => {
            let prefixed = first.len() == 1
                && first.as_bytes()[0].is_ascii_uppercase()
                && (4..=8).contains(&second.len())
                && second.bytes().all(|c| c.is_ascii_digit());
            let grouped = (3..=6).contains(&first.len())
                && (3..=6).contains(&second.len())
                && first.len() + second.len() <= 10
                && mix_ok(first.bytes().chain(second.bytes()));
            prefixed || grouped
        }
    }
}

/// Digits only, or letters of one case with two digits or more, not a number with a unit
/// ("10AM", "100KB") nor a word with a number ("user123", "h264").
fn mix_ok(chars: impl Iterator<Item = u8> + Clone) -> bool {
    let digits = chars.clone().filter(u8::is_ascii_digit).count();
    let letters = chars.clone().filter(u8::is_ascii_alphabetic).count();
    if digits == 0 {
        return false;
    }
    if letters == 0 {
        return true;
    }
    let upper = chars.clone().filter(u8::is_ascii_uppercase).count();
    if digits < 2 || (upper != 0 && upper != letters) {
        return false;
    }
    let kinds: Vec<bool> = chars.map(|c| c.is_ascii_digit()).collect();
    let changes = kinds.windows(2).filter(|w| w[0] != w[1]).count();
    if upper == 0 {
        changes >= 2
    } else {
        !(kinds[0] && changes == 1 && letters <= 3)
    }
}

/// A currency, number or degree sign right against the chunk: "$1234", "€1234", "1234%",
/// "#20261201", "©2026".
fn glued_to_number(s: &str, start: usize, end: usize) -> bool {
    let before = s[..start].chars().next_back();
    let after = s[end..].chars().next();
    let mark = |c: char| {
        matches!(
            c,
            '$' | '€'
                | '£'
                | '¥'
                | '₹'
                | '₽'
                | '¢'
                | '₩'
                | '₺'
                | '#'
                | '№'
                | '©'
                | '®'
                | '°'
                | '%'
        )
    };
    before.is_some_and(mark) || after.is_some_and(mark)
}

/// A phone-number-like token on the same line just before or after the span: "(415)
/// 555-0132", "+1 4155550132".
fn number_beside(s: &str, start: usize, end: usize) -> bool {
    let numberish = |(a, b): (usize, usize)| {
        let t = s[a..b].trim_matches(|c| matches!(c, '(' | ')' | ',' | '.' | ':'));
        let digits = t.bytes().filter(u8::is_ascii_digit).count();
        !t.is_empty()
            && t.bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'(' | b')'))
            && (digits >= 3 || (t.starts_with('+') && digits >= 1))
    };
    previous_token(s, start).is_some_and(numberish) || next_token(s, end).is_some_and(numberish)
}

/// The space-separated token after `end` on the same line, looking a short way only.
fn next_token(s: &str, end: usize) -> Option<(usize, usize)> {
    let rest = &s[end..];
    let gap = rest
        .char_indices()
        .take(4)
        .find(|&(_, c)| !(c == ' ' || c == '\t' || c == '\u{a0}'))
        .map(|(k, _)| k)?;
    if gap == 0 {
        return None;
    }
    let from = end + gap;
    let len = s[from..]
        .char_indices()
        .take(24)
        .find(|&(_, c)| c.is_whitespace())
        .map_or(s.len() - from, |(k, _)| k);
    (len > 0 && len <= 20).then_some((from, from + len))
}

/// The space-separated token before `start` on the same line, looking a short way only.
fn previous_token(s: &str, start: usize) -> Option<(usize, usize)> {
    let head = &s[..start];
    let gap = head
        .char_indices()
        .rev()
        .take(4)
        .find(|&(_, c)| !(c == ' ' || c == '\t' || c == '\u{a0}'))?;
    let to = gap.0 + gap.1.len_utf8();
    if to == start {
        return None;
    }
    let from = head[..to]
        .char_indices()
        .rev()
        .take(24)
        .find(|&(_, c)| c.is_whitespace())
        .map_or(0, |(k, c)| k + c.len_utf8());
    (to - from <= 20).then_some((from, to))
}

/// The last non-space character before `at`, looking a few characters back.
fn previous_char(s: &str, at: usize) -> Option<char> {
    s[..at].chars().rev().take(4).find(|c| !c.is_whitespace())
}

/// The end of the sentence containing byte `from`: the next line end, or sentence mark
/// followed by a space; at most [`CONTEXT_REACH`] bytes on.
fn sentence_end(s: &str, from: usize) -> usize {
    let mut it = s[from..].char_indices().peekable();
    while let Some((k, c)) = it.next() {
        if k > CONTEXT_REACH || matches!(c, '\n' | '\r') {
            return from + k;
        }
        let after = from + k + c.len_utf8();
        if matches!(c, '。' | '！' | '？') {
            return after;
        }
        if matches!(c, '.' | '!' | '?') && it.peek().is_none_or(|&(_, n)| n.is_whitespace()) {
            return after;
        }
    }
    s.len()
}

/// The largest char boundary at or before `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `before code after` with whitespace collapsed, cut to about [`MAX_TEXT_CHARS`] around
/// the code: the text before it (where keywords usually are) gets two thirds of the room.
fn context(before: &str, code: &str, after: &str) -> String {
    let head = collapse(before);
    let tail = collapse(after);
    let (hc, tc) = (head.chars().count(), tail.chars().count());
    // Two spaces and two ellipses may come on top.
    let room = MAX_TEXT_CHARS.saturating_sub(code.chars().count() + 4);
    let (keep_head, keep_tail) = if hc + tc <= room {
        (hc, tc)
    } else {
        let keep_tail = tc.min((room / 3).max(room.saturating_sub(hc)));
        ((room - keep_tail).min(hc), keep_tail)
    };
    let mut out = String::new();
    if keep_head < hc {
        out.push('…');
        let cut: String = head.chars().skip(hc - keep_head).collect();
        out.push_str(cut.trim_start());
    } else {
        out.push_str(&head);
    }
    if !out.is_empty() && before.ends_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(code);
    if !tail.is_empty() && after.starts_with(char::is_whitespace) {
        out.push(' ');
    }
    if keep_tail < tc {
        let cut: String = tail.chars().take(keep_tail).collect();
        out.push_str(cut.trim_end());
        out.push('…');
    } else {
        out.push_str(&tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;
    use LinkSource::{Html, Text};

    /// A link as extraction makes it, flags included (they have tests of their own).
    fn link(url: &str, text: &str, sources: &[LinkSource]) -> Link {
        let mut l = Link {
            url: url.to_string(),
            text: text.to_string(),
            sources: sources.to_vec(),
            flags: Vec::new(),
            shown_host: None,
        };
        flag(&mut l);
        l
    }

    fn code(code: &str, context: &str, source: LinkSource) -> Code {
        Code {
            code: code.to_string(),
            context: context.to_string(),
            source,
        }
    }

    /// Links and codes of a fixture under tests/fixtures/extract, as a front end would get them.
    fn fixture(raw: &[u8]) -> (Vec<Link>, Vec<Code>) {
        let msg = MessageParser::default()
            .parse(raw)
            .expect("the fixture parses as a message");
        let (text, html) = bodies(&msg);
        (links(text, html), codes(text, html))
    }

    fn code_strings(text: &str) -> Vec<String> {
        codes(Some(text), None)
            .into_iter()
            .map(|c| c.code)
            .collect()
    }

    fn urls(links: &[Link]) -> Vec<&str> {
        links.iter().map(|l| l.url.as_str()).collect()
    }

    #[test]
    fn signup_mail_gives_its_links_once_with_anchor_texts_and_its_confirmation_code() {
        let (links, codes) = fixture(include_bytes!("../../tests/fixtures/extract/signup.eml"));
        let confirm = "https://app.driftwood.app/confirm?token=9f8c2e1a&email=sam%40example.com";
        assert_eq!(
            links,
            vec![
                link(
                    "https://driftwood.app/?utm_source=email&utm_campaign=welcome",
                    "Driftwood",
                    &[Html]
                ),
                link(confirm, "Confirm email address", &[Html, Text]),
                link("https://driftwood.app/help", "Help center", &[Html, Text]),
                link("https://driftwood.app/legal/privacy", "Privacy", &[Html]),
                link("https://twitter.com/driftwoodapp", "Twitter", &[Html]),
                link(
                    "mailto:support@driftwood.app",
                    "support@driftwood.app",
                    &[Html]
                ),
                link(
                    "https://driftwood.app/unsubscribe?u=8812&list=onboarding",
                    "Unsubscribe",
                    &[Html, Text]
                ),
            ],
            "the logo link takes its image's alt text, &amp; is decoded, the pasted-in copy of \
             the confirm link and the text part's copies merge, '#top' and the tracking pixel \
             are no links"
        );
        assert_eq!(
            codes,
            vec![code(
                "K7Q-4F2",
                "Or enter this confirmation code in the app: K7Q-4F2",
                Text
            )],
            "the code is found in the text part first; the token in the URL, the suite \
             number and the ZIP code are not codes"
        );
    }

    #[test]
    fn password_reset_mail_gives_reset_and_support_links_and_no_code() {
        let (links, codes) = fixture(include_bytes!(
            "../../tests/fixtures/extract/password-reset.eml"
        ));
        assert_eq!(
            links,
            vec![
                link(
                    "https://accounts.northwind.io/reset-password?token=eyJhbGciOi.x7Rk2pQ&uid=50231",
                    "Choose a new password",
                    &[Html, Text]
                ),
                link(
                    "https://help.northwind.io/contact",
                    "Contact support",
                    &[Html, Text]
                ),
                link(
                    "https://help.northwind.io/articles/account-security",
                    "security tips",
                    &[Html, Text]
                ),
            ],
            "the text part's copies lose their trailing '.' and angle brackets and merge; the \
             javascript: print link is dropped"
        );
        assert_eq!(
            codes,
            vec![],
            "'password' and 'token' are everywhere, but 30 minutes, the suite, the ZIP code, \
             the uid in the URL and the year are no codes"
        );
    }

    #[test]
    fn html_only_quoted_printable_otp_gives_the_code_in_the_big_cell_and_nothing_else() {
        let raw = include_bytes!("../../tests/fixtures/extract/otp-html-only.eml");
        let msg = MessageParser::default().parse(&raw[..]).expect("parses");
        assert_eq!(
            bodies(&msg).0,
            None,
            "no text/plain part: no text body either"
        );
        let (links, codes) = fixture(raw);
        assert_eq!(
            codes,
            vec![code(
                "739104",
                "Hi Jordan, use this verification code to finish signing in: 739104",
                Html
            )],
            "only the code: not the CSS colours or the token in the style comment, not the \
             order number (no keyword near it), the date, the time, the phone number or the \
             year after ©"
        );
        assert_eq!(
            links,
            vec![
                link(
                    "https://acme.example/orders/58302174?utm_source=otp&utm_medium=email",
                    "Track your order",
                    &[Html]
                ),
                link("https://acme.example/help", "acme.example/help", &[Html]),
                link(
                    "https://acme.example/settings/notifications",
                    "Notification settings",
                    &[Html]
                ),
            ],
            "the anchors of the HTML body"
        );
    }

    #[test]
    fn links_are_deduplicated_keeping_order_and_the_first_anchor_text() {
        let html = r#"<p>See https://example.com/docs then <a href="https://example.com/docs">Docs</a>
            <a href="https://example.com/a">A</a> <a href="https://example.com/docs">Other</a></p>"#;
        let text = "https://example.com/a and https://example.com/b";
        assert_eq!(
            links(Some(text), Some(html)),
            vec![
                link("https://example.com/docs", "Docs", &[Html]),
                link("https://example.com/a", "A", &[Html, Text]),
                link("https://example.com/b", "", &[Text]),
            ],
            "a bare URL's empty text is filled by a later anchor's; a later anchor's text does \
             not replace it"
        );
    }

    #[test]
    fn entities_are_decoded_in_hrefs_and_anchor_texts() {
        let html = "<a href=\"https://x.example/p?a=1&amp;b=2&#38;c=&#x33;&amp\">Tom &amp; \
                    Jerry&nbsp;&lt;3&gt; &quot;hi&quot; &#39;x&#39; caf&#233; &#x1F600; &bogus; \
                    &AMP;</a>";
        assert_eq!(
            links(None, Some(html)),
            vec![link(
                "https://x.example/p?a=1&b=2&c=3&amp",
                "Tom & Jerry <3> \"hi\" 'x' café 😀 &bogus; &",
                &[Html]
            )],
            "named, decimal and hex references decode; unknown or unterminated ones stay"
        );
    }

    #[test]
    fn bare_urls_lose_trailing_punctuation_and_unbalanced_brackets() {
        let text = "See https://example.com/a. Or (https://example.com/b), \
                    https://en.wikipedia.org/wiki/Rust_(programming_language)! \
                    <https://example.com/c> \"https://example.com/d?x=1\"; \
                    [https://example.com/e] 'www.example.org/f', HTTPS://EXAMPLE.COM/G?! \
                    not: xhttps://nope.example, www., http://, a.www.nope.example";
        assert_eq!(
            urls(&links(Some(text), None)),
            vec![
                "https://example.com/a",
                "https://example.com/b",
                "https://en.wikipedia.org/wiki/Rust_(programming_language)",
                "https://example.com/c",
                "https://example.com/d?x=1",
                "https://example.com/e",
                "www.example.org/f",
                "HTTPS://EXAMPLE.COM/G",
            ]
        );
    }

    #[test]
    fn script_data_cid_and_fragment_hrefs_are_skipped_mailto_and_tel_are_kept() {
        let html = "<a href=\"javascript:alert(1)\">x</a><a href=' JavaScript:void(0)'>x</a>\
                    <a href=\"java&#x09;script:alert(1)\">x</a><a href=\"&#106;avascript:x\">x</a>\
                    <a href=\"data:text/html,hi\">x</a><a href=\"cid:logo@x\">x</a>\
                    <a href=\"#top\">x</a><a href=\"\">x</a><a name=\"anchor\">x</a>\
                    <a href=\"mailto:a@example.com\">Mail</a><a href=\"tel:+15550100\">Call</a>";
        assert_eq!(
            links(None, Some(html)),
            vec![
                link("mailto:a@example.com", "Mail", &[Html]),
                link("tel:+15550100", "Call", &[Html]),
            ]
        );
    }

    #[test]
    fn attributes_may_be_unquoted_single_quoted_uppercase_and_spread_over_lines() {
        let html = "<A\n  class=btn\n  title='a > b'\n  HREF=https://example.com/1>One</A>\
                    <a data-x=\"href=https://wrong.example\" href='https://example.com/2'\n>Two\n\n  lines</a>\
                    <map><AREA SHAPE=rect HREF=\"https://example.com/3\" ALT=\"Three\"></map>\
                    <a href=https://example.com/4/>Four</a>";
        assert_eq!(
            links(None, Some(html)),
            vec![
                link("https://example.com/1", "One", &[Html]),
                link("https://example.com/2", "Two lines", &[Html]),
                link("https://example.com/3", "Three", &[Html]),
                link("https://example.com/4/", "Four", &[Html]),
            ]
        );
    }

    #[test]
    fn bare_urls_in_html_text_count_but_not_in_attributes_styles_scripts_or_comments() {
        let html = "<html><head><title>https://title.example</title>\
                    <style>a{background:url(https://css.example/x.png)}</style></head>\
                    <body><script>var u='https://script.example'</script>\
                    <!-- https://comment.example --><img src=\"https://img.example/p.gif\">\
                    <p>Visit www.example.com/start&amp;go today.</p></body></html>";
        assert_eq!(
            links(None, Some(html)),
            vec![link("www.example.com/start&go", "", &[Html])]
        );
    }

    #[test]
    fn codes_after_a_keyword_are_found() {
        for (text, want) in [
            ("Your code is 482913.", "482913"),
            ("PIN: 1234", "1234"),
            ("PIN:1234", "1234"),
            ("Your verification code: A7K-92Q", "A7K-92Q"),
            ("Enter the code 123 456 to continue", "123 456"),
            (
                "Your one-time passcode (OTP) is 55-1234 no; it is 551234",
                "551234",
            ),
            ("482913 is your Google verification code.", "482913"),
            ("G-482913 is your Google verification code.", "G-482913"),
            ("Use security code 90210X9 to sign in", "90210X9"),
            ("Your 2FA token:\n\n  a7k9x2\n", "a7k9x2"),
            ("Ihr Bestätigungscode lautet 583920.", "583920"),
            ("Tu código de verificación es 204815", "204815"),
            ("Ваш код: 739215", "739215"),
            ("验证码：839201，5分钟内有效。", "839201"),
            ("認証コードは 552190 です。", "552190"),
            (
                "Login code for Acme - 6 digits - valid today: 6613 4402",
                "6613 4402",
            ),
        ] {
            assert_eq!(code_strings(text), vec![want], "in {text:?}");
        }
    }

    #[test]
    fn a_code_keeps_the_sentence_it_came_from_as_context() {
        let text = "Hello!\nWelcome back. Your Acme verification code is 482913. It expires \
                    soon.\nThanks";
        assert_eq!(
            codes(Some(text), None),
            vec![code(
                "482913",
                "Your Acme verification code is 482913.",
                Text
            )]
        );
        let long = format!("Your code is 482913 {}", "and more words ".repeat(40));
        let context = &codes(Some(&long), None)[0].context;
        assert!(
            context.starts_with("Your code is 482913 and more") && context.ends_with('…'),
            "a long sentence is cut after the code: {context}"
        );
        assert!(
            context.chars().count() <= MAX_TEXT_CHARS,
            "context is bounded: {}",
            context.chars().count()
        );
    }

    #[test]
    fn numbers_that_are_no_codes_are_not_taken() {
        for text in [
            "Order #20261201 shipped",
            "Order 20261201 shipped yesterday, thanks for shopping with us",
            "Your code expires on 2026-12-01 at 12:30.",
            "Promo code SAVE2026 saves 20%",
            "Verification fee: $1234, or €5678, or 9012€.",
            "Questions about your code? Call +1 (415) 555-0132 or 1-800-555-0199",
            "Your code is 12345678901 (too long)",
            "Verification for user123 on h264 streams at 10AM, 2.5GB, 1,234 and 3.14159",
            "Your code: https://example.com/verify?code=482913 or a482913@example.com",
            "code red #aabbcc #123456 color",
            "Your password was changed in 2026. © 2026 Acme. Copyright 2019",
            "PIN codes are words like WORD or ABCDEF, not numbers",
        ] {
            assert_eq!(code_strings(text), Vec::<String>::new(), "in {text:?}");
        }
        assert_eq!(
            code_strings("Your PIN: 2019"),
            vec!["2019"],
            "a year-like number right after its keyword is a code"
        );
    }

    #[test]
    fn a_keyword_far_away_does_not_make_a_number_a_code() {
        let text = "Use this code to sign in. It is valid for ten minutes and only once, so \
                    keep it to yourself.\nYour order 58302174 has shipped.";
        assert_eq!(code_strings(text), Vec::<String>::new());
        let near = "Your code for order 58302174 is below.";
        assert_eq!(
            code_strings(near),
            vec!["58302174"],
            "within a few words of a keyword, any code-shaped number is taken"
        );
    }

    #[test]
    fn codes_are_deduplicated_and_html_only_text_is_read() {
        let text = "Your code is 482913. Again: code 482913, and PIN 7710.";
        let html = "<p>Your code is <b>482913</b></p><p>Backup <i>code</i>: see your settings; \
                    <span style=\"color:#112233\">code</span> <td>665544</td></p>";
        assert_eq!(
            codes(Some(text), Some(html))
                .into_iter()
                .map(|c| (c.code, c.source))
                .collect::<Vec<_>>(),
            vec![
                ("482913".to_string(), Text),
                ("7710".to_string(), Text),
                ("665544".to_string(), Html),
            ]
        );
        assert_eq!(
            codes(
                None,
                Some("<div>Your code</div><div>&nbsp;</div><div>3&#56;2910</div>")
            ),
            vec![code("382910", "Your code 382910", Html)],
            "an HTML body alone is read, entities decoded, cells on separate lines"
        );
    }

    #[test]
    fn multibyte_text_around_urls_and_codes_never_panics() {
        let text = "日本語https://example.com/パス😀を見て。😀www.example.org/ü😀 \
                    验证码：839201。认证码😀123456 é1234é ©2026 日本語";
        assert_eq!(
            urls(&links(Some(text), None)),
            vec!["https://example.com/", "www.example.org/ü"],
            "CJK and emoji end a URL, other letters do not"
        );
        assert_eq!(code_strings(text), vec!["839201", "123456"]);
        let html = format!("<p title='日本'>{text}</p><a href=\"https://例え.jp/😀\">リンク😀</a>");
        for s in [text, html.as_str()] {
            for (i, _) in s.char_indices() {
                let (head, tail) = s.split_at(i);
                for part in [head, tail] {
                    links(Some(part), Some(part));
                    codes(Some(part), Some(part));
                }
            }
        }
    }

    #[test]
    fn hostile_ten_megabyte_bodies_finish_and_links_are_capped() {
        // A code in every row, and numbers that are no codes: dates, times, a phone number,
        // an order number and a link's number, all far enough from the keyword.
        let unit = "<tr><td style=\"color:#123456\"><a href='https://example.com/N?a=1&amp;b=2'>\
                    link N</a> www.example.com/N. Order 58302174 on 2026-01-02 12:30, call (415) \
                    555-0132 日本語😀</td></tr><tr><td>Your code <b>1234 5678</b>. Thanks for \
                    reading this, we hope to see you again very soon.</td></tr>\n";
        let mut html = String::with_capacity(10 * 1024 * 1024 + unit.len() * 2);
        let mut n = 0;
        while html.len() < 10 * 1024 * 1024 {
            html.push_str(&unit.replace('N', &n.to_string()));
            n += 1;
        }
        let found = links(None, Some(&html));
        assert_eq!(found.len(), MAX_LINKS, "at most {MAX_LINKS} links");
        assert_eq!(
            found[1],
            link("www.example.com/0", "", &[Html]),
            "anchors and bare URLs in document order"
        );
        assert_eq!(
            codes(None, Some(&html))
                .into_iter()
                .map(|c| c.code)
                .collect::<Vec<_>>(),
            vec!["1234 5678"],
            "the one code, once, out of 10 MB"
        );
        // Unclosed comments, quotes and raw-text elements, reference and bracket floods.
        for pathological in [
            "<".repeat(1 << 20),
            "<!--".repeat(1 << 18),
            "<a href='".repeat(1 << 17),
            "&".repeat(1 << 20),
            "&#x1F600".repeat(1 << 17),
            "http://".repeat(1 << 17) + &")".repeat(1 << 17),
            "www.((".repeat(1 << 17),
            "1234 ".repeat(1 << 16),
            "code 12345 ".repeat(1 << 16),
            "<style>".repeat(1 << 17),
            "a".repeat(1 << 20),
            "日本語😀".repeat(1 << 16),
        ] {
            links(Some(&pathological), Some(&pathological));
            codes(Some(&pathological), Some(&pathological));
        }
    }
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    fn one(html: &str) -> Link {
        all_links(None, Some(html))
            .into_iter()
            .next()
            .expect("a link")
    }

    #[test]
    fn text_showing_another_domain_is_a_mismatch_with_the_shown_host() {
        let l =
            one(r#"<a href="https://evil.example.net/login">https://www.paypal.com/signin</a>"#);
        assert_eq!(l.flags, vec![LinkFlag::Mismatch]);
        assert_eq!(l.shown_host.as_deref(), Some("paypal.com"));
        let bare = one(r#"<a href="https://paypal.com.evil.io/">paypal.com</a>"#);
        assert_eq!(
            bare.flags,
            vec![LinkFlag::Mismatch],
            "a look-alike suffix is another host"
        );
    }

    #[test]
    fn the_same_host_or_its_subdomain_is_no_mismatch() {
        for html in [
            r#"<a href="https://example.com/a?utm=1">https://example.com/</a>"#,
            r#"<a href="https://www.example.com/">example.com</a>"#,
            r#"<a href="https://login.example.com/">www.example.com</a>"#,
            r#"<a href="https://example.com/">Confirm your email</a>"#,
            r#"<a href="https://example.com/r.pdf">report.pdf</a>"#,
            r#"<a href="mailto:ann@example.com">ann@example.com</a>"#,
        ] {
            assert_eq!(one(html).flags, Vec::<LinkFlag>::new(), "{html}");
        }
    }

    #[test]
    fn http_file_script_and_data_targets_are_flagged() {
        assert_eq!(
            one(r#"<a href="http://x.test/">go</a>"#).flags,
            vec![LinkFlag::Insecure]
        );
        assert_eq!(
            one(r#"<a href="FILE:///etc/passwd">f</a>"#).flags,
            vec![LinkFlag::File]
        );
        assert_eq!(
            one(r#"<a href="javascript:alert(1)">j</a>"#).flags,
            vec![LinkFlag::Script]
        );
        assert_eq!(
            one(r#"<a href="data:text/html,x">d</a>"#).flags,
            vec![LinkFlag::Data]
        );
        let both = one(r#"<a href="http://evil.test/">https://bank.example.com</a>"#);
        assert_eq!(both.flags, vec![LinkFlag::Mismatch, LinkFlag::Insecure]);
    }

    #[test]
    fn script_and_data_links_are_listed_for_review_but_not_among_links_to_follow() {
        let html = r#"<a href="javascript:x()">j</a><a href="https://ok.test/">ok</a>"#;
        let follow = links(None, Some(html));
        assert_eq!(follow.len(), 1, "only the https link: {follow:?}");
        let all = all_links(None, Some(html));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].url, "javascript:x()");
    }

    #[test]
    fn a_long_data_link_is_shortened_in_the_review_list() {
        let html = format!(r#"<a href="data:text/plain,{}">d</a>"#, "a".repeat(5000));
        let l = one(&html);
        assert!(l.url.chars().count() <= 201, "shortened: {}", l.url.len());
        assert!(l.url.ends_with('…'));
    }
}
