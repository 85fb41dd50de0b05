//! The words of listen mode's lines (the plain printer shows them after
//! `* #ID`): why a request was refused, naming the rule of RFC 6455
//! section 4.2.1 it breaks and what the request looks like; what a client
//! opened; how its session ended. Pure functions of the events' data; the
//! printers decide when a line shows.

use crate::event::{ClientEnd, Dropped, PlainRequest, RequestProblem, StaticOutcome};
use crate::format::{bytes, close_code_name, sanitize, secs};
use std::net::SocketAddr;
use std::time::Duration;

/// A client's text (a path, a header value) as a line shows it: escaped
/// on a terminal, as sent on a pipe.
fn shown(v: &str, tty: bool) -> String {
    if tty {
        sanitize::escape(v.as_bytes(), false)
    } else {
        v.to_string()
    }
}

/// What a refused request did wrong (or what it looks like), and the rule.
pub fn problem_words(p: &RequestProblem, tty: bool) -> String {
    let shown = |v: &str| shown(v, tty);
    match p {
        RequestProblem::Method(m) => format!(
            "the method is {}, not GET (RFC 6455 section 4.2.1)",
            shown(m)
        ),
        RequestProblem::OldHttp(minor) => format!(
            "the request is HTTP/1.{minor}; an upgrade needs HTTP/1.1 (RFC 6455 section 4.2.1)"
        ),
        RequestProblem::NoHost => "no Host header (RFC 6455 section 4.2.1)".into(),
        RequestProblem::Plain(kind) => match kind {
            PlainRequest::Browser => "a plain HTTP request with Accept: text/html: \
                a browser tab opened on the URL, not a WebSocket (answered with a short text page)"
                .into(),
            PlainRequest::UpgradeStripped { proxied: true } => {
                "a WebSocket request (it has Sec-WebSocket-Key) without Upgrade and Connection: \
                 the proxy it came through (Via/Forwarded/X-Forwarded-For) removed them; \
                 configure the proxy to pass the upgrade"
                    .into()
            }
            PlainRequest::UpgradeStripped { proxied: false } => {
                "a WebSocket request (it has Sec-WebSocket-Key) without Upgrade and Connection: \
                 something in between probably removed them (RFC 6455 section 4.2.1)"
                    .into()
            }
            PlainRequest::Proxied => "a plain HTTP request relayed by a proxy \
                (Via/Forwarded/X-Forwarded-For) with no Upgrade header: the proxy does not pass \
                WebSocket upgrades"
                .into(),
            PlainRequest::Fetch => "a plain HTTP request with no Upgrade header: the client \
                fetched http:// instead of opening a WebSocket"
                .into(),
        },
        RequestProblem::BadUpgrade(v) => format!(
            "Upgrade: {} does not name websocket (RFC 6455 section 4.2.1)",
            shown(v)
        ),
        RequestProblem::NoConnectionUpgrade(None) => {
            "no Connection header; it must hold the upgrade token (RFC 6455 section 4.2.1)".into()
        }
        RequestProblem::NoConnectionUpgrade(Some(v)) => format!(
            "Connection: {} lacks the upgrade token (RFC 6455 section 4.2.1)",
            shown(v)
        ),
        RequestProblem::NoKey => "no Sec-WebSocket-Key header (RFC 6455 section 4.2.1)".into(),
        RequestProblem::BadKey(k) => format!(
            "Sec-WebSocket-Key '{}' is not the base64 of 16 bytes (RFC 6455 section 4.1)",
            shown(k)
        ),
        RequestProblem::Version(None) => {
            "no Sec-WebSocket-Version header; answered with the version we speak, 13 \
             (RFC 6455 section 4.4)"
                .into()
        }
        RequestProblem::Version(Some(v)) => format!(
            "Sec-WebSocket-Version is {}, not 13; answered with the version we speak \
             (RFC 6455 section 4.4)",
            shown(v)
        ),
        RequestProblem::Busy { limit } => {
            format!("--max-clients {limit} reached (clients connected or in their handshake)")
        }
        RequestProblem::NotHttp { tls: true, .. } => "the client speaks TLS: it connected with \
            wss:// (or https://) to this ws:// listener; nothing was answered"
            .into(),
        RequestProblem::NotHttp { reason, .. } => {
            format!("the bytes are not an HTTP request ({})", shown(reason))
        }
        RequestProblem::TooLarge { limit } => {
            format!("the request head is larger than {limit} bytes")
        }
        RequestProblem::TimedOut { received: 0, after } => format!(
            "sent no request within {} (--handshake-timeout); cut off",
            secs(*after)
        ),
        RequestProblem::TimedOut { received, after } => format!(
            "sent {received} bytes but no complete request head within {} \
             (--handshake-timeout); cut off",
            secs(*after)
        ),
        RequestProblem::TlsFailed(e) => format!("the TLS handshake failed: {}", shown(e)),
        RequestProblem::PlainOverTls => "the client sent plain HTTP to this wss:// listener: \
            it connected with ws:// (or http://); answered in plain text"
            .into(),
        // Browsers open a spare connection ahead of time and may close it
        // unused: say so, since it is no fault of the page.
        RequestProblem::ClosedEarly { received: 0 } => "closed the connection before sending a \
            request (a browser's spare connection, closed unused, looks like this)"
            .into(),
        RequestProblem::ClosedEarly { received } => {
            format!("closed the connection after {received} bytes, before a complete request head")
        }
    }
}

