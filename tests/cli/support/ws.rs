//! [`WsServer`]: a scripted WebSocket server (tungstenite, server side, plain
//! TCP) that records the handshake request byte for byte; [`Recorded`]; and
//! ready-made scripts ([`echo_script`], [`send_and_close`], [`close_script`]).
//!
//! The handshake itself is shared with the TLS server ([`server_handshake`]).

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;

use tungstenite::handshake::HandshakeError;
pub use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::Role;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
pub use tungstenite::{Message, WebSocket};

use super::{ServerThread, show_bytes};

/// What a server saw of the client's opening handshake.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request line as received, without its CRLF, e.g. `GET /path?q HTTP/1.1`.
    pub request_line: String,
    /// The header fields exactly as received: wire order, wire case of the
    /// names, values as sent (bytes that are not UTF-8 are shown as U+FFFD).
    pub headers: Vec<(String, String)>,
    /// The bytes of the request head as received, up to and including the
    /// blank line that ends it (nothing after it).
    pub raw_request: Vec<u8>,
}

impl Recorded {
    /// Parses a request head (as read from the wire) into a record. Panics
    /// with the bytes shown if it is not a complete HTTP/1.x request head.
    pub fn parse(raw: Vec<u8>) -> Recorded {
        let mut storage = [httparse::EMPTY_HEADER; 256];
        let mut req = httparse::Request::new(&mut storage);
        match req.parse(&raw) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => panic!(
                "Recorded::parse: incomplete request head:\n{}",
                show_bytes(&raw)
            ),
            Err(e) => panic!(
                "Recorded::parse: unparseable request head ({e}):\n{}",
                show_bytes(&raw)
            ),
        }
        let headers = req
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(raw.len());
        let request_line = String::from_utf8_lossy(&raw[..line_end]).into_owned();
        Recorded {
            request_line,
            headers,
            raw_request: raw,
        }
    }

    /// The value of the first header named `name` (compared ignoring ASCII case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The values of every header named `name` (ignoring ASCII case), in wire order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header names in wire order and wire case.
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The request target: the second word of the request line, e.g. `/chat?x=1`.
    pub fn target(&self) -> &str {
        self.request_line.split(' ').nth(1).unwrap_or("")
    }
}

/// A stream wrapper that keeps a copy of every byte read through it: used to
/// capture the handshake request exactly as it came off the wire.
pub(crate) struct Recording<S> {
    pub(crate) inner: S,
    pub(crate) log: Rc<RefCell<Vec<u8>>>,
}

impl<S: Read> Read for Recording<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.log.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<S: Write> Write for Recording<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// How a server connection went; turned into `finish()`'s answer.
pub(crate) enum Outcome {
    /// Handshake accepted and the script ran to its end.
    Done(Recorded),
    /// The `on_handshake` callback rejected the request (an error response was sent).
    Rejected(Recorded),
    /// The TLS or WebSocket handshake failed; the script did not run.
    Failed { error: String, raw: Vec<u8> },
}

impl Outcome {
    /// The record of a completed or deliberately rejected handshake; panics
    /// (naming the server) if the handshake failed.
    pub(crate) fn into_recorded(self, kind: &str, addr: impl std::fmt::Display) -> Recorded {
        match self {
            Outcome::Done(r) | Outcome::Rejected(r) => r,
            Outcome::Failed { error, raw } => panic!(
                "{kind} on {addr}: a client connected but the handshake failed: {error}\n\
                 bytes received ({} bytes):\n{}",
                raw.len(),
                show_bytes(&raw)
            ),
        }
    }

    /// The error of a failed handshake; panics if the handshake succeeded.
    pub(crate) fn into_error(self, kind: &str, addr: impl std::fmt::Display) -> String {
        match self {
            Outcome::Failed { error, .. } => error,
            Outcome::Done(r) | Outcome::Rejected(r) => panic!(
                "{kind} on {addr}: expected the handshake to fail, but it completed; request:\n{}",
                show_bytes(&r.raw_request)
            ),
        }
    }
}

