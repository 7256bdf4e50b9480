//! Address, HELO, user and client patterns: exact (any case), a glob with `*` and `?`
//! (any case), or a regular expression between slashes, `/.../`, matched as written.

use regex::{Regex, RegexBuilder};

#[derive(Debug, Clone)]
pub enum Pattern {
    Exact(String),
    Regex(Regex),
}

/// Compiled regexes are capped so a rule cannot make the server spend unbounded memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty pattern matches nothing; leave the field out instead".into());
        }
        if t.len() >= 2 && t.starts_with('/') && t.ends_with('/') {
            let body = &t[1..t.len() - 1];
            return RegexBuilder::new(body)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(Pattern::Regex)
                .map_err(|e| {
                    let first = e.to_string();
                    let last = first.lines().last().unwrap_or("").trim().to_string();
                    format!("the regular expression {t} does not compile: {last}")
                });
        }
        if t.contains(['*', '?']) {
            let mut re = String::from("^");
            for c in t.chars() {
                match c {
                    '*' => re.push_str(".*"),
                    '?' => re.push('.'),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            re.push('$');
            return RegexBuilder::new(&re)
                .case_insensitive(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(Pattern::Regex)
                .map_err(|e| format!("the glob {t} does not compile: {e}"));
        }
        Ok(Pattern::Exact(t.to_lowercase()))
    }

    pub fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Exact(e) => s.trim().to_lowercase() == *e,
            Pattern::Regex(r) => r.is_match(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn exact_glob_and_regex() {
        let p = |s: &str| Pattern::new(s).expect("compiles");
        assert!(p("Nobody@Example.com").matches("nobody@example.COM"));
        assert!(!p("nobody@example.com").matches("nobody@example.com.evil"));
        assert!(p("*@example.com").matches("a.b@EXAMPLE.com"));
        assert!(!p("*@example.com").matches("a@example.community"));
        assert!(p("user?@x").matches("user1@x"));
        assert!(!p("user?@x").matches("user12@x"));
        assert!(p("/^bounce-[0-9]+@/").matches("bounce-42@x"));
        assert!(
            !p("/^bounce-[0-9]+@/").matches("Bounce-42@x"),
            "a regex is as written"
        );
        assert!(p("a.b@x").matches("A.B@x"));
        assert!(
            !p("a.b@x").matches("aXb@x"),
            "a dot in an exact pattern is a dot"
        );
        let err = Pattern::new("/(unclosed/").expect_err("bad regex");
        assert!(err.contains("does not compile"), "{err}");
        assert!(Pattern::new("  ").is_err());
    }
}
