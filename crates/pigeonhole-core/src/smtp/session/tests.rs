//! Table-driven tests of the session state machine: byte strings in, reply codes out.

use std::sync::Arc;

use bytes::BytesMut;

use super::{Output, Problems, Session, SessionConfig, Stage};
use crate::model::{Direction, TlsInfo};
use crate::smtp::auth::{cram_md5_digest, decode_b64, encode_b64, AuthPolicy};

/// What a conversation produced.
#[derive(Default, Debug)]
struct Run {
    /// Every reply, as "CODE[ ENHANCED]" of its last line, e.g. "250 2.1.0".
    codes: Vec<String>,
    /// Full wire text of every reply.
    wire: Vec<String>,
    /// Raw bodies of delivered messages, in order.
    delivered: Vec<Vec<u8>>,
    envelopes: Vec<crate::model::Envelope>,
    starttls: bool,
    closed: bool,
    /// Delays fault rules asked for, in order.
    delays: Vec<std::time::Duration>,
    /// A reply a rule cut in half (the wire text of the whole reply).
    cut: Option<String>,
    failed_tls: bool,
    /// Each delivered message's first transcript line.
    firsts: Vec<usize>,
}

/// Opens the session and takes its greeting.
fn greet(s: &mut Session) {
    s.open();
    let out = s.advance(&mut BytesMut::new());
    assert!(
        matches!(&out, Some(Output::Reply(r)) if r.code == 220),
        "the greeting comes first: {out:?}"
    );
}

fn cfg() -> SessionConfig {
    SessionConfig {
        hostname: "test.local".into(),
        max_message_size: 1000,
        max_recipients: 3,
        max_line_length: 512,
        starttls: true,
        auth: AuthPolicy::Any,
        show_passwords: false,
        auth_max_failures: 5,
    }
}

fn drive(session: &mut Session, input: &[u8], run: &mut Run) {
    let mut buf = BytesMut::from(input);
    while let Some(out) = session.advance(&mut buf) {
        match out {
            Output::Reply(r) => {
                run.codes.push(match r.enhanced {
                    Some(e) => format!("{} {}", r.code, e),
                    None => r.code.to_string(),
                });
                run.wire.push(r.to_wire());
            }
            Output::Deliver(d) => {
                run.firsts.push(d.transcript_first);
                run.delivered.push(d.raw);
                run.envelopes.push(d.envelope);
                let n = run.delivered.len() as i64;
                session.delivered(Ok(n));
            }
            Output::StartTls => {
                run.starttls = true;
                // Whatever was pipelined after STARTTLS is dropped by the connection loop.
                buf.clear();
                session.tls_started(TlsInfo {
                    version: "TLSv1.3".into(),
                    cipher: "TEST".into(),
                });
            }
            Output::Close => run.closed = true,
            Output::Delay(d) => run.delays.push(d),
            Output::CutReply(r) => {
                run.cut = Some(r.to_wire());
                run.closed = true;
            }
            Output::FailTls => {
                run.failed_tls = true;
                run.closed = true;
            }
        }
    }
}

fn talk_with(config: SessionConfig, input: &[u8]) -> Run {
    let mut s = Session::new(Arc::new(config));
    let mut run = Run::default();
    greet(&mut s);
    drive(&mut s, input, &mut run);
    run
}

fn talk(input: &[u8]) -> Run {
    talk_with(cfg(), input)
}

/// A conversation and the codes it must produce, in order.
struct Case {
    name: &'static str,
    input: &'static [u8],
    codes: &'static [&'static str],
}

const EHLO: &[u8] = b"EHLO client.example\r\n";

