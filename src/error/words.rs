//! The headline of every failure: `Display` for [`Error`], one named
//! function per family of variants, plus the small word tables other code
//! shares (I/O errors without "(os error N)", SOCKS5 reply codes).
//!
//! Words only: the facts and hints under the headline are `hints.rs`, the
//! TLS words `tls.rs`. It must not decide anything a caller could want to
//! test by matching text; callers match the typed variants instead.

use super::{
    Error, ExecEnd, HandshakeProblem, MalformedResponse, ProxyFailure, ProxyProblem, ProxyProtocol,
    RedirectProblem, Rejection, SocksProblem, TimeoutKind, Unmet, UnmetEnd,
    intermediary::{Intermediary, Refusal, the_proxy},
};
use crate::format::{close_code_name, sanitize::escape_preview, secs};
use crate::protocol::frame::{MAX_CLOSE_REASON, Role};
use std::fmt;
use std::io;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Input(msg) => write!(f, "{msg}"),
            Error::ReadFile { what, path, source } => write!(
                f,
                "cannot read {} (for {what}): {}",
                path.display(),
                describe_io(source)
            ),
            Error::BadCertificateFile { path, detail } => {
                write!(f, "{}: {detail}", path.display())
            }
            Error::KeyMismatch { cert, key } => write!(
                f,
                "{}: this private key does not belong to the certificate in {}",
                key.display(),
                cert.display()
            ),
            Error::Resolve { host, source } => {
                write!(f, "cannot resolve '{host}': {}", describe_io(source))
            }
            Error::Connect {
                host,
                port,
                attempts,
                timed_out,
            } => connect(f, host, *port, attempts, *timed_out),
            Error::UnixConnect { path, source } => write!(
                f,
                "cannot connect to the unix socket {path}: {}",
                describe_io(source)
            ),
            Error::Proxy(p) => proxy(f, p),
            Error::Tls {
                server,
                source,
                plaintext_reply,
                diagnosis,
            } => super::tls::headline(
                f,
                server,
                source.as_ref(),
                plaintext_reply.is_some(),
                diagnosis.as_deref(),
            ),
            Error::Rejected(r) => rejected(f, r),
            Error::Redirect(r) => redirect(f, r),
            Error::Malformed(m) => malformed(f, m),
            Error::Handshake(p) => handshake(f, p),
            Error::Protocol {
                violation,
                sent_code,
                ours,
            } => write!(
                f,
                "protocol violation by the {}: {} (closed with {sent_code} {})",
                match ours {
                    Role::Client => "server",
                    Role::Server => "client",
                },
                violation.seen_by(*ours),
                close_code_name(*sent_code)
            ),
            Error::AbnormalClose {
                code,
                reason,
                detail,
                ..
            } => abnormal_close(f, *code, reason, detail),
            Error::Timeout { kind, after } => {
                write!(f, "timed out after {}: {kind}", secs(*after))
            }
            Error::Io { context, source } => write!(f, "{context}: {}", describe_io(source)),
            Error::ExpectUnmet(u) => unmet(f, u),
            Error::Exec { command, end, lost } => exec(f, command, *end, *lost),
            Error::CheckFailed { failed, probes } => write!(
                f,
                "{failed} of {probes} probes failed: the report names each failure and its RFC section"
            ),
        }
    }
}

impl fmt::Display for TimeoutKind {
    /// What was waited for, as the headline says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::HandshakeRequest => "writing the handshake request",
            TimeoutKind::HandshakeResponse => "no handshake response arrived",
            TimeoutKind::HandshakeHead => "the handshake response head never completed",
            TimeoutKind::Keepalive => {
                "no pong answered a keepalive ping (--ping-timeout): \
                 the server, or the path to it, stopped responding"
            }
            TimeoutKind::MaxTime => "--max-time reached",
            TimeoutKind::Close => "the server did not answer our Close",
            TimeoutKind::ClientClose => "the client did not answer our Close",
            TimeoutKind::ClientKeepalive => {
                "the client answered no keepalive ping (--ping-timeout): \
                 it, or the path to it, stopped responding"
            }
        })
    }
}

fn connect(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    port: u16,
    attempts: &[super::Attempt],
    timed_out: bool,
) -> fmt::Result {
    match attempts {
        _ if timed_out => write!(f, "connecting to {host} port {port} timed out"),
        [one] => write!(
            f,
            "cannot connect to {host} port {port}: {}",
            describe_io(&one.error)
        ),
        _ => write!(
            f,
            "cannot connect to {host} port {port}: all {} addresses failed",
            attempts.len()
        ),
    }
}

