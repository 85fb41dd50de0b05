//! The session's side of the REPL and of keepalive: carrying out
//! [`Command`]s in order with the messages around them, timing pings,
//! sending --ping-interval pings and failing when their pongs stop coming,
//! and the counters behind `/stats`.
//!
//! This is part of the event loop (it writes through the same `WebSocket`,
//! on the same thread); it never blocks and never prints: it emits events.

use super::Session;
use crate::error::{Error, Result};
use crate::event::{Event, MessageKind, Stats};
use crate::input::Command;
use crate::protocol::frame::Opcode;
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

/// A ping we sent and have no pong for yet.
struct Outstanding {
    payload: Vec<u8>,
    at: Instant,
    keepalive: bool,
}

/// REPL and keepalive state of one session.
pub(super) struct Control {
    pings: VecDeque<Outstanding>,
    /// When the next keepalive ping is due.
    next_keepalive: Option<Instant>,
    keepalive_seq: u64,
    stats: Stats,
    rtt_sum: Duration,
}

impl Control {
    pub(super) fn new(opened: Instant, interval: Option<Duration>) -> Control {
        Control {
            pings: VecDeque::new(),
            next_keepalive: interval.map(|i| opened + i),
            keepalive_seq: 0,
            stats: Stats::default(),
            rtt_sum: Duration::ZERO,
        }
    }

    /// Count a data message given to the socket.
    pub(super) fn count_sent(&mut self, msg: &Message) {
        if matches!(msg, Message::Text(_) | Message::Binary(_)) {
            self.stats.sent_messages += 1;
            self.stats.sent_bytes += msg.len() as u64;
        }
    }

    /// Count a data message received.
    pub(super) fn count_received(&mut self, len: usize) {
        self.stats.received_messages += 1;
        self.stats.received_bytes += len as u64;
    }

    /// Match a pong to the ping it answers. A pong may answer only the most
    /// recent of several pings (RFC 6455 section 5.5.3), so the older ones
    /// are settled with it. Returns the round-trip time and whether the ping
    /// was a keepalive one.
    fn match_pong(&mut self, data: &[u8], now: Instant) -> Option<(Duration, bool)> {
        let i = self.pings.iter().position(|p| p.payload == data)?;
        let p = self.pings.drain(..=i).next_back()?;
        let rtt = now.saturating_duration_since(p.at);
        let s = &mut self.stats;
        s.pongs_matched += 1;
        self.rtt_sum += rtt;
        let avg = self.rtt_sum / s.pongs_matched.min(u32::MAX as u64) as u32;
        s.rtt = Some(match s.rtt {
            None => (rtt, rtt, rtt),
            Some((min, _, max)) => (min.min(rtt), avg, max.max(rtt)),
        });
        Some((rtt, p.keepalive))
    }
}

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
            Command::Ping(data) => self.send_ping(data, false)?,
            Command::Pong(data) => {
                self.write_control(Message::Pong(data.clone().into()))?;
                self.emit(&Event::PongSent { data: &data });
            }
            Command::Close { code, reason } => self.start_close_with(code, &reason),
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
        }
        Ok(())
    }

    /// The counters now, with the time since the connection opened.
    pub(super) fn stats(&self) -> Stats {
        let mut stats = self.ctl.stats.clone();
        stats.uptime = self.opened.elapsed();
        stats
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
        if let Some(due) = self.ctl.next_keepalive
            && now >= due
        {
            self.ctl.keepalive_seq += 1;
            let payload = format!("wsprobe {}", self.ctl.keepalive_seq).into_bytes();
            self.send_ping(payload, true)?;
            self.ctl.next_keepalive = Some(now + ka.interval);
        }
        let mut next = self.ctl.next_keepalive;
        if let Some(p) = self.ctl.pings.iter().find(|p| p.keepalive) {
            let limit = p.at + ka.timeout;
            if now >= limit {
                return Err(Error::Timeout {
                    kind: crate::error::TimeoutKind::Keepalive,
                    after: ka.timeout,
                });
            }
            next = Some(next.map_or(limit, |n| n.min(limit)));
        }
        Ok(next)
    }

    fn send_ping(&mut self, payload: Vec<u8>, keepalive: bool) -> Result<()> {
        self.write_control(Message::Ping(payload.clone().into()))?;
        self.ctl.stats.pings_sent += 1;
        self.emit(&Event::PingSent {
            data: &payload,
            keepalive,
        });
        self.ctl.pings.push_back(Outstanding {
            payload,
            at: Instant::now(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pongs_settle_their_ping_and_the_older_ones() {
        let t0 = Instant::now();
        let mut c = Control::new(t0, None);
        for (i, p) in [&b"a"[..], b"b", b"c"].iter().enumerate() {
            c.pings.push_back(Outstanding {
                payload: p.to_vec(),
                at: t0 + Duration::from_millis(i as u64 * 10),
                keepalive: i == 1,
            });
        }
        assert_eq!(c.match_pong(b"zz", t0), None, "unsolicited");
        let (rtt, keepalive) = c
            .match_pong(b"b", t0 + Duration::from_millis(15))
            .expect("b");
        assert_eq!((rtt, keepalive), (Duration::from_millis(5), true));
        assert_eq!(c.pings.len(), 1, "a was settled with b");
        let (rtt, _) = c
            .match_pong(b"c", t0 + Duration::from_millis(50))
            .expect("c");
        assert_eq!(rtt, Duration::from_millis(30));
        let ms = Duration::from_millis;
        assert_eq!(
            c.stats.rtt,
            Some((ms(5), ms(17) + Duration::from_micros(500), ms(30)))
        );
        assert_eq!(c.stats.pongs_matched, 2);
    }

    #[test]
    fn only_data_messages_are_counted() {
        let mut c = Control::new(Instant::now(), None);
        c.count_sent(&Message::Text("abc".into()));
        c.count_sent(&Message::Binary(vec![1, 2].into()));
        c.count_sent(&Message::Ping(vec![1].into()));
        c.count_received(7);
        assert_eq!(
            (
                c.stats.sent_messages,
                c.stats.sent_bytes,
                c.stats.received_bytes
            ),
            (2, 5, 7)
        );
    }
}