#[test]
fn command_reply_table() {
    let cases = [
        Case { name: "HELO gives one-line 250", input: b"HELO c\r\n", codes: &["250"] },
        Case { name: "EHLO gives 250", input: b"EHLO c\r\n", codes: &["250"] },
        Case { name: "HELO needs an argument", input: b"HELO\r\n", codes: &["501 5.5.4"] },
        Case { name: "NOOP", input: b"NOOP\r\n", codes: &["250 2.0.0"] },
        Case { name: "NOOP ignores its argument", input: b"NOOP hello\r\n", codes: &["250 2.0.0"] },
        Case { name: "QUIT", input: b"QUIT\r\n", codes: &["221 2.0.0"] },
        Case { name: "HELP", input: b"HELP\r\n", codes: &["214 2.0.0"] },
        Case { name: "HELP topic", input: b"HELP MAIL\r\n", codes: &["214 2.0.0"] },
        Case { name: "VRFY is 252", input: b"VRFY bob\r\n", codes: &["252 2.5.0"] },
        Case { name: "VRFY needs an argument", input: b"VRFY\r\n", codes: &["501 5.5.4"] },
        Case { name: "EXPN is 502 (documented)", input: b"EXPN list\r\n", codes: &["502 5.5.1"] },
        Case { name: "TURN", input: b"TURN\r\n", codes: &["502 5.5.1"] },
        Case { name: "ATRN", input: b"ATRN example.com\r\n", codes: &["502 5.5.1"] },
        Case { name: "ETRN", input: b"ETRN example.com\r\n", codes: &["502 5.5.1"] },
        Case { name: "SEND", input: b"SEND FROM:<a@b>\r\n", codes: &["502 5.5.1"] },
        Case { name: "SOML", input: b"SOML FROM:<a@b>\r\n", codes: &["502 5.5.1"] },
        Case { name: "SAML", input: b"SAML FROM:<a@b>\r\n", codes: &["502 5.5.1"] },
        Case { name: "unknown command", input: b"FROB\r\n", codes: &["500 5.5.2"] },
        Case { name: "RSET", input: b"RSET\r\n", codes: &["250 2.0.0"] },
        Case { name: "RSET takes no arguments", input: b"RSET x\r\n", codes: &["501 5.5.4"] },
        Case { name: "MAIL before HELO", input: b"MAIL FROM:<a@b.c>\r\n", codes: &["503 5.5.1"] },
        Case { name: "RCPT before MAIL", input: b"EHLO c\r\nRCPT TO:<a@b.c>\r\n", codes: &["250", "503 5.5.1"] },
        Case { name: "DATA before MAIL", input: b"EHLO c\r\nDATA\r\n", codes: &["250", "503 5.5.1"] },
        Case {
            name: "DATA without RCPT",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nDATA\r\n",
            codes: &["250", "250 2.1.0", "503 5.5.1"],
        },
        Case { name: "null sender", input: b"EHLO c\r\nMAIL FROM:<>\r\n", codes: &["250", "250 2.1.0"] },
        Case { name: "space after colon", input: b"EHLO c\r\nMAIL FROM: <a@b.c>\r\n", codes: &["250", "250 2.1.0"] },
        Case { name: "unbracketed sender", input: b"EHLO c\r\nMAIL FROM:a@b.c\r\n", codes: &["250", "250 2.1.0"] },
        Case {
            name: "source route stripped",
            input: b"EHLO c\r\nMAIL FROM:<@x.y,@z.w:a@b.c>\r\n",
            codes: &["250", "250 2.1.0"],
        },
        Case { name: "missing >", input: b"EHLO c\r\nMAIL FROM:<a@b.c\r\n", codes: &["250", "501 5.1.7"] },
        Case { name: "MAIL without FROM:", input: b"EHLO c\r\nMAIL <a@b.c>\r\n", codes: &["250", "501 5.5.4"] },
        Case {
            name: "all MAIL parameters",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc123 AUTH=<>\r\n",
            codes: &["250", "250 2.1.0"],
        },
        Case { name: "BODY=7BIT", input: b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=7BIT\r\n", codes: &["250", "250 2.1.0"] },
        Case { name: "BODY=BINARYMIME", input: b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\n", codes: &["250", "250 2.1.0"] },
        Case { name: "bad BODY", input: b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=9BIT\r\n", codes: &["250", "501 5.5.4"] },
        Case { name: "SIZE over limit", input: b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=1001\r\n", codes: &["250", "552 5.3.4"] },
        Case { name: "SIZE huge", input: b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=99999999999999999999999\r\n", codes: &["250", "552 5.3.4"] },
        Case { name: "SIZE not numeric", input: b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=ten\r\n", codes: &["250", "501 5.5.4"] },
        Case { name: "bad RET", input: b"EHLO c\r\nMAIL FROM:<a@b.c> RET=ALL\r\n", codes: &["250", "501 5.5.4"] },
        Case { name: "unknown MAIL parameter", input: b"EHLO c\r\nMAIL FROM:<a@b.c> FOO=1\r\n", codes: &["250", "555 5.5.4"] },
        Case { name: "parameters after HELO", input: b"HELO c\r\nMAIL FROM:<a@b.c> SIZE=1\r\n", codes: &["250", "555 5.5.4"] },
        Case {
            name: "non-ASCII sender without SMTPUTF8",
            input: "EHLO c\r\nMAIL FROM:<ü@b.c>\r\n".as_bytes(),
            codes: &["250", "553 5.6.7"],
        },
        Case {
            name: "non-ASCII sender with SMTPUTF8",
            input: "EHLO c\r\nMAIL FROM:<ü@b.c> SMTPUTF8\r\nRCPT TO:<ö@例え.jp>\r\n".as_bytes(),
            codes: &["250", "250 2.1.0", "250 2.1.5"],
        },
        Case {
            name: "nested MAIL",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\n",
            codes: &["250", "250 2.1.0", "503 5.5.1"],
        },
        Case {
            name: "RCPT parameters",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y.z\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5"],
        },
        Case {
            name: "NOTIFY=NEVER cannot combine",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z> NOTIFY=NEVER,SUCCESS\r\n",
            codes: &["250", "250 2.1.0", "501 5.5.4"],
        },
        Case {
            name: "unknown RCPT parameter",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z> FOO\r\n",
            codes: &["250", "250 2.1.0", "555 5.5.4"],
        },
        Case {
            name: "RCPT null path",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<>\r\n",
            codes: &["250", "250 2.1.0", "501 5.1.3"],
        },
        Case {
            name: "RCPT postmaster",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<Postmaster>\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5"],
        },
        Case {
            name: "too many recipients",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<1@y.z>\r\nRCPT TO:<2@y.z>\r\nRCPT TO:<3@y.z>\r\nRCPT TO:<4@y.z>\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5", "250 2.1.5", "250 2.1.5", "452 4.5.3"],
        },
        Case {
            name: "DATA with an argument",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA now\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5", "501 5.5.4"],
        },
        Case {
            name: "a whole message",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5", "354", "250 2.0.0", "221 2.0.0"],
        },
        Case {
            name: "BINARYMIME refuses DATA",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<x@y.z>\r\nDATA\r\n",
            codes: &["250", "250 2.1.0", "250 2.1.5", "503 5.5.1"],
        },
        Case { name: "STARTTLS with arguments", input: b"EHLO c\r\nSTARTTLS now\r\n", codes: &["250", "501 5.5.4"] },
        Case {
            name: "STARTTLS in a transaction",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nSTARTTLS\r\n",
            codes: &["250", "250 2.1.0", "503 5.5.1"],
        },
        Case { name: "AUTH before EHLO", input: b"AUTH PLAIN\r\n", codes: &["503 5.5.1"] },
        Case { name: "AUTH unknown mechanism", input: b"EHLO c\r\nAUTH GSSAPI\r\n", codes: &["250", "504 5.5.4"] },
        Case { name: "AUTH PLAIN bad base64", input: b"EHLO c\r\nAUTH PLAIN !!!\r\n", codes: &["250", "501 5.5.2"] },
        Case { name: "AUTH cancelled with *", input: b"EHLO c\r\nAUTH LOGIN\r\n*\r\n", codes: &["250", "334", "501 5.0.0"] },
        Case { name: "AUTH PLAIN cancelled with *", input: b"EHLO c\r\nAUTH PLAIN\r\n*\r\n", codes: &["250", "334", "501 5.0.0"] },
        Case { name: "CRAM-MD5 takes no initial response", input: b"EHLO c\r\nAUTH CRAM-MD5 abc\r\n", codes: &["250", "501 5.5.2"] },
        Case { name: "BDAT without MAIL", input: b"EHLO c\r\nBDAT 3 LAST\r\nabcNOOP\r\n", codes: &["250", "503 5.5.1", "250 2.0.0"] },
        Case { name: "BDAT bad size", input: b"EHLO c\r\nBDAT x\r\n", codes: &["250", "501 5.5.4"] },
    ];
    for case in &cases {
        let run = talk(case.input);
        assert_eq!(run.codes, case.codes, "{}: reply codes", case.name);
    }
}

#[test]
fn ehlo_advertises_every_extension() {
    let run = talk(EHLO);
    let wire = &run.wire[0];
    for ext in [
        "PIPELINING",
        "SIZE 1000",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
        "AUTH PLAIN LOGIN CRAM-MD5",
        "HELP",
    ] {
        assert!(
            wire.contains(&format!("250-{ext}\r\n")) || wire.contains(&format!("250 {ext}\r\n")),
            "EHLO must advertise {ext}: {wire}"
        );
    }
    assert!(
        wire.starts_with("250-test.local"),
        "first EHLO line names the server: {wire}"
    );
    let helo = talk(b"HELO c\r\n");
    assert_eq!(
        helo.wire[0].matches("\r\n").count(),
        1,
        "HELO reply is one line: {}",
        helo.wire[0]
    );
}

#[test]
fn starttls_is_not_advertised_once_tls_is_on() {
    let mut s = Session::new(Arc::new(cfg()));
    let mut run = Run::default();
    drive(&mut s, b"EHLO c\r\nSTARTTLS\r\n", &mut run);
    drive(&mut s, b"EHLO c\r\n", &mut run);
    assert!(run.starttls, "STARTTLS must ask the loop for a handshake");
    assert_eq!(run.codes[1], "220 2.0.0");
    assert!(
        !run.wire[2].contains("STARTTLS"),
        "after TLS, EHLO must not offer STARTTLS again"
    );
}

#[test]
fn starttls_forgets_helo_and_discards_pipelined_commands() {
    // MAIL FROM pipelined behind STARTTLS would be injected plaintext (CVE-2011-0411).
    let run = talk(b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.y>\r\n");
    assert_eq!(
        run.codes,
        ["250", "220 2.0.0"],
        "nothing after STARTTLS may be answered"
    );
    let mut s = Session::new(Arc::new(cfg()));
    let mut run = Run::default();
    drive(&mut s, b"EHLO c\r\nSTARTTLS\r\n", &mut run);
    drive(&mut s, b"MAIL FROM:<a@b.c>\r\n", &mut run);
    assert_eq!(
        run.codes.last().map(String::as_str),
        Some("503 5.5.1"),
        "after TLS the client must EHLO again"
    );
}

#[test]
fn starttls_when_disabled_is_502() {
    let run = talk_with(
        SessionConfig {
            starttls: false,
            ..cfg()
        },
        b"EHLO c\r\nSTARTTLS\r\n",
    );
    assert_eq!(run.codes, ["250", "502 5.5.1"]);
    assert!(
        !run.wire[0].contains("STARTTLS"),
        "not advertised when disabled"
    );
}

fn message(body: &[u8]) -> Vec<u8> {
    let mut v = b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n".to_vec();
    v.extend_from_slice(body);
    v
}

#[test]
fn data_transparency_and_smuggling_table() {
    let cases: &[(&str, &[u8], &[u8])] = &[
        (
            "leading dot unstuffed",
            b"..hidden\r\n.\r\n",
            b".hidden\r\n",
        ),
        (
            "lone dot inside a line kept",
            b"a . b\r\n.\r\n",
            b"a . b\r\n",
        ),
        (
            "bare LF dot LF is data",
            b"x\n.\nMAIL FROM:<s@m.g>\r\n.\r\n",
            b"x\n.\nMAIL FROM:<s@m.g>\r\n",
        ),
        (
            "CR dot CRLF is data",
            b"x\r.\r\ny\r\n.\r\n",
            b"x\r.\r\ny\r\n",
        ),
        (
            "LF dot CRLF is data",
            b"x\n.\r\ny\r\n.\r\n",
            b"x\n.\r\ny\r\n",
        ),
        (
            "8-bit bytes kept",
            b"caf\xc3\xa9 \xff\r\n.\r\n",
            b"caf\xc3\xa9 \xff\r\n",
        ),
    ];
    for (name, body, want) in cases {
        let run = talk(&message(body));
        assert_eq!(run.delivered.len(), 1, "{name}: exactly one message");
        assert_eq!(run.delivered[0], want.to_vec(), "{name}: stored bytes");
    }
}

#[test]
fn smuggled_second_message_is_not_delivered() {
    let run = talk(&message(
        b"Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@x.y>\nRCPT TO:<v@x.y>\nDATA\nevil\n.\n",
    ));
    assert_eq!(
        run.delivered.len(),
        0,
        "the message is still open: bare LF dot never ends it"
    );
    assert_eq!(
        run.codes,
        ["250", "250 2.1.0", "250 2.1.5", "354"],
        "the smuggled MAIL/RCPT/DATA got no replies"
    );
}

#[test]
fn oversized_message_is_read_to_the_end_then_552() {
    let big = vec![b'x'; 1500];
    let mut body = big.clone();
    body.extend_from_slice(b"\r\n.\r\nNOOP\r\n");
    let run = talk(&message(&body));
    assert_eq!(
        run.codes[4..],
        ["552 5.3.4", "250 2.0.0"],
        "552 after the terminator, then the next command works"
    );
    assert!(run.delivered.is_empty(), "nothing stored");
}

#[test]
fn many_messages_on_one_connection_and_rset_keeps_helo() {
    let mut input = Vec::new();
    input.extend_from_slice(EHLO);
    for i in 0..3 {
        input.extend_from_slice(
            format!("MAIL FROM:<a{i}@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nm{i}\r\n.\r\n").as_bytes(),
        );
    }
    input.extend_from_slice(b"MAIL FROM:<a@b.c>\r\nRSET\r\nMAIL FROM:<a@b.c>\r\n");
    let run = talk(&input);
    assert_eq!(run.delivered.len(), 3, "three messages on one connection");
    assert_eq!(run.delivered[2], b"m2\r\n");
    assert_eq!(run.envelopes[1].mail_from, "a1@b.c");
    assert_eq!(
        &run.codes[run.codes.len() - 3..],
        ["250 2.1.0", "250 2.0.0", "250 2.1.0"],
        "RSET keeps the HELO name"
    );
}

#[test]
fn second_ehlo_resets_the_transaction() {
    let run = talk(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nEHLO c\r\nRCPT TO:<x@y.z>\r\n");
    assert_eq!(
        run.codes[3], "503 5.5.1",
        "RCPT after a second EHLO has no MAIL"
    );
}

#[test]
fn envelope_records_parameters() {
    let run = talk(&message(b"hi\r\n.\r\n"));
    assert_eq!(run.envelopes[0].rcpt_to[0].address, "x@y.z");
    let run = talk(b"EHLO c\r\nMAIL FROM:<a@b.c> RET=FULL ENVID=e1\r\nRCPT TO:<x@y.z> NOTIFY=NEVER\r\nDATA\r\nhi\r\n.\r\n");
    let env = &run.envelopes[0];
    assert_eq!(
        env.mail_params,
        [
            ("RET".to_string(), "FULL".to_string()),
            ("ENVID".to_string(), "e1".to_string())
        ]
    );
    assert_eq!(
        env.rcpt_to[0].params,
        [("NOTIFY".to_string(), "NEVER".to_string())]
    );
}

#[test]
fn bdat_is_binary_safe_and_chunks_join() {
    let run = talk(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 5\r\na\r\n.\rBDAT 3 LAST\r\n\x00\xffzQUIT\r\n");
    assert_eq!(
        run.codes,
        [
            "250",
            "250 2.1.0",
            "250 2.1.5",
            "250 2.0.0",
            "250 2.0.0",
            "221 2.0.0"
        ]
    );
    assert_eq!(
        run.delivered,
        [b"a\r\n.\r\x00\xffz".to_vec()],
        "BDAT bytes are stored exactly, dots and all"
    );
}

#[test]
fn bdat_zero_last_ends_the_message() {
    let run =
        talk(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 2\r\nhiBDAT 0 LAST\r\n");
    assert_eq!(run.codes[3..], ["250 2.0.0", "250 2.0.0"]);
    assert_eq!(run.delivered, [b"hi".to_vec()]);
}

#[test]
fn bdat_chunk_is_consumed_when_rejected() {
    // The 4 bytes "NOOP" are chunk data, not a command, even though BDAT is refused.
    let run = talk(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nBDAT 4\r\nNOOPRSET\r\n");
    assert_eq!(run.codes, ["250", "250 2.1.0", "503 5.5.1", "250 2.0.0"]);
}

#[test]
fn data_after_bdat_is_503() {
    let run = talk(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 2\r\nhiDATA\r\n");
    assert_eq!(run.codes[4], "503 5.5.1", "mixing BDAT and DATA is refused");
}

#[test]
fn bdat_over_the_size_limit_is_552_and_ends_the_transaction() {
    let mut input =
        b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 1001 LAST\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 1001));
    input.extend_from_slice(b"NOOP\r\n");
    let run = talk(&input);
    assert_eq!(run.codes[3..], ["552 5.3.4", "250 2.0.0"]);
    assert!(run.delivered.is_empty());

    // A refused chunk ends the transaction, so a pipelined BDAT LAST cannot commit a
    // message with a chunk missing.
    let mut s = with_rules(
        serde_json::json!([{"name": "first chunk", "stage": "bdat", "nth": 1, "action": "reply", "code": 451}]),
    );
    let mut run = Run::default();
    drive(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 4\r\nabcdBDAT 3 LAST\r\nxyz",
        &mut run,
    );
    let codes: Vec<&str> = run.wire.iter().map(|w| &w[..3]).collect();
    assert_eq!(&codes[codes.len() - 2..], ["451", "503"], "{:?}", run.wire);
    assert!(run.delivered.is_empty(), "no truncated message is stored");
}

#[test]
fn a_refused_greeting_leaves_only_quit() {
    let mut s = with_rules(
        serde_json::json!([{"name": "go away", "stage": "connect", "action": "reply", "code": 554}]),
    );
    let mut run = Run::default();
    drive(&mut s, b"EHLO c\r\nMAIL FROM:<a@x>\r\nQUIT\r\n", &mut run);
    let codes: Vec<&str> = run.wire.iter().map(|w| &w[..3]).collect();
    assert_eq!(codes, ["554", "503", "503", "221"], "{:?}", run.wire);
}

#[test]
fn a_rule_note_at_mail_does_not_move_the_message_lines() {
    let mut s = with_rules(
        serde_json::json!([{"name": "slow", "stage": "mail", "action": "delay", "delay_ms": 10}]),
    );
    let mut run = Run::default();
    drive(&mut s, ONE_MESSAGE, &mut run);
    let lines = s.transcript_mut().pending().to_vec();
    assert_eq!(lines[run.firsts[0]].text, "MAIL FROM:<a@x>", "{lines:#?}");
}

#[test]
fn command_line_over_512_octets_is_500_and_the_session_goes_on() {
    let mut input = b"NOOP ".to_vec();
    input.extend(std::iter::repeat_n(b'a', 600));
    input.extend_from_slice(b"\r\nNOOP\r\n");
    let run = talk(&input);
    assert_eq!(run.codes, ["500 5.5.2", "250 2.0.0"]);
    // Exactly 512 octets including CRLF is allowed.
    let mut ok = b"NOOP ".to_vec();
    ok.extend(std::iter::repeat_n(b'a', 512 - 5 - 2));
    ok.extend_from_slice(b"\r\n");
    assert_eq!(
        talk(&ok).codes,
        ["250 2.0.0"],
        "a 512-octet line is within the limit"
    );
}

#[test]
fn overlong_line_split_across_reads_is_500() {
    let mut s = Session::new(Arc::new(cfg()));
    let mut run = Run::default();
    drive(&mut s, &vec![b'x'; 700], &mut run);
    assert!(run.codes.is_empty(), "no reply until the line ends");
    drive(&mut s, &vec![b'y'; 700], &mut run);
    drive(&mut s, b"\r\nNOOP\r\n", &mut run);
    assert_eq!(run.codes, ["500 5.5.2", "250 2.0.0"]);
}

#[test]
fn auth_plain_initial_response_and_after_334() {
    let creds = encode_b64(b"\0alice\0pw");
    let run = talk(format!("EHLO c\r\nAUTH PLAIN {creds}\r\n").as_bytes());
    assert_eq!(run.codes, ["250", "235 2.7.0"]);
    let run = talk(format!("EHLO c\r\nAUTH PLAIN\r\n{creds}\r\nAUTH PLAIN {creds}\r\n").as_bytes());
    assert_eq!(
        run.codes,
        ["250", "334", "235 2.7.0", "503 5.5.1"],
        "a second AUTH is refused"
    );
    assert_eq!(
        run.wire[1], "334 \r\n",
        "PLAIN without initial response gets an empty 334"
    );
}

#[test]
fn auth_login_prompts_exactly() {
    let run = talk(
        format!(
            "EHLO c\r\nAUTH LOGIN\r\n{}\r\n{}\r\n",
            encode_b64(b"alice"),
            encode_b64(b"pw")
        )
        .as_bytes(),
    );
    assert_eq!(run.wire[1], "334 VXNlcm5hbWU6\r\n");
    assert_eq!(run.wire[2], "334 UGFzc3dvcmQ6\r\n");
    assert_eq!(run.codes[3], "235 2.7.0");
    let run = talk(
        format!(
            "EHLO c\r\nAUTH LOGIN {}\r\n{}\r\n",
            encode_b64(b"alice"),
            encode_b64(b"pw")
        )
        .as_bytes(),
    );
    assert_eq!(
        run.codes,
        ["250", "334", "235 2.7.0"],
        "LOGIN with an initial response skips the user prompt"
    );
    assert_eq!(run.wire[1], "334 UGFzc3dvcmQ6\r\n");
}

#[test]
fn configured_users_are_checked() {
    let config = SessionConfig {
        auth: AuthPolicy::Users(vec![("alice".into(), "pw".into())]),
        ..cfg()
    };
    let good = encode_b64(b"\0alice\0pw");
    let bad = encode_b64(b"\0alice\0nope");
    assert_eq!(
        talk_with(
            config.clone(),
            format!("EHLO c\r\nAUTH PLAIN {bad}\r\n").as_bytes()
        )
        .codes[1],
        "535 5.7.8"
    );
    assert_eq!(
        talk_with(
            config.clone(),
            format!("EHLO c\r\nAUTH PLAIN {good}\r\n").as_bytes()
        )
        .codes[1],
        "235 2.7.0"
    );

    // CRAM-MD5: answer the challenge the server actually sent.
    let mut s = Session::new(Arc::new(config));
    let mut run = Run::default();
    drive(&mut s, b"EHLO c\r\nAUTH CRAM-MD5\r\n", &mut run);
    let challenge_b64 = run.wire[1]
        .trim_start_matches("334 ")
        .trim_end()
        .to_string();
    let challenge =
        String::from_utf8(decode_b64(&challenge_b64).expect("challenge is base64")).expect("utf8");
    assert!(
        challenge.starts_with('<') && challenge.ends_with('>'),
        "RFC 2195 challenge shape: {challenge}"
    );
    let answer = encode_b64(format!("alice {}", cram_md5_digest("pw", &challenge)).as_bytes());
    drive(&mut s, format!("{answer}\r\n").as_bytes(), &mut run);
    assert_eq!(
        run.codes.last().map(String::as_str),
        Some("235 2.7.0"),
        "correct CRAM-MD5 digest accepted"
    );
    assert_eq!(
        s.auth().map(|a| a.user.as_str()),
        Some("alice"),
        "the authenticated user is recorded"
    );
}

#[test]
fn passwords_are_masked_in_the_transcript_unless_asked() {
    let creds = encode_b64(b"\0alice\0hunter2");
    let mut s = Session::new(Arc::new(cfg()));
    let mut run = Run::default();
    drive(
        &mut s,
        format!("EHLO c\r\nAUTH PLAIN {creds}\r\nAUTH LOGIN\r\n").as_bytes(),
        &mut run,
    );
    let text: Vec<String> = s
        .transcript_mut()
        .pending()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(
        text.iter().all(|l| !l.contains(&creds)),
        "PLAIN credentials must not be in the transcript: {text:?}"
    );
    assert!(
        text.iter().any(|l| l == "AUTH PLAIN ********"),
        "the masked command is recorded: {text:?}"
    );

    let mut s = Session::new(Arc::new(SessionConfig {
        show_passwords: true,
        ..cfg()
    }));
    drive(
        &mut s,
        format!("EHLO c\r\nAUTH PLAIN {creds}\r\n").as_bytes(),
        &mut Run::default(),
    );
    assert!(
        s.transcript_mut()
            .pending()
            .iter()
            .any(|l| l.text.contains(&creds)),
        "with show_passwords the line is verbatim"
    );
}

#[test]
fn transcript_has_every_line_and_summarises_data() {
    let mut s = Session::new(Arc::new(cfg()));
    greet(&mut s);
    drive(
        &mut s,
        &message(b"Subject: x\r\n\r\nhello\r\n.\r\n"),
        &mut Run::default(),
    );
    let lines = s.transcript_mut().pending().to_vec();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(texts[0].starts_with("220 "), "greeting first: {texts:?}");
    assert!(texts.contains(&"EHLO c"), "client lines recorded");
    assert!(
        texts.contains(&"[21 bytes]"),
        "DATA content summarised, not repeated: {texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("hello")),
        "message content is not in the transcript"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.dir == Direction::Out && l.text.starts_with("250 2.0.0 Ok")),
        "the final 250 is recorded"
    );
}

#[test]
fn store_failure_is_451_and_the_session_continues() {
    let mut s = Session::new(Arc::new(cfg()));
    let mut buf = BytesMut::from(&message(b"x\r\n.\r\nNOOP\r\n")[..]);
    let mut codes = Vec::new();
    while let Some(out) = s.advance(&mut buf) {
        match out {
            Output::Reply(r) => codes.push(r.code),
            Output::Deliver(_) => s.delivered(Err("disk full".into())),
            _ => {}
        }
    }
    assert_eq!(
        codes,
        [250, 250, 250, 354, 451, 250],
        "a failed commit is a temporary failure, never a 250"
    );
}

#[test]
fn replies_wait_for_the_commit() {
    let mut s = Session::new(Arc::new(cfg()));
    let mut buf = BytesMut::from(&message(b"x\r\n.\r\nNOOP\r\n")[..]);
    let mut saw_deliver = false;
    while let Some(out) = s.advance(&mut buf) {
        if let Output::Deliver(_) = out {
            saw_deliver = true;
            break;
        }
    }
    assert!(saw_deliver);
    assert!(
        s.advance(&mut buf).is_none(),
        "nothing more until the caller reports the commit"
    );
    assert_eq!(&buf[..], b"NOOP\r\n", "pipelined input waits");
}

/// A conversation, as the reads it arrives in, and the stages it must hook.
struct StageCase<'a> {
    name: &'static str,
    /// STARTTLS drops whatever follows it in the same read, so a case may need several.
    reads: Vec<&'a [u8]>,
    stages: &'static [Stage],
}

#[test]
fn every_stage_is_hooked_where_its_command_arrives() {
    use Stage::*;
    let plain = format!("EHLO c\r\nAUTH PLAIN {}\r\n", encode_b64(b"\0alice\0pw"));
    let login = format!(
        "EHLO c\r\nAUTH LOGIN\r\n{}\r\n{}\r\n",
        encode_b64(b"alice"),
        encode_b64(b"pw")
    );
    let mut too_big = message(&[b'x'; 1500]);
    too_big.extend_from_slice(b"\r\n.\r\n");
    let cases = [
        StageCase {
            name: "a whole message",
            reads: vec![
                b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
            ],
            stages: &[Connect, Helo, Mail, Rcpt, Data, EndOfData, Quit],
        },
        StageCase {
            name: "BDAT chunks, each hooked, then the end of the message",
            reads: vec![
                b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 2\r\nhiBDAT 0 LAST\r\n",
            ],
            stages: &[Connect, Helo, Mail, Rcpt, Bdat, Bdat, EndOfData],
        },
        StageCase {
            name: "AUTH with an initial response",
            reads: vec![plain.as_bytes()],
            stages: &[Connect, Helo, Auth],
        },
        StageCase {
            name: "AUTH LOGIN hooks the command, not each response",
            reads: vec![login.as_bytes()],
            stages: &[Connect, Helo, Auth],
        },
        StageCase {
            name: "STARTTLS, then EHLO again",
            reads: vec![b"EHLO c\r\nSTARTTLS\r\n", b"EHLO c\r\n"],
            stages: &[Connect, Helo, StartTls, Helo],
        },
        StageCase {
            name: "HELO and RSET",
            reads: vec![b"HELO c\r\nRSET\r\n"],
            stages: &[Connect, Helo, Rset],
        },
        StageCase {
            name: "commands that carry no mail",
            reads: vec![b"NOOP\r\nVRFY bob\r\nEXPN list\r\nHELP\r\nTURN\r\n"],
            stages: &[Connect, Other, Other, Other, Other, Other],
        },
        StageCase {
            name: "an oversized DATA is refused before the end-of-data hook",
            reads: vec![&too_big],
            stages: &[Connect, Helo, Mail, Rcpt, Data],
        },
        StageCase {
            name: "a command that does not parse reaches no stage",
            reads: vec![b"EHLO c\r\nMAIL FROM:<a@b.c\r\nFROB\r\n"],
            stages: &[Connect, Helo],
        },
    ];
    let mut seen = Vec::new();
    for case in &cases {
        let mut s = Session::new(Arc::new(cfg()));
        greet(&mut s);
        let mut run = Run::default();
        for read in &case.reads {
            drive(&mut s, read, &mut run);
        }
        assert_eq!(
            s.stages, case.stages,
            "{}: stages hooked, in order",
            case.name
        );
        seen.extend_from_slice(&s.stages);
    }
    for stage in Stage::ALL {
        assert!(
            seen.contains(&stage),
            "no case reaches {stage:?}: add one to the table"
        );
    }
}

/// How the connection ended after the input: the client said nothing more (disconnect),
/// or the server closed it with a 421 (idle timeout, shutdown).
#[derive(Clone, Copy)]
enum Ending {
    Disconnect,
    Closed421,
}

/// A conversation, how it ended, and the problems the session must have counted.
struct ProblemCase {
    name: &'static str,
    input: &'static [u8],
    ending: Ending,
    want: Problems,
}

const fn problems(refusals: u32, aborted_messages: u32, auth_failures: u32) -> Problems {
    Problems {
        refusals,
        aborted_messages,
        tls_failed: false,
        auth_failures,
        faults: 0,
    }
}

#[test]
fn problem_counter_table() {
    use Ending::*;
    let cases = [
        ProblemCase {
            name: "a clean session counts nothing",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
            ending: Disconnect,
            want: problems(0, 0, 0),
        },
        ProblemCase {
            name: "only refusals: 501, 503, 500 and a 553 are each counted though QUIT ends with 221",
            input: b"HELO\r\nEHLO c\r\nRCPT TO:<a@b.c>\r\nFROB\r\nMAIL FROM:<j\xc3\xb6rg@b.c>\r\nQUIT\r\n",
            ending: Disconnect,
            want: problems(4, 0, 0),
        },
        ProblemCase {
            name: "2xx and 3xx replies are not refusals",
            input: b"EHLO c\r\nNOOP\r\nHELP\r\nVRFY bob\r\nRSET\r\n",
            ending: Disconnect,
            want: problems(0, 0, 0),
        },
        ProblemCase {
            name: "a disconnect in the middle of DATA breaks the message off",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: half\r\n",
            ending: Disconnect,
            want: problems(0, 1, 0),
        },
        ProblemCase {
            name: "an idle timeout in DATA breaks the message off and its 421 is a refusal",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: half\r\n",
            ending: Closed421,
            want: problems(1, 1, 0),
        },
        ProblemCase {
            name: "a disconnect inside a BDAT chunk breaks the message off",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 100 LAST\r\nonly some",
            ending: Disconnect,
            want: problems(0, 1, 0),
        },
        ProblemCase {
            name: "a disconnect between BDAT chunks before LAST breaks the message off",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 4\r\nabcd",
            ending: Disconnect,
            want: problems(0, 1, 0),
        },
        ProblemCase {
            name: "a disconnect after MAIL and RCPT, before DATA, loses no message",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n",
            ending: Disconnect,
            want: problems(0, 0, 0),
        },
        ProblemCase {
            name: "a message too big is a refusal, not a broken-off message",
            input: b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=5000\r\n",
            ending: Disconnect,
            want: problems(1, 0, 0),
        },
        ProblemCase {
            name: "bad credentials are an AUTH failure and a refusal",
            input: b"EHLO c\r\nAUTH PLAIN AGFsaWNlAG5vcGU=\r\n",
            ending: Disconnect,
            want: problems(1, 0, 1),
        },
        ProblemCase {
            name: "a failure after a 334 challenge is counted once",
            input: b"EHLO c\r\nAUTH PLAIN\r\nAGFsaWNlAG5vcGU=\r\n",
            ending: Disconnect,
            want: problems(1, 0, 1),
        },
        ProblemCase {
            name: "a cancelled exchange is an AUTH failure",
            input: b"EHLO c\r\nAUTH LOGIN\r\n*\r\n",
            ending: Disconnect,
            want: problems(1, 0, 1),
        },
        ProblemCase {
            name: "an unknown mechanism is an AUTH failure",
            input: b"EHLO c\r\nAUTH KERBEROS_V9\r\n",
            ending: Disconnect,
            want: problems(1, 0, 1),
        },
        ProblemCase {
            name: "a retry that succeeds still counts the first failure",
            input: b"EHLO c\r\nAUTH PLAIN AGFsaWNlAG5vcGU=\r\nAUTH PLAIN AGFsaWNlAHB3\r\n",
            ending: Disconnect,
            want: problems(1, 0, 1),
        },
        ProblemCase {
            name: "a refusal after a good AUTH is not an AUTH failure",
            input: b"EHLO c\r\nAUTH PLAIN AGFsaWNlAHB3\r\nRCPT TO:<a@b.c>\r\n",
            ending: Disconnect,
            want: problems(1, 0, 0),
        },
    ];
    for case in cases {
        let mut config = cfg();
        config.auth = AuthPolicy::Users(vec![("alice".into(), "pw".into())]);
        let mut s = Session::new(Arc::new(config));
        greet(&mut s);
        drive(&mut s, case.input, &mut Run::default());
        match case.ending {
            Ending::Disconnect => s.end(),
            Ending::Closed421 => {
                s.close_with("4.4.2", "Idle timeout, closing connection");
            }
        }
        s.end(); // The connection loop always ends the session; counting twice is a bug.
        assert_eq!(s.problems(), case.want, "{}", case.name);
    }
}

#[test]
fn a_failed_tls_handshake_is_marked_and_noted() {
    let mut s = Session::new(Arc::new(cfg()));
    greet(&mut s);
    drive(&mut s, b"EHLO c\r\n", &mut Run::default());
    s.tls_failed("received corrupt message");
    s.end();
    assert!(s.problems().tls_failed, "the session says its TLS failed");
    let (_, lines) = s.transcript_mut().take_unflushed();
    assert!(
        lines
            .iter()
            .any(|l| l.dir == Direction::Info && l.text.contains("TLS handshake failed")),
        "the transcript says why: {lines:?}"
    );
}

/// A session asking these rules (JSON, as in the API), for a client on the default listener.
fn with_rules(rules: serde_json::Value) -> Session {
    let rules = crate::rules::parse_rules(&rules).expect("valid rules");
    let faults = crate::rules::Faults::new(crate::rules::RuleSet {
        fail_fast: false,
        rules,
    })
    .expect("valid set");
    let mut s = Session::new(Arc::new(cfg())).with_faults(
        Arc::new(faults),
        Arc::from("default"),
        "127.0.0.1",
    );
    s.open();
    s
}

const ONE_MESSAGE: &[u8] =
    b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nMessage-ID: <1@x>\r\n\r\nhi\r\n.\r\nQUIT\r\n";

#[test]
fn a_rule_delay_is_an_output_before_its_reply_and_nothing_sleeps() {
    let mut s = with_rules(serde_json::json!([
        {"name": "slow mail", "stage": "mail", "action": "delay", "delay_ms": 5000}
    ]));
    let mut buf = BytesMut::from(&b"EHLO c\r\nMAIL FROM:<a@x>\r\n"[..]);
    let mut order = Vec::new();
    let started = std::time::Instant::now();
    while let Some(out) = s.advance(&mut buf) {
        order.push(match out {
            Output::Reply(r) => r.code.to_string(),
            Output::Delay(d) => format!("delay {}", d.as_millis()),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(order, ["220", "250", "delay 5000", "250"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "the machine never sleeps"
    );
}

#[test]
fn each_rule_action_as_the_state_machine_carries_it_out() {
    // (rules, the reply codes to ONE_MESSAGE after the greeting, messages delivered)
    let cases: [(serde_json::Value, &[&str], usize); 6] = [
        (
            serde_json::json!([{"name": "r", "stage": "rcpt", "action": "reply", "code": 452, "enhanced": "4.5.3"}]),
            // After the refusal DATA is out of sequence and the body lines are commands.
            &[
                "250", "250", "452", "503", "500", "500", "500", "500", "221",
            ],
            0,
        ),
        (
            serde_json::json!([{"name": "d", "stage": "mail", "action": "drop"}]),
            &["250"],
            0,
        ),
        (
            serde_json::json!([{"name": "x", "action": "discard"}]),
            &["250", "250", "250", "354", "250", "221"],
            0,
        ),
        (
            serde_json::json!([{"name": "t", "action": "tempfail", "attempts": 1}]),
            &["250", "250", "250", "354", "451", "221"],
            0,
        ),
        (
            serde_json::json!([{"name": "bye", "stage": "end_of_data", "action": "reply", "code": 421}]),
            &["250", "250", "250", "354", "421"],
            0,
        ),
        (
            serde_json::json!([{"name": "off", "enabled": false, "action": "drop"}]),
            &["250", "250", "250", "354", "250", "221"],
            1,
        ),
    ];
    for (i, (rules, want, delivered)) in cases.iter().enumerate() {
        let mut s = with_rules(rules.clone());
        let mut run = Run::default();
        // The greeting the session queued.
        drive(&mut s, b"", &mut run);
        run.wire.clear();
        drive(&mut s, ONE_MESSAGE, &mut run);
        let codes: Vec<&str> = run.wire.iter().map(|w| &w[..3]).collect();
        assert_eq!(&codes, want, "case {i}: {:?}", run.wire);
        assert_eq!(run.delivered.len(), *delivered, "case {i}");
        assert!(run.closed, "case {i}: every case ends the connection");
    }
}

#[test]
fn drop_mid_reply_cuts_the_normal_reply_and_fail_tls_follows_220() {
    let mut s = with_rules(
        serde_json::json!([{"name": "cut", "stage": "rcpt", "action": "drop_mid_reply"}]),
    );
    let mut run = Run::default();
    drive(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nNOOP\r\n",
        &mut run,
    );
    assert_eq!(run.cut.as_deref(), Some("250 2.1.5 Recipient <b@y> OK\r\n"));
    assert!(run.closed);
    assert!(
        !run.codes.contains(&"250 2.0.0".to_string()),
        "nothing after the cut: {:?}",
        run.codes
    );

    let mut s = with_rules(serde_json::json!([{"name": "tls", "action": "fail_tls"}]));
    let mut run = Run::default();
    drive(&mut s, b"EHLO c\r\nSTARTTLS\r\n", &mut run);
    assert_eq!(run.codes.last().map(String::as_str), Some("220 2.0.0"));
    assert!(
        run.failed_tls && !run.starttls,
        "a failed handshake instead of a real one"
    );
    assert!(s.problems().tls_failed);
    assert_eq!(s.problems().faults, 1);
}

#[test]
fn a_rule_at_bdat_refuses_the_chunk_which_is_still_consumed() {
    let mut s = with_rules(
        serde_json::json!([{"name": "no chunks", "stage": "bdat", "action": "reply", "code": 554}]),
    );
    let mut run = Run::default();
    drive(
        &mut s,
        b"EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5 LAST\r\nhelloNOOP\r\n",
        &mut run,
    );
    let last_two: Vec<&str> = run.wire.iter().rev().take(2).map(|w| &w[..3]).collect();
    assert_eq!(
        last_two,
        ["250", "554"],
        "the chunk was read, then NOOP answered: {:?}",
        run.wire
    );
    assert!(run.delivered.is_empty());
}

fn transcript_text(s: &mut Session) -> Vec<String> {
    s.transcript_mut()
        .pending()
        .iter()
        .map(|l| l.text.clone())
        .collect()
}

#[test]
fn cram_md5_challenge_and_response_are_masked_unless_passwords_are_shown() {
    for show in [false, true] {
        let mut s = Session::new(Arc::new(SessionConfig {
            show_passwords: show,
            ..cfg()
        }));
        let mut run = Run::default();
        drive(&mut s, b"EHLO c\r\nAUTH CRAM-MD5\r\n", &mut run);
        let challenge = run.wire[1]
            .trim_start_matches("334 ")
            .trim_end()
            .to_string();
        let answer = encode_b64(b"alice 0123456789abcdef0123456789abcdef");
        drive(&mut s, format!("{answer}\r\n").as_bytes(), &mut run);
        let text = transcript_text(&mut s);
        let leaked = text
            .iter()
            .any(|l| l.contains(&challenge) || l.contains(&answer));
        if show {
            assert!(leaked, "with show_passwords both are verbatim: {text:?}");
        } else {
            assert!(
                !leaked,
                "the CRAM-MD5 challenge and response must not be in the transcript: {text:?}"
            );
            assert!(
                text.iter().any(|l| l == "334 ********") && text.iter().any(|l| l == "********"),
                "both are recorded masked: {text:?}"
            );
        }
    }
}

#[test]
fn failed_auth_is_answered_after_a_growing_delay_and_too_many_close_with_421() {
    let config = SessionConfig {
        auth: AuthPolicy::Users(vec![("alice".into(), "pw".into())]),
        auth_max_failures: 3,
        ..cfg()
    };
    let bad = encode_b64(b"\0alice\0nope");
    let input = format!("EHLO c\r\n{0}{0}{0}{0}", format!("AUTH PLAIN {bad}\r\n"));
    let mut s = Session::new(Arc::new(config));
    let mut run = Run::default();
    greet(&mut s);
    drive(&mut s, input.as_bytes(), &mut run);
    let ms: Vec<u128> = run.delays.iter().map(|d| d.as_millis()).collect();
    assert_eq!(
        ms,
        vec![250, 500, 1000],
        "each failure waits longer than the last"
    );
    assert_eq!(
        run.codes,
        ["250", "535 5.7.8", "535 5.7.8", "535 5.7.8", "421 4.7.0"],
        "the third failure is answered, then the connection is closed; the fourth is never tried"
    );
    assert!(run.closed, "the session asks the loop to close");
    assert!(
        run.wire[4].contains("Too many failed authentication attempts"),
        "the 421 says why: {}",
        run.wire[4]
    );
}

#[test]
fn an_address_with_recent_auth_failures_starts_with_a_longer_delay() {
    let config = SessionConfig {
        auth: AuthPolicy::Users(vec![("alice".into(), "pw".into())]),
        ..cfg()
    };
    let bad = encode_b64(b"\0alice\0nope");
    let mut s = Session::new(Arc::new(config)).with_auth_failures_before(3);
    let mut run = Run::default();
    greet(&mut s);
    drive(
        &mut s,
        format!("EHLO c\r\nAUTH PLAIN {bad}\r\n").as_bytes(),
        &mut run,
    );
    assert_eq!(
        run.delays,
        [std::time::Duration::from_secs(2)],
        "the fourth failure from this address waits 2 s although it is this connection's first"
    );
}

#[test]
fn helo_names_with_control_bytes_or_invalid_utf8_are_refused_and_never_echoed() {
    for input in [
        &b"EHLO t\x00\xff\r\n"[..],
        b"EHLO t\x00x\r\n",
        b"HELO t\x1b[31m\r\n",
        b"EHLO t\xff\r\n",
    ] {
        let run = talk(input);
        assert_eq!(run.codes, ["501 5.5.2"], "refused: {input:?}");
        assert!(
            run.wire
                .iter()
                .all(|w| !w.bytes().any(|b| b < 0x20 && b != b'\r' && b != b'\n')
                    && !w.contains('\u{fffd}')),
            "no control byte or replacement character is echoed: {:?}",
            run.wire
        );
    }
}

#[test]
fn an_smtputf8_address_that_is_not_utf8_is_refused_with_553_5_6_7() {
    let run = talk(b"EHLO c\r\nMAIL FROM:<j\xf6rg@b.c> SMTPUTF8\r\nMAIL FROM:<j\xc3\xb6rg@b.c> SMTPUTF8\r\nRCPT TO:<\xfe@e.f>\r\nRCPT TO:<\xff@e.f>\r\n");
    assert_eq!(
        run.codes,
        ["250", "553 5.6.7", "250 2.1.0", "553 5.6.7", "553 5.6.7"],
        "invalid UTF-8 is refused, valid UTF-8 accepted; two invalid addresses never become one"
    );
    assert!(run.delivered.is_empty(), "nothing delivered");
}

#[test]
fn storage_full_is_452_4_3_1_and_the_next_message_is_accepted() {
    use super::DeliveryError;
    let mut s = Session::new(Arc::new(cfg()));
    let mut input = message(b"x\r\n.\r\n");
    input.extend_from_slice(b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\ny\r\n.\r\n");
    let mut buf = BytesMut::from(&input[..]);
    let mut codes = Vec::new();
    let mut attempts = 0;
    while let Some(out) = s.advance(&mut buf) {
        match out {
            Output::Reply(r) => codes.push(format!("{} {}", r.code, r.enhanced.unwrap_or(""))),
            Output::Deliver(_) => {
                attempts += 1;
                s.delivered(if attempts == 1 {
                    Err(DeliveryError::StorageFull(
                        "database or disk is full".into(),
                    ))
                } else {
                    Ok(7)
                })
            }
            _ => {}
        }
    }
    assert_eq!(
        codes[4], "452 4.3.1",
        "disk full is insufficient system storage (RFC 3463), not 451: {codes:?}"
    );
    assert_eq!(
        codes.last().map(String::as_str),
        Some("250 2.0.0"),
        "then it resumes: {codes:?}"
    );
}

#[test]
fn rcpt_with_a_multibyte_character_in_its_keyword_gets_501_and_the_session_goes_on() {
    // Found by the smtp_command fuzz target: this line used to panic the parser. Not UTF-8,
    // it is now refused before parsing (553 5.6.7); as UTF-8 it reaches the parser (501).
    for (line, code) in [
        (&b"RCPT T\xc7:<po\x97tmaster>\r\n"[..], "553"),
        ("RCPT TÇ:<postmaster>\r\n".as_bytes(), "501"),
    ] {
        let input = [
            &b"EHLO c\r\nMAIL FROM:<a@b.test>\r\n"[..],
            line,
            b"NOOP\r\n",
        ]
        .concat();
        let run = talk(&input);
        assert_eq!(
            run.codes.last().map(String::as_str),
            Some("250 2.0.0"),
            "the session answers the next command: {:?}",
            run.codes
        );
        assert!(
            run.codes[2].starts_with(code),
            "the broken RCPT gets {code}: {:?}",
            run.codes
        );
    }
}
