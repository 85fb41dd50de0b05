//! The receiving half of the protocol engine, without I/O: bytes from the
//! peer go in, in chunks of any size, and whole messages (or the first rule
//! the peer broke) come out.
//!
//! It checks every rule of RFC 6455 section 5 that its [`Role`] must check,
//! as early as the bytes allow: a header is judged byte by byte (reserved
//! opcode and RSV bits on the first byte, mask on the second, length limits
//! once the length is known, before any payload arrives), and text is
//! checked for UTF-8 as each chunk of payload arrives, inflated or not, so a
//! bad byte fails the connection at once rather than at the end of the
//! message. Memory is bounded by the limits: a frame that announces more
//! than the limit is refused from its header alone, and compressed data is
//! inflated only up to the limit. The bits, lengths and rules themselves
//! are `frame`'s; this is the state machine. It never reads or writes a
//! socket.

use super::deflate::{DeflateParams, InflateError, Inflater};
use super::frame::{
    FirstByte, Header, Limit, MAX_CONTROL_PAYLOAD, MAX_HEADER, Opcode, Role, Utf8Check, Violation,
    apply_mask, close_code_on_wire, header_len, len7, mask_at, masked,
};
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Bytes, Message, Utf8Bytes};

/// How much the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest message, after inflating (--max-message-size).
    pub max_message: usize,
    /// The largest frame payload, as on the wire (--max-frame-size).
    pub max_frame: usize,
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
    opcode: Opcode,
    /// Payload bytes still to come.
    left: u64,
    /// The masking key for the next payload byte (a client's frames, read
    /// by a server; turned as the payload arrives).
    mask: Option<[u8; 4]>,
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
    role: Role,
    inflater: Option<Inflater>,
    header: [u8; MAX_HEADER],
    have: usize,
    /// How many header bytes the frame being read needs: 2 until its
    /// second byte says more ([`header_len`], computed once per frame).
    need: usize,
    frame: Option<Frame>,
    control: Vec<u8>,
    message: Option<Partial>,
    /// Reused buffer: masked compressed bytes, unmasked before inflating.
    unmasked: Vec<u8>,
    failed: Option<Violation>,
}

impl Decoder {
    /// A client's decoder with these limits; `deflate` when
    /// permessage-deflate was agreed.
    pub fn new(limits: Limits, deflate: Option<&DeflateParams>) -> Decoder {
        Decoder::with_role(limits, deflate, Role::Client)
    }

    /// A decoder for `role`'s end of the connection: it requires the
    /// peer's masking (section 5.1) and inflates with the peer's context
    /// rule.
    pub fn with_role(limits: Limits, deflate: Option<&DeflateParams>, role: Role) -> Decoder {
        Decoder {
            limits,
            role,
            inflater: deflate.map(|p| Inflater::new(p.receive_no_context_takeover(role))),
            header: [0; MAX_HEADER],
            have: 0,
            need: 2,
            frame: None,
            control: Vec::new(),
            message: None,
            unmasked: Vec::new(),
            failed: None,
        }
    }

