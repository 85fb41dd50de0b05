//! The session's side of `--expect`: which expectation waits, since when,
//! and what arrived meanwhile (the last few messages, for the report when
//! it is not met).

use super::Session;
use crate::error::{Error, Unmet, UnmetEnd};
use crate::event::{Event, Initiator};
use crate::script::expect::Expectation;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many of the messages that did not match the report shows.
const RECENT: usize = 3;
/// How much of each of them it keeps.
const RECENT_BYTES: usize = 200;

/// The expectations still to meet, in order.
pub(super) struct Waiting {
    list: Vec<Expectation>,
    next: usize,
    since: Instant,
    timeout: Duration,
    received: u64,
    recent: VecDeque<Vec<u8>>,
}

/// What a message did to the wait.
pub(super) enum Step {
    /// Nothing (no expectation waits, or it did not match).
    Nothing,
    /// Expectation `index` (1-based) of `of` matched after `after`.
    Met {
        index: usize,
        of: usize,
        after: Duration,
        all: bool,
    },
}

impl Waiting {
    /// Start waiting for `list` (from `now`, the connection's open).
    pub(super) fn new(list: Vec<Expectation>, timeout: Duration, now: Instant) -> Waiting {
        Waiting {
            list,
            next: 0,
            since: now,
            timeout,
            received: 0,
            recent: VecDeque::new(),
        }
    }

    /// An expectation still waits.
    pub(super) fn pending(&self) -> bool {
        self.next < self.list.len()
    }

    /// The one waiting, for the event.
    pub(super) fn current(&self) -> Option<&Expectation> {
        self.list.get(self.next)
    }

    /// When the current wait runs out.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.pending().then(|| self.since + self.timeout)
    }

    /// Judge a received message.
    pub(super) fn on_message(&mut self, data: &[u8], now: Instant) -> Step {
        let Some(e) = self.list.get(self.next) else {
            return Step::Nothing;
        };
        if !e.matches(data) {
            self.received += 1;
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent
                .push_back(data[..data.len().min(RECENT_BYTES + 1)].to_vec());
            return Step::Nothing;
        }
        let after = now.saturating_duration_since(self.since);
        self.next += 1;
        self.since = now;
        self.received = 0;
        self.recent.clear();
        Step::Met {
            index: self.next,
            of: self.list.len(),
            after,
            all: !self.pending(),
        }
    }

    /// The error for the expectation that waits, ended by `end`.
    pub(super) fn unmet(&self, end: UnmetEnd, now: Instant) -> Option<Error> {
        let e = self.current()?;
        Some(Error::ExpectUnmet(Box::new(Unmet {
            pattern: e.to_string(),
            index: self.next + 1,
            of: self.list.len(),
            waited: now.saturating_duration_since(self.since),
            end,
            received: self.received,
            recent: self.recent.iter().cloned().collect(),
        })))
    }
}

impl Session<'_> {
    /// An expectation still waits: the quiet period after input does not
    /// end the session.
    pub(super) fn expecting(&self) -> bool {
        self.expect.as_ref().is_some_and(Waiting::pending)
    }

    /// Whether the expectation that waits has run out of time; if so the
    /// session closes, and reports it when the close is done.
    pub(super) fn expect_timed_out(&mut self, now: Instant) -> bool {
        let Some(w) = &self.expect else {
            return false;
        };
        if w.deadline().is_none_or(|d| now < d) {
            return false;
        }
        self.after_close = w.unmet(UnmetEnd::TimedOut, now);
        self.start_close();
        true
    }

    /// Judge a received message; once the last expectation is met, close.
    pub(super) fn judge(&mut self, data: &[u8]) {
        let Some(w) = &mut self.expect else {
            return;
        };
        let now = Instant::now();
        let pattern = w.current().map(|e| e.to_string());
        if let (
            Step::Met {
                index,
                of,
                after,
                all,
            },
            Some(pattern),
        ) = (w.on_message(data, now), pattern)
        {
            self.emit(&Event::ExpectMet {
                index,
                of,
                pattern: &pattern,
                after,
            });
            if all && self.closing_since.is_none() {
                self.start_close();
            }
        }
    }

    /// The error when the session closed cleanly with an expectation still
    /// waiting.
    pub(super) fn unmet_at_close(&self, initiator: Initiator, code: u16) -> Option<Error> {
        let w = self.expect.as_ref()?;
        let end = match (initiator, self.cfg.ending.count) {
            (Initiator::Server, _) => UnmetEnd::ClosedByServer(code),
            (Initiator::Client, Some(n)) if self.received >= n => UnmetEnd::CountReached(n),
            (Initiator::Client, _) => UnmetEnd::ClosedByClient,
        };
        w.unmet(end, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_are_met_in_order_and_the_misses_are_kept() {
        let t0 = Instant::now();
        let list = vec![
            Expectation::regex("one").expect("valid"),
            Expectation::regex("two").expect("valid"),
        ];
        let mut w = Waiting::new(list, Duration::from_secs(5), t0);
        assert_eq!(w.deadline(), Some(t0 + Duration::from_secs(5)));
        // "two" before "one" does not count: order matters.
        assert!(matches!(w.on_message(b"two", t0), Step::Nothing));
        let t1 = t0 + Duration::from_secs(1);
        match w.on_message(b"one", t1) {
            Step::Met { index, of, all, .. } => assert_eq!((index, of, all), (1, 2, false)),
            Step::Nothing => panic!("one should match"),
        }
        assert_eq!(w.deadline(), Some(t1 + Duration::from_secs(5)));
        for m in ["a", "b", "c", "d"] {
            assert!(matches!(w.on_message(m.as_bytes(), t1), Step::Nothing));
        }
        let t2 = t1 + Duration::from_secs(5);
        match w.unmet(UnmetEnd::TimedOut, t2) {
            Some(Error::ExpectUnmet(u)) => {
                assert_eq!((u.index, u.of, u.received), (2, 2, 4));
                assert_eq!(u.recent, vec![b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]);
                assert_eq!(u.waited, Duration::from_secs(5));
                assert_eq!(u.pattern, "--expect 'two'");
            }
            other => panic!("{other:?}"),
        }
        match w.on_message(b"two", t2) {
            Step::Met { all, .. } => assert!(all),
            Step::Nothing => panic!("two should match"),
        }
        assert!(!w.pending() && w.deadline().is_none());
        assert!(w.unmet(UnmetEnd::TimedOut, t2).is_none());
    }
}
