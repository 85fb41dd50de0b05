//! The vocabulary that logic uses to tell output what happened.
//!
//! Events are data only: the connect pipeline, the handshake and the session
//! emit them through an [`Emit`] sink, and `output/` alone decides how they
//! look (or whether they are shown at all). Nothing here does I/O.

use crate::format::date;
use crate::protocol::frame::Opcode;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

mod listen;

pub use listen::{
    ClientEnd, ClientId, ClientRow, Dropped, PlainRequest, RequestProblem, ServerStats,
    StaticOutcome,
};

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From us to the server.
    Sent,
    /// From the server to us.
    Received,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    /// FIN bit.
    pub fin: bool,
    /// RSV1, RSV2, RSV3.
    pub rsv: [bool; 3],
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length announced in the header.
    pub len: u64,
    /// The first bytes of the payload, unmasked (at most the preview limit).
    pub preview: Vec<u8>,
    /// Payload bytes actually seen (less than `len` for a frame cut short).
    pub seen: u64,
    /// For a continuation frame: the opcode of the message it continues
    /// (None when no message was in progress: a protocol error).
    pub continues: Option<Opcode>,
    /// For data frames: the 1-based index of this frame within its message
    /// when the message is fragmented (None for a single-frame message).
    pub fragment: Option<u64>,
    /// Text (or a Close reason) that is not valid UTF-8, as far as seen.
    pub invalid_utf8: bool,
    /// The payload is compressed: the frame, or the first frame of its
    /// message, has RSV1 set (permessage-deflate, RFC 7692). Its text is
    /// not checked for UTF-8.
    pub compressed: bool,
}

impl FrameInfo {
    /// True for Close, Ping and Pong (and reserved control opcodes).
    pub fn is_control(&self) -> bool {
        self.opcode.is_control()
    }

    /// For a Close frame: its code (None when the payload is empty) and
    /// reason bytes. Invalid when the payload is one byte long.
    pub fn close(&self) -> Option<(Option<u16>, &[u8])> {
        if self.opcode != Opcode::Close {
            return None;
        }
        match self.preview.len() {
            0 | 1 => Some((None, &[])),
            _ => Some((
                Some(u16::from_be_bytes([self.preview[0], self.preview[1]])),
                &self.preview[2..],
            )),
        }
    }

    /// True when the whole payload was seen.
    pub fn complete(&self) -> bool {
        self.seen == self.len
    }
}

/// The parts of a certificate worth showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject's distinguished name.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub names: Vec<String>,
    /// Valid from (seconds since the epoch).
    pub not_before: i64,
    /// Valid until (seconds since the epoch).
    pub not_after: i64,
    /// SHA-256 of the DER, as colon-separated hex.
    pub sha256: String,
}

impl CertInfo {
    /// True when subject and issuer are the same name.
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// "2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z".
    pub fn validity(&self) -> String {
        format!("{} to {}", date(self.not_before), date(self.not_after))
    }
}

/// The durations of the phases before the connection opened.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// Name resolution (zero for an address literal).
    pub dns: Duration,
    /// TCP connect, successful attempt and failed ones before it.
    pub tcp: Duration,
    /// From connected to the proxy to the tunnel open: TLS to an https://
    /// proxy, CONNECT or the SOCKS5 exchange (None without a proxy).
    pub proxy: Option<Duration>,
    /// TLS handshake (None for ws://).
    pub tls: Option<Duration>,
    /// From writing the upgrade request to reading the whole 101 response.
    pub upgrade: Duration,
    /// From start to open.
    pub total: Duration,
}

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// Who sent the first Close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// wsprobe sent Close first.
    Client,
    /// The server sent Close first.
    Server,
}

/// A verified Sec-WebSocket-Accept: the key the request sent and the value
/// RFC 6455 section 4.1 derives from it, which the 101 carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted<'a> {
    /// The Sec-WebSocket-Key of the request.
    pub key: &'a str,
    /// base64(SHA-1(key + the GUID)).
    pub accept: &'a str,
}

/// Counters of one session, for `/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Data messages sent (typed, commands, -d) and their payload bytes.
    pub sent_messages: u64,
    /// Payload bytes of the data messages sent.
    pub sent_bytes: u64,
    /// Data messages received.
    pub received_messages: u64,
    /// Payload bytes of the data messages received.
    pub received_bytes: u64,
    /// Pings sent (ours, keepalive included).
    pub pings_sent: u64,
    /// Pongs that answered one of our pings.
    pub pongs_matched: u64,
    /// Ping round-trip times: minimum, mean, maximum (None before the first pong).
    pub rtt: Option<(Duration, Duration, Duration)>,
    /// Time since the connection opened.
    pub uptime: Duration,
}

