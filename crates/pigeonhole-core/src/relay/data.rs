//! The message as it goes out: checked for line endings a lenient server could take for
//! the end of the data, and with a `Received:` header in front only when configured.

use chrono::{DateTime, Utc};

/// The offset of a `.` that a lenient server could read as the end of the data: a dot
/// alone on a "line" that begins after a bare LF or a bare CR (not a CRLF) and ends with
/// a CR or LF, such as `\n.\n` or `\n.\r\n`.
///
/// The SMTP client dot-stuffs only after CRLF, as RFC 5321 says, so such a dot goes out
/// as it is. Pigeonhole's own receiver keeps it as message text; a server that also ends
/// the data at a bare LF would end the message there and read the rest as commands (SMTP
/// smuggling). A release never changes the bytes, so such a message is not released.
pub fn ambiguous_dot(raw: &[u8]) -> Option<usize> {
    (1..raw.len()).find(|&i| {
        raw[i] == b'.'
            && matches!(raw.get(i + 1), Some(b'\r' | b'\n'))
            && match raw[i - 1] {
                b'\r' => true,
                b'\n' => i < 2 || raw[i - 2] != b'\r',
                _ => false,
            }
    })
}

/// `raw` with a `Received:` header in front, naming this host and the message's id.
pub fn with_received(raw: &[u8], hostname: &str, id: i64, now: DateTime<Utc>) -> Vec<u8> {
    let header = format!(
        "Received: by {hostname} (Pigeonhole) with release id {id};\r\n\t{}\r\n",
        now.to_rfc2822()
    );
    let mut out = Vec::with_capacity(header.len() + raw.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(raw);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_a_lenient_server_could_end_the_data_at_are_found() {
        // (input, offset of the dangerous dot)
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"Subject: x\r\n\r\nbody\r\n", None),
            (b"a\r\n.\r\nb\r\n", None), // stuffed by the client: unambiguous
            (b"a\r\n..\r\nb\r\n", None), // a dot-line that is stuffed as well
            (b"a\r\n.\nb\r\n", None),   // stuffed after the CRLF
            (b"a\n.\nb\r\n", Some(2)),  // the classic smuggling ending
            (b"a\n.\r\nb\r\n", Some(2)),
            (b"a\r.\r\nb\r\n", Some(2)),
            (b"a\r.\rb\r\n", Some(2)),
            (b"a\n.x\r\n", None), // not alone on its line
            (b"a\n..\r\n", None),
            (b"a.\nb\r\n", None),     // a dot ending a line
            (b"x\r\n\n.\n", Some(4)), // a bare LF after a CRLF line
            (b"\n.\n", Some(1)),
        ];
        for (input, want) in cases {
            assert_eq!(
                ambiguous_dot(input),
                *want,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn the_received_header_goes_in_front_and_the_rest_is_untouched() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
            .expect("a time")
            .with_timezone(&Utc);
        let raw = b"Subject: x\r\n\r\nbody\r\n";
        let out = with_received(raw, "pigeonhole.test", 7, now);
        let text = String::from_utf8(out.clone()).expect("ASCII");
        assert!(
            text.starts_with("Received: by pigeonhole.test (Pigeonhole) with release id 7;\r\n\tThu, 2 Jan 2025 03:04:05 +0000\r\n"),
            "{text}"
        );
        assert!(out.ends_with(raw), "the stored bytes follow unchanged");
    }
}
