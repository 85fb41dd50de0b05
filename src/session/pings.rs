//! Ping and message bookkeeping for one connection, either side: the pings
//! we sent that have no pong yet, their round-trip times, when the next
//! keepalive ping is due and when one is overdue, and the counters behind
//! `/stats`. Pure: no socket, no clock of its own (every call is given
//! `now`), no events. The client session (`control.rs`) and each client of
//! listen mode (`server::client`) keep one.

use crate::config::Keepalive;
use crate::event::Stats;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tungstenite::Message;

/// A ping we sent and have no pong for yet.
struct Outstanding {
    payload: Vec<u8>,
    at: Instant,
    keepalive: bool,
}

/// What keepalive asks for now ([`Pings::tick`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Tick {
    /// A keepalive ping to send now (already recorded as sent).
    pub ping: Option<Vec<u8>>,
    /// A keepalive ping has waited longer than the timeout for its pong.
    pub overdue: bool,
    /// When to call again.
    pub next: Option<Instant>,
}

/// The bookkeeping of one connection; see the module documentation.
pub struct Pings {
    pings: VecDeque<Outstanding>,
    /// When the next keepalive ping is due.
    next_keepalive: Option<Instant>,
    keepalive_seq: u64,
    stats: Stats,
    rtt_sum: Duration,
}

/// Pings without a pong kept at most: a peer that answers none cannot make
/// the list grow (the oldest are forgotten, as unanswered).
const MAX_OUTSTANDING: usize = 64;

impl Pings {
    /// Bookkeeping for a connection opened at `opened`; keepalive pings
    /// every `interval` when one is given.
    pub fn new(opened: Instant, interval: Option<Duration>) -> Pings {
        Pings {
            pings: VecDeque::new(),
            next_keepalive: interval.map(|i| opened + i),
            keepalive_seq: 0,
            stats: Stats::default(),
            rtt_sum: Duration::ZERO,
        }
    }

    /// Count a data message given to the socket (control frames are not
    /// counted).
    pub fn count_sent(&mut self, msg: &Message) {
        if matches!(msg, Message::Text(_) | Message::Binary(_)) {
            self.stats.sent_messages += 1;
            self.stats.sent_bytes += msg.len() as u64;
        }
    }

    /// Count a data message received.
    pub fn count_received(&mut self, len: usize) {
        self.stats.received_messages += 1;
        self.stats.received_bytes += len as u64;
    }

    /// Data messages received.
    pub fn received(&self) -> u64 {
        self.stats.received_messages
    }

    /// Record a ping sent at `now`.
    pub fn pinged(&mut self, payload: Vec<u8>, keepalive: bool, now: Instant) {
        if self.pings.len() >= MAX_OUTSTANDING {
            self.pings.pop_front();
        }
        self.stats.pings_sent += 1;
        self.pings.push_back(Outstanding {
            payload,
            at: now,
            keepalive,
        });
    }

    /// Match a pong to the ping it answers. A pong may answer only the most
    /// recent of several pings (RFC 6455 section 5.5.3), so the older ones
    /// are settled with it. Returns the round-trip time and whether the ping
    /// was a keepalive one.
    pub fn match_pong(&mut self, data: &[u8], now: Instant) -> Option<(Duration, bool)> {
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

    /// Keepalive at `now`: the ping that is due (recorded as sent), whether
    /// the oldest keepalive ping has gone unanswered past `ka.timeout`, and
    /// when this needs to run next.
    pub fn tick(&mut self, now: Instant, ka: Keepalive) -> Tick {
        let mut ping = None;
        if let Some(due) = self.next_keepalive
            && now >= due
        {
            self.keepalive_seq += 1;
            let payload = format!("wsprobe {}", self.keepalive_seq).into_bytes();
            self.pinged(payload.clone(), true, now);
            ping = Some(payload);
            self.next_keepalive = Some(now + ka.interval);
        }
        let mut next = self.next_keepalive;
        let mut overdue = false;
        if let Some(p) = self.pings.iter().find(|p| p.keepalive) {
            let limit = p.at + ka.timeout;
            overdue = now >= limit;
            next = Some(next.map_or(limit, |n| n.min(limit)));
        }
        Tick {
            ping,
            overdue,
            next,
        }
    }

    /// The counters, with the given uptime.
    pub fn stats(&self, uptime: Duration) -> Stats {
        Stats {
            uptime,
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pongs_settle_their_ping_and_the_older_ones() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut c = Pings::new(t0, None);
        for (i, p) in [&b"a"[..], b"b", b"c"].iter().enumerate() {
            c.pinged(p.to_vec(), i == 1, t0 + ms(i as u64 * 10));
        }
        assert_eq!(c.match_pong(b"zz", t0), None, "unsolicited");
        let (rtt, keepalive) = c.match_pong(b"b", t0 + ms(15)).expect("b");
        assert_eq!((rtt, keepalive), (ms(5), true));
        assert_eq!(c.pings.len(), 1, "a was settled with b");
        assert_eq!(c.match_pong(b"a", t0 + ms(16)), None, "a is settled");
        let (rtt, _) = c.match_pong(b"c", t0 + ms(50)).expect("c");
        assert_eq!(rtt, ms(30));
        let s = c.stats(ms(1));
        assert_eq!(
            s.rtt,
            Some((ms(5), ms(17) + Duration::from_micros(500), ms(30)))
        );
        assert_eq!((s.pongs_matched, s.pings_sent, s.uptime), (2, 3, ms(1)));
    }

    #[test]
    fn only_data_messages_are_counted() {
        let mut c = Pings::new(Instant::now(), None);
        c.count_sent(&Message::Text("abc".into()));
        c.count_sent(&Message::Binary(vec![1, 2].into()));
        c.count_sent(&Message::Ping(vec![1].into()));
        c.count_received(7);
        let s = c.stats(Duration::ZERO);
        assert_eq!((s.sent_messages, s.sent_bytes, s.received_bytes), (2, 5, 7));
    }

    #[test]
    fn keepalive_pings_when_due_and_is_overdue_after_the_timeout() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let ka = Keepalive {
            interval: s(10),
            timeout: s(3),
        };
        let mut c = Pings::new(t0, Some(ka.interval));
        let early = c.tick(t0 + s(1), ka);
        assert_eq!(
            (early.ping, early.overdue, early.next),
            (None, false, Some(t0 + s(10)))
        );
        let due = c.tick(t0 + s(10), ka);
        assert_eq!(due.ping.as_deref(), Some(&b"wsprobe 1"[..]));
        assert_eq!((due.overdue, due.next), (false, Some(t0 + s(13))));
        assert!(c.tick(t0 + s(13), ka).overdue, "no pong within 3 s");
        let mut answered = Pings::new(t0, Some(ka.interval));
        let p = answered.tick(t0 + s(10), ka).ping.expect("ping");
        assert!(answered.match_pong(&p, t0 + s(11)).is_some());
        let after = answered.tick(t0 + s(14), ka);
        assert_eq!((after.overdue, after.next), (false, Some(t0 + s(20))));
    }

    #[test]
    fn unanswered_pings_are_bounded() {
        let t0 = Instant::now();
        let mut c = Pings::new(t0, None);
        for i in 0..1000u32 {
            c.pinged(i.to_be_bytes().to_vec(), false, t0);
        }
        assert_eq!(c.pings.len(), MAX_OUTSTANDING);
        assert_eq!(c.stats(Duration::ZERO).pings_sent, 1000);
    }
}
