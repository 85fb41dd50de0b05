//! Turns [`Event`]s into bytes: message payloads on stdout, everything else
//! on stderr. The only module that formats for people.
//!
//! stdout carries payloads only, so `| jq` works: text messages plus a
//! newline; binary messages byte for byte with `-b`, otherwise as one line of
//! lowercase hex (on a terminal, `[binary N bytes]` and spaced hex). stdout
//! is buffered and flushed when the session goes idle, or per message on a
//! terminal. The trace on stderr follows curl: `*` info, `>` request, `<`
//! response lines.

pub mod pretty;
pub mod repl;
pub mod sanitize;
pub mod timestamp;

use crate::config::OutputSpec;
use crate::error::Error;
use crate::event::{Emit, Event, Initiator, MessageKind};
use std::io::{self, Write};
use std::time::Duration;

/// Milliseconds with one decimal: "3.1 ms".
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Seconds, short: "2.31 s", or ms below one second.
pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The name of a close code (RFC 6455 section 7.4.1 and the IANA registry).
pub fn close_code_name(code: u16) -> &'static str {
    match code {
        1000 => "Normal Closure",
        1001 => "Going Away",
        1002 => "Protocol Error",
        1003 => "Unsupported Data",
        1005 => "No Status Received",
        1006 => "Abnormal Closure",
        1007 => "Invalid Payload Data",
        1008 => "Policy Violation",
        1009 => "Message Too Big",
        1010 => "Mandatory Extension",
        1011 => "Internal Error",
        1012 => "Service Restart",
        1013 => "Try Again Later",
        1014 => "Bad Gateway",
        1015 => "TLS Handshake",
        3000..=3999 => "(registered)",
        4000..=4999 => "(private use)",
        _ => "(unknown)",
    }
}

/// The plain printer: payloads to `stdout`, the trace to `stderr`.
pub struct Printer<O: Write, E: Write> {
    stdout: O,
    stderr: E,
    spec: OutputSpec,
}

impl<O: Write, E: Write> Printer<O, E> {
    /// A printer writing to these streams. `stdout` should be buffered;
    /// it is flushed on [`Emit::flush`].
    pub fn new(stdout: O, stderr: E, spec: OutputSpec) -> Self {
        Printer {
            stdout,
            stderr,
            spec,
        }
    }

    /// The stderr stream (for the final error report).
    pub fn stderr(&mut self) -> &mut E {
        &mut self.stderr
    }

