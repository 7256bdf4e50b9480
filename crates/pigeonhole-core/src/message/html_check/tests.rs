use super::*;

fn found(html: &str) -> HashMap<&'static str, u32> {
    scan::scan(html).found
}

/// One snippet per feature that is not simply `<p style="PROPERTY: ...">`.
const SNIPPETS: &[(&str, &str)] = &[
    ("amp", "<html amp4email><body></body></html>"),
    ("html-abbr", "<abbr title=x>x</abbr>"),
    ("html-acronym", "<acronym>x</acronym>"),
    ("html-address", "<address>x</address>"),
    ("html-align", "<td align=center>"),
    ("html-anchor-links", "<a href=\"#top\">top</a>"),
    ("html-aria-describedby", "<p aria-describedby=x>"),
    ("html-aria-hidden", "<p aria-hidden=true>"),
    ("html-aria-label", "<p aria-label=x>"),
    ("html-aria-labelledby", "<p aria-labelledby=x>"),
    ("html-aria-live", "<p aria-live=polite>"),
    ("html-audio", "<audio src=a.mp3></audio>"),
    ("html-background", "<td background=bg.png>"),
    ("html-base", "<base href=https://x.test/>"),
    ("html-bdi", "<bdi>x</bdi>"),
    ("html-blockquote", "<blockquote>x</blockquote>"),
    ("html-body", "<body>x</body>"),
    ("html-button-reset", "<button type=reset>r</button>"),
    ("html-button-submit", "<button>go</button>"),
    ("html-cellpadding", "<table cellpadding=0>"),
    ("html-cellspacing", "<table cellspacing=0>"),
    ("html-code", "<code>x</code>"),
    ("html-comments", "<!-- hi -->"),
    ("html-del", "<del>x</del>"),
    ("html-dfn", "<dfn>x</dfn>"),
    ("html-dialog", "<dialog>x</dialog>"),
    ("html-dir", "<p dir=rtl>"),
    ("html-div", "<div>x</div>"),
    ("html-doctype", "<!doctype HTML><p>"),
    ("html-form", "<form><input name=q></form>"),
    ("html-h1-h6", "<h3>x</h3>"),
    ("html-height", "<img height=10>"),
    ("html-hidden", "<p hidden>"),
    ("html-hr", "<hr>"),
    ("html-image-maps", "<map name=m><area href=x></map>"),
    ("html-img", "<img src=x>"),
    ("html-input-checkbox", "<input type=checkbox>"),
    ("html-input-hidden", "<input type=\"hidden\" name=x>"),
    ("html-input-radio", "<input type=radio>"),
    ("html-input-reset", "<input type=reset>"),
    ("html-input-submit", "<input type=submit>"),
    ("html-input-text", "<input name=q>"),
    ("html-lang", "<html lang=en>"),
    (
        "html-link",
        "<link rel=stylesheet href=https://x.test/s.css>",
    ),
    ("html-lists", "<ul><li>x</ul>"),
    ("html-loading-attribute", "<img loading=lazy>"),
    ("html-mailto-links", "<a href=\"MAILTO:a@x.test\">m</a>"),
    ("html-marquee", "<marquee>x</marquee>"),
    (
        "html-meta-color-scheme",
        "<meta name=\"color-scheme\" content=\"light dark\">",
    ),
    ("html-meter", "<meter value=1>"),
    ("html-object", "<embed src=x.swf>"),
    ("html-p", "<p>x</p>"),
    ("html-picture", "<picture><img src=x></picture>"),
    ("html-popover", "<div popover>x</div>"),
    ("html-pre", "<pre>x</pre>"),
    ("html-progress", "<progress>"),
    ("html-required", "<input required>"),
    ("html-role", "<table role=presentation>"),
    ("html-rp", "<rp>(</rp>"),
    ("html-rt", "<rt>x</rt>"),
    ("html-ruby", "<ruby>x</ruby>"),
    ("html-select", "<select></select>"),
    ("html-semantics", "<section>x</section>"),
    ("html-small", "<small>x</small>"),
    ("html-span", "<span>x</span>"),
    ("html-srcset", "<img srcset=\"a.png 1x, b.png 2x\">"),
    ("html-strike", "<strike>x</strike>"),
    ("html-strong", "<strong>x</strong>"),
    ("html-style", "<style></style>"),
    ("html-svg", "<svg></svg>"),
    ("html-table", "<table></table>"),
    ("html-target", "<a href=https://x.test target=_blank>x</a>"),
    ("html-textarea", "<textarea><p>not a p</p></textarea>"),
    ("html-valign", "<td valign=top>"),
    ("html-video", "<video></video>"),
    ("html-wbr", "a<wbr>b"),
    ("html-width", "<table width=600>"),
    ("css-inert-attribute", "<div inert>x</div>"),
    ("image-apng", "<img src=a.APNG>"),
    ("image-avif", "<img src=\"a.avif?v=2\">"),
    ("image-base64", "<img src=\"data:image/gif;base64,R0lGOD\">"),
    ("image-bmp", "<img src=a.bmp>"),
    ("image-gif", "<img src=a.gif>"),
    ("image-hdr", "<img src=a.hdr>"),
    ("image-heif", "<img src=a.heic>"),
    ("image-ico", "<img src=a.ico>"),
    ("image-jpg", "<img src=a.jpeg>"),
    ("image-mp4", "<img src=a.mp4>"),
    ("image-png", "<img src=a.png#x>"),
    ("image-svg", "<img src=a.svg>"),
    ("image-tiff", "<img src=a.tif>"),
    ("image-webp", "<img src=https://x.test/a.webp>"),
    (
        "css-at-font-face",
        "<style>@font-face { font-family: X; src: url(x.woff2) }</style>",
    ),
    ("css-at-import", "<style>@import url(\"x.css\");</style>"),
    (
        "css-at-keyframes",
        "<style>@keyframes spin { from { opacity: 0 } }</style>",
    ),
    (
        "css-at-media",
        "<style>@media screen { p { color: red } }</style>",
    ),
    (
        "css-at-media-device-pixel-ratio",
        "<style>@media (-webkit-min-device-pixel-ratio: 2) {}</style>",
    ),
    (
        "css-at-media-hover",
        "<style>@media (hover: hover) {}</style>",
    ),
    (
        "css-at-media-orientation",
        "<style>@media (orientation: landscape) {}</style>",
    ),
    (
        "css-at-media-prefers-color-scheme",
        "<style>@media (prefers-color-scheme: dark) {}</style>",
    ),
    (
        "css-at-media-prefers-reduced-motion",
        "<style>@media (prefers-reduced-motion) {}</style>",
    ),
    (
        "css-at-supports",
        "<style>@supports (display: grid) { p { display: grid } }</style>",
    ),
    ("css-comments", "<style>/* note */ p { color: red }</style>"),
    (
        "css-nesting",
        "<style>.card { color: red; & a { color: blue } }</style>",
    ),
    ("css-display-flex", "<div style=\"display: inline-flex\">"),
    ("css-display-grid", "<div style=\"display:grid\">"),
    (
        "css-display-none",
        "<div style=\"DISPLAY: none !important\">",
    ),
    ("css-important", "<p style=\"color: red !important\">"),
    (
        "css-variables",
        "<style>:root { --brand: red } p { color: var(--brand) }</style>",
    ),
    (
        "css-function-clamp",
        "<p style=\"font-size: clamp(1rem, 2vw, 2rem)\">",
    ),
    (
        "css-function-light-dark",
        "<p style=\"color: light-dark(#000, #fff)\">",
    ),
    ("css-function-max", "<p style=\"width: max(50%, 300px)\">"),
    ("css-function-min", "<p style=\"width: min(100%, 600px)\">"),
    ("css-unit-calc", "<p style=\"width: calc(100% - 20px)\">"),
    ("css-rgb", "<p style=\"color: rgb(0 0 0)\">"),
    ("css-rgba", "<p style=\"color: rgba(0,0,0,.5)\">"),
    (
        "css-linear-gradient",
        "<p style=\"background-image: -webkit-linear-gradient(red, blue)\">",
    ),
    (
        "css-radial-gradient",
        "<p style=\"background: radial-gradient(red, blue)\">",
    ),
    (
        "css-conic-gradient",
        "<p style=\"background: conic-gradient(red, blue)\">",
    ),
    (
        "css-modern-color",
        "<p style=\"color: oklch(70% 0.1 200)\">",
    ),
    (
        "css-sytem-ui",
        "<p style=\"font-family: system-ui, sans-serif\">",
    ),
    ("css-intrinsic-size", "<p style=\"width: fit-content\">"),
    ("css-unit-initial", "<p style=\"color: initial\">"),
    ("css-unit-ch", "<p style=\"width: 40ch\">"),
    ("css-unit-cm", "<p style=\"width: 2cm\">"),
    ("css-unit-em", "<p style=\"margin: 1.5em\">"),
    ("css-unit-ex", "<p style=\"margin: 1ex\">"),
    ("css-unit-in", "<p style=\"width: 1in\">"),
    ("css-unit-mm", "<p style=\"width: 10mm\">"),
    ("css-unit-pc", "<p style=\"width: 1pc\">"),
    ("css-unit-percent", "<p style=\"width: 100%\">"),
    ("css-unit-pt", "<p style=\"font-size: 12pt\">"),
    ("css-unit-px", "<p style=\"padding: 0 10px\">"),
    ("css-unit-rem", "<p style=\"padding: .5rem\">"),
    ("css-unit-vh", "<p style=\"height: 100vh\">"),
    ("css-unit-vmax", "<p style=\"height: 10vmax\">"),
    ("css-unit-vmin", "<p style=\"height: 10vmin\">"),
    ("css-unit-vw", "<p style=\"width: 50vw\">"),
    ("css-animation", "<p style=\"animation-name: spin\">"),
    ("css-transition", "<p style=\"transition-duration: 1s\">"),
    ("css-scroll-snap", "<p style=\"scroll-snap-type: x\">"),
    ("css-inset", "<p style=\"inset-inline-start: 0\">"),
    ("css-block-inline-size", "<p style=\"block-size: 10px\">"),
    (
        "css-column-layout-properties",
        "<p style=\"column-gap: 1em\">",
    ),
    (
        "css-border-inline-block",
        "<p style=\"border-block: 1px solid\">",
    ),
    (
        "css-border-inline-block-individual",
        "<p style=\"border-inline-start: 1px solid\">",
    ),
    (
        "css-border-inline-block-longhand",
        "<p style=\"border-block-end-color: red\">",
    ),
    (
        "css-border-radius-logical",
        "<p style=\"border-start-end-radius: 4px\">",
    ),
    (
        "css-left-right-top-bottom",
        "<p style=\"position: relative; top: 2px\">",
    ),
    (
        "css-margin-block-start-end",
        "<p style=\"margin-block-start: 0\">",
    ),
    (
        "css-margin-inline-block",
        "<p style=\"margin-inline: auto\">",
    ),
    (
        "css-margin-inline-start-end",
        "<p style=\"margin-inline-end: 0\">",
    ),
    (
        "css-padding-block-start-end",
        "<p style=\"padding-block-end: 0\">",
    ),
    ("css-padding-inline-block", "<p style=\"padding-block: 0\">"),
    (
        "css-padding-inline-start-end",
        "<p style=\"padding-inline-start: 0\">",
    ),
    (
        "css-grid-template",
        "<p style=\"grid-template-columns: 1fr 1fr\">",
    ),
    ("css-mask-image", "<p style=\"-webkit-mask-image: none\">"),
    ("css-word-wrap", "<p style=\"word-wrap: break-word\">"),
    (
        "css-selector-adjacent-sibling",
        "<style>h1 + p { margin: 0 }</style>",
    ),
    (
        "css-selector-attribute",
        "<style>a[href^=\"https\"] { color: red }</style>",
    ),
    (
        "css-selector-chaining",
        "<style>.a.b { color: red }</style>",
    ),
    ("css-selector-child", "<style>td > p { color: red }</style>"),
    ("css-selector-class", "<style>.btn { color: red }</style>"),
    (
        "css-selector-descendant",
        "<style>table p { color: red }</style>",
    ),
    (
        "css-selector-general-sibling",
        "<style>h1 ~ p { color: red }</style>",
    ),
    (
        "css-selector-grouping",
        "<style>h1, h2 { color: red }</style>",
    ),
    ("css-selector-id", "<style>#main { color: red }</style>"),
    ("css-selector-type", "<style>p { color: red }</style>"),
    (
        "css-selector-universal",
        "<style>* { box-sizing: border-box }</style>",
    ),
    (
        "css-pseudo-element-before",
        "<style>p:before { content: \"x\" }</style>",
    ),
    (
        "css-pseudo-element-placeholder",
        "<style>input::placeholder { color: red }</style>",
    ),
    (
        "css-pseudo-class-not",
        "<style>p:not(.x) { color: red }</style>",
    ),
    (
        "css-pseudo-class-nth-child",
        "<style>tr:nth-child(2n) { color: red }</style>",
    ),
];

