//! The frame layer of RFC 6455 section 5, shared by the strict engine
//! (`protocol::decode`, `protocol::encode`) and the tolerant trace decoder
//! (`wire`): opcodes as a type, who masks ([`Role`]), the header's bits
//! and length forms, masking, the incremental UTF-8 check, the limits on
//! control frames, which close codes may appear on the wire, the GUID of
//! the opening handshake, and the rules a peer can break ([`Violation`]).
//!
//! A leaf: it imports nothing from the crate, so the error types, the event
//! vocabulary and the CLI can name its items without a cycle. It holds
//! rules, not policy: reading a header here never judges it (the trace
//! shows what the engine refuses), the strict checks are separate calls,
//! and what to do when a rule is broken is the caller's. Nothing here
//! allocates on the path of a frame.

use std::borrow::Cow;
use std::fmt;

/// A frame's opcode (RFC 6455 section 5.2), the four low bits of its first
/// byte. Reserved values are kept, since the trace shows what a peer sent.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode(u8);

// The opcodes keep the names they would have as an enum's variants, so
// that `Opcode::Text` reads the same in expressions and in patterns; the
// type is a byte underneath, because the header of every frame is judged
// on it (a match on an enum with a payload cost 3% of the instructions
// of the 100-byte echo benchmark, measured with cachegrind).
#[allow(non_upper_case_globals)]
impl Opcode {
    /// 0x0: continues a fragmented message.
    pub const Continuation: Opcode = Opcode(0x0);
    /// 0x1: a text message (UTF-8).
    pub const Text: Opcode = Opcode(0x1);
    /// 0x2: a binary message.
    pub const Binary: Opcode = Opcode(0x2);
    /// 0x8: the closing handshake.
    pub const Close: Opcode = Opcode(0x8);
    /// 0x9: a ping.
    pub const Ping: Opcode = Opcode(0x9);
    /// 0xA: a pong.
    pub const Pong: Opcode = Opcode(0xA);
}

impl Opcode {
    /// The opcode in the four low bits of `b` (the rest is ignored).
    pub const fn from_bits(b: u8) -> Opcode {
        Opcode(b & 0x0F)
    }

    /// The four bits on the wire.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Close, Ping, Pong and the reserved control opcodes (0x8-0xF).
    pub const fn is_control(self) -> bool {
        self.0 & 0x8 != 0
    }

    /// 0x3-0x7 (data) and 0xB-0xF (control): reserved for an extension
    /// none of ours defines.
    pub const fn is_reserved(self) -> bool {
        !matches!(self.0, 0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA)
    }

    /// The name traces and JSON use: CONT, TEXT, BINARY, CLOSE, PING, PONG,
    /// or RESERVED-0xN.
    pub fn name(self) -> Cow<'static, str> {
        match self {
            Opcode::Continuation => "CONT".into(),
            Opcode::Text => "TEXT".into(),
            Opcode::Binary => "BINARY".into(),
            Opcode::Close => "CLOSE".into(),
            Opcode::Ping => "PING".into(),
            Opcode::Pong => "PONG".into(),
            Opcode(b) => format!("RESERVED-0x{b:x}").into(),
        }
    }
}

impl fmt::Debug for Opcode {
    /// As the enum it used to be showed it: `Text`, `Reserved(11)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Opcode::Continuation => f.write_str("Continuation"),
            Opcode::Text => f.write_str("Text"),
            Opcode::Binary => f.write_str("Binary"),
            Opcode::Close => f.write_str("Close"),
            Opcode::Ping => f.write_str("Ping"),
            Opcode::Pong => f.write_str("Pong"),
            Opcode(b) => write!(f, "Reserved({b})"),
        }
    }
}

/// The most payload a control frame may carry (section 5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The longest Close reason: the control-frame limit less the two bytes of
/// the code (section 5.5.1).
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// The GUID appended to the client's key to form Sec-WebSocket-Accept
/// (section 1.3 and 4.2.2).
pub const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A close code that may appear in a Close frame (section 7.4): 1000-1003,
/// 1007-1014 and 3000-4999. 1004-1006 and 1015 are reserved for reports and
/// must never be sent; the rest are unassigned.
pub const fn close_code_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The allowed ranges as people read them, for error messages.
pub const CLOSE_CODES_ALLOWED: &str = "1000-1003, 1007-1014 or 3000-4999";

/// Which end of the connection we are (section 5.1): a client masks every
/// frame it sends and requires unmasked frames from the server; a server
/// sends unmasked frames and requires masked ones from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We opened the connection.
    Client,
    /// We accepted it.
    Server,
}

