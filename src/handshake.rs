//! The HTTP/1.1 upgrade (RFC 6455 section 4): build and write the request,
//! read the whole response ourselves, validate a 101 and keep a non-101
//! whole (status, headers in wire order and case, body) for diagnosis.
//!
//! The request's mandatory part comes from tungstenite's `generate_request`;
//! the user's headers are appended by us so that they keep the case the user
//! typed. With compression on, permessage-deflate is offered and the
//! server's answer checked (RFC 7692 section 7.1). Frames that arrive in the
//! same read as the 101 are handed to the [`Connection`]. This module never
//! reads or writes after the handshake: `session.rs` owns the socket then.

use crate::config::Config;
use crate::error::{Error, HandshakeProblem, MalformedResponse, Rejection, Result};
use crate::event::{Emit, Event};
use crate::net::tap::{Tap, Tracer};
use crate::net::{Stream, emit, remaining};
use crate::protocol::decode::Limits;
use crate::protocol::deflate::{self, DeflateParams, Refusal};
use crate::protocol::{Connection, Settings};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};
use tungstenite::handshake::client::{Request, generate_key, generate_request};
use tungstenite::handshake::derive_accept_key;

/// The largest response head we read, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most of a non-101 body we keep, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Payload bytes shown per frame at -vv.
pub const TRACE_PREVIEW_VV: usize = 120;
/// Payload bytes shown per frame at -vvv (and kept for --json).
pub const TRACE_PREVIEW_VVV: usize = 1024;
/// The fixed key for deterministic runs (the RFC 6455 section 1.3 example).
const TEST_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// An open WebSocket and what the handshake established.
pub struct Upgraded {
    /// The session, ready for `session::Session`.
    pub ws: Connection<Tap<Stream>>,
    /// The subprotocol the server chose.
    pub subprotocol: Option<String>,
    /// The extension agreed, in header syntax (permessage-deflate and its
    /// parameters), if any.
    pub extensions: Option<String>,
    /// From the first byte written to the end of the 101 response.
    pub took: Duration,
    /// Bytes of WebSocket frames that came in the same read as the 101.
    pub early_bytes: usize,
}

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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of a header, comma-split and trimmed, across repeats.
    pub fn tokens(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// Build the upgrade request. Returns the raw bytes and the key sent.
pub fn build_request(cfg: &Config) -> Result<(Vec<u8>, String)> {
    let t = &cfg.target;
    let key = if cfg.deterministic {
        TEST_KEY.to_string()
    } else {
        generate_key()
    };
    let host = cfg
        .request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Host"))
        .map_or(t.host_header.as_str(), |(_, v)| v.as_str());
    let req = Request::builder()
        .method("GET")
        .uri(t.path.as_str())
        .header("Host", host)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", key.as_str())
        .body(())
        .map_err(|e| Error::Usage(format!("cannot build the request: {e}")))?;
    let (mut raw, key) = generate_request(req)
        .map_err(|e| Error::Usage(format!("cannot build the request: {e}")))?;
    // generate_request ends the head with an empty line; our headers go before it.
    raw.truncate(raw.len().saturating_sub(2));
    for (name, value) in &cfg.request.headers {
        if name.eq_ignore_ascii_case("Host") {
            continue;
        }
        push_header(&mut raw, name, value);
    }
    if !cfg.request.subprotocols.is_empty() {
        push_header(
            &mut raw,
            "Sec-WebSocket-Protocol",
            &cfg.request.subprotocols.join(", "),
        );
    }
    if cfg.compress {
        push_header(&mut raw, "Sec-WebSocket-Extensions", deflate::OFFER);
    }
    raw.extend_from_slice(b"\r\n");
    Ok((raw, key))
}

fn push_header(raw: &mut Vec<u8>, name: &str, value: &str) {
    raw.extend_from_slice(name.as_bytes());
    raw.extend_from_slice(b": ");
    raw.extend_from_slice(value.as_bytes());
    raw.extend_from_slice(b"\r\n");
}

/// Perform the upgrade on a connected stream.
pub fn upgrade(mut stream: Stream, cfg: &Config, out: &mut dyn Emit) -> Result<Upgraded> {
    let (request, key) = build_request(cfg)?;
    let start = Instant::now();
    let deadline = start + cfg.handshake_timeout;
    let timeout = |what: &str| Error::Timeout {
        what: what.to_string(),
        after: cfg.handshake_timeout,
    };

    stream.set_write_timeout(Some(cfg.handshake_timeout)).ok();
    stream
        .write_all(&request)
        .and_then(|()| stream.flush())
        .map_err(|e| {
            if is_timeout(&e) {
                timeout("writing the handshake request")
            } else {
                Error::Io {
                    context: "cannot send the handshake request".into(),
                    source: e,
                }
            }
        })?;
    emit(out, &Event::RequestSent { raw: &request });

    let (head_len, buf, head) = read_head(&mut stream, deadline, &timeout)?;

    if head.status != 101 {
        let mut raw_body = buf[head_len..].to_vec();
        let (body, truncated) = read_body(&mut stream, &head, &mut raw_body, deadline);
        emit(
            out,
            &Event::ResponseReceived {
                head: &buf[..head_len],
                body: &body,
                accept_verified: false,
            },
        );
        return Err(Error::Rejected(Box::new(Rejection {
            status: head.status,
            reason: head.reason,
            headers: head.headers,
            body,
            body_truncated: truncated,
        })));
    }

    let validation = validate(&head, &key, &cfg.request.subprotocols, cfg.compress);
    emit(
        out,
        &Event::ResponseReceived {
            head: &buf[..head_len],
            body: &[],
            accept_verified: validation.is_ok(),
        },
    );
    let Agreed {
        subprotocol,
        deflate,
    } = validation?;
    let took = start.elapsed();
    stream.set_timeouts(None).ok();

    let early = buf[head_len..].to_vec();
    let early_bytes = early.len();
    let settings = Settings {
        limits: Limits {
            max_message: cfg.max_message_size,
            max_frame: cfg.max_frame_size,
        },
        deflate,
        random_masks: !cfg.deterministic,
        role: crate::protocol::frame::Role::Client,
    };
    let tracer = match cfg.output.verbose {
        // Nothing decodes frames unless a trace will show them: the engine
        // does its own checks, and the hot path then pays one branch.
        _ if cfg.output.json => Some(Tracer::full(TRACE_PREVIEW_VVV)),
        0 | 1 => None,
        2 => Some(Tracer::full(TRACE_PREVIEW_VV)),
        _ => Some(Tracer::full(TRACE_PREVIEW_VVV)),
    };
    let mut tap = Tap::new(stream, tracer);
    tap.saw_received(&early);
    let ws = Connection::new(tap, early, settings);
    Ok(Upgraded {
        ws,
        subprotocol,
        extensions: deflate.map(|d| d.to_string()),
        took,
        early_bytes,
    })
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Read until a complete response head has arrived. Returns the head's
/// length, everything read so far, and the parsed head.
fn read_head(
    stream: &mut Stream,
    deadline: Instant,
    timeout: &dyn Fn(&str) -> Error,
) -> Result<(usize, Vec<u8>, ResponseHead)> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some((n, head)) = parse_head(&buf)? {
            return Ok((n, buf, head));
        }
        if buf.len() > MAX_HEAD {
            return Err(Error::Malformed(MalformedResponse::TooLarge {
                limit: MAX_HEAD,
            }));
        }
        let Some(left) = remaining(deadline) else {
            return Err(timeout(if buf.is_empty() {
                "no handshake response arrived"
            } else {
                "the handshake response head never completed"
            }));
        };
        stream.set_read_timeout(Some(left)).ok();
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Error::Malformed(MalformedResponse::ClosedEarly {
                    received: buf,
                }));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::Malformed(MalformedResponse::ClosedEarly {
                    received: buf,
                }));
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                return Err(Error::Malformed(MalformedResponse::ClosedEarly {
                    received: buf,
                }));
            }
            Err(e) => {
                // A TLS alert after the handshake (TLS 1.3 sends
                // certificate_required only now) is a TLS failure.
                if let Stream::Tls(t) = stream
                    && let Some(tls) = t.explain(&e)
                {
                    return Err(tls);
                }
                return Err(Error::Io {
                    context: "cannot read the handshake response".into(),
                    source: e,
                });
            }
        }
    }
}

