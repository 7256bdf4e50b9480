//! What a path holds, judged from its content and structure; the extension only breaks a
//! tie.

use std::io::{self, Read};
use std::path::Path;

/// What an import source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One message.
    Eml,
    Mbox,
    /// A directory with `cur/` or `new/`.
    Maildir,
    /// Any other directory: each file in it is a source of its own.
    Folder,
}

/// How much of a file is looked at to tell an mbox from an eml.
const SNIFF: usize = 64 * 1024;

/// Looks at `path`: a Maildir or other directory by structure, a file by its first bytes.
pub fn detect(path: &Path) -> io::Result<Kind> {
    if path.is_dir() {
        return Ok(if super::maildir::is_maildir(path) {
            Kind::Maildir
        } else {
            Kind::Folder
        });
    }
    let mut head = Vec::with_capacity(SNIFF);
    std::fs::File::open(path)?
        .take(SNIFF as u64)
        .read_to_end(&mut head)?;
    let mbox_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mbox") || e.eq_ignore_ascii_case("mbx"));
    Ok(sniff(&head, mbox_name))
}

/// The kind of a file that starts with `head`. An mbox starts with a `From ` line; an eml
/// with a header field. A file that starts with neither but has `From ` lines further on
/// is an mbox with junk before its first message (which the reader then reports). The
/// name (`.mbox`) only decides between the two when the content allows both.
pub fn sniff(head: &[u8], mbox_name: bool) -> Kind {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    if head[start..].starts_with(b"From ") {
        return Kind::Mbox;
    }
    let from_lines = memchr::memmem::find(head, b"\nFrom ").is_some();
    if super::eml::looks_like_mail(head) {
        return if mbox_name && from_lines {
            Kind::Mbox
        } else {
            Kind::Eml
        };
    }
    if from_lines || mbox_name {
        Kind::Mbox
    } else {
        Kind::Eml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_content_not_the_name() {
        assert_eq!(
            sniff(b"From a@b Mon Nov 30 10:00:00 2026\nSubject: x\n", false),
            Kind::Mbox
        );
        assert_eq!(
            sniff(b"Subject: x\r\n\r\nFrom the body\r\n", false),
            Kind::Eml
        );
        assert_eq!(
            sniff(b"junk\nFrom a@b Mon Nov 30 10:00:00 2026\n", false),
            Kind::Mbox
        );
        assert_eq!(
            sniff(b"Subject: x\r\n\r\n", true),
            Kind::Eml,
            "one message named .mbox"
        );
        assert_eq!(
            sniff(b"X: y\n\nFrom a@b Mon\n", true),
            Kind::Mbox,
            "a .mbox name breaks a tie"
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path()).unwrap(), Kind::Folder);
        std::fs::create_dir(dir.path().join("new")).unwrap();
        assert_eq!(detect(dir.path()).unwrap(), Kind::Maildir);
        let f = dir.path().join("mail.txt");
        std::fs::write(
            &f,
            b"From x@y Tue Dec  1 09:05:03 2026\nSubject: s\n\nb\n\n",
        )
        .unwrap();
        assert_eq!(detect(&f).unwrap(), Kind::Mbox, "an mbox named .txt");
    }
}
