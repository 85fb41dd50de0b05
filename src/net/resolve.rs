//! Name resolution with a deadline, and TCP connect to each address in turn.
//!
//! The system resolver (`getaddrinfo`) has no timeout of its own, so it runs
//! on a helper thread that is abandoned if the deadline passes. Address
//! literals skip the resolver entirely.

use super::{emit, remaining};
use crate::error::{Attempt, Error, Result, describe_io};
use crate::event::{Emit, Event};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Instant;

/// Resolve `host` to its addresses, in the resolver's order, without
/// duplicates.
pub fn resolve(host: &str, deadline: Instant) -> Result<Vec<IpAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let fail = |source| Error::Resolve {
        host: host.to_string(),
        source,
    };
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            // Port 0: only the addresses matter here.
            let r = (name.as_str(), 0u16)
                .to_socket_addrs()
                .map(|it| it.map(|a| a.ip()).collect::<Vec<_>>());
            let _ = tx.send(r);
        })
        .map_err(fail)?;
    let wait = remaining(deadline)
        .ok_or_else(|| fail(io::Error::new(io::ErrorKind::TimedOut, "timed out")))?;
    let addrs = match rx.recv_timeout(wait) {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return Err(fail(e)),
        Err(_) => {
            return Err(fail(io::Error::new(
                io::ErrorKind::TimedOut,
                "the resolver did not answer within --connect-timeout",
            )));
        }
    };
    let mut unique = Vec::with_capacity(addrs.len());
    for a in addrs {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    if unique.is_empty() {
        return Err(fail(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )));
    }
    Ok(unique)
}

/// Connect to each address in turn until one answers; report every attempt.
pub fn connect(
    host: &str,
    port: u16,
    addrs: &[IpAddr],
    deadline: Instant,
    out: &mut dyn Emit,
) -> Result<TcpStream> {
    let mut attempts = Vec::new();
    for ip in addrs {
        let addr = SocketAddr::new(*ip, port);
        let Some(budget) = remaining(deadline) else {
            break;
        };
        emit(out, &Event::Connecting { addr });
        let start = Instant::now();
        match TcpStream::connect_timeout(&addr, budget) {
            Ok(s) => {
                let took = start.elapsed();
                // Small frames (pings, short lines) must not wait for Nagle.
                let _ = s.set_nodelay(true);
                emit(out, &Event::Connected { addr, took });
                return Ok(s);
            }
            Err(error) => {
                let took = start.elapsed();
                let words = describe_io(&error);
                emit(
                    out,
                    &Event::ConnectFailed {
                        addr,
                        error: &words,
                        took,
                    },
                );
                attempts.push(Attempt { addr, error, took });
            }
        }
    }
    let timed_out = remaining(deadline).is_none()
        || attempts
            .last()
            .is_some_and(|a| a.error.kind() == io::ErrorKind::TimedOut);
    Err(Error::Connect {
        host: host.to_string(),
        port,
        attempts,
        timed_out,
    })
}
