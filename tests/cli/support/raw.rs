//! [`RawServer`]: a TCP server whose script does everything by hand, for
//! misbehaving peers (non-101 answers, bad Accept keys, frames glued to the
//! 101, garbage, abrupt drops); and wire helpers to write such scripts:
//! [`read_request_head`], [`response_101`], [`frame`], [`frame_raw`],
//! [`close_payload`], [`read_frame`].

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpStream};

use super::{ServerThread, show_bytes};

/// Largest request head [`read_request_head`] accepts.
pub const MAX_HEAD: usize = 64 * 1024;

/// A raw TCP server on `127.0.0.1:<free port>`: accepts ONE connection (later
/// ones are refused) and hands the socket (10 s read/write timeouts) to the
/// script. The connection closes when the script drops the stream.
pub struct RawServer {
    thread: ServerThread<()>,
}

impl RawServer {
    /// Starts the server; `script` runs in the server thread once a client connects.
    pub fn start<F>(script: F) -> RawServer
    where
        F: FnOnce(TcpStream) + Send + 'static,
    {
        RawServer {
            thread: ServerThread::spawn("RawServer", script),
        }
    }

    /// `ws://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("ws://{}/", self.thread.addr())
    }

    /// The listening address (127.0.0.1 and the port the OS picked).
    pub fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// Waits (at most 15 s) for the script to end. Panics if no connection
    /// arrived, if the script is still running, or if it panicked (with its
    /// panic message).
    pub fn finish(self) {
        self.thread.finish()
    }
}

/// Reads an HTTP request head from `s`, byte by byte so that nothing after
/// the blank line is consumed, until `\r\n\r\n` (at most [`MAX_HEAD`] = 64 KiB;
/// each read bounded by the socket's timeout). Returns the raw bytes (blank
/// line included) and the `Sec-WebSocket-Key` value, if the head has one.
///
/// Panics with the bytes received so far if the peer closes early, the read
/// times out, the head is too large, or it does not parse as HTTP.
pub fn read_request_head<R: Read>(s: &mut R) -> (Vec<u8>, Option<String>) {
    let mut head = Vec::with_capacity(1024);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            panic!(
                "read_request_head: no end of head within {MAX_HEAD} bytes:\n{}",
                show_bytes(&head[..256])
            );
        }
        match s.read(&mut byte) {
            Ok(0) => panic!(
                "read_request_head: the client closed the connection after {} bytes:\n{}",
                head.len(),
                show_bytes(&head)
            ),
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!(
                "read_request_head: read failed after {} bytes ({e}):\n{}",
                head.len(),
                show_bytes(&head)
            ),
        }
    }
    let mut storage = [httparse::EMPTY_HEADER; 256];
    let mut req = httparse::Request::new(&mut storage);
    match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        other => panic!(
            "read_request_head: not an HTTP request head ({other:?}):\n{}",
            show_bytes(&head)
        ),
    }
    let key = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Key"))
        .map(|h| String::from_utf8_lossy(h.value).trim().to_string());
    (head, key)
}

/// A correct `101 Switching Protocols` response head for `key` (the
/// client's Sec-WebSocket-Key): Upgrade, Connection and the Sec-WebSocket-Accept
/// from `tungstenite::handshake::derive_accept_key`, then `extra_headers` in
/// order, then the blank line.
pub fn response_101(key: &str, extra_headers: &[(&str, &str)]) -> Vec<u8> {
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n"
    );
    for (name, value) in extra_headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Encodes one unmasked (server-to-client) frame: FIN bit, `opcode` (low 4
/// bits used: 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping,
/// 0xA pong), and the payload with a 7-, 16- or 64-bit length as its size needs.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_raw(((fin as u8) << 7) | (opcode & 0x0f), payload)
}

/// Like [`frame`], but the caller gives the whole first byte (FIN, RSV1-3,
/// opcode), e.g. `0x80 | 0x40 | 0x1` for a text frame with RSV1 set.
pub fn frame_raw(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = Vec::with_capacity(len + 10);
    out.push(first_byte);
    if len < 126 {
        out.push(len as u8);
    } else if len <= u16::MAX as usize {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// A Close frame payload: the status code (big-endian) then the UTF-8 reason.
/// Use as `frame(true, 0x8, &close_payload(1000, "bye"))`.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason.as_bytes());
    out
}

/// One frame as read off the wire by [`read_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as the low three bits (RSV1 = 0b100).
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The masking key, if the frame was masked (client frames must be).
    pub mask: Option<[u8; 4]>,
    /// The payload, already unmasked.
    pub payload: Vec<u8>,
}

impl WireFrame {
    /// For a Close frame with a body: its code and reason (reason lossily decoded).
    pub fn close_code(&self) -> Option<(u16, String)> {
        if self.opcode != 0x8 || self.payload.len() < 2 {
            return None;
        }
        let code = u16::from_be_bytes([self.payload[0], self.payload[1]]);
        Some((
            code,
            String::from_utf8_lossy(&self.payload[2..]).into_owned(),
        ))
    }

    /// The payload as UTF-8 text; panics if it is not.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload)
            .unwrap_or_else(|e| panic!("WireFrame::text: payload is not UTF-8 ({e}): {self:?}"))
    }
}

/// Reads one frame (typically a masked client frame) from `s` and unmasks
/// its payload. Bounded by the socket's timeout; panics with a clear message
/// on EOF, timeout, or a declared length above 64 MiB.
pub fn read_frame<R: Read>(s: &mut R) -> WireFrame {
    fn fill<R: Read>(s: &mut R, buf: &mut [u8], what: &str) {
        if let Err(e) = s.read_exact(buf) {
            panic!("read_frame: reading the {what} failed: {e}");
        }
    }
    let mut head = [0u8; 2];
    fill(s, &mut head, "frame header");
    let fin = head[0] & 0x80 != 0;
    let rsv = (head[0] >> 4) & 0x07;
    let opcode = head[0] & 0x0f;
    let masked = head[1] & 0x80 != 0;
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            fill(s, &mut b, "16-bit length");
            u16::from_be_bytes(b) as u64
        }
        127 => {
            let mut b = [0u8; 8];
            fill(s, &mut b, "64-bit length");
            u64::from_be_bytes(b)
        }
        n => n as u64,
    };
    assert!(
        len <= 64 * 1024 * 1024,
        "read_frame: frame declares {len} bytes of payload (over 64 MiB)"
    );
    let mask = masked.then(|| {
        let mut k = [0u8; 4];
        fill(s, &mut k, "masking key");
        k
    });
    let mut payload = vec![0u8; len as usize];
    fill(s, &mut payload, "payload");
    if let Some(k) = mask {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= k[i % 4];
        }
    }
    WireFrame {
        fin,
        rsv,
        opcode,
        mask,
        payload,
    }
}
