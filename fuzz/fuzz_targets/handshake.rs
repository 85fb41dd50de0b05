//! The upgrade response parser and checks (src/http: parse_response,
//! decode_chunked; src/handshake.rs: validate; the permessage-deflate
//! answer in src/protocol/deflate.rs) on arbitrary bytes: never a panic; a
//! head that parses is validated with and without our deflate offer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsprobe::handshake::validate;
use wsprobe::http::{decode_chunked, parse_response};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fuzz_target!(|data: &[u8]| {
    let _ = decode_chunked(data);
    if let Ok(Some((n, head))) = parse_response(data) {
        assert!(n <= data.len());
        for offered in [false, true] {
            if let Ok(agreed) = validate(&head, KEY, &["chat".to_string()], offered) {
                assert!(offered || agreed.deflate.is_none());
                if let Some(p) = agreed.deflate {
                    // What we show must parse back to the same parameters.
                    let shown = p.to_string();
                    let again = wsprobe::protocol::deflate::negotiate(&[shown.as_str()], true);
                    assert_eq!(again, Ok(Some(p)));
                }
            }
        }
    }
});
