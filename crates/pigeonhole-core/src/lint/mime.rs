//! The MIME structure as the raw bytes have it, walked without mail-parser so the checks see
//! what a strict receiver sees (boundaries, charsets, base64 wrapping), with line numbers
//! and part paths as in the Parts tree.

use super::text::{header_block, lines, trim, HeaderBlock, Line};
use super::{Findings, LintLocation};

use crate::message::limits::{MAX_PARTS, MAX_PART_DEPTH};

/// RFC 2045 §6.8.
const BASE64_LINE: usize = 76;

/// One MIME entity: the message itself, a part, or a message inside a part.
#[derive(Debug, Clone)]
pub(super) struct Entity {
    /// Path as in the Parts tree: "1", "1.2".
    pub id: String,
    pub headers: HeaderBlock,
    /// Lowercased `type/subtype`, with the RFC 2045/2046 defaults applied.
    pub ctype: String,
    /// Parameters of Content-Type, names lowercased, values unquoted.
    pub params: Vec<(String, String)>,
    /// Lowercased Content-Transfer-Encoding ("7bit" when absent).
    pub encoding: String,
    /// Lowercased disposition type (`inline`, `attachment`).
    pub disposition: Option<String>,
    /// Content-ID without angle brackets.
    pub content_id: Option<String>,
    /// Body bytes `start..end` in the raw message, and the body's first line.
    pub body: (usize, usize),
    pub body_line: u32,
    pub children: Vec<Entity>,
    /// For a multipart: what is wrong with its boundary parameter.
    pub bad_boundary: Option<String>,
    /// For a multipart: the closing delimiter never came (`Some(found_any_part)`).
    pub unclosed: Option<bool>,
    /// Inside a multipart/related.
    pub related: bool,
    /// Inside a message/rfc822 part (a forwarded message): its own checks apply to it.
    pub nested: bool,
}

impl Entity {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_multipart(&self) -> bool {
        self.ctype.starts_with("multipart/")
    }

    pub fn is_attachment(&self) -> bool {
        self.disposition.as_deref() == Some("attachment")
    }

    /// This entity and everything below it, depth first.
    pub fn all(&self) -> Vec<&Entity> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    pub fn at(&self) -> LintLocation {
        LintLocation {
            header: None,
            line: Some(
                self.headers
                    .fields
                    .first()
                    .map_or(self.body_line, |f| f.line),
            ),
            part: Some(self.id.clone()),
        }
    }
}

/// The whole message's structure.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    pub root: Entity,
    /// The first part whose own parts lie deeper than `limits::MAX_PART_DEPTH` (not walked).
    pub too_deep: Option<Cut>,
    /// The part at which `limits::MAX_PARTS` ran out (the rest not walked).
    pub too_many: Option<Cut>,
}

/// Where the walk stopped at a cap: the part and its first line.
#[derive(Debug, Clone)]
pub(super) struct Cut {
    pub id: String,
    pub line: u32,
}

/// What the walk may still spend, and where it stopped.
struct Budget {
    left: usize,
    too_deep: Option<Cut>,
    too_many: Option<Cut>,
}

impl Tree {
    pub fn all(&self) -> Vec<&Entity> {
        self.root.all()
    }
}

/// The structure within `message::limits` (recursive, at most `MAX_PART_DEPTH` deep).
pub(super) fn walk(raw: &[u8]) -> Tree {
    let mut budget = Budget {
        left: MAX_PARTS,
        too_deep: None,
        too_many: None,
    };
    let root = entity(
        raw,
        0,
        raw.len(),
        1,
        "1".into(),
        None,
        0,
        false,
        &mut budget,
    );
    Tree {
        root,
        too_deep: budget.too_deep,
        too_many: budget.too_many,
    }
}