/// Result of [`server_handshake`].
#[allow(clippy::large_enum_variant)] // short-lived, matched at once
pub(crate) enum Handshake<S> {
    /// 101 sent; the WebSocket is ready (no bytes buffered inside it).
    Open(WebSocket<S>, Recorded),
    /// The callback rejected the request and its error response was sent.
    Rejected(Recorded),
    /// The handshake failed.
    Failed { error: String, raw: Vec<u8> },
}

/// Runs tungstenite's server handshake (`accept_hdr`) on `stream`, recording
/// the request bytes. tungstenite's server refuses bytes after the request
/// head (JunkAfterRequest) and builds the socket with `from_raw_socket`, so
/// unwrapping the recorder afterwards loses nothing.
pub(crate) fn server_handshake<S, H>(stream: S, on_handshake: H) -> Handshake<S>
where
    S: Read + Write,
    H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse>,
{
    let log = Rc::new(RefCell::new(Vec::new()));
    let rejected = Cell::new(false);
    let callback = |req: &Request, resp: Response| {
        let answer = on_handshake(req, resp);
        rejected.set(answer.is_err());
        answer
    };
    let recording = Recording {
        inner: stream,
        log: Rc::clone(&log),
    };
    let result = tungstenite::accept_hdr(recording, callback);
    let raw = log.take();
    match result {
        Ok(ws) => {
            let stream = ws.into_inner().inner;
            let ws = WebSocket::from_raw_socket(stream, Role::Server, None);
            Handshake::Open(ws, Recorded::parse(raw))
        }
        Err(HandshakeError::Failure(tungstenite::Error::Http(_))) if rejected.get() => {
            Handshake::Rejected(Recorded::parse(raw))
        }
        Err(HandshakeError::Failure(e)) => Handshake::Failed {
            error: format!("WebSocket handshake failed: {e}"),
            raw,
        },
        Err(HandshakeError::Interrupted(_)) => Handshake::Failed {
            error: format!(
                "WebSocket handshake timed out: no complete request within {:?}",
                super::IO_TIMEOUT
            ),
            raw,
        },
    }
}

/// Runs the handshake, then the script on success. Shared by the TCP and TLS servers.
pub(crate) fn serve<S, H, F>(
    stream: S,
    on_handshake: H,
    script: F,
) -> (Outcome, Option<WebSocket<S>>)
where
    S: Read + Write,
    H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse>,
    F: FnOnce(&mut WebSocket<S>),
{
    match server_handshake(stream, on_handshake) {
        Handshake::Open(mut ws, recorded) => {
            script(&mut ws);
            (Outcome::Done(recorded), Some(ws))
        }
        Handshake::Rejected(recorded) => (Outcome::Rejected(recorded), None),
        Handshake::Failed { error, raw } => (Outcome::Failed { error, raw }, None),
    }
}

/// A scripted WebSocket server on `127.0.0.1:<free port>` (plain TCP).
///
/// It accepts ONE connection (later ones are refused), performs the server
/// handshake with `tungstenite::accept_hdr` while recording the request bytes,
/// then runs the script with the live socket (blocking, 10 s read/write
/// timeouts). The connection is closed when the script returns.
///
/// Like tungstenite, the server treats bytes sent after the request head but
/// before the 101 as a failed handshake (JunkAfterRequest): a client must
/// wait for the response before sending frames.
///
/// Call [`WsServer::finish`] at the end of the test: it fails the test if no
/// client ever connected or if the script panicked.
pub struct WsServer {
    thread: ServerThread<Outcome>,
}

impl WsServer {
    /// Starts a server that accepts any valid handshake, then runs `script`.
    pub fn start<F>(script: F) -> WsServer
    where
        F: FnOnce(&mut WebSocket<TcpStream>) + Send + 'static,
    {
        WsServer::start_with(|_: &Request, resp: Response| Ok(resp), script)
    }

