//! Lines and header fields of raw message bytes, with their line numbers, for the checks.

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    CrLf,
    /// A LF with no CR before it.
    Lf,
    /// A CR with no LF after it.
    Cr,
    /// The last line, with no ending.
    None,
}

/// One line of raw bytes: `start..end` excludes the ending.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    pub start: usize,
    pub end: usize,
    pub ending: Ending,
    /// 1-based.
    pub number: u32,
}

impl Line {
    pub fn bytes<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        &raw[self.start..self.end]
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    /// Where the next line starts.
    pub fn next(&self) -> usize {
        self.end
            + match self.ending {
                Ending::CrLf => 2,
                Ending::Lf | Ending::Cr => 1,
                Ending::None => 0,
            }
    }
}

/// Every line of `raw[from..]`, numbered from `first_number`; CRLF, a bare LF and a bare CR
/// each end a line, as the strictest receiver would count them.
pub(super) fn lines(raw: &[u8], from: usize, first_number: u32) -> impl Iterator<Item = Line> + '_ {
    let mut pos = from;
    let mut number = first_number;
    std::iter::from_fn(move || {
        if pos >= raw.len() {
            return None;
        }
        let start = pos;
        let found = memchr::memchr2(b'\r', b'\n', &raw[pos..]).map(|i| pos + i);
        let line = match found {
            None => Line {
                start,
                end: raw.len(),
                ending: Ending::None,
                number,
            },
            Some(i) if raw[i] == b'\n' => Line {
                start,
                end: i,
                ending: Ending::Lf,
                number,
            },
            Some(i) if raw.get(i + 1) == Some(&b'\n') => Line {
                start,
                end: i,
                ending: Ending::CrLf,
                number,
            },
            Some(i) => Line {
                start,
                end: i,
                ending: Ending::Cr,
                number,
            },
        };
        pos = line.next();
        number += 1;
        Some(line)
    })
}

/// One header field, unfolded.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// As spelled in the message.
    pub name: String,
    /// The value's raw bytes with folding removed (line endings dropped), trimmed.
    pub value: Vec<u8>,
    pub line: u32,
}

impl Field {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
}

/// A line in a header block that is neither a field nor a folded continuation.
#[derive(Debug, Clone)]
pub(super) struct BadLine {
    pub line: u32,
    pub text: String,
}

/// The header block of an entity (a message or a MIME part).
#[derive(Debug, Clone, Default)]
pub(super) struct HeaderBlock {
    pub fields: Vec<Field>,
    pub bad: Vec<BadLine>,
    /// Where the body starts (after the empty line), or the end of the entity.
    pub body_start: usize,
    /// The body's first line number.
    pub body_line: u32,
    /// The header block's byte range, for the 8-bit scan.
    pub start: usize,
    pub end: usize,
}

impl HeaderBlock {
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.is(name))
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields.iter().filter(move |f| f.is(name))
    }
}

fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

/// Reads the header block of `raw[start..end]`, whose first line is `first_line`. The block
/// ends at the first empty line.
pub(super) fn header_block(raw: &[u8], start: usize, end: usize, first_line: u32) -> HeaderBlock {
    let slice = &raw[..end];
    let mut block = HeaderBlock {
        start,
        end,
        body_start: end,
        body_line: first_line,
        ..HeaderBlock::default()
    };
    let mut last_line = first_line;
    for line in lines(slice, start, first_line) {
        last_line = line.number;
        let bytes = line.bytes(slice);
        if bytes.is_empty() {
            block.end = line.start;
            block.body_start = line.next();
            block.body_line = line.number + 1;
            return block;
        }
        if bytes[0] == b' ' || bytes[0] == b'\t' {
            match block.fields.last_mut() {
                Some(f) if block.bad.last().is_none_or(|b| b.line < f.line) => {
                    f.value.push(b' ');
                    f.value.extend_from_slice(trim(bytes));
                }
                _ => block.bad.push(BadLine {
                    line: line.number,
                    text: shown(bytes),
                }),
            }
            continue;
        }
        match memchr::memchr(b':', bytes) {
            Some(colon) if is_field_name(&bytes[..colon]) => block.fields.push(Field {
                name: String::from_utf8_lossy(&bytes[..colon]).into_owned(),
                value: trim(&bytes[colon + 1..]).to_vec(),
                line: line.number,
            }),
            // `Name :` (obsolete, RFC 5322 §4.5) is still a field.
            Some(colon) if is_field_name(trim(&bytes[..colon])) => block.fields.push(Field {
                name: String::from_utf8_lossy(trim(&bytes[..colon])).into_owned(),
                value: trim(&bytes[colon + 1..]).to_vec(),
                line: line.number,
            }),
            _ => block.bad.push(BadLine {
                line: line.number,
                text: shown(bytes),
            }),
        }
    }
    block.body_line = last_line + 1;
    block
}

pub(super) fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

/// A short, printable rendering of raw bytes for a finding's message.
pub(super) fn shown(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}