/// Features that a message's HTML cannot show, with the reason.
const NOT_IN_HTML: &[(&str, &str)] = &[("bimi", "a DNS record and a header, not HTML")];

#[test]
fn every_caniemail_feature_is_detected_by_its_snippet_or_as_a_property() {
    let d = data::data();
    let mut missing = Vec::new();
    for f in &d.features {
        if NOT_IN_HTML.iter().any(|(s, _)| *s == f.slug) {
            continue;
        }
        let snippet = match SNIPPETS.iter().find(|(s, _)| *s == f.slug) {
            Some((_, html)) => html.to_string(),
            None => match f.slug.strip_prefix("css-pseudo-class-") {
                Some(p) => format!("<style>a:{p} {{ color: red }}</style>"),
                None => match f.slug.strip_prefix("css-pseudo-element-") {
                    Some(p) => format!("<style>p::{p} {{ color: red }}</style>"),
                    None => match f.slug.strip_prefix("css-") {
                        Some(p) => format!("<p style=\"{p}: 1px\">x</p>"),
                        None => {
                            missing.push(format!("{} (no snippet)", f.slug));
                            continue;
                        }
                    },
                },
            },
        };
        if !found(&snippet).contains_key(f.slug.as_str()) {
            missing.push(format!("{} from {snippet}", f.slug));
        }
    }
    assert!(missing.is_empty(), "features not detected: {missing:#?}");
}

