//! What the search index holds for a message, and the one tokenisation both the indexer and
//! the query compiler use, so a query's words are cut exactly as the index cut them.
//!
//! The index is SQLite FTS5 with the `unicode61` tokenizer. Two things are added on top:
//!
//! - Chinese, Japanese and Korean text has no spaces between words, so `unicode61` would
//!   index a whole run (`日本語メールテスト`) as one token, found only from its start. We put a
//!   space around every such character (`cjk_spaced`): each is its own token, and a query is
//!   a phrase of characters, which finds any substring of any length.
//! - Headers are indexed as `MARK<name> word MARK<name> word ...` (`header_text`): a marker
//!   token naming the header before each word of its value. `header:X-Mailer:foo bar` is then
//!   the phrase `MARKxmailer foo MARKxmailer bar`, which can only match inside that header.

use std::borrow::Cow;

/// Starts a header-name token. A private-use character: `unicode61` keeps it in a token,
/// and no real text contains it.
pub const HEADER_MARK: char = '\u{E000}';
/// Starts a facet token: facts about a message that never change once it is stored (has an
/// attachment, the AUTH user, the listener), indexed as words so `has:attachment user:ci
/// invoice` is one full-text lookup instead of a scan of every message.
pub const FACET_MARK: char = '\u{E001}';
/// Longest header value indexed, and most header text per message.
const HEADER_VALUE_CHARS: usize = 512;
const HEADER_TEXT_BYTES: usize = 16 * 1024;
/// Headers whose values are opaque (signatures); only their presence is indexed.
const OPAQUE_HEADERS: &[&str] = &[
    "dkim-signature",
    "x-google-dkim-signature",
    "arc-seal",
    "arc-message-signature",
    "domainkey-signature",
];

/// Han, kana, Hangul and their punctuation-free marks: scripts written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF      // Hangul Jamo
        | 0x2E80..=0x2FDF    // CJK radicals, Kangxi
        | 0x3040..=0x30FF    // Hiragana, Katakana (with the prolonged sound mark)
        | 0x3100..=0x312F    // Bopomofo
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0x31A0..=0x31FF    // Bopomofo ext, Katakana phonetic ext
        | 0x3400..=0x4DBF    // CJK ext A
        | 0x4E00..=0x9FFF    // CJK unified
        | 0xA960..=0xA97F    // Hangul Jamo ext A
        | 0xAC00..=0xD7FF    // Hangul syllables, Jamo ext B
        | 0xF900..=0xFAFF    // CJK compatibility
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3FFFF  // CJK ext B and later
    )
}

