//! How a session fails: what a read error or a rule broken by the server
//! becomes (an abnormal close, an I/O error, a protocol violation answered
//! with its close code), and what a failed write means.

use super::{Finish, Session};
use crate::error::Error;
use crate::event::Event;
use crate::protocol::ReadError;
use crate::protocol::frame::{Role, Violation};
use std::io;
use tungstenite::error::ProtocolError;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

impl Session<'_> {
    pub(super) fn on_read_error(&mut self, e: ReadError) -> Finish {
        let closing = self.closing_since.is_some();
        // Only an open connection's silence tells an idle timeout.
        let silence = (!closing).then(|| self.quiet.silence(self.cfg.keepalive.is_some()));
        let abnormal = |detail: &str| {
            Finish::Failed(Error::AbnormalClose {
                code: 1006,
                reason: String::new(),
                detail: detail.to_string(),
                silence,
                ours: Role::Client,
            })
        };
        match e {
            ReadError::Closed => abnormal("the connection ended after the close handshake began"),
            ReadError::Eof if closing => {
                abnormal("the server closed the TCP connection without answering our Close")
            }
            ReadError::Eof => {
                abnormal("the server closed the TCP connection without a Close frame (EOF)")
            }
            ReadError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                abnormal("the connection was reset (TCP RST)")
            }
            ReadError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => abnormal(
                "the connection ended without a Close frame (EOF, and no TLS close_notify)",
            ),
            ReadError::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                Finish::Failed(Error::Io {
                    context: "TLS failed during the session".into(),
                    source: e,
                })
            }
            ReadError::Io(e) => Finish::Failed(Error::Io {
                context: "cannot read from the connection".into(),
                source: e,
            }),
            ReadError::Violation(v) => self.fail_protocol(v),
        }
    }

    /// Close with `code` because the server broke a rule.
    fn fail_protocol(&mut self, violation: Violation) -> Finish {
        let code = violation.close_code();
        if self.closing_since.is_none() {
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: "".into(),
            };
            let _ = self.ws.close(Some(frame));
            let _ = self.ws.flush();
            self.emit(&Event::CloseSent { code, reason: "" });
        }
        Finish::Failed(Error::Protocol {
            violation,
            sent_code: code,
            ours: Role::Client,
        })
    }

    pub(super) fn write_error(&mut self, e: tungstenite::Error) -> Error {
        use tungstenite::Error as W;
        match e {
            W::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                Error::AbnormalClose {
                    code: 1006,
                    reason: String::new(),
                    detail: "the connection was reset while sending".into(),
                    silence: None,
                    ours: Role::Client,
                }
            }
            W::ConnectionClosed
            | W::AlreadyClosed
            | W::Protocol(ProtocolError::SendAfterClosing) => Error::AbnormalClose {
                code: 1006,
                reason: String::new(),
                detail: "the connection closed while sending".into(),
                silence: None,
                ours: Role::Client,
            },
            other => Error::Io {
                context: "cannot send".into(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}