#[test]
fn snippets_name_only_features_in_the_data() {
    let d = data::data();
    for (slug, _) in SNIPPETS {
        assert!(d.feature(slug).is_some(), "{slug} is not a caniemail slug");
    }
}

#[test]
fn plain_text_in_a_page_uses_no_feature_it_does_not_have() {
    let f = found("<p>Use display:flex and <b>calc(1px)</b> if you like; 10px 50% #fff</p>");
    assert_eq!(
        f.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from(["html-p"]),
        "text content is not CSS"
    );
}

#[test]
fn css_inside_strings_and_urls_does_not_split_declarations() {
    let f = found(
        r#"<p style="background: url('a;b:c.png'); font: 'a;display:flex'; font-weight: 700">"#,
    );
    assert!(f.contains_key("css-background"), "background read: {f:?}");
    assert!(
        f.contains_key("css-font"),
        "the declaration with the string is read"
    );
    assert!(
        f.contains_key("css-font-weight"),
        "the declaration after the string is read"
    );
    assert!(!f.contains_key("css-display"), "no display inside a string");
}

#[test]
fn hex_colours_and_selectors_are_not_units() {
    let f = found("<style>h1 { color: #10ffff } .x2em { top: 0 }</style>");
    assert!(
        !f.contains_key("css-unit-em"),
        "x2em is a class name: {f:?}"
    );
    assert!(!f.contains_key("css-unit-ex"), "#10ffff is a colour");
}

