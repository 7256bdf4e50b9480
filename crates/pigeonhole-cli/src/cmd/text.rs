//! Text for a terminal: what a message says is printed, never obeyed.

use std::borrow::Cow;

/// `s` with every control character (ESC, BEL, CR, backspace, C1 controls, bidi
/// overrides...) shown as `\u{..}`, so a Subject holding `\x1b[2J` cannot clear the screen
/// or rewrite the line. Tabs and newlines are kept only where `keep_lines` says.
pub fn printable_with(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let bad = |c: char| {
        if keep_lines && (c == '\n' || c == '\t') {
            return false;
        }
        c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of text: every control character escaped, newlines too.
pub fn printable(s: &str) -> Cow<'_, str> {
    printable_with(s, false)
}

/// At most `n` characters, with an ellipsis when cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\r\ny"), "x\\u{d}\\u{a}y");
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(printable("abc\u{202E}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(
            printable_with("line one\n\tline two\x07", true),
            "line one\n\tline two\\u{7}"
        );
    }
}
