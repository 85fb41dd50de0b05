//! Which failures may go away by themselves, for `--retry`: a drop, a
//! server that is restarting or overloaded, a network that blinks. What
//! the user must fix (a usage error, a 4xx other than 408 and 429, a
//! certificate, a handshake the server gets wrong, a protocol violation) is
//! never retried: it would fail the same way again.

use super::{Error, MalformedResponse, ProxyProblem, SocksProblem, TimeoutKind};
use std::io;
use std::time::Duration;

/// Statuses worth another try: timeouts, rate limits, the server or a
/// gateway in trouble.
fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

/// Close codes from the server that mean "not now" rather than "done":
/// going away, internal error, service restart, try again later, bad
/// gateway (RFC 6455 section 7.4.1 and the IANA registry).
pub const CLOSE_CODES_TO_RETRY: [u16; 5] = [1001, 1011, 1012, 1013, 1014];

/// I/O errors of a connection that dropped (rather than of a file or of
/// standard output).
fn transient_io(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::TimedOut
            | io::ErrorKind::NotConnected
    )
}

impl Error {
    /// Whether trying again could succeed without anything being changed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Resolve { .. } | Error::Connect { .. } | Error::UnixConnect { .. } => true,
            Error::Proxy(p) => match &p.problem {
                ProxyProblem::Unreachable(e) => e.is_transient(),
                ProxyProblem::Refused(r) => transient_status(r.status),
                ProxyProblem::ClosedEarly { .. } | ProxyProblem::TimedOut => true,
                ProxyProblem::Io(e) => transient_io(e),
                ProxyProblem::Socks(SocksProblem::Reply { code }) => {
                    // General failure, network or host unreachable,
                    // connection refused, TTL expired.
                    matches!(code, 1 | 3 | 4 | 5 | 6)
                }
                ProxyProblem::NotHttp { .. } | ProxyProblem::Socks(_) => false,
            },
            // An I/O error during the TLS handshake (a reset, an EOF) may
            // pass; rustls's own verdict (a certificate, a version, a
            // cipher) will not.
            Error::Tls { source, .. } => {
                source.downcast_ref::<io::Error>().is_some_and(transient_io)
            }
            Error::Rejected(r) => transient_status(r.status),
            Error::Malformed(MalformedResponse::ClosedEarly { .. }) => true,
            Error::AbnormalClose { code, .. } => {
                *code == 1006 || CLOSE_CODES_TO_RETRY.contains(code)
            }
            Error::Timeout { kind, .. } => matches!(
                kind,
                TimeoutKind::HandshakeRequest
                    | TimeoutKind::HandshakeResponse
                    | TimeoutKind::HandshakeHead
                    | TimeoutKind::Keepalive
            ),
            Error::Io { source, .. } => transient_io(source),
            Error::Usage(_)
            | Error::ReadFile { .. }
            | Error::BadCertificateFile { .. }
            | Error::KeyMismatch { .. }
            | Error::Redirect(_)
            | Error::Malformed(_)
            | Error::Handshake(_)
            | Error::Protocol { .. }
            | Error::Input(_)
            | Error::ExpectUnmet(_)
            | Error::Exec { .. }
            | Error::CheckFailed { .. } => false,
        }
    }

    /// The wait a refusal asked for, in seconds (`Retry-After: 30`; the
    /// HTTP-date form is not followed).
    pub fn retry_after(&self) -> Option<Duration> {
        let Error::Rejected(r) = self else {
            return None;
        };
        let secs: u64 = r.header("Retry-After")?.trim().parse().ok()?;
        Some(Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Rejection;
    use super::*;

    fn rejected(status: u16, headers: &[(&str, &str)]) -> Error {
        Error::Rejected(Box::new(Rejection {
            status,
            reason: String::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            body_truncated: false,
        }))
    }

    #[test]
    fn drops_and_overload_are_transient_mistakes_are_not() {
        assert!(rejected(503, &[]).is_transient());
        assert!(rejected(429, &[]).is_transient());
        assert!(rejected(408, &[]).is_transient());
        assert!(!rejected(404, &[]).is_transient());
        assert!(!rejected(401, &[]).is_transient());
        assert!(!rejected(200, &[]).is_transient());
        assert!(!Error::Usage("x".into()).is_transient());
        let drop = Error::AbnormalClose {
            code: 1006,
            reason: String::new(),
            detail: String::new(),
            silence: None,
            ours: crate::protocol::frame::Role::Client,
        };
        assert!(drop.is_transient());
        let policy = Error::AbnormalClose {
            code: 1008,
            reason: String::new(),
            detail: String::new(),
            silence: None,
            ours: crate::protocol::frame::Role::Client,
        };
        assert!(!policy.is_transient());
        let max = Error::Timeout {
            kind: TimeoutKind::MaxTime,
            after: Duration::from_secs(1),
        };
        assert!(!max.is_transient());
        let tls_io = Error::Tls {
            server: "h".into(),
            source: Box::new(io::Error::from(io::ErrorKind::ConnectionReset)),
            plaintext_reply: None,
            diagnosis: None,
        };
        assert!(tls_io.is_transient());
        let tls_cert = Error::Tls {
            server: "h".into(),
            source: Box::new(io::Error::other("certificate")),
            plaintext_reply: None,
            diagnosis: None,
        };
        assert!(!tls_cert.is_transient());
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let e = rejected(429, &[("Retry-After", " 7 ")]);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = rejected(503, &[("Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT")]);
        assert_eq!(e.retry_after(), None);
    }
}
