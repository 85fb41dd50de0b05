//! The sending half of the protocol engine, without I/O: a message in,
//! frame bytes out (RFC 6455 section 5), appended to the caller's buffer.
//!
//! Every data message is one frame. With permessage-deflate agreed, data
//! messages are compressed and carry RSV1 (RFC 7692 section 6); control
//! frames never are. `Message::Frame` is written as given (a raw frame for
//! testing servers), masked like every frame a client sends. Headers are
//! formatted by tungstenite's `FrameHeader`.

use super::deflate::{DeflateParams, Deflater};
use std::io;
use tungstenite::Message;
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// What encoding one message produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded {
    /// Bytes appended (header and payload).
    pub bytes: usize,
    /// For a compressed data message: its payload size before and after
    /// compressing.
    pub compressed: Option<(usize, usize)>,
}

/// Turns messages into frames; owns the compressor.
pub struct Encoder {
    deflater: Option<Deflater>,
    /// Reused buffer for compressed payloads.
    scratch: Vec<u8>,
}

impl Encoder {
    /// An encoder; with `deflate`, data messages are compressed within the
    /// agreed window and context rules.
    pub fn new(deflate: Option<&DeflateParams>) -> Encoder {
        Encoder {
            deflater: deflate
                .filter(|p| p.can_compress())
                .map(|p| Deflater::new(p.client_window(), p.client_no_context_takeover)),
            scratch: Vec::new(),
        }
    }

    /// True when data messages are compressed (permessage-deflate).
    pub fn compresses(&self) -> bool {
        self.deflater.is_some()
    }

    /// Append `msg` as a frame to `out`, masked with `mask` (a client must
    /// mask, section 5.3; None writes an unmasked frame, as a server would).
    pub fn encode(
        &mut self,
        msg: &Message,
        mask: Option<[u8; 4]>,
        out: &mut Vec<u8>,
    ) -> io::Result<Encoded> {
        let start = out.len();
        let (opcode, payload): (OpCode, &[u8]) = match msg {
            Message::Text(t) => (OpCode::Data(Data::Text), t.as_bytes()),
            Message::Binary(b) => (OpCode::Data(Data::Binary), b),
            Message::Ping(p) => (OpCode::Control(Control::Ping), p),
            Message::Pong(p) => (OpCode::Control(Control::Pong), p),
            Message::Close(close) => {
                let mut body = Vec::new();
                if let Some(c) = close {
                    body.extend_from_slice(&u16::from(c.code).to_be_bytes());
                    body.extend_from_slice(c.reason.as_bytes());
                }
                let header = header(OpCode::Control(Control::Close), true, false, mask);
                write_frame(&header, &body, out)?;
                return Ok(Encoded {
                    bytes: out.len() - start,
                    compressed: None,
                });
            }
            Message::Frame(f) => {
                let mut header = f.header().clone();
                header.mask = mask;
                write_frame(&header, f.payload(), out)?;
                return Ok(Encoded {
                    bytes: out.len() - start,
                    compressed: None,
                });
            }
        };
        let data = matches!(opcode, OpCode::Data(_));
        if let (true, Some(d)) = (data, &mut self.deflater) {
            self.scratch.clear();
            let size = d.compress(payload, &mut self.scratch)?;
            write_frame(&header(opcode, true, true, mask), &self.scratch, out)?;
            return Ok(Encoded {
                bytes: out.len() - start,
                compressed: Some((payload.len(), size)),
            });
        }
        write_frame(&header(opcode, true, false, mask), payload, out)?;
        Ok(Encoded {
            bytes: out.len() - start,
            compressed: None,
        })
    }
}

fn header(opcode: OpCode, fin: bool, rsv1: bool, mask: Option<[u8; 4]>) -> FrameHeader {
    FrameHeader {
        is_final: fin,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
    }
}

/// Append the header of an uncompressed, final data frame of `len` bytes
/// masked with `mask`; the caller sends the masked payload itself.
pub fn write_header(
    opcode: OpCode,
    len: usize,
    mask: [u8; 4],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    header(opcode, true, false, Some(mask))
        .format(len as u64, out)
        .map_err(|e| io::Error::other(e.to_string()))
}

fn write_frame(header: &FrameHeader, payload: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    out.reserve(header.len(payload.len() as u64) + payload.len());
    header
        .format(payload.len() as u64, out)
        .map_err(|e| io::Error::other(e.to_string()))?;
    let at = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[at..], key);
    }
    Ok(())
}

/// XOR `buf` with the masking key (section 5.3), eight bytes at a time.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let (words, rest) = buf.as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ wide).to_ne_bytes();
    }
    // `rest` starts at a multiple of 8, so the key lines up from key[0].
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}
