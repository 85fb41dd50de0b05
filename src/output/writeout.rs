//! `--write-out`: gathers the run's facts from its events and from how it
//! ended, then writes the template ([`crate::script::writeout`]) once, at
//! the end, whatever the outcome.

use crate::error::Error;
use crate::event::{Event, Initiator, Stats, Timing};
use crate::script::writeout::{Piece, Sink, Template, VARIABLES, Var};
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the write-out knows so far.
pub struct WriteOut {
    template: Template,
    start: Instant,
    url: String,
    timing: Option<Timing>,
    status: Option<u16>,
    remote: Option<SocketAddr>,
    subprotocol: String,
    extensions: String,
    stats: Stats,
    close_code: Option<u16>,
    close_reason: String,
    closed_by: Option<Initiator>,
    end: Option<Duration>,
    retries: u64,
    error: Option<(u8, String, &'static str)>,
}

impl WriteOut {
    /// A write-out of `template` for a run on `url` that started at `start`.
    pub fn new(template: Template, url: &str, start: Instant) -> WriteOut {
        WriteOut {
            template,
            start,
            url: url.to_string(),
            timing: None,
            status: None,
            remote: None,
            subprotocol: String::new(),
            extensions: String::new(),
            stats: Stats::default(),
            close_code: None,
            close_reason: String::new(),
            closed_by: None,
            end: None,
            retries: 0,
            error: None,
        }
    }

    /// Take what an event says.
    pub fn observe(&mut self, ev: &Event<'_>) {
        match *ev {
            Event::Connected { addr, .. } => self.remote = Some(addr),
            Event::ResponseReceived { head, .. } => self.status = status_of(head),
            Event::Open {
                timing,
                subprotocol,
                extensions,
                ..
            } => {
                self.timing = Some(timing);
                self.subprotocol = subprotocol.unwrap_or_default().to_string();
                self.extensions = extensions.unwrap_or_default().to_string();
            }
            Event::CloseReceived { code, reason } => {
                self.close_code.get_or_insert(code);
                if self.close_reason.is_empty() {
                    self.close_reason = reason.to_string();
                }
            }
            Event::Closed {
                initiator, code, ..
            } => {
                self.closed_by = initiator;
                if let Some(c) = code {
                    self.close_code = Some(c);
                }
            }
            Event::Totals(s) => {
                let t = &mut self.stats;
                t.sent_messages += s.sent_messages;
                t.sent_bytes += s.sent_bytes;
                t.received_messages += s.received_messages;
                t.received_bytes += s.received_bytes;
                t.rtt = s.rtt.or(t.rtt);
            }
            Event::Retrying { .. } => {
                self.retries += 1;
                // How the last connection closed, and the failure a retry
                // survived, are not the run's end.
                self.close_code = None;
                self.close_reason.clear();
                self.closed_by = None;
                self.error = None;
            }
            _ => {}
        }
    }

    /// How the run ended, when it failed.
    pub fn failed(&mut self, err: &Error) {
        if self.error.is_none() {
            self.error = Some((err.exit_code(), err.to_string(), err.class()));
        }
    }