/// The bodies of large leaf parts that hold no text: not `text/*`, not a multipart, not a
/// message (a PDF, a zip; an image too unless `keep_images`), in order, each as its byte
/// range and its decoded size. Only identity and base64 encodings are listed (a base64
/// size is exact from its alphabet count). The ingest summary and the detail read only
/// headers and text of these, so they parse the message without them rather than decode a
/// 100 MB attachment whole.
pub(crate) fn binary_bodies(
    raw: &[u8],
    at_least: usize,
    keep_images: bool,
) -> Vec<((usize, usize), u64)> {
    let tree = walk(raw);
    let mut out = Vec::new();
    for e in tree.all() {
        let textual = e.ctype.starts_with("text/")
            || e.ctype.starts_with("message/")
            || e.is_multipart()
            || e.ctype.contains("calendar")
            || e.ctype.contains("ics")
            || (keep_images && e.ctype.starts_with("image/"));
        let (s, t) = e.body;
        if textual || !e.children.is_empty() || t.saturating_sub(s) < at_least {
            continue;
        }
        let size = match e.encoding.as_str() {
            "base64" => base64_len(&raw[s..t]),
            "7bit" | "8bit" | "binary" => (t - s) as u64,
            _ => continue,
        };
        out.push(((s, t), size));
    }
    out.sort_unstable();
    out
}

/// Decoded length of base64 text: 3 bytes per 4 alphabet characters, less the padding.
fn base64_len(b: &[u8]) -> u64 {
    let chars = b
        .iter()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
        .count() as u64;
    chars * 3 / 4
}

/// Splits a Content-Type-like value into its lowercased first token and its parameters.
pub(super) fn split_params(value: &str) -> (String, Vec<(String, String)>) {
    let value = strip_comments(value);
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    pieces.push(cur);
    let mut it = pieces.into_iter();
    let first = it.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = it
        .filter_map(|p| {
            let (name, value) = p.split_once('=')?;
            let value = value.trim();
            let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
                None => value.to_string(),
            };
            Some((name.trim().to_ascii_lowercase(), value))
        })
        .collect();
    (first, params)
}

/// Drops RFC 5322 comments outside quoted strings.
pub(super) fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            if depth == 0 {
                out.push(c);
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// What is wrong with a boundary, if anything (RFC 2046 §5.1.1 `boundary`).
fn boundary_problem(b: &str) -> Option<String> {
    const SPECIALS: &str = "'()+_,-./:=? ";
    if b.is_empty() {
        return Some("the boundary parameter is empty".into());
    }
    if b.len() > 70 {
        return Some(format!(
            "the boundary is {} characters long; at most 70 are allowed",
            b.len()
        ));
    }
    if let Some(c) = b
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || SPECIALS.contains(*c)))
    {
        return Some(format!(
            "the boundary contains {c:?}, which is not allowed in a boundary"
        ));
    }
    if b.ends_with(' ') {
        return Some("the boundary ends in a space".into());
    }
    None
}

/// Where a line is a delimiter of `boundary`: `Some(true)` for the closing one.
fn delimiter(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, rest) = match rest.strip_prefix(b"--") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    // Transport padding (RFC 2046 §5.1.1) may follow.
    rest.iter()
        .all(|&b| b == b' ' || b == b'\t')
        .then_some(close)
}

