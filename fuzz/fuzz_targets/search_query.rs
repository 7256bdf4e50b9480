//! The search language's parser on arbitrary text. `search::display` promises
//! `parse(&q.to_string()) == Ok(q)` for every parsed query; this holds it to that, and
//! checks that the canonical text is a fixed point (displaying it again changes nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeonhole_core::search::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = parse(input) else { return };
    let text = query.to_string();
    match parse(&text) {
        Ok(again) => {
            assert_eq!(
                again, query,
                "{input:?} displays as {text:?}, which parses to another tree"
            );
            assert_eq!(
                again.to_string(),
                text,
                "the canonical text of {input:?} is not stable"
            );
        }
        Err(e) => panic!("{input:?} displays as {text:?}, which does not parse: {e:?}"),
    }
});
