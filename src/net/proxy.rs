//! Tunnels through proxies: HTTP CONNECT (RFC 9110 section 9.3.6) over TCP
//! or over TLS to an https:// proxy, and SOCKS5 (RFC 1928) with
//! username/password authentication (RFC 1929), the name resolved here
//! (socks5://) or by the proxy (socks5h://).
//!
//! Every step is reported as an [`Event`] and bounded by the
//! --connect-timeout deadline. A proxy that cannot be reached or will not
//! open the tunnel is an [`Error::Proxy`] whose [`ProxyProblem`] says which
//! side failed. Nothing here knows about WebSocket: the tunnel is handed
//! back as a [`Stream`] ready for TLS or the upgrade. The answer to CONNECT
//! is read and parsed by [`crate::http`]; this file only writes the request
//! and says what the answer means for the tunnel.

use super::tls::{self, TlsSetup};
use super::{Stream, emit, resolve};
use crate::config::{Config, Proxy, ProxyKind};
use crate::deadline::is_timeout;
use crate::deadline::remaining;
use crate::error::{
    Error, ProxyFailure, ProxyProblem, ProxyProtocol, Rejection, Result, SocksProblem,
};
use crate::event::{Emit, Event, Timing};
use crate::http::{self, HeadError, MAX_HEAD};
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Connect to `proxy` and ask it for a tunnel to HOST:PORT.
#[allow(clippy::too_many_arguments)]
pub fn open(
    proxy: &Proxy,
    proxy_tls: Option<&TlsSetup>,
    host: &str,
    port: u16,
    cfg: &Config,
    deadline: Instant,
    out: &mut dyn Emit,
    timing: &mut Timing,
) -> Result<Stream> {
    let target = authority(host, port);
    let protocol = ProxyProtocol::from(proxy.kind);
    let fail = |problem| {
        Error::Proxy(Box::new(ProxyFailure {
            proxy: proxy.url.clone(),
            env_var: proxy.source.env_var().map(str::to_string),
            target: target.clone(),
            user: proxy.credentials.as_ref().map(|(u, _)| u.clone()),
            protocol,
            problem,
        }))
    };
    emit(
        out,
        &Event::ProxyUsed {
            url: &proxy.url,
            setting: proxy.source.words(),
        },
    );
    let tcp = super::tcp(&proxy.host, proxy.port, &cfg.net, deadline, out, timing)
        .map_err(|e| fail(ProxyProblem::Unreachable(e)))?;
    let start = Instant::now();
    let dns_before = timing.dns;
    let mut stream = Stream::Tcp(tcp);
    if let Some(setup) = proxy_tls {
        let t = tls::handshake(stream, setup, &proxy.host, deadline, out)
            .map_err(|e| fail(ProxyProblem::Unreachable(e)))?;
        stream = Stream::Tls(Box::new(t));
    }
    let result = match proxy.kind {
        ProxyKind::Http | ProxyKind::Https => {
            let agent = http::header(&cfg.request.headers, "User-Agent");
            http_connect(&mut stream, proxy, &target, agent, deadline, out)
        }
        ProxyKind::Socks5 => {
            // Resolved here: -4/-6 and --resolve apply; the first address is used.
            let addrs = resolve::lookup(host, port, &cfg.net, deadline, out, &mut timing.dns)?;
            socks5(
                &mut stream,
                proxy,
                Dest::Ip(addrs[0]),
                port,
                &target,
                deadline,
                out,
            )
        }
        ProxyKind::Socks5h => socks5(
            &mut stream,
            proxy,
            Dest::Name(host),
            port,
            &target,
            deadline,
            out,
        ),
    };
    result.map_err(fail)?;
    stream.set_timeouts(None).ok();
    let took = start.elapsed().saturating_sub(timing.dns - dns_before);
    timing.proxy = Some(took);
    emit(
        out,
        &Event::TunnelOpen {
            target: &target,
            proxy: &proxy.url,
            took,
        },
    );
    Ok(stream)
}

/// HOST:PORT, IPv6 bracketed (the authority form of RFC 9112 section 3.2.3).
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The CONNECT request for `target`.
fn connect_request(proxy: &Proxy, target: &str, agent: Option<&str>) -> Vec<u8> {
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, pass)) = &proxy.credentials {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    if let Some(a) = agent {
        req.push_str(&format!("User-Agent: {a}\r\n"));
    }
    req.push_str("\r\n");
    req.into_bytes()
}