/// `s` with a space either side of every CJK character (see the module doc), and our
/// marker characters taken out, so a message cannot pose as a header or a facet.
pub fn cjk_spaced(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_cjk(c) || is_marker(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for c in s.chars() {
        if is_marker(c) {
            out.push(' ');
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_marker(c: char) -> bool {
    c == HEADER_MARK || c == FACET_MARK
}

/// True for characters `unicode61` keeps inside a token: letters, digits and marks. Our
/// marker characters separate words here, so text from a message or a query never holds
/// one (the index's marked tokens are built by `header_token` and the facet functions).
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

fn is_mark(c: char) -> bool {
    // Combining marks (accents written as separate code points) stay in their word;
    // `remove_diacritics` then folds them away.
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The tokens the index holds for `s`, in order (CJK characters one each), as typed: FTS5
/// folds case and diacritics itself.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if is_token_char(c) {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The marker token for a header name: `HEADER_MARK` and the name's letters and digits,
/// lowercased (`X-Mailer` -> `\u{E000}xmailer`).
pub fn header_token(name: &str) -> String {
    let mut t = String::with_capacity(name.len() + 3);
    t.push(HEADER_MARK);
    t.extend(
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase()),
    );
    t
}

/// Every header as marked tokens, for `header:` searches; `headers` are (name, decoded
/// value) in message order.
pub fn header_text<'a>(headers: impl IntoIterator<Item = (&'a str, Cow<'a, str>)>) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if out.len() >= HEADER_TEXT_BYTES {
            break;
        }
        let mark = header_token(name);
        // The bare marker first, so `header:Name` finds a header even with an empty value.
        out.push_str(&mark);
        out.push(' ');
        if OPAQUE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let value: String = value.chars().take(HEADER_VALUE_CHARS).collect();
        for t in tokens(&value) {
            out.push_str(&mark);
            out.push(' ');
            out.push_str(&t);
            out.push(' ');
        }
    }
    out
}

/// The facet token for an attachment.
pub fn attachment_facet() -> String {
    format!("{FACET_MARK}hasattachment")
}

/// The facet token for an inline part.
pub fn inline_facet() -> String {
    format!("{FACET_MARK}hasinline")
}

/// The facet token for an AUTH user: the lowercased name in hex, so the whole name is one
/// token and `user:alice` never matches `alice.smith`.
pub fn user_facet(user: &str) -> String {
    format!("{FACET_MARK}user{}", hex(&user.to_lowercase()))
}

/// The facet token for a listener's name (as `user_facet`).
pub fn listener_facet(name: &str) -> String {
    format!("{FACET_MARK}listener{}", hex(&name.to_lowercase()))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Every facet of a message, space-separated, for the index's `facets` column.
pub fn facet_text(
    has_attachment: bool,
    has_inline: bool,
    user: Option<&str>,
    listener: &str,
) -> String {
    let mut out = vec![listener_facet(listener)];
    if has_attachment {
        out.push(attachment_facet());
    }
    if has_inline {
        out.push(inline_facet());
    }
    if let Some(u) = user {
        out.push(user_facet(u));
    }
    out.join(" ")
}

/// The whole-address form stored for exact matching: trimmed, lowercased (all scripts).
pub fn address_key(address: &str) -> String {
    address.trim().trim_matches(['<', '>']).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_become_tokens_of_their_own() {
        assert_eq!(cjk_spaced("abc"), "abc");
        assert_eq!(
            tokens("日本語メールテスト"),
            ["日", "本", "語", "メ", "ー", "ル", "テ", "ス", "ト"]
        );
        assert_eq!(
            tokens("Hello,  wörld e-mail"),
            ["Hello", "wörld", "e", "mail"]
        );
        assert_eq!(tokens("한국어 메일"), ["한", "국", "어", "메", "일"]);
        assert_eq!(tokens("报告pdf"), ["报", "告", "pdf"]);
        assert!(tokens(" @@ ").is_empty());
    }

    #[test]
    fn headers_are_marked_per_word() {
        let text = header_text([
            ("X-Mailer", Cow::Borrowed("Foo Bar")),
            ("X-Empty", Cow::Borrowed("")),
            ("DKIM-Signature", Cow::Borrowed("v=1; secret")),
        ]);
        let m = HEADER_MARK;
        assert_eq!(
            text,
            format!("{m}xmailer {m}xmailer Foo {m}xmailer Bar {m}xempty {m}dkimsignature ")
        );
    }

    #[test]
    fn message_text_cannot_carry_a_marker() {
        let forged = format!("{HEADER_MARK}xmailer {FACET_MARK}hasattachment");
        assert_eq!(tokens(&forged), ["xmailer", "hasattachment"]);
        assert!(!cjk_spaced(&forged).contains([HEADER_MARK, FACET_MARK]));
        let text = header_text([("X-Foo", Cow::Owned(forged))]);
        assert_eq!(
            text.matches(HEADER_MARK).count(),
            3,
            "only our own markers: {text}"
        );
    }

    #[test]
    fn facets_are_single_tokens() {
        assert_eq!(tokens(&user_facet("Alice.Smith")).len(), 1);
        assert_ne!(user_facet("alice"), user_facet("alice.smith"));
        assert_eq!(user_facet("ALICE"), user_facet("alice"));
        let text = facet_text(true, false, Some("ci"), "shop");
        assert_eq!(tokens(&text).len(), 3, "{text}");
    }

    #[test]
    fn address_keys_fold_every_script() {
        assert_eq!(address_key(" <Bob@Example.COM> "), "bob@example.com");
        assert_eq!(address_key("ÅSA@exämple.se"), "åsa@exämple.se");
    }
}
