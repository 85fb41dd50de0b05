//! One client of listen mode after its 101: the engine in the server role
//! over its socket, its counters and close state, reading what it sent
//! ([`Client::read`]) and how its session ended ([`Ending`]), both as the
//! event it reports and as the status `--once` exits with
//! ([`Ending::result`], the client mode's exit table).
//!
//! Only the hub calls it, on the network thread; it emits through the
//! hub's sink, every event inside `Event::Client`, and never prints.

use crate::config::Keepalive;
use crate::error::{Error, TimeoutKind};
use crate::event::{ClientEnd, ClientId, Direction, Dropped, Emit, Event, MessageKind};
use crate::net::Stream;
use crate::net::tap::Tap;
use crate::protocol::frame::{Role, Violation};
use crate::protocol::{Connection, ReadError};
use crate::session::pings::Pings;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

/// Bytes queued for one client past which it is disconnected as too slow
/// (one message larger than this still goes to a client that keeps up),
/// and past which its echoes stop its reading.
pub const CLIENT_QUEUE: usize = 4 * 1024 * 1024;
/// Messages read from one client per turn before the others get theirs.
const READ_BUDGET: usize = 256;

/// An open client.
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// Its address.
    pub addr: SocketAddr,
    /// The engine over its socket.
    pub ws: Connection<Tap<Stream>>,
    /// When its 101 was sent.
    pub opened: Instant,
    /// When its last data message arrived.
    pub last_rx: Instant,
    /// The request target, its Origin and the subprotocol chosen, for
    /// `/clients`.
    pub path: String,
    /// Its Origin header.
    pub origin: Option<String>,
    /// The subprotocol chosen.
    pub subprotocol: Option<String>,
    /// Its pings (timed, and --ping-interval's) and counters.
    pub pings: Pings,
    /// The socket would block: wait for writability.
    pub write_blocked: bool,
    /// The socket may have bytes to read.
    pub more_to_read: bool,
    /// When we sent Close, if we did.
    pub closing: Option<Instant>,
    /// What `--once` reports once the close handshake ends (--max-time).
    pub after_close: Option<Error>,
    /// --exec: this client's program.
    pub program: Option<super::exec::Attached>,
}

/// How a client's session ended, owned (the event borrows it).
#[derive(Debug)]
pub enum Ending {
    /// The close handshake completed.
    Closed {
        /// The client's code (1005 for none).
        code: u16,
        /// Its reason.
        reason: String,
        /// The client sent Close first.
        by_client: bool,
    },
    /// The client broke a rule.
    Violation(Violation),
    /// The connection ended otherwise.
    Dropped(Dropped),
}

impl Ending {
    /// As the event shows it.
    pub fn as_event(&self) -> ClientEnd<'_> {
        match self {
            Ending::Closed {
                code,
                reason,
                by_client,
            } => ClientEnd::Closed {
                code: *code,
                reason,
                by_client: *by_client,
            },
            Ending::Violation(v) => ClientEnd::Violation(v),
            Ending::Dropped(d) => ClientEnd::Dropped(d),
        }
    }

    /// The session's result by client mode's exit table: a clean close is
    /// 0, a violation 8, another close or none 9, an unanswered Close 10.
    pub fn result(self, after_close: Option<Error>, close_timeout: Duration) -> Result<(), Error> {
        let abnormal = |code: u16, reason: String, detail: &str| Error::AbnormalClose {
            code,
            reason,
            detail: detail.to_string(),
            silence: None,
            ours: Role::Server,
        };
        let err = match self {
            Ending::Closed {
                code: 1000 | 1001 | 1005,
                ..
            } => {
                return after_close.map_or(Ok(()), Err);
            }
            Ending::Closed {
                code,
                reason,
                by_client,
            } => abnormal(
                code,
                reason,
                if by_client {
                    "closed by the client"
                } else {
                    "the client's answer to our Close"
                },
            ),
            Ending::Violation(v) => Error::Protocol {
                sent_code: v.close_code(),
                violation: v,
                ours: Role::Server,
            },
            Ending::Dropped(Dropped::Eof) => abnormal(
                1006,
                String::new(),
                "the client closed the TCP connection without a Close frame (EOF)",
            ),
            Ending::Dropped(Dropped::Reset) => {
                abnormal(1006, String::new(), "the connection was reset (TCP RST)")
            }
            Ending::Dropped(Dropped::CloseUnanswered(_)) => Error::Timeout {
                kind: TimeoutKind::ClientClose,
                after: close_timeout,
            },
            Ending::Dropped(Dropped::NoPong(after)) => Error::Timeout {
                kind: TimeoutKind::ClientKeepalive,
                after,
            },
            Ending::Dropped(Dropped::TooSlow(_)) => abnormal(
                1006,
                String::new(),
                "the client stopped reading and was disconnected",
            ),
            Ending::Dropped(Dropped::Failed(what)) => Error::Io {
                context: "the connection to the client failed".into(),
                source: io::Error::other(what),
            },
        };
        Err(after_close.unwrap_or(err))
    }
}

