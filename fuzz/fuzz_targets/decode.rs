//! The protocol engine's decoder (src/protocol/decode.rs) on arbitrary
//! server bytes: the first byte picks permessage-deflate parameters and how
//! the rest is cut into chunks. It must never panic, never return a message
//! over its limit, and stay failed after a violation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tungstenite::Message;
use wsprobe::protocol::decode::{Decoder, Limits};
use wsprobe::protocol::deflate::DeflateParams;

const LIMITS: Limits = Limits {
    max_message: 64 * 1024,
    max_frame: 16 * 1024,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let deflate = (mode & 1 != 0).then(|| DeflateParams {
        server_no_context_takeover: mode & 2 != 0,
        ..DeflateParams::default()
    });
    let chunk = usize::from(mode >> 2).max(1);
    let mut d = Decoder::new(LIMITS, deflate.as_ref());
    for mut piece in bytes.chunks(chunk) {
        while !piece.is_empty() {
            let (used, r) = d.decode(piece);
            assert!(used <= piece.len());
            piece = &piece[used..];
            match r {
                Ok(Some(i)) => {
                    let len = match &i.message {
                        Message::Text(t) => t.len(),
                        Message::Binary(b) => b.len(),
                        Message::Ping(p) | Message::Pong(p) => {
                            assert!(p.len() <= 125);
                            p.len()
                        }
                        Message::Close(_) | Message::Frame(_) => 0,
                    };
                    assert!(len <= LIMITS.max_message);
                }
                Ok(None) => assert!(piece.is_empty()),
                Err(v) => {
                    assert!(matches!(v.close_code(), 1002 | 1007 | 1009));
                    assert!(!v.to_string().is_empty());
                    assert_eq!(d.decode(b"\x81\x00").1, Err(v));
                    return;
                }
            }
        }
    }
});
