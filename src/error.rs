//! Every way a run can fail, one variant per class a user can tell apart,
//! each with its exit status ([`Error::exit_code`]), the facts
//! ([`Error::facts`]) and what to try next ([`Error::hints`]).
//!
//! This module only describes failures; it never prints. `main.rs` renders
//! an `Error` through `output::report_error`. Exit statuses are the table in
//! DESIGN.md and must not change: scripts depend on them.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The result type of everything that can fail in wsprobe.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One failed TCP connection attempt.
#[derive(Debug)]
pub struct Attempt {
    /// The address tried.
    pub addr: SocketAddr,
    /// Why it failed (refused, unreachable, timed out, ...).
    pub error: io::Error,
    /// How long the attempt took.
    pub took: Duration,
}

/// What was wrong with a 101 response (RFC 6455 section 4.1, the client's
/// checks of the server's handshake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeProblem {
    /// Sec-WebSocket-Accept is missing or is not the value derived from our key.
    AcceptMismatch {
        /// The Sec-WebSocket-Key we sent.
        key: String,
        /// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
        expected: String,
        /// What the server sent, if anything.
        received: Option<String>,
    },
    /// The Upgrade header is missing or does not name websocket.
    BadUpgrade(Option<String>),
    /// The Connection header is missing or lacks the upgrade token.
    BadConnection(Option<String>),
    /// The server selected a subprotocol we did not offer.
    SubprotocolNotOffered {
        /// The server's choice.
        chosen: String,
        /// What we offered (possibly nothing).
        offered: Vec<String>,
    },
    /// The server enabled an extension we did not offer.
    ExtensionNotOffered(String),
    /// The server accepted permessage-deflate with parameters RFC 7692
    /// forbids.
    BadExtension {
        /// The Sec-WebSocket-Extensions offer we sent.
        sent: String,
        /// The Sec-WebSocket-Extensions value(s) received.
        received: String,
        /// What is wrong, naming the rule.
        problem: String,
    },
    /// The status line is not HTTP/1.1.
    BadVersion(String),
}

/// Why a response to the upgrade request could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MalformedResponse {
    /// The peer closed the connection before sending a complete response head.
    ClosedEarly {
        /// The bytes that did arrive (possibly none).
        received: Vec<u8>,
    },
    /// The bytes are not an HTTP response.
    NotHttp {
        /// What the parser said.
        reason: String,
        /// The first bytes that came back.
        received: Vec<u8>,
    },
    /// The response head is larger than we accept.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// A non-101 answer, kept whole for diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// Headers in wire order and case.
    pub headers: Vec<(String, String)>,
    /// The body (possibly truncated to the cap).
    pub body: Vec<u8>,
    /// True when the body was cut at the cap or by the timeout.
    pub body_truncated: bool,
}

impl Rejection {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The proxy's side of a failed attempt to open a tunnel.
#[derive(Debug)]
pub enum ProxyProblem {
    /// The proxy itself could not be reached: its name did not resolve
    /// (exit 3), TCP failed (exit 4), or TLS with an https:// proxy failed
    /// (exit 5).
    Unreachable(Error),
    /// The HTTP proxy answered CONNECT with a status other than 2xx.
    Refused(Rejection),
    /// The answer to CONNECT is not HTTP.
    NotHttp {
        /// What the parser said.
        reason: String,
        /// The first bytes that came back.
        received: Vec<u8>,
    },
    /// The proxy closed the connection before answering.
    ClosedEarly {
        /// The bytes that did arrive.
        received: Vec<u8>,
    },
    /// The proxy did not answer within --connect-timeout.
    TimedOut,
    /// Reading or writing failed.
    Io(io::Error),
    /// The SOCKS5 exchange failed.
    Socks(SocksProblem),
}

/// What went wrong in a SOCKS5 exchange (RFC 1928, RFC 1929).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocksProblem {
    /// The reply's version byte is not 5.
    NotSocks5 {
        /// The byte received.
        version: u8,
    },
    /// The proxy accepts none of the methods offered (method 0xFF).
    NoAcceptableMethod {
        /// Whether username/password was among them.
        offered_password: bool,
    },
    /// Username/password authentication failed.
    AuthFailed {
        /// The user name sent.
        user: String,
        /// The status byte (non-zero).
        status: u8,
    },
    /// The CONNECT request failed with this reply code.
    Reply {
        /// REP from RFC 1928 section 6.
        code: u8,
    },
    /// The reply could not be understood.
    Malformed(String),
    /// The host name is longer than 255 bytes.
    NameTooLong,
}

