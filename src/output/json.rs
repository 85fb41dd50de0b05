//! `--json`: every event as one JSON object per line on stdout (NDJSON).
//!
//! Each object has `event` (its kind), `t` (seconds since wsprobe started)
//! and `time` (UTC, RFC 3339), then fields of its own. The names are an
//! interface: they are listed in the man page (JSON EVENTS) and must stay
//! stable. Text travels as JSON strings; binary data and bodies that are
//! not UTF-8 as base64 (`*_base64` fields). Secrets are redacted as in the
//! trace unless `--show-secrets`.

use super::redact::redact;
use crate::error::Error;
use crate::event::{
    CertInfo, ClientEnd, Direction, Emit, Event, FrameInfo, Initiator, MessageKind, PlainRequest,
    RequestProblem, StaticOutcome, Timing,
};
use crate::format::{close_code_name, hex, rfc3339};
use crate::protocol::frame::Opcode;
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::time::{Duration, Instant, SystemTime};

/// Writes events as NDJSON.
pub struct JsonPrinter<O: Write> {
    out: O,
    start: Instant,
    start_wall: SystemTime,
    deterministic: bool,
    show_secrets: bool,
    flush_each: bool,
    /// Listen mode: the client the event being written is about.
    client: Option<crate::event::ClientId>,
}

impl<O: Write> JsonPrinter<O> {
    /// A printer writing to `out` (buffered by the caller). `flush_each`
    /// flushes after every line (stdout is a terminal).
    pub fn new(out: O, deterministic: bool, show_secrets: bool, flush_each: bool) -> Self {
        JsonPrinter {
            out,
            start: Instant::now(),
            start_wall: SystemTime::now(),
            deterministic,
            show_secrets,
            flush_each,
            client: None,
        }
    }

    /// Write the `error` event for the failure that ended the run.
    pub fn error(&mut self, e: &Error) -> io::Result<()> {
        self.line(
            "error",
            json!({
                "class": e.class(),
                "exit_status": e.exit_code(),
                "message": e.to_string(),
                "facts": e.facts(),
                "hints": e.hints(),
            }),
        )
    }

    fn line(&mut self, event: &str, fields: Value) -> io::Result<()> {
        let mut obj = Map::new();
        obj.insert("event".into(), event.into());
        let (t, wall) = if self.deterministic {
            (0.0, SystemTime::UNIX_EPOCH)
        } else {
            (
                self.start.elapsed().as_secs_f64(),
                self.start_wall + self.start.elapsed(),
            )
        };
        obj.insert("t".into(), json!((t * 1e6).round() / 1e6));
        obj.insert("time".into(), rfc3339(wall).into());
        if let Some(id) = self.client {
            obj.insert("client".into(), id.into());
        }
        if let Value::Object(f) = fields {
            obj.extend(f);
        }
        serde_json::to_writer(&mut self.out, &Value::Object(obj))?;
        self.out.write_all(b"\n")?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }
}

/// A stable name for each refusal cause, for `refused` events.
fn problem_token(p: &RequestProblem) -> &'static str {
    match p {
        RequestProblem::Method(_) => "method",
        RequestProblem::OldHttp(_) => "http_version",
        RequestProblem::NoHost => "no_host",
        RequestProblem::Plain(PlainRequest::Browser) => "plain_http_browser",
        RequestProblem::Plain(PlainRequest::UpgradeStripped { .. }) => "upgrade_stripped",
        RequestProblem::Plain(PlainRequest::Proxied) => "plain_http_proxied",
        RequestProblem::Plain(PlainRequest::Fetch) => "plain_http",
        RequestProblem::BadUpgrade(_) => "upgrade",
        RequestProblem::NoConnectionUpgrade(_) => "connection",
        RequestProblem::NoKey => "no_key",
        RequestProblem::BadKey(_) => "bad_key",
        RequestProblem::Version(_) => "version",
        RequestProblem::Busy { .. } => "max_clients",
        RequestProblem::NotHttp { tls: true, .. } => "tls",
        RequestProblem::NotHttp { .. } => "not_http",
        RequestProblem::TooLarge { .. } => "too_large",
        RequestProblem::TimedOut { .. } => "timeout",
        RequestProblem::TlsFailed(_) => "tls_handshake",
        RequestProblem::PlainOverTls => "plain_over_tls",
        RequestProblem::ClosedEarly { .. } => "closed_early",
    }
}

