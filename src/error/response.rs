//! The facts about an HTTP response that was not what we asked for (a
//! refused upgrade, a proxy's refusal of CONNECT): its telling headers and
//! a preview of its body, as lines under the headline. One function,
//! [`response_facts`], with a [`Preview`] saying which headers tell and how
//! peer bytes are shown; both the error's own facts (`hints.rs`) and the
//! report of a refused upgrade (`output::report`) use it.
//!
//! Words only: it never prints, and it escapes peer bytes whenever the
//! preview says the lines may reach a terminal (`format::sanitize`).

use super::Rejection;
use crate::format::sanitize::{escape, escape_preview};

/// How the facts of a response are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preview {
    /// The headers worth a line, compared case-insensitively, shown in the
    /// response's order.
    pub headers: &'static [&'static str],
    /// Escape control, bidi and zero-width characters (the lines may reach
    /// a terminal); otherwise bytes pass unchanged (invalid UTF-8 aside).
    pub escape: bool,
    /// At most this many bytes of a header value or a body line, with "…"
    /// when cut; None keeps them whole.
    pub line_max: Option<usize>,
    /// At most this many body lines; None shows them all.
    pub max_lines: Option<usize>,
}

impl Preview {
    /// A proxy's refusal of CONNECT: one-line, escaped facts of the error
    /// itself (they may be shown anywhere, JSON included).
    pub const PROXY_REFUSAL: Preview = Preview {
        headers: &[
            "Proxy-Authenticate",
            "Content-Type",
            "Server",
            "Via",
            "X-Squid-Error",
        ],
        escape: true,
        line_max: Some(200),
        max_lines: Some(20),
    };

    /// A refused upgrade in the error report without -v (the trace shows
    /// the whole response with -v): the body whole, escaped on a terminal.
    pub fn refused_upgrade(tty: bool) -> Preview {
        Preview {
            headers: &[
                "Location",
                "WWW-Authenticate",
                "Retry-After",
                "Sec-WebSocket-Version",
                "Content-Type",
                "Server",
                "Via",
                "X-Cache",
            ],
            escape: tty,
            line_max: None,
            max_lines: None,
        }
    }

    /// One header value or body line as shown.
    fn show(&self, bytes: &[u8]) -> String {
        match (self.escape, self.line_max) {
            (true, Some(max)) => escape_preview(bytes, max),
            (true, None) => escape(bytes, false),
            (false, max) => {
                let cut = max.filter(|m| bytes.len() > *m);
                let mut s =
                    String::from_utf8_lossy(&bytes[..cut.unwrap_or(bytes.len())]).into_owned();
                if cut.is_some() {
                    s.push('…');
                }
                s
            }
        }
    }
}

/// The lines about `r`: `< Name: value` for each telling header, then
/// `body (N bytes[, truncated]):` and `| line` for each body line (the
/// line breaks of the body, CRLF or LF; trailing blank lines dropped).
pub fn response_facts(r: &Rejection, p: &Preview) -> Vec<String> {
    let mut f: Vec<String> = r
        .headers
        .iter()
        .filter(|(n, _)| p.headers.iter().any(|h| h.eq_ignore_ascii_case(n)))
        .map(|(n, v)| format!("< {n}: {}", p.show(v.as_bytes())))
        .collect();
    if r.body.is_empty() {
        return f;
    }
    f.push(format!(
        "body ({} bytes{}):",
        r.body.len(),
        if r.body_truncated { ", truncated" } else { "" }
    ));
    let end = r
        .body
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    let lines = r.body[..end]
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    for line in lines.take(p.max_lines.unwrap_or(usize::MAX)) {
        f.push(format!("| {}", p.show(line)));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(headers: &[(&str, &str)], body: &[u8]) -> Rejection {
        Rejection {
            status: 400,
            reason: "Bad Request".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
            body_truncated: false,
        }
    }

    #[test]
    fn telling_headers_in_wire_order_then_the_body_by_lines() {
        let r = rejection(
            &[("server", "nginx"), ("X-Other", "no"), ("Via", "1.1 squid")],
            b"one\r\ntwo\n\n",
        );
        assert_eq!(
            response_facts(&r, &Preview::PROXY_REFUSAL),
            [
                "< server: nginx",
                "< Via: 1.1 squid",
                "body (10 bytes):",
                "| one",
                "| two"
            ]
        );
    }

    #[test]
    fn escaping_and_limits_follow_the_preview() {
        let mut body = b"a\x1b[31m\n".repeat(30);
        body.extend(b"x".repeat(300));
        let r = rejection(&[], &body);
        let proxy = response_facts(&r, &Preview::PROXY_REFUSAL);
        assert_eq!(proxy.len(), 21, "the header line and 20 body lines");
        assert_eq!(proxy[1], "| a\\x1b[31m");
        let raw = response_facts(&r, &Preview::refused_upgrade(false));
        assert_eq!(raw.len(), 32);
        assert_eq!(raw[1], "| a\x1b[31m");
        assert_eq!(raw[31].len(), 302, "whole, not cut");
        let tty = response_facts(&r, &Preview::refused_upgrade(true));
        assert_eq!(tty[1], "| a\\x1b[31m");
        let cut = Preview {
            line_max: Some(4),
            ..Preview::refused_upgrade(false)
        };
        assert_eq!(response_facts(&r, &cut)[31], "| xxxx…");
    }
}
