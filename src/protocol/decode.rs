//! The receiving half of the protocol engine, without I/O: bytes from the
//! server go in, in chunks of any size, and whole messages (or the first
//! rule the server broke) come out.
//!
//! It checks every rule of RFC 6455 section 5 that a client must check, as
//! early as the bytes allow: a header is judged byte by byte (reserved
//! opcode and RSV bits on the first byte, mask on the second, length limits
//! once the length is known, before any payload arrives), and text is
//! checked for UTF-8 as each chunk of payload arrives, inflated or not, so a
//! bad byte fails the connection at once rather than at the end of the
//! message. Memory is bounded by the limits: a frame that announces more
//! than the limit is refused from its header alone, and compressed data is
//! inflated only up to the limit. It never reads or writes a socket.

use super::deflate::{DeflateParams, InflateError, Inflater};
use crate::wire::{Utf8Check, header_len};
use std::fmt;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Bytes, Message, Utf8Bytes};

/// Largest payload a control frame may have (section 5.5).
const MAX_CONTROL: u64 = 125;

/// How much the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest message, after inflating (--max-message-size).
    pub max_message: usize,
    /// The largest frame payload, as on the wire (--max-frame-size).
    pub max_frame: usize,
}

/// Which limit a message or frame went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// --max-message-size.
    Message,
    /// --max-frame-size.
    Frame,
}