#[allow(clippy::too_many_arguments)]
fn entity(
    raw: &[u8],
    start: usize,
    end: usize,
    first_line: u32,
    id: String,
    parent: Option<&str>,
    depth: usize,
    nested: bool,
    budget: &mut Budget,
) -> Entity {
    budget.left = budget.left.saturating_sub(1);
    let headers = header_block(raw, start, end, first_line);
    let default_type = if parent == Some("multipart/digest") {
        "message/rfc822"
    } else {
        "text/plain"
    };
    let (mut ctype, params) = match headers.get("Content-Type") {
        Some(f) => split_params(&f.text()),
        None => (default_type.to_string(), Vec::new()),
    };
    if !ctype.contains('/') {
        // RFC 2045 §5.2: an unreadable Content-Type means text/plain.
        ctype = "text/plain".into();
    }
    let encoding = headers
        .get("Content-Transfer-Encoding")
        .map(|f| strip_comments(&f.text()).trim().to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".into());
    let disposition = headers
        .get("Content-Disposition")
        .map(|f| split_params(&f.text()).0)
        .filter(|d| !d.is_empty());
    let content_id = headers.get("Content-ID").map(|f| {
        let v = strip_comments(&f.text());
        v.trim().trim_matches(['<', '>']).trim().to_string()
    });
    let mut e = Entity {
        body: (headers.body_start.min(end), end),
        body_line: headers.body_line,
        headers,
        id,
        ctype,
        params,
        encoding,
        disposition,
        content_id,
        children: Vec::new(),
        bad_boundary: None,
        unclosed: None,
        related: parent == Some("multipart/related"),
        nested,
    };
    let has_parts = e.is_multipart()
        || (matches!(e.ctype.as_str(), "message/rfc822" | "message/global")
            && !matches!(e.encoding.as_str(), "base64" | "quoted-printable"));
    if has_parts && depth >= MAX_PART_DEPTH {
        budget.too_deep.get_or_insert_with(|| cut_at(&e));
        return e;
    }
    if has_parts && budget.left == 0 {
        budget.too_many.get_or_insert_with(|| cut_at(&e));
        return e;
    }
    if e.is_multipart() {
        split_multipart(raw, &mut e, depth, nested, budget);
    } else if matches!(e.ctype.as_str(), "message/rfc822" | "message/global")
        && !matches!(e.encoding.as_str(), "base64" | "quoted-printable")
    {
        let (s, t) = e.body;
        let inner = entity(
            raw,
            s,
            t,
            e.body_line,
            format!("{}.1", e.id),
            None,
            depth + 1,
            true,
            budget,
        );
        e.children.push(inner);
    }
    e
}

fn cut_at(e: &Entity) -> Cut {
    Cut {
        id: e.id.clone(),
        line: e.at().line.unwrap_or(e.body_line),
    }
}

fn split_multipart(raw: &[u8], e: &mut Entity, depth: usize, nested: bool, budget: &mut Budget) {
    let Some(boundary) = e.param("boundary").map(str::to_string) else {
        e.bad_boundary = Some(format!("{} has no boundary parameter", e.ctype));
        return;
    };
    e.bad_boundary = boundary_problem(&boundary);
    if boundary.is_empty() {
        return;
    }
    let (start, end) = e.body;
    let body = &raw[..end];
    // (first byte of the part, its first line) of the part being read.
    let mut open: Option<(usize, u32)> = None;
    let mut prev: Option<Line> = None;
    let mut closed = false;
    let mut n = 0;
    for line in lines(body, start, e.body_line) {
        if let Some(close) = delimiter(line.bytes(body), boundary.as_bytes()) {
            if open.is_some() && budget.left == 0 {
                // Parts past the cap are not read at all (100 000 siblings).
                budget.too_many.get_or_insert_with(|| Cut {
                    id: format!("{}.{}", e.id, n + 1),
                    line: line.number,
                });
                return;
            }
            if let Some((s, first)) = open.take() {
                // The line ending before the delimiter belongs to it.
                let part_end = prev.map_or(s, |p| p.end).max(s);
                n += 1;
                e.children.push(entity(
                    raw,
                    s,
                    part_end,
                    first,
                    format!("{}.{n}", e.id),
                    Some(&e.ctype),
                    depth + 1,
                    nested,
                    budget,
                ));
            }
            if close {
                closed = true;
                break;
            }
            open = Some((line.next().min(end), line.number + 1));
        }
        prev = Some(line);
    }
    if let Some((s, first)) = open.filter(|_| budget.left > 0) {
        // Never closed: the last part runs to the end, as lenient readers take it.
        n += 1;
        e.children.push(entity(
            raw,
            s,
            end,
            first,
            format!("{}.{n}", e.id),
            Some(&e.ctype),
            depth + 1,
            nested,
            budget,
        ));
    }
    if !closed {
        e.unclosed = Some(n > 0);
    }
}

/// Known to the decoder we show mail with (mail-parser's, plus what it reads natively).
fn charset_known(charset: &str) -> bool {
    let c = charset.trim().trim_matches('"');
    let c = c.split_once('*').map_or(c, |(name, _)| name);
    matches!(
        c.to_ascii_lowercase().as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii"
    ) || mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()).is_some()
}