    fn write_message(&mut self, kind: MessageKind, data: &[u8]) -> io::Result<()> {
        let out = &mut self.stdout;
        match kind {
            MessageKind::Text => {
                // --pretty re-indents JSON; its newlines are ours, so a
                // terminal gets them unescaped.
                let pretty = if self.spec.pretty {
                    pretty::json(data)
                } else {
                    None
                };
                let body = pretty.as_deref().map_or(data, str::as_bytes);
                let keep_newlines = pretty.is_some();
                if self.spec.stdout_tty && sanitize::needs_escape(body, keep_newlines) {
                    out.write_all(sanitize::escape(body, keep_newlines).as_bytes())?;
                } else {
                    out.write_all(body)?;
                }
                out.write_all(b"\n")?;
            }
            MessageKind::Binary if self.spec.binary_raw => out.write_all(data)?,
            MessageKind::Binary if self.spec.stdout_tty => {
                out.write_all(binary_line(data).as_bytes())?;
                out.write_all(b"\n")?;
            }
            MessageKind::Binary => {
                out.write_all(hex(data).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        if self.spec.stdout_tty {
            out.flush()?;
        }
        Ok(())
    }

    /// Write trace lines with a prefix, escaping server bytes on a TTY.
    fn lines(&mut self, prefix: &str, raw: &[u8]) {
        let text = if self.spec.stderr_tty {
            sanitize::escape(raw, true)
        } else {
            String::from_utf8_lossy(raw).into_owned()
        };
        let mut buf = String::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            buf.push_str(prefix);
            if !line.is_empty() {
                buf.push(' ');
                buf.push_str(line);
            }
            buf.push('\n');
        }
        let _ = self.stderr.write_all(buf.as_bytes());
    }

    fn info(&mut self, level: u8, line: std::fmt::Arguments<'_>) {
        if self.spec.verbose >= level {
            let _ = writeln!(self.stderr, "* {line}");
        }
    }

    fn warn(&mut self, msg: &str) {
        if !self.spec.quiet {
            let _ = writeln!(self.stderr, "wsprobe: warning: {msg}");
        }
    }
}

/// `[binary N bytes] 01 02 ff`: how a terminal shows a binary message.
pub fn binary_line(data: &[u8]) -> String {
    let mut s = format!("[binary {} bytes]", data.len());
    for b in data {
        s.push_str(&format!(" {b:02x}"));
    }
    s
}

/// The words of the `Closed` line: "Closed cleanly (1000 Normal Closure,
/// server initiated) after 2.31 s".
pub fn closed_line(
    clean: bool,
    initiator: Option<Initiator>,
    code: Option<u16>,
    after: Duration,
) -> String {
    let who = match initiator {
        Some(Initiator::Client) => ", client initiated",
        Some(Initiator::Server) => ", server initiated",
        None => "",
    };
    let code = code
        .map(|c| format!("{c} {}", close_code_name(c)))
        .unwrap_or_else(|| "no Close frame".into());
    let how = if clean { "cleanly" } else { "abnormally" };
    format!("Closed {how} ({code}{who}) after {}", secs(after))
}

/// Lowercase hex, no separators (`xxd -r -p` reverses it).
pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

impl<O: Write, E: Write> Emit for Printer<O, E> {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::Message { kind, data } => return self.write_message(kind, data),
            Event::Resolved { host, addrs, took } => {
                let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                self.info(
                    1,
                    format_args!("Resolved {host} to {} ({})", list.join(", "), ms(took)),
                );
            }
            Event::Connecting { addr } => self.info(1, format_args!("Trying {addr}...")),
            Event::ConnectFailed { addr, error, took } => self.info(
                1,
                format_args!("Connection to {addr} failed: {error} ({})", ms(took)),
            ),
            Event::Connected { addr, took } => {
                self.info(1, format_args!("Connected to {addr} ({})", ms(took)))
            }
            Event::TlsEstablished {
                version,
                suite,
                group,
                alpn,
                took,
            } => {
                let group = group.map(|g| format!(", {g}")).unwrap_or_default();
                let alpn = alpn.map_or("ALPN none".to_string(), |a| format!("ALPN {a}"));
                self.info(
                    1,
                    format_args!("{version}, {suite}{group}, {alpn} ({})", ms(took)),
                );
            }
            Event::TlsVerificationSkipped { problem } => {
                let msg = format!("certificate not verified (-k): {problem}");
                self.warn(&msg);
            }
            Event::RequestSent { raw } => {
                if self.spec.verbose >= 1 {
                    let head = raw.strip_suffix(b"\r\n").unwrap_or(raw);
                    self.lines(">", head);
                }
            }
            Event::ResponseReceived {
                head,
                body,
                accept_verified,
            } => {
                if self.spec.verbose >= 1 {
                    let head = head.strip_suffix(b"\r\n").unwrap_or(head);
                    let marked = mark_accept(head, accept_verified);
                    self.lines("<", &marked);
                    if !body.is_empty() {
                        self.lines("<", body);
                    }
                }
            }
            Event::Open {
                timing,
                subprotocol,
                early_bytes,
            } => {
                let tls = timing
                    .tls
                    .map(|t| format!(", tls {:.1}", t.as_secs_f64() * 1e3));
                self.info(
                    1,
                    format_args!(
                        "Open after {}: dns {:.1}, tcp {:.1}{}, upgrade {:.1} (subprotocol: {})",
                        ms(timing.total),
                        timing.dns.as_secs_f64() * 1e3,
                        timing.tcp.as_secs_f64() * 1e3,
                        tls.unwrap_or_default(),
                        timing.upgrade.as_secs_f64() * 1e3,
                        subprotocol.unwrap_or("none"),
                    ),
                );
                if early_bytes > 0 {
                    self.info(
                        1,
                        format_args!("{early_bytes} bytes of frames arrived with the 101 response"),
                    );
                }
            }
            Event::PingReceived { data } => self.info(
                2,
                format_args!("Ping received ({} bytes), answered", data.len()),
            ),
            Event::PongReceived { data, rtt, .. } => {
                let rtt = rtt.map(|r| format!(", rtt {}", ms(r))).unwrap_or_default();
                self.info(2, format_args!("Pong received ({} bytes{rtt})", data.len()))
            }
            Event::PingSent { data, .. } => {
                self.info(2, format_args!("Ping sent ({} bytes)", data.len()))
            }
            // REPL-only events: the REPL printer shows them.
            Event::PongSent { .. }
            | Event::MessageSent { .. }
            | Event::RawFrameSent { .. }
            | Event::Stats(_) => {}
            Event::Verbosity { level } => self.spec.verbose = level,
            Event::CloseSent { code, reason } => {
                let reason = quoted(reason.as_bytes(), self.spec.stderr_tty);
                self.info(
                    1,
                    format_args!("Close sent: {code} {}{reason}", close_code_name(code)),
                );
            }
            Event::CloseReceived { code, reason } => {
                let q = quoted(reason.as_bytes(), self.spec.stderr_tty);
                self.info(
                    1,
                    format_args!("Close received: {code} {}{q}", close_code_name(code)),
                );
            }
            Event::Closed {
                clean,
                initiator,
                code,
                after,
            } => {
                let line = closed_line(clean, initiator, code, after);
                self.info(1, format_args!("{line}"));
            }
            Event::InputEnded { sent, wait } => self.info(
                1,
                format_args!(
                    "Input ended after {sent} message{}; closing after {} of quiet (--wait)",
                    if sent == 1 { "" } else { "s" },
                    secs(wait)
                ),
            ),
            Event::Warning(msg) => self.warn(msg),
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.stderr.flush();
        self.stdout.flush()
    }
}

/// ` "reason"` or nothing.
pub fn quoted(reason: &[u8], tty: bool) -> String {
    if reason.is_empty() {
        String::new()
    } else if tty {
        format!(" \"{}\"", sanitize::escape(reason, false))
    } else {
        format!(" \"{}\"", String::from_utf8_lossy(reason))
    }
}

/// Append " (valid)" to the Sec-WebSocket-Accept line when it was verified.
fn mark_accept(head: &[u8], verified: bool) -> Vec<u8> {
    if !verified {
        return head.to_vec();
    }
    let mut out = Vec::with_capacity(head.len() + 8);
    for (i, line) in head.split(|&c| c == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(trimmed);
        let name = b"sec-websocket-accept:";
        if trimmed.len() > name.len() && trimmed[..name.len()].eq_ignore_ascii_case(name) {
            out.extend_from_slice(b" (valid)");
        }
    }
    out
}

/// Write the final error report: `wsprobe: error: …`, facts, a non-101's
/// status and body, and hints.
pub fn report_error(err: &Error, w: &mut dyn Write, color: bool, tty: bool, verbose: u8) {
    let (red, bold, dim, reset) = if color {
        ("\x1b[1;31m", "\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut s = format!("{bold}wsprobe: {red}error:{reset}{bold} {err}{reset}\n");
    for fact in err.facts() {
        s.push_str(&format!("  {fact}\n"));
    }
    if let Error::Rejected(r) = err {
        // Shown even without -v: the body usually says why.
        if verbose == 0 {
            for (name, value) in &r.headers {
                if is_relevant_header(name) {
                    s.push_str(&format!("  < {name}: {}\n", safe(value.as_bytes(), tty)));
                }
            }
            if !r.body.is_empty() {
                s.push_str(&format!(
                    "  body ({} bytes{}):\n",
                    r.body.len(),
                    if r.body_truncated { ", truncated" } else { "" }
                ));
                let body = safe(&r.body, tty);
                for line in body.trim_end_matches('\n').split('\n') {
                    s.push_str(&format!("  | {}\n", line.trim_end_matches('\r')));
                }
            }
        }
    }
    for hint in err.hints() {
        s.push_str(&format!("  {dim}hint:{reset} {hint}\n"));
    }
    let _ = w.write_all(s.as_bytes());
    let _ = w.flush();
}

fn safe(b: &[u8], tty: bool) -> String {
    if tty {
        sanitize::escape(b, true)
    } else {
        String::from_utf8_lossy(b).into_owned()
    }
}

/// Headers worth showing with a rejection when -v is off.
fn is_relevant_header(name: &str) -> bool {
    [
        "Location",
        "WWW-Authenticate",
        "Retry-After",
        "Sec-WebSocket-Version",
        "Content-Type",
        "Server",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OutputSpec {
        OutputSpec {
            verbose: 0,
            quiet: false,
            color: false,
            stdout_tty: false,
            stderr_tty: false,
            binary_raw: false,
            pretty: false,
            timestamps: false,
        }
    }

    fn render(spec: OutputSpec, events: &[Event<'_>]) -> (Vec<u8>, String) {
        let mut p = Printer::new(Vec::new(), Vec::new(), spec);
        for e in events {
            p.emit(e).expect("emit");
        }
        (p.stdout, String::from_utf8(p.stderr).expect("utf8"))
    }

    #[test]
    fn text_gets_a_newline_binary_is_hex_on_a_pipe() {
        let (out, _) = render(
            spec(),
            &[
                Event::Message {
                    kind: MessageKind::Text,
                    data: b"hi",
                },
                Event::Message {
                    kind: MessageKind::Binary,
                    data: &[0, 0xab],
                },
            ],
        );
        assert_eq!(out, b"hi\n00ab\n");
    }

    #[test]
    fn binary_raw_with_b_and_spaced_hex_on_a_terminal() {
        let raw = OutputSpec {
            binary_raw: true,
            ..spec()
        };
        let (out, _) = render(
            raw,
            &[Event::Message {
                kind: MessageKind::Binary,
                data: b"\n\0",
            }],
        );
        assert_eq!(out, b"\n\0");
        let tty = OutputSpec {
            stdout_tty: true,
            ..spec()
        };
        let (out, _) = render(
            tty,
            &[Event::Message {
                kind: MessageKind::Binary,
                data: &[1, 2],
            }],
        );
        assert_eq!(out, b"[binary 2 bytes] 01 02\n");
    }

    #[test]
    fn terminal_text_is_escaped_pipes_are_not() {
        let ev = [Event::Message {
            kind: MessageKind::Text,
            data: b"\x1b]0;pwned\x07",
        }];
        let (out, _) = render(spec(), &ev);
        assert_eq!(out, b"\x1b]0;pwned\x07\n");
        let (out, _) = render(
            OutputSpec {
                stdout_tty: true,
                ..spec()
            },
            &ev,
        );
        assert_eq!(out, b"\\x1b]0;pwned\\x07\n");
    }

    #[test]
    fn request_and_response_are_traced_with_accept_marked() {
        let v = OutputSpec {
            verbose: 1,
            ..spec()
        };
        let (_, err) = render(
            v,
            &[
                Event::RequestSent {
                    raw: b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                },
                Event::ResponseReceived {
                    head: b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc\r\n\r\n",
                    body: b"",
                    accept_verified: true,
                },
            ],
        );
        assert_eq!(
            err,
            "> GET / HTTP/1.1\n> Host: h\n>\n< HTTP/1.1 101 Switching Protocols\n< Sec-WebSocket-Accept: abc (valid)\n<\n"
        );
    }

    #[test]
    fn nothing_on_stderr_without_verbose() {
        let (_, err) = render(
            spec(),
            &[Event::CloseSent {
                code: 1000,
                reason: "",
            }],
        );
        assert!(err.is_empty());
    }
}