/// How a tunnel is asked of a proxy: all the error words need to know of
/// the proxy's kind (the configuration's `ProxyKind` converts into it, so
/// that this layer never names the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyProtocol {
    /// HTTP CONNECT (http:// and https:// proxies).
    HttpConnect,
    /// SOCKS5 (socks5:// and socks5h:// proxies).
    Socks5,
}

/// A failed attempt to get a tunnel from a proxy.
#[derive(Debug)]
pub struct ProxyFailure {
    /// The proxy's URL, without credentials.
    pub proxy: String,
    /// What set it: "-x" or a variable's name.
    pub setting: String,
    /// The destination asked for, host:port.
    pub target: String,
    /// The user name sent to the proxy, if any.
    pub user: Option<String>,
    /// HTTP CONNECT or SOCKS5.
    pub protocol: ProxyProtocol,
    /// What happened.
    pub problem: ProxyProblem,
}

/// Why a redirect could not be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectProblem {
    /// More than --max-redirs redirects.
    TooMany {
        /// --max-redirs.
        max: u32,
        /// The location not followed.
        location: String,
    },
    /// The Location is not a URL wsprobe can connect to.
    BadLocation {
        /// The Location header as sent.
        location: String,
        /// Why.
        why: String,
    },
}

/// What a timeout after the connection was made waited for. The words
/// after "timed out after N s:" and the hint follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Writing the upgrade request (--handshake-timeout).
    HandshakeRequest,
    /// The first byte of the handshake response (--handshake-timeout).
    HandshakeResponse,
    /// The rest of a handshake response head that began (--handshake-timeout).
    HandshakeHead,
    /// A pong for a keepalive ping (--ping-timeout).
    Keepalive,
    /// The end of the session: --max-time ran out.
    MaxTime,
    /// The server's answer to our Close (--close-timeout).
    Close,
}