/// Ask an HTTP proxy for a tunnel and read its answer. The head is read a
/// byte at a time so that nothing after it (the server's first bytes) is
/// taken from the tunnel.
fn http_connect(
    s: &mut Stream,
    proxy: &Proxy,
    target: &str,
    agent: Option<&str>,
    deadline: Instant,
    out: &mut dyn Emit,
) -> std::result::Result<(), ProxyProblem> {
    let request = connect_request(proxy, target, agent);
    write_all_by(s, &request, deadline)?;
    emit(out, &Event::ProxyRequestSent { raw: &request });

    let response = http::read_response_exact(s, deadline).map_err(head_problem)?;
    let parsed = &response.head;
    if (200..300).contains(&parsed.status) {
        emit(
            out,
            &Event::ProxyResponseReceived {
                head: response.raw_head(),
                body: &[],
            },
        );
        return Ok(());
    }
    let (body, truncated) = http::read_body(s, parsed, Vec::new(), deadline);
    emit(
        out,
        &Event::ProxyResponseReceived {
            head: response.raw_head(),
            body: &body,
        },
    );
    let parsed = response.head;
    Err(ProxyProblem::Refused(Rejection {
        status: parsed.status,
        reason: parsed.reason,
        headers: parsed.headers,
        body,
        body_truncated: truncated,
    }))
}

/// What it means for the tunnel that the answer to CONNECT could not be
/// read.
fn head_problem(e: HeadError) -> ProxyProblem {
    match e {
        HeadError::NotHttp { reason, received } => ProxyProblem::NotHttp { reason, received },
        HeadError::TooLarge { received } => ProxyProblem::NotHttp {
            reason: format!("the response head is larger than {MAX_HEAD} bytes"),
            received: received[..received.len().min(512)].to_vec(),
        },
        HeadError::TimedOut { .. } => ProxyProblem::TimedOut,
        HeadError::Closed { received } => ProxyProblem::ClosedEarly { received },
        HeadError::Io(e) => ProxyProblem::Io(e),
    }
}

/// Where a SOCKS5 tunnel goes.
enum Dest<'a> {
    /// An address resolved here (socks5://).
    Ip(IpAddr),
    /// A name for the proxy to resolve (socks5h://).
    Name(&'a str),
}

/// The SOCKS5 exchange: greeting, optional username/password, CONNECT.
#[allow(clippy::too_many_arguments)]
fn socks5(
    s: &mut Stream,
    proxy: &Proxy,
    dest: Dest<'_>,
    port: u16,
    target: &str,
    deadline: Instant,
    out: &mut dyn Emit,
) -> std::result::Result<(), ProxyProblem> {
    const NO_AUTH: u8 = 0x00;
    const USER_PASS: u8 = 0x02;
    let socks = ProxyProblem::Socks;
    // RFC 1928 section 3: version, number of methods, methods.
    let greeting: &[u8] = if proxy.credentials.is_some() {
        &[5, 2, NO_AUTH, USER_PASS]
    } else {
        &[5, 1, NO_AUTH]
    };
    write_all_by(s, greeting, deadline)?;
    let mut choice = [0u8; 2];
    read_exact_by(s, &mut choice, deadline, &[])?;
    if choice[0] != 5 {
        return Err(socks(SocksProblem::NotSocks5 { version: choice[0] }));
    }
    match (choice[1], &proxy.credentials) {
        (NO_AUTH, _) => emit(out, &Event::SocksAuthenticated { user: None }),
        (USER_PASS, Some((user, pass))) => {
            // RFC 1929: version 1, ULEN, UNAME, PLEN, PASSWD (lengths were
            // checked to fit a byte in config).
            let mut msg = vec![1, user.len() as u8];
            msg.extend_from_slice(user.as_bytes());
            msg.push(pass.len() as u8);
            msg.extend_from_slice(pass.as_bytes());
            write_all_by(s, &msg, deadline)?;
            let mut status = [0u8; 2];
            read_exact_by(s, &mut status, deadline, &[])?;
            if status[1] != 0 {
                return Err(socks(SocksProblem::AuthFailed {
                    user: user.clone(),
                    status: status[1],
                }));
            }
            emit(out, &Event::SocksAuthenticated { user: Some(user) });
        }
        (0xFF, creds) => {
            return Err(socks(SocksProblem::NoAcceptableMethod {
                offered_password: creds.is_some(),
            }));
        }
        (other, _) => {
            return Err(socks(SocksProblem::Malformed(format!(
                "it chose authentication method 0x{other:02x}, which was not offered"
            ))));
        }
    }

    // RFC 1928 section 4: VER CMD=CONNECT RSV ATYP DST.ADDR DST.PORT.
    let mut req = vec![5, 1, 0];
    match dest {
        Dest::Ip(IpAddr::V4(a)) => {
            req.push(1);
            req.extend_from_slice(&a.octets());
        }
        Dest::Ip(IpAddr::V6(a)) => {
            req.push(4);
            req.extend_from_slice(&a.octets());
        }
        Dest::Name(name) => {
            let len = u8::try_from(name.len()).map_err(|_| socks(SocksProblem::NameTooLong))?;
            req.push(3);
            req.push(len);
            req.extend_from_slice(name.as_bytes());
        }
    }
    req.extend_from_slice(&port.to_be_bytes());
    write_all_by(s, &req, deadline)?;
    emit(
        out,
        &Event::SocksConnect {
            target,
            remote_dns: matches!(dest, Dest::Name(_)),
        },
    );

    // Section 6: VER REP RSV ATYP BND.ADDR BND.PORT.
    let mut reply = [0u8; 4];
    read_exact_by(s, &mut reply, deadline, &[])?;
    if reply[0] != 5 {
        return Err(socks(SocksProblem::Malformed(format!(
            "the reply has version byte 0x{:02x}, not 5",
            reply[0]
        ))));
    }
    if reply[1] != 0 {
        return Err(socks(SocksProblem::Reply { code: reply[1] }));
    }
    let addr_len = match reply[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut len = [0u8; 1];
            read_exact_by(s, &mut len, deadline, &[])?;
            usize::from(len[0])
        }
        other => {
            return Err(socks(SocksProblem::Malformed(format!(
                "unknown address type 0x{other:02x} in the reply"
            ))));
        }
    };
    let mut bound = vec![0u8; addr_len + 2];
    read_exact_by(s, &mut bound, deadline, &[])?;
    Ok(())
}

