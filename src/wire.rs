//! An independent, streaming WebSocket frame decoder for traces (RFC 6455
//! section 5.2).
//!
//! It watches the bytes that pass the socket in one direction and reports
//! every frame as it completes: FIN, RSV bits, opcode, mask and key, length,
//! a bounded prefix of the payload (unmasked), Close code and reason, which
//! message a continuation belongs to, and invalid UTF-8 in text. It keeps at
//! most `preview` bytes of any payload, whatever the frame's size, and never
//! rejects anything: frames the protocol engine later refuses are reported
//! too, which is the point. So it reads headers with `protocol::frame` but
//! never calls its strict checks. It does not touch the socket or print.

use crate::event::FrameInfo;
use crate::protocol::frame::{
    Header, MAX_CONTROL_PAYLOAD, MAX_HEADER, Opcode, Utf8Check, apply_mask, header_len, mask_at,
};

/// What the decoder is in the middle of.
#[derive(Debug)]
enum State {
    /// Collecting header bytes (2 to 14).
    Header { buf: [u8; MAX_HEADER], have: usize },
    /// Passing payload bytes of `frame`; `left` bytes to go.
    Payload { frame: FrameInfo, left: u64 },
}

/// A streaming decoder for one direction of a connection.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    preview: usize,
    /// The opcode of the fragmented message in progress and its frame count.
    message: Option<(Opcode, u64)>,
    /// The message in progress is compressed (RSV1 on its first frame).
    compressed: bool,
    /// UTF-8 check of the text message (or Close reason) in progress.
    utf8: Utf8Check,
    /// The text message's check, set aside while a Close frame interleaves.
    utf8_saved: Option<Utf8Check>,
    /// Validate text messages (Close reasons are always checked).
    check_text: bool,
}

impl Decoder {
    /// A decoder keeping at most `preview` bytes of each payload (Close
    /// frames keep up to 125, enough for the whole reason).
    pub fn new(preview: usize) -> Decoder {
        Decoder::with_text_check(preview, true)
    }

    /// Like [`Decoder::new`]; with `check_text` false, text messages are not
    /// checked for UTF-8 (cheaper, for a decoder that only watches headers
    /// and Close frames).
    pub fn with_text_check(preview: usize, check_text: bool) -> Decoder {
        Decoder {
            state: State::Header {
                buf: [0; MAX_HEADER],
                have: 0,
            },
            preview,
            message: None,
            compressed: false,
            utf8: Utf8Check::default(),
            utf8_saved: None,
            check_text,
        }
    }

