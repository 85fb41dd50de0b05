//! The client side of the WebSocket upgrade (RFC 6455 section 4): build and
//! write the request, read the response (over [`crate::http`]), validate a
//! 101 and keep a non-101 whole (status, headers in wire order and case,
//! body) for diagnosis.
//!
//! The request's mandatory part comes from tungstenite's `generate_request`;
//! the user's headers are appended by us so that they keep the case the user
//! typed. With compression on, permessage-deflate is offered and the
//! server's answer checked (RFC 7692 section 7.1). Frames that arrive in the
//! same read as the 101 are handed to the [`Connection`]. How HTTP heads and
//! bodies are read and parsed is `http`'s, not this module's. This module
//! never reads or writes after the handshake: `session.rs` owns the socket
//! then.

use crate::config::Config;
use crate::deadline::is_timeout;
use crate::error::{
    Error, HandshakeProblem, Intermediary, MalformedResponse, Rejection, Result, TimeoutKind,
};
use crate::event::{Accepted, Emit, Event};
use crate::http::{self, HeadError, MAX_HEAD, ResponseHead};
use crate::net::tap::{Tap, Tracer};
use crate::net::{Stream, emit};
use crate::protocol::decode::Limits;
use crate::protocol::deflate::{self, DeflateParams, Refusal};
use crate::protocol::{Connection, Settings};
use std::io::Write;
use std::time::{Duration, Instant};
use tungstenite::handshake::client::{Request, generate_key, generate_request};
use tungstenite::handshake::derive_accept_key;

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
    /// The proxy the 101 came through, recognised from its headers.
    pub via: Option<Intermediary>,
}

/// Build the upgrade request. Returns the raw bytes and the key sent.
pub fn build_request(cfg: &Config) -> Result<(Vec<u8>, String)> {
    let t = &cfg.target;
    let key = if cfg.deterministic {
        TEST_KEY.to_string()
    } else {
        generate_key()
    };
    let host = http::header(&cfg.request.headers, "Host").unwrap_or(t.host_header.as_str());
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
    let timeout = |kind: TimeoutKind| Error::Timeout {
        kind,
        after: cfg.handshake_timeout,
    };

    stream.set_write_timeout(Some(cfg.handshake_timeout)).ok();
    send_request(&mut stream, &request, &timeout)?;
    emit(out, &Event::RequestSent { raw: &request });

    let response =
        http::read_response(&mut stream, deadline).map_err(|e| head_error(e, &stream, &timeout))?;
    let head = &response.head;

    if head.status != 101 {
        let rest = response.rest().to_vec();
        let (body, truncated) = http::read_body(&mut stream, head, rest, deadline);
        emit(
            out,
            &Event::ResponseReceived {
                head: response.raw_head(),
                body: &body,
                accepted: None,
            },
        );
        return Err(rejected(response.head, body, truncated));
    }

    let validation = validate(head, &key, &cfg.request.subprotocols, cfg.compress);
    emit(
        out,
        &Event::ResponseReceived {
            head: response.raw_head(),
            body: &[],
            accepted: validation.as_ref().ok().map(|a| Accepted {
                key: &key,
                accept: &a.accept,
            }),
        },
    );
    let Agreed {
        subprotocol,
        deflate,
        ..
    } = validation?;
    let took = start.elapsed();
    stream.set_timeouts(None).ok();
    let via = Intermediary::recognise(&head.headers, &[]);

    let early = response.rest().to_vec();
    let early_bytes = early.len();
    let settings = settings(cfg, deflate, crate::protocol::frame::Role::Client);
    let mut tap = Tap::new(stream, tracer(cfg));
    tap.saw_received(&early);
    let ws = Connection::new(tap, early, settings);
    Ok(Upgraded {
        ws,
        subprotocol,
        extensions: deflate.map(|d| d.to_string()),
        took,
        early_bytes,
        via,
    })
}

