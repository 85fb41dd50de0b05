//! The trace's frame decoder (src/wire.rs) on arbitrary bytes, cut into
//! chunks as the first byte says: it must never panic, never keep more of a
//! payload than its preview limit, and find the same frames however the
//! bytes are cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsprobe::wire::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let preview = usize::from(mode & 0x3f);
    let chunk = usize::from(mode >> 6) * 7 + 1;
    let mut cut = Decoder::new(preview);
    let mut frames = Vec::new();
    for piece in bytes.chunks(chunk) {
        cut.feed(piece, &mut frames);
    }
    let mut whole = Decoder::new(preview);
    let mut again = Vec::new();
    whole.feed(bytes, &mut again);
    assert_eq!(frames, again);
    assert_eq!(cut.partial(), whole.partial());
    for f in &frames {
        assert!(f.preview.len() <= preview.max(125));
        assert!(f.complete());
        let _ = f.close();
    }
});
