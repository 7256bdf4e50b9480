//! The DATA and BDAT receivers. Differential properties over one fuzzer-chosen message:
//!
//! 1. `DataReceiver` fed the input whole or cut at fuzzer-chosen points ends at the same
//!    place with the same body, count and over-limit verdict.
//! 2. Dot-stuffing round trip: the message stuffed as a client does (a dot added to each
//!    line that starts with one, after CRLF), then `.CRLF`, comes back byte-exact, with what
//!    follows the terminator left in the buffer.
//! 3. Through the session: the same message sent by DATA (stuffed) and by BDAT (in the
//!    fuzzer's chunks), each fed in pieces, is delivered with the same bytes.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::Arc;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pigeonhole_core::smtp::data::DataReceiver;
use pigeonhole_core::smtp::session::Output;
use pigeonhole_core::smtp::{Session, SessionConfig};

struct Received {
    done: bool,
    body: Vec<u8>,
    left: Vec<u8>,
    received: usize,
    over: bool,
}

fn receive(pieces: &[&[u8]], max: usize) -> Received {
    let mut rx = DataReceiver::new(max);
    let mut buf = BytesMut::new();
    let mut done = false;
    for piece in pieces {
        buf.extend_from_slice(piece);
        if !done && rx.feed(&mut buf) {
            done = true;
        }
    }
    Received {
        done,
        left: buf.to_vec(),
        received: rx.received(),
        over: rx.over_limit(),
        body: rx.into_body(),
    }
}

/// Dot-stuffing as RFC 5321 §4.5.2 asks of a client, with a line starting only after CRLF
/// (as the receiver reads it), and the terminator.
fn stuff(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 8);
    let mut at_line_start = true;
    for (i, &b) in msg.iter().enumerate() {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n' && i > 0 && msg[i - 1] == b'\r';
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The message as a client sends it by DATA: ending with CRLF.
fn with_final_crlf(payload: &[u8]) -> Vec<u8> {
    let mut m = payload.to_vec();
    if !m.is_empty() && !m.ends_with(b"\r\n") {
        m.extend_from_slice(b"\r\n");
    }
    m
}

/// Runs a session over `wire` cut at `points`; returns the bytes of each delivery.
fn session_deliveries(wire: &[u8], points: &[usize]) -> Vec<Vec<u8>> {
    let mut session = Session::new(Arc::new(SessionConfig::default()));
    session.open();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in common::pieces(wire, points) {
        buf.extend_from_slice(piece);
        while let Some(o) = session.advance(&mut buf) {
            match o {
                Output::Deliver(d) => {
                    out.push(d.raw);
                    session.delivered(Ok(out.len() as i64));
                }
                Output::Reply(r) => assert!(
                    r.code < 400,
                    "a well-formed transaction was refused: {}",
                    r.to_wire()
                ),
                other => panic!("unexpected output {other:?}"),
            }
        }
    }
    out
}

/// The split points moved into `0..=len`, sorted.
fn fit(points: &[usize], len: usize) -> Vec<usize> {
    let mut p: Vec<usize> = points.iter().map(|&p| p % (len + 1)).collect();
    p.sort_unstable();
    p
}

const HELLO: &[u8] = b"EHLO fuzz.test\r\nMAIL FROM:<a@fuzz.test>\r\nRCPT TO:<b@fuzz.test>\r\n";

fuzz_target!(|data: &[u8]| {
    let (points, payload) = common::split_points(data);
    let pieces = common::pieces(payload, &points);

    // 1. Chunking does not change what DATA receives, under or over the limit.
    for max in [1 << 20, 16] {
        let whole = receive(&[payload], max);
        let cut = receive(&pieces, max);
        assert_eq!(cut.done, whole.done, "chunking changed where DATA ends");
        assert_eq!(cut.left, whole.left, "chunking changed what follows DATA");
        assert_eq!(
            cut.received, whole.received,
            "chunking changed the byte count"
        );
        assert_eq!(
            cut.over, whole.over,
            "chunking changed the over-limit verdict"
        );
        if !whole.over {
            assert_eq!(cut.body, whole.body, "chunking changed the message");
        }
    }

    // 2. Stuff, then receive: the same message, and the pipelined tail left over.
    let msg = with_final_crlf(payload);
    let mut wire = stuff(&msg);
    let stuffed_len = wire.len();
    wire.extend_from_slice(b"QUIT\r\n");
    let got = receive(&common::pieces(&wire, &fit(&points, wire.len())), 1 << 20);
    assert!(
        got.done,
        "the terminator of a stuffed message was not found"
    );
    assert_eq!(
        got.body, msg,
        "dot-unstuffing did not give the message back"
    );
    assert_eq!(
        got.left,
        &wire[stuffed_len..],
        "the command after DATA was not left over"
    );

    // 3. DATA and BDAT deliver the same bytes.
    let mut data_wire = HELLO.to_vec();
    data_wire.extend_from_slice(b"DATA\r\n");
    data_wire.extend_from_slice(&stuff(&msg));
    let data_points = fit(&points, data_wire.len());
    let by_data = session_deliveries(&data_wire, &data_points);
    assert_eq!(
        by_data,
        vec![msg.clone()],
        "DATA did not deliver the message"
    );

    let mut bdat_wire = HELLO.to_vec();
    let chunks = common::pieces(&msg, &fit(&points, msg.len()));
    for (i, chunk) in chunks.iter().enumerate() {
        let last = if i + 1 == chunks.len() { " LAST" } else { "" };
        bdat_wire.extend_from_slice(format!("BDAT {}{last}\r\n", chunk.len()).as_bytes());
        bdat_wire.extend_from_slice(chunk);
    }
    let bdat_points = fit(&points, bdat_wire.len());
    let by_bdat = session_deliveries(&bdat_wire, &bdat_points);
    assert_eq!(by_bdat, by_data, "BDAT and DATA delivered different bytes");
});
