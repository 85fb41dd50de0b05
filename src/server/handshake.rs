//! The server side of the upgrade (RFC 6455 section 4.2): a request head
//! read with [`http::read_request`] (bounded in size and time, so a client
//! that trickles bytes is cut off), judged by [`judge`] against section
//! 4.2.1, and answered with [`http::write_response`]: a 101 with the
//! Accept key, the subprotocol and the extension agreed, or a refusal whose
//! status follows from its typed cause ([`answer`]).
//!
//! [`serve`] runs on a thread of its own per connection (the only blocking
//! reads of listen mode) and hands the hub a [`Handshaken`]; it emits
//! nothing itself: the hub turns what it returns into events. After the
//! 101 it never touches the socket again.

use crate::event::{PlainRequest, RequestProblem};
use crate::http::{self, HeadError, MAX_HEAD, RequestHead};
use crate::net::Stream;
use crate::protocol::deflate::{self, DeflateParams};
use base64::Engine as _;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What the server offers a client, from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// --accept-subprotocol.
    pub subprotocols: Vec<String>,
    /// -H: extra response headers.
    pub headers: Vec<(String, String)>,
    /// Negotiate permessage-deflate when the client offers it.
    pub compress: bool,
    /// How long a client has to send its request head (and, for
    /// wss://, to complete TLS first).
    pub timeout: Duration,
    /// wss://: the TLS configuration (--tls-cert, --tls-key).
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    /// --static DIR, canonical: plain GET requests get its files.
    pub static_root: Option<std::path::PathBuf>,
}

/// What a request the server accepts asks for and gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The request target.
    pub path: String,
    /// Sec-WebSocket-Accept for the client's key.
    pub accept: String,
    /// The subprotocols offered, in the client's order.
    pub offered: Vec<String>,
    /// The one chosen.
    pub subprotocol: Option<String>,
    /// permessage-deflate, when agreed.
    pub deflate: Option<DeflateParams>,
    /// The Origin header, if any (for `/clients`).
    pub origin: Option<String>,
}

/// Judge a request head by RFC 6455 section 4.2.1, in the order a person
/// would fix things: the method and HTTP version, then whether this is an
/// upgrade at all, then its headers.
pub fn judge(head: &RequestHead, policy: &Policy) -> Result<Accepted, RequestProblem> {
    if head.method != "GET" {
        return Err(RequestProblem::Method(head.method.clone()));
    }
    if head.minor_version < 1 {
        return Err(RequestProblem::OldHttp(head.minor_version));
    }
    let Some(upgrade) = head.header("Upgrade") else {
        return Err(RequestProblem::Plain(plain_kind(head)));
    };
    if !head.has_token("Upgrade", "websocket") {
        return Err(RequestProblem::BadUpgrade(upgrade.to_string()));
    }
    if !head.has_token("Connection", "upgrade") {
        return Err(RequestProblem::NoConnectionUpgrade(
            head.header("Connection").map(str::to_string),
        ));
    }
    if head.header("Host").is_none() {
        return Err(RequestProblem::NoHost);
    }
    let key = match head.header("Sec-WebSocket-Key").map(str::trim) {
        None => return Err(RequestProblem::NoKey),
        Some(k) if !key_is_valid(k) => return Err(RequestProblem::BadKey(k.to_string())),
        Some(k) => k,
    };
    match head.header("Sec-WebSocket-Version").map(str::trim) {
        Some("13") => {}
        other => return Err(RequestProblem::Version(other.map(str::to_string))),
    }
    let offered: Vec<String> = head
        .tokens("Sec-WebSocket-Protocol")
        .into_iter()
        .map(str::to_string)
        .collect();
    let subprotocol = offered
        .iter()
        .find(|o| policy.subprotocols.iter().any(|a| a == *o))
        .cloned();
    let deflate = if policy.compress {
        let values: Vec<&str> = http::values(&head.headers, "Sec-WebSocket-Extensions").collect();
        deflate::accept_offer(&values)
    } else {
        None
    };
    Ok(Accepted {
        path: head.path.clone(),
        accept: tungstenite::handshake::derive_accept_key(key.as_bytes()),
        offered,
        subprotocol,
        deflate,
        origin: head.header("Origin").map(str::to_string),
    })
}