    /// Fill the template in and write it: `stdout` for the default sink
    /// (already flushed of the messages), `stderr`, or the files it names.
    pub fn write(&mut self, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<()> {
        self.end.get_or_insert_with(|| self.start.elapsed());
        let mut file: Option<std::fs::File> = None;
        let mut sink = Sink::Stdout;
        for piece in &self.template.pieces {
            let text = match piece {
                Piece::Text(t) => t.clone(),
                Piece::Var(v) => self.value(*v),
                Piece::To(s) => {
                    file = match s {
                        Sink::File { path, append } => Some(
                            std::fs::OpenOptions::new()
                                .create(true)
                                .write(true)
                                .append(*append)
                                .truncate(!*append)
                                .open(path)
                                .map_err(|e| {
                                    io::Error::new(
                                        e.kind(),
                                        format!("cannot write to {}: {e}", path.display()),
                                    )
                                })?,
                        ),
                        _ => None,
                    };
                    sink = s.clone();
                    continue;
                }
            };
            match (&sink, &mut file) {
                (Sink::Stderr, _) => stderr.write_all(text.as_bytes())?,
                (Sink::File { .. }, Some(f)) => f.write_all(text.as_bytes())?,
                _ => stdout.write_all(text.as_bytes())?,
            }
        }
        stdout.flush()
    }

    /// A variable as text.
    fn value(&self, v: Var) -> String {
        match self.json_value(v) {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Number(n) if is_time(v) => n.as_f64().map(secs).unwrap_or_default(),
            Value::Number(n) if v == Var::HttpCode => format!("{:03}", n.as_u64().unwrap_or(0)),
            other => other.to_string(),
        }
    }

    /// A variable as JSON (null when unknown).
    fn json_value(&self, v: Var) -> Value {
        let t = self.timing;
        let phase = |f: fn(&Timing) -> Option<Duration>| -> Value {
            t.as_ref()
                .and_then(f)
                .map_or(Value::Null, |d| json!(d.as_secs_f64()))
        };
        let rtt = |pick: fn((Duration, Duration, Duration)) -> Duration| -> Value {
            self.stats
                .rtt
                .map_or(Value::Null, |r| json!(pick(r).as_secs_f64()))
        };
        let (code, msg, class) = match &self.error {
            Some((c, m, k)) => (*c, m.as_str(), *k),
            None => (0, "", ""),
        };
        match v {
            Var::TimeDns => phase(|t| Some(t.dns)),
            Var::TimeConnect => phase(|t| Some(t.tcp)),
            Var::TimeProxy => phase(|t| Some(t.proxy.unwrap_or_default())),
            Var::TimeTls => phase(|t| Some(t.tls.unwrap_or_default())),
            Var::TimeUpgrade => phase(|t| Some(t.upgrade)),
            Var::TimeOpen => phase(|t| Some(t.total)),
            Var::TimeTotal => json!(self.end.unwrap_or_default().as_secs_f64()),
            Var::HttpCode => json!(self.status.unwrap_or(0)),
            Var::Url => json!(self.url),
            Var::RemoteIp => self
                .remote
                .map_or(Value::Null, |a| json!(a.ip().to_string())),
            Var::RemotePort => self.remote.map_or(Value::Null, |a| json!(a.port())),
            Var::Subprotocol => json!(self.subprotocol),
            Var::Extensions => json!(self.extensions),
            Var::MessagesSent => json!(self.stats.sent_messages),
            Var::MessagesReceived => json!(self.stats.received_messages),
            Var::BytesSent => json!(self.stats.sent_bytes),
            Var::BytesReceived => json!(self.stats.received_bytes),
            Var::PingRtt => rtt(|(_, mean, _)| mean),
            Var::PingRttMin => rtt(|(min, _, _)| min),
            Var::PingRttMax => rtt(|(_, _, max)| max),
            Var::CloseCode => self.close_code.map_or(Value::Null, |c| json!(c)),
            Var::CloseReason => json!(self.close_reason),
            Var::ClosedBy => json!(match self.closed_by {
                Some(Initiator::Client) => "client",
                Some(Initiator::Server) => "server",
                None => "none",
            }),
            Var::NumRetries => json!(self.retries),
            Var::ExitCode => json!(code),
            Var::ErrorMsg => json!(msg),
            Var::ErrorClass => json!(class),
            Var::Json => {
                let all: Map<String, Value> = VARIABLES
                    .iter()
                    .filter(|(_, _, v)| *v != Var::Json)
                    .map(|(name, _, v)| (name.to_string(), self.json_value(*v)))
                    .collect();
                Value::Object(all)
            }
        }
    }
}

/// The time variables print as curl's do: seconds, six decimals.
fn is_time(v: Var) -> bool {
    matches!(
        v,
        Var::TimeDns
            | Var::TimeConnect
            | Var::TimeProxy
            | Var::TimeTls
            | Var::TimeUpgrade
            | Var::TimeOpen
            | Var::TimeTotal
            | Var::PingRtt
            | Var::PingRttMin
            | Var::PingRttMax
    )
}

fn secs(s: f64) -> String {
    format!("{s:.6}")
}

/// The status code of a response head's status line.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let code = line.split(|&b| b == b' ').nth(1)?;
    std::str::from_utf8(code).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(format: &str, events: &[Event<'_>], err: Option<&Error>) -> (String, String) {
        let t = Template::parse(format).expect("valid format");
        let mut w = WriteOut::new(t, "ws://h:1/", Instant::now());
        for ev in events {
            w.observe(ev);
        }
        if let Some(e) = err {
            w.failed(e);
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        w.write(&mut out, &mut err).expect("writes");
        (
            String::from_utf8(out).expect("utf-8"),
            String::from_utf8(err).expect("utf-8"),
        )
    }

    fn open_events() -> Vec<Event<'static>> {
        vec![
            Event::ResponseReceived {
                head: b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
                body: b"",
                accepted: None,
            },
            Event::Open {
                timing: Timing {
                    dns: Duration::from_millis(1),
                    tcp: Duration::from_millis(2),
                    proxy: None,
                    tls: None,
                    upgrade: Duration::from_millis(3),
                    total: Duration::from_millis(6),
                },
                subprotocol: Some("chat"),
                extensions: None,
                early_bytes: 0,
            },
            Event::CloseReceived {
                code: 1000,
                reason: "bye",
            },
            Event::Closed {
                clean: true,
                initiator: Some(Initiator::Server),
                code: Some(1000),
                after: Duration::from_millis(10),
            },
        ]
    }

    #[test]
    fn a_success_fills_every_kind_of_variable() {
        let (out, _) = run(
            r"%{http_code} %{time_dns} %{time_open} %{subprotocol} %{close_code} %{closed_by} %{close_reason} %{exitcode} [%{errormsg}] [%{ping_rtt}]\n",
            &open_events(),
            None,
        );
        assert_eq!(out, "101 0.001000 0.006000 chat 1000 server bye 0 [] []\n");
    }

    #[test]
    fn a_failure_has_its_status_class_and_words() {
        let err = Error::Usage("no".into());
        let (out, errout) = run(
            "%{http_code}%{stderr} %{exitcode} %{error_class}: %{errormsg}",
            &[],
            Some(&err),
        );
        assert_eq!(out, "000");
        assert_eq!(errout, " 2 usage: no");
    }

    #[test]
    fn json_holds_every_variable() {
        let (out, _) = run("%{json}", &open_events(), None);
        let v: Value = serde_json::from_str(&out).expect("JSON");
        let obj = v.as_object().expect("object");
        assert_eq!(obj.len(), VARIABLES.len() - 1);
        assert_eq!(v["http_code"], 101);
        assert_eq!(v["close_code"], 1000);
        assert_eq!(v["time_tls"], 0.0);
        assert_eq!(v["remote_ip"], Value::Null);
        assert_eq!(v["exitcode"], 0);
    }

    #[test]
    fn output_files_are_written_and_appended() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.txt");
        let f = format!("a%output{{{}}}b", path.display());
        let (out, _) = run(&f, &[], None);
        assert_eq!(out, "a");
        let f = format!("%output{{>>{}}}c", path.display());
        run(&f, &[], None);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "bc");
    }
}