impl Role {
    /// Frames we send are masked (a client's are, a server's never).
    pub const fn masks(self) -> bool {
        matches!(self, Role::Client)
    }

    /// Frames from the peer must be masked (a server requires it of a
    /// client; a client refuses masked frames from a server).
    pub const fn expects_masked(self) -> bool {
        matches!(self, Role::Server)
    }
}

/// The longest frame header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEADER: usize = 14;

/// The first byte of a frame: FIN, RSV1-3 and the opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstByte {
    /// FIN: the last frame of its message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3.
    pub rsv: [bool; 3],
    /// The opcode.
    pub opcode: Opcode,
}

impl FirstByte {
    /// Unpack the bits of `b`.
    pub const fn parse(b: u8) -> FirstByte {
        FirstByte {
            fin: b & 0x80 != 0,
            rsv: [b & 0x40 != 0, b & 0x20 != 0, b & 0x10 != 0],
            opcode: Opcode::from_bits(b),
        }
    }

    /// Pack it again.
    pub const fn byte(self) -> u8 {
        (self.fin as u8) << 7
            | (self.rsv[0] as u8) << 6
            | (self.rsv[1] as u8) << 5
            | (self.rsv[2] as u8) << 4
            | self.opcode.bits()
    }
}

/// The MASK bit of a header's second byte.
pub const fn masked(second: u8) -> bool {
    second & 0x80 != 0
}

/// The 7-bit length field of a header's second byte: the length itself, or
/// 126 (a 16-bit length follows) or 127 (a 64-bit one follows).
pub const fn len7(second: u8) -> u8 {
    second & 0x7f
}

/// How many header bytes a frame needs, given the bytes seen so far: 2
/// until the second byte is known, then 2 to 14.
pub const fn header_len(seen: &[u8]) -> usize {
    if seen.len() < 2 {
        return 2;
    }
    let ext = match len7(seen[1]) {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if masked(seen[1]) { 4 } else { 0 }
}

/// A complete header as sent, read without judging it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// FIN, RSV and opcode.
    pub first: FirstByte,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length announced (any 64-bit value).
    pub len: u64,
    /// The 7-bit length field it was announced with ([`len7`]).
    pub len7: u8,
}

impl Header {
    /// Read the header in the first [`header_len`] bytes of `h` (bytes
    /// after it are ignored; a shorter header gives garbage, not a panic).
    pub const fn parse(h: &[u8; MAX_HEADER]) -> Header {
        let code = len7(h[1]);
        let (len, at) = match code {
            126 => (u16::from_be_bytes([h[2], h[3]]) as u64, 4),
            127 => (
                u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
                10,
            ),
            n => (n as u64, 2),
        };
        let mask = if masked(h[1]) {
            Some([h[at], h[at + 1], h[at + 2], h[at + 3]])
        } else {
            None
        };
        Header {
            first: FirstByte::parse(h[0]),
            mask,
            len,
            len7: code,
        }
    }

    /// The length rules of section 5.2, for a strict reader: a 64-bit
    /// length has its most significant bit clear, and every length is in
    /// its shortest form.
    pub fn check_length(&self) -> Result<(), Violation> {
        match self.len7 {
            126 if self.len < 126 => Err(Violation::LengthNotMinimal(self.len)),
            127 if self.len >> 63 != 0 => Err(Violation::LengthMsbSet),
            127 if self.len <= 0xffff => Err(Violation::LengthNotMinimal(self.len)),
            _ => Ok(()),
        }
    }

    /// The header's bytes, the length in its shortest form: the array and
    /// how many of its bytes to send. (Our lengths come from memory, so
    /// the most significant bit of a 64-bit one is never set.)
    pub fn encode(first: FirstByte, len: u64, mask: Option<[u8; 4]>) -> ([u8; MAX_HEADER], usize) {
        let mut h = [0u8; MAX_HEADER];
        h[0] = first.byte();
        let bit = if mask.is_some() { 0x80 } else { 0 };
        let at = if len < 126 {
            h[1] = bit | len as u8;
            2
        } else if len <= 0xffff {
            h[1] = bit | 126;
            h[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        } else {
            h[1] = bit | 127;
            h[2..10].copy_from_slice(&len.to_be_bytes());
            10
        };
        match mask {
            Some(key) => {
                h[at..at + 4].copy_from_slice(&key);
                (h, at + 4)
            }
            None => (h, at),
        }
    }
}

/// XOR `buf` with the masking key (section 5.3), eight bytes at a time;
/// `buf` starts at a payload offset that is a multiple of 4 (else see
/// [`mask_at`]).
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

/// The key that masks the payload from byte `offset` on: `key` turned so
/// that its first byte is the one for that offset. Masking a payload chunk
/// by chunk turns the key by each chunk's length.
pub const fn mask_at(key: [u8; 4], offset: u64) -> [u8; 4] {
    let o = (offset % 4) as usize;
    [key[o], key[(o + 1) % 4], key[(o + 2) % 4], key[(o + 3) % 4]]
}

/// An incremental UTF-8 check across chunk boundaries: `feed` finds a bad
/// byte as soon as it arrives (a sequence that can no longer become valid),
/// `finish` also rejects a character cut off at the end.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Check {
    /// An incomplete character carried from the previous chunk.
    carry: [u8; 4],
    n: usize,
    bad: bool,
}