/// Every failure class a user can meet, each with a documented exit status.
#[derive(Debug)]
pub enum Error {
    /// The command line is wrong (bad URL, bad header, bad flag value): exit 2.
    Usage(String),
    /// A file named on the command line could not be read: exit 2.
    ReadFile {
        /// What the file was for ("--data", "--cacert").
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },
    /// A PEM file held no usable certificate: exit 2.
    BadCertificateFile {
        /// The path as given.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The --key file holds a key that does not belong to the --cert
    /// certificate: exit 2.
    KeyMismatch {
        /// --cert.
        cert: PathBuf,
        /// --key (or --cert, when the key was in it).
        key: PathBuf,
    },
    /// Name resolution failed or timed out: exit 3.
    Resolve {
        /// The name looked up.
        host: String,
        /// The resolver's error, or a timeout.
        source: io::Error,
    },
    /// Every TCP connection attempt failed, or the connect phase timed out: exit 4.
    Connect {
        /// The host as named in the URL.
        host: String,
        /// The port.
        port: u16,
        /// Every attempt, in order.
        attempts: Vec<Attempt>,
        /// True when the --connect-timeout budget ran out.
        timed_out: bool,
    },
    /// A unix domain socket could not be connected: exit 4.
    UnixConnect {
        /// The socket (path, or @name for an abstract socket).
        path: String,
        /// Why.
        source: io::Error,
    },
    /// A proxy could not be reached or would not open a tunnel: exit 4
    /// (3 or 5 when the proxy's name or TLS failed).
    Proxy(Box<ProxyFailure>),
    /// The TLS handshake failed: exit 5.
    Tls {
        /// The server name we asked for.
        server: String,
        /// rustls's error, or the I/O error during the TLS handshake.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// The first bytes the peer sent, when they show it does not speak TLS.
        plaintext_reply: Option<Vec<u8>>,
        /// The failure explained with the certificate's facts, when known.
        diagnosis: Option<Box<TlsDiagnosis>>,
    },
    /// The server answered the upgrade request with a status other than 101: exit 6.
    Rejected(Box<Rejection>),
    /// A redirect could not be followed (-L): exit 6.
    Redirect(RedirectProblem),
    /// The response could not be read as HTTP, or the peer closed before it: exit 7.
    Malformed(MalformedResponse),
    /// The 101 response does not complete a valid WebSocket handshake: exit 7.
    Handshake(HandshakeProblem),
    /// The server broke RFC 6455 during the session: exit 8.
    Protocol {
        /// Which rule was broken, in words.
        rule: String,
        /// The close code we sent in answer (1002, 1007, 1009).
        sent_code: u16,
    },
    /// The connection ended without a clean close: exit 9.
    AbnormalClose {
        /// The close code (1006 when no Close frame arrived).
        code: u16,
        /// The close reason, as sent by the server.
        reason: String,
        /// Who closed first, and what happened on TCP.
        detail: String,
    },
    /// A timeout after the connection was made: exit 10.
    Timeout {
        /// What we waited for.
        kind: TimeoutKind,
        /// How long we waited.
        after: Duration,
    },
    /// An I/O error that fits no class above: exit 1.
    Io {
        /// What we were doing.
        context: String,
        /// The error.
        source: io::Error,
    },
    /// Standard input could not be sent as asked (for example, a line that is
    /// not UTF-8 in text mode): exit 1.
    Input(String),
}

impl Error {
    /// The exit status, from the table in DESIGN.md.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::ReadFile { .. }
            | Error::BadCertificateFile { .. }
            | Error::KeyMismatch { .. } => 2,
            Error::Resolve { .. } => 3,
            Error::Connect { .. } | Error::UnixConnect { .. } => 4,
            Error::Proxy(p) => match &p.problem {
                ProxyProblem::Unreachable(e) => e.exit_code(),
                _ => 4,
            },
            Error::Tls { .. } => 5,
            Error::Rejected(_) | Error::Redirect(_) => 6,
            Error::Malformed(_) | Error::Handshake(_) => 7,
            Error::Protocol { .. } => 8,
            Error::AbnormalClose { .. } => 9,
            Error::Timeout { .. } => 10,
            Error::Io { .. } | Error::Input(_) => 1,
        }
    }

    /// The failure class, a stable name for --json: usage, resolve, connect,
    /// proxy, tls, rejected, redirect, malformed_response, invalid_handshake,
    /// protocol, abnormal_close, timeout, io, input.
    pub fn class(&self) -> &'static str {
        match self {
            Error::Usage(_)
            | Error::ReadFile { .. }
            | Error::BadCertificateFile { .. }
            | Error::KeyMismatch { .. } => "usage",
            Error::Resolve { .. } => "resolve",
            Error::Connect { .. } | Error::UnixConnect { .. } => "connect",
            Error::Proxy(_) => "proxy",
            Error::Redirect(_) => "redirect",
            Error::Tls { .. } => "tls",
            Error::Rejected(_) => "rejected",
            Error::Malformed(_) => "malformed_response",
            Error::Handshake(_) => "invalid_handshake",
            Error::Protocol { .. } => "protocol",
            Error::AbnormalClose { .. } => "abnormal_close",
            Error::Timeout { .. } => "timeout",
            Error::Io { .. } => "io",
            Error::Input(_) => "input",
        }
    }

    /// Lines of facts shown under the headline (status, headers, body,
    /// attempts, expected and received values).
    pub fn facts(&self) -> Vec<String> {
        match self {
            Error::Connect { attempts, .. } => attempts
                .iter()
                .map(|a| {
                    format!(
                        "{}: {} (after {})",
                        a.addr,
                        describe_io(&a.error),
                        crate::format::ms(a.took)
                    )
                })
                .collect(),
            Error::Handshake(HandshakeProblem::AcceptMismatch {
                key,
                expected,
                received,
            }) => vec![
                format!("sent Sec-WebSocket-Key: {key}"),
                format!("expected Sec-WebSocket-Accept: {expected}"),
                match received {
                    Some(r) => format!("received Sec-WebSocket-Accept: {r}"),
                    None => "received no Sec-WebSocket-Accept header".to_string(),
                },
                "expected = base64(SHA-1(key + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"))"
                    .to_string(),
            ],
            Error::Handshake(HandshakeProblem::BadExtension { sent, received, .. }) => vec![
                format!("sent Sec-WebSocket-Extensions: {sent}"),
                format!("received Sec-WebSocket-Extensions: {received}"),
            ],
            Error::Malformed(
                MalformedResponse::NotHttp { received, .. }
                | MalformedResponse::ClosedEarly { received },
            ) if !received.is_empty() => {
                vec![format!(
                    "received {} bytes: {}",
                    received.len(),
                    crate::format::sanitize::escape_preview(received, 200)
                )]
            }
            Error::Tls {
                plaintext_reply: Some(bytes),
                ..
            } => vec![format!(
                "the server answered in plain text: {}",
                crate::format::sanitize::escape_preview(bytes, 120)
            )],
            Error::Tls {
                diagnosis: Some(d), ..
            } => d.facts.clone(),
            Error::Proxy(p) => proxy_facts(p),
            _ => Vec::new(),
        }
    }

    /// What to try next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Usage(_) => vec!["see wsprobe --help".into()],
            Error::Resolve { host, .. } => vec![format!(
                "check the spelling of '{host}' and your DNS settings; \
                 an address in the URL skips name resolution"
            )],
            Error::Connect {
                attempts,
                timed_out,
                ..
            } => {
                let mut h = Vec::new();
                if attempts
                    .iter()
                    .any(|a| a.error.kind() == io::ErrorKind::ConnectionRefused)
                {
                    h.push("nothing listens on that port: check the port and that the server runs".into());
                }
                if *timed_out {
                    h.push("a firewall may drop the packets; raise --connect-timeout if the network is slow".into());
                }
                let refused_v6 = attempts.iter().any(|a| {
                    a.addr.is_ipv6() && a.error.kind() == io::ErrorKind::ConnectionRefused
                });
                if refused_v6 && attempts.iter().all(|a| a.addr.is_ipv6()) {
                    h.push("only IPv6 addresses were tried and refused; a server listening on 127.0.0.1 only is not reached through ::1: try the IPv4 address".into());
                }
                h
            }
            Error::Tls {
                diagnosis: Some(d),
                plaintext_reply: None,
                ..
            } => d.hints.clone(),
            Error::Tls {
                plaintext_reply,
                source,
                server,
                ..
            } => {
                if plaintext_reply.is_some() {
                    vec!["this port speaks plain HTTP: use ws:// instead of wss://".into()]
                } else {
                    tls_hints(source.as_ref(), server)
                }
            }
            Error::KeyMismatch { cert, key } => vec![format!(
                "use the key the certificate was issued for; compare \
                 `openssl x509 -noout -pubkey -in {}` with `openssl pkey -pubout -in {}`",
                cert.display(),
                key.display()
            )],
            Error::UnixConnect { source, .. } => match source.kind() {
                io::ErrorKind::NotFound => vec![
                    "no socket at this path: check the path and that the server runs".into(),
                ],
                io::ErrorKind::ConnectionRefused => vec![
                    "the socket file exists but nothing accepts on it (a stale socket?)".into(),
                ],
                io::ErrorKind::PermissionDenied => {
                    vec!["check the permissions of the socket and its directory".into()]
                }
                io::ErrorKind::TimedOut => vec![
                    "the server does not accept connections (its backlog may be full); raise --connect-timeout".into(),
                ],
                _ => Vec::new(),
            },
            Error::Proxy(p) => proxy_hints(p),
            Error::Redirect(RedirectProblem::TooMany { .. }) => vec![
                "raise --max-redirs, or look for a loop with -v".into(),
            ],
            Error::Redirect(RedirectProblem::BadLocation { .. }) => {
                vec!["a WebSocket redirect must lead to ws://, wss://, http:// or https://".into()]
            }
            Error::Rejected(r) => rejection_hints(r),
            Error::Malformed(MalformedResponse::ClosedEarly { .. }) => vec![
                "the server closed the connection without answering: check the path, and wss:// if the port expects TLS"
                    .into(),
            ],
            Error::Malformed(MalformedResponse::NotHttp { received, .. }) => {
                if received.first() == Some(&0x16) || received.first() == Some(&0x15) {
                    vec!["these bytes are TLS: use wss:// for this port".into()]
                } else {
                    vec!["this port does not speak HTTP: check the port".into()]
                }
            }
            Error::Handshake(HandshakeProblem::BadUpgrade(_) | HandshakeProblem::BadConnection(_)) => vec![
                "a proxy between you and the server may strip the hop-by-hop Upgrade and Connection headers".into(),
            ],
            Error::Handshake(HandshakeProblem::AcceptMismatch { .. }) => vec![
                "the server (or a proxy in between) computes the Accept key wrongly or answers for another request".into(),
            ],
            Error::Handshake(HandshakeProblem::SubprotocolNotOffered { .. }) => {
                vec!["offer the server's choice with -s NAME".into()]
            }
            Error::Handshake(HandshakeProblem::BadExtension { .. }) => vec![
                "--no-compress offers no extension, so the server has none to get wrong".into(),
            ],
            Error::AbnormalClose { code: 1006, .. } => vec![
                "the server or something in between dropped the connection; -v shows what happened before".into(),
            ],
            Error::Timeout {
                kind: TimeoutKind::Close,
                ..
            } => vec!["raise --close-timeout if the server is slow to close".into()],
            Error::Timeout {
                kind: TimeoutKind::Keepalive,
                ..
            } => vec![
                "raise --ping-timeout if the server is slow to answer pings (-vv shows them)".into(),
            ],
            Error::Timeout {
                kind:
                    TimeoutKind::HandshakeRequest
                    | TimeoutKind::HandshakeResponse
                    | TimeoutKind::HandshakeHead,
                ..
            } => vec!["raise --handshake-timeout; check that the port serves HTTP".into()],
            Error::Input(_) => vec!["-b sends binary messages, which need not be UTF-8".into()],
            _ => Vec::new(),
        }
    }
}

