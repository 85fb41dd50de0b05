//! The sending half of the protocol engine, without I/O: a message in,
//! frame bytes out (RFC 6455 section 5), appended to the caller's buffer.
//!
//! Every data message is one frame. With permessage-deflate agreed, data
//! messages are compressed and carry RSV1 (RFC 7692 section 6); control
//! frames never are. `Message::Frame` is written as given (a raw frame for
//! testing peers), masked like every frame of ours when a mask is given.
//! Headers are `frame::Header`'s; whether to mask is the caller's (its
//! [`Role`]), which hands each frame its key.

use super::deflate::{DeflateParams, Deflater};
use super::frame::{FirstByte, Header, Opcode, Role, apply_mask};
use std::io;
use tungstenite::Message;

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
    /// A client's encoder; with `deflate`, data messages are compressed
    /// within the agreed window and context rules.
    pub fn new(deflate: Option<&DeflateParams>) -> Encoder {
        Encoder::with_role(deflate, Role::Client)
    }

    /// An encoder for `role`'s end of the connection: it compresses with
    /// the window and context rule agreed for that side.
    pub fn with_role(deflate: Option<&DeflateParams>, role: Role) -> Encoder {
        Encoder {
            deflater: deflate
                .filter(|p| p.can_compress(role))
                .map(|p| Deflater::new(p.send_window(role), p.send_no_context_takeover(role))),
            scratch: Vec::new(),
        }
    }

    /// True when data messages are compressed (permessage-deflate).
    pub fn compresses(&self) -> bool {
        self.deflater.is_some()
    }

    /// Append `msg` as a frame to `out`, masked with `mask` (a client must
    /// mask, section 5.3; None writes an unmasked frame, as a server does).
    pub fn encode(
        &mut self,
        msg: &Message,
        mask: Option<[u8; 4]>,
        out: &mut Vec<u8>,
    ) -> io::Result<Encoded> {
        let start = out.len();
        let (opcode, payload): (Opcode, &[u8]) = match msg {
            Message::Text(t) => (Opcode::Text, t.as_bytes()),
            Message::Binary(b) => (Opcode::Binary, b),
            Message::Ping(p) => (Opcode::Ping, p),
            Message::Pong(p) => (Opcode::Pong, p),
            Message::Close(close) => {
                let mut body = Vec::new();
                if let Some(c) = close {
                    body.extend_from_slice(&u16::from(c.code).to_be_bytes());
                    body.extend_from_slice(c.reason.as_bytes());
                }
                write_frame(first(Opcode::Close, false), &body, mask, out);
                return Ok(Encoded {
                    bytes: out.len() - start,
                    compressed: None,
                });
            }
            Message::Frame(f) => {
                let h = f.header();
                let first = FirstByte {
                    fin: h.is_final,
                    rsv: [h.rsv1, h.rsv2, h.rsv3],
                    opcode: Opcode::from_bits(u8::from(h.opcode)),
                };
                write_frame(first, f.payload(), mask, out);
                return Ok(Encoded {
                    bytes: out.len() - start,
                    compressed: None,
                });
            }
        };
        if let (false, Some(d)) = (opcode.is_control(), &mut self.deflater) {
            self.scratch.clear();
            let size = d.compress(payload, &mut self.scratch)?;
            write_frame(first(opcode, true), &self.scratch, mask, out);
            return Ok(Encoded {
                bytes: out.len() - start,
                compressed: Some((payload.len(), size)),
            });
        }
        write_frame(first(opcode, false), payload, mask, out);
        Ok(Encoded {
            bytes: out.len() - start,
            compressed: None,
        })
    }
}

/// The first byte of a final frame, compressed (RSV1) or not.
fn first(opcode: Opcode, rsv1: bool) -> FirstByte {
    FirstByte {
        fin: true,
        rsv: [rsv1, false, false],
        opcode,
    }
}

/// Append the header of an uncompressed, final data frame of `len` bytes
/// masked with `mask`, if any; the caller sends the (masked) payload
/// itself.
pub fn write_header(opcode: Opcode, len: usize, mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    let (h, n) = Header::encode(first(opcode, false), len as u64, mask);
    out.extend_from_slice(&h[..n]);
}

fn write_frame(first: FirstByte, payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    let (h, n) = Header::encode(first, payload.len() as u64, mask);
    // The whole array, then cut to the header: a copy of a fixed size is
    // two moves, one of `n` bytes a call to memcpy (1% of the echo
    // workload's instructions, cachegrind).
    let at = out.len() + n;
    out.reserve(h.len() + payload.len());
    out.extend_from_slice(&h);
    out.truncate(at);
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[at..], key);
    }
}
