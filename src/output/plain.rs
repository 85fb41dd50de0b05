//! The plain printer: message payloads on stdout, the trace (`*` info,
//! `>` request, `<` response, `}` `{` frames), warnings on stderr. The REPL
//! printer reuses it for trace lines. Colours come from `style`, frame
//! lines from `trace`, redaction from `redact`; the error report is not
//! here (`report`), nor the choice of printers (`Outputs`).

use super::redact::redact;
use super::{pretty, style, trace};
use crate::config::OutputSpec;
use crate::event::{
    Accepted, CertInfo, Direction, Emit, Event, FrameInfo, Initiator, MessageKind, Timing,
};
use crate::format::{bytes, close_code_name, hex, ms, sanitize, secs};
use crate::protocol::frame::ACCEPT_GUID;
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::Duration;

mod clients;

pub(super) use clients::tag_lines;

/// The --timestamps prefix: the seconds since `start`, as
/// `[  0.001234] ` (always zero when `fixed`, for byte-exact tests).
pub fn stamp(start: std::time::Instant, fixed: bool) -> String {
    let t = if fixed {
        0.0
    } else {
        start.elapsed().as_secs_f64()
    };
    format!("[{t:10.6}] ")
}

/// The plain printer: payloads to `stdout`, the trace to `stderr`.
pub struct Printer<O: Write, E: Write> {
    stdout: O,
    stderr: E,
    spec: OutputSpec,
    start: std::time::Instant,
    /// Listen mode: the client the event being shown is about.
    client: Option<crate::event::ClientId>,
}

impl<O: Write, E: Write> Printer<O, E> {
    /// A printer writing to these streams. `stdout` should be buffered;
    /// it is flushed on [`Emit::flush`].
    pub fn new(stdout: O, stderr: E, spec: OutputSpec) -> Self {
        Printer {
            stdout,
            stderr,
            spec,
            start: std::time::Instant::now(),
            client: None,
        }
    }

    /// Write trace text to stderr, each line prefixed with the time since
    /// start when --timestamps is on. Errors are ignored: a closed stderr
    /// must not end the session.
    fn trace(&mut self, text: &str) {
        let tagged;
        let text = match self.client {
            // Listen mode: `#ID` follows each line's marker.
            Some(id) => {
                tagged = tag_lines(text, id);
                tagged.as_str()
            }
            None => text,
        };
        if !self.spec.timestamps && !self.spec.color {
            let _ = self.stderr.write_all(text.as_bytes());
            return;
        }
        let stamp = stamp(self.start, self.spec.deterministic);
        let mut buf = String::with_capacity(text.len() + 32);
        for line in text.split_inclusive('\n') {
            if self.spec.timestamps {
                buf.push_str(&stamp);
            }
            match (
                self.spec.color,
                line.chars().next().and_then(style::trace_marker),
            ) {
                (true, Some(marker)) => {
                    buf.push_str(&style::on(true, marker));
                    buf.push_str(&line[..1]);
                    buf.push_str(&style::off(true));
                    buf.push_str(&line[1..]);
                }
                _ => buf.push_str(line),
            }
        }
        let _ = self.stderr.write_all(buf.as_bytes());
    }

    /// The stderr stream (for the final error report).
    pub fn stderr(&mut self) -> &mut E {
        &mut self.stderr
    }

    // Inlined into emit: a call per message cost 2% (cachegrind).
    #[inline(always)]
    fn write_message(&mut self, kind: MessageKind, data: &[u8]) -> io::Result<()> {
        let out = &mut self.stdout;
        // Listen mode: on a terminal each message says whose it is; a pipe
        // gets the payloads alone, as in client mode (--json has the id).
        if let Some(id) = self.client
            && self.spec.stdout_tty
            && !(kind == MessageKind::Binary && self.spec.binary_raw)
        {
            write!(out, "#{id} ")?;
        }
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
        self.trace(&buf);
    }

    fn info(&mut self, level: u8, line: std::fmt::Arguments<'_>) {
        if self.spec.verbose >= level {
            self.trace(&format!("* {line}\n"));
        }
    }