/// A refused upgrade: the gateway's own failure when it is one, else the
/// server's refusal, naming the proxy it came through.
fn rejected(f: &mut fmt::Formatter<'_>, r: &Rejection) -> fmt::Result {
    let via = Intermediary::recognise(&r.headers, &r.body);
    let (status, reason) = (r.status, &r.reason);
    match (Refusal::of(r, via), via) {
        (Some(Refusal::BackendUnreachable), _) => write!(
            f,
            "{} could not reach the WebSocket server behind it: {status} {reason}",
            the_proxy(via)
        ),
        (Some(Refusal::BackendTimedOut), _) => write!(
            f,
            "{} gave up waiting for the WebSocket server behind it: {status} {reason}",
            the_proxy(via)
        ),
        (Some(Refusal::TlsPort), _) => write!(
            f,
            "{} expects TLS on this port, and refused the plain request: {status} {reason}",
            via.map_or("the server".into(), |_| the_proxy(via))
        ),
        (_, Some(i)) => write!(
            f,
            "the server refused the WebSocket upgrade: {status} {reason}, through the proxy ({}) in front of it",
            i.name()
        ),
        (_, None) => write!(
            f,
            "the server refused the WebSocket upgrade: {status} {reason}"
        ),
    }
}

fn redirect(f: &mut fmt::Formatter<'_>, r: &RedirectProblem) -> fmt::Result {
    match r {
        RedirectProblem::TooMany { max, location } => write!(
            f,
            "too many redirects: {max} followed (--max-redirs), and the server redirects again to {location}"
        ),
        RedirectProblem::BadLocation { location, why } => {
            write!(f, "cannot follow the redirect to '{location}': {why}")
        }
    }
}

fn malformed(f: &mut fmt::Formatter<'_>, m: &MalformedResponse) -> fmt::Result {
    match m {
        MalformedResponse::ClosedEarly { received } if received.is_empty() => write!(
            f,
            "the server closed the connection before sending any response"
        ),
        MalformedResponse::ClosedEarly { .. } => write!(
            f,
            "the server closed the connection in the middle of its response"
        ),
        MalformedResponse::NotHttp { reason, .. } => {
            write!(f, "the reply is not an HTTP response ({reason})")
        }
        MalformedResponse::TooLarge { limit } => {
            write!(f, "the response head is larger than {limit} bytes")
        }
    }
}

fn handshake(f: &mut fmt::Formatter<'_>, p: &HandshakeProblem) -> fmt::Result {
    f.write_str("invalid handshake: ")?;
    match p {
        HandshakeProblem::AcceptMismatch { received: None, .. } => {
            write!(f, "the 101 response has no Sec-WebSocket-Accept header")
        }
        HandshakeProblem::AcceptMismatch { .. } => {
            write!(f, "Sec-WebSocket-Accept does not match our key")
        }
        HandshakeProblem::BadUpgrade(None) => write!(f, "the 101 response has no Upgrade header"),
        HandshakeProblem::BadUpgrade(Some(v)) => write!(f, "Upgrade is '{v}', not 'websocket'"),
        HandshakeProblem::BadConnection(None) => {
            write!(f, "the 101 response has no Connection header")
        }
        HandshakeProblem::BadConnection(Some(v)) => {
            write!(f, "Connection is '{v}', which lacks 'Upgrade'")
        }
        HandshakeProblem::SubprotocolNotOffered { chosen, offered } if offered.is_empty() => {
            write!(
                f,
                "the server chose subprotocol '{chosen}', but we offered none"
            )
        }
        HandshakeProblem::SubprotocolNotOffered { chosen, offered } => write!(
            f,
            "the server chose subprotocol '{chosen}', which is not among those offered ({})",
            offered.join(", ")
        ),
        HandshakeProblem::ExtensionNotOffered(e) => write!(
            f,
            "the server enabled extension '{e}', which we did not offer"
        ),
        HandshakeProblem::BadExtension { problem, .. } => write!(
            f,
            "the server's permessage-deflate answer is invalid: {problem}"
        ),
        HandshakeProblem::BadVersion(v) => write!(f, "the response is {v}, not HTTP/1.1"),
    }
}