impl Utf8Check {
    /// Check the next bytes.
    pub fn feed(&mut self, mut data: &[u8]) {
        if self.bad {
            return;
        }
        if self.n > 0 {
            let width = match self.carry[0] {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let take = (width - self.n).min(data.len());
            self.carry[self.n..self.n + take].copy_from_slice(&data[..take]);
            self.n += take;
            data = &data[take..];
            match std::str::from_utf8(&self.carry[..self.n]) {
                Ok(_) => self.n = 0,
                Err(e) if e.error_len().is_none() && self.n < width => return,
                Err(_) => {
                    self.bad = true;
                    return;
                }
            }
        }
        if let Err(e) = std::str::from_utf8(data) {
            if e.error_len().is_some() {
                self.bad = true;
            } else {
                let rest = &data[e.valid_up_to()..];
                self.carry[..rest.len()].copy_from_slice(rest);
                self.n = rest.len();
            }
        }
    }

    /// True once a byte that can never be valid UTF-8 was fed.
    pub fn is_bad(&self) -> bool {
        self.bad
    }

    /// True when everything fed so far is complete, valid UTF-8; then
    /// starts over.
    pub fn finish(&mut self) -> bool {
        let ok = !self.bad && self.n == 0;
        *self = Utf8Check::default();
        ok
    }
}

/// Which limit a message or frame went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// --max-message-size.
    Message,
    /// --max-frame-size.
    Frame,
}

/// A rule the peer broke. Each maps to the close code we answer with
/// ([`Violation::close_code`]) and reads as the rule, naming the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A frame from the server is masked (section 5.1).
    Masked,
    /// A frame from the client is not masked (section 5.1).
    Unmasked,
    /// RSV1-3 set where no extension gives them a meaning (section 5.2).
    ReservedBits {
        /// RSV1, RSV2, RSV3.
        rsv: [bool; 3],
    },
    /// RSV1 on a control frame although permessage-deflate is in use
    /// (RFC 7692 section 6.1).
    CompressedControl,
    /// RSV1 on a continuation frame (RFC 7692 section 6.1).
    CompressedContinuation,
    /// A reserved opcode (section 5.2).
    ReservedOpcode(Opcode),
    /// A control frame without FIN (section 5.5).
    FragmentedControl,
    /// A control frame longer than 125 bytes (section 5.5).
    ControlTooLong(u64),
    /// A 64-bit length with the most significant bit set (section 5.2).
    LengthMsbSet,
    /// A length not in its shortest form (section 5.2).
    LengthNotMinimal(u64),
    /// A continuation frame with no message to continue (section 5.4).
    UnexpectedContinuation,
    /// A new data message began inside a fragmented one (section 5.4).
    ExpectedContinuation,
    /// A Close frame with a 1-byte payload (section 5.5.1).
    CloseOneByte,
    /// A Close code that may not be sent (section 7.4).
    CloseCode(u16),
    /// A Close reason that is not UTF-8 (section 5.5.1).
    CloseReasonNotUtf8,
    /// Text that is not UTF-8 (section 8.1), found this far into the message.
    TextNotUtf8,
    /// A message or frame over a limit (section 10.4).
    TooBig {
        /// The size announced or reached.
        size: u64,
        /// The limit.
        limit: usize,
        /// Which limit.
        which: Limit,
        /// It is the inflated size of a compressed message.
        inflated: bool,
    },
    /// Compressed data that does not inflate (RFC 7692 section 7.2.2).
    Inflate(String),
}

impl Violation {
    /// The close code we send because of it: 1007 for bad UTF-8, 1009 for
    /// too big, 1002 for everything else.
    pub fn close_code(&self) -> u16 {
        match self {
            Violation::TextNotUtf8 | Violation::CloseReasonNotUtf8 => 1007,
            Violation::TooBig { .. } => 1009,
            _ => 1002,
        }
    }
}

