//! Which caniemail CSS features a style sheet or a `style=` attribute uses: properties,
//! values, functions, units, at-rules, media features, selectors and pseudo-classes.
//!
//! A tolerant reader, not a validator: it splits rules, blocks and declarations at the
//! right depth (quotes, parentheses and comments respected), so `url(a;b)` or a `;` in a
//! string does not end a declaration, and whatever it cannot read it skips. Linear in the
//! input.

use super::scan::Usage;

/// Properties that caniemail tests as one feature under another name.
pub(super) const PROPERTY_GROUPS: &[(&str, &str)] = &[
    ("block-size", "css-block-inline-size"),
    ("columns", "css-column-layout-properties"),
    ("column-fill", "css-column-layout-properties"),
    ("column-gap", "css-column-layout-properties"),
    ("column-rule", "css-column-layout-properties"),
    ("column-rule-color", "css-column-layout-properties"),
    ("column-rule-style", "css-column-layout-properties"),
    ("column-rule-width", "css-column-layout-properties"),
    ("column-span", "css-column-layout-properties"),
    ("column-width", "css-column-layout-properties"),
    ("border-inline", "css-border-inline-block"),
    ("border-block", "css-border-inline-block"),
    ("border-start-start-radius", "css-border-radius-logical"),
    ("border-start-end-radius", "css-border-radius-logical"),
    ("border-end-start-radius", "css-border-radius-logical"),
    ("border-end-end-radius", "css-border-radius-logical"),
    ("left", "css-left-right-top-bottom"),
    ("right", "css-left-right-top-bottom"),
    ("top", "css-left-right-top-bottom"),
    ("bottom", "css-left-right-top-bottom"),
    ("margin-inline", "css-margin-inline-block"),
    ("margin-block", "css-margin-inline-block"),
    ("padding-inline", "css-padding-inline-block"),
    ("padding-block", "css-padding-inline-block"),
    ("margin-block-start", "css-margin-block-start-end"),
    ("margin-block-end", "css-margin-block-start-end"),
    ("margin-inline-start", "css-margin-inline-start-end"),
    ("margin-inline-end", "css-margin-inline-start-end"),
    ("padding-block-start", "css-padding-block-start-end"),
    ("padding-block-end", "css-padding-block-start-end"),
    ("padding-inline-start", "css-padding-inline-start-end"),
    ("padding-inline-end", "css-padding-inline-start-end"),
    ("grid-template-areas", "css-grid-template"),
    ("grid-template-columns", "css-grid-template"),
    ("grid-template-rows", "css-grid-template"),
    ("text-wrap-mode", "css-text-wrap"),
    ("text-wrap-style", "css-text-wrap"),
    ("word-wrap", "css-word-wrap"),
];

/// Prefixes that name a whole family of properties ("animation-name", "scroll-snap-type").
pub(super) const PROPERTY_PREFIXES: &[(&str, &str)] = &[
    ("animation-", "css-animation"),
    ("transition-", "css-transition"),
    ("scroll-snap-", "css-scroll-snap"),
    ("inset-", "css-inset"),
];

/// Value functions, matched before a '('.
pub(super) const FUNCTIONS: &[(&str, &str)] = &[
    ("calc", "css-unit-calc"),
    ("clamp", "css-function-clamp"),
    ("max", "css-function-max"),
    ("min", "css-function-min"),
    ("light-dark", "css-function-light-dark"),
    ("var", "css-variables"),
    ("rgb", "css-rgb"),
    ("rgba", "css-rgba"),
    ("linear-gradient", "css-linear-gradient"),
    ("repeating-linear-gradient", "css-linear-gradient"),
    ("radial-gradient", "css-radial-gradient"),
    ("repeating-radial-gradient", "css-radial-gradient"),
    ("conic-gradient", "css-conic-gradient"),
    ("repeating-conic-gradient", "css-conic-gradient"),
    ("lab", "css-modern-color"),
    ("lch", "css-modern-color"),
    ("oklab", "css-modern-color"),
    ("oklch", "css-modern-color"),
];

/// Units after a number.
pub(super) const UNITS: &[(&str, &str)] = &[
    ("px", "css-unit-px"),
    ("em", "css-unit-em"),
    ("rem", "css-unit-rem"),
    ("ex", "css-unit-ex"),
    ("ch", "css-unit-ch"),
    ("cm", "css-unit-cm"),
    ("mm", "css-unit-mm"),
    ("in", "css-unit-in"),
    ("pc", "css-unit-pc"),
    ("pt", "css-unit-pt"),
    ("vh", "css-unit-vh"),
    ("vw", "css-unit-vw"),
    ("vmin", "css-unit-vmin"),
    ("vmax", "css-unit-vmax"),
    ("%", "css-unit-percent"),
];