fn exec(f: &mut fmt::Formatter<'_>, command: &str, end: ExecEnd, lost: u64) -> fmt::Result {
    match end {
        ExecEnd::Code(0) => write!(f, "--exec '{command}' stopped reading its input")?,
        ExecEnd::Code(c) => write!(f, "--exec '{command}' exited with status {c}")?,
        ExecEnd::Signal(s) => write!(f, "--exec '{command}' was killed by {}", signal_name(s))?,
        ExecEnd::Unknown => write!(f, "--exec '{command}' could not be waited for")?,
    }
    if lost > 0 {
        let s = if lost == 1 { "" } else { "s" };
        write!(
            f,
            "; {lost} message{s} received after that did not reach it"
        )?;
    }
    Ok(())
}

/// "signal 15 (SIGTERM)".
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    format!("signal {sig} ({name})")
}

fn unmet(f: &mut fmt::Formatter<'_>, u: &Unmet) -> fmt::Result {
    let which = if u.of > 1 {
        format!(" (expectation {} of {})", u.index, u.of)
    } else {
        String::new()
    };
    match u.end {
        UnmetEnd::TimedOut => write!(
            f,
            "no message matched {} within {}{which}",
            u.pattern,
            secs(u.waited)
        ),
        UnmetEnd::ClosedByServer(code) => write!(
            f,
            "the server closed the connection ({code} {}) before a message matched {}{which}",
            close_code_name(code),
            u.pattern
        ),
        UnmetEnd::ClosedByClient => write!(
            f,
            "the session was closed before a message matched {}{which}",
            u.pattern
        ),
        UnmetEnd::CountReached(n) => write!(
            f,
            "--count {n} was reached before a message matched {}{which}",
            u.pattern
        ),
    }
}

fn abnormal_close(
    f: &mut fmt::Formatter<'_>,
    code: u16,
    reason: &str,
    detail: &str,
) -> fmt::Result {
    write!(
        f,
        "connection closed abnormally: {code} {}",
        close_code_name(code)
    )?;
    if !reason.is_empty() {
        write!(
            f,
            " \"{}\"",
            escape_preview(reason.as_bytes(), MAX_CLOSE_REASON)
        )?;
    }
    if !detail.is_empty() {
        write!(f, " ({detail})")?;
    }
    Ok(())
}

fn proxy(f: &mut fmt::Formatter<'_>, p: &ProxyFailure) -> fmt::Result {
    // A refusal names the product when its answer does: "the proxy
    // http://p:3128 (Squid) refused ...".
    let product = match &p.problem {
        ProxyProblem::Refused(r) => Intermediary::recognise(&r.headers, &r.body),
        _ => None,
    };
    let proxy = &match product {
        Some(i) => format!("{} ({})", p.proxy, i.name()),
        None => p.proxy.clone(),
    };
    let what = match p.protocol {
        ProxyProtocol::Socks5 => "SOCKS5 proxy",
        ProxyProtocol::HttpConnect => "proxy",
    };
    match &p.problem {
        ProxyProblem::Unreachable(e) => write!(f, "cannot use the proxy {proxy}: {e}"),
        ProxyProblem::Refused(r) if r.status == 407 => match &p.user {
            Some(u) => write!(
                f,
                "the proxy {proxy} rejected the credentials of '{u}': {} {}",
                r.status, r.reason
            ),
            None => write!(
                f,
                "the proxy {proxy} wants authentication: {} {}",
                r.status, r.reason
            ),
        },
        ProxyProblem::Refused(r) => write!(
            f,
            "the proxy {proxy} refused to open a tunnel to {}: {} {}",
            p.target, r.status, r.reason
        ),
        ProxyProblem::NotHttp { reason, .. } => write!(
            f,
            "the proxy {proxy} did not answer CONNECT with HTTP ({reason})"
        ),
        ProxyProblem::ClosedEarly { .. } => write!(
            f,
            "the {what} {proxy} closed the connection before opening a tunnel to {}",
            p.target
        ),
        ProxyProblem::TimedOut => write!(
            f,
            "the {what} {proxy} did not open a tunnel to {} within --connect-timeout",
            p.target
        ),
        ProxyProblem::Io(e) => write!(
            f,
            "talking to the {what} {proxy} failed: {}",
            describe_io(e)
        ),
        ProxyProblem::Socks(s) => socks(f, proxy, &p.target, s),
    }
}