/// Hints for a TLS failure, by what rustls said.
fn tls_hints(
    source: &(dyn std::error::Error + Send + Sync + 'static),
    server: &str,
) -> Vec<String> {
    use rustls::{AlertDescription as A, CertificateError as C, Error as R};
    let private_ca = "--cacert FILE trusts a private CA; -k skips verification (testing only)";
    let Some(e) = source.downcast_ref::<R>() else {
        return vec![private_ca.into()];
    };
    match e {
        R::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => vec![
            "the server's certificate has expired (or this machine's clock is wrong); \
             -k connects anyway (testing only)"
                .into(),
        ],
        R::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => vec![
            "the server's certificate is not valid yet: check this machine's clock".into(),
        ],
        R::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => vec![
            format!(
                "the certificate is not for '{server}': connect by a name it carries \
                 (--connect-to or --resolve keep that name while connecting elsewhere), \
                 or --sni NAME to ask for another virtual host"
            ),
        ],
        R::InvalidCertificate(_) => vec![private_ca.into()],
        R::AlertReceived(A::CertificateRequired) => vec![
            "the server requires a client certificate: give --cert FILE --key FILE".into(),
        ],
        R::AlertReceived(
            A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::UnsupportedCertificate,
        ) => vec![
            "the server rejected a certificate: if you gave --cert, check that the server trusts its issuer"
                .into(),
        ],
        R::AlertReceived(A::ProtocolVersion) | R::PeerIncompatible(_) => vec![
            "the server and wsprobe share no TLS version or cipher suite: check --tls-min and --tls-max \
             (wsprobe speaks TLS 1.2 and 1.3)"
                .into(),
        ],
        R::AlertReceived(A::HandshakeFailure) => vec![
            "the server refused the handshake: it may want a client certificate (--cert), \
             another TLS version (--tls-min, --tls-max) or another server name (--sni)"
                .into(),
        ],
        _ => vec![private_ca.into()],
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

fn proxy_facts(p: &ProxyFailure) -> Vec<String> {
    let escape = crate::format::sanitize::escape_preview;
    match &p.problem {
        ProxyProblem::Unreachable(e) => e.facts(),
        ProxyProblem::Refused(r) => {
            let mut f: Vec<String> = r
                .headers
                .iter()
                .filter(|(n, _)| {
                    ["Proxy-Authenticate", "Content-Type", "Server", "Via"]
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(n))
                })
                .map(|(n, v)| format!("< {n}: {}", escape(v.as_bytes(), 200)))
                .collect();
            if !r.body.is_empty() {
                f.push(format!(
                    "body ({} bytes{}):",
                    r.body.len(),
                    if r.body_truncated { ", truncated" } else { "" }
                ));
                let text = String::from_utf8_lossy(&r.body);
                for line in text.trim_end().lines().take(20) {
                    f.push(format!("| {}", escape(line.as_bytes(), 200)));
                }
            }
            f
        }
        ProxyProblem::NotHttp { received, .. } | ProxyProblem::ClosedEarly { received }
            if !received.is_empty() =>
        {
            vec![format!(
                "received {} bytes: {}",
                received.len(),
                escape(received, 200)
            )]
        }
        _ => Vec::new(),
    }
}

fn proxy_hints(p: &ProxyFailure) -> Vec<String> {
    let mut h = Vec::new();
    match &p.problem {
        ProxyProblem::Unreachable(Error::Tls {
            plaintext_reply: Some(_),
            ..
        }) => h.push("the proxy speaks plain HTTP: use http:// for it, not https://".into()),
        ProxyProblem::Unreachable(e) => h.extend(e.hints()),
        ProxyProblem::Refused(r) if r.status == 407 => {
            let scheme = r
                .header("Proxy-Authenticate")
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or("an unnamed");
            if !scheme.eq_ignore_ascii_case("basic") {
                h.push(format!(
                    "the proxy asks for {scheme} authentication; wsprobe speaks Basic only"
                ));
            } else if let Some(user) = &p.user {
                h.push(format!(
                    "the proxy did not accept the password of '{user}': check --proxy-user or the proxy URL"
                ));
            } else {
                h.push(
                    "the proxy wants Basic authentication: give --proxy-user USER:PASS \
                     (or user:pass@ in the proxy URL)"
                        .into(),
                );
            }
        }
        ProxyProblem::Refused(r) => match r.status {
            403 | 405 => h.push(format!(
                "the proxy does not allow a tunnel to {}: many allow CONNECT to port 443 only",
                p.target
            )),
            502..=504 => h.push(format!(
                "the proxy could not reach {}: check the host and port as the proxy sees them; its body may say why",
                p.target
            )),
            _ => h.push("the proxy's body may say why".into()),
        },
        ProxyProblem::NotHttp { received, .. } => match received.first() {
            Some(5) => h.push("this looks like a SOCKS5 proxy: use socks5:// or socks5h://".into()),
            Some(0x15 | 0x16) => h.push("the proxy speaks TLS: use https:// for it".into()),
            _ => h.push("check the proxy's host and port, and its scheme".into()),
        },
        ProxyProblem::ClosedEarly { .. } | ProxyProblem::Io(_) => {
            h.push("check the proxy's host, port and scheme; its logs may say why".into())
        }
        ProxyProblem::TimedOut => h.push(
            "the proxy did not answer: check that it is a proxy of this kind; raise --connect-timeout if it is slow"
                .into(),
        ),
        ProxyProblem::Socks(s) => match s {
            SocksProblem::NotSocks5 { version: b'H' } => {
                h.push("this looks like an HTTP proxy: use http://".into())
            }
            SocksProblem::NotSocks5 { .. } => {
                h.push("check the proxy's port; wsprobe speaks SOCKS version 5 only".into())
            }
            SocksProblem::NoAcceptableMethod {
                offered_password: false,
            } => h.push(
                "the proxy may want a user name and password: give --proxy-user USER:PASS".into(),
            ),
            SocksProblem::NoAcceptableMethod { .. } => h.push(
                "the proxy wants a method wsprobe does not speak (GSSAPI?)".into(),
            ),
            SocksProblem::AuthFailed { .. } => {
                h.push("check the user name and password (--proxy-user)".into())
            }
            SocksProblem::Reply { code: 2 } => {
                h.push("the proxy's rules forbid this destination".into())
            }
            SocksProblem::Reply { code: 3 | 4 | 6 } => h.push(format!(
                "the proxy cannot reach {}: check the host and port as the proxy sees them",
                p.target
            )),
            SocksProblem::Reply { code: 5 } => h.push(format!(
                "nothing listens on {} (as the proxy sees it)",
                p.target
            )),
            SocksProblem::Reply { code: 8 } => h.push(
                "try socks5h:// (the proxy resolves names) or socks5:// (wsprobe resolves them)"
                    .into(),
            ),
            SocksProblem::Reply { .. } => h.push("the proxy's logs may say why".into()),
            SocksProblem::Malformed(_) => {
                h.push("check that the proxy speaks SOCKS5 on this port".into())
            }
            SocksProblem::NameTooLong => {
                h.push("use socks5:// so that wsprobe resolves the name".into())
            }
        },
    }
    if p.setting != "-x" {
        h.push(format!(
            "the proxy comes from {}: -x '' or --noproxy HOST connects directly",
            p.setting
        ));
    }
    h
}

fn rejection_hints(r: &Rejection) -> Vec<String> {
    let mut h = Vec::new();
    match r.status {
        200 => h.push(
            "the server answered 200, not 101: this URL serves plain HTTP; check the path and port"
                .into(),
        ),
        301 | 302 | 303 | 307 | 308 => match r.header("Location") {
            Some(loc) => h.push(format!(
                "the server redirects to {loc}: try that URL, or add -L to follow redirects"
            )),
            None => h.push("the server redirects but sent no Location header".into()),
        },
        400 => h.push(
            "the server found the upgrade request malformed; -v shows the request as sent".into(),
        ),
        401 => {
            let scheme = r
                .header("WWW-Authenticate")
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or("an unnamed");
            h.push(format!(
                "the server wants {scheme} authentication: try -u USER:PASS or -H 'Authorization: ...'"
            ));
        }
        403 => h.push(
            "forbidden: servers often check the Origin header; try --origin https://the-site"
                .into(),
        ),
        404 => h.push("no WebSocket endpoint at this path: check the path".into()),
        426 => {
            let v = r.header("Sec-WebSocket-Version").unwrap_or("(not said)");
            h.push(format!(
                "the server wants another WebSocket version: {v}; wsprobe speaks 13"
            ));
        }
        429 => match r.header("Retry-After") {
            Some(s) => h.push(format!("rate limited: retry after {s}")),
            None => h.push("rate limited: retry later".into()),
        },
        500..=599 => h.push("the server failed: its body may say why".into()),
        _ => {}
    }
    h
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::ReadFile { what, path, source } => {
                write!(
                    f,
                    "cannot read {} (for {what}): {}",
                    path.display(),
                    describe_io(source)
                )
            }
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
            Error::UnixConnect { path, source } => {
                write!(
                    f,
                    "cannot connect to the unix socket {path}: {}",
                    describe_io(source)
                )
            }
            Error::Proxy(p) => fmt_proxy(p, f),
            Error::Redirect(RedirectProblem::TooMany { max, location }) => write!(
                f,
                "too many redirects: {max} followed (--max-redirs), and the server redirects again to {location}"
            ),
            Error::Redirect(RedirectProblem::BadLocation { location, why }) => {
                write!(f, "cannot follow the redirect to '{location}': {why}")
            }
            Error::Connect {
                host,
                port,
                attempts,
                timed_out,
            } => {
                if *timed_out {
                    write!(f, "connecting to {host} port {port} timed out")
                } else if attempts.len() == 1 {
                    write!(
                        f,
                        "cannot connect to {host} port {port}: {}",
                        describe_io(&attempts[0].error)
                    )
                } else {
                    write!(
                        f,
                        "cannot connect to {host} port {port}: all {} addresses failed",
                        attempts.len()
                    )
                }
            }
            Error::Tls {
                server,
                source,
                plaintext_reply,
                diagnosis,
            } => {
                if plaintext_reply.is_some() {
                    write!(
                        f,
                        "TLS handshake with {server} failed: the server does not speak TLS on this port"
                    )
                } else if let Some(d) = diagnosis {
                    write!(f, "TLS handshake with {server} failed: {}", d.summary)
                } else {
                    write!(f, "TLS handshake with {server} failed: {source}")
                }
            }
            Error::Rejected(r) => write!(
                f,
                "the server refused the WebSocket upgrade: {} {}",
                r.status, r.reason
            ),
            Error::Malformed(MalformedResponse::ClosedEarly { received }) => {
                if received.is_empty() {
                    write!(
                        f,
                        "the server closed the connection before sending any response"
                    )
                } else {
                    write!(
                        f,
                        "the server closed the connection in the middle of its response"
                    )
                }
            }
            Error::Malformed(MalformedResponse::NotHttp { reason, .. }) => {
                write!(f, "the reply is not an HTTP response ({reason})")
            }
            Error::Malformed(MalformedResponse::TooLarge { limit }) => {
                write!(f, "the response head is larger than {limit} bytes")
            }
            Error::Handshake(p) => match p {
                HandshakeProblem::AcceptMismatch { received: None, .. } => {
                    write!(
                        f,
                        "invalid handshake: the 101 response has no Sec-WebSocket-Accept header"
                    )
                }
                HandshakeProblem::AcceptMismatch { .. } => {
                    write!(
                        f,
                        "invalid handshake: Sec-WebSocket-Accept does not match our key"
                    )
                }
                HandshakeProblem::BadUpgrade(None) => {
                    write!(
                        f,
                        "invalid handshake: the 101 response has no Upgrade header"
                    )
                }
                HandshakeProblem::BadUpgrade(Some(v)) => {
                    write!(f, "invalid handshake: Upgrade is '{v}', not 'websocket'")
                }
                HandshakeProblem::BadConnection(None) => {
                    write!(
                        f,
                        "invalid handshake: the 101 response has no Connection header"
                    )
                }
                HandshakeProblem::BadConnection(Some(v)) => {
                    write!(
                        f,
                        "invalid handshake: Connection is '{v}', which lacks 'Upgrade'"
                    )
                }
                HandshakeProblem::SubprotocolNotOffered { chosen, offered } => {
                    if offered.is_empty() {
                        write!(
                            f,
                            "invalid handshake: the server chose subprotocol '{chosen}', but we offered none"
                        )
                    } else {
                        write!(
                            f,
                            "invalid handshake: the server chose subprotocol '{chosen}', which is not among those offered ({})",
                            offered.join(", ")
                        )
                    }
                }
                HandshakeProblem::ExtensionNotOffered(e) => {
                    write!(
                        f,
                        "invalid handshake: the server enabled extension '{e}', which we did not offer"
                    )
                }
                HandshakeProblem::BadExtension { problem, .. } => {
                    write!(
                        f,
                        "invalid handshake: the server's permessage-deflate answer is invalid: {problem}"
                    )
                }
                HandshakeProblem::BadVersion(v) => {
                    write!(f, "invalid handshake: the response is {v}, not HTTP/1.1")
                }
            },
            Error::Protocol { rule, sent_code } => write!(
                f,
                "protocol violation by the server: {rule} (closed with {sent_code} {})",
                crate::format::close_code_name(*sent_code)
            ),
            Error::AbnormalClose {
                code,
                reason,
                detail,
            } => {
                write!(
                    f,
                    "connection closed abnormally: {code} {}",
                    crate::format::close_code_name(*code)
                )?;
                if !reason.is_empty() {
                    write!(
                        f,
                        " \"{}\"",
                        crate::format::sanitize::escape_preview(reason.as_bytes(), 123)
                    )?;
                }
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            Error::Timeout { kind, after } => {
                write!(f, "timed out after {}: {kind}", crate::format::secs(*after))
            }
            Error::Io { context, source } => write!(f, "{context}: {}", describe_io(source)),
            Error::Input(msg) => write!(f, "{msg}"),
        }
    }
}

fn fmt_proxy(p: &ProxyFailure, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let proxy = &p.proxy;
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
        ProxyProblem::Socks(s) => match s {
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
                "the SOCKS5 proxy {proxy} could not connect to {}: {} (reply {code})",
                p.target,
                socks_reply_words(*code)
            ),
            SocksProblem::Malformed(why) => {
                write!(f, "the SOCKS5 proxy {proxy} sent a malformed reply: {why}")
            }
            SocksProblem::NameTooLong => write!(
                f,
                "the host name of {} is longer than SOCKS5 allows (255 bytes)",
                p.target
            ),
        },
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
        })
    }
}

