//! mbox, read (mboxo and mboxrd) and written (mboxrd), streaming one message at a time.
//!
//! Both flavours start every message with a `From ` line (the envelope sender and a date)
//! and quote body lines that would look like one: mboxo turns `From ` into `>From `,
//! mboxrd adds one `>` to every `>*From ` line, so mboxrd undoes exactly. Reading
//! therefore treats every line that starts with `From ` as a separator (RFC 4155's
//! "preceded by a blank line" is what writers do, not what these formats guarantee).
//!
//! The writer ends every message with one `\n`: after a message that ends with a line
//! break this is the blank line RFC 4155 asks for; after one that does not (a body
//! without a final newline) it ends the last line. The reader removes exactly that one
//! `\n` again, so a round trip gives back every byte. A message from another tool, which
//! ends `...\n\n`, or `...\r\n\r\n` in a CRLF mbox (whose `From ` lines end `\r\n`),
//! loses only the separator line. Our `From ` lines end `\n`, so a message of ours that
//! ends `\r\n\r` is never mistaken for one with a CRLF separator.

use std::io::{self, BufRead, Write};

use chrono::{DateTime, Utc};

/// How quoted `From ` lines are read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// `>+From ` loses one `>` (undoes an mboxrd writer exactly; also right for mboxo's
    /// single `>From `).
    #[default]
    Rd,
    /// Only `>From ` (exactly one `>`) loses it; `>>From ` stays as written.
    O,
}

/// One thing found in an mbox: a message, or a stretch that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Message(MboxMessage),
    Problem(Problem),
}

/// A message as it was before it went into the mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// 1-based position in the file, counting messages that were refused too.
    pub index: u64,
    /// Where its `From ` line starts, in bytes from the start of the file.
    pub offset: u64,
    /// The envelope sender from the `From ` line (`MAILER-DAEMON` there is the null sender,
    /// given as ""); `None` when the line names none.
    pub sender: Option<String>,
    /// The rest of the `From ` line after the sender: the date, as written.
    pub date: String,
    pub raw: Vec<u8>,
}

/// A stretch of the file that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The message's 1-based position, or `None` for bytes before the first message.
    pub index: Option<u64>,
    /// Byte offset where the stretch starts.
    pub offset: u64,
    pub reason: String,
}

/// Longest `From ` line kept; a longer one is garbage, not a separator.
const MAX_FROM_LINE: usize = 1000;
/// Lines are read in pieces of at most this many bytes, so a file without line breaks
/// (a binary, a corrupt mbox) is never read whole into memory.
const MAX_PIECE: usize = 64 * 1024;