/// Milliseconds as a JSON number with microsecond precision.
fn ms(d: Duration) -> Value {
    json!((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// `fields` (an object) with `data` added by [`data_fields`].
fn with_data(mut fields: Value, key: &str, data: &[u8], force_base64: bool) -> Value {
    if let Value::Object(m) = &mut fields {
        m.extend(data_fields(key, data, force_base64));
    }
    fields
}

/// Text if it is UTF-8, else base64 under `{key}_base64`.
fn data_fields(key: &str, data: &[u8], force_base64: bool) -> Map<String, Value> {
    let mut m = Map::new();
    match std::str::from_utf8(data) {
        Ok(s) if !force_base64 => {
            m.insert(key.into(), s.into());
        }
        _ => {
            m.insert(
                format!("{key}_base64"),
                base64::engine::general_purpose::STANDARD
                    .encode(data)
                    .into(),
            );
        }
    }
    m
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Sent => "sent",
        Direction::Received => "received",
    }
}

fn kind(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Text => "text",
        MessageKind::Binary => "binary",
    }
}

/// Parse a raw HTTP head into its first line and headers.
pub fn split_head(raw: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(raw);
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    (first, headers)
}

/// Headers as `[{"name": …, "value": …}]`, in order (NDJSON and HAR alike).
pub fn headers_json(h: &[(String, String)]) -> Value {
    Value::Array(
        h.iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect(),
    )
}

impl<O: Write> Emit for JsonPrinter<O> {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::Resolved { host, addrs, took } => self.line(
                "resolve",
                json!({"host": host, "addresses": addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(), "ms": ms(took)}),
            ),
            Event::Connecting { addr } => {
                self.line("connect_attempt", json!({"address": addr.to_string()}))
            }
            Event::ConnectFailed { addr, error, took } => self.line(
                "connect_failed",
                json!({"address": addr.to_string(), "error": error, "ms": ms(took)}),
            ),
            Event::Connected { addr, took } => self.line(
                "connect",
                json!({"address": addr.to_string(), "ms": ms(took)}),
            ),
            Event::TlsEstablished {
                version,
                suite,
                group,
                alpn,
                took,
                proxy,
            } => self.line(
                "tls",
                json!({"version": version, "cipher_suite": suite, "group": group, "alpn": alpn, "proxy": proxy, "ms": ms(took)}),
            ),
            Event::KeyLogging { path } => self.line("key_log", json!({"path": path})),
            Event::AddressOverride { host, port, addrs } => self.line(
                "resolve_override",
                json!({"host": host, "port": port, "addresses": addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>()}),
            ),
            Event::ConnectTo { from, to } => {
                self.line("connect_to", json!({"from": from, "to": to}))
            }
            Event::UnixConnected { path, took } => {
                self.line("connect_unix", json!({"path": path, "ms": ms(took)}))
            }
            Event::ProxyUsed { url, setting } => {
                self.line("proxy", json!({"url": url, "setting": setting}))
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
            } => self.line(
                "redirect",
                json!({"status": status, "url": url, "hop": hop, "dropped_headers": dropped}),
            ),
            Event::TlsChain { certs } => self.tls_chain(certs),
            Event::TlsVerificationSkipped { problem } => {
                self.line("tls_unverified", json!({"problem": problem}))
            }
            Event::RequestSent { raw } => self.request(raw),
            Event::ResponseReceived {
                head,
                body,
                accepted,
            } => self.response(head, body, accepted.is_some()),
            Event::Open {
                timing,
                subprotocol,
                extensions,
                early_bytes,
            } => self.open(timing, subprotocol, extensions, early_bytes),
            Event::Frame { dir, frame } => self.frame(dir, frame),
            Event::MessageSent { kind, data } => self.message("sent", kind, data),
            Event::Message { kind, data } => self.message("received", kind, data),
            Event::Compression { dir, size, wire } => self.line(
                "compression",
                json!({"direction": direction(dir), "length": size, "compressed_length": wire}),
            ),
            Event::PingReceived { .. }
            | Event::PongReceived { .. }
            | Event::PingSent { .. }
            | Event::PongSent { .. } => self.ping_pong(ev),
            Event::CloseSent { code, reason } => self.close("sent", code, reason),
            Event::CloseReceived { code, reason } => self.close("received", code, reason),
            Event::Closed {
                clean,
                initiator,
                code,
                after,
            } => self.closed(clean, initiator, code, after),
            Event::InputEnded { sent, wait } => self.line(
                "input_end",
                json!({"messages_sent": sent, "wait_ms": wait.map(ms)}),
            ),
            Event::Warning(msg) => self.line("warning", json!({"message": msg})),
            Event::Client { .. }
            | Event::Listening { .. }
            | Event::Accepted { .. }
            | Event::RequestReceived { .. }
            | Event::ResponseSent { .. }
            | Event::Refused { .. }
            | Event::ClientOpen { .. }
            | Event::FileServed { .. }
            | Event::ClientEnded { .. } => self.listen_event(ev),
            Event::Retrying { .. } | Event::ExpectMet { .. } | Event::ExecEnded { .. } => {
                self.script(ev)
            }
            // REPL-only events: --json never runs the REPL, and message and
            // frame events already carry what these say.
            Event::ReplMessageSent { .. }
            | Event::RawFrameSent { .. }
            | Event::Verbosity { .. }
            | Event::Stats(_)
            | Event::ClientList(_)
            | Event::ServerStats(_)
            | Event::Totals(_) => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The events whose objects take more than one expression to build.
impl<O: Write> JsonPrinter<O> {
    /// `socks_auth`, `socks_connect` and `tunnel`: the SOCKS5 exchange and
    /// the open tunnel.
    fn tunnel_event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::SocksAuthenticated { user } => self.line("socks_auth", json!({"user": user})),
            Event::SocksConnect { target, remote_dns } => self.line(
                "socks_connect",
                json!({"target": target, "remote_dns": remote_dns}),
            ),
            Event::TunnelOpen {
                target,
                proxy,
                took,
            } => self.line(
                "tunnel",
                json!({"target": target, "proxy": proxy, "ms": ms(took)}),
            ),
            _ => Ok(()),
        }
    }

    /// Listen mode's events: `listening`, and per client (with `client`)
    /// `accepted`, `request`, `response`, `refused`, `client_open` and
    /// `client_end`.
    fn listen_event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::Client { id, event } => {
                let outer = self.client.replace(id);
                let written = self.emit(event);
                self.client = outer;
                written
            }
            Event::Listening { addr, secure } => {
                let scheme = if secure { "wss" } else { "ws" };
                self.line(
                    "listening",
                    json!({"address": addr.ip().to_string(), "port": addr.port(),
                           "url": format!("{scheme}://{addr}/"), "secure": secure}),
                )
            }
            Event::Accepted { addr } => self.line("accepted", json!({"address": addr.to_string()})),
            Event::RequestReceived { raw } => self.request(raw),
            Event::ResponseSent { raw } => {
                let end = memchr::memmem::find(raw, b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
                let upgraded = raw.starts_with(b"HTTP/1.1 101 ");
                self.response(&raw[..end], &raw[end..], upgraded)
            }
            Event::Refused {
                addr,
                status,
                problem,
            } => self.line(
                "refused",
                json!({"address": addr.to_string(), "status": status.map(|s| s.0),
                       "rule": problem_token(problem),
                       "message": super::listen::problem_words(problem, false)}),
            ),
            Event::ClientOpen {
                addr,
                path,
                offered,
                subprotocol,
                extensions,
            } => self.line(
                "client_open",
                json!({"address": addr.to_string(), "path": path,
                       "subprotocols_offered": offered, "subprotocol": subprotocol,
                       "extensions": extensions}),
            ),
            Event::FileServed {
                addr,
                path,
                status,
                outcome,
            } => {
                let (how, bytes, ct) = match outcome {
                    StaticOutcome::Sent {
                        bytes,
                        content_type,
                    } => ("sent", Some(*bytes), Some(*content_type)),
                    StaticOutcome::NotFound => ("not_found", None, None),
                    StaticOutcome::Outside => ("outside", None, None),
                    StaticOutcome::BadPath => ("bad_path", None, None),
                    StaticOutcome::Failed(_) => ("failed", None, None),
                };
                self.line(
                    "file",
                    json!({"address": addr.to_string(), "path": path, "status": status,
                           "outcome": how, "length": bytes, "content_type": ct}),
                )
            }
            Event::ClientEnded {
                addr,
                ref end,
                after,
                received,
            } => {
                let mut f = json!({"address": addr.to_string(), "ms": ms(after),
                                   "messages_received": received});
                let how = match end {
                    ClientEnd::Closed {
                        code,
                        reason,
                        by_client,
                    } => json!({"how": "closed", "code": code, "reason": reason,
                                "clean": matches!(code, 1000 | 1001 | 1005),
                                "initiator": if *by_client { "client" } else { "server" }}),
                    ClientEnd::Violation(v) => json!({"how": "protocol_error",
                        "rule": v.seen_by(crate::protocol::frame::Role::Server).to_string(),
                        "code": v.close_code()}),
                    ClientEnd::Dropped(_) => json!({"how": "dropped", "code": 1006,
                        "detail": super::listen::ended_line(addr, end, after, received, |_| String::new())}),
                };
                if let (Value::Object(m), Value::Object(h)) = (&mut f, how) {
                    m.extend(h);
                }
                self.line("client_end", f)
            }
            _ => Ok(()),
        }
    }

    /// `proxy_request`: the CONNECT request, credentials redacted.
    fn proxy_request(&mut self, raw: &[u8]) -> io::Result<()> {
        let raw = redact(raw, self.show_secrets);
        let (first, headers) = split_head(&raw);
        self.line(
            "proxy_request",
            json!({"request_line": first, "headers": headers_json(&headers)}),
        )
    }

    /// `proxy_response`: the proxy's answer and its body.
    fn proxy_response(&mut self, head: &[u8], body: &[u8]) -> io::Result<()> {
        let (first, headers) = split_head(head);
        let f = json!({"status_line": first, "headers": headers_json(&headers)});
        self.line("proxy_response", with_data(f, "body", body, false))
    }

    /// `tls_chain`: the server's certificates, leaf first.
    fn tls_chain(&mut self, certs: &[CertInfo]) -> io::Result<()> {
        self.line(
            "tls_chain",
            json!({"certificates": certs.iter().map(|c| json!({
                "subject": c.subject, "issuer": c.issuer, "names": c.names,
                "not_before": crate::format::date(c.not_before),
                "not_after": crate::format::date(c.not_after),
                "sha256": c.sha256,
            })).collect::<Vec<_>>()}),
        )
    }

    /// `request`: the upgrade request's line split up, its headers redacted.
    fn request(&mut self, raw: &[u8]) -> io::Result<()> {
        let raw = redact(raw, self.show_secrets);
        let (first, headers) = split_head(&raw);
        let mut parts = first.splitn(3, ' ');
        let (method, target, version) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        self.line(
            "request",
            json!({"method": method, "target": target, "version": version, "headers": headers_json(&headers)}),
        )
    }

    /// `response`: the status line split up, headers redacted, the body.
    fn response(&mut self, head: &[u8], body: &[u8], accept_verified: bool) -> io::Result<()> {
        let head = redact(head, self.show_secrets);
        let (first, headers) = split_head(&head);
        let mut parts = first.splitn(3, ' ');
        let version = parts.next().unwrap_or_default().to_string();
        let status: Value = parts
            .next()
            .and_then(|s| s.parse::<u16>().ok())
            .map_or(Value::Null, Value::from);
        let reason = parts.next().unwrap_or_default().to_string();
        let f = json!({"version": version, "status": status, "reason": reason,
            "headers": headers_json(&headers), "accept_verified": accept_verified});
        self.line("response", with_data(f, "body", body, false))
    }

    /// `open`: what was negotiated, and the phases' times.
    fn open(
        &mut self,
        timing: Timing,
        subprotocol: Option<&str>,
        extensions: Option<&str>,
        early_bytes: usize,
    ) -> io::Result<()> {
        self.line(
            "open",
            json!({
                "subprotocol": subprotocol,
                "extensions": extensions,
                "early_bytes": early_bytes,
                "timing": {
                    "dns_ms": ms(timing.dns),
                    "tcp_ms": ms(timing.tcp),
                    "proxy_ms": timing.proxy.map(ms),
                    "tls_ms": timing.tls.map(ms),
                    "upgrade_ms": ms(timing.upgrade),
                    "total_ms": ms(timing.total),
                }
            }),
        )
    }

    /// `frame`: one frame's header fields and its payload (or Close code).
    fn frame(&mut self, dir: Direction, frame: &FrameInfo) -> io::Result<()> {
        let mut f = json!({
            "direction": direction(dir),
            "opcode": frame.opcode.name(),
            "opcode_value": frame.opcode.bits(),
            "fin": frame.fin,
            "rsv1": frame.rsv[0], "rsv2": frame.rsv[1], "rsv3": frame.rsv[2],
            "mask": frame.mask.map(|k| if self.deterministic { "xxxxxxxx".to_string() } else { hex(&k) }),
            "length": frame.len,
            "complete": frame.complete(),
            "invalid_utf8": frame.invalid_utf8,
            "compressed": frame.compressed,
            "fragment": frame.fragment,
            "continues": frame.continues.map(Opcode::name),
        });
        if let Value::Object(m) = &mut f {
            if let Some((code, reason)) = frame.close() {
                m.insert("close_code".into(), code.map_or(Value::Null, Value::from));
                m.extend(data_fields("close_reason", reason, false));
            } else {
                let binary =
                    frame.opcode == Opcode::Binary || frame.continues == Some(Opcode::Binary);
                m.extend(data_fields("preview", &frame.preview, binary));
            }
        }
        self.line("frame", f)
    }

    /// `message`: a data message, sent or received.
    /// The events of --retry and --expect.
    fn script(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::Retrying {
                attempt,
                of,
                delay,
                server_closed,
            } => self.line(
                "retry",
                json!({"attempt": attempt, "of": of, "delay_ms": ms(delay),
                       "server_close_code": server_closed}),
            ),
            Event::ExpectMet {
                index,
                of,
                pattern,
                after,
            } => self.line(
                "expect_met",
                json!({"index": index, "of": of, "pattern": pattern, "after_ms": ms(after)}),
            ),
            Event::ExecEnded {
                command,
                code,
                signal,
            } => self.line(
                "exec_end",
                json!({"command": command, "status": code, "signal": signal}),
            ),
            _ => Ok(()),
        }
    }

    fn message(&mut self, dir: &str, k: MessageKind, data: &[u8]) -> io::Result<()> {
        let f = json!({"direction": dir, "type": kind(k), "length": data.len()});
        self.line(
            "message",
            with_data(f, "data", data, k == MessageKind::Binary),
        )
    }

    /// `ping` and `pong`: a control frame's direction and payload.
    fn ping_pong(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let (event, f, data) = match *ev {
            Event::PingReceived { data } => ("ping", json!({"direction": "received"}), data),
            Event::PongReceived {
                data,
                rtt,
                keepalive,
            } => (
                "pong",
                json!({"direction": "received", "rtt_ms": rtt.map(ms), "keepalive": keepalive}),
                data,
            ),
            Event::PingSent { data, keepalive } => (
                "ping",
                json!({"direction": "sent", "keepalive": keepalive}),
                data,
            ),
            Event::PongSent { data } => ("pong", json!({"direction": "sent"}), data),
            _ => return Ok(()),
        };
        self.line(event, with_data(f, "data", data, false))
    }

    /// `closed`: how the connection ended.
    fn closed(
        &mut self,
        clean: bool,
        initiator: Option<Initiator>,
        code: Option<u16>,
        after: Duration,
    ) -> io::Result<()> {
        self.line(
            "closed",
            json!({
                "clean": clean,
                "initiator": initiator.map(|i| match i { Initiator::Client => "client", Initiator::Server => "server" }),
                "code": code,
                "ms": ms(after),
            }),
        )
    }

    /// `close`: a Close frame, sent or received.
    fn close(&mut self, dir: &str, code: u16, reason: &str) -> io::Result<()> {
        self.line(
            "close",
            json!({"direction": dir, "code": code, "name": close_code_name(code), "reason": reason}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_an_object_with_event_and_time() {
        let mut p = JsonPrinter::new(Vec::new(), true, false, false);
        p.emit(&Event::Message {
            kind: MessageKind::Binary,
            data: &[0, 1],
        })
        .expect("emit");
        p.emit(&Event::RequestSent {
            raw: b"GET / HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n",
        })
        .expect("emit");
        let text = String::from_utf8(p.out).expect("utf8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines[0]["event"], "message");
        assert_eq!(lines[0]["data_base64"], "AAE=");
        assert_eq!(lines[0]["t"], 0.0);
        assert_eq!(lines[1]["headers"][0]["value"], "Bearer [redacted]");
        assert_eq!(lines[1]["target"], "/");
    }
}
