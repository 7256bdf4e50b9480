//! `.eml`: one message per file, kept byte for byte.

use std::io::{self, Read};

/// Why a file is not taken as a message.
#[derive(Debug, thiserror::Error)]
pub enum EmlError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it is {size} bytes, more than the {max} bytes allowed (max_message_size)")]
    TooLarge { size: u64, max: usize },
    #[error("it is empty")]
    Empty,
    #[error("it does not start with a header field (\"Name: value\"), so it is not a message")]
    NotMail,
}

/// Reads one message, at most `max_size` bytes (a larger one is refused without being
/// read whole), and checks that it starts like one.
pub fn read(mut input: impl Read, max_size: usize) -> Result<Vec<u8>, EmlError> {
    let mut raw = Vec::new();
    let n = input
        .by_ref()
        .take(max_size as u64 + 1)
        .read_to_end(&mut raw)?;
    if n > max_size {
        let rest = io::copy(&mut input, &mut io::sink())?;
        return Err(EmlError::TooLarge {
            size: n as u64 + rest,
            max: max_size,
        });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(EmlError::Empty);
    }
    if !looks_like_mail(&raw) {
        return Err(EmlError::NotMail);
    }
    Ok(raw)
}

/// True when the first line that is not blank is a header field: a name of printable
/// ASCII without spaces, then a colon. Some senders start with a whitespace line.
pub fn looks_like_mail(raw: &[u8]) -> bool {
    let first = raw
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(|b| b.is_ascii_whitespace()));
    let Some(line) = first else {
        return false;
    };
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = &line[..colon];
    !name.is_empty() && name.len() <= 76 && name.iter().all(|&b| (33..=126).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eml_is_read_byte_for_byte_even_without_a_final_newline() {
        let raw = b"Subject: x\r\n\r\nFrom the body\r\n>From quoted\r\nno newline".to_vec();
        assert_eq!(
            read(&raw[..], 1024).unwrap(),
            raw,
            "the bytes are unchanged"
        );
    }

    #[test]
    fn what_is_not_mail_or_is_too_large_is_refused_with_a_reason() {
        assert!(matches!(
            read(&b"\x89PNG\r\n\x1a\n"[..], 1024),
            Err(EmlError::NotMail)
        ));
        assert!(matches!(read(&b"  \n"[..], 1024), Err(EmlError::Empty)));
        let big = format!("Subject: big\r\n\r\n{}", "x".repeat(5000));
        match read(big.as_bytes(), 1024) {
            Err(EmlError::TooLarge { size, max }) => {
                assert_eq!(size as usize, big.len(), "the whole size is counted");
                assert_eq!(max, 1024);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert!(
            read(&b"\r\nReceived: from x\r\n\r\nbody"[..], 1024).is_ok(),
            "a leading blank line is allowed"
        );
    }
}