    /// Feed bytes in wire order; completed frames are appended to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<FrameInfo>) {
        while !data.is_empty() {
            match &mut self.state {
                State::Header { buf, have } => {
                    let need = header_len(&buf[..*have]);
                    let take = (need - *have).min(data.len());
                    buf[*have..*have + take].copy_from_slice(&data[..take]);
                    *have += take;
                    data = &data[take..];
                    // The length of the header may grow once byte 2 is known.
                    if *have == header_len(&buf[..*have]) {
                        let frame = self.start_frame();
                        if frame.len == 0 {
                            // Ready for the next header: without this an
                            // empty frame was decoded again and again.
                            self.state = State::Header {
                                buf: [0; MAX_HEADER],
                                have: 0,
                            };
                            self.end_frame(frame, out);
                        } else {
                            let left = frame.len;
                            self.state = State::Payload { frame, left };
                        }
                    }
                }
                State::Payload { frame, left } => {
                    let take = (*left).min(data.len() as u64) as usize;
                    let chunk = &data[..take];
                    let offset = frame.seen;
                    let close = frame.opcode == Opcode::Close;
                    let keep = self
                        .preview
                        .max(if close { MAX_CONTROL_PAYLOAD } else { 0 })
                        .saturating_sub(frame.preview.len())
                        .min(take);
                    if keep > 0 || is_text(frame, self.message, self.check_text) {
                        let unmasked = unmask(chunk, frame.mask, offset);
                        frame.preview.extend_from_slice(&unmasked[..keep]);
                        if is_text(frame, self.message, self.check_text) {
                            // A Close reason starts after the 2-byte code.
                            let skip = if close {
                                2u64.saturating_sub(offset).min(take as u64) as usize
                            } else {
                                0
                            };
                            self.utf8.feed(&unmasked[skip..]);
                            frame.invalid_utf8 = self.utf8.is_bad();
                        }
                    }
                    frame.seen += take as u64;
                    *left -= take as u64;
                    data = &data[take..];
                    if *left == 0 {
                        let State::Payload { frame, .. } = std::mem::replace(
                            &mut self.state,
                            State::Header {
                                buf: [0; MAX_HEADER],
                                have: 0,
                            },
                        ) else {
                            unreachable!("matched Payload above")
                        };
                        self.end_frame(frame, out);
                    }
                }
            }
        }
    }

    /// The frame cut short, if the stream ends inside one (for a report
    /// when the connection fails mid-frame).
    pub fn partial(&self) -> Option<FrameInfo> {
        match &self.state {
            State::Payload { frame, .. } => Some(frame.clone()),
            State::Header { .. } => None,
        }
    }

    /// Build the frame from a complete header and update message state.
    fn start_frame(&mut self) -> FrameInfo {
        let State::Header { buf, .. } = &self.state else {
            unreachable!("called with a complete header")
        };
        let Header {
            first, mask, len, ..
        } = Header::parse(buf);
        let (fin, opcode) = (first.fin, first.opcode);
        let mut frame = FrameInfo {
            fin,
            rsv: first.rsv,
            opcode,
            mask,
            len,
            preview: Vec::new(),
            seen: 0,
            continues: None,
            fragment: None,
            invalid_utf8: false,
            compressed: false,
        };
        match opcode {
            Opcode::Continuation => {
                frame.compressed = self.message.is_some() && self.compressed;
                if let Some((op, n)) = &mut self.message {
                    *n += 1;
                    frame.continues = Some(*op);
                    frame.fragment = Some(*n);
                    frame.invalid_utf8 = self.utf8.is_bad();
                }
            }
            Opcode::Text | Opcode::Binary => {
                self.utf8 = Utf8Check::default();
                self.compressed = frame.rsv[0];
                frame.compressed = frame.rsv[0];
                if fin {
                    self.message = None;
                } else {
                    self.message = Some((opcode, 1));
                    frame.fragment = Some(1);
                }
            }
            Opcode::Close => {
                // The Close reason is checked on its own, without disturbing
                // a fragmented text message in progress.
                self.utf8_saved = Some(std::mem::take(&mut self.utf8));
            }
            _ => {}
        }
        frame
    }

    fn end_frame(&mut self, mut frame: FrameInfo, out: &mut Vec<FrameInfo>) {
        let text = is_text(&frame, self.message, self.check_text);
        if text && frame.fin && !self.utf8.finish() {
            frame.invalid_utf8 = true;
        }
        if frame.opcode == Opcode::Close
            && let Some(saved) = self.utf8_saved.take()
        {
            self.utf8 = saved;
        }
        if frame.opcode == Opcode::Continuation && frame.fin {
            self.message = None;
        }
        out.push(frame);
    }
}

/// Does this frame carry text to validate?
fn is_text(frame: &FrameInfo, message: Option<(Opcode, u64)>, check_text: bool) -> bool {
    match frame.opcode {
        Opcode::Close => true,
        Opcode::Text => check_text && !frame.compressed,
        Opcode::Continuation => {
            check_text && !frame.compressed && matches!(message, Some((Opcode::Text, _)))
        }
        _ => false,
    }
}