impl std::error::Error for Error {
    /// The I/O, rustls or proxy-side error a variant wraps, if it wraps
    /// exactly one (a failed connect holds one per address, so none).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ReadFile { source, .. }
            | Error::Resolve { source, .. }
            | Error::UnixConnect { source, .. }
            | Error::Io { source, .. } => Some(source),
            Error::Tls { source, .. } => Some(source.as_ref()),
            Error::Proxy(p) => match &p.problem {
                ProxyProblem::Unreachable(e) => Some(e),
                ProxyProblem::Io(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
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

/// A TLS failure in words: what happened, the facts, what to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDiagnosis {
    /// One line: what went wrong.
    pub summary: String,
    /// The facts (names, dates, issuer).
    pub facts: Vec<String>,
    /// What to try next.
    pub hints: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_table() {
        let io = || io::Error::from(io::ErrorKind::Other);
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            Error::Resolve {
                host: "h".into(),
                source: io()
            }
            .exit_code(),
            3
        );
        assert_eq!(
            Error::Connect {
                host: "h".into(),
                port: 1,
                attempts: vec![],
                timed_out: true
            }
            .exit_code(),
            4
        );
        assert_eq!(
            Error::Handshake(HandshakeProblem::BadUpgrade(None)).exit_code(),
            7
        );
        assert_eq!(
            Error::AbnormalClose {
                code: 1006,
                reason: String::new(),
                detail: String::new()
            }
            .exit_code(),
            9
        );
    }

    #[test]
    fn source_is_the_wrapped_error() {
        use std::error::Error as _;
        let e = Error::Io {
            context: "x".into(),
            source: io::Error::other("inner"),
        };
        assert_eq!(e.source().map(|s| s.to_string()), Some("inner".into()));
        let tls = Error::Tls {
            server: "h".into(),
            source: Box::new(rustls::Error::DecryptError),
            plaintext_reply: None,
            diagnosis: None,
        };
        assert!(
            tls.source()
                .and_then(|s| s.downcast_ref::<rustls::Error>())
                .is_some()
        );
        assert!(Error::Usage("x".into()).source().is_none());
    }

    #[test]
    fn rejection_hints_name_the_next_step() {
        let r = |status, headers: Vec<(&str, &str)>| Rejection {
            status,
            reason: String::new(),
            headers: headers
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: vec![],
            body_truncated: false,
        };
        let h = rejection_hints(&r(401, vec![("www-authenticate", "Bearer realm=x")]));
        assert!(h[0].contains("Bearer"), "{h:?}");
        let h = rejection_hints(&r(302, vec![("Location", "ws://other/")]));
        assert!(h[0].contains("ws://other/"), "{h:?}");
        assert!(rejection_hints(&r(403, vec![]))[0].contains("--origin"));
        assert!(rejection_hints(&r(200, vec![]))[0].contains("plain HTTP"));
    }
}
