//! How quiet the connection has been: when a frame last arrived and when
//! one last left, so that a connection that ends without a Close frame can
//! say how long it had been silent each way ([`crate::error::Silence`]),
//! with the intermediary its 101 came through; and when a data message
//! last arrived, which --wait's quiet period counts from. Bookkeeping
//! only: the session calls [`Quiet::heard`], [`Quiet::spoke`] and
//! [`Quiet::message`] per frame or message, which only set a flag, and
//! [`Quiet::stamp`] once per turn of its loop with the time it reads
//! anyway (a clock read per message cost 20 % of the streaming benchmark,
//! and the one --wait's clock took per message 2 % of it, cachegrind);
//! the words are `error`'s.

use crate::error::{Intermediary, Silence};
use std::time::Instant;

/// The last frame each way, and the proxy in front of the server.
pub(super) struct Quiet {
    heard: Instant,
    spoke: Instant,
    /// The last data message received (pings, pongs and Close are not).
    message: Instant,
    /// A frame went that way (or a message came) since the last stamp.
    heard_now: bool,
    spoke_now: bool,
    message_now: bool,
    via: Option<Intermediary>,
}

impl Quiet {
    /// Both directions start quiet when the connection opens.
    pub(super) fn new(opened: Instant, via: Option<Intermediary>) -> Quiet {
        Quiet {
            heard: opened,
            spoke: opened,
            message: opened,
            heard_now: false,
            spoke_now: false,
            message_now: false,
            via,
        }
    }

    /// A frame arrived.
    pub(super) fn heard(&mut self) {
        self.heard_now = true;
    }

    /// A frame was handed to the socket.
    pub(super) fn spoke(&mut self) {
        self.spoke_now = true;
    }

    /// A data message arrived.
    pub(super) fn message(&mut self) {
        self.message_now = true;
    }

    /// The turn that saw those frames ends at `now`.
    pub(super) fn stamp(&mut self, now: Instant) {
        if std::mem::take(&mut self.heard_now) {
            self.heard = now;
        }
        if std::mem::take(&mut self.spoke_now) {
            self.spoke = now;
        }
        if std::mem::take(&mut self.message_now) {
            self.message = now;
        }
    }

    /// When the last data message arrived (as of the last stamp; the
    /// connection's opening before any).
    pub(super) fn last_message(&self) -> Instant {
        self.message
    }

    /// The silence up to now (a frame in this very turn: none).
    pub(super) fn silence(&self, pinging: bool) -> Silence {
        let now = Instant::now();
        let since = |at: Instant, just_now: bool| {
            if just_now {
                std::time::Duration::ZERO
            } else {
                now.saturating_duration_since(at)
            }
        };
        Silence {
            received: since(self.heard, self.heard_now),
            sent: since(self.spoke, self.spoke_now),
            via: self.via,
            pinging,
        }
    }
}
