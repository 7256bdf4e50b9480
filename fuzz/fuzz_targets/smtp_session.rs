//! The SMTP session state machine fed arbitrary bytes, in fuzzer-chosen pieces, under a
//! fuzzer-chosen configuration. The harness plays the connection loop: it commits or fails
//! each delivery, completes STARTTLS, and stops at a close. Invariants: no panic, and every
//! reply is well-formed on the wire (a 2xx-5xx code, `-` or space, CRLF-terminated lines,
//! no other control bytes).
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::Arc;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pigeonhole_core::model::TlsInfo;
use pigeonhole_core::smtp::auth::AuthPolicy;
use pigeonhole_core::smtp::reply::Reply;
use pigeonhole_core::smtp::session::Output;
use pigeonhole_core::smtp::{Session, SessionConfig};

fn check_reply(r: &Reply) {
    assert!(
        (200..600).contains(&r.code),
        "reply code {} is not 2xx-5xx",
        r.code
    );
    let wire = r.to_wire();
    assert!(
        wire.ends_with("\r\n"),
        "reply {wire:?} does not end with CRLF"
    );
    let lines: Vec<&str> = wire[..wire.len() - 2].split("\r\n").collect();
    for (i, line) in lines.iter().enumerate() {
        let b = line.as_bytes();
        assert!(
            b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && (b'2'..=b'5').contains(&b[0]),
            "reply line {line:?} does not start with a 3-digit code"
        );
        let sep = if i + 1 == lines.len() { b' ' } else { b'-' };
        assert_eq!(
            b[3], sep,
            "reply line {line:?}: wrong separator after the code"
        );
        assert_eq!(&b[..3], &wire.as_bytes()[..3], "reply {wire:?} mixes codes");
        assert!(
            !line.chars().any(|c| c.is_control()),
            "reply line {line:?} carries a control character"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let (points, input) = common::split_points(data);
    let cfg = SessionConfig {
        max_message_size: if flags & 1 == 0 { 1 << 20 } else { 64 },
        max_recipients: if flags & 2 == 0 { 100 } else { 2 },
        max_line_length: if flags & 4 == 0 { 512 } else { 32 },
        starttls: flags & 8 != 0,
        auth: if flags & 16 == 0 {
            AuthPolicy::Any
        } else {
            AuthPolicy::Users(vec![("user".into(), "secret".into())])
        },
        show_passwords: flags & 32 != 0,
        ..SessionConfig::default()
    };
    let fail_every_other = flags & 64 != 0;
    let mut session = Session::new(Arc::new(cfg));
    session.open();
    let mut buf = BytesMut::new();
    let mut deliveries = 0u32;
    'feed: for piece in common::pieces(input, &points) {
        buf.extend_from_slice(piece);
        while let Some(out) = session.advance(&mut buf) {
            match out {
                Output::Reply(r) => check_reply(&r),
                Output::Deliver(d) => {
                    assert!(
                        d.transcript_first <= d.transcript_end,
                        "a delivery's transcript range is reversed"
                    );
                    deliveries += 1;
                    if fail_every_other && deliveries % 2 == 0 {
                        session.delivered(Err("disk full".into()));
                    } else {
                        session.delivered(Ok(i64::from(deliveries)));
                    }
                }
                Output::StartTls => {
                    buf.clear();
                    session.tls_started(TlsInfo {
                        version: "TLSv1.3".into(),
                        cipher: "TLS13_AES_128_GCM_SHA256".into(),
                    });
                }
                Output::Delay(_) => {}
                Output::CutReply(r) => {
                    check_reply(&r);
                    break 'feed;
                }
                Output::Close | Output::FailTls => break 'feed,
            }
        }
        if session.is_closed() {
            break;
        }
    }
    session.end();
    assert!(session.is_closed(), "end() leaves the session closed");
});