pub(super) fn charset_is_known(charset: &str) -> bool {
    charset_known(charset)
}

/// Boundaries, charsets and base64 wrapping, part by part.
pub(super) fn check(raw: &[u8], tree: &Tree, found: &mut Findings) {
    let at = |c: &Cut| LintLocation {
        header: None,
        line: Some(c.line),
        part: Some(c.id.clone()),
    };
    if let Some(c) = &tree.too_deep {
        found.add(
            "mime-too-deep",
            format!(
                "Part {} nests its parts deeper than {MAX_PART_DEPTH} levels; nothing below that depth was checked or is shown.",
                c.id
            ),
            at(c),
        );
    }
    if let Some(c) = &tree.too_many {
        found.add(
            "mime-too-many-parts",
            format!(
                "The message has more than {MAX_PARTS} MIME parts; from part {} on nothing was checked or is shown.",
                c.id
            ),
            at(c),
        );
    }
    for e in tree.all() {
        if let Some(problem) = &e.bad_boundary {
            let mut at = e.at();
            at.header = Some("Content-Type".into());
            if let Some(f) = e.headers.get("Content-Type") {
                at.line = Some(f.line);
            }
            found.add(
                "boundary-malformed",
                format!("Part {}: {problem}.", e.id),
                at,
            );
        }
        if let Some(any) = e.unclosed {
            let message = if any {
                format!(
                    "Part {} ({}): the closing --{}-- line never comes; the last part runs to the end of the message.",
                    e.id,
                    e.ctype,
                    e.param("boundary").unwrap_or("")
                )
            } else {
                format!(
                    "Part {} ({}): its boundary --{} never appears, so it has no parts.",
                    e.id,
                    e.ctype,
                    e.param("boundary").unwrap_or("")
                )
            };
            found.add("boundary-unclosed", message, e.at());
        }
        if let Some(cs) = e.param("charset") {
            if e.ctype.starts_with("text/") && !charset_known(cs) {
                let mut at = e.at();
                at.header = Some("Content-Type".into());
                found.add(
                    "charset-unknown",
                    format!(
                        "Part {} declares charset {cs:?}, which readers cannot decode.",
                        e.id
                    ),
                    at,
                );
            }
        }
        if e.ctype == "message/rfc822"
            && matches!(e.encoding.as_str(), "base64" | "quoted-printable")
        {
            let mut at = e.at();
            at.header = Some("Content-Transfer-Encoding".into());
            found.add(
                "message-part-encoded",
                format!(
                    "Part {} is a message/rfc822 in {}; only 7bit, 8bit or binary are allowed, so the message inside is not read.",
                    e.id, e.encoding
                ),
                at,
            );
        }
        if e.encoding == "base64" && e.children.is_empty() {
            let (s, t) = e.body;
            let body = &raw[..t];
            let long = lines(body, s, e.body_line)
                .find(|l| l.len() > BASE64_LINE && !trim(l.bytes(body)).is_empty());
            if let Some(first) = long {
                found.add(
                    "base64-line-length",
                    format!(
                        "Part {}: base64 line {} is {} characters long; the limit is {BASE64_LINE}.",
                        e.id,
                        first.number,
                        first.len()
                    ),
                    LintLocation {
                        header: None,
                        line: Some(first.number),
                        part: Some(e.id.clone()),
                    },
                );
            }
        }
    }
}
