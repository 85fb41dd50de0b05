//! Deadlines: how much time a bounded wait has left, and whether an I/O
//! error means that a socket timeout ran out. Every wait in wsprobe is
//! bounded by an `Instant`; these two helpers are how each phase (connect,
//! TLS, the proxy, the upgrade, the body of a refusal) reads its budget.
//!
//! A leaf: it imports nothing from the crate and does no I/O of its own.

use std::io;
use std::time::{Duration, Instant};

/// Time left until `deadline`, or None if it has passed.
pub fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// Whether `e` is a read or write that ran out of time (a socket timeout
/// shows as WouldBlock on unix and TimedOut on Windows).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_past_deadline_has_nothing_left() {
        assert!(remaining(Instant::now()).is_none());
        let later = Instant::now() + Duration::from_secs(60);
        assert!(remaining(later).is_some_and(|d| d > Duration::from_secs(50)));
        assert!(is_timeout(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(!is_timeout(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
    }
}
