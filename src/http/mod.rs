//! HTTP/1.1 on both sides of a connection, as far as wsprobe speaks it:
//! reading a response head (the upgrade's answer, a proxy's answer to
//! CONNECT) and a response body (Content-Length, chunked, or up to EOF),
//! and, for a server, reading a request head and writing a response head.
//!
//! Every read here is bounded twice: in size ([`MAX_HEAD`], [`MAX_BODY`])
//! and in time (a deadline the caller sets). What went wrong is reported as
//! a [`HeadError`] that each caller words in its own error type, since a
//! timeout means "no handshake response" to one and "the proxy did not
//! answer" to another. This module knows no sockets (the caller's stream
//! implements [`ReadTimeout`]), no TLS and no WebSocket: it must not import
//! `net`, `handshake`, `config` or `output`.

mod body;
mod head;
mod request;
mod response;
#[cfg(test)]
mod script;

pub use body::{decode_chunked, read_body};
pub use head::{HeadError, Received};
pub use request::{RequestHead, parse_request, read_request, write_response};
pub use response::{ResponseHead, parse_response, read_response, read_response_exact};

pub use crate::deadline::is_timeout;
use crate::deadline::remaining;
use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Duration;

/// The largest head we read, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most of a body we keep, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// A byte stream whose blocking reads can be bounded in time: all that this
/// module needs of a socket to keep its deadlines.
pub trait ReadTimeout: Read {
    /// Bound each following blocking read (None: wait for ever).
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()>;
}

impl ReadTimeout for TcpStream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, t)
    }
}

/// The first value of header `name` (case-insensitive), as sent.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    values(headers, name).next()
}

/// Every value of header `name` (case-insensitive) in wire order, as sent.
pub fn values<'a>(headers: &'a [(String, String)], name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// All values of header `name` as one comma list (RFC 9110 section 5.6.1):
/// split, trimmed, empty items dropped, across repeats.
pub fn tokens<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    values(headers, name)
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Whether the comma list in header `name` holds `token` (both
/// case-insensitive), as `Connection: keep-alive, Upgrade` holds `upgrade`.
pub fn has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    tokens(headers, name)
        .iter()
        .any(|t| t.eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn header_lookup_ignores_case_and_keeps_the_first() {
        let hs = h(&[("X-A", "1"), ("x-a", "2"), ("B", " b ")]);
        assert_eq!(header(&hs, "x-A"), Some("1"));
        assert_eq!(header(&hs, "b"), Some(" b "));
        assert_eq!(header(&hs, "C"), None);
        assert_eq!(values(&hs, "X-a").collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn token_lists_span_repeats() {
        let hs = h(&[
            ("Connection", "keep-alive, ,Upgrade"),
            ("connection", "close"),
        ]);
        assert_eq!(
            tokens(&hs, "Connection"),
            ["keep-alive", "Upgrade", "close"]
        );
        assert!(has_token(&hs, "CONNECTION", "upgrade"));
        assert!(!has_token(&hs, "Connection", "upgrad"));
    }
}