/// Section 4.1: the key is base64 of 16 bytes (24 characters with padding).
fn key_is_valid(key: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .is_ok_and(|k| k.len() == 16)
}

/// What a request without an Upgrade header looks like it came from.
fn plain_kind(head: &RequestHead) -> PlainRequest {
    let proxied = ["Via", "Forwarded", "X-Forwarded-For"]
        .iter()
        .any(|h| head.header(h).is_some());
    if head.header("Sec-WebSocket-Key").is_some() {
        PlainRequest::UpgradeStripped { proxied }
    } else if proxied {
        PlainRequest::Proxied
    } else if head
        .tokens("Accept")
        .iter()
        .any(|t| t.to_ascii_lowercase().starts_with("text/html"))
    {
        PlainRequest::Browser
    } else {
        PlainRequest::Fetch
    }
}

/// The body of every refusal: a person may read it in a browser tab.
const REFUSAL_BODY: &str = "This is a WebSocket endpoint (wsprobe listen mode). \
Connect with a WebSocket client, e.g. new WebSocket('ws://HOST/PATH') in JavaScript.\n";

/// The head of a refusal (its body is always the short text above).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Its reason phrase.
    pub reason: &'static str,
    /// The headers.
    pub headers: Vec<(String, String)>,
}

/// The answer to a refused request: status, reason, headers (a short
/// text/plain body goes with it); None when nothing can usefully be
/// answered (the client is gone, or speaks TLS).
pub fn answer(problem: &RequestProblem) -> Option<Answer> {
    let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    let version = ("Sec-WebSocket-Version", "13");
    let text = ("Content-Type", "text/plain; charset=utf-8");
    let close = ("Connection", "close");
    let (status, reason, headers) = match problem {
        RequestProblem::Plain(_) => (
            426,
            "Upgrade Required",
            h(&[
                text,
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade, close"),
                version,
            ]),
        ),
        RequestProblem::Version(_) => (426, "Upgrade Required", h(&[text, close, version])),
        RequestProblem::Busy { .. } => (503, "Service Unavailable", h(&[text, close])),
        RequestProblem::TooLarge { .. } => {
            (431, "Request Header Fields Too Large", h(&[text, close]))
        }
        RequestProblem::TimedOut { .. } => (408, "Request Timeout", h(&[text, close])),
        RequestProblem::NotHttp { tls: true, .. }
        | RequestProblem::TlsFailed(_)
        | RequestProblem::ClosedEarly { .. } => {
            return None;
        }
        RequestProblem::Method(_)
        | RequestProblem::OldHttp(_)
        | RequestProblem::NoHost
        | RequestProblem::BadUpgrade(_)
        | RequestProblem::NoConnectionUpgrade(_)
        | RequestProblem::NoKey
        | RequestProblem::BadKey(_)
        | RequestProblem::PlainOverTls
        | RequestProblem::NotHttp { .. } => (400, "Bad Request", h(&[text, close])),
    };
    Some(Answer {
        status,
        reason,
        headers,
    })
}

/// The 101 for an accepted request, with the -H headers last.
pub fn switching(accepted: &Accepted, extra: &[(String, String)]) -> Vec<u8> {
    let mut headers = vec![
        ("Upgrade".to_string(), "websocket".to_string()),
        ("Connection".to_string(), "Upgrade".to_string()),
        ("Sec-WebSocket-Accept".to_string(), accepted.accept.clone()),
    ];
    if let Some(p) = &accepted.subprotocol {
        headers.push(("Sec-WebSocket-Protocol".into(), p.clone()));
    }
    if let Some(d) = &accepted.deflate {
        headers.push(("Sec-WebSocket-Extensions".into(), d.to_string()));
    }
    headers.extend(extra.iter().cloned());
    let mut out = Vec::new();
    // Config has checked -H for CR and LF; a failure here writes nothing.
    let _ = http::write_response(&mut out, 101, "Switching Protocols", &headers, None);
    out
}