/// What reading a client found.
pub enum Read {
    /// Nothing more for now.
    Idle,
    /// The session ended.
    Ended(Ending),
}

/// What the hub does with each message: echo it (--echo), count it.
pub struct Reading<'a> {
    /// The sink.
    pub out: &'a mut dyn Emit,
    /// --echo.
    pub echo: bool,
    /// stdout is gone.
    pub output_gone: &'a mut bool,
}

impl Client {
    /// Emit an event of this client.
    pub fn emit(&self, out: &mut dyn Emit, ev: &Event<'_>) {
        let _ = out.emit(&Event::Client {
            id: self.id,
            event: ev,
        });
    }

    /// Emit the frames the tap decoded since the last call.
    pub fn emit_frames(&mut self, out: &mut dyn Emit) {
        if !self.ws.get_ref().tracing() {
            return;
        }
        for (dir, frame) in self.ws.get_mut().take_frames() {
            self.emit(out, &Event::Frame { dir, frame: &frame });
        }
    }

    /// Read what the client sent, up to the budget.
    pub fn read(&mut self, r: &mut Reading<'_>) -> Read {
        if !self.more_to_read {
            return Read::Idle;
        }
        for _ in 0..READ_BUDGET {
            if self.program.as_ref().is_some_and(|p| p.waiting()) {
                // Its program has not taken the last message: read no more
                // until it does (the hub retries it each turn).
                self.more_to_read = false;
                return Read::Idle;
            }
            if r.echo && self.ws.queued() > CLIENT_QUEUE {
                // Echoes wait for a client that does not read them: read
                // no more from it until they drain (the hub stops polling
                // it for reading meanwhile, so this is no busy loop).
                self.more_to_read = false;
                return Read::Idle;
            }
            match self.ws.read() {
                Ok(msg) => {
                    if self.ws.get_ref().tracing() {
                        for (dir, frame) in self.ws.get_mut().take_frames_of_one_message() {
                            self.emit(r.out, &Event::Frame { dir, frame: &frame });
                        }
                    }
                    self.emit_compression(r.out, Direction::Received);
                    if let Some(end) = self.on_message(msg, r) {
                        return Read::Ended(end);
                    }
                    if *r.output_gone {
                        return Read::Idle;
                    }
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.more_to_read = false;
                    return Read::Idle;
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.emit_frames(r.out);
                    if let Some(partial) = self.ws.get_ref().partial_received() {
                        self.emit(
                            r.out,
                            &Event::Frame {
                                dir: Direction::Received,
                                frame: &partial,
                            },
                        );
                    }
                    return Read::Ended(self.read_error(e));
                }
            }
        }
        Read::Idle
    }

    fn on_message(&mut self, msg: Message, r: &mut Reading<'_>) -> Option<Ending> {
        let (kind, data) = match &msg {
            Message::Text(t) => (MessageKind::Text, t.as_bytes()),
            Message::Binary(b) => (MessageKind::Binary, &b[..]),
            Message::Ping(p) => {
                self.emit(r.out, &Event::PingReceived { data: p });
                return None;
            }
            Message::Pong(p) => {
                let matched = self.pings.match_pong(p, Instant::now());
                self.emit(
                    r.out,
                    &Event::PongReceived {
                        data: p,
                        rtt: matched.map(|(rtt, _)| rtt),
                        keepalive: matched.is_some_and(|(_, k)| k),
                    },
                );
                return None;
            }
            Message::Close(frame) => {
                let (code, reason) = match frame {
                    Some(f) => (u16::from(f.code), f.reason.as_str().to_string()),
                    None => (1005, String::new()),
                };
                self.emit(
                    r.out,
                    &Event::CloseReceived {
                        code,
                        reason: &reason,
                    },
                );
                let by_client = self.closing.is_none();
                if by_client {
                    // The engine queued our answer (section 5.5.1).
                    let _ = self.ws.flush();
                    self.emit(
                        r.out,
                        &Event::CloseSent {
                            code,
                            reason: &reason,
                        },
                    );
                }
                return Some(Ending::Closed {
                    code,
                    reason,
                    by_client,
                });
            }
            Message::Frame(_) => return None,
        };
        self.last_rx = Instant::now();
        self.pings.count_received(data.len());
        let shown = r.out.emit(&Event::Client {
            id: self.id,
            event: &Event::Message { kind, data },
        });
        match shown {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => *r.output_gone = true,
            Err(e) => return Some(Ending::Dropped(Dropped::Failed(e.to_string()))),
        }
        if let Some(p) = &mut self.program {
            p.deliver(data);
        }
        if r.echo && self.closing.is_none() {
            self.send(msg, r.out);
        }
        None
    }