    /// Like [`WsServer::start`], but `on_handshake` sees the request (tungstenite's
    /// `http::Request`, header names lowercased; use [`Recorded`] for wire case)
    /// and may change the 101 response (e.g. add `Sec-WebSocket-Protocol`) or
    /// reject the upgrade by returning `Err(ErrorResponse)` with a non-2xx
    /// status and optional body. On rejection the script does not run and
    /// [`WsServer::finish`] still returns the request.
    pub fn start_with<H, F>(on_handshake: H, script: F) -> WsServer
    where
        H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse> + Send + 'static,
        F: FnOnce(&mut WebSocket<TcpStream>) + Send + 'static,
    {
        let thread = ServerThread::spawn("WsServer", move |tcp| serve(tcp, on_handshake, script).0);
        WsServer { thread }
    }

    /// `ws://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("ws://{}/", self.thread.addr())
    }

    /// The listening address (127.0.0.1 and the port the OS picked).
    pub fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// Waits (at most 15 s) for the server thread and returns the recorded
    /// request. Panics with a clear message if no connection arrived, if the
    /// handshake failed, if the script is still running, or if the script
    /// panicked (its panic message is included, so failed assertions inside
    /// scripts fail the test).
    pub fn finish(self) -> Recorded {
        let addr = self.addr();
        self.thread.finish().into_recorded("WsServer", addr)
    }

    /// For tests where the client is expected to break the handshake: waits
    /// like [`WsServer::finish`] and returns the server-side handshake error.
    /// Panics if no connection arrived or if the handshake succeeded.
    pub fn finish_handshake_error(self) -> String {
        let addr = self.addr();
        self.thread.finish().into_error("WsServer", addr)
    }
}

/// Echoes text as text and binary as binary until the client closes, then
/// completes the close handshake (tungstenite answers the Close and pings).
///
/// Panics if the connection ends without a Close frame from the client, or on
/// any other error before the client's Close (a read timeout included).
pub fn echo_script<S: Read + Write>(ws: &mut WebSocket<S>) {
    let mut close_received = false;
    loop {
        match ws.read() {
            Ok(msg @ (Message::Text(_) | Message::Binary(_))) => {
                if let Err(e) = ws.send(msg) {
                    panic!("echo_script: sending the echo failed: {e}");
                }
            }
            Ok(Message::Close(_)) => close_received = true,
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            Err(tungstenite::Error::ConnectionClosed) => return,
            // The client may hang up as soon as it has our Close reply.
            Err(_) if close_received => return,
            Err(e) => panic!("echo_script: connection ended before the client sent Close: {e}"),
        }
    }
}

/// A script that sends `messages` in order, then closes with 1000 (Normal)
/// and waits for the client's Close reply. Messages the client sends
/// meanwhile are ignored. Panics if the client never completes the close
/// handshake.
pub fn send_and_close<S: Read + Write>(
    messages: Vec<Message>,
) -> impl FnOnce(&mut WebSocket<S>) + Send + 'static {
    move |ws| {
        for msg in messages {
            if let Err(e) = ws.send(msg) {
                panic!("send_and_close: send failed: {e}");
            }
        }
        close_script(1000, "")(ws);
    }
}

/// A script that starts the close handshake at once with `code` and `reason`
/// and waits for the client's Close reply (anything else received is
/// ignored). Panics if the connection ends without the reply.
pub fn close_script<S: Read + Write>(
    code: u16,
    reason: &str,
) -> impl FnOnce(&mut WebSocket<S>) + Send + 'static {
    let reason = reason.to_string();
    move |ws| {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        if let Err(e) = ws.close(Some(frame)) {
            panic!("close_script: sending Close failed: {e}");
        }
        loop {
            match ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => return,
                Err(e) => panic!("close_script: no Close reply from the client: {e}"),
            }
        }
    }
}