/// Parse a response head if `buf` holds a complete one.
pub fn parse_head(buf: &[u8]) -> Result<Option<(usize, ResponseHead)>> {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut storage);
    let not_http = |reason: String| {
        Error::Malformed(MalformedResponse::NotHttp {
            reason,
            received: buf[..buf.len().min(512)].to_vec(),
        })
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

/// What a valid 101 response agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    /// The subprotocol the server chose, if any.
    pub subprotocol: Option<String>,
    /// permessage-deflate, if the server accepted our offer.
    pub deflate: Option<DeflateParams>,
}

/// Check a 101 response against RFC 6455 section 4.1 (and RFC 7692
/// section 7.1 when `offered_deflate`): what it agreed to, or what is wrong.
pub fn validate(
    head: &ResponseHead,
    key: &str,
    offered: &[String],
    offered_deflate: bool,
) -> Result<Agreed> {
    let fail = |p| Err(Error::Handshake(p));
    if head.minor_version != 1 {
        return fail(HandshakeProblem::BadVersion(format!(
            "HTTP/1.{}",
            head.minor_version
        )));
    }
    match head.header("Upgrade") {
        Some(v) if v.trim().eq_ignore_ascii_case("websocket") => {}
        other => return fail(HandshakeProblem::BadUpgrade(other.map(str::to_string))),
    }
    if !head
        .tokens("Connection")
        .iter()
        .any(|t| t.eq_ignore_ascii_case("upgrade"))
    {
        return fail(HandshakeProblem::BadConnection(
            head.header("Connection").map(str::to_string),
        ));
    }
    let expected = derive_accept_key(key.as_bytes());
    let received = head.header("Sec-WebSocket-Accept").map(str::trim);
    if received != Some(expected.as_str()) {
        return fail(HandshakeProblem::AcceptMismatch {
            key: key.to_string(),
            expected,
            received: received.map(str::to_string),
        });
    }
    let extensions: Vec<&str> = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
        .map(|(_, v)| v.as_str())
        .collect();
    let deflate = match deflate::negotiate(&extensions, offered_deflate) {
        Ok(d) => d,
        Err(Refusal::NotOffered(ext)) => {
            return fail(HandshakeProblem::ExtensionNotOffered(ext));
        }
        Err(Refusal::Invalid(problem)) => {
            return fail(HandshakeProblem::BadExtension {
                received: extensions.join(", "),
                problem,
            });
        }
    };
    let chosen = head.tokens("Sec-WebSocket-Protocol");
    let subprotocol = match chosen.as_slice() {
        [] => None,
        [one] if offered.iter().any(|o| o == one) => Some(one.to_string()),
        _ => {
            return fail(HandshakeProblem::SubprotocolNotOffered {
                chosen: chosen.join(", "),
                offered: offered.to_vec(),
            });
        }
    };
    Ok(Agreed {
        subprotocol,
        deflate,
    })
}

