//! Turns [`Event`]s into bytes: message payloads on stdout, everything else
//! on stderr. The only module that formats for people.
//!
//! stdout carries payloads only, so `| jq` works: text messages plus a
//! newline; binary messages byte for byte with `-b`, otherwise as one line of
//! lowercase hex (on a terminal, `[binary N bytes]` and spaced hex). stdout
//! is buffered and flushed when the session goes idle, or per message on a
//! terminal. The trace on stderr follows curl: `*` info, `>` request, `<`
//! response lines.

pub mod har;
pub mod json;
pub mod pretty;
pub mod repl;
pub mod trace;

use crate::config::OutputSpec;
use crate::error::Error;
use crate::event::{Emit, Event, Initiator, MessageKind};
use crate::format::{bytes, close_code_name, hex, ms, sanitize, secs};
use std::io::{self, Write};
use std::time::Duration;

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
    /// The Sec-WebSocket-Key of the request, to show the Accept derivation.
    key: Option<String>,
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
            key: None,
        }
    }

    /// Write trace text to stderr, each line prefixed with the time since
    /// start when --timestamps is on. Errors are ignored: a closed stderr
    /// must not end the session.
    fn trace(&mut self, text: &str) {
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
            match (self.spec.color, line.chars().next().and_then(marker_color)) {
                (true, Some(color)) => {
                    buf.push_str(color);
                    buf.push_str(&line[..1]);
                    buf.push_str("\x1b[0m");
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
        self.trace(&buf);
    }

    fn info(&mut self, level: u8, line: std::fmt::Arguments<'_>) {
        if self.spec.verbose >= level {
            self.trace(&format!("* {line}\n"));
        }
    }

    fn warn(&mut self, msg: &str) {
        if !self.spec.quiet {
            let (on, off) = if self.spec.color {
                ("\x1b[1;33m", "\x1b[0m")
            } else {
                ("", "")
            };
            let _ = writeln!(self.stderr, "wsprobe: {on}warning:{off} {msg}");
        }
    }
}

/// Headers whose values are secrets.
const SECRET_HEADERS: [&str; 4] = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
];

