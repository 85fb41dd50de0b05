//! Unix domain sockets (--unix-socket, and --abstract-unix-socket on
//! Linux): the URL still gives the Host header, the path and ws:// or wss://;
//! only the transport changes.
//!
//! `connect(2)` on a unix socket can block while the server's backlog is
//! full and has no timeout of its own, so it runs on a helper thread that is
//! abandoned if --connect-timeout passes.

use super::{Stream, emit};
use crate::config::UnixSocket;
use crate::deadline::remaining;
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Connect to `sock` before `deadline`. Returns the stream and how long
/// connecting took.
pub fn connect(
    sock: &UnixSocket,
    deadline: Instant,
    out: &mut dyn Emit,
) -> Result<(Stream, Duration)> {
    let shown = sock.to_string();
    let fail = |source| Error::UnixConnect {
        path: shown.clone(),
        source,
    };
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    let target = sock.clone();
    std::thread::Builder::new()
        .name("unix-connect".into())
        .spawn(move || {
            let _ = tx.send(open(&target));
        })
        .map_err(fail)?;
    let timed_out = || io::Error::new(io::ErrorKind::TimedOut, "timed out");
    let wait = remaining(deadline).ok_or_else(|| fail(timed_out()))?;
    let stream = match rx.recv_timeout(wait) {
        Ok(r) => r.map_err(fail)?,
        Err(_) => return Err(fail(timed_out())),
    };
    let took = start.elapsed();
    emit(out, &Event::UnixConnected { path: &shown, took });
    Ok((Stream::Unix(stream), took))
}

fn open(sock: &UnixSocket) -> io::Result<UnixStream> {
    match sock {
        UnixSocket::Path(p) => UnixStream::connect(p),
        #[cfg(target_os = "linux")]
        UnixSocket::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            UnixStream::connect_addr(&addr)
        }
        #[cfg(not(target_os = "linux"))]
        UnixSocket::Abstract(_) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "abstract sockets exist on Linux only",
        )),
    }
}
