//! `--har FILE`: the session as HAR 1.2, the way browsers export a
//! WebSocket: one entry holding the upgrade request and response, the
//! timings, and `_webSocketMessages` (`type` send/receive, `time` in epoch
//! seconds, `opcode` 1 or 2, `data`, base64 for binary).
//!
//! The recorder is an [`Emit`] sink that only collects; the file is
//! written once, at the end, by [`HarRecorder::write`], whatever the outcome
//! (a refused upgrade is worth a HAR too).

use super::json::{headers_json, split_head};
use super::redact::redact;
use crate::event::{Emit, Event, MessageKind, Timing};
use crate::format::rfc3339;
use base64::Engine as _;
use serde_json::{Value, json};
use std::io;
use std::path::Path;
use std::time::{Instant, SystemTime};

/// Collects what a HAR entry needs.
pub struct HarRecorder {
    url: String,
    show_secrets: bool,
    deterministic: bool,
    started: SystemTime,
    start: Instant,
    server_ip: Option<String>,
    request: Option<Vec<u8>>,
    response: Option<(Vec<u8>, Vec<u8>)>,
    timing: Option<Timing>,
    messages: Vec<Value>,
}

impl HarRecorder {
    /// A recorder for a session with `url`.
    pub fn new(url: &str, show_secrets: bool, deterministic: bool) -> HarRecorder {
        HarRecorder {
            url: url.to_string(),
            show_secrets,
            deterministic,
            started: SystemTime::now(),
            start: Instant::now(),
            server_ip: None,
            request: None,
            response: None,
            timing: None,
            messages: Vec::new(),
        }
    }

    fn now(&self) -> SystemTime {
        if self.deterministic {
            SystemTime::UNIX_EPOCH
        } else {
            self.started + self.start.elapsed()
        }
    }

    fn message(&mut self, kind: &str, k: MessageKind, data: &[u8]) {
        let time = self
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let (opcode, data) = match k {
            MessageKind::Text => (1, String::from_utf8_lossy(data).into_owned()),
            MessageKind::Binary => (2, base64::engine::general_purpose::STANDARD.encode(data)),
        };
        self.messages
            .push(json!({"type": kind, "time": time, "opcode": opcode, "data": data}));
    }

    /// The HAR document.
    pub fn to_json(&self) -> Value {
        let mut entries = Vec::new();
        if let Some(req) = &self.request {
            let req = redact(req, self.show_secrets);
            let (first, headers) = split_head(&req);
            let mut parts = first.splitn(3, ' ');
            let method = parts.next().unwrap_or("GET").to_string();
            let version = parts.nth(1).unwrap_or("HTTP/1.1").to_string();
            let query: Vec<Value> = url_query(&self.url)
                .into_iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect();
            let response = match &self.response {
                Some((head, body)) => {
                    let head = redact(head, self.show_secrets);
                    let (first, headers) = split_head(&head);
                    let mut parts = first.splitn(3, ' ');
                    let version = parts.next().unwrap_or_default().to_string();
                    let status: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                    let reason = parts.next().unwrap_or_default().to_string();
                    let mime = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
                        .map_or(String::new(), |(_, v)| v.clone());
                    let location = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("Location"))
                        .map_or(String::new(), |(_, v)| v.clone());
                    json!({
                        "status": status,
                        "statusText": reason,
                        "httpVersion": version,
                        "cookies": [],
                        "headers": headers_json(&headers),
                        "content": {
                            "size": body.len(),
                            "mimeType": mime,
                            "text": String::from_utf8_lossy(body),
                        },
                        "redirectURL": location,
                        "headersSize": head.len(),
                        "bodySize": body.len(),
                    })
                }
                None => json!({
                    "status": 0, "statusText": "", "httpVersion": "", "cookies": [],
                    "headers": [], "content": {"size": 0, "mimeType": ""},
                    "redirectURL": "", "headersSize": -1, "bodySize": -1,
                    "_error": "no response",
                }),
            };
            let t = self.timing.unwrap_or_default();
            let msf = |d: std::time::Duration| {
                if self.deterministic {
                    0.0
                } else {
                    d.as_secs_f64() * 1e3
                }
            };
            let ssl = t.tls.map_or(-1.0, msf);
            let mut entry = json!({
                "startedDateTime": rfc3339(if self.deterministic { SystemTime::UNIX_EPOCH } else { self.started }),
                "time": msf(t.total),
                "request": {
                    "method": method,
                    "url": self.url,
                    "httpVersion": version,
                    "cookies": [],
                    "headers": headers_json(&headers),
                    "queryString": query,
                    "headersSize": req.len(),
                    "bodySize": 0,
                },
                "response": response,
                "cache": {},
                "timings": {
                    "blocked": -1,
                    "dns": msf(t.dns),
                    // HAR's connect includes ssl.
                    "connect": msf(t.tcp) + ssl.max(0.0),
                    "ssl": ssl,
                    "send": 0,
                    "wait": msf(t.upgrade),
                    "receive": 0,
                },
                "_resourceType": "websocket",
                "_webSocketMessages": self.messages,
            });
            if let (Some(ip), Value::Object(m)) = (&self.server_ip, &mut entry) {
                m.insert("serverIPAddress".into(), ip.clone().into());
            }
            entries.push(entry);
        }
        json!({
            "log": {
                "version": "1.2",
                "creator": {"name": "wsprobe", "version": env!("CARGO_PKG_VERSION")},
                "pages": [],
                "entries": entries,
            }
        })
    }

    /// Write the HAR file.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(&self.to_json()).map_err(io::Error::other)?;
        std::fs::write(path, text)
    }
}

