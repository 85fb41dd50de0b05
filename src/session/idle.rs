//! How quiet the connection has been: when a frame last arrived and when
//! one last left, so that a connection that ends without a Close frame can
//! say how long it had been silent each way ([`crate::error::Silence`]),
//! with the intermediary its 101 came through. Bookkeeping only: the
//! session calls [`Quiet::heard`] and [`Quiet::spoke`]; the words are
//! `error`'s.

use crate::error::{Intermediary, Silence};
use std::time::Instant;

/// The last frame each way, and the proxy in front of the server.
pub(super) struct Quiet {
    heard: Instant,
    spoke: Instant,
    via: Option<Intermediary>,
}

impl Quiet {
    /// Both directions start quiet when the connection opens.
    pub(super) fn new(opened: Instant, via: Option<Intermediary>) -> Quiet {
        Quiet {
            heard: opened,
            spoke: opened,
            via,
        }
    }

    /// A frame arrived.
    pub(super) fn heard(&mut self) {
        self.heard = Instant::now();
    }

    /// A frame was handed to the socket.
    pub(super) fn spoke(&mut self) {
        self.spoke = Instant::now();
    }

    /// The silence up to now.
    pub(super) fn silence(&self, pinging: bool) -> Silence {
        let now = Instant::now();
        Silence {
            received: now.saturating_duration_since(self.heard),
            sent: now.saturating_duration_since(self.spoke),
            via: self.via,
            pinging,
        }
    }
}
