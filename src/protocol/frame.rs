//! The frame layer of RFC 6455 section 5, shared by the strict engine
//! (`protocol::decode`, `protocol::encode`) and the tolerant trace decoder
//! (`wire`): opcodes as a type, the limits on control frames, which close
//! codes may appear on the wire, and the GUID of the opening handshake.
//!
//! A leaf: it imports nothing from the crate, so the error types, the event
//! vocabulary and the CLI can name its items without a cycle. It holds
//! rules, not policy: what to do when a rule is broken is the caller's.

use std::borrow::Cow;

/// A frame's opcode (RFC 6455 section 5.2), the four low bits of its first
/// byte. Reserved values are kept, since the trace shows what a peer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: a text message (UTF-8).
    Text,
    /// 0x2: a binary message.
    Binary,
    /// 0x8: the closing handshake.
    Close,
    /// 0x9: a ping.
    Ping,
    /// 0xA: a pong.
    Pong,
    /// 0x3-0x7 (data) and 0xB-0xF (control): reserved for extensions.
    Reserved(u8),
}

impl Opcode {
    /// The opcode in the four low bits of `b` (the rest is ignored).
    pub const fn from_bits(b: u8) -> Opcode {
        match b & 0x0F {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    /// The four bits on the wire.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
            Opcode::Reserved(b) => b & 0x0F,
        }
    }

    /// Close, Ping, Pong and the reserved control opcodes (0x8-0xF).
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }

    /// Reserved for an extension none of ours defines.
    pub const fn is_reserved(self) -> bool {
        matches!(self, Opcode::Reserved(_))
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
            Opcode::Reserved(b) => format!("RESERVED-0x{b:x}").into(),
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
}