impl Stats {
    /// Add `other`'s counters to these (listen mode's totals): round trips
    /// merge by minimum, maximum and the mean weighted by pongs; uptime is
    /// left as it is.
    pub fn add(&mut self, other: &Stats) {
        self.rtt = match (self.rtt, other.rtt) {
            (None, r) | (r, None) => r,
            (Some((amin, aavg, amax)), Some((bmin, bavg, bmax))) => {
                let (a, b) = (self.pongs_matched as f64, other.pongs_matched as f64);
                let avg = if a + b > 0.0 {
                    aavg.mul_f64(a / (a + b)) + bavg.mul_f64(b / (a + b))
                } else {
                    aavg
                };
                Some((amin.min(bmin), avg, amax.max(bmax)))
            }
        };
        self.sent_messages += other.sent_messages;
        self.sent_bytes += other.sent_bytes;
        self.received_messages += other.received_messages;
        self.received_bytes += other.received_bytes;
        self.pings_sent += other.pings_sent;
        self.pongs_matched += other.pongs_matched;
    }
}

/// Something that happened, for output to render.
#[derive(Debug)]
pub enum Event<'a> {
    /// A name was resolved.
    Resolved {
        /// The name.
        host: &'a str,
        /// The addresses, in the order they will be tried.
        addrs: &'a [IpAddr],
        /// How long resolution took.
        took: Duration,
    },
    /// --resolve gave the addresses of a name.
    AddressOverride {
        /// The name.
        host: &'a str,
        /// The port the entry is for.
        port: u16,
        /// The addresses, in the order they will be tried.
        addrs: &'a [IpAddr],
    },
    /// --connect-to sends a connection elsewhere.
    ConnectTo {
        /// The host and port asked for.
        from: &'a str,
        /// The host and port connected to instead.
        to: &'a str,
    },
    /// A unix domain socket was connected (--unix-socket).
    UnixConnected {
        /// The socket's path (or @name for an abstract socket).
        path: &'a str,
        /// How long connecting took.
        took: Duration,
    },
    /// A proxy will be used.
    ProxyUsed {
        /// Its URL, without credentials.
        url: &'a str,
        /// What set it: "-x" or a variable's name.
        setting: &'a str,
    },
    /// The CONNECT request to an HTTP proxy, exactly as written (credentials
    /// included; output redacts them).
    ProxyRequestSent {
        /// The raw request head.
        raw: &'a [u8],
    },
    /// The HTTP proxy's answer to CONNECT, exactly as received.
    ProxyResponseReceived {
        /// The raw response head.
        head: &'a [u8],
        /// The body of a refusal (empty for 2xx).
        body: &'a [u8],
    },
    /// The SOCKS5 proxy accepted us (RFC 1928 section 3, RFC 1929).
    SocksAuthenticated {
        /// The user name, when username/password authentication was used.
        user: Option<&'a str>,
    },
    /// The SOCKS5 CONNECT request was sent.
    SocksConnect {
        /// The destination, host:port.
        target: &'a str,
        /// True when the proxy resolves the name (socks5h://).
        remote_dns: bool,
    },
    /// The proxy's tunnel to the server is open.
    TunnelOpen {
        /// The destination, host:port.
        target: &'a str,
        /// The proxy's URL.
        proxy: &'a str,
        /// From connected to the proxy to now.
        took: Duration,
    },
    /// The server redirected the upgrade request and -L follows it.
    Redirect {
        /// The status (301, 302, 303, 307, 308).
        status: u16,
        /// The URL followed (ws:// or wss://).
        url: &'a str,
        /// 1 for the first redirect.
        hop: u32,
        /// Headers not sent to the new location (it is another host).
        dropped: &'a [String],
    },
    /// A TCP connection attempt is starting.
    Connecting {
        /// The address.
        addr: SocketAddr,
    },
    /// A TCP connection attempt failed (the next address is tried).
    ConnectFailed {
        /// The address.
        addr: SocketAddr,
        /// The error in words.
        error: &'a str,
        /// How long the attempt took.
        took: Duration,
    },
    /// A TCP connection was made.
    Connected {
        /// The peer address.
        addr: SocketAddr,
        /// How long the successful attempt took.
        took: Duration,
    },
    /// The TLS handshake completed.
    TlsEstablished {
        /// "TLS 1.3", "TLS 1.2".
        version: &'a str,
        /// The cipher suite name.
        suite: &'a str,
        /// The key exchange group, when known.
        group: Option<&'a str>,
        /// The ALPN protocol, when one was agreed.
        alpn: Option<&'a str>,
        /// How long the handshake took.
        took: Duration,
        /// True for the session with an https:// proxy, not the server.
        proxy: bool,
    },
    /// TLS secrets are being written to this file (SSLKEYLOGFILE).
    KeyLogging {
        /// The file.
        path: &'a str,
    },
    /// The certificate chain the server presented, leaf first.
    TlsChain {
        /// What each certificate says.
        certs: &'a [CertInfo],
    },
    /// Certificate verification found a problem that -k told us to ignore.
    TlsVerificationSkipped {
        /// What verification would have said.
        problem: &'a str,
    },
    /// The upgrade request, exactly as written to the wire.
    RequestSent {
        /// The raw request head.
        raw: &'a [u8],
    },
    /// The response head (and body, for a non-101), exactly as received.
    ResponseReceived {
        /// The raw response head, up to and including the blank line.
        head: &'a [u8],
        /// The body of a non-101 response (empty for 101).
        body: &'a [u8],
        /// For a 101 that completed the handshake: the key we sent and the
        /// Accept value it required, which the response carried. `None`
        /// for a refusal or a 101 that failed any check.
        accepted: Option<Accepted<'a>>,
    },
    /// The WebSocket connection is open.
    Open {
        /// Phase durations.
        timing: Timing,
        /// The subprotocol the server chose, if any.
        subprotocol: Option<&'a str>,
        /// The extension agreed, with its parameters in header syntax
        /// (`permessage-deflate; client_max_window_bits=15`), if any.
        extensions: Option<&'a str>,
        /// Bytes of frames that arrived with the 101 response.
        early_bytes: usize,
    },
    /// A frame passed the socket (only when tracing: -vv or --json).
    Frame {
        /// Sent or received.
        dir: Direction,
        /// What the wire decoder saw.
        frame: &'a FrameInfo,
    },
    /// A data message was queued for sending.
    MessageSent {
        /// Text or binary.
        kind: MessageKind,
        /// The payload.
        data: &'a [u8],
    },
    /// A data message was compressed (sent) or inflated (received) by
    /// permessage-deflate; follows its frames (received) or precedes them
    /// (sent).
    Compression {
        /// Sent or received.
        dir: Direction,
        /// The message's size.
        size: u64,
        /// Its payload size on the wire, compressed.
        wire: u64,
    },
    /// A data message arrived.
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// The payload (UTF-8 for text).
        data: &'a [u8],
    },
    /// A ping arrived (and was answered).
    PingReceived {
        /// Its payload.
        data: &'a [u8],
    },
    /// A pong arrived.
    PongReceived {
        /// Its payload.
        data: &'a [u8],
        /// The round-trip time, when it answers a ping we sent.
        rtt: Option<Duration>,
        /// It answers a --ping-interval keepalive ping (shown only with -v).
        keepalive: bool,
    },
    /// We sent a ping.
    PingSent {
        /// Its payload.
        data: &'a [u8],
        /// A --ping-interval keepalive ping, not one the user asked for.
        keepalive: bool,
    },
    /// We sent an unsolicited pong (REPL `/pong`).
    PongSent {
        /// Its payload.
        data: &'a [u8],
    },
    /// A data message the user asked for in the REPL was sent (`/text`,
    /// `/binary`, -d ...; typed lines are already on the screen).
    ReplMessageSent {
        /// Text or binary.
        kind: MessageKind,
        /// The payload.
        data: &'a [u8],
    },
    /// A raw frame was sent (REPL `/frame`).
    RawFrameSent {
        /// The opcode.
        opcode: Opcode,
        /// The FIN bit.
        fin: bool,
        /// RSV1, RSV2, RSV3.
        rsv: [bool; 3],
        /// The payload (before masking).
        data: &'a [u8],
    },
    /// The trace level changed (REPL `/verbose`).
    Verbosity {
        /// The new level, as -v counts.
        level: u8,
    },
    /// The session statistics (REPL `/stats`).
    Stats(&'a Stats),
    /// We sent (queued) a Close frame.
    CloseSent {
        /// The code.
        code: u16,
        /// The reason.
        reason: &'a str,
    },
    /// A Close frame arrived.
    CloseReceived {
        /// The code (1005 when the frame had none).
        code: u16,
        /// The reason.
        reason: &'a str,
    },
    /// The session ended.
    Closed {
        /// True when the close handshake completed with 1000/1001 (or no code).
        clean: bool,
        /// Who sent Close first (None when no Close was exchanged).
        initiator: Option<Initiator>,
        /// The server's close code, if one arrived.
        code: Option<u16>,
        /// How long the session lasted after open.
        after: Duration,
    },
    /// Standard input ended; the session will close after the --wait quiet period.
    InputEnded {
        /// The messages sent in all.
        sent: u64,
        /// The quiet period before closing (--wait); None with --count.
        wait: Option<Duration>,
    },
    /// A `--expect` or `--expect-json` was met.
    ExpectMet {
        /// Which one (1-based).
        index: usize,
        /// How many there are.
        of: usize,
        /// The flag and pattern as typed.
        pattern: &'a str,
        /// How long it waited.
        after: Duration,
    },
    /// The session's counters as it ends (for --write-out; no printer
    /// shows them).
    Totals(&'a Stats),
    /// --retry: the connection dropped (reported just before) or the
    /// server closed it as going away; another attempt follows.
    Retrying {
        /// The attempt about to be made (2 for the first retry).
        attempt: u64,
        /// How many attempts there are in all (None: no limit).
        of: Option<u64>,
        /// The wait before it.
        delay: Duration,
        /// The server's close code, when it closed (rather than the
        /// connection failing).
        server_closed: Option<u16>,
    },
    /// The `--exec` program ended.
    ExecEnded {
        /// The command line.
        command: &'a str,
        /// Its exit status, if it exited.
        code: Option<i32>,
        /// The signal that ended it, if one did.
        signal: Option<i32>,
    },
    /// A warning worth showing even without -v.
    Warning(&'a str),
    /// Listen mode is listening (the first line it shows).
    Listening {
        /// The address bound (the port the OS picked for port 0).
        addr: SocketAddr,
        /// wss:// (--tls-cert).
        secure: bool,
    },
    /// An event of one client in listen mode: printers add the id.
    Client {
        /// The client.
        id: ClientId,
        /// What happened.
        event: &'a Event<'a>,
    },
    /// A TCP connection was accepted (listen mode; inside `Client`).
    Accepted {
        /// The client's address.
        addr: SocketAddr,
    },
    /// A client's request head, exactly as received (inside `Client`).
    RequestReceived {
        /// The raw head, up to and including the blank line.
        raw: &'a [u8],
    },
    /// Our response head (and body), exactly as written (inside `Client`).
    ResponseSent {
        /// The raw response.
        raw: &'a [u8],
    },
    /// A connection was refused before the 101 (inside `Client`).
    Refused {
        /// The client's address.
        addr: SocketAddr,
        /// The status and reason answered (None: nothing was answered).
        status: Option<(u16, &'a str)>,
        /// Why.
        problem: &'a RequestProblem,
    },
    /// `--static DIR` answered a plain GET request (inside `Client`).
    FileServed {
        /// The client's address.
        addr: SocketAddr,
        /// The request target.
        path: &'a str,
        /// The status answered.
        status: u16,
        /// What happened.
        outcome: &'a StaticOutcome,
    },
    /// A client's WebSocket is open (inside `Client`).
    ClientOpen {
        /// The client's address.
        addr: SocketAddr,
        /// The request target.
        path: &'a str,
        /// The subprotocols the client offered, in its order.
        offered: &'a [String],
        /// The one chosen (--accept-subprotocol).
        subprotocol: Option<&'a str>,
        /// The extension agreed, in header syntax, if any.
        extensions: Option<&'a str>,
    },
    /// A client's session ended (inside `Client`).
    ClientEnded {
        /// The client's address.
        addr: SocketAddr,
        /// How.
        end: ClientEnd<'a>,
        /// How long it lasted after the 101.
        after: Duration,
        /// Data messages received from it.
        received: u64,
    },
    /// Listen mode's `/clients`: the open clients, by id.
    ClientList(&'a [ClientRow]),
    /// Listen mode's `/stats`.
    ServerStats(&'a ServerStats),
}

/// A sink for events. Output implements it; tests collect into a `Vec`.
pub trait Emit {
    /// Render (or record) one event. An error means the destination is gone
    /// (for example, stdout closed): the caller stops the session.
    fn emit(&mut self, event: &Event<'_>) -> std::io::Result<()>;

    /// Flush buffered output: called when the event loop goes idle.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Stats;
    use std::time::Duration;

    #[test]
    fn stats_add_up_with_round_trips_weighted_by_pongs() {
        let ms = Duration::from_millis;
        let mut a = Stats {
            sent_messages: 1,
            sent_bytes: 10,
            pings_sent: 3,
            pongs_matched: 3,
            rtt: Some((ms(1), ms(2), ms(3))),
            uptime: ms(100),
            ..Stats::default()
        };
        let b = Stats {
            received_messages: 2,
            received_bytes: 7,
            pings_sent: 1,
            pongs_matched: 1,
            rtt: Some((ms(6), ms(6), ms(6))),
            uptime: ms(5),
            ..Stats::default()
        };
        a.add(&b);
        assert_eq!(a.rtt, Some((ms(1), ms(3), ms(6))));
        assert_eq!(
            (
                a.sent_messages,
                a.sent_bytes,
                a.received_messages,
                a.received_bytes
            ),
            (1, 10, 2, 7)
        );
        assert_eq!((a.pings_sent, a.pongs_matched, a.uptime), (4, 4, ms(100)));
        let mut none = Stats::default();
        none.add(&Stats::default());
        assert_eq!(none.rtt, None);
    }
}
