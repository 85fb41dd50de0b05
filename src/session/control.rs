//! The session's side of the REPL and of keepalive: carrying out
//! [`Command`]s in order with the messages around them, sending pings
//! (timed by `pings.rs`), sending --ping-interval pings and failing when
//! their pongs stop coming, and `/stats`.
//!
//! This is part of the event loop (it writes through the same `WebSocket`,
//! on the same thread); it never blocks and never prints: it emits events.

use super::Session;
use crate::error::{Error, Result};
use crate::event::{Event, MessageKind, Stats};
use crate::input::Command;
use crate::protocol::frame::Opcode;
use std::io;
use std::time::Instant;
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

impl Session<'_> {
    /// Carry out one REPL command. Called only when no earlier message is
    /// waiting, so commands keep their place among the messages.
    pub(super) fn command(&mut self, c: Command) -> Result<()> {
        match c {
            Command::Send(msg) => {
                let kind = match &msg {
                    Message::Binary(_) => MessageKind::Binary,
                    _ => MessageKind::Text,
                };
                let data = msg.clone().into_data();
                self.emit(&Event::ReplMessageSent { kind, data: &data });
                self.pending.push_back(msg);
            }
            Command::Ping(data) => self.send_ping(data)?,
            Command::Pong(data) => {
                self.write_control(Message::Pong(data.clone().into()))?;
                self.emit(&Event::PongSent { data: &data });
            }
            Command::Close { code, reason, .. } => self.start_close_with(code, &reason),
            Command::Frame(frame) => {
                let h = frame.header();
                let opcode = Opcode::from_bits(u8::from(h.opcode));
                let (fin, rsv) = (h.is_final, [h.rsv1, h.rsv2, h.rsv3]);
                let data = frame.payload().to_vec();
                self.write_control(Message::Frame(frame))?;
                self.emit(&Event::RawFrameSent {
                    opcode,
                    fin,
                    rsv,
                    data: &data,
                });
            }
            Command::Verbose(level) => self.emit(&Event::Verbosity { level }),
            Command::Stats => {
                let stats = self.stats();
                self.emit(&Event::Stats(&stats));
            }
            // Listen mode's: the client REPL never sends them.
            Command::Clients | Command::To { .. } | Command::Stop => {}
        }
        Ok(())
    }

    /// The counters now, with the time since the connection opened.
    pub(super) fn stats(&self) -> Stats {
        self.ctl.stats(self.opened.elapsed())
    }

    /// A pong arrived: time it if it answers one of our pings.
    pub(super) fn on_pong(&mut self, data: &[u8]) {
        let matched = self.ctl.match_pong(data, Instant::now());
        self.emit(&Event::PongReceived {
            data,
            rtt: matched.map(|(rtt, _)| rtt),
            keepalive: matched.is_some_and(|(_, k)| k),
        });
    }

    /// Send a keepalive ping when one is due; fail when a keepalive ping
    /// has waited longer than --ping-timeout for its pong. Returns when this
    /// needs to run next.
    pub(super) fn keepalive(&mut self, now: Instant) -> Result<Option<Instant>> {
        let Some(ka) = self.cfg.keepalive else {
            return Ok(None);
        };
        if self.closing_since.is_some() {
            return Ok(None);
        }
        let tick = self.ctl.tick(now, ka);
        if let Some(payload) = tick.ping {
            self.write_ping(payload, true)?;
        }
        if tick.overdue {
            return Err(Error::Timeout {
                kind: crate::error::TimeoutKind::Keepalive,
                after: ka.timeout,
            });
        }
        Ok(tick.next)
    }

    fn send_ping(&mut self, payload: Vec<u8>) -> Result<()> {
        self.ctl.pinged(payload.clone(), false, Instant::now());
        self.write_ping(payload, false)
    }

    /// Queue a ping already recorded in the bookkeeping, and say so.
    fn write_ping(&mut self, payload: Vec<u8>, keepalive: bool) -> Result<()> {
        self.write_control(Message::Ping(payload.clone().into()))?;
        self.emit(&Event::PingSent {
            data: &payload,
            keepalive,
        });
        Ok(())
    }

    /// Queue a frame; a full socket only means it waits in the engine's
    /// send queue.
    fn write_control(&mut self, msg: Message) -> Result<()> {
        self.quiet.spoke();
        match self.ws.write(msg) {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
                Ok(())
            }
            Err(e) => Err(self.write_error(e)),
        }
    }

    /// Send our Close (once) with this code and reason, and start the close
    /// timer.
    pub(super) fn start_close_with(&mut self, code: u16, reason: &str) {
        if self.closing_since.is_some() {
            return;
        }
        self.closing_since = Some(Instant::now());
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        match self.ws.close(Some(frame)) {
            Err(tungstenite::Error::Io(err)) if err.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
            }
            _ => {}
        }
        self.emit(&Event::CloseSent { code, reason });
    }
}