/// Reads messages one at a time from `input`, holding at most one message (bounded by
/// `max_size`) in memory.
pub struct Reader<R> {
    input: R,
    flavor: Flavor,
    max_size: usize,
    /// Bytes read so far: the offset of the next line.
    pos: u64,
    /// The `From ` line that starts the next message, with its offset, already read.
    next_from: Option<(u64, Vec<u8>)>,
    /// Messages seen so far (for `index`).
    count: u64,
    started: bool,
    done: bool,
    line: Vec<u8>,
    /// The piece in `line` continues a line whose start was read before: it cannot be a
    /// separator and is not unquoted.
    continues: bool,
    /// The last piece read ended without a line break.
    open_line: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R, flavor: Flavor, max_size: usize) -> Reader<R> {
        Reader {
            input,
            flavor,
            max_size,
            pos: 0,
            next_from: None,
            count: 0,
            started: false,
            done: false,
            line: Vec::new(),
            continues: false,
            open_line: false,
        }
    }

    /// The next line, or piece of a long line, into `self.line` (with its `\n`), and its
    /// offset; `None` at the end.
    fn read_line(&mut self) -> io::Result<Option<u64>> {
        self.line.clear();
        self.continues = self.open_line;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let room = MAX_PIECE - self.line.len();
            let (take, ended) = match memchr::memchr(b'\n', &buf[..buf.len().min(room)]) {
                Some(i) => (i + 1, true),
                None => (buf.len().min(room), false),
            };
            self.line.extend_from_slice(&buf[..take]);
            self.input.consume(take);
            if ended || self.line.len() >= MAX_PIECE {
                break;
            }
        }
        if self.line.is_empty() {
            return Ok(None);
        }
        self.open_line = !self.line.ends_with(b"\n");
        let at = self.pos;
        self.pos += self.line.len() as u64;
        Ok(Some(at))
    }

    /// The piece just read starts a message.
    fn at_separator(&self) -> bool {
        !self.continues && is_separator(&self.line)
    }

    /// Skips what comes before the first `From ` line; reports it unless it is blank.
    fn start(&mut self) -> io::Result<Option<Problem>> {
        self.started = true;
        let mut junk = 0u64;
        let mut blank = true;
        while let Some(at) = self.read_line()? {
            if self.at_separator() {
                self.next_from = Some((at, std::mem::take(&mut self.line)));
                break;
            }
            junk += self.line.len() as u64;
            blank &= self.line.iter().all(|b| b.is_ascii_whitespace());
        }
        if self.next_from.is_none() {
            self.done = true;
            if junk == 0 || blank {
                return Ok(None);
            }
            return Ok(Some(Problem {
                index: None,
                offset: 0,
                reason: format!("no \"From \" line in {junk} bytes: this is not an mbox"),
            }));
        }
        Ok((!blank && junk > 0).then(|| Problem {
            index: None,
            offset: 0,
            reason: format!("{junk} bytes before the first \"From \" line are not a message"),
        }))
    }

    fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        if !self.started {
            if let Some(p) = self.start()? {
                return Ok(Some(Entry::Problem(p)));
            }
        }
        let Some((offset, from_line)) = self.next_from.take() else {
            return Ok(None);
        };
        self.count += 1;
        let index = self.count;
        let (sender, date) = parse_from_line(&from_line);
        let mut raw: Vec<u8> = Vec::new();
        let mut size = 0u64;
        let mut too_large = false;
        let mut ended_mid_line = false;
        loop {
            match self.read_line()? {
                None => {
                    self.done = true;
                    break;
                }
                Some(at) => {
                    if self.at_separator() {
                        self.next_from = Some((at, std::mem::take(&mut self.line)));
                        break;
                    }
                    ended_mid_line = !self.line.ends_with(b"\n");
                    size += self.line.len() as u64;
                    if too_large {
                        continue;
                    }
                    if size > self.max_size as u64 + 1 {
                        // Over the limit: keep counting to the next message, holding nothing.
                        too_large = true;
                        raw = Vec::new();
                        continue;
                    }
                    if self.continues {
                        raw.extend_from_slice(&self.line);
                    } else {
                        unquote_into(&self.line, self.flavor, &mut raw);
                    }
                }
            }
        }
        // The one `\n` the writer put after the message (see the module comment).
        let size = size.saturating_sub(1);
        if too_large || size > self.max_size as u64 {
            return Ok(Some(Entry::Problem(Problem {
                index: Some(index),
                offset,
                reason: format!(
                    "message {index} is {size} bytes, more than the {} bytes allowed \
                     (max_message_size)",
                    self.max_size
                ),
            })));
        }
        if self.done && ended_mid_line {
            return Ok(Some(Entry::Problem(Problem {
                index: Some(index),
                offset,
                reason: format!(
                    "message {index} is truncated: the file ends in the middle of a line \
                     ({size} bytes of it)"
                ),
            })));
        }
        strip_separator(&mut raw, from_line.ends_with(b"\r\n"));
        if let Some(reason) = truncation(&raw) {
            if self.done {
                return Ok(Some(Entry::Problem(Problem {
                    index: Some(index),
                    offset,
                    reason: format!("message {index} is truncated: {reason}"),
                })));
            }
        }
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Some(Entry::Problem(Problem {
                index: Some(index),
                offset,
                reason: format!("message {index} is empty"),
            })));
        }
        Ok(Some(Entry::Message(MboxMessage {
            index,
            offset,
            sender,
            date,
            raw,
        })))
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = io::Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done && self.next_from.is_none() {
            return None;
        }
        self.next_entry().transpose()
    }
}

/// A line that starts a message.
fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ") && line.len() <= MAX_FROM_LINE
}

/// `From sender date...` -> (sender, date).
fn parse_from_line(line: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(&line[5..]);
    let text = text.trim_end_matches(['\r', '\n']).trim_start();
    let (sender, date) = match text.split_once(char::is_whitespace) {
        Some((s, d)) => (s, d.trim()),
        None => (text, ""),
    };
    let sender = match sender {
        "" => None,
        s if s.eq_ignore_ascii_case("MAILER-DAEMON") || s == "<>" => Some(String::new()),
        s => Some(s.trim_start_matches('<').trim_end_matches('>').to_string()),
    };
    (sender, date.to_string())
}