fn socks(f: &mut fmt::Formatter<'_>, proxy: &str, target: &str, s: &SocksProblem) -> fmt::Result {
    match s {
        SocksProblem::NotSocks5 { version } => write!(
            f,
            "{proxy} is not a SOCKS5 proxy: its reply starts with version byte 0x{version:02x}"
        ),
        SocksProblem::NoAcceptableMethod { offered_password } => write!(
            f,
            "the SOCKS5 proxy {proxy} accepts none of the authentication methods offered ({})",
            if *offered_password {
                "none, username/password"
            } else {
                "none"
            }
        ),
        SocksProblem::AuthFailed { user, status } => write!(
            f,
            "the SOCKS5 proxy {proxy} rejected the user name and password of '{user}' (status {status})"
        ),
        SocksProblem::Reply { code } => write!(
            f,
            "the SOCKS5 proxy {proxy} could not connect to {target}: {} (reply {code})",
            socks_reply_words(*code)
        ),
        SocksProblem::Malformed(why) => {
            write!(f, "the SOCKS5 proxy {proxy} sent a malformed reply: {why}")
        }
        SocksProblem::NameTooLong => write!(
            f,
            "the host name of {target} is longer than SOCKS5 allows (255 bytes)"
        ),
    }
}

/// An I/O error in words, without Rust's "(os error N)" noise for the
/// common kinds.
pub fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".into(),
        io::ErrorKind::NotFound if e.raw_os_error().is_some() => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::HostUnreachable => "host unreachable".into(),
        io::ErrorKind::NetworkUnreachable => "network unreachable".into(),
        io::ErrorKind::UnexpectedEof => "unexpected end of stream".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The words for a SOCKS5 reply code (RFC 1928 section 6).
pub fn socks_reply_words(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timeouts_say_what_was_waited_for() {
        let t = |kind| {
            Error::Timeout {
                kind,
                after: Duration::from_millis(2500),
            }
            .to_string()
        };
        assert_eq!(
            t(TimeoutKind::HandshakeHead),
            "timed out after 2.50 s: the handshake response head never completed"
        );
        assert_eq!(
            t(TimeoutKind::Keepalive),
            "timed out after 2.50 s: no pong answered a keepalive ping (--ping-timeout): \
             the server, or the path to it, stopped responding"
        );
        assert_eq!(
            t(TimeoutKind::MaxTime),
            "timed out after 2.50 s: --max-time reached"
        );
    }

    #[test]
    fn a_refusal_through_a_proxy_says_whose_it_is() {
        let rejected = |status: u16, reason: &str, server: &str, body: &str| {
            Error::Rejected(Box::new(Rejection {
                status,
                reason: reason.into(),
                headers: vec![("Server".into(), server.into())],
                body: body.as_bytes().to_vec(),
                body_truncated: false,
            }))
            .to_string()
        };
        assert_eq!(
            rejected(404, "Not Found", "Python/3.11 websockets/17.4", ""),
            "the server refused the WebSocket upgrade: 404 Not Found"
        );
        assert_eq!(
            rejected(426, "Upgrade Required", "nginx/1.22.1", ""),
            "the server refused the WebSocket upgrade: 426 Upgrade Required, \
             through the proxy (nginx) in front of it"
        );
        assert_eq!(
            rejected(504, "Gateway Time-out", "awselb/2.0", ""),
            "the proxy (AWS ELB) in front of the server gave up waiting for the WebSocket \
             server behind it: 504 Gateway Time-out"
        );
        assert_eq!(
            rejected(502, "Bad Gateway", "x", ""),
            "a proxy in front of the server could not reach the WebSocket server behind it: \
             502 Bad Gateway"
        );
    }

    #[test]
    fn handshake_problems_share_one_prefix() {
        let e = Error::Handshake(HandshakeProblem::BadUpgrade(Some("h2c".into())));
        assert_eq!(
            e.to_string(),
            "invalid handshake: Upgrade is 'h2c', not 'websocket'"
        );
    }

    #[test]
    fn the_proxy_protocol_names_the_proxy() {
        let e = |protocol| {
            Error::Proxy(Box::new(ProxyFailure {
                proxy: "socks5://p:1080".into(),
                env_var: None,
                target: "h:80".into(),
                user: None,
                protocol,
                problem: ProxyProblem::TimedOut,
            }))
            .to_string()
        };
        assert_eq!(
            e(ProxyProtocol::Socks5),
            "the SOCKS5 proxy socks5://p:1080 did not open a tunnel to h:80 within --connect-timeout"
        );
        assert!(e(ProxyProtocol::HttpConnect).starts_with("the proxy socks5://p:1080 did"));
    }
}
