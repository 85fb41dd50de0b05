//! The server side of HTTP/1.1, for a listener: reading a request head
//! (httparse, the same size limit and a deadline) into an owned
//! [`RequestHead`], and writing a response head with an optional body.
//! What the request asks for (an upgrade, a path) is the caller's.

use super::ReadTimeout;
use super::head::{HeadError, Parsed, Received, read_head};
use std::io::{self, Write};
use std::time::Instant;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target as sent, e.g. `/chat?room=1`.
    pub path: String,
    /// e.g. 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Headers in wire order and case.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }

    /// All values of a header, comma-split and trimmed, across repeats.
    pub fn tokens(&self, name: &str) -> Vec<&str> {
        super::tokens(&self.headers, name)
    }

    /// Whether the comma list in header `name` holds `token`
    /// (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        super::has_token(&self.headers, name, token)
    }
}

/// Parse a request head if `buf` holds a complete one.
pub fn parse_request(buf: &[u8]) -> Parsed<RequestHead> {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut storage);
    let not_http = |reason: String| HeadError::NotHttp {
        reason,
        received: buf[..buf.len().min(512)].to_vec(),
    };
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(n)) => {
            let head = RequestHead {
                method: req.method.unwrap_or("").to_string(),
                path: req.path.unwrap_or("").to_string(),
                minor_version: req.version.unwrap_or(1),
                headers: req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect(),
            };
            Ok(Some((n, head)))
        }
        Err(httparse::Error::TooManyHeaders) => Err(not_http("more than 128 header lines".into())),
        Err(e) => Err(not_http(e.to_string())),
    }
}

/// Read a request head from `s` before `deadline`. Bytes the client sent
/// after it in the same reads (a client that does not wait for the 101)
/// are in [`Received::rest`].
pub fn read_request<S: ReadTimeout + ?Sized>(
    s: &mut S,
    deadline: Instant,
) -> Result<Received<RequestHead>, HeadError> {
    read_head(s, deadline, false, parse_request)
}

/// Write the response head `HTTP/1.1 STATUS REASON`, then `headers` in
/// order and case, and with `Some(body)` a `Content-Length` for it (so
/// `headers` should hold none) and the body, in one write. A reason, name
/// or value holding CR or LF would end the head early or smuggle a header,
/// and is refused (`InvalidInput`) before anything is written.
pub fn write_response<W: Write + ?Sized>(
    w: &mut W,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> io::Result<()> {
    let breaks = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n');
    if breaks(reason) || headers.iter().any(|(n, v)| breaks(n) || breaks(v)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a response reason or header holds CR or LF",
        ));
    }
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body.unwrap_or_default());
    w.write_all(&out)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::MAX_HEAD;
    use crate::http::script::Script;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    const UPGRADE: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n\
        Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn a_well_formed_request_is_read_whole() {
        let mut s = Script::new(&[UPGRADE]);
        let got = read_request(&mut s, soon()).expect("complete");
        assert_eq!(got.head.method, "GET");
        assert_eq!(got.head.path, "/chat?x=1");
        assert_eq!(got.head.minor_version, 1);
        assert_eq!(got.head.headers.len(), 5);
        assert_eq!(got.head.headers[0], ("Host".into(), "example.com".into()));
        assert_eq!(got.head.header("upgrade"), Some("websocket"));
        assert!(got.head.has_token("Connection", "upgrade"));
        assert_eq!(got.raw_head(), UPGRADE);
        assert!(got.rest().is_empty());
    }

    #[test]
    fn a_request_in_two_reads_is_joined_and_the_surplus_kept() {
        let (a, b) = UPGRADE.split_at(40);
        let mut second = b.to_vec();
        second.extend_from_slice(b"\x81\x85early");
        let mut s = Script::new(&[a, &second]);
        let got = read_request(&mut s, soon()).expect("complete");
        assert_eq!(got.head.path, "/chat?x=1");
        assert_eq!(got.len, UPGRADE.len());
        assert_eq!(got.rest(), b"\x81\x85early");
    }

    #[test]
    fn a_head_over_the_limit_is_refused() {
        let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        big.resize(MAX_HEAD + 100, b'a');
        let mut s = Script::new(&[&big, b"\r\n\r\n"]);
        match read_request(&mut s, soon()) {
            Err(HeadError::TooLarge { received }) => assert!(received.len() > MAX_HEAD),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_malformed_request_is_not_http() {
        let mut s = Script::new(&[b"\x16\x03\x01\x02\x00\x01\x00"]);
        match read_request(&mut s, soon()) {
            Err(HeadError::NotHttp { received, .. }) => {
                assert_eq!(received, b"\x16\x03\x01\x02\x00\x01\x00");
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut s = Script::new(&[b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n"]);
        assert!(matches!(
            read_request(&mut s, soon()),
            Err(HeadError::NotHttp { .. })
        ));
    }

    #[test]
    fn a_silent_client_times_out_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let _client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let start = Instant::now();
        match read_request(&mut server, start + Duration::from_millis(100)) {
            Err(HeadError::TimedOut { received }) => assert!(received.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn a_response_is_written_byte_exact() {
        let headers = [
            ("Upgrade".to_string(), "websocket".to_string()),
            ("connection".to_string(), "Upgrade".to_string()),
        ];
        let mut out = Vec::new();
        write_response(&mut out, 101, "Switching Protocols", &headers, None).expect("written");
        assert_eq!(
            out,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nconnection: Upgrade\r\n\r\n"
        );

        let mut out = Vec::new();
        let plain = [("Content-Type".to_string(), "text/plain".to_string())];
        write_response(&mut out, 426, "Upgrade Required", &plain, Some(b"ws only")).expect("ok");
        assert_eq!(
            out,
            b"HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\n\
              Content-Length: 7\r\n\r\nws only"
        );
    }

    #[test]
    fn a_response_cannot_smuggle_a_header() {
        let evil = [("X".to_string(), "1\r\nSet-Cookie: a=b".to_string())];
        let mut out = Vec::new();
        let e = write_response(&mut out, 200, "OK", &evil, None).expect_err("refused");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(out.is_empty());
    }
}