/// Read a non-101 body: by Content-Length, chunked, or up to EOF; at most
/// [`MAX_BODY`] bytes kept and never past the handshake deadline (nor more
/// than two seconds after the head when the end is not marked).
pub(crate) fn read_body(
    stream: &mut Stream,
    head: &ResponseHead,
    raw: &mut Vec<u8>,
    deadline: Instant,
) -> (Vec<u8>, bool) {
    let chunked = head
        .tokens("Transfer-Encoding")
        .iter()
        .any(|t| t.eq_ignore_ascii_case("chunked"));
    let length = head
        .header("Content-Length")
        .and_then(|v| v.trim().parse::<usize>().ok());
    let no_body = matches!(head.status, 100..=199 | 204 | 304) || length == Some(0);
    let deadline = deadline.min(Instant::now() + Duration::from_secs(2));
    let mut chunk = [0u8; 8192];
    let raw_cap = MAX_BODY * 2;
    let mut eof = false;
    loop {
        if no_body {
            break;
        }
        let done = if chunked {
            decode_chunked(raw).1
        } else if let Some(len) = length {
            raw.len() >= len
        } else {
            false
        };
        if done || raw.len() >= raw_cap {
            break;
        }
        let Some(left) = remaining(deadline) else {
            break;
        };
        stream.set_read_timeout(Some(left)).ok();
        match stream.read(&mut chunk) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let (mut body, complete) = if no_body {
        (Vec::new(), true)
    } else if chunked {
        decode_chunked(raw)
    } else if let Some(len) = length {
        let b = raw[..raw.len().min(len)].to_vec();
        let complete = b.len() == len;
        (b, complete)
    } else {
        (raw.clone(), eof)
    };
    let mut truncated = !complete;
    if body.len() > MAX_BODY {
        body.truncate(MAX_BODY);
        truncated = true;
    }
    (body, truncated)
}

/// Decode a chunked body (RFC 9112 section 7.1) as far as it goes. Returns
/// the data and whether the last chunk was seen.
pub fn decode_chunked(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let Some(eol) = find(&raw[pos..], b"\r\n") else {
            return (out, false);
        };
        let line = &raw[pos..pos + eol];
        let size_part = line.split(|&c| c == b';').next().unwrap_or(b"");
        let size = std::str::from_utf8(size_part)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size else {
            return (out, false);
        };
        pos += eol + 2;
        if size == 0 {
            return (out, true);
        }
        let end = pos.saturating_add(size);
        if end > raw.len() {
            out.extend_from_slice(&raw[pos..]);
            return (out, false);
        }
        out.extend_from_slice(&raw[pos..end]);
        pos = end;
        if raw.len() < pos + 2 {
            return (out, false);
        }
        pos += 2;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> ResponseHead {
        parse_head(raw.as_bytes())
            .expect("parses")
            .expect("complete")
            .1
    }

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const GOOD: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    #[test]
    fn valid_101_passes() {
        let h = head(&format!("{GOOD}\r\n"));
        assert_eq!(
            validate(&h, KEY, &[], true).expect("valid"),
            Agreed {
                subprotocol: None,
                deflate: None
            }
        );
    }

    #[test]
    fn accept_mismatch_reports_both_values() {
        let h = head(
            "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n",
        );
        match validate(&h, KEY, &[], false) {
            Err(Error::Handshake(HandshakeProblem::AcceptMismatch {
                expected, received, ..
            })) => {
                assert_eq!(expected, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
                assert_eq!(received.as_deref(), Some("AAAA"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn connection_token_list_is_understood() {
        let h = head(
            "HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        );
        assert!(validate(&h, KEY, &[], false).is_ok());
        let h = head(
            "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        );
        assert!(matches!(
            validate(&h, KEY, &[], false),
            Err(Error::Handshake(HandshakeProblem::BadConnection(None)))
        ));
    }

    #[test]
    fn subprotocol_must_be_offered() {
        let h = head(&format!("{GOOD}Sec-WebSocket-Protocol: chat\r\n\r\n"));
        assert_eq!(
            validate(&h, KEY, &["chat".into()], false)
                .expect("ok")
                .subprotocol
                .as_deref(),
            Some("chat")
        );
        assert!(validate(&h, KEY, &["other".into()], false).is_err());
        assert!(validate(&h, KEY, &[], false).is_err());
    }

    #[test]
    fn unoffered_extension_fails() {
        let h = head(&format!(
            "{GOOD}Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        ));
        assert!(matches!(
            validate(&h, KEY, &[], false),
            Err(Error::Handshake(HandshakeProblem::ExtensionNotOffered(_)))
        ));
    }

    #[test]
    fn offered_deflate_is_accepted_with_its_parameters() {
        let h = head(&format!(
            "{GOOD}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9\r\n\r\n"
        ));
        let agreed = validate(&h, KEY, &[], true).expect("valid");
        assert_eq!(
            agreed.deflate.map(|d| d.client_max_window_bits),
            Some(Some(9))
        );
        let h = head(&format!(
            "{GOOD}Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n\r\n"
        ));
        match validate(&h, KEY, &[], true) {
            Err(Error::Handshake(HandshakeProblem::BadExtension { problem, received })) => {
                assert!(problem.contains("server_max_window_bits=99"), "{problem}");
                assert!(received.contains("permessage-deflate"), "{received}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_not_http_early() {
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_head(b"\x16\x03\x01\x02\x00").is_err());
        assert!(parse_head(b"HTT").expect("prefix ok").is_none());
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n")
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
    fn chunked_bodies_decode() {
        assert_eq!(
            decode_chunked(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"),
            (b"hello world".to_vec(), true)
        );
        assert_eq!(decode_chunked(b"5\r\nhel"), (b"hel".to_vec(), false));
        assert_eq!(decode_chunked(b"zz\r\n"), (Vec::new(), false));
        assert_eq!(
            decode_chunked(b"ffffffffffffffff\r\nab"),
            (b"ab".to_vec(), false)
        );
    }
}