/// Media features inside `@media (...)`.
pub(super) const MEDIA_FEATURES: &[(&str, &str)] = &[
    ("prefers-color-scheme", "css-at-media-prefers-color-scheme"),
    (
        "prefers-reduced-motion",
        "css-at-media-prefers-reduced-motion",
    ),
    ("device-pixel-ratio", "css-at-media-device-pixel-ratio"),
    ("orientation", "css-at-media-orientation"),
    ("hover", "css-at-media-hover"),
];

/// The keywords `css-sytem-ui` (sic, caniemail's slug) covers.
const SYSTEM_FONTS: &[&str] = &[
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-rounded",
    "ui-monospace",
];

/// A `style="..."` attribute: declarations only.
pub fn inline(style: &str, usage: &mut Usage) {
    let style = strip_comments(style, usage);
    declarations(&style, usage);
}

/// A `<style>` element's text.
pub fn sheet(css: &str, usage: &mut Usage) {
    let css = strip_comments(css, usage);
    rules(&css, usage, 0);
}

/// Rules until the end of `css`: at-rules and qualified rules with their blocks.
fn rules(css: &str, usage: &mut Usage, depth: u32) {
    let b = css.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A prelude runs to '{' or ';' at depth 0.
        let start = i;
        let Some((end, stop)) = find_top(css, i, b"{;") else {
            break;
        };
        let prelude = css[start..end].trim();
        if stop == b';' {
            if let Some(at) = prelude.strip_prefix('@') {
                at_rule(at, None, usage, depth);
            }
            i = end + 1;
            continue;
        }
        let close = block_end(css, end + 1);
        let block = &css[end + 1..close.min(css.len())];
        i = close + 1;
        if let Some(at) = prelude.strip_prefix('@') {
            at_rule(at, Some(block), usage, depth);
        } else if !prelude.is_empty() {
            selectors(prelude, usage);
            style_block(block, usage, depth);
        }
    }
}

/// A rule's `{...}`: declarations, and nested rules (CSS nesting) when there are any.
fn style_block(block: &str, usage: &mut Usage, depth: u32) {
    if find_top(block, 0, b"{").is_some() && depth < 8 {
        usage.hit("css-nesting");
        // The declarations before, between and after the nested rules.
        let mut flat = String::new();
        let b = block.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match find_top(block, i, b"{;") {
                Some((end, b';')) => {
                    flat.push_str(&block[i..=end]);
                    i = end + 1;
                }
                Some((end, _)) => {
                    let close = block_end(block, end + 1);
                    let inner = &block[end + 1..close.min(block.len())];
                    let prelude = block[i..end].trim();
                    if let Some(at) = prelude.strip_prefix('@') {
                        at_rule(at, Some(inner), usage, depth + 1);
                    } else {
                        selectors(prelude.trim_start_matches('&'), usage);
                        style_block(inner, usage, depth + 1);
                    }
                    i = close + 1;
                }
                None => {
                    flat.push_str(&block[i..]);
                    break;
                }
            }
        }
        declarations(&flat, usage);
    } else {
        declarations(block, usage);
    }
}

fn at_rule(at: &str, block: Option<&str>, usage: &mut Usage, depth: u32) {
    let name_end = at
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(at.len());
    let name = at[..name_end].to_ascii_lowercase();
    let prelude = at[name_end..].to_ascii_lowercase();
    match name.as_str() {
        "media" => {
            usage.hit("css-at-media");
            for (feature, slug) in MEDIA_FEATURES {
                if prelude.contains(feature) {
                    usage.hit(slug);
                }
            }
            if let Some(block) = block.filter(|_| depth < 8) {
                rules(block, usage, depth + 1);
            }
        }
        "supports" => {
            usage.hit("css-at-supports");
            if let Some(block) = block.filter(|_| depth < 8) {
                rules(block, usage, depth + 1);
            }
        }
        "import" => usage.hit("css-at-import"),
        "font-face" => {
            usage.hit("css-at-font-face");
            if let Some(block) = block {
                declarations(block, usage);
            }
        }
        "keyframes" | "-webkit-keyframes" => {
            usage.hit("css-at-keyframes");
            // `from {...} 50% {...}`: declarations inside, no selectors.
            if let Some(block) = block {
                let mut i = 0;
                while let Some((end, _)) = find_top(block, i, b"{") {
                    let close = block_end(block, end + 1);
                    declarations(&block[end + 1..close.min(block.len())], usage);
                    i = close + 1;
                }
            }
        }
        _ => {
            if let Some(block) = block {
                declarations(block, usage);
            }
        }
    }
}