/// A rule the server broke. Each maps to the close code we answer with
/// ([`Violation::close_code`]) and reads as the rule, naming the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A frame from the server is masked (section 5.1).
    Masked,
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
    ReservedOpcode(u8),
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

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Masked => {
                f.write_str("the server sent a masked frame (section 5.1: servers must not mask)")
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
            Violation::ReservedOpcode(op) if op & 0x8 != 0 => {
                write!(f, "reserved control opcode 0x{op:x} (section 5.2)")
            }
            Violation::ReservedOpcode(op) => {
                write!(f, "reserved data opcode 0x{op:x} (section 5.2)")
            }
            Violation::FragmentedControl => f.write_str(
                "a control frame is fragmented (section 5.5: control frames must have FIN)",
            ),
            Violation::ControlTooLong(n) => write!(
                f,
                "a control frame is longer than 125 bytes: {n} (section 5.5)"
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

/// A message as it came off the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The message (Text, Binary, Ping, Pong or Close).
    pub message: Message,
    /// For a compressed data message: its size on the wire (the frame
    /// payloads added up).
    pub compressed: Option<u64>,
}

/// The frame being read.
#[derive(Debug, Clone, Copy)]
struct Frame {
    fin: bool,
    opcode: u8,
    /// Payload bytes still to come.
    left: u64,
}

/// The data message being put together.
struct Partial {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
    /// Payload bytes on the wire so far.
    wire: u64,
    utf8: Utf8Check,
}

/// The receiving state machine; see the module documentation.
pub struct Decoder {
    limits: Limits,
    inflater: Option<Inflater>,
    header: [u8; 14],
    have: usize,
    frame: Option<Frame>,
    control: Vec<u8>,
    message: Option<Partial>,
    failed: Option<Violation>,
}

impl Decoder {
    /// A decoder with these limits; `deflate` when permessage-deflate was
    /// agreed.
    pub fn new(limits: Limits, deflate: Option<&DeflateParams>) -> Decoder {
        Decoder {
            limits,
            inflater: deflate.map(|p| Inflater::new(p.server_no_context_takeover)),
            header: [0; 14],
            have: 0,
            frame: None,
            control: Vec::new(),
            message: None,
            failed: None,
        }
    }

    /// Consume bytes from `input` until a message completes, the input runs
    /// out or a rule is broken. Returns how many bytes were used; the rest
    /// (after a message) must be given again. After a violation every call
    /// returns it again.
    pub fn decode(&mut self, input: &[u8]) -> (usize, Result<Option<Incoming>, Violation>) {
        if let Some(v) = &self.failed {
            return (0, Err(v.clone()));
        }
        let mut pos = 0;
        while pos < input.len() {
            let step = match self.frame {
                None => self.header_bytes(&input[pos..]),
                Some(frame) => self.payload_bytes(frame, &input[pos..]),
            };
            match step {
                Ok((used, done)) => {
                    pos += used;
                    if let Some(msg) = done {
                        return (pos, Ok(Some(msg)));
                    }
                }
                Err(v) => {
                    self.failed = Some(v.clone());
                    return (pos, Err(v));
                }
            }
        }
        (pos, Ok(None))
    }

    /// Take header bytes; judge each as soon as it arrives.
    fn header_bytes(&mut self, input: &[u8]) -> Result<(usize, Option<Incoming>), Violation> {
        let mut used = 0;
        while used < input.len() {
            let need = header_len(&self.header[..self.have]);
            if self.have == need {
                break;
            }
            self.header[self.have] = input[used];
            self.have += 1;
            used += 1;
            match self.have {
                1 => self.check_first_byte(self.header[0])?,
                2 => self.check_second_byte()?,
                _ => {}
            }
        }
        if self.have < header_len(&self.header[..self.have]) {
            return Ok((used, None));
        }
        let frame = self.start_frame()?;
        self.have = 0;
        if frame.left == 0 {
            return Ok((used, self.end_frame(frame)?));
        }
        self.frame = Some(frame);
        Ok((used, None))
    }

    fn check_first_byte(&self, b: u8) -> Result<(), Violation> {
        let fin = b & 0x80 != 0;
        let rsv = [b & 0x40 != 0, b & 0x20 != 0, b & 0x10 != 0];
        let opcode = b & 0x0f;
        let control = opcode & 0x8 != 0;
        if !matches!(opcode, 0x0..=0x2 | 0x8..=0xa) {
            return Err(Violation::ReservedOpcode(opcode));
        }
        if rsv[1] || rsv[2] || (rsv[0] && self.inflater.is_none()) {
            return Err(Violation::ReservedBits { rsv });
        }
        if rsv[0] && control {
            return Err(Violation::CompressedControl);
        }
        if rsv[0] && opcode == 0x0 {
            return Err(Violation::CompressedContinuation);
        }
        if control && !fin {
            return Err(Violation::FragmentedControl);
        }
        match (opcode, self.message.is_some()) {
            (0x0, false) => Err(Violation::UnexpectedContinuation),
            (0x1 | 0x2, true) => Err(Violation::ExpectedContinuation),
            _ => Ok(()),
        }
    }

    fn check_second_byte(&self) -> Result<(), Violation> {
        let b = self.header[1];
        if b & 0x80 != 0 {
            return Err(Violation::Masked);
        }
        let len7 = u64::from(b & 0x7f);
        if self.header[0] & 0x8 != 0 && len7 > MAX_CONTROL {
            // 126 and 127 announce longer lengths: too long either way.
            return Err(Violation::ControlTooLong(len7));
        }
        Ok(())
    }

    /// The header is complete: read the length and open the frame.
    fn start_frame(&mut self) -> Result<Frame, Violation> {
        let h = &self.header;
        let fin = h[0] & 0x80 != 0;
        let rsv1 = h[0] & 0x40 != 0;
        let opcode = h[0] & 0x0f;
        let len = match h[1] & 0x7f {
            126 => {
                let n = u64::from(u16::from_be_bytes([h[2], h[3]]));
                if n < 126 {
                    return Err(Violation::LengthNotMinimal(n));
                }
                n
            }
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&h[2..10]);
                let n = u64::from_be_bytes(b);
                if n >> 63 != 0 {
                    return Err(Violation::LengthMsbSet);
                }
                if n <= 0xffff {
                    return Err(Violation::LengthNotMinimal(n));
                }
                n
            }
            n => u64::from(n),
        };
        match opcode {
            0x1 | 0x2 => {
                self.message = Some(Partial {
                    text: opcode == 0x1,
                    compressed: rsv1,
                    data: Vec::new(),
                    wire: 0,
                    utf8: Utf8Check::default(),
                });
            }
            0x8..=0xa => self.control.clear(),
            _ => {}
        }
        let too_big = |size, limit, which| Violation::TooBig {
            size,
            limit,
            which,
            inflated: false,
        };
        if let Some(m) = &mut self.message
            && opcode & 0x8 == 0
        {
            m.wire += len;
            // An uncompressed message's size is known from the header; a
            // compressed one is checked as it inflates.
            let total = m.data.len() as u64 + len;
            if !m.compressed && total > self.limits.max_message as u64 {
                return Err(too_big(total, self.limits.max_message, Limit::Message));
            }
        }
        if len > self.limits.max_frame as u64 {
            return Err(too_big(len, self.limits.max_frame, Limit::Frame));
        }
        if let Some(m) = &mut self.message
            && opcode & 0x8 == 0
            && !m.compressed
        {
            // The whole frame is within the limits: room for it at once.
            m.data.reserve(len as usize);
        }
        Ok(Frame {
            fin,
            opcode,
            left: len,
        })
    }

    /// Take payload bytes of `frame`.
    fn payload_bytes(
        &mut self,
        mut frame: Frame,
        input: &[u8],
    ) -> Result<(usize, Option<Incoming>), Violation> {
        let take = frame.left.min(input.len() as u64) as usize;
        let chunk = &input[..take];
        if frame.opcode & 0x8 != 0 {
            self.control.extend_from_slice(chunk);
        } else {
            let limit = self.limits.max_message;
            let Some(m) = &mut self.message else {
                unreachable!("a data frame is only opened inside a message")
            };
            let before = m.data.len();
            match (&mut self.inflater, m.compressed) {
                (Some(inf), true) => inf
                    .inflate(chunk, &mut m.data, limit)
                    .map_err(inflate_violation)?,
                _ => m.data.extend_from_slice(chunk),
            }
            if m.text {
                m.utf8.feed(&m.data[before..]);
                if m.utf8.is_bad() {
                    return Err(Violation::TextNotUtf8);
                }
            }
        }
        frame.left -= take as u64;
        if frame.left > 0 {
            self.frame = Some(frame);
            return Ok((take, None));
        }
        self.frame = None;
        Ok((take, self.end_frame(frame)?))
    }

    /// A frame is complete: finish a control frame or, with FIN, a message.
    fn end_frame(&mut self, frame: Frame) -> Result<Option<Incoming>, Violation> {
        let control = std::mem::take(&mut self.control);
        let message = match frame.opcode {
            0x9 => Message::Ping(Bytes::from(control)),
            0xa => Message::Pong(Bytes::from(control)),
            0x8 => Message::Close(close_frame(&control)?),
            _ if !frame.fin => return Ok(None),
            _ => {
                let Some(mut m) = self.message.take() else {
                    unreachable!("a data frame is only opened inside a message")
                };
                let limit = self.limits.max_message;
                let before = m.data.len();
                if let (Some(inf), true) = (&mut self.inflater, m.compressed) {
                    inf.finish(m.wire, &mut m.data, limit)
                        .map_err(inflate_violation)?;
                }
                let compressed = m.compressed.then_some(m.wire);
                let message = if m.text {
                    m.utf8.feed(&m.data[before..]);
                    if !m.utf8.finish() {
                        return Err(Violation::TextNotUtf8);
                    }
                    debug_assert!(std::str::from_utf8(&m.data).is_ok());
                    // SAFETY: every byte of `m.data` went through `m.utf8`
                    // as it arrived (payload_bytes, and the inflater's tail
                    // above), and `finish` found it complete, valid UTF-8;
                    // a second full validation cost ~10% of a text stream.
                    Message::Text(unsafe { Utf8Bytes::from_bytes_unchecked(Bytes::from(m.data)) })
                } else {
                    Message::Binary(Bytes::from(m.data))
                };
                return Ok(Some(Incoming {
                    message,
                    compressed,
                }));
            }
        };
        Ok(Some(Incoming {
            message,
            compressed: None,
        }))
    }
}

fn inflate_violation(e: InflateError) -> Violation {
    match e {
        InflateError::TooBig { limit } => Violation::TooBig {
            size: limit as u64 + 1,
            limit,
            which: Limit::Message,
            inflated: true,
        },
        InflateError::Corrupt(s) => Violation::Inflate(s),
    }
}

/// Check and read a Close payload (sections 5.5.1 and 7.4).
fn close_frame(payload: &[u8]) -> Result<Option<CloseFrame>, Violation> {
    match payload {
        [] => Ok(None),
        [_] => Err(Violation::CloseOneByte),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !close_code_allowed(code) {
                return Err(Violation::CloseCode(code));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| Violation::CloseReasonNotUtf8)?;
            Ok(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            }))
        }
    }
}

/// May this code appear in a Close frame (RFC 6455 section 7.4)?
pub fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}
