//! The connect pipeline up to a byte stream: name resolution (--resolve,
//! -4/-6), TCP (every address tried in turn, every failure kept) or a unix
//! socket, a proxy tunnel (HTTP CONNECT, SOCKS5), then TLS for wss://.
//!
//! Each phase is timed and reported as an [`Event`]; each failure becomes a
//! typed [`Error`](crate::error::Error). The whole phase shares one
//! `--connect-timeout` budget.
//! This module knows nothing of HTTP or WebSocket framing: `handshake.rs`
//! starts where [`open`] returns.

pub mod certinfo;
mod proxy;
mod resolve;
mod stream;
pub mod tap;
pub mod tls;
#[cfg(unix)]
mod unix;

pub use proxy::authority;
pub use resolve::interleave;
pub use stream::Stream;

// Children reach the deadline helper as `super::remaining`.
use crate::config::{Config, NetOptions, ProxyKind};
pub(crate) use crate::deadline::remaining;
use crate::error::Result;
use crate::event::{Emit, Event, Timing};
use std::net::TcpStream;
use std::time::Instant;
use tls::Peer;

/// Connect to the server (directly, through a proxy, or over a unix
/// socket) and, for wss://, run the TLS handshake. Returns the stream in
/// blocking mode and the phase timings so far.
pub fn open(cfg: &Config, out: &mut dyn Emit) -> Result<(Stream, Timing)> {
    let start = Instant::now();
    let deadline = start + cfg.connect_timeout;
    let target = &cfg.target;
    let net = &cfg.net;
    let mut timing = Timing::default();
    let proxy = net.proxy_for(target)?;
    let proxy_tls = proxy.as_ref().is_some_and(|p| p.kind == ProxyKind::Https);
    // Bad certificate and key files are the user's to fix before any
    // packet is sent.
    let key_log = if target.secure || proxy_tls {
        tls::key_log(&cfg.tls, out)
    } else {
        None
    };
    let server_tls = if target.secure {
        let show = cfg.output.verbose >= 3 || cfg.output.json;
        Some(tls::client_config(&cfg.tls, Peer::Server, key_log.clone())?.describe_chain(show))
    } else {
        None
    };
    let proxy_setup = if proxy_tls {
        Some(tls::client_config(&cfg.tls, Peer::Proxy, key_log)?)
    } else {
        None
    };

    let stream = if let Some(sock) = &net.unix_socket {
        unix_stream(sock, deadline, out, &mut timing)?
    } else {
        let (host, port) = match net.connect_to(&target.host, target.port) {
            Some((h, p)) => {
                let from = authority(&target.host, target.port);
                let to = authority(&h, p);
                if from != to {
                    emit(
                        out,
                        &Event::ConnectTo {
                            from: &from,
                            to: &to,
                        },
                    );
                }
                (h, p)
            }
            None => (target.host.clone(), target.port),
        };
        match &proxy {
            None => Stream::Tcp(tcp(&host, port, net, deadline, out, &mut timing)?),
            Some(p) => proxy::open(
                p,
                proxy_setup.as_ref(),
                &host,
                port,
                cfg,
                deadline,
                out,
                &mut timing,
            )?,
        }
    };

    let stream = match server_tls {
        Some(setup) => {
            let tls_start = Instant::now();
            let name = cfg.tls.server_name(target);
            let s = tls::handshake(stream, &setup, name, deadline, out)?;
            timing.tls = Some(tls_start.elapsed());
            Stream::Tls(Box::new(s))
        }
        None => stream,
    };
    Ok((stream, timing))
}

/// Resolve HOST:PORT and connect by TCP, adding to the timings.
fn tcp(
    host: &str,
    port: u16,
    net: &NetOptions,
    deadline: Instant,
    out: &mut dyn Emit,
    timing: &mut Timing,
) -> Result<TcpStream> {
    let addrs = resolve::lookup(host, port, net, deadline, out, &mut timing.dns)?;
    let tcp_start = Instant::now();
    let s = resolve::connect(host, port, &addrs, deadline, out)?;
    timing.tcp = tcp_start.elapsed();
    Ok(s)
}

fn unix_stream(
    sock: &crate::config::UnixSocket,
    deadline: Instant,
    out: &mut dyn Emit,
    timing: &mut Timing,
) -> Result<Stream> {
    let (s, took) = unix::connect(sock, deadline, out)?;
    timing.tcp = took;
    Ok(s)
}

/// Emit an informational event; a failure to show it is not a reason to
/// stop connecting (stderr may be closed), so it is ignored here.
pub(crate) fn emit(out: &mut dyn Emit, ev: &Event<'_>) {
    let _ = out.emit(ev);
}
