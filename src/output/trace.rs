//! The frame trace (`-vv`, `-vvv`): one line per frame in curl's grammar,
//! `}` for frames sent and `{` for frames received, then the opcode, flags
//! as words, the length and the payload: an escaped quoted preview for text
//! at `-vv`, `%04x:` hex rows for binary and for everything at `-vvv`;
//! compressed payloads (permessage-deflate) as hex rows at `-vvv` only.
//! Close frames show their code, its name and the reason.

use crate::event::Direction;
use crate::event::FrameInfo;
use crate::format::{close_code_name, hex, sanitize};
use crate::protocol::frame::Opcode;
use std::fmt::Write as _;

/// How to render frames.
#[derive(Debug, Clone, Copy)]
pub struct FrameStyle {
    /// 2 for previews, 3 for hex dumps of every payload.
    pub verbose: u8,
    /// Hide masking keys (they are random; for byte-exact tests).
    pub deterministic: bool,
}

/// Render one frame as trace lines (each ending in a newline).
pub fn frame_lines(dir: Direction, f: &FrameInfo, style: FrameStyle) -> String {
    let mark = match dir {
        Direction::Sent => '}',
        Direction::Received => '{',
    };
    let mut line = format!("{mark} {}", f.opcode.name());
    if f.fin {
        line.push_str(" fin");
    }
    for (i, set) in f.rsv.iter().enumerate() {
        if *set {
            let _ = write!(line, " rsv{}", i + 1);
        }
    }
    if let Some(key) = f.mask {
        if style.deterministic {
            line.push_str(" masked key=xxxxxxxx");
        } else {
            let _ = write!(line, " masked key={}", hex(&key));
        }
    }
    let _ = write!(line, " len={}", f.len);
    let binary = matches!(data_kind(f), Some(Opcode::Binary))
        || (f.is_control() && f.opcode != Opcode::Close);
    // Compressed bytes mean nothing to read: hex rows at -vvv only; the
    // message's sizes follow on their own line.
    let hex_rows = style.verbose >= 3 || (binary && !f.compressed);
    if let Some((code, reason)) = f.close() {
        match code {
            Some(c) => {
                let _ = write!(line, " {c} {}", close_code_name(c));
            }
            None if f.len == 1 => line.push_str(" (a 1-byte payload: not a valid Close)"),
            None => line.push_str(" (no code)"),
        }
        if !reason.is_empty() {
            let _ = write!(line, " \"{}\"", text(reason));
        }
    } else if f.compressed {
        line.push_str(" (compressed)");
    } else if f.len > 0 && !binary {
        let _ = write!(line, " \"{}", text(&f.preview));
        line.push_str(if (f.preview.len() as u64) < f.len {
            "\"…"
        } else {
            "\""
        });
    }
    match (f.fragment, f.continues) {
        (Some(n), Some(op)) => {
            let last = if f.fin { ", last" } else { "" };
            let _ = write!(line, " (fragment {n} of {}{last})", op.name());
        }
        (Some(1), None) => line.push_str(" (fragment 1)"),
        (None, None) if f.opcode == Opcode::Continuation => {
            line.push_str(" (continues no message)")
        }
        _ => {}
    }
    if f.invalid_utf8 {
        line.push_str(" (invalid UTF-8)");
    }
    if !f.complete() {
        let _ = write!(line, " (cut short: {} of {} bytes seen)", f.seen, f.len);
    }
    line.push('\n');
    if hex_rows && !f.preview.is_empty() && f.close().is_none() {
        line.push_str(&hex_dump(mark, &f.preview));
        if (f.preview.len() as u64) < f.len {
            let _ = writeln!(
                line,
                "{mark}   … {} more bytes",
                f.len - f.preview.len() as u64
            );
        }
    }
    line
}

/// The data opcode a frame carries (its own, or its message's).
fn data_kind(f: &FrameInfo) -> Option<Opcode> {
    match f.opcode {
        Opcode::Continuation => f.continues,
        Opcode::Text | Opcode::Binary => Some(f.opcode),
        _ => None,
    }
}

fn text(bytes: &[u8]) -> String {
    // Quotes and backslashes stay readable; controls are escaped always in
    // a one-line preview (terminal or not), as a raw newline would break
    // the line grammar.
    sanitize::escape(bytes, false)
}

/// `%04x:` rows of 16 bytes with an ASCII column.
pub fn hex_dump(mark: char, data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 + 16);
    for (row, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{mark}   {:04x}:", row * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, " {b:02x}");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str("  ");
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Decoder;

    fn decode(bytes: &[u8]) -> Vec<FrameInfo> {
        let mut d = Decoder::new(120);
        let mut out = Vec::new();
        d.feed(bytes, &mut out);
        out
    }

    const VV: FrameStyle = FrameStyle {
        verbose: 2,
        deterministic: false,
    };

    #[test]
    fn text_close_and_masked_frames() {
        let f = decode(&[0x81, 5, b'h', b'e', b'l', b'l', b'o']);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], VV),
            "{ TEXT fin len=5 \"hello\"\n"
        );
        let f = decode(&[0x88, 5, 0x03, 0xe8, b'b', b'y', b'e']);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], VV),
            "{ CLOSE fin len=5 1000 Normal Closure \"bye\"\n"
        );
        let f = decode(&[0x89, 0x80, 1, 2, 3, 4]);
        assert_eq!(
            frame_lines(Direction::Sent, &f[0], VV),
            "} PING fin masked key=01020304 len=0\n"
        );
        let det = FrameStyle {
            deterministic: true,
            ..VV
        };
        assert!(frame_lines(Direction::Sent, &f[0], det).contains("key=xxxxxxxx"));
    }

    #[test]
    fn fragments_rsv_and_binary_rows() {
        let mut bytes = vec![0x01 | 0x40, 2, b'a', b'b'];
        bytes.extend_from_slice(&[0x80, 1, b'c']);
        let f = decode(&bytes);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], VV),
            "{ TEXT rsv1 len=2 (compressed) (fragment 1)\n"
        );
        assert_eq!(
            frame_lines(Direction::Received, &f[1], VV),
            "{ CONT fin len=1 (compressed) (fragment 2 of TEXT, last)\n"
        );
        let vvv = FrameStyle { verbose: 3, ..VV };
        let f = decode(&[0x81, 2, b'h', b'i']);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], vvv),
            "{ TEXT fin len=2 \"hi\"\n{   0000: 68 69                                            hi\n"
        );
        let f = decode(&[0x82, 3, 0, 0x41, 0xff]);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], VV),
            "{ BINARY fin len=3\n{   0000: 00 41 ff                                         .A.\n"
        );
    }

    #[test]
    fn invalid_utf8_and_escapes_are_pointed_out() {
        let f = decode(&[0x81, 3, b'a', 0x1b, 0xff]);
        assert_eq!(
            frame_lines(Direction::Received, &f[0], VV),
            "{ TEXT fin len=3 \"a\\x1b\\xff\" (invalid UTF-8)\n"
        );
    }
}