/// The query pairs of a URL (percent-decoding left to the reader, as in
/// browsers' exports of the raw URL).
fn url_query(url: &str) -> Vec<(String, String)> {
    match url::Url::parse(url) {
        Ok(u) => u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

impl Emit for HarRecorder {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match *ev {
            Event::Connected { addr, .. } => self.server_ip = Some(addr.ip().to_string()),
            Event::RequestSent { raw } => self.request = Some(raw.to_vec()),
            Event::ResponseReceived { head, body, .. } => {
                self.response = Some((head.to_vec(), body.to_vec()));
            }
            Event::Open { timing, .. } => self.timing = Some(timing),
            Event::MessageSent { kind, data } => self.message("send", kind, data),
            Event::Message { kind, data } => self.message("receive", kind, data),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Accepted;

    #[test]
    fn an_entry_with_messages() {
        let mut h = HarRecorder::new("ws://h:1/p?a=1&b=x%20y", false, true);
        h.emit(&Event::RequestSent {
            raw: b"GET /p?a=1 HTTP/1.1\r\nHost: h:1\r\nCookie: s=1\r\n\r\n",
        })
        .expect("emit");
        h.emit(&Event::ResponseReceived {
            head: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            body: b"",
            accepted: Some(Accepted {
                key: "k",
                accept: "abc",
            }),
        })
        .expect("emit");
        h.emit(&Event::MessageSent {
            kind: MessageKind::Text,
            data: b"hi",
        })
        .expect("emit");
        h.emit(&Event::Message {
            kind: MessageKind::Binary,
            data: &[1, 2],
        })
        .expect("emit");
        let v = h.to_json();
        let e = &v["log"]["entries"][0];
        assert_eq!(v["log"]["version"], "1.2");
        assert_eq!(e["request"]["method"], "GET");
        assert_eq!(e["request"]["queryString"][1]["value"], "x y");
        assert_eq!(e["request"]["headers"][1]["value"], "s=[redacted]");
        assert_eq!(e["response"]["status"], 101);
        assert_eq!(e["_webSocketMessages"][0]["type"], "send");
        assert_eq!(e["_webSocketMessages"][1]["opcode"], 2);
        assert_eq!(e["_webSocketMessages"][1]["data"], "AQI=");
    }

    #[test]
    fn no_request_means_no_entry() {
        let h = HarRecorder::new("ws://h/", false, true);
        assert_eq!(h.to_json()["log"]["entries"], json!([]));
    }
}
