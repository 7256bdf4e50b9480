//! The SMTP command-line parser (`smtp::command::parse`) and the path parser
//! (`smtp::address::parse_path`) on arbitrary lines: never panic, and a parsed command's
//! path round-trips through its own text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeonhole_core::smtp::address::parse_path;
use pigeonhole_core::smtp::command::{parse, Command};

fuzz_target!(|data: &[u8]| {
    // The session hands the parser a lossily decoded line without its CRLF.
    let line = String::from_utf8_lossy(data);
    if let Ok(cmd) = parse(&line) {
        match cmd {
            Command::Mail { params, .. } | Command::Rcpt { params, .. } => {
                for p in &params {
                    assert!(
                        !p.key.is_empty(),
                        "an ESMTP parameter has an empty keyword: {line:?}"
                    );
                    assert_eq!(
                        p.key,
                        p.key.to_ascii_uppercase(),
                        "parameter keywords are upper-cased: {line:?}"
                    );
                }
            }
            _ => {}
        }
    }
    for reverse in [false, true] {
        if let Ok((path, rest)) = parse_path(&line, reverse) {
            assert!(
                line.ends_with(rest),
                "what follows a path is a suffix of the input: {line:?} -> {rest:?}"
            );
            // A source route (`<@a,@b:user@host>`) is dropped as RFC 5321 says, and what it
            // swallowed may leave an address that does not survive brackets: not checked.
            let routed = line.trim_start().starts_with("<@");
            if !path.address.is_empty() && line.trim_start().starts_with('<') && !routed {
                // A bracketed address as stored, bracketed again, is the same path. (The
                // lenient unbracketed form takes a word as it is, unbalanced quotes and
                // all, so it need not survive brackets.)
                let again = format!("<{}>", path.address);
                assert_eq!(
                    parse_path(&again, reverse).map(|(p, r)| (p.address, r.to_string())),
                    Ok((path.address.clone(), String::new())),
                    "the parsed address {:?} of {line:?} does not parse back",
                    path.address
                );
            }
        }
    }
});
