//! `--retry`: how many more connections to try, and how long to wait
//! before each: exponential backoff (doubling from `--retry-delay`, at most
//! [`MAX_DELAY`]) with jitter, within `--retry-max-time`. Pure: the caller
//! supplies the clock and the randomness.

use std::time::{Duration, Instant};

/// The longest wait between two attempts, however many have failed
/// (unless the server's Retry-After asks for more).
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// `--retry`, `--retry-delay`, `--retry-max-time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySpec {
    /// Retries allowed after the first attempt; None: no limit.
    pub retries: Option<u64>,
    /// The wait before the first retry; it doubles after each.
    pub delay: Duration,
    /// No retry starts once this long has passed since the first attempt.
    pub max_time: Option<Duration>,
}

/// The retries of one run.
#[derive(Debug)]
pub struct Backoff {
    spec: RetrySpec,
    started: Instant,
    done: u64,
}

/// The next try: its number (the first attempt is 1) and the wait before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    /// The attempt about to be made (2 for the first retry).
    pub attempt: u64,
    /// How many attempts there are in all (None: no limit).
    pub of: Option<u64>,
    /// How long to wait first.
    pub delay: Duration,
}

impl Backoff {
    /// The retries of a run whose first attempt started at `started`.
    pub fn new(spec: RetrySpec, started: Instant) -> Backoff {
        Backoff {
            spec,
            started,
            done: 0,
        }
    }

    /// The next retry after a failure at `now`, or None when the count or
    /// the time is used up. `jitter` in [0, 1) picks the wait between half
    /// and all of the backoff; `at_least` is the server's Retry-After.
    pub fn next(&mut self, now: Instant, jitter: f64, at_least: Option<Duration>) -> Option<Next> {
        if self.spec.retries.is_some_and(|n| self.done >= n) {
            return None;
        }
        let doubled = self.spec.delay.saturating_mul(
            1u32.checked_shl(self.done.min(31) as u32)
                .unwrap_or(u32::MAX),
        );
        let capped = doubled.min(MAX_DELAY.max(self.spec.delay));
        let jittered = capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        let delay = at_least.map_or(jittered, |a| a.max(jittered));
        if let Some(max) = self.spec.max_time
            && now.saturating_duration_since(self.started) + delay > max
        {
            return None;
        }
        self.done += 1;
        Some(Next {
            attempt: self.done + 1,
            of: self.spec.retries.map(|n| n + 1),
            delay,
        })
    }

    /// Retries made so far.
    pub fn retries(&self) -> u64 {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(retries: Option<u64>, max_time: Option<u64>) -> RetrySpec {
        RetrySpec {
            retries,
            delay: Duration::from_secs(1),
            max_time: max_time.map(Duration::from_secs),
        }
    }

    #[test]
    fn waits_double_up_to_the_cap_with_jitter_between_half_and_all() {
        let t0 = Instant::now();
        let mut b = Backoff::new(spec(None, None), t0);
        let full: Vec<u64> = (0..8)
            .map(|_| b.next(t0, 1.0, None).expect("no limit").delay.as_secs())
            .collect();
        assert_eq!(full, [1, 2, 4, 8, 16, 30, 30, 30]);
        let mut b = Backoff::new(spec(None, None), t0);
        let low = b.next(t0, 0.0, None).expect("a retry");
        assert_eq!(low.delay, Duration::from_millis(500));
        assert_eq!((low.attempt, low.of), (2, None));
    }

    #[test]
    fn the_count_and_the_time_bound_the_retries() {
        let t0 = Instant::now();
        let mut b = Backoff::new(spec(Some(2), None), t0);
        assert_eq!(
            b.next(t0, 1.0, None).map(|n| (n.attempt, n.of)),
            Some((2, Some(3)))
        );
        assert_eq!(b.next(t0, 1.0, None).map(|n| n.attempt), Some(3));
        assert_eq!(b.next(t0, 1.0, None), None);
        assert_eq!(b.retries(), 2);
        let mut b = Backoff::new(spec(None, Some(5)), t0);
        assert!(b.next(t0 + Duration::from_secs(3), 1.0, None).is_some()); // 3 + 1 <= 5
        assert!(b.next(t0 + Duration::from_secs(4), 1.0, None).is_none()); // 4 + 2 > 5
    }

    #[test]
    fn retry_after_lengthens_the_wait() {
        let t0 = Instant::now();
        let mut b = Backoff::new(spec(None, None), t0);
        let n = b
            .next(t0, 1.0, Some(Duration::from_secs(7)))
            .expect("a retry");
        assert_eq!(n.delay, Duration::from_secs(7));
    }
}