    fn warn(&mut self, msg: &str) {
        if !self.spec.quiet {
            let color = self.spec.color;
            let (on, off) = (style::on(color, style::WARNING), style::off(color));
            let _ = writeln!(self.stderr, "wsprobe: {on}warning:{off} {msg}");
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

impl<O: Write, E: Write> Emit for Printer<O, E> {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            // With --exec the program has them, not stdout.
            Event::Message { .. } if self.spec.exec => {}
            Event::Message { kind, data } => return self.write_message(kind, data),
            Event::MessageSent { .. } => {}
            Event::Frame { dir, frame } => self.frame(dir, frame),
            Event::Resolved { host, addrs, took } => self.resolved(host, addrs, took),
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
                proxy,
            } => self.tls_established(version, suite, group, alpn, took, proxy),
            Event::TlsChain { certs } => self.tls_chain(certs),
            Event::KeyLogging { path } => self.info(
                1,
                format_args!("TLS secrets are written to {path} (SSLKEYLOGFILE)"),
            ),
            Event::AddressOverride { host, port, addrs } => self.overridden(host, port, addrs),
            Event::ConnectTo { from, to } => self.info(
                1,
                format_args!("Connecting to {to} instead of {from} (--connect-to)"),
            ),
            Event::UnixConnected { path, took } => self.info(
                1,
                format_args!("Connected to unix socket {path} ({})", ms(took)),
            ),
            Event::ProxyUsed { url, setting } => {
                self.info(1, format_args!("Using proxy {url} (from {setting})"))
            }
            Event::ProxyRequestSent { raw } => self.proxy_request(raw),
            Event::ProxyResponseReceived { head, body } => self.proxy_response(head, body),
            Event::SocksAuthenticated { .. }
            | Event::SocksConnect { .. }
            | Event::TunnelOpen { .. } => self.tunnel_event(ev),
            Event::Redirect {
                status,
                url,
                hop,
                dropped,
            } => self.redirect(status, url, hop, dropped),
            Event::TlsVerificationSkipped { problem } => {
                let msg = format!("certificate not verified (-k): {problem}");
                self.warn(&msg);
            }
            Event::RequestSent { raw } => self.request(raw),
            Event::ResponseReceived {
                head,
                body,
                accepted,
            } => self.response(head, body, accepted),
            Event::Open {
                timing,
                subprotocol,
                extensions,
                early_bytes,
            } => self.open(timing, subprotocol, extensions, early_bytes),
            Event::Compression { dir, size, wire } => self.compression(dir, size, wire),
            Event::PingReceived { data } => self.info(
                1,
                format_args!("Ping received ({}), answered", bytes(data.len())),
            ),
            Event::PongReceived { data, rtt, .. } => {
                let rtt = rtt.map(|r| format!(", rtt {}", ms(r))).unwrap_or_default();
                self.info(
                    1,
                    format_args!("Pong received ({}{rtt})", bytes(data.len())),
                )
            }
            Event::PingSent { data, .. } => {
                self.info(1, format_args!("Ping sent ({})", bytes(data.len())))
            }
            // REPL-only events: the REPL printer shows them.
            Event::PongSent { .. }
            | Event::ReplMessageSent { .. }
            | Event::RawFrameSent { .. }
            | Event::Stats(_)
            | Event::ClientList(_)
            | Event::ServerStats(_) => {}
            Event::Verbosity { level } => self.spec.verbose = level,
            Event::CloseSent { code, reason } => self.close_frame("sent", code, reason),
            Event::CloseReceived { code, reason } => self.close_frame("received", code, reason),
            Event::Closed {
                clean,
                initiator,
                code,
                after,
            } => {
                let line = closed_line(clean, initiator, code, after);
                self.info(1, format_args!("{line}"));
            }
            Event::InputEnded { sent, wait } => self.input_ended(sent, wait),
            Event::ExpectMet { .. }
            | Event::Retrying { .. }
            | Event::ExecEnded { .. }
            | Event::Totals(_) => self.script(ev),
            Event::Warning(msg) => self.warn(msg),
            Event::Client { .. }
            | Event::Listening { .. }
            | Event::Accepted { .. }
            | Event::RequestReceived { .. }
            | Event::ResponseSent { .. }
            | Event::Refused { .. }
            | Event::ClientOpen { .. }
            | Event::FileServed { .. }
            | Event::ClientEnded { .. } => return self.listen_event(ev),
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.stderr.flush();
        self.stdout.flush()
    }
}

/// The renderings of the events with more to say than one line.
impl<O: Write, E: Write> Printer<O, E> {
    /// `}`/`{` lines for a frame, at -vv.
    fn frame(&mut self, dir: Direction, frame: &FrameInfo) {
        if self.spec.verbose >= 2 {
            let style = trace::FrameStyle {
                verbose: self.spec.verbose,
                deterministic: self.spec.deterministic,
            };
            self.trace(&trace::frame_lines(dir, frame, style));
        }
    }