impl Violation {
    /// The rule in words as `role` (our end) sees it: the peer is "the
    /// server" for a client and "the client" for a server. Plain
    /// `Display` is the client's view, the words client mode has always
    /// printed.
    pub fn seen_by(&self, role: Role) -> SeenBy<'_> {
        SeenBy {
            violation: self,
            role,
        }
    }
}

/// A [`Violation`] worded for one [`Role`]; see [`Violation::seen_by`].
#[derive(Debug, Clone, Copy)]
pub struct SeenBy<'a> {
    violation: &'a Violation,
    role: Role,
}

impl fmt::Display for SeenBy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let peer = match self.role {
            Role::Client => "server",
            Role::Server => "client",
        };
        match self.violation {
            Violation::Masked => write!(
                f,
                "the {peer} sent a masked frame (section 5.1: servers must not mask)"
            ),
            Violation::Unmasked => write!(
                f,
                "the {peer} sent an unmasked frame (section 5.1: clients must mask)"
            ),
            Violation::CloseCode(c) => write!(
                f,
                "the {peer}'s Close frame has code {c}, which may not be sent (section 7.4)"
            ),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Masked => {
                f.write_str("the server sent a masked frame (section 5.1: servers must not mask)")
            }
            Violation::Unmasked => {
                f.write_str("the client sent an unmasked frame (section 5.1: clients must mask)")
            }
            Violation::ReservedBits { rsv } if !rsv[0] || rsv[1] || rsv[2] => {
                let bits: Vec<String> = (0..3)
                    .filter(|&i| rsv[i])
                    .map(|i| format!("RSV{}", i + 1))
                    .collect();
                write!(
                    f,
                    "a frame has RSV bits set ({}) that no negotiated extension defines (section 5.2)",
                    bits.join(", ")
                )
            }
            Violation::ReservedBits { .. } => f.write_str(
                "a frame has RSV bits set but no extension was negotiated (section 5.2): RSV1 is a compressed message, and permessage-deflate was not agreed",
            ),
            Violation::CompressedControl => f.write_str(
                "a control frame has RSV1 set: control frames are never compressed (RFC 7692 section 6.1)",
            ),
            Violation::CompressedContinuation => f.write_str(
                "a continuation frame has RSV1 set: only a message's first frame may (RFC 7692 section 6.1)",
            ),
            Violation::ReservedOpcode(op) if op.is_control() => {
                write!(f, "reserved control opcode 0x{:x} (section 5.2)", op.bits())
            }
            Violation::ReservedOpcode(op) => {
                write!(f, "reserved data opcode 0x{:x} (section 5.2)", op.bits())
            }
            Violation::FragmentedControl => f.write_str(
                "a control frame is fragmented (section 5.5: control frames must have FIN)",
            ),
            Violation::ControlTooLong(n) => write!(
                f,
                "a control frame is longer than {MAX_CONTROL_PAYLOAD} bytes: {n} (section 5.5)"
            ),
            Violation::LengthMsbSet => f.write_str(
                "a frame announces a 64-bit length with the most significant bit set (section 5.2)",
            ),
            Violation::LengthNotMinimal(n) => write!(
                f,
                "a frame length ({n}) is not encoded in the fewest bytes (section 5.2)"
            ),
            Violation::UnexpectedContinuation => f.write_str(
                "a continuation frame arrived with no message to continue (section 5.4)",
            ),
            Violation::ExpectedContinuation => {
                f.write_str("a new message began before the fragmented one ended (section 5.4)")
            }
            Violation::CloseOneByte => f.write_str(
                "the Close frame has an invalid code: its payload is 1 byte, and a code takes 2 (section 5.5.1)",
            ),
            Violation::CloseCode(c) => write!(
                f,
                "the server's Close frame has code {c}, which may not be sent (section 7.4)"
            ),
            Violation::CloseReasonNotUtf8 => {
                f.write_str("the Close frame's reason is not valid UTF-8 (section 5.5.1)")
            }
            Violation::TextNotUtf8 => f.write_str("a text message is not valid UTF-8 (section 8.1)"),
            Violation::TooBig {
                size,
                limit,
                which,
                inflated,
            } => {
                let (what, flag) = match which {
                    Limit::Message => ("message", "--max-message-size"),
                    Limit::Frame => ("frame", "--max-frame-size"),
                };
                if *inflated {
                    write!(
                        f,
                        "a compressed message inflates past the limit of {limit} bytes ({flag})"
                    )
                } else {
                    write!(
                        f,
                        "a {what} of {size} bytes is over the limit of {limit} ({flag})"
                    )
                }
            }
            Violation::Inflate(e) => write!(
                f,
                "a compressed message is not valid DEFLATE data: {e} (RFC 7692 section 7.2.2)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_through_their_bits() {
        for b in 0..16u8 {
            let op = Opcode::from_bits(b);
            assert_eq!(op.bits(), b);
            assert_eq!(op.is_control(), b >= 8);
        }
        assert_eq!(Opcode::from_bits(0x81), Opcode::Text);
        assert_eq!(Opcode::from_bits(0xb).name(), "RESERVED-0xb");
        assert_eq!(Opcode::Continuation.name(), "CONT");
    }

    #[test]
    fn close_codes() {
        for ok in [1000, 1003, 1007, 1014, 3000, 4999] {
            assert!(close_code_on_wire(ok), "{ok}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert!(!close_code_on_wire(bad), "{bad}");
        }
    }

    #[test]
    fn first_bytes_round_trip() {
        for b in 0..=255u8 {
            assert_eq!(FirstByte::parse(b).byte(), b);
        }
        let f = FirstByte::parse(0xc1);
        assert!(f.fin && f.rsv == [true, false, false] && f.opcode == Opcode::Text);
    }

    #[test]
    fn headers_encode_in_the_shortest_form_and_read_back() {
        let first = FirstByte::parse(0x82);
        for (len, size) in [(0, 2), (125, 2), (126, 4), (0xffff, 4), (0x1_0000, 10)] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let (h, n) = Header::encode(first, len, mask);
                let n_mask = if mask.is_some() { 4 } else { 0 };
                assert_eq!(n, size + n_mask, "{len}");
                assert_eq!(header_len(&h[..2]), n);
                let back = Header::parse(&h);
                assert_eq!((back.first, back.mask, back.len), (first, mask, len));
                assert_eq!(back.check_length(), Ok(()));
            }
        }
    }

    #[test]
    fn lengths_not_in_their_shortest_form_or_with_the_top_bit_are_named() {
        let read = |bytes: &[u8]| {
            let mut h = [0u8; MAX_HEADER];
            h[..bytes.len()].copy_from_slice(bytes);
            Header::parse(&h)
        };
        let h = read(&[0x82, 126, 0, 125]);
        assert_eq!(h.check_length(), Err(Violation::LengthNotMinimal(125)));
        let h = read(&[0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
        assert_eq!(h.check_length(), Err(Violation::LengthNotMinimal(0xffff)));
        let h = read(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(h.len, 1 << 63);
        assert_eq!(h.check_length(), Err(Violation::LengthMsbSet));
    }

    #[test]
    fn violations_name_the_peer_of_the_role_and_display_is_the_clients_view() {
        for v in [
            Violation::Masked,
            Violation::CloseCode(1005),
            Violation::TextNotUtf8,
        ] {
            assert_eq!(v.seen_by(Role::Client).to_string(), v.to_string());
        }
        assert_eq!(
            Violation::CloseCode(1005).seen_by(Role::Server).to_string(),
            "the client's Close frame has code 1005, which may not be sent (section 7.4)"
        );
        assert_eq!(
            Violation::Unmasked.seen_by(Role::Server).to_string(),
            "the client sent an unmasked frame (section 5.1: clients must mask)"
        );
        assert_eq!(
            Violation::CloseCode(1005).to_string(),
            "the server's Close frame has code 1005, which may not be sent (section 7.4)"
        );
    }

    #[test]
    fn masking_chunk_by_chunk_turns_the_key() {
        let key = [0x9d, 0x1f, 0x03, 0xaa];
        let data: Vec<u8> = (0..37).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key);
        let mut pieces = data.clone();
        let mut at = 0u64;
        for chunk in pieces.chunks_mut(5) {
            apply_mask(chunk, mask_at(key, at));
            at += chunk.len() as u64;
        }
        assert_eq!(pieces, whole);
    }

    #[test]
    fn utf8_is_checked_across_chunks() {
        let mut c = Utf8Check::default();
        for piece in [&b"a\xe2"[..], b"\x82", b"\xac", b""] {
            c.feed(piece);
        }
        assert!(!c.is_bad() && c.finish());
        c.feed(b"\xe2\x82");
        assert!(!c.is_bad());
        assert!(!c.finish(), "a character cut off at the end");
        c.feed(b"\xc3");
        c.feed(b"(");
        assert!(c.is_bad(), "found as soon as the byte arrives");
    }
}