#[test]
fn script_counts_except_json_data_blocks() {
    let f = found(
        "<script>alert(1)</script><script type=\"application/ld+json\">{}</script>\
         <script>x</script>",
    );
    assert_eq!(f.get(scan::SCRIPT), Some(&2), "two real scripts");
}

#[test]
fn raw_text_is_not_read_as_markup() {
    let f = found("<textarea><table><svg></textarea><title><video></title>");
    assert!(!f.contains_key("html-table") && !f.contains_key("html-svg"));
    assert!(!f.contains_key("html-video"));
}

#[test]
fn nodes_count_elements_without_html_head_and_meta() {
    let u = scan::scan("<!doctype html><html><head><meta charset=utf-8><title>t</title></head><body><p>a</p><p>b</p></body></html>");
    assert_eq!(u.nodes, 4, "title, body and two p");
}

#[test]
fn resources_are_the_http_images_styles_and_backgrounds() {
    let r = resources(
        "<link rel=stylesheet href=https://x.test/s.css><link rel=icon href=https://x.test/i.ico>\
         <img src=\"https://x.test/a.png\"><img src=cid:logo><td background=http://x.test/bg.gif>",
    );
    assert_eq!(
        r,
        vec![
            "https://x.test/s.css".to_string(),
            "https://x.test/a.png".to_string(),
            "http://x.test/bg.gif".to_string()
        ]
    );
}

