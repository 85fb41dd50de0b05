//! The ending rules, checked after every turn of the event loop (RFC 6455
//! section 7 and the flags that end a session): --max-time, the
//! expectation that waits (--expect), the quiet period after input
//! (--wait), the close timeout. Each says when the loop must wake next.

use super::Session;
use crate::error::Error;
use std::time::Instant;

/// What the ending rules ask of the loop after a turn.
pub(super) enum Due {
    /// A close just started: go round at once.
    Again,
    /// Sleep until then (or until something happens).
    At(Option<Instant>),
    /// The session ends with this error.
    End(Error),
}

impl Session<'_> {
    /// The ending rules after a turn at `now`: --max-time, the expectation
    /// that waits, the quiet period after input, the close timeout. When
    /// the loop must wake next (`first`, the keepalive's time, included),
    /// or that it must go round at once (a close just started), or the
    /// error that ends the session.
    pub(super) fn ending_due(
        &mut self,
        now: Instant,
        first: Option<Instant>,
        max_deadline: Option<Instant>,
    ) -> Due {
        let mut deadline: Option<Instant> = first;
        if self.closing_since.is_none() {
            if let Some(max) = max_deadline {
                if now >= max {
                    self.after_close = Some(Error::Timeout {
                        kind: crate::error::TimeoutKind::MaxTime,
                        after: self.cfg.ending.max_time.unwrap_or_default(),
                    });
                    self.start_close();
                    return Due::Again;
                }
                deadline = Some(deadline.map_or(max, |d| d.min(max)));
            }
            if self.expect_timed_out(now) {
                return Due::Again;
            }
            if let Some(due) = self.expect.as_ref().and_then(|w| w.deadline()) {
                deadline = Some(deadline.map_or(due, |d| d.min(due)));
            }
            if let (Some(done), Some(wait)) = (self.input_done_at, self.cfg.ending.wait)
                && !self.expecting()
            {
                let quiet_until = done.max(self.quiet.last_message()) + wait;
                if now >= quiet_until {
                    self.start_close();
                    return Due::Again;
                }
                deadline = Some(deadline.map_or(quiet_until, |d| d.min(quiet_until)));
            }
        }
        if let Some(since) = self.closing_since {
            let limit = since + self.cfg.ending.close_timeout;
            if now >= limit {
                let e = self.after_close.take().unwrap_or(Error::Timeout {
                    kind: crate::error::TimeoutKind::Close,
                    after: self.cfg.ending.close_timeout,
                });
                return Due::End(e);
            }
            deadline = Some(limit);
        }
        Due::At(deadline)
    }
}