/// `a, .b > c:hover` and so on: combinators, simple selectors and pseudo-classes.
fn selectors(list: &str, usage: &mut Usage) {
    let parts = split_top(list, b',');
    if parts.len() > 1 {
        usage.hit("css-selector-grouping");
    }
    for sel in parts {
        selector(sel.trim(), usage);
    }
}

fn selector(sel: &str, usage: &mut Usage) {
    let b = sel.as_bytes();
    let mut i = 0;
    // Simple selectors (type, class, id, attribute, universal) in the current compound.
    let mut in_compound = 0;
    let mut gap = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                gap = true;
                i += 1;
                continue;
            }
            b'>' | b'+' | b'~' => {
                usage.hit(match c {
                    b'>' => "css-selector-child",
                    b'+' => "css-selector-adjacent-sibling",
                    _ => "css-selector-general-sibling",
                });
                in_compound = 0;
                gap = false;
                i += 1;
                continue;
            }
            _ => {}
        }
        if gap && in_compound > 0 {
            usage.hit("css-selector-descendant");
            in_compound = 0;
        }
        gap = false;
        match c {
            b'.' | b'#' => {
                usage.hit(if c == b'.' {
                    "css-selector-class"
                } else {
                    "css-selector-id"
                });
                i = ident_end(b, i + 1);
                in_compound += 1;
            }
            b'[' => {
                usage.hit("css-selector-attribute");
                i = b[i..]
                    .iter()
                    .position(|&x| x == b']')
                    .map_or(b.len(), |k| i + k + 1);
                in_compound += 1;
            }
            b'*' => {
                usage.hit("css-selector-universal");
                i += 1;
                in_compound += 1;
            }
            b':' => {
                let element = b.get(i + 1) == Some(&b':');
                let from = if element { i + 2 } else { i + 1 };
                let end = ident_end(b, from);
                let name = sel[from..end].to_ascii_lowercase();
                pseudo(&name, element, usage);
                i = end;
                if b.get(i) == Some(&b'(') {
                    i = paren_end(sel, i + 1) + 1;
                }
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c == b'-' || c >= 0x80 => {
                usage.hit("css-selector-type");
                i = ident_end(b, i);
                in_compound += 1;
            }
            _ => i += 1,
        }
        if in_compound == 2 {
            usage.hit("css-selector-chaining");
        }
    }
}

fn pseudo(name: &str, element: bool, usage: &mut Usage) {
    if name.is_empty() {
        return;
    }
    let class = format!("css-pseudo-class-{name}");
    let elem = format!("css-pseudo-element-{name}");
    // `:before` is the old spelling of `::before`; `::x` is never a class.
    if !element && usage.hit_if_known(&class) {
        return;
    }
    usage.hit_if_known(&elem);
}

/// `prop: value; ...`.
fn declarations(block: &str, usage: &mut Usage) {
    for decl in split_top(block, b';') {
        let Some(colon) = decl.find(':') else {
            continue;
        };
        let prop = decl[..colon].trim().to_ascii_lowercase();
        let mut value = decl[colon + 1..].trim().to_ascii_lowercase();
        if prop.is_empty() {
            continue;
        }
        if let Some(bang) = value.find("!important") {
            usage.hit("css-important");
            value.truncate(bang);
        }
        declaration(&prop, value.trim(), usage);
    }
}

fn declaration(prop: &str, value: &str, usage: &mut Usage) {
    if prop.starts_with("--") {
        usage.hit("css-variables");
    } else {
        property(prop, usage);
    }
    if prop == "display" {
        let v = value.trim();
        match v {
            "flex" | "inline-flex" => usage.hit("css-display-flex"),
            "grid" | "inline-grid" => usage.hit("css-display-grid"),
            "none" => usage.hit("css-display-none"),
            _ => {}
        }
    }
    if (prop == "font-family" || prop == "font") && SYSTEM_FONTS.iter().any(|f| value.contains(f)) {
        usage.hit("css-sytem-ui");
    }
    if ["fit-content", "min-content", "max-content"]
        .iter()
        .any(|k| value.contains(k))
    {
        usage.hit("css-intrinsic-size");
    }
    value_tokens(value, usage);
}