#[test]
fn a_feature_scores_every_tested_client_version_and_counts_clients_by_their_newest() {
    let c = check("<div style=\"display:flex\">x</div>");
    let flex = c
        .features
        .iter()
        .find(|f| f.slug == "css-display-flex")
        .expect("flex is reported");
    assert_eq!(flex.found, 1);
    let sum = flex.score.supported + flex.score.partial + flex.score.unsupported;
    assert!(
        (sum - 100.0).abs() < 0.1,
        "the score adds up to 100, not {sum}"
    );
    assert!(
        flex.score.unsupported > 0.0,
        "Outlook on Windows has no flex"
    );
    let outlook_2019 = flex
        .results
        .iter()
        .find(|r| r.family == "outlook" && r.platform == "windows" && r.version == "2019")
        .expect("Outlook 2019 was tested");
    assert_eq!(outlook_2019.support, Support::No);
    assert!(
        outlook_2019.latest,
        "2019 is the newest Outlook for Windows tested"
    );
    assert!(
        outlook_2019.name.starts_with("Outlook Windows"),
        "{}",
        outlook_2019.name
    );
    let old = flex
        .results
        .iter()
        .find(|r| r.family == "outlook" && r.platform == "windows" && r.version == "2007")
        .expect("2007 too");
    assert!(!old.latest);
    assert!(flex.unsupported_clients >= 1, "at least Outlook Windows");
    assert!(
        (flex.unsupported_clients as usize)
            < flex
                .results
                .iter()
                .filter(|r| r.support == Support::No)
                .count(),
        "old versions are not counted as clients"
    );
    assert!(
        flex.results.first().map(|r| r.support) == Some(Support::No),
        "results are worst first"
    );
}

#[test]
fn partial_results_keep_their_notes() {
    let c = check("<div style=\"display:flex\">x</div>");
    let flex = c
        .features
        .iter()
        .find(|f| f.slug == "css-display-flex")
        .unwrap();
    let gmail = flex
        .results
        .iter()
        .find(|r| r.family == "gmail" && r.platform == "ios" && r.support == Support::Partial)
        .expect("Gmail iOS is partial for flex");
    assert!(!gmail.notes.is_empty(), "a partial result names its note");
    for n in &gmail.notes {
        assert!(
            flex.notes.contains_key(n),
            "note {n} is in the feature's notes"
        );
    }
}

#[test]
fn the_total_follows_mailpit_weighting_by_share_of_the_document() {
    // One unsupported feature on 1 of 2 nodes: half its unsupported share.
    let one = check("<div style=\"display:flex\">x</div><div>y</div>");
    let flex = one
        .features
        .iter()
        .find(|f| f.slug == "css-display-flex")
        .unwrap();
    let want = flex.score.unsupported * 1.0 / 2.0;
    assert!(
        (one.total.unsupported - want).abs() < 0.02 || one.total.unsupported > want,
        "the worst weighted feature sets the total: {} vs flex {want}",
        one.total.unsupported
    );
    let sum = one.total.supported + one.total.partial + one.total.unsupported;
    assert!((sum - 100.0).abs() < 0.05, "total adds up to 100: {sum}");
    assert_eq!(one.total.nodes, 2);
    assert!(one.total.tests > 300);
    let plain = check("<p>hello</p>");
    assert!(
        plain.total.supported > one.total.supported,
        "flex costs score"
    );
}