/// Appends `line` with one level of `>From ` quoting removed.
fn unquote_into(line: &[u8], flavor: Flavor, out: &mut Vec<u8>) {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    let quoted = quotes > 0 && line[quotes..].starts_with(b"From ");
    let undo = match flavor {
        Flavor::Rd => quoted,
        Flavor::O => quoted && quotes == 1,
    };
    out.extend_from_slice(if undo { &line[1..] } else { line });
}

/// Removes the line break the writer (or another tool) put after the message: a CRLF one
/// only in a CRLF mbox (`crlf`: its `From ` line ended `\r\n`), else one `\n`.
fn strip_separator(raw: &mut Vec<u8>, crlf: bool) {
    if crlf && raw.ends_with(b"\r\n\r\n") {
        raw.truncate(raw.len() - 2);
    } else if raw.ends_with(b"\n") {
        raw.pop();
    }
}

/// Why the last message of a file looks cut off, if it does: its header never ends, or
/// it is shorter than its own Content-Length says.
fn truncation(raw: &[u8]) -> Option<String> {
    let Some(body_at) = super::header_end(raw) else {
        return Some("its header section never ends (no blank line)".into());
    };
    let length = super::header_values(&raw[..body_at], "Content-Length")
        .into_iter()
        .next()
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    let body = (raw.len() - body_at) as u64;
    (body < length)
        .then(|| format!("its body is {body} bytes but its Content-Length header says {length}"))
}