fn property(prop: &str, usage: &mut Usage) {
    let bare = strip_vendor(prop);
    for p in [prop, bare] {
        if let Some((_, slug)) = PROPERTY_GROUPS.iter().find(|(name, _)| *name == p) {
            usage.hit(slug);
            return;
        }
        if let Some((_, slug)) = PROPERTY_PREFIXES.iter().find(|(pre, _)| p.starts_with(pre)) {
            usage.hit(slug);
            return;
        }
        if usage.hit_if_known(&format!("css-{p}")) {
            return;
        }
        // Logical border longhands and individual properties.
        if p.starts_with("border-inline-") || p.starts_with("border-block-") {
            let parts = p.split('-').count();
            usage.hit(if parts >= 4 {
                "css-border-inline-block-longhand"
            } else {
                "css-border-inline-block-individual"
            });
            return;
        }
    }
}

/// Functions, units and keywords in a value.
fn value_tokens(value: &str, usage: &mut Usage) {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            i = b[i + 1..]
                .iter()
                .position(|&x| x == c)
                .map_or(b.len(), |k| i + 1 + k + 1);
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            // A number glued to a word or a hex colour is no number ("#0f0", "h1").
            let glued = i > 0
                && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'#' | b'-' | b'_'))
                && !(b[i - 1] == b'-' && (i < 2 || !b[i - 2].is_ascii_alphanumeric()));
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let unit_end = if b.get(j) == Some(&b'%') {
                j + 1
            } else {
                ident_end(b, j)
            };
            if !glued && unit_end > j {
                let unit = &value[j..unit_end];
                if let Some((_, slug)) = UNITS.iter().find(|(u, _)| *u == unit) {
                    usage.hit(slug);
                }
            }
            i = unit_end.max(j).max(i + 1);
        } else if c.is_ascii_alphabetic() || c == b'-' {
            let end = ident_end(b, i);
            let word = &value[i..end];
            if b.get(end) == Some(&b'(') {
                if let Some((_, slug)) = FUNCTIONS.iter().find(|(f, _)| *f == strip_vendor(word)) {
                    usage.hit(slug);
                } else if word == "color" {
                    usage.hit("css-modern-color");
                }
            } else if word == "initial" {
                usage.hit("css-unit-initial");
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

fn strip_vendor(p: &str) -> &str {
    for v in ["-webkit-", "-moz-", "-ms-", "-o-"] {
        if let Some(rest) = p.strip_prefix(v) {
            return rest;
        }
    }
    p
}

/// The CSS with its comments removed (each counted), strings kept.
fn strip_comments(css: &str, usage: &mut Usage) -> String {
    if !css.contains("/*") {
        return css.to_string();
    }
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(k) = rest.find("/*") {
        out.push_str(&rest[..k]);
        usage.hit("css-comments");
        match rest[k + 2..].find("*/") {
            Some(e) => rest = &rest[k + 2 + e + 2..],
            None => {
                rest = "";
            }
        }
        out.push(' ');
    }
    out.push_str(rest);
    out
}

fn ident_end(b: &[u8], from: usize) -> usize {
    let mut j = from;
    while j < b.len()
        && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'-' | b'_') || b[j] >= 0x80)
    {
        j += 1;
    }
    j
}

/// The first byte of `stops` at depth 0 from `from` (outside quotes and parentheses).
fn find_top(s: &str, from: usize, stops: &[u8]) -> Option<(usize, u8)> {
    let b = s.as_bytes();
    let mut i = from;
    let mut paren = 0u32;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' => {
                i = b[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .map_or(b.len(), |k| i + 1 + k);
            }
            b'\\' => i += 1,
            b'(' => paren += 1,
            b')' => paren = paren.saturating_sub(1),
            _ if paren == 0 && stops.contains(&c) => return Some((i, c)),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the '}' closing a block whose content starts at `from` (or the length).
fn block_end(s: &str, from: usize) -> usize {
    let b = s.as_bytes();
    let mut depth = 1u32;
    let mut i = from;
    while let Some((at, c)) = find_top(s, i, b"{}") {
        if c == b'{' {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return at;
            }
        }
        i = at + 1;
    }
    b.len()
}

/// The index of the ')' closing a '(' whose content starts at `from`.
fn paren_end(s: &str, from: usize) -> usize {
    let b = s.as_bytes();
    let mut depth = 1u32;
    for (k, &c) in b[from..].iter().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return from + k;
                }
            }
            _ => {}
        }
    }
    b.len()
}

/// `s` split at `sep` outside quotes, parentheses and brackets.
fn split_top(s: &str, sep: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut depth = 0u32;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' => {
                i = b[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .map_or(b.len(), |k| i + 1 + k);
            }
            b'\\' => i += 1,
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            _ if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}