#[test]
fn script_is_reported_as_unsupported_everywhere() {
    let c = check("<p>x</p><script>alert(1)</script>");
    let s = c.features.first().expect("script sorts first");
    assert_eq!(s.slug, "html-script");
    assert_eq!(s.score.unsupported, 100.0);
}

#[test]
fn platforms_list_the_families_tested_on_each() {
    let c = check("<p>x</p>");
    let ios = c.platforms.get("ios").expect("iOS is a platform");
    assert!(ios.contains(&"Gmail".to_string()) && ios.contains(&"Apple Mail".to_string()));
    let mut sorted = ios.clone();
    sorted.sort();
    assert_eq!(&sorted, ios, "families are sorted");
    assert!(
        c.data_version.contains("caniemail 2."),
        "{}",
        c.data_version
    );
}

#[test]
fn hostile_input_never_panics() {
    for html in [
        "<",
        "<!",
        "<!-",
        "<a href=",
        "<a href='",
        "<p style=\"",
        "<style>",
        "<style>@media",
        "<style>a{",
        "<style>a{b:c",
        "<style>}}}{{{",
        "<style>@import",
        "<p style=\"a:(((\">",
        "<style>é:nth-child(ä{}</style>",
        "<p style=\"width:1é\">",
        "<style>/*",
        "<!doctype",
        "<script>",
        "<img src=data:image/",
        "<img src=.",
        "<style>:",
        "<style>::",
        "<style>@keyframes x { from {",
        "<p style=\"--:;:;\">",
    ] {
        let _ = check(html);
    }
    let deep = "<style>".to_string() + &"a{".repeat(10_000) + "</style>";
    let _ = check(&deep);
}

#[test]
fn every_slug_in_the_detection_tables_is_in_the_data() {
    let d = data::data();
    let tables: [&[(&str, &str)]; 8] = [
        css::PROPERTY_GROUPS,
        css::PROPERTY_PREFIXES,
        css::FUNCTIONS,
        css::UNITS,
        css::MEDIA_FEATURES,
        scan::ELEMENTS,
        scan::ATTRIBUTES,
        scan::IMAGE_EXTENSIONS,
    ];
    for table in tables {
        for (key, slug) in table {
            assert!(
                d.feature(slug).is_some(),
                "{key} maps to {slug}, which caniemail does not have"
            );
        }
    }
}

#[test]
fn a_multibyte_character_where_a_keyword_ends_does_not_panic() {
    // Found by the ingest fuzz target: `<!DOCTY` followed by U+FFFD used to panic when the
    // check sliced the declaration at byte 7; the same held for `mailto:` and `data:image/`.
    for html in [
        "<!DOCTY\u{FFFD}\u{FFFD}PE html><p>x</p>",
        "<a href=\"mailt\u{e9}:x\">a</a>",
        "<img src=\"data:imag\u{e9}/png;base64,AAAA\">",
    ] {
        let f = found(html);
        assert!(
            !f.contains_key("html-doctype") && !f.contains_key("html-mailto-links"),
            "{html:?} names no doctype and no mailto link: {f:?}"
        );
    }
    assert!(
        found("<!doctype HTML><p>x</p>").contains_key("html-doctype"),
        "the doctype is still found in any case"
    );
}

#[test]
fn a_feature_worked_out_once_still_counts_each_document_on_its_own() {
    let flex = |html: &str| {
        let c = check(html);
        let f = c
            .features
            .into_iter()
            .find(|f| f.slug == "css-display-flex")
            .expect("display:flex is found");
        (f.found, f.results.len(), c.platforms.len())
    };
    let once = flex("<div style=\"display:flex\">x</div>");
    let thrice = flex(&"<div style=\"display:flex\">x</div>".repeat(3));
    let again = flex("<div style=\"display:flex\">x</div>");
    assert_eq!((once.0, thrice.0, again.0), (1, 3, 1));
    assert_eq!(
        once.1, thrice.1,
        "the client results are the same data each time"
    );
    assert!(
        once.1 > 10 && once.2 > 3,
        "results and platforms are filled: {once:?}"
    );
    assert_eq!(once, again);
}
