//! The DATA receiver: dot-unstuffing and end-of-data detection (CRLF.CRLF only).
//!
//! Only `CRLF . CRLF` ends a message. A bare LF (`\n.\n`, `\r.\n`, `\n.\r\n`) never does,
//! which closes the SMTP-smuggling class of attack (CVE-2023-51764 and friends): the bytes
//! stay in the message, exactly as sent.

use bytes::{Buf, BytesMut};

/// Accumulates one message body from DATA.
#[derive(Debug)]
pub struct DataReceiver {
    body: Vec<u8>,
    /// True right after a CRLF (or at the start of DATA): only here can a dot be special.
    at_line_start: bool,
    /// Bytes received after unstuffing, counted even once we stop keeping them.
    received: usize,
    max: usize,
}

impl DataReceiver {
    pub fn new(max: usize) -> Self {
        DataReceiver {
            body: Vec::with_capacity(8 * 1024),
            at_line_start: true,
            received: 0,
            max,
        }
    }

    /// Consumes what it can from `buf`. Returns true once the terminating `.CRLF` line has
    /// been consumed; bytes after it stay in `buf` (pipelined commands).
    pub fn feed(&mut self, buf: &mut BytesMut) -> bool {
        loop {
            if buf.is_empty() {
                return false;
            }
            if self.at_line_start && buf[0] == b'.' {
                if buf.starts_with(b".\r\n") {
                    buf.advance(3);
                    return true;
                }
                if buf.len() < 3 && b".\r\n".starts_with(&buf[..]) {
                    return false; // could still become the terminator
                }
                // Transparency (RFC 5321 §4.5.2): drop the first dot of the line.
                buf.advance(1);
                self.at_line_start = false;
                continue;
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    // CRLF only: a lone LF does not start a new line for our purposes.
                    self.at_line_start = i > 0 && buf[i - 1] == b'\r';
                    self.push(&buf[..=i]);
                    buf.advance(i + 1);
                }
                None => {
                    // Hold back a trailing CR: with the next byte it may become CRLF.
                    let keep = usize::from(buf.last() == Some(&b'\r'));
                    let n = buf.len() - keep;
                    if n == 0 {
                        return false;
                    }
                    self.push(&buf[..n]);
                    buf.advance(n);
                    self.at_line_start = false;
                    return false;
                }
            }
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.received += bytes.len();
        if self.received <= self.max {
            self.body.extend_from_slice(bytes);
        }
    }

    pub fn received(&self) -> usize {
        self.received
    }

    pub fn over_limit(&self) -> bool {
        self.received > self.max
    }

    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes; returns (done, body, unconsumed input).
    fn run(input: &[u8], step: usize) -> (bool, Vec<u8>, Vec<u8>) {
        let mut rx = DataReceiver::new(1 << 20);
        let mut buf = BytesMut::new();
        let mut fed = 0;
        while fed < input.len() {
            let end = (fed + step).min(input.len());
            buf.extend_from_slice(&input[fed..end]);
            fed = end;
            if rx.feed(&mut buf) {
                let mut left = buf.to_vec();
                left.extend_from_slice(&input[fed..]);
                return (true, rx.into_body(), left);
            }
        }
        (false, rx.into_body(), buf.to_vec())
    }

    #[test]
    fn data_receiver_table() {
        // (name, input, done, body, leftover)
        type Case<'a> = (&'a str, &'a [u8], bool, &'a [u8], &'a [u8]);
        let cases: &[Case] = &[
            ("simple", b"Hi\r\n.\r\n", true, b"Hi\r\n", b""),
            ("empty message", b".\r\n", true, b"", b""),
            (
                "dot stuffing removed",
                b"..x\r\n.\r\n",
                true,
                b".x\r\n",
                b"",
            ),
            ("double dot line", b"..\r\n.\r\n", true, b".\r\n", b""),
            (
                "pipelined after end",
                b"a\r\n.\r\nQUIT\r\n",
                true,
                b"a\r\n",
                b"QUIT\r\n",
            ),
            (
                "bare LF dot does not end (smuggling)",
                b"a\n.\nMAIL FROM:<x@y>\r\n.\r\n",
                true,
                b"a\n.\nMAIL FROM:<x@y>\r\n",
                b"",
            ),
            (
                "CR dot CR LF does not end",
                b"a\r.\r\nb\r\n.\r\n",
                true,
                b"a\r.\r\nb\r\n",
                b"",
            ),
            (
                "LF dot CRLF does not end",
                b"a\n.\r\nb\r\n.\r\n",
                true,
                b"a\n.\r\nb\r\n",
                b"",
            ),
            (
                "CRLF dot LF does not end; the leading dot is unstuffed",
                b"a\r\n.\nb\r\n.\r\n",
                true,
                b"a\r\n\nb\r\n",
                b"",
            ),
            (
                "dot inside a line is data",
                b"a.b\r\n .\r\n.\r\n",
                true,
                b"a.b\r\n .\r\n",
                b"",
            ),
            ("unterminated waits", b"abc\r\n", false, b"abc\r\n", b""),
            (
                "lone dot without CRLF waits",
                b"abc\r\n.",
                false,
                b"abc\r\n",
                b".",
            ),
            (
                "binary bytes kept",
                b"\x00\xff\r\n.\r\n",
                true,
                b"\x00\xff\r\n",
                b"",
            ),
        ];
        for (name, input, done, body, leftover) in cases {
            for step in [1, 2, 3, 7, 4096] {
                let (got_done, got_body, got_left) = run(input, step);
                assert_eq!(got_done, *done, "{name}: done (step {step})");
                assert_eq!(got_body, body.to_vec(), "{name}: body (step {step})");
                assert_eq!(
                    got_left,
                    leftover.to_vec(),
                    "{name}: leftover (step {step})"
                );
            }
        }
    }

    #[test]
    fn over_limit_keeps_reading_to_the_end() {
        let mut rx = DataReceiver::new(4);
        let mut buf = BytesMut::from(&b"0123456789\r\n.\r\nNOOP\r\n"[..]);
        assert!(
            rx.feed(&mut buf),
            "the terminator must still be found past the limit"
        );
        assert!(rx.over_limit(), "12 bytes exceed a limit of 4");
        assert_eq!(
            &buf[..],
            b"NOOP\r\n",
            "input after the terminator is left for the next command"
        );
    }
}