/// `Refused 127.0.0.1:5555 (400 Bad Request): no Sec-WebSocket-Key ...`.
pub fn refused_line(
    addr: SocketAddr,
    status: Option<(u16, &str)>,
    p: &RequestProblem,
    tty: bool,
) -> String {
    let status = status
        .map(|(code, reason)| format!(" ({code} {reason})"))
        .unwrap_or_default();
    format!("Refused {addr}{status}: {}", problem_words(p, tty))
}

/// `GET /app.js from 127.0.0.1:5555: 200, 1.2 KiB text/javascript (--static)`.
pub fn file_line(
    addr: SocketAddr,
    path: &str,
    status: u16,
    outcome: &StaticOutcome,
    tty: bool,
) -> String {
    let path = shown(path, tty);
    let what = match outcome {
        StaticOutcome::Sent {
            bytes: n,
            content_type,
        } => format!("{}, {content_type}", bytes(*n as usize)),
        StaticOutcome::NotFound => "no such file in --static DIR".into(),
        StaticOutcome::Outside => "the path leads outside --static DIR; refused".into(),
        StaticOutcome::BadPath => "not a path that can name a file".into(),
        StaticOutcome::Failed(e) => format!("failed: {e}"),
    };
    format!("GET {path} from {addr}: {status}, {what} (--static)")
}

/// `Open: 127.0.0.1:5555 GET /chat (subprotocol: none, offered: a, b; extensions: none)`.
pub fn open_line(
    addr: SocketAddr,
    path: &str,
    offered: &[String],
    subprotocol: Option<&str>,
    extensions: Option<&str>,
    tty: bool,
) -> String {
    let path = shown(path, tty);
    let offer = if offered.is_empty() {
        String::new()
    } else {
        format!(", offered: {}", offered.join(", "))
    };
    format!(
        "Open: {addr} GET {path} (subprotocol: {}{offer}; extensions: {})",
        subprotocol.unwrap_or("none"),
        extensions.unwrap_or("none")
    )
}

/// How a client's session ended, with its own Close code and reason.
pub fn ended_line(
    addr: SocketAddr,
    end: &ClientEnd<'_>,
    after: Duration,
    received: u64,
    quoted: impl Fn(&str) -> String,
) -> String {
    let plural = if received == 1 { "" } else { "s" };
    let tail = format!("after {}, {received} message{plural} received", secs(after));
    match end {
        ClientEnd::Closed {
            code,
            reason,
            by_client,
        } => {
            let how = if matches!(code, 1000 | 1001 | 1005) {
                "cleanly"
            } else {
                "abnormally"
            };
            let who = if *by_client {
                "client initiated"
            } else {
                "server initiated"
            };
            format!(
                "Closed {how} ({code} {}{}, {who}) {tail}",
                close_code_name(*code),
                quoted(reason)
            )
        }
        ClientEnd::Violation(v) => format!(
            "Protocol error by {addr}: {}; closed with {} {} {tail}",
            v.seen_by(crate::protocol::frame::Role::Server),
            v.close_code(),
            close_code_name(v.close_code())
        ),
        ClientEnd::Dropped(d) => {
            let what = match d {
                Dropped::Eof => {
                    "closed the TCP connection without a Close frame (1006 Abnormal Closure)".into()
                }
                Dropped::Reset => "reset the connection (TCP RST; 1006 Abnormal Closure)".into(),
                Dropped::CloseUnanswered(t) => format!(
                    "did not answer our Close within {} (--close-timeout); disconnected",
                    secs(*t)
                ),
                Dropped::TooSlow(n) => format!(
                    "stopped reading: {n} bytes waited for it; disconnected as too slow, \
                     the other clients go on"
                ),
                Dropped::NoPong(t) => format!(
                    "answered no ping within {} (--ping-timeout); disconnected",
                    secs(*t)
                ),
                Dropped::Failed(e) => format!("failed: {e}"),
            };
            format!("Dropped {addr}: {what} {tail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::Violation;

    fn addr() -> SocketAddr {
        "127.0.0.1:5555".parse().expect("addr")
    }

    #[test]
    fn lines_name_the_client_the_rule_and_the_close() {
        assert_eq!(
            refused_line(
                addr(),
                Some((400, "Bad Request")),
                &RequestProblem::NoKey,
                false
            ),
            "Refused 127.0.0.1:5555 (400 Bad Request): no Sec-WebSocket-Key header (RFC 6455 section 4.2.1)"
        );
        let v = Violation::CloseCode(1005);
        let line = ended_line(
            addr(),
            &ClientEnd::Violation(&v),
            Duration::from_millis(1500),
            1,
            |_| String::new(),
        );
        assert_eq!(
            line,
            "Protocol error by 127.0.0.1:5555: the client's Close frame has code 1005, which may \
             not be sent (section 7.4); closed with 1002 Protocol Error after 1.50 s, 1 message received"
        );
        let m = RequestProblem::Method("P\u{1b}[31mOST".into());
        assert!(
            !problem_words(&m, true).contains('\u{1b}'),
            "escaped on a TTY"
        );
    }
}
