//! The permessage-deflate inflater (src/protocol/deflate.rs) on arbitrary
//! compressed bytes: never a panic, never more output than the limit (a
//! decompression bomb stops there); and a differential check: whatever our
//! deflater compresses, at any window, inflates back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsprobe::protocol::deflate::{Deflater, Inflater};

const LIMIT: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    // Arbitrary input, in two messages.
    let mut inf = Inflater::new(mode & 1 != 0);
    let cut = bytes.len() / 2;
    for part in [&bytes[..cut], &bytes[cut..]] {
        let mut out = Vec::new();
        let r = inf
            .inflate(part, &mut out, LIMIT)
            .and_then(|()| inf.finish(part.len() as u64, &mut out, LIMIT));
        assert!(out.len() <= LIMIT + 1);
        if r.is_err() {
            break;
        }
    }
    // Round trip.
    let window = 9 + (mode >> 1) % 7;
    let no_takeover = mode & 0x80 != 0;
    let mut def = Deflater::new(window, no_takeover);
    let mut inf = Inflater::new(no_takeover);
    for msg in [bytes, &bytes[cut..]] {
        let mut wire = Vec::new();
        def.compress(msg, &mut wire).expect("compress");
        let mut back = Vec::new();
        inf.inflate(&wire, &mut back, usize::MAX - 1)
            .expect("our own output inflates");
        inf.finish(wire.len() as u64, &mut back, usize::MAX - 1)
            .expect("our own output ends");
        assert_eq!(back, msg);
    }
});