/// What one handshake thread found, for the hub.
pub struct Handshaken {
    /// The client's id.
    pub id: u64,
    /// Its address.
    pub addr: SocketAddr,
    /// The request head as received (empty when none came whole).
    pub request: Vec<u8>,
    /// Our response head as written (empty when none was; a file's body
    /// is not kept).
    pub response: Vec<u8>,
    /// The request target (empty when no request came whole).
    pub target: String,
    /// --static answered it: the status and what was sent.
    pub file: Option<(u16, crate::event::StaticOutcome)>,
    /// The upgraded stream (TCP, or TLS for wss://), what was agreed and
    /// bytes that came after the head; or why the client was refused.
    pub outcome: Result<(Stream, Accepted, Vec<u8>), RequestProblem>,
}

/// Read one request from `stream`, judge it and answer it. With `busy`,
/// the request is read (so that the client gets the answer rather than a
/// reset) and answered 503 whatever it says.
pub fn serve(
    tcp: TcpStream,
    id: u64,
    addr: SocketAddr,
    policy: &Policy,
    busy: Option<usize>,
) -> Handshaken {
    let mut done = Handshaken {
        id,
        addr,
        request: Vec::new(),
        response: Vec::new(),
        target: String::new(),
        file: None,
        outcome: Err(RequestProblem::ClosedEarly { received: 0 }),
    };
    let _ = tcp.set_nonblocking(false);
    let _ = tcp.set_write_timeout(Some(policy.timeout));
    let deadline = Instant::now() + policy.timeout;
    let mut stream = match secure(tcp, policy, deadline) {
        Ok(s) => s,
        Err((mut plain, problem)) => {
            if let Some(s) = &mut plain {
                refuse(s, &problem, &mut done.response);
            }
            done.outcome = Err(problem);
            return done;
        }
    };
    let received = match http::read_request(&mut stream, deadline) {
        Ok(r) => r,
        Err(e) => {
            let problem = head_problem(e, policy.timeout);
            refuse(&mut stream, &problem, &mut done.response);
            done.outcome = Err(problem);
            return done;
        }
    };
    done.request = received.raw_head().to_vec();
    done.target = received.head.path.clone();
    let verdict = match busy {
        Some(limit) => Err(RequestProblem::Busy { limit }),
        None => judge(&received.head, policy),
    };
    match verdict {
        Ok(accepted) => {
            let response = switching(&accepted, &policy.headers);
            match stream.write_all(&response).and_then(|()| stream.flush()) {
                Ok(()) => {
                    done.response = response;
                    let _ = stream.set_timeouts(None);
                    done.outcome = Ok((stream, accepted, received.rest().to_vec()));
                }
                Err(_) => done.outcome = Err(RequestProblem::ClosedEarly { received: 0 }),
            }
        }
        Err(problem) => match (&problem, &policy.static_root) {
            (RequestProblem::Plain(_), Some(root)) => {
                let mut head = HeadTap::new(&mut stream);
                let (status, outcome) = super::files::serve(&mut head, root, &received.head.path);
                done.response = head.head;
                stream.shutdown();
                done.file = Some((status, outcome));
            }
            _ => {
                refuse(&mut stream, &problem, &mut done.response);
                done.outcome = Err(problem);
            }
        },
    }
    done
}

/// A writer that keeps a copy of the response head (up to the blank line)
/// for `-v`, and passes everything on.
struct HeadTap<'a, W: Write> {
    inner: &'a mut W,
    head: Vec<u8>,
    done: bool,
}

impl<'a, W: Write> HeadTap<'a, W> {
    fn new(inner: &'a mut W) -> Self {
        HeadTap {
            inner,
            head: Vec::new(),
            done: false,
        }
    }
}