    /// `* SOCKS5: ...` and `* Tunnel to ... open through ...` (-v).
    fn tunnel_event(&mut self, ev: &Event<'_>) {
        match *ev {
            Event::SocksAuthenticated { user: Some(u) } => {
                self.info(1, format_args!("SOCKS5: authenticated as {u}"))
            }
            Event::SocksAuthenticated { user: None } => {
                self.info(1, format_args!("SOCKS5: no authentication required"))
            }
            Event::SocksConnect { target, remote_dns } => self.socks_connect(target, remote_dns),
            Event::TunnelOpen {
                target,
                proxy,
                took,
            } => self.info(
                1,
                format_args!("Tunnel to {target} open through {proxy} ({})", ms(took)),
            ),
            _ => {}
        }
    }

    /// `* Resolved host to addresses (ms)`.
    fn resolved(&mut self, host: &str, addrs: &[IpAddr], took: Duration) {
        let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        self.info(
            1,
            format_args!("Resolved {host} to {} ({})", list.join(", "), ms(took)),
        );
    }

    /// `* Resolved host:port to addresses (--resolve)`.
    fn overridden(&mut self, host: &str, port: u16, addrs: &[IpAddr]) {
        let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        self.info(
            1,
            format_args!("Resolved {host}:{port} to {} (--resolve)", list.join(", ")),
        );
    }

    /// `* SOCKS5: CONNECT target`, and who resolves the name.
    fn socks_connect(&mut self, target: &str, remote_dns: bool) {
        let how = if remote_dns {
            " (name resolved by the proxy)"
        } else {
            ""
        };
        self.info(1, format_args!("SOCKS5: CONNECT {target}{how}"));
    }

    /// `* TLS 1.3, suite, group, ALPN x (ms)`.
    fn tls_established(
        &mut self,
        version: &str,
        suite: &str,
        group: Option<&str>,
        alpn: Option<&str>,
        took: Duration,
        proxy: bool,
    ) {
        let group = group.map(|g| format!(", {g}")).unwrap_or_default();
        let alpn = alpn.map_or("ALPN none".to_string(), |a| format!("ALPN {a}"));
        let with = if proxy { "Proxy " } else { "" };
        self.info(
            1,
            format_args!("{with}{version}, {suite}{group}, {alpn} ({})", ms(took)),
        );
    }

    /// The server's certificates, at -vvv.
    fn tls_chain(&mut self, certs: &[CertInfo]) {
        if self.spec.verbose >= 3 {
            let mut s = String::new();
            for (i, c) in certs.iter().enumerate() {
                s.push_str(&format!("* Certificate {i}: {}\n", c.subject));
                s.push_str(&format!("*   issuer: {}\n", c.issuer));
                if !c.names.is_empty() {
                    s.push_str(&format!("*   names: {}\n", c.names.join(", ")));
                }
                s.push_str(&format!("*   valid: {}\n", c.validity()));
                s.push_str(&format!("*   sha256: {}\n", c.sha256));
            }
            self.trace(&s);
        }
    }

    /// `>` lines for the CONNECT request, credentials redacted.
    fn proxy_request(&mut self, raw: &[u8]) {
        if self.spec.verbose >= 1 {
            let head = raw.strip_suffix(b"\r\n").unwrap_or(raw);
            self.lines(">", &redact(head, self.spec.show_secrets));
        }
    }

    /// `<` lines for the proxy's answer and its body.
    fn proxy_response(&mut self, head: &[u8], body: &[u8]) {
        if self.spec.verbose >= 1 {
            self.lines("<", head.strip_suffix(b"\r\n").unwrap_or(head));
            if !body.is_empty() {
                self.lines("<", body);
            }
        }
    }

    /// `* Redirect N (status): following url`, and what was not sent on.
    fn redirect(&mut self, status: u16, url: &str, hop: u32, dropped: &[String]) {
        self.info(
            1,
            format_args!("Redirect {hop} ({status}): following {url}"),
        );
        if !dropped.is_empty() {
            self.info(
                1,
                format_args!(
                    "Not sending {} to another host, port or scheme",
                    dropped.join(", ")
                ),
            );
        }
    }

