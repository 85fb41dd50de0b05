//! Response heads, as a client reads them: parsing (httparse, at most 128
//! header lines, garbage refused within its first five bytes) and reading
//! one off a stream, in chunks or a byte at a time. What the status means
//! is the caller's (`handshake.rs`, `net/proxy.rs`).

use super::ReadTimeout;
use super::head::{HeadError, Parsed, Received, read_head};
use std::time::Instant;

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// e.g. 1 for HTTP/1.1.
    pub minor_version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers in wire order and case.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
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

/// Parse a response head if `buf` holds a complete one.
pub fn parse_response(buf: &[u8]) -> Parsed<ResponseHead> {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut storage);
    let not_http = |reason: String| HeadError::NotHttp {
        reason,
        received: buf[..buf.len().min(512)].to_vec(),
    };
    match resp.parse(buf) {
        Ok(httparse::Status::Partial) => {
            // httparse accepts any prefix of "HTTP/1.x"; reject early garbage.
            let probe = &buf[..buf.len().min(5)];
            if !b"HTTP/"[..probe.len()].eq_ignore_ascii_case(probe) {
                return Err(not_http("it does not start with HTTP/".into()));
            }
            Ok(None)
        }
        Ok(httparse::Status::Complete(n)) => {
            let head = ResponseHead {
                minor_version: resp.version.unwrap_or(1),
                status: resp.code.unwrap_or(0),
                reason: resp.reason.unwrap_or("").to_string(),
                headers: resp
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

/// Read a response head from `s` before `deadline`, in chunks: what came
/// after the head in the same reads (frames sent with a 101, the start of
/// a body) is in [`Received::rest`].
pub fn read_response<S: ReadTimeout + ?Sized>(
    s: &mut S,
    deadline: Instant,
) -> Result<Received<ResponseHead>, HeadError> {
    read_head(s, deadline, false, parse_response)
}

/// Read a response head from `s` before `deadline` a byte at a time,
/// leaving everything after it in the stream (a proxy's answer to CONNECT,
/// after which the tunnel's bytes are the server's).
pub fn read_response_exact<S: ReadTimeout + ?Sized>(
    s: &mut S,
    deadline: Instant,
) -> Result<Received<ResponseHead>, HeadError> {
    read_head(s, deadline, true, parse_response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::script::Script;
    use std::io::Read;
    use std::time::Duration;

    fn head(raw: &str) -> ResponseHead {
        parse_response(raw.as_bytes())
            .expect("parses")
            .expect("complete")
            .1
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn garbage_is_not_http_early() {
        assert!(parse_response(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_response(b"\x16\x03\x01\x02\x00").is_err());
        assert!(parse_response(b"HTT").expect("prefix ok").is_none());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nA: b\r\n")
                .expect("partial")
                .is_none()
        );
    }

    #[test]
    fn headers_keep_wire_order_and_case() {
        let h = head("HTTP/1.1 404 Not Found\r\nX-B: 2\r\nx-a: 1\r\n\r\n");
        assert_eq!(
            h.headers,
            [("X-B".into(), "2".into()), ("x-a".into(), "1".into())]
        );
        assert_eq!(h.reason, "Not Found");
    }

    #[test]
    fn chunked_reads_keep_what_follows_the_head() {
        let mut s = Script::new(&[b"HTTP/1.1 101 Switching", b" Protocols\r\n\r\n\x81\x02hi"]);
        let got = read_response(&mut s, soon()).expect("complete");
        assert_eq!(got.head.status, 101);
        assert_eq!(got.raw_head(), b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
        assert_eq!(got.rest(), b"\x81\x02hi");
    }

    #[test]
    fn exact_reads_leave_what_follows_the_head_in_the_stream() {
        let mut s = Script::new(&[b"HTTP/1.1 200 OK\r\n\r\nserver bytes"]);
        let got = read_response_exact(&mut s, soon()).expect("complete");
        assert_eq!(got.head.status, 200);
        assert!(got.rest().is_empty());
        let mut left = Vec::new();
        s.read_to_end(&mut left).expect("script");
        assert_eq!(left, b"server bytes");
    }

    #[test]
    fn a_close_before_the_end_keeps_what_came() {
        let mut s = Script::new(&[b"HTTP/1.1 200 OK\r\n"]);
        match read_response(&mut s, soon()) {
            Err(HeadError::Closed { received }) => assert_eq!(received, b"HTTP/1.1 200 OK\r\n"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