/// Writes messages as mboxrd.
pub struct Writer<W> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer { out }
    }

    /// One message: its `From ` line (sender, or `MAILER-DAEMON` for the null sender, and
    /// `date` in asctime form), its lines with `>*From ` quoted, and one `\n`.
    pub fn write(&mut self, sender: &str, date: DateTime<Utc>, raw: &[u8]) -> io::Result<()> {
        let sender: String = match sender.trim() {
            "" => "MAILER-DAEMON".into(),
            s => s
                .chars()
                .map(|c| if c.is_whitespace() { '_' } else { c })
                .collect(),
        };
        writeln!(
            self.out,
            "From {sender} {}",
            date.format("%a %b %e %H:%M:%S %Y")
        )?;
        for line in raw.split_inclusive(|&b| b == b'\n') {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if line[quotes..].starts_with(b"From ") {
                self.out.write_all(b">")?;
            }
            self.out.write_all(line)?;
        }
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const MAX: usize = 10 * 1024 * 1024;

    fn read_all(bytes: &[u8], flavor: Flavor, max: usize) -> Vec<Entry> {
        Reader::new(bytes, flavor, max)
            .collect::<io::Result<Vec<_>>>()
            .expect("reading from memory cannot fail")
    }

    fn messages(entries: &[Entry]) -> Vec<&MboxMessage> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m),
                Entry::Problem(_) => None,
            })
            .collect()
    }

    fn problems(entries: &[Entry]) -> Vec<&Problem> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Problem(p) => Some(p),
                Entry::Message(_) => None,
            })
            .collect()
    }

    fn date() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 5, 3).unwrap()
    }

    /// Messages that stress the quoting and the final line break.
    fn tricky() -> Vec<Vec<u8>> {
        vec![
            b"From: a@example.com\r\nSubject: one\r\n\r\nFrom the start\r\n>From quoted\r\n>>From twice\r\nend\r\n".to_vec(),
            b"Subject: no final newline\r\n\r\nFrom here\r\nlast line".to_vec(),
            b"Subject: lf only\n\nbody\n\nFrom space\n\n".to_vec(),
            b"Subject: blank end\r\n\r\nbody\r\n\r\n".to_vec(),
            b"Subject: bare\n\nFrom".to_vec(),
        ]
    }

    #[test]
    fn mboxrd_round_trip_gives_back_every_byte() {
        let mut w = Writer::new(Vec::new());
        for (i, raw) in tricky().iter().enumerate() {
            let sender = if i == 3 { "" } else { "bounce@example.com" };
            w.write(sender, date(), raw).unwrap();
        }
        let file = w.into_inner();
        let text = String::from_utf8_lossy(&file);
        assert!(
            text.starts_with("From bounce@example.com Tue Dec  1 09:05:03 2026\n"),
            "the From_ line has the sender and an asctime date: {text}"
        );
        assert!(
            text.contains("\r\n>From the start\r\n>>From quoted\r\n>>>From twice\r\n"),
            "every >*From line gets one more >: {text}"
        );
        assert!(text.contains("From MAILER-DAEMON "), "null sender: {text}");
        let entries = read_all(&file, Flavor::Rd, MAX);
        assert!(problems(&entries).is_empty(), "no problems: {entries:?}");
        let got: Vec<Vec<u8>> = messages(&entries).iter().map(|m| m.raw.clone()).collect();
        assert_eq!(got, tricky(), "the messages come back byte for byte");
        let m = messages(&entries);
        assert_eq!(m[0].sender.as_deref(), Some("bounce@example.com"));
        assert_eq!(m[3].sender.as_deref(), Some(""), "MAILER-DAEMON is <>");
        assert_eq!(m[0].date, "Tue Dec  1 09:05:03 2026");
        assert_eq!(m[0].offset, 0);
        assert_eq!(
            m[1].offset as usize,
            text.find("From bounce@example.com Tue Dec  1 09:05:03 2026\nSubject: no final")
                .unwrap(),
            "offsets point at each From_ line"
        );
    }

    #[test]
    fn mboxo_input_is_read_with_its_single_quote_undone() {
        let file = b"From alice@example.com Mon Nov 30 10:00:00 2026\n\
Subject: hi\n\n>From the body\n>>From kept as written\n\n\
From bob@example.com Mon Nov 30 11:00:00 2026\nSubject: two\n\nsecond\n\n";
        let o = read_all(file, Flavor::O, MAX);
        let m = messages(&o);
        assert_eq!(m.len(), 2, "two messages: {o:?}");
        assert_eq!(
            m[0].raw,
            b"Subject: hi\n\nFrom the body\n>>From kept as written\n".to_vec(),
            "mboxo unquotes only a single >"
        );
        assert_eq!(m[1].raw, b"Subject: two\n\nsecond\n".to_vec());
        let rd = read_all(file, Flavor::Rd, MAX);
        assert_eq!(
            messages(&rd)[0].raw,
            b"Subject: hi\n\nFrom the body\n>From kept as written\n".to_vec(),
            "mboxrd unquotes one level of every >*From"
        );
    }

    #[test]
    fn garbage_before_the_first_message_is_reported_at_offset_zero() {
        let file =
            b"this is junk\nmore junk\nFrom a@b Mon Nov 30 10:00:00 2026\nSubject: ok\n\nbody\n\n";
        let e = read_all(file, Flavor::Rd, MAX);
        let p = problems(&e);
        assert_eq!(p.len(), 1, "one problem: {e:?}");
        assert_eq!(p[0].offset, 0);
        assert_eq!(p[0].index, None);
        assert!(p[0].reason.contains("23 bytes"), "{}", p[0].reason);
        assert_eq!(
            messages(&e).len(),
            1,
            "the message after the junk is still read"
        );
    }

    #[test]
    fn a_message_over_the_limit_is_reported_and_the_next_one_still_read() {
        let big = "x".repeat(3000);
        let file = format!(
            "From a@b Mon Nov 30 10:00:00 2026\nSubject: small\n\nok\n\n\
             From a@b Mon Nov 30 10:00:01 2026\nSubject: big\n\n{big}\n\n\
             From a@b Mon Nov 30 10:00:02 2026\nSubject: after\n\nok\n\n"
        );
        let e = read_all(file.as_bytes(), Flavor::Rd, 2048);
        let p = problems(&e);
        assert_eq!(p.len(), 1, "{e:?}");
        assert_eq!(p[0].index, Some(2));
        assert_eq!(
            p[0].offset as usize,
            file.find("From a@b Mon Nov 30 10:00:01").unwrap(),
            "the offset is the big message's From_ line"
        );
        assert!(
            p[0].reason.contains("more than the 2048 bytes"),
            "{}",
            p[0].reason
        );
        let m = messages(&e);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].index, 3, "positions count the refused message");
    }

    #[test]
    fn a_truncated_final_message_is_reported_with_its_offset() {
        let cut = "From a@b Mon Nov 30 10:00:00 2026\nSubject: ok\n\nbody\n\n\
                   From a@b Mon Nov 30 10:00:01 2026\nSubject: cut\n\nhalf a li";
        let e = read_all(cut.as_bytes(), Flavor::Rd, MAX);
        let p = problems(&e);
        assert_eq!(p.len(), 1, "{e:?}");
        assert_eq!(p[0].index, Some(2));
        assert_eq!(
            p[0].offset as usize,
            cut.find("From a@b Mon Nov 30 10:00:01").unwrap()
        );
        assert!(p[0].reason.contains("truncated"), "{}", p[0].reason);

        let headers_only = "From a@b Mon Nov 30 10:00:00 2026\nSubject: ok\nTo: x@y\n";
        let e = read_all(headers_only.as_bytes(), Flavor::Rd, MAX);
        assert!(
            problems(&e)[0].reason.contains("header section never ends"),
            "{e:?}"
        );

        let short = "From a@b Mon Nov 30 10:00:00 2026\nContent-Length: 500\n\nonly this\n";
        let e = read_all(short.as_bytes(), Flavor::Rd, MAX);
        assert!(problems(&e)[0].reason.contains("Content-Length"), "{e:?}");
    }

    #[test]
    fn a_line_longer_than_a_read_piece_is_kept_whole_and_never_taken_for_a_separator() {
        // "From " right where the reader cuts the long line into its second piece.
        let head = b"Subject: long\r\n\r\n";
        let mut raw = head.to_vec();
        raw.extend(std::iter::repeat_n(b'x', MAX_PIECE));
        raw.extend_from_slice(b"From inside a long line ");
        raw.extend(std::iter::repeat_n(b'y', 2 * MAX_PIECE));
        raw.extend_from_slice(b"\r\nend\r\n");
        let mut w = Writer::new(Vec::new());
        w.write("a@b", date(), &raw).unwrap();
        w.write("a@b", date(), b"Subject: next\r\n\r\nok\r\n")
            .unwrap();
        let file = w.into_inner();
        let e = read_all(&file, Flavor::Rd, MAX);
        let m = messages(&e);
        assert_eq!(
            m.len(),
            2,
            "the long line did not split the message: {:?}",
            problems(&e)
        );
        assert!(m[0].raw == raw, "the long message comes back byte for byte");
    }

    #[test]
    fn a_message_ending_in_crlf_cr_keeps_its_last_byte_in_the_round_trip() {
        // Written, it ends "\r\n\r" + the separator "\n": once read as a CRLF separator.
        let raw = b"Subject: cr\r\n\r\nbody\r\n\r".to_vec();
        let mut w = Writer::new(Vec::new());
        w.write("a@b", date(), &raw).unwrap();
        w.write("a@b", date(), &raw).unwrap();
        let e = read_all(&w.into_inner(), Flavor::Rd, MAX);
        let got: Vec<&[u8]> = messages(&e).iter().map(|m| &m.raw[..]).collect();
        assert_eq!(
            got,
            vec![&raw[..], &raw[..]],
            "both messages come back with their final CR: {e:?}"
        );
    }

    #[test]
    fn a_crlf_mbox_loses_only_its_crlf_separator_lines() {
        let file = b"From a@b Mon Nov 30 10:00:00 2026\r\nSubject: one\r\n\r\nbody\r\n\r\n\
From a@b Mon Nov 30 10:00:00 2026\r\nSubject: two\r\n\r\nend\r\n\r\n";
        let e = read_all(file, Flavor::Rd, MAX);
        let got: Vec<&[u8]> = messages(&e).iter().map(|m| &m.raw[..]).collect();
        assert_eq!(
            got,
            vec![
                &b"Subject: one\r\n\r\nbody\r\n"[..],
                &b"Subject: two\r\n\r\nend\r\n"[..]
            ],
            "each message ends with its own last line: {e:?}"
        );
    }

    #[test]
    fn a_file_without_any_from_line_is_not_an_mbox() {
        let e = read_all(b"Subject: x\n\nbody\n", Flavor::Rd, MAX);
        assert_eq!(problems(&e).len(), 1, "{e:?}");
        assert!(problems(&e)[0].reason.contains("not an mbox"));
        assert!(
            read_all(b"", Flavor::Rd, MAX).is_empty(),
            "an empty file has nothing"
        );
    }
}
