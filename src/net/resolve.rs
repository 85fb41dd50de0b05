//! Name resolution with a deadline, and TCP connect to each address in turn.
//!
//! Addresses come from --resolve, an address literal, or the system
//! resolver (`getaddrinfo`, which has no timeout of its own, so it runs on a
//! helper thread that is abandoned if the deadline passes). -4/-6 filter
//! them; the list is then interleaved, IPv6 and IPv4 taking turns from the
//! family of the first one (RFC 8305 section 4), so that one dead family
//! does not hold up the other for long.

use super::emit;
use crate::config::NetOptions;
use crate::deadline::remaining;
use crate::error::{Attempt, Error, Result, describe_io};
use crate::event::{Emit, Event};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The addresses to try for HOST:PORT, in the order to try them. Adds the
/// time spent in the resolver to `dns`.
pub fn lookup(
    host: &str,
    port: u16,
    net: &NetOptions,
    deadline: Instant,
    out: &mut dyn Emit,
    dns: &mut Duration,
) -> Result<Vec<IpAddr>> {
    let addrs = if let Some(given) = net.resolve_override(host, port) {
        emit(
            out,
            &Event::AddressOverride {
                host,
                port,
                addrs: given,
            },
        );
        given.to_vec()
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        vec![ip]
    } else {
        let start = Instant::now();
        let found = resolve(host, deadline);
        let took = start.elapsed();
        *dns += took;
        let found = found?;
        emit(
            out,
            &Event::Resolved {
                host,
                addrs: &found,
                took,
            },
        );
        found
    };
    let allowed: Vec<IpAddr> = addrs.into_iter().filter(|a| net.family.allows(a)).collect();
    if allowed.is_empty() {
        let family = match net.family.flag() {
            "-4" => "IPv4",
            _ => "IPv6",
        };
        return Err(Error::Resolve {
            host: host.to_string(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!("it has no {family} address ({})", net.family.flag()),
            ),
        });
    }
    Ok(interleave(allowed))
}

/// IPv6 and IPv4 addresses taking turns, starting with the family of the
/// first address; order within a family is kept.
pub fn interleave(addrs: Vec<IpAddr>) -> Vec<IpAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_v6 = first.is_ipv6();
    let (mut lead, mut other): (Vec<IpAddr>, Vec<IpAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(lead.len() + other.len());
    lead.reverse();
    other.reverse();
    loop {
        match (lead.pop(), other.pop()) {
            (None, None) => break,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
    out
}

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
/// Each attempt may use an equal share of the time left (the last one all
/// of it), so one address that drops packets cannot starve the others.
pub fn connect(
    host: &str,
    port: u16,
    addrs: &[IpAddr],
    deadline: Instant,
    out: &mut dyn Emit,
) -> Result<TcpStream> {
    let mut attempts = Vec::new();
    for (i, ip) in addrs.iter().enumerate() {
        let addr = SocketAddr::new(*ip, port);
        let Some(left) = remaining(deadline) else {
            break;
        };
        let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        emit(out, &Event::Connecting { addr });
        let start = Instant::now();
        match TcpStream::connect_timeout(&addr, share.max(Duration::from_millis(1))) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().expect("ip")).collect()
    }

    #[test]
    fn families_take_turns_from_the_first_one() {
        assert_eq!(
            interleave(ips(&["::1", "::2", "::3", "10.0.0.1"])),
            ips(&["::1", "10.0.0.1", "::2", "::3"])
        );
        assert_eq!(
            interleave(ips(&["10.0.0.1", "10.0.0.2", "::1", "::2"])),
            ips(&["10.0.0.1", "::1", "10.0.0.2", "::2"])
        );
        assert_eq!(interleave(ips(&["10.0.0.1"])), ips(&["10.0.0.1"]));
        assert!(interleave(Vec::new()).is_empty());
    }
}
