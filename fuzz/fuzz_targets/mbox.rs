//! The mbox reader and writer. Arbitrary bytes: the reader never panics, and what it
//! reports lies inside the input in order. Round trip: messages cut from the input at
//! fuzzer-chosen points, written with `mbox::Writer` and read back, come back byte-exact
//! with their senders (or as the documented problems: an empty message; a last message
//! that looks truncated).
#![no_main]

#[path = "common.rs"]
mod common;

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use pigeonhole_core::transfer::header_end;
use pigeonhole_core::transfer::mbox::{Entry, Flavor, Reader, Writer};

fn read(bytes: &[u8], flavor: Flavor, max: usize) -> Vec<Entry> {
    Reader::new(bytes, flavor, max)
        .collect::<std::io::Result<Vec<_>>>()
        .expect("reading from memory cannot fail")
}

const SENDERS: [&str; 4] = ["app@example.test", "", "two words", "MAILER-DAEMON"];

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes as an mbox.
    for flavor in [Flavor::Rd, Flavor::O] {
        for max in [1 << 20, 32] {
            let mut last = None;
            for entry in read(data, flavor, max) {
                let offset = match &entry {
                    Entry::Message(m) => {
                        assert!(m.raw.len() <= max, "a message over max_size was returned");
                        m.offset
                    }
                    Entry::Problem(p) => p.offset,
                };
                assert!(
                    offset <= data.len() as u64,
                    "an offset past the end of the input"
                );
                if let Some(l) = last {
                    assert!(offset >= l, "entries out of order");
                }
                last = Some(offset);
            }
        }
    }

    // Write, then read: the same messages.
    let Some((&who, data)) = data.split_first() else {
        return;
    };
    let (points, payload) = common::split_points(data);
    let messages = common::pieces(payload, &points);
    let date = DateTime::from_timestamp(1_796_000_000, 0).expect("a fixed time");
    let mut w = Writer::new(Vec::new());
    for (i, m) in messages.iter().enumerate() {
        let sender = SENDERS[(usize::from(who) + i) % SENDERS.len()];
        w.write(sender, date, m)
            .expect("writing to memory cannot fail");
    }
    let file = w.into_inner();
    let entries = read(&file, Flavor::Rd, 1 << 20);
    assert_eq!(
        entries.len(),
        messages.len(),
        "messages written and entries read differ in number"
    );
    for (i, (entry, m)) in entries.iter().zip(&messages).enumerate() {
        match entry {
            Entry::Message(got) => {
                assert_eq!(got.index, i as u64 + 1, "message {i} has the wrong index");
                assert_eq!(&got.raw[..], *m, "message {i} changed in the round trip");
                let sender = SENDERS[(usize::from(who) + i) % SENDERS.len()];
                let want = match sender {
                    "" | "MAILER-DAEMON" => String::new(),
                    s => s.replace(' ', "_"),
                };
                assert_eq!(
                    got.sender.as_deref(),
                    Some(want.as_str()),
                    "message {i}: sender"
                );
            }
            Entry::Problem(p) => {
                let empty = m.iter().all(u8::is_ascii_whitespace);
                let last_truncated = i + 1 == messages.len()
                    && (header_end(m).is_none()
                        || String::from_utf8_lossy(m)
                            .to_ascii_lowercase()
                            .contains("content-length"));
                assert!(
                    empty || last_truncated,
                    "message {i} ({m:?}) came back as a problem: {}",
                    p.reason
                );
            }
        }
    }
});