/// Redact secret header values in a raw HTTP head (unless `show`):
/// `Authorization: Basic [redacted]`, `Cookie: a=[redacted]; b=[redacted]`,
/// `Set-Cookie: id=[redacted]; Path=/`. The scheme and cookie names stay,
/// as they help diagnosis; the values do not.
pub fn redact(raw: &[u8], show: bool) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let is_secret = |line: &[u8]| {
        SECRET_HEADERS.iter().any(|h| {
            line.len() > h.len()
                && line[..h.len()].eq_ignore_ascii_case(h.as_bytes())
                && line[h.len()] == b':'
        })
    };
    if show || !raw.split(|&c| c == b'\n').any(is_secret) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, line) in raw.split(|&c| c == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if !is_secret(line) {
            out.extend_from_slice(line);
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let (name, rest) = text.split_once(':').unwrap_or((&text, ""));
        let cr = rest.ends_with('\r');
        let value = rest.trim();
        let hidden = if name.eq_ignore_ascii_case("Cookie") {
            value
                .split(';')
                .map(|p| match p.trim().split_once('=') {
                    Some((k, _)) => format!("{k}=[redacted]"),
                    None => "[redacted]".into(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else if name.eq_ignore_ascii_case("Set-Cookie") {
            let mut parts = value.split(';');
            let first = match parts.next().and_then(|p| p.split_once('=')) {
                Some((k, _)) => format!("{}=[redacted]", k.trim()),
                None => "[redacted]".into(),
            };
            std::iter::once(first)
                .chain(parts.map(|p| p.trim().to_string()))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} [redacted]"),
                None => "[redacted]".into(),
            }
        };
        out.extend_from_slice(format!("{name}: {hidden}").as_bytes());
        if cr {
            out.push(b'\r');
        }
    }
    Cow::Owned(out)
}

/// The colour of a trace line's marker: info dim, request cyan, response
/// green, frames sent magenta and received blue.
fn marker_color(c: char) -> Option<&'static str> {
    match c {
        '*' => Some("\x1b[2m"),
        '>' => Some("\x1b[1;36m"),
        '<' => Some("\x1b[1;32m"),
        '}' => Some("\x1b[35m"),
        '{' => Some("\x1b[34m"),
        _ => None,
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
            Event::Message { kind, data } => return self.write_message(kind, data),
            Event::MessageSent { .. } => {}
            Event::Frame { dir, frame } => {
                if self.spec.verbose >= 2 {
                    let style = trace::FrameStyle {
                        verbose: self.spec.verbose,
                        tty: self.spec.stderr_tty,
                        deterministic: self.spec.deterministic,
                    };
                    self.trace(&trace::frame_lines(dir, frame, style));
                }
            }
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
                proxy,
            } => {
                let group = group.map(|g| format!(", {g}")).unwrap_or_default();
                let alpn = alpn.map_or("ALPN none".to_string(), |a| format!("ALPN {a}"));
                let with = if proxy { "Proxy " } else { "" };
                self.info(
                    1,
                    format_args!("{with}{version}, {suite}{group}, {alpn} ({})", ms(took)),
                );
            }
            Event::TlsChain { certs } => {
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
            Event::KeyLogging { path } => self.info(
                1,
                format_args!("TLS secrets are written to {path} (SSLKEYLOGFILE)"),
            ),
            Event::AddressOverride { host, port, addrs } => {
                let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                self.info(
                    1,
                    format_args!("Resolved {host}:{port} to {} (--resolve)", list.join(", ")),
                );
            }
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
            Event::ProxyRequestSent { raw } => {
                if self.spec.verbose >= 1 {
                    let head = raw.strip_suffix(b"\r\n").unwrap_or(raw);
                    self.lines(">", &redact(head, self.spec.show_secrets));
                }
            }
            Event::ProxyResponseReceived { head, body } => {
                if self.spec.verbose >= 1 {
                    self.lines("<", head.strip_suffix(b"\r\n").unwrap_or(head));
                    if !body.is_empty() {
                        self.lines("<", body);
                    }
                }
            }
            Event::SocksAuthenticated { user } => match user {
                Some(u) => self.info(1, format_args!("SOCKS5: authenticated as {u}")),
                None => self.info(1, format_args!("SOCKS5: no authentication required")),
            },
            Event::SocksConnect { target, remote_dns } => {
                let how = if remote_dns {
                    " (name resolved by the proxy)"
                } else {
                    ""
                };
                self.info(1, format_args!("SOCKS5: CONNECT {target}{how}"));
            }
            Event::TunnelOpen {
                target,
                proxy,
                took,
            } => self.info(
                1,
                format_args!("Tunnel to {target} open through {proxy} ({})", ms(took)),
            ),
            Event::Redirect {
                status,
                url,
                hop,
                dropped,
            } => {
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
            Event::TlsVerificationSkipped { problem } => {
                let msg = format!("certificate not verified (-k): {problem}");
                self.warn(&msg);
            }
            Event::RequestSent { raw } => {
                self.key = json::split_head(raw)
                    .1
                    .into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Key"))
                    .map(|(_, v)| v);
                if self.spec.verbose >= 1 {
                    let raw = redact(raw, self.spec.show_secrets);
                    let head = raw.strip_suffix(b"\r\n").unwrap_or(&raw);
                    self.lines(">", head);
                }
            }
            Event::ResponseReceived {
                head,
                body,
                accept_verified,
            } => {
                if self.spec.verbose >= 1 {
                    let head = redact(head, self.spec.show_secrets);
                    let head = head.strip_suffix(b"\r\n").unwrap_or(&head);
                    let marked = mark_accept(head, accept_verified);
                    self.lines("<", &marked);
                    if !body.is_empty() {
                        self.lines("<", body);
                    }
                    if self.spec.verbose >= 3
                        && accept_verified
                        && let Some(key) = self.key.clone()
                    {
                        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
                        self.info(
                            3,
                            format_args!(
                                "Sec-WebSocket-Accept = base64(SHA-1(\"{key}\" + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\")) = {accept} (matches)"
                            ),
                        );
                    }
                }
            }
            Event::Open {
                timing,
                subprotocol,
                extensions,
                early_bytes,
            } => {
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
            Event::Compression { dir, size, wire } => {
                let (what, verb) = match dir {
                    crate::event::Direction::Sent => ("sent", "deflated to"),
                    crate::event::Direction::Received => ("received", "inflated from"),
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
            Event::InputEnded { sent, wait } => {
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

/// Every sink a run writes to: the plain printer (payloads and trace), the
/// JSON printer instead of plain stdout with `--json`, and the HAR recorder
/// with `--har`. `main` builds one and calls [`Outputs::finish`] at the end.
pub struct Outputs {
    plain: Printer<Box<dyn Write>, Box<dyn Write>>,
    json: Option<json::JsonPrinter<Box<dyn Write>>>,
    har: Option<(std::path::PathBuf, har::HarRecorder)>,
    spec: OutputSpec,
}

impl Outputs {
    /// The sinks `cfg` asks for, on the process's stdout and stderr.
    pub fn new(cfg: &crate::config::Config) -> Outputs {
        let spec = cfg.output;
        let stdout: Box<dyn Write> =
            Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()));
        let stderr: Box<dyn Write> = Box::new(io::stderr().lock());
        let (plain_out, json) = if spec.json {
            let j = json::JsonPrinter::new(
                stdout,
                spec.deterministic,
                spec.show_secrets,
                spec.stdout_tty,
            );
            (Box::new(io::sink()) as Box<dyn Write>, Some(j))
        } else {
            (stdout, None)
        };
        Outputs {
            plain: Printer::new(plain_out, stderr, spec),
            json,
            har: cfg.har.clone().map(|p| {
                (
                    p,
                    har::HarRecorder::new(&cfg.target.url, spec.show_secrets, spec.deterministic),
                )
            }),
            spec,
        }
    }

    /// Report how the run ended: the error (stderr, and an `error` event
    /// with --json), then write the HAR file. Returns the exit status.
    pub fn finish(&mut self, result: &crate::error::Result<()>) -> u8 {
        let mut code = 0;
        if let Err(e) = result {
            code = e.exit_code();
            if let Some(j) = &mut self.json {
                let _ = j.error(e);
            }
            let s = self.spec;
            report_error(e, self.plain.stderr(), s.color, s.stderr_tty, s.verbose);
        }
        let _ = Emit::flush(self);
        if let Some((path, har)) = &self.har
            && let Err(source) = har.write(path)
        {
            let e = crate::error::Error::Io {
                context: format!("cannot write the HAR file {}", path.display()),
                source,
            };
            let s = self.spec;
            report_error(&e, self.plain.stderr(), s.color, s.stderr_tty, s.verbose);
            if code == 0 {
                code = e.exit_code();
            }
        }
        code
    }
}

impl Emit for Outputs {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if let Some((_, har)) = &mut self.har {
            let _ = har.emit(ev);
        }
        match &mut self.json {
            Some(j) => {
                let _ = self.plain.emit(ev);
                j.emit(ev)
            }
            None => self.plain.emit(ev),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let plain = self.plain.flush();
        match &mut self.json {
            Some(j) => j.flush(),
            None => plain,
        }
    }
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
    fn secrets_are_redacted_keeping_schemes_and_cookie_names() {
        let raw =
            b"GET / HTTP/1.1\r\nauthorization: Basic YWxpY2U6eA==\r\nCookie: a=1; b=2\r\nX: y\r\n";
        let r = redact(raw, false);
        assert_eq!(
            String::from_utf8_lossy(&r),
            "GET / HTTP/1.1\r\nauthorization: Basic [redacted]\r\nCookie: a=[redacted]; b=[redacted]\r\nX: y\r\n"
        );
        let r = redact(b"Set-Cookie: id=s3cr3t; Path=/; HttpOnly", false);
        assert_eq!(
            String::from_utf8_lossy(&r),
            "Set-Cookie: id=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(&redact(raw, true)[..], &raw[..]);
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