/// The engine's settings for a connection in `role` once the handshake
/// agreed on `deflate`: the size limits and masking from `cfg`.
pub fn settings(
    cfg: &Config,
    deflate: Option<DeflateParams>,
    role: crate::protocol::frame::Role,
) -> Settings {
    Settings {
        limits: Limits {
            max_message: cfg.max_message_size,
            max_frame: cfg.max_frame_size,
        },
        deflate,
        random_masks: !cfg.deterministic,
        role,
    }
}

/// The frame decoder for the trace `cfg` asks for, if any.
pub fn tracer(cfg: &Config) -> Option<Tracer> {
    match cfg.output.verbose {
        // Nothing decodes frames unless a trace will show them: the engine
        // does its own checks, and the hot path then pays one branch.
        _ if cfg.output.json => Some(Tracer::full(TRACE_PREVIEW_VVV)),
        0 | 1 => None,
        2 => Some(Tracer::full(TRACE_PREVIEW_VV)),
        _ => Some(Tracer::full(TRACE_PREVIEW_VVV)),
    }
}

/// Write the upgrade request and flush it; a write that runs out of time
/// is the handshake's timeout.
pub(crate) fn send_request<W: Write + ?Sized>(
    stream: &mut W,
    request: &[u8],
    timeout: &dyn Fn(TimeoutKind) -> Error,
) -> Result<()> {
    stream
        .write_all(request)
        .and_then(|()| stream.flush())
        .map_err(|e| {
            if is_timeout(&e) {
                timeout(TimeoutKind::HandshakeRequest)
            } else {
                Error::Io {
                    context: "cannot send the handshake request".into(),
                    source: e,
                }
            }
        })
}

/// A refused upgrade: the response kept whole for the diagnosis.
pub(crate) fn rejected(head: ResponseHead, body: Vec<u8>, body_truncated: bool) -> Error {
    Error::Rejected(Box::new(Rejection {
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        body,
        body_truncated,
    }))
}

/// The error for a response head that could not be read, in the words of
/// the handshake (a TLS alert read instead of the head is a TLS failure:
/// TLS 1.3 sends certificate_required only after the handshake).
pub(crate) fn head_error(
    e: HeadError,
    stream: &Stream,
    timeout: &dyn Fn(TimeoutKind) -> Error,
) -> Error {
    match e {
        HeadError::NotHttp { reason, received } => {
            Error::Malformed(MalformedResponse::NotHttp { reason, received })
        }
        HeadError::TooLarge { .. } => {
            Error::Malformed(MalformedResponse::TooLarge { limit: MAX_HEAD })
        }
        HeadError::TimedOut { received } => timeout(if received.is_empty() {
            TimeoutKind::HandshakeResponse
        } else {
            TimeoutKind::HandshakeHead
        }),
        HeadError::Closed { received } => {
            Error::Malformed(MalformedResponse::ClosedEarly { received })
        }
        HeadError::Io(e) => {
            if let Stream::Tls(t) = stream
                && let Some(tls) = t.explain(&e)
            {
                return tls;
            }
            Error::Io {
                context: "cannot read the handshake response".into(),
                source: e,
            }
        }
    }
}

/// What a valid 101 response agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    /// The Sec-WebSocket-Accept value, checked against our key.
    pub accept: String,
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
    if !head.has_token("Connection", "upgrade") {
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
    let extensions: Vec<&str> = http::values(&head.headers, "Sec-WebSocket-Extensions").collect();
    let deflate = match deflate::negotiate(&extensions, offered_deflate) {
        Ok(d) => d,
        Err(Refusal::NotOffered(ext)) => {
            return fail(HandshakeProblem::ExtensionNotOffered(ext));
        }
        Err(Refusal::Invalid(problem)) => {
            return fail(HandshakeProblem::BadExtension {
                sent: deflate::OFFER.into(),
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
        accept: expected,
        subprotocol,
        deflate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> ResponseHead {
        http::parse_response(raw.as_bytes())
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
                accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
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
            Err(Error::Handshake(HandshakeProblem::BadExtension {
                problem, received, ..
            })) => {
                assert!(problem.contains("server_max_window_bits=99"), "{problem}");
                assert!(received.contains("permessage-deflate"), "{received}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