impl<W: Write> Write for HeadTap<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if !self.done {
            self.head.extend_from_slice(&buf[..n]);
            if let Some(end) = memchr::memmem::find(&self.head, b"\r\n\r\n") {
                self.head.truncate(end + 4);
                self.done = true;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// For wss://, the TLS handshake; the stream as it is for ws://. A client
/// that speaks plain HTTP to a wss:// listener is told so in plain text.
fn secure(
    tcp: TcpStream,
    policy: &Policy,
    deadline: Instant,
) -> Result<Stream, (Option<Stream>, RequestProblem)> {
    let Some(config) = &policy.tls else {
        return Ok(Stream::Tcp(tcp));
    };
    // A TLS ClientHello starts with 0x16; an HTTP request with a letter.
    let _ = tcp.set_read_timeout(crate::deadline::remaining(deadline));
    let mut first = [0u8; 1];
    if matches!(tcp.peek(&mut first), Ok(1)) && first[0].is_ascii_alphabetic() {
        return Err((Some(Stream::Tcp(tcp)), RequestProblem::PlainOverTls));
    }
    match crate::net::tls::accept(tcp, config, deadline) {
        Ok(t) => Ok(Stream::Tls(Box::new(t))),
        Err(e) => Err((None, RequestProblem::TlsFailed(e))),
    }
}

/// Write the refusal for `problem` (if it has one), keep it in `written`,
/// and end our side of the connection.
fn refuse(stream: &mut Stream, problem: &RequestProblem, written: &mut Vec<u8>) {
    if let Some(a) = answer(problem) {
        let mut out = Vec::new();
        if http::write_response(
            &mut out,
            a.status,
            a.reason,
            &a.headers,
            Some(REFUSAL_BODY.as_bytes()),
        )
        .is_ok()
            && stream.write_all(&out).is_ok()
        {
            *written = out;
        }
    }
    stream.shutdown();
}

/// A request head that could not be read, as a refusal's cause.
fn head_problem(e: HeadError, after: Duration) -> RequestProblem {
    match e {
        HeadError::NotHttp { reason, received } => RequestProblem::NotHttp {
            reason,
            // A TLS record: handshake (22), version 3.x.
            tls: received.len() >= 2 && received[0] == 0x16 && received[1] == 0x03,
        },
        HeadError::TooLarge { .. } => RequestProblem::TooLarge { limit: MAX_HEAD },
        HeadError::TimedOut { received } => RequestProblem::TimedOut {
            received: received.len(),
            after,
        },
        HeadError::Closed { received } => RequestProblem::ClosedEarly {
            received: received.len(),
        },
        HeadError::Io(_) => RequestProblem::ClosedEarly { received: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn policy() -> Policy {
        Policy {
            subprotocols: vec!["b".into(), "a".into()],
            headers: Vec::new(),
            compress: true,
            timeout: Duration::from_secs(1),
            tls: None,
            static_root: None,
        }
    }

    fn req(method: &str, minor: u8, headers: &[(&str, &str)]) -> RequestHead {
        RequestHead {
            method: method.into(),
            path: "/chat".into(),
            minor_version: minor,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn upgrade(extra: &[(&str, &str)]) -> RequestHead {
        let mut h = vec![
            ("Host", "h"),
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ];
        h.extend_from_slice(extra);
        req("GET", 1, &h)
    }

    #[test]
    fn a_valid_request_is_accepted_with_the_rfc_example_accept() {
        let a = judge(
            &upgrade(&[
                ("Sec-WebSocket-Protocol", "x, a, b"),
                (
                    "Sec-WebSocket-Extensions",
                    "permessage-deflate; client_max_window_bits",
                ),
            ]),
            &policy(),
        )
        .expect("accepted");
        // RFC 6455 section 1.3.
        assert_eq!(a.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(a.offered, ["x", "a", "b"]);
        assert_eq!(a.subprotocol.as_deref(), Some("a"), "the client's order");
        assert_eq!(a.deflate, Some(DeflateParams::default()));
        let raw = switching(&a, &[("X-Test".into(), "1".into())]);
        assert_eq!(
            String::from_utf8(raw).expect("ascii"),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: a\r\n\
             Sec-WebSocket-Extensions: permessage-deflate\r\nX-Test: 1\r\n\r\n"
        );
        let no = Policy {
            compress: false,
            subprotocols: Vec::new(),
            ..policy()
        };
        let a = judge(
            &upgrade(&[("Sec-WebSocket-Extensions", "permessage-deflate")]),
            &no,
        )
        .expect("ok");
        assert_eq!((a.subprotocol, a.deflate), (None, None));
    }

    #[test]
    fn each_rule_of_section_4_2_1_has_its_cause_and_status() {
        let p = policy();
        let status = |head: &RequestHead| {
            let problem = judge(head, &p).expect_err("refused");
            (answer(&problem).map(|a| a.status), problem)
        };
        let mut post = upgrade(&[]);
        post.method = "POST".into();
        assert_eq!(
            status(&post),
            (Some(400), RequestProblem::Method("POST".into()))
        );
        let mut old = upgrade(&[]);
        old.minor_version = 0;
        assert_eq!(status(&old), (Some(400), RequestProblem::OldHttp(0)));
        type Case<'a> = (&'a [(&'a str, &'a str)], u16, RequestProblem);
        let cases: [Case<'_>; 6] = [
            (
                &[("Host", "h")],
                426,
                RequestProblem::Plain(PlainRequest::Fetch),
            ),
            (
                &[("Host", "h"), ("Accept", "text/html,application/xhtml+xml")],
                426,
                RequestProblem::Plain(PlainRequest::Browser),
            ),
            (
                &[
                    ("Host", "h"),
                    ("Sec-WebSocket-Key", KEY),
                    ("Via", "1.1 proxy"),
                ],
                426,
                RequestProblem::Plain(PlainRequest::UpgradeStripped { proxied: true }),
            ),
            (
                &[("Host", "h"), ("X-Forwarded-For", "10.0.0.1")],
                426,
                RequestProblem::Plain(PlainRequest::Proxied),
            ),
            (
                &[("Host", "h"), ("Upgrade", "h2c"), ("Connection", "Upgrade")],
                400,
                RequestProblem::BadUpgrade("h2c".into()),
            ),
            (
                &[("Host", "h"), ("Upgrade", "websocket")],
                400,
                RequestProblem::NoConnectionUpgrade(None),
            ),
        ];
        for (headers, code, problem) in cases {
            assert_eq!(status(&req("GET", 1, headers)), (Some(code), problem));
        }
        let without = |name: &str| {
            let mut h = upgrade(&[]);
            h.headers.retain(|(n, _)| n != name);
            h
        };
        assert_eq!(
            status(&without("Host")),
            (Some(400), RequestProblem::NoHost)
        );
        assert_eq!(
            status(&without("Sec-WebSocket-Key")),
            (Some(400), RequestProblem::NoKey)
        );
        assert_eq!(
            status(&without("Sec-WebSocket-Version")),
            (Some(426), RequestProblem::Version(None))
        );
        let mut short = without("Sec-WebSocket-Key");
        short
            .headers
            .push(("Sec-WebSocket-Key".into(), "c2hvcnQ=".into()));
        assert_eq!(
            status(&short),
            (Some(400), RequestProblem::BadKey("c2hvcnQ=".into()))
        );
        let mut v8 = without("Sec-WebSocket-Version");
        v8.headers
            .push(("Sec-WebSocket-Version".into(), "8".into()));
        let (code, problem) = status(&v8);
        assert_eq!(
            (code, problem),
            (Some(426), RequestProblem::Version(Some("8".into())))
        );
        let a = answer(&RequestProblem::Version(None)).expect("answer");
        assert!(
            a.headers
                .contains(&("Sec-WebSocket-Version".into(), "13".into()))
        );
    }
}
