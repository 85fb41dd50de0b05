//! The data listen mode's events carry: client ids, why a request was
//! refused ([`RequestProblem`]), what `--static` did ([`StaticOutcome`]),
//! how a client's session ended ([`ClientEnd`], [`Dropped`]), and what the
//! REPL's `/clients` and `/stats` show ([`ClientRow`], [`ServerStats`]).
//! Data only, as the rest of `event`.

use super::Stats;
use crate::protocol::frame::Violation;
use std::net::SocketAddr;
use std::time::Duration;

/// A client of listen mode: numbered from 1 in the order they connected.
pub type ClientId = u64;

/// What a plain HTTP request (one with no Upgrade header) looks like it
/// came from, for the line that refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainRequest {
    /// A browser tab opened on the URL (Accept: text/html).
    Browser,
    /// A WebSocket client's request whose Upgrade and Connection headers a
    /// proxy removed (it has Sec-WebSocket-Key; `proxied`: Via,
    /// Forwarded or X-Forwarded-For is present).
    UpgradeStripped {
        /// A proxy header is present.
        proxied: bool,
    },
    /// A request relayed by a proxy (Via, Forwarded, X-Forwarded-For).
    Proxied,
    /// Anything else: a client that fetched http:// instead of connecting.
    Fetch,
}

/// Why listen mode refused a connection before the 101 (RFC 6455 section
/// 4.2.1 for the request's rules; the rest are ours). The status answered
/// is the server's choice (`server::handshake`); the words are output's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestProblem {
    /// A method other than GET.
    Method(String),
    /// HTTP/1.0 (the minor version given).
    OldHttp(u8),
    /// No Host header.
    NoHost,
    /// No Upgrade header at all: a plain HTTP request.
    Plain(PlainRequest),
    /// An Upgrade header without the websocket token (its value).
    BadUpgrade(String),
    /// No Connection header, or one without the upgrade token.
    NoConnectionUpgrade(Option<String>),
    /// No Sec-WebSocket-Key header.
    NoKey,
    /// A Sec-WebSocket-Key that is not base64 of 16 bytes (its value).
    BadKey(String),
    /// Sec-WebSocket-Version missing or not 13 (its value).
    Version(Option<String>),
    /// --max-clients clients are connected already.
    Busy {
        /// The limit.
        limit: usize,
    },
    /// The bytes are not an HTTP request.
    NotHttp {
        /// What the parser said.
        reason: String,
        /// They look like a TLS ClientHello (wss:// to a ws:// listener).
        tls: bool,
    },
    /// The request head is over the size limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No complete request head before the deadline (a client that
    /// trickles bytes, or sends nothing).
    TimedOut {
        /// Bytes that had arrived.
        received: usize,
        /// The deadline (--handshake-timeout).
        after: Duration,
    },
    /// The TLS handshake failed (wss://; rustls's words).
    TlsFailed(String),
    /// A plain HTTP request (a ws:// client) to a wss:// listener.
    PlainOverTls,
    /// The client closed before a complete request head.
    ClosedEarly {
        /// Bytes that had arrived.
        received: usize,
    },
}

/// What `--static DIR` did with a plain GET request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticOutcome {
    /// 200: the file was sent.
    Sent {
        /// Its size.
        bytes: u64,
        /// The Content-Type sent.
        content_type: &'static str,
    },
    /// 404: no such file (or a directory without index.html).
    NotFound,
    /// 403: the path leads outside DIR (`..`, or a symlink).
    Outside,
    /// 400: not a path that can name a file (a bad escape, NUL, `\`).
    BadPath,
    /// The file could not be read or sent (the error in words).
    Failed(String),
}

/// Why a connection ended without a close handshake of the client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    /// The client closed TCP without a Close frame (1006).
    Eof,
    /// The connection was reset (TCP RST).
    Reset,
    /// The client did not answer our Close in time (--close-timeout).
    CloseUnanswered(Duration),
    /// The client stopped reading: this many bytes waited for it.
    TooSlow(usize),
    /// The client answered no keepalive ping within --ping-timeout.
    NoPong(Duration),
    /// Reading or writing failed otherwise (the error in words).
    Failed(String),
}

/// How one client's session ended (listen mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEnd<'a> {
    /// The close handshake completed.
    Closed {
        /// The client's close code (1005 when its Close had none).
        code: u16,
        /// The client's reason.
        reason: &'a str,
        /// The client sent Close first.
        by_client: bool,
    },
    /// The client broke a rule; we sent Close with its code.
    Violation(&'a Violation),
    /// The connection ended otherwise.
    Dropped(&'a Dropped),
}

/// One open client, as `/clients` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRow {
    /// Its id.
    pub id: ClientId,
    /// Its address.
    pub addr: SocketAddr,
    /// The request target it connected to.
    pub path: String,
    /// Its Origin header (browsers send one).
    pub origin: Option<String>,
    /// The subprotocol chosen.
    pub subprotocol: Option<String>,
    /// Its counters and ping times; `uptime` is the time since its 101.
    pub stats: Stats,
    /// We sent Close and wait for its answer.
    pub closing: bool,
}

/// Listen mode's `/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerStats {
    /// Clients open now.
    pub open: usize,
    /// Clients upgraded since the start.
    pub served: u64,
    /// Connections refused before the 101.
    pub refused: u64,
    /// Plain GET requests answered by --static.
    pub files: u64,
    /// Every client's counters added up, those that ended included;
    /// `uptime` is the time since listening began.
    pub totals: Stats,
}