    /// The events of --expect and --retry: `* Expectation 1 of 2 met …`
    /// (-v); `wsprobe: retrying in 1.00 s (attempt 2 of 4)` after a drop's
    /// report, or saying how the server closed (shown unless -q).
    fn script(&mut self, ev: &Event<'_>) {
        match *ev {
            Event::ExpectMet {
                index,
                of,
                pattern,
                after,
            } => self.info(
                1,
                format_args!(
                    "Expectation {index} of {of} met after {}: {pattern}",
                    ms(after)
                ),
            ),
            Event::Retrying {
                attempt,
                of,
                delay,
                server_closed,
            } if !self.spec.quiet => {
                let why = server_closed
                    .map(|c| {
                        format!(
                            "the server closed the connection ({c} {}); ",
                            close_code_name(c)
                        )
                    })
                    .unwrap_or_default();
                let of = of.map(|n| format!(" of {n}")).unwrap_or_default();
                let _ = writeln!(
                    self.stderr,
                    "wsprobe: {why}retrying in {} (attempt {attempt}{of})",
                    secs(delay)
                );
            }
            Event::ExecEnded {
                command,
                code,
                signal,
            } => {
                let how = match (code, signal) {
                    (Some(c), _) => format!("exited with status {c}"),
                    (None, Some(s)) => format!("was killed by signal {s}"),
                    (None, None) => "ended".into(),
                };
                self.info(1, format_args!("--exec '{command}' {how}"));
            }
            _ => {}
        }
    }

    /// `>` lines for the upgrade request.
    fn request(&mut self, raw: &[u8]) {
        if self.spec.verbose >= 1 {
            let raw = redact(raw, self.spec.show_secrets);
            let head = raw.strip_suffix(b"\r\n").unwrap_or(&raw);
            self.lines(">", head);
        }
    }

    /// `<` lines for the response, the Accept line marked when verified,
    /// then (-vvv) how the Accept value follows from the key.
    fn response(&mut self, head: &[u8], body: &[u8], accepted: Option<Accepted>) {
        if self.spec.verbose >= 1 {
            let head = redact(head, self.spec.show_secrets);
            let head = head.strip_suffix(b"\r\n").unwrap_or(&head);
            let marked = mark_accept(head, accepted.is_some());
            self.lines("<", &marked);
            if !body.is_empty() {
                self.lines("<", body);
            }
            if self.spec.verbose >= 3
                && let Some(Accepted { key, accept }) = accepted
            {
                self.info(
                    3,
                    format_args!(
                        "Sec-WebSocket-Accept = base64(SHA-1(\"{key}\" + \"{ACCEPT_GUID}\")) = {accept} (matches)"
                    ),
                );
            }
        }
    }

    /// `* Open after …`: the phases' times and what was negotiated.
    fn open(
        &mut self,
        timing: Timing,
        subprotocol: Option<&str>,
        extensions: Option<&str>,
        early_bytes: usize,
    ) {
        let tls = timing
            .tls
            .map(|t| format!(", tls {:.1}", t.as_secs_f64() * 1e3));
        let proxy = timing
            .proxy
            .map(|t| format!(", proxy {:.1}", t.as_secs_f64() * 1e3));
        self.info(
            1,
            format_args!(
                "Open after {}: dns {:.1}, tcp {:.1}{}{}, upgrade {:.1} (subprotocol: {}, extensions: {})",
                ms(timing.total),
                timing.dns.as_secs_f64() * 1e3,
                timing.tcp.as_secs_f64() * 1e3,
                proxy.unwrap_or_default(),
                tls.unwrap_or_default(),
                timing.upgrade.as_secs_f64() * 1e3,
                subprotocol.unwrap_or("none"),
                extensions.unwrap_or("none"),
            ),
        );
        if early_bytes > 0 {
            self.info(
                1,
                format_args!("{early_bytes} bytes of frames arrived with the 101 response"),
            );
        }
    }

    /// `* Message sent: N bytes, deflated to M (…%)`, at -vv.
    fn compression(&mut self, dir: Direction, size: u64, wire: u64) {
        let (what, verb) = match dir {
            Direction::Sent => ("sent", "deflated to"),
            Direction::Received => ("received", "inflated from"),
        };
        let pct = if size == 0 {
            100.0
        } else {
            wire as f64 * 100.0 / size as f64
        };
        self.info(
            2,
            format_args!(
                "Message {what}: {size} bytes, {verb} {wire} (permessage-deflate, {pct:.0}%)"
            ),
        );
    }

    /// `* Close sent: 1000 Normal Closure "reason"` (or received).
    fn close_frame(&mut self, what: &str, code: u16, reason: &str) {
        let reason = quoted(reason.as_bytes(), self.spec.stderr_tty);
        self.info(
            1,
            format_args!("Close {what}: {code} {}{reason}", close_code_name(code)),
        );
    }

