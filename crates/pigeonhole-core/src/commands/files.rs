//! File names for saving what a message carries. The text comes from hostile mail, so it is
//! cleaned of separators, control characters and leading dots before it reaches a file system.

use crate::model::MessageSummary;

/// Longest name we produce, in characters; well under every file system's limit.
const MAX_NAME_CHARS: usize = 150;

/// A file name safe on every platform, from text found in a hostile message.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "attachment".into()
    } else {
        trimmed.chars().take(MAX_NAME_CHARS).collect()
    }
}

/// `Subject.eml`, or `message-ID.eml` for a message without a subject.
pub fn eml_file_name(summary: &MessageSummary) -> String {
    let base = if summary.subject.trim().is_empty() {
        format!("message-{}", summary.id)
    } else {
        summary.subject.clone()
    };
    format!("{}.eml", safe_file_name(&base))
}

/// The name for a part that has none: `part-1.2.pdf` from its content type.
pub(super) fn fallback_part_name(part_id: &str, content_type: &str) -> String {
    let ext = content_type
        .rsplit('/')
        .next()
        .filter(|e| !e.is_empty())
        .unwrap_or("bin");
    format!("part-{part_id}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_attachment_names_are_made_safe() {
        assert_eq!(
            safe_file_name("../../etc/passwd"),
            "_.._etc_passwd",
            "no path traversal"
        );
        assert_eq!(safe_file_name(".bashrc"), "bashrc", "no hidden files");
        assert_eq!(safe_file_name("  "), "attachment");
        assert_eq!(
            safe_file_name("report\u{0}.pdf"),
            "report_.pdf",
            "control characters replaced"
        );
        assert_eq!(
            safe_file_name(&"x".repeat(400)).chars().count(),
            MAX_NAME_CHARS,
            "long names are cut"
        );
    }

    #[test]
    fn parts_without_a_name_get_one_from_their_type() {
        assert_eq!(fallback_part_name("1.2", "application/pdf"), "part-1.2.pdf");
        assert_eq!(fallback_part_name("3", ""), "part-3.bin");
    }
}