/// Write all of `buf` before `deadline`.
fn write_all_by(
    s: &mut Stream,
    buf: &[u8],
    deadline: Instant,
) -> std::result::Result<(), ProxyProblem> {
    let left = remaining(deadline).ok_or(ProxyProblem::TimedOut)?;
    s.set_write_timeout(Some(left)).ok();
    match s.write_all(buf).and_then(|()| s.flush()) {
        Ok(()) => Ok(()),
        Err(e) if is_timeout(&e) => Err(ProxyProblem::TimedOut),
        Err(e) => Err(ProxyProblem::Io(e)),
    }
}

/// Fill `buf` before `deadline`. `so_far` is what the caller has read
/// already, kept in the error if the proxy hangs up.
fn read_exact_by(
    s: &mut Stream,
    buf: &mut [u8],
    deadline: Instant,
    so_far: &[u8],
) -> std::result::Result<(), ProxyProblem> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = remaining(deadline).ok_or(ProxyProblem::TimedOut)?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok();
        match s.read(&mut buf[filled..]) {
            Ok(0) => {
                let mut received = so_far.to_vec();
                received.extend_from_slice(&buf[..filled]);
                return Err(ProxyProblem::ClosedEarly { received });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
                ) =>
            {
                let mut received = so_far.to_vec();
                received.extend_from_slice(&buf[..filled]);
                return Err(ProxyProblem::ClosedEarly { received });
            }
            Err(e) => return Err(ProxyProblem::Io(e)),
        }
    }
    Ok(())
}

/// The error words need only how the tunnel is asked for, not the scheme.
impl From<ProxyKind> for ProxyProtocol {
    fn from(kind: ProxyKind) -> ProxyProtocol {
        match kind {
            ProxyKind::Http | ProxyKind::Https => ProxyProtocol::HttpConnect,
            ProxyKind::Socks5 | ProxyKind::Socks5h => ProxyProtocol::Socks5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ProxySource, parse_proxy};

    #[test]
    fn connect_request_has_authority_host_and_basic_credentials() {
        let p =
            parse_proxy("http://al%40ice:pw@proxy:3128", ProxySource::Flag, None).expect("valid");
        let req = connect_request(&p, &authority("::1", 443), Some("wsprobe/1"));
        // base64("al@ice:pw")
        assert_eq!(
            String::from_utf8(req).expect("ascii"),
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\
             Proxy-Authorization: Basic YWxAaWNlOnB3\r\nUser-Agent: wsprobe/1\r\n\r\n"
        );
    }
}
