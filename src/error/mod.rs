//! Every way a run can fail, one variant per class a user can tell apart,
//! each with its exit status ([`Error::exit_code`]), the facts
//! ([`Error::facts`]) and what to try next ([`Error::hints`]).
//!
//! This module only describes failures; it never prints. `main.rs` renders
//! an `Error` through `output::report` and turns it into the exit status.
//! Exit statuses are the table in README.md and the man page and must not
//! change: scripts depend on them.
//!
//! The types live here; their words live in children: `words` (the
//! headline, `Display`), `hints` (facts and hints, chosen from the typed
//! causes, never from message text) and `tls` (the one table that explains
//! a TLS failure). A layer-3 module: it names only `format`, `event`,
//! `protocol::frame` and external crates, never the network code, the
//! configuration or the printers that use it.

mod hints;
mod idle;
mod intermediary;
mod response;
mod retry;
mod tls;
mod words;

pub use intermediary::{Intermediary, NotForwarded, Refusal};
pub use response::{Preview, response_facts};
pub use retry::CLOSE_CODES_TO_RETRY;
pub use words::{describe_io, socks_reply_words};

use crate::protocol::frame::Violation;
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
        /// base64(SHA-1(key + [`ACCEPT_GUID`](crate::protocol::frame::ACCEPT_GUID))).
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
    /// The variable that set it; None when -x did.
    pub env_var: Option<String>,
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
    /// A client's answer to our Close, in listen mode (--close-timeout).
    ClientClose,
    /// A client's pong for a keepalive ping, in listen mode (--ping-timeout).
    ClientKeepalive,
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
    /// The peer (the server; in listen mode, the client) broke RFC 6455
    /// during the session: exit 8.
    Protocol {
        /// Which rule was broken (its words are the violation's, as
        /// `ours` sees it: [`Violation::seen_by`]).
        violation: Violation,
        /// Which end we are: `Role::Client` (the server broke the rule),
        /// or `Role::Server` in listen mode (the client did).
        ours: crate::protocol::frame::Role,
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
        /// How quiet the connection had been, when it ended without a
        /// Close frame while open.
        silence: Option<Silence>,
        /// Which end we are (listen mode: `Role::Server`), for the hint.
        ours: crate::protocol::frame::Role,
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
    /// A `--expect` or `--expect-json` was not met: exit 11.
    ExpectUnmet(Box<Unmet>),
    /// The `--exec` program failed (a status other than 0, a signal), or
    /// stopped taking the messages that arrived: exit 12.
    Exec {
        /// The command line, as given.
        command: String,
        /// How it ended.
        end: ExecEnd,
        /// Messages it did not take.
        lost: u64,
    },
    /// `--check`: at least one probe failed (the report says which): exit 13.
    CheckFailed {
        /// How many probes failed.
        failed: usize,
        /// How many ran.
        probes: usize,
    },
}

/// How an `--exec` program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecEnd {
    /// It exited with this status.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
    /// Waiting for it failed.
    Unknown,
}

impl ExecEnd {
    /// From the status `wait` gave.
    pub fn from_status(s: std::process::ExitStatus) -> ExecEnd {
        use std::os::unix::process::ExitStatusExt;
        match (s.code(), s.signal()) {
            (Some(c), _) => ExecEnd::Code(c),
            (None, Some(sig)) => ExecEnd::Signal(sig),
            (None, None) => ExecEnd::Unknown,
        }
    }

    /// Status 0.
    pub fn is_success(self) -> bool {
        self == ExecEnd::Code(0)
    }
}

/// An expectation that no message met, and what came instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    /// The flag and pattern as typed: `--expect 'pong'`.
    pub pattern: String,
    /// Which expectation it was (1-based) and how many there were.
    pub index: usize,
    /// How many expectations were given.
    pub of: usize,
    /// How long it had been waited for.
    pub waited: Duration,
    /// Why the wait ended.
    pub end: UnmetEnd,
    /// Messages received during the wait.
    pub received: u64,
    /// The last few of them (their first bytes), oldest first.
    pub recent: Vec<Vec<u8>>,
}

/// Why the wait for an expectation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmetEnd {
    /// `--expect-timeout` passed.
    TimedOut,
    /// The server closed the connection (with this code).
    ClosedByServer(u16),
    /// `--count` messages arrived first, and wsprobe closed.
    CountReached(u64),
    /// wsprobe closed the session for another reason (a REPL /close).
    ClosedByClient,
}

impl Error {
    /// The exit status, from the table in README.md and the man page.
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
            Error::ExpectUnmet(_) => 11,
            Error::Exec { .. } => 12,
            Error::CheckFailed { .. } => 13,
            Error::Io { .. } | Error::Input(_) => 1,
        }
    }

    /// The failure class, a stable name for --json: usage, resolve, connect,
    /// proxy, tls, rejected, redirect, malformed_response, invalid_handshake,
    /// protocol, abnormal_close, timeout, io, input, expect, exec, check.
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
            Error::ExpectUnmet(_) => "expect",
            Error::Exec { .. } => "exec",
            Error::CheckFailed { .. } => "check",
        }
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

/// How long an open connection had been silent when it ended without a
/// Close frame: what tells an intermediary's idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silence {
    /// Since the last frame received (or the opening).
    pub received: Duration,
    /// Since the last frame sent (or the opening).
    pub sent: Duration,
    /// The intermediary the 101 came through, if recognised.
    pub via: Option<Intermediary>,
    /// Keepalive pings were on (--ping-interval).
    pub pinging: bool,
}

/// A TLS failure in words: what happened, the facts, what to try. Made by
/// the table in `error/tls.rs` ([`TlsDiagnosis::for_rustls`],
/// [`TlsDiagnosis::for_io`]) from the facts the TLS code gathered.
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
                detail: String::new(),
                silence: None,
                ours: crate::protocol::frame::Role::Client,
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
}