    /// Consume bytes from `input` until a message completes, the input runs
    /// out or a rule is broken. Returns how many bytes were used; the rest
    /// (after a message) must be given again. After a violation every call
    /// returns it again.
    // Inlined into the read loop: out of line it cost 4% of the
    // streaming benchmark's instructions (cachegrind), a call per frame.
    #[inline(always)]
    pub fn decode(&mut self, input: &[u8]) -> (usize, Result<Option<Incoming>, Violation>) {
        if let Some(v) = &self.failed {
            return (0, Err(v.clone()));
        }
        if self.frame.is_none()
            && self.have == 0
            && let Some(whole) = self.whole_frame(input)
        {
            return whole;
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

    /// The usual frame, whole at the start of `input`: a text or binary
    /// message in one uncompressed frame (FIN, no RSV bit) with a 7-bit
    /// length, masked as our role requires, within the limits, and no
    /// message in progress. Such a frame passes every header rule, so it
    /// goes from the input to a message in one copy and one UTF-8 check,
    /// without the byte-by-byte header state machine and the `Partial`
    /// (a third of a small message's decoding, cachegrind). Anything else,
    /// a text payload that is not UTF-8 included, is None: the general
    /// path reads it from the same bytes and reports what it breaks.
    #[inline(always)]
    fn whole_frame(
        &mut self,
        input: &[u8],
    ) -> Option<(usize, Result<Option<Incoming>, Violation>)> {
        const TEXT: u8 = whole_first_byte(Opcode::Text);
        const BINARY: u8 = whole_first_byte(Opcode::Binary);
        let [first, second, rest @ ..] = input else {
            return None;
        };
        let (first, second) = (*first, *second);
        let len = usize::from(len7(second));
        if (first != TEXT && first != BINARY)
            || len >= 126
            || masked(second) != self.role.expects_masked()
            || self.message.is_some()
            || len > self.limits.max_message
            || len > self.limits.max_frame
        {
            return None;
        }
        let (mask, rest) = match rest {
            [k0, k1, k2, k3, rest @ ..] if masked(second) => (Some([*k0, *k1, *k2, *k3]), rest),
            _ if masked(second) => return None,
            _ => (None, rest),
        };
        let payload = rest.get(..len)?;
        let mut data = payload.to_vec();
        if let Some(key) = mask {
            apply_mask(&mut data, key);
        }
        let message = if first == TEXT {
            // A bad byte: the general path finds it and says where.
            Message::Text(Utf8Bytes::from(String::from_utf8(data).ok()?))
        } else {
            Message::Binary(Bytes::from(data))
        };
        let used = input.len() - rest.len() + len;
        let incoming = Incoming {
            message,
            compressed: None,
        };
        Some((used, Ok(Some(incoming))))
    }

    /// Take header bytes; judge each as soon as it arrives.
    #[inline(always)]
    fn header_bytes(&mut self, input: &[u8]) -> Result<(usize, Option<Incoming>), Violation> {
        let mut used = 0;
        while used < input.len() && self.have < self.need {
            self.header[self.have] = input[used];
            self.have += 1;
            used += 1;
            match self.have {
                1 => self.check_first_byte(FirstByte::parse(self.header[0]))?,
                2 => {
                    self.check_second_byte()?;
                    self.need = header_len(&self.header[..2]);
                }
                _ => {}
            }
        }
        if self.have < self.need {
            return Ok((used, None));
        }
        let frame = self.start_frame()?;
        self.have = 0;
        self.need = 2;
        if frame.left == 0 {
            return Ok((used, self.end_frame(frame)?));
        }
        self.frame = Some(frame);
        Ok((used, None))
    }

    fn check_first_byte(&self, b: FirstByte) -> Result<(), Violation> {
        let FirstByte { fin, rsv, opcode } = b;
        let control = opcode.is_control();
        if opcode.is_reserved() {
            return Err(Violation::ReservedOpcode(opcode));
        }
        if rsv[1] || rsv[2] || (rsv[0] && self.inflater.is_none()) {
            return Err(Violation::ReservedBits { rsv });
        }
        if rsv[0] && control {
            return Err(Violation::CompressedControl);
        }
        if rsv[0] && opcode == Opcode::Continuation {
            return Err(Violation::CompressedContinuation);
        }
        if control && !fin {
            return Err(Violation::FragmentedControl);
        }
        match (opcode, self.message.is_some()) {
            (Opcode::Continuation, false) => Err(Violation::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, true) => Err(Violation::ExpectedContinuation),
            _ => Ok(()),
        }
    }

    fn check_second_byte(&self) -> Result<(), Violation> {
        let b = self.header[1];
        match (masked(b), self.role.expects_masked()) {
            (true, false) => return Err(Violation::Masked),
            (false, true) => return Err(Violation::Unmasked),
            _ => {}
        }
        let len7 = u64::from(len7(b));
        if Opcode::from_bits(self.header[0]).is_control() && len7 > MAX_CONTROL_PAYLOAD as u64 {
            // 126 and 127 announce longer lengths: too long either way.
            return Err(Violation::ControlTooLong(len7));
        }
        Ok(())
    }

    /// The header is complete: read the length and open the frame.
    fn start_frame(&mut self) -> Result<Frame, Violation> {
        let short = len7(self.header[1]);
        let (first, mask, len) = if short < 126 && !masked(self.header[1]) {
            // The usual frame: a 7-bit length and no mask (what a client
            // reads); nothing else to parse or check.
            (FirstByte::parse(self.header[0]), None, u64::from(short))
        } else {
            let header = Header::parse(&self.header);
            header.check_length()?;
            (header.first, header.mask, header.len)
        };
        let opcode = first.opcode;
        match opcode {
            Opcode::Text | Opcode::Binary => {
                self.message = Some(Partial {
                    text: opcode == Opcode::Text,
                    compressed: first.rsv[0],
                    data: Vec::new(),
                    wire: 0,
                    utf8: Utf8Check::default(),
                });
            }
            Opcode::Close | Opcode::Ping | Opcode::Pong => self.control.clear(),
            _ => {}
        }
        let too_big = |size, limit, which| Violation::TooBig {
            size,
            limit,
            which,
            inflated: false,
        };
        if let Some(m) = &mut self.message
            && !opcode.is_control()
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
            && !opcode.is_control()
            && !m.compressed
        {
            // The whole frame is within the limits: room for it at once.
            m.data.reserve(len as usize);
        }
        Ok(Frame {
            fin: first.fin,
            opcode,
            left: len,
            mask,
        })
    }

    /// Take payload bytes of `frame`.
    #[inline(always)]
    fn payload_bytes(
        &mut self,
        mut frame: Frame,
        input: &[u8],
    ) -> Result<(usize, Option<Incoming>), Violation> {
        let take = frame.left.min(input.len() as u64) as usize;
        let chunk = &input[..take];
        if frame.opcode.is_control() {
            let at = self.control.len();
            self.control.extend_from_slice(chunk);
            if let Some(key) = frame.mask {
                apply_mask(&mut self.control[at..], key);
            }
        } else {
            let limit = self.limits.max_message;
            let Some(m) = &mut self.message else {
                unreachable!("a data frame is only opened inside a message")
            };
            let before = m.data.len();
            match (&mut self.inflater, m.compressed) {
                (Some(inf), true) => {
                    let chunk = match frame.mask {
                        Some(key) => {
                            self.unmasked.clear();
                            self.unmasked.extend_from_slice(chunk);
                            apply_mask(&mut self.unmasked, key);
                            &self.unmasked[..]
                        }
                        None => chunk,
                    };
                    inf.inflate(chunk, &mut m.data, limit)
                        .map_err(inflate_violation)?
                }
                _ => {
                    m.data.extend_from_slice(chunk);
                    if let Some(key) = frame.mask {
                        apply_mask(&mut m.data[before..], key);
                    }
                }
            }
            if m.text {
                m.utf8.feed(&m.data[before..]);
                if m.utf8.is_bad() {
                    return Err(Violation::TextNotUtf8);
                }
            }
        }
        frame.left -= take as u64;
        frame.mask = frame.mask.map(|key| mask_at(key, take as u64));
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
            Opcode::Ping => Message::Ping(Bytes::from(control)),
            Opcode::Pong => Message::Pong(Bytes::from(control)),
            Opcode::Close => Message::Close(close_frame(&control)?),
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

/// The first byte of a data message sent whole and uncompressed: FIN, no
/// RSV bit, `opcode`.
const fn whole_first_byte(opcode: Opcode) -> u8 {
    FirstByte {
        fin: true,
        rsv: [false; 3],
        opcode,
    }
    .byte()
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
            if !close_code_on_wire(code) {
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
