//! The connect pipeline up to a byte stream: name resolution, TCP (every
//! address tried in turn, every failure kept), then TLS for wss://.
//!
//! Each phase is timed and reported as an [`Event`]; each failure becomes a
//! typed [`Error`](crate::error::Error). The whole phase shares one `--connect-timeout` budget.
//! This module knows nothing of HTTP or WebSocket framing: `handshake.rs`
//! starts where [`open`] returns.

pub mod certinfo;
mod resolve;
mod stream;
pub mod tap;
pub mod tls;

pub use stream::Stream;

use crate::config::Config;
use crate::error::Result;
use crate::event::{Emit, Event, Timing};
use std::time::{Duration, Instant};

/// Resolve, connect and (for wss://) run the TLS handshake. Returns the
/// stream in blocking mode and the phase timings so far.
pub fn open(cfg: &Config, out: &mut dyn Emit) -> Result<(Stream, Timing)> {
    let start = Instant::now();
    let deadline = start + cfg.connect_timeout;
    let target = &cfg.target;
    let mut timing = Timing::default();
    // Bad --cacert files are the user's to fix before any packet is sent.
    let tls_setup = if target.secure {
        Some(tls::client_config(&cfg.tls)?)
    } else {
        None
    };

    let resolve_start = Instant::now();
    let addrs = resolve::resolve(&target.host, deadline)?;
    timing.dns = resolve_start.elapsed();
    if target.host.parse::<std::net::IpAddr>().is_err() {
        emit(
            out,
            &Event::Resolved {
                host: &target.host,
                addrs: &addrs,
                took: timing.dns,
            },
        );
    }

    let tcp_start = Instant::now();
    let tcp = resolve::connect(&target.host, target.port, &addrs, deadline, out)?;
    timing.tcp = tcp_start.elapsed();

    let stream = match tls_setup {
        Some(setup) => {
            let tls_start = Instant::now();
            let s = tls::handshake(tcp, setup, &target.host, deadline, out)?;
            timing.tls = Some(tls_start.elapsed());
            Stream::Tls(Box::new(s))
        }
        None => Stream::Tcp(tcp),
    };
    Ok((stream, timing))
}

/// Emit an informational event; a failure to show it is not a reason to
/// stop connecting (stderr may be closed), so it is ignored here.
pub(crate) fn emit(out: &mut dyn Emit, ev: &Event<'_>) {
    let _ = out.emit(ev);
}

/// Time left until `deadline`, or None if it has passed.
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}