    /// Data messages received.
    pub fn received(&self) -> u64 {
        self.pings.received()
    }

    /// Queue a data message for this client (its type kept).
    pub fn send(&mut self, msg: Message, out: &mut dyn Emit) {
        self.pings.count_sent(&msg);
        self.write(msg);
        self.emit_compression(out, Direction::Sent);
    }

    /// Queue a ping (recorded unless it is a keepalive one, which
    /// [`Pings::tick`] recorded) and say so.
    pub fn ping(&mut self, payload: Vec<u8>, keepalive: bool, out: &mut dyn Emit) {
        if !keepalive {
            self.pings.pinged(payload.clone(), false, Instant::now());
        }
        self.write(Message::Ping(payload.clone().into()));
        self.emit(
            out,
            &Event::PingSent {
                data: &payload,
                keepalive,
            },
        );
    }

    /// --ping-interval: send the ping that is due; the ending when a
    /// keepalive ping has gone unanswered past --ping-timeout. Returns when this
    /// needs to run next (nothing while closing).
    pub fn keepalive(
        &mut self,
        now: Instant,
        ka: Keepalive,
        out: &mut dyn Emit,
    ) -> Result<Option<Instant>, Ending> {
        if self.closing.is_some() {
            return Ok(None);
        }
        let tick = self.pings.tick(now, ka);
        if let Some(payload) = tick.ping {
            self.ping(payload, true, out);
        }
        if tick.overdue {
            return Err(Ending::Dropped(Dropped::NoPong(ka.timeout)));
        }
        Ok(tick.next)
    }

    /// Queue any frame; a full socket means it waits in the engine.
    pub fn write(&mut self, msg: Message) {
        match self.ws.write(msg) {
            Ok(()) => {}
            // Queued in the engine: never resend it.
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
            }
            // The failure shows at the next flush or read.
            Err(_) => self.write_blocked = true,
        }
    }

    /// Write what is queued, unless the socket is full.
    pub fn flush(&mut self) -> Option<Ending> {
        if self.write_blocked {
            return None;
        }
        match self.ws.flush() {
            Ok(()) => None,
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
                None
            }
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                Some(Ending::Dropped(Dropped::Reset))
            }
            // Writing after the close handshake: nothing left to say.
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => None,
            Err(e) => Some(Ending::Dropped(Dropped::Failed(e.to_string()))),
        }
    }

    /// Send our Close once and start its timer.
    pub fn start_close(&mut self, code: u16, reason: &str, out: &mut dyn Emit) {
        if self.closing.is_some() {
            return;
        }
        self.closing = Some(Instant::now());
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_string().into(),
        };
        match self.ws.close(Some(frame)) {
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
            }
            _ => {}
        }
        self.emit(out, &Event::CloseSent { code, reason });
    }

    /// Answer a violation with its close code (the Close goes out at once,
    /// best effort: the connection ends after it).
    pub fn fail(&mut self, v: &Violation, out: &mut dyn Emit) {
        if self.closing.is_none() {
            self.start_close(v.close_code(), "", out);
        }
        let _ = self.ws.flush();
    }

    fn read_error(&self, e: ReadError) -> Ending {
        match e {
            ReadError::Violation(v) => Ending::Violation(v),
            ReadError::Closed | ReadError::Eof => Ending::Dropped(Dropped::Eof),
            ReadError::Io(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                Ending::Dropped(Dropped::Reset)
            }
            ReadError::Io(e) => Ending::Dropped(Dropped::Failed(e.to_string())),
        }
    }

    fn emit_compression(&mut self, out: &mut dyn Emit, dir: Direction) {
        if let Some(c) = self.ws.take_compression() {
            self.emit(
                out,
                &Event::Compression {
                    dir,
                    size: c.size,
                    wire: c.wire,
                },
            );
        }
    }
}