/// Unmask `chunk`, which starts `offset` bytes into the payload.
fn unmask(chunk: &[u8], mask: Option<[u8; 4]>, offset: u64) -> Vec<u8> {
    let mut out = chunk.to_vec();
    if let Some(key) = mask {
        apply_mask(&mut out, mask_at(key, offset));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encode a frame (for tests), masking with `mask` when given.
    fn encode(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(if fin { 0x80 } else { 0 }) | (rsv << 4) | opcode];
        let m = if mask.is_some() { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => out.push(m | n as u8),
            n if n <= 0xffff => {
                out.push(m | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(m | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        match mask {
            Some(k) => {
                out.extend_from_slice(&k);
                out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
            }
            None => out.extend_from_slice(payload),
        }
        out
    }

    /// Decode `bytes` fed in pieces split at `at` (every boundary tested by callers).
    fn decode_split(bytes: &[u8], at: usize, preview: usize) -> Vec<FrameInfo> {
        let mut d = Decoder::new(preview);
        let mut out = Vec::new();
        d.feed(&bytes[..at], &mut out);
        d.feed(&bytes[at..], &mut out);
        out
    }

    #[test]
    fn empty_frames_are_decoded_once_whatever_follows() {
        let mut bytes = encode(true, 0, 2, None, b"");
        bytes.extend(encode(true, 0, 8, None, &[0x03, 0xe8]));
        for at in 0..=bytes.len() {
            let f = decode_split(&bytes, at, 16);
            let ops: Vec<u8> = f.iter().map(|f| f.opcode.bits()).collect();
            assert_eq!(ops, [2, 8], "split {at}");
        }
    }

    #[test]
    fn the_fuzzers_hang_input_decodes_once() {
        // What the `wire` fuzz target found within a second when the fix
        // above was undone (fuzz/seeds/wire/regress-empty-frame-hang): an
        // empty frame with a reserved opcode, then one more byte.
        let mut d = Decoder::new(63);
        let mut out = Vec::new();
        d.feed(&[0xff, 0x00, 0x00], &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].opcode.name(), "RESERVED-0xf");
        assert!(d.partial().is_none());
    }

    #[test]
    fn lengths_7_16_and_64_bit_masked_and_not_at_every_split() {
        let key = Some([0x9d, 0x1f, 0x03, 0xaa]);
        for (len, mask) in [
            (5, None),
            (5, key),
            (300, None),
            (300, key),
            (70_000, None),
            (70_000, key),
        ] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let bytes = encode(true, 0, 2, mask, &payload);
            let step = if len > 1000 { 997 } else { 1 };
            for at in (0..=bytes.len())
                .step_by(step)
                .chain([1, 2, 3, 4, 9, 10, 13, 14])
            {
                let at = at.min(bytes.len());
                let f = decode_split(&bytes, at, 16);
                assert_eq!(f.len(), 1, "len {len} split {at}");
                assert_eq!(f[0].len, len as u64);
                assert_eq!(f[0].mask, mask);
                assert_eq!(f[0].preview, payload[..16.min(len)], "len {len} split {at}");
                assert!(f[0].complete() && f[0].fin);
            }
        }
    }

    #[test]
    fn every_byte_boundary_of_a_conversation() {
        let mut bytes = encode(true, 0, 1, None, b"hello");
        bytes.extend(encode(false, 0, 1, None, "héllo ".as_bytes()));
        bytes.extend(encode(true, 0, 9, None, b"p"));
        bytes.extend(encode(true, 0, 0, None, b"world"));
        let mut close = 1000u16.to_be_bytes().to_vec();
        close.extend_from_slice(b"bye");
        bytes.extend(encode(true, 0, 8, Some([1, 2, 3, 4]), &close));
        for at in 0..=bytes.len() {
            let f = decode_split(&bytes, at, 64);
            let names: Vec<_> = f.iter().map(|f| f.opcode.name()).collect();
            assert_eq!(
                names,
                ["TEXT", "TEXT", "PING", "CONT", "CLOSE"],
                "split {at}"
            );
            assert_eq!(f[1].fragment, Some(1));
            assert_eq!(f[3].continues.map(Opcode::bits), Some(1));
            assert_eq!(f[3].fragment, Some(2));
            assert!(!f[3].invalid_utf8);
            assert_eq!(f[4].close(), Some((Some(1000), &b"bye"[..])));
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let bytes = encode(true, 0b100, 1, Some([7, 7, 7, 7]), b"rsv1 set");
        let mut d = Decoder::new(100);
        let mut out = Vec::new();
        for b in &bytes {
            d.feed(std::slice::from_ref(b), &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rsv, [true, false, false]);
        assert_eq!(out[0].preview, b"rsv1 set");
    }

    #[test]
    fn invalid_utf8_is_found_across_fragments_and_in_close_reasons() {
        // "é" split across two fragments is fine.
        let mut bytes = encode(false, 0, 1, None, &[b'a', 0xc3]);
        bytes.extend(encode(true, 0, 0, None, &[0xa9, b'b']));
        let f = decode_split(&bytes, 3, 64);
        assert!(!f[0].invalid_utf8 && !f[1].invalid_utf8);
        // A truncated character at the end of the message is not.
        let f = decode_split(&encode(true, 0, 1, None, &[b'a', 0xc3]), 0, 64);
        assert!(f[0].invalid_utf8);
        // Invalid bytes in binary are fine.
        let f = decode_split(&encode(true, 0, 2, None, &[0xff]), 0, 64);
        assert!(!f[0].invalid_utf8);
        // A Close reason that is not UTF-8.
        let f = decode_split(&encode(true, 0, 8, None, &[0x03, 0xe8, 0xff]), 0, 64);
        assert!(f[0].invalid_utf8);
        assert_eq!(f[0].close(), Some((Some(1000), &[0xff][..])));
    }

    #[test]
    fn huge_announced_length_keeps_only_the_preview() {
        let mut bytes = vec![0x82, 127];
        bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
        bytes.extend_from_slice(&[0xab; 4096]);
        let mut d = Decoder::new(8);
        let mut out = Vec::new();
        d.feed(&bytes, &mut out);
        assert!(out.is_empty());
        let p = d.partial().expect("in a frame");
        assert_eq!(p.len, 1 << 63);
        assert_eq!(p.seen, 4096);
        assert_eq!(p.preview.len(), 8);
    }

    #[test]
    fn continuation_without_a_message_is_reported_as_such() {
        let f = decode_split(&encode(true, 0, 0, None, b"x"), 1, 8);
        assert_eq!(f[0].continues, None);
        assert_eq!(f[0].opcode.name(), "CONT");
        assert_eq!(Opcode::from_bits(0xb).name(), "RESERVED-0xb");
    }
}