    /// `* Input ended after N messages; …`.
    fn input_ended(&mut self, sent: u64, wait: Option<Duration>) {
        let plural = if sent == 1 { "" } else { "s" };
        match wait {
            Some(w) => self.info(
                1,
                format_args!(
                    "Input ended after {sent} message{plural}; closing after {} of quiet (--wait)",
                    secs(w)
                ),
            ),
            None => self.info(
                1,
                format_args!(
                    "Input ended after {sent} message{plural}; waiting for --count messages"
                ),
            ),
        }
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
            json: false,
            timestamps: false,
            deterministic: false,
            show_secrets: false,
            pretty: false,
            exec: false,
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
    fn listen_mode_tags_lines_with_the_client_and_messages_on_a_terminal_only() {
        let text = Event::Message {
            kind: MessageKind::Text,
            data: b"hi \x1b[2J",
        };
        let raw = Event::Message {
            kind: MessageKind::Binary,
            data: b"\x00\x01",
        };
        let close = Event::CloseReceived {
            code: 1000,
            reason: "",
        };
        let events = [
            Event::Client {
                id: 7,
                event: &text,
            },
            Event::Client { id: 7, event: &raw },
            Event::Client {
                id: 7,
                event: &close,
            },
        ];
        let pipe = OutputSpec {
            verbose: 1,
            ..spec()
        };
        let (out, err) = render(pipe, &events);
        assert_eq!(out, b"hi \x1b[2J\n0001\n", "a pipe gets the payloads alone");
        assert_eq!(err, "* #7 Close received: 1000 Normal Closure\n");
        let tty = OutputSpec {
            stdout_tty: true,
            ..pipe
        };
        let (out, _) = render(tty, &events);
        let out = String::from_utf8(out).expect("utf8");
        assert!(
            out.starts_with("#7 hi \\x1b[2J\n#7 [binary 2 bytes]"),
            "{out:?}"
        );
        let raw_tty = OutputSpec {
            binary_raw: true,
            ..tty
        };
        let (out, _) = render(raw_tty, &events[1..2]);
        assert_eq!(out, b"\x00\x01", "-b writes bytes, never a prefix");
        assert_eq!(tag_lines("<\n> x\n", 2), "< #2\n> #2 x\n");
        assert_eq!(
            tag_lines("< hi\n  more\n* Open\n", 3),
            "< #3 hi\n  more\n* #3 Open\n"
        );
        assert_eq!(tag_lines(">\n", 12), "> #12\n");
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
                    accepted: Some(Accepted {
                        key: "k",
                        accept: "abc",
                    }),
                },
            ],
        );
        assert_eq!(
            err,
            "> GET / HTTP/1.1\n> Host: h\n>\n< HTTP/1.1 101 Switching Protocols\n< Sec-WebSocket-Accept: abc (valid)\n<\n"
        );
    }

    #[test]
    fn colour_marks_trace_markers_only_when_asked() {
        let ev = [Event::RequestSent {
            raw: b"GET / HTTP/1.1\r\n\r\n",
        }];
        let v = OutputSpec {
            verbose: 1,
            ..spec()
        };
        let (_, plain) = render(v, &ev);
        assert!(!plain.contains('\x1b'));
        let (_, colored) = render(OutputSpec { color: true, ..v }, &ev);
        assert!(
            colored.starts_with("\x1b[1;36m>\x1b[0m GET / HTTP/1.1"),
            "{colored:?}"
        );
    }

    #[test]
    fn proxy_exchange_is_traced_with_credentials_redacted() {
        let v = OutputSpec {
            verbose: 1,
            ..spec()
        };
        let (_, err) = render(
            v,
            &[
                Event::ProxyUsed {
                    url: "https://p:3128",
                    setting: "https_proxy",
                },
                Event::TlsEstablished {
                    version: "TLS 1.3",
                    suite: "S",
                    group: None,
                    alpn: None,
                    took: Duration::ZERO,
                    proxy: true,
                },
                Event::ProxyRequestSent {
                    raw: b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nProxy-Authorization: Basic YTpi\r\n\r\n",
                },
                Event::ProxyResponseReceived {
                    head: b"HTTP/1.1 200 OK\r\n\r\n",
                    body: b"",
                },
            ],
        );
        assert_eq!(
            err,
            "* Using proxy https://p:3128 (from https_proxy)\n\
             * Proxy TLS 1.3, S, ALPN none (0.0 ms)\n\
             > CONNECT h:443 HTTP/1.1\n> Host: h:443\n\
             > Proxy-Authorization: Basic [redacted]\n>\n\
             < HTTP/1.1 200 OK\n<\n"
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
