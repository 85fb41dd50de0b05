//! `--exec` in listen mode: one program per client, as websocketd runs
//! them. This file holds what a client's program is ([`Attached`]) and its
//! environment; the hub's side (starting, feeding, reaping) is
//! `hub::programs`. It starts when the client's upgrade completes, with the request in
//! its environment under the names CGI and websocketd use; its output goes
//! to that client alone, and that client's messages to its stdin. When its
//! output ends the client is closed (1000); when the client ends, the
//! program is finished on a thread of its own (closing its stdin, then
//! SIGTERM, then SIGKILL, each after a grace period), so a slow program
//! never holds the hub; how it ended is reported with the client's id.

use crate::error::{Error, ExecEnd};
use crate::event::ClientId;
use crate::http::parse_request;
use crate::input::Input;
use crate::input::exec::{Delivery, Program};
use std::net::SocketAddr;
use std::sync::mpsc::Receiver;

/// A client's program: it, its output channel, and a message its full
/// queue could not take yet.
pub struct Attached {
    /// The program.
    pub program: Program,
    /// Its output, until it ends.
    pub output: Option<Receiver<Input>>,
    /// A message from the client its full queue could not take yet.
    pub backlog: Option<Vec<u8>>,
}

/// How a program ended, from its reaper thread.
pub struct Reaped {
    /// The client's id.
    pub id: ClientId,
    /// How the program ended.
    pub end: ExecEnd,
    /// Its failure, when it failed.
    pub err: Option<Error>,
}

impl Attached {
    /// Hand a message from the client to the program. False when its queue
    /// is full: the message waits here, and reading that client pauses.
    pub fn deliver(&mut self, data: &[u8]) -> bool {
        let framed = self.program.framed(data);
        match self.program.deliver(framed) {
            Delivery::Queued => true,
            Delivery::Full(d) => {
                self.backlog = Some(d);
                false
            }
        }
    }

    /// A message waits for the program's queue.
    pub fn waiting(&self) -> bool {
        self.backlog.is_some()
    }

    /// Try the waiting message again; true once it is taken.
    pub fn retry(&mut self) -> bool {
        let Some(d) = self.backlog.take() else {
            return true;
        };
        match self.program.deliver(d) {
            Delivery::Queued => true,
            Delivery::Full(d) => {
                self.backlog = Some(d);
                false
            }
        }
    }
}

/// The CGI and websocketd environment of a request: the client's address,
/// the request line's parts, and every header as `HTTP_NAME`.
pub fn environment(
    request: &[u8],
    target: &str,
    client: SocketAddr,
    server: Option<SocketAddr>,
    id: ClientId,
) -> Vec<(String, String)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut env = vec![
        ("GATEWAY_INTERFACE".to_string(), "CGI/1.1".to_string()),
        ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
        (
            "SERVER_SOFTWARE".into(),
            format!("wsprobe/{}", env!("CARGO_PKG_VERSION")),
        ),
        ("REQUEST_METHOD".into(), "GET".into()),
        ("REQUEST_URI".into(), target.to_string()),
        ("SCRIPT_NAME".into(), String::new()),
        ("PATH_INFO".into(), path.to_string()),
        ("QUERY_STRING".into(), query.to_string()),
        ("REMOTE_ADDR".into(), client.ip().to_string()),
        ("REMOTE_PORT".into(), client.port().to_string()),
        ("WSPROBE_CLIENT_ID".into(), id.to_string()),
    ];
    if let Some(s) = server {
        env.push(("SERVER_PORT".into(), s.port().to_string()));
    }
    if let Ok(Some((_, head))) = parse_request(request) {
        if let Some(host) = head.header("Host") {
            let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
            env.push(("SERVER_NAME".into(), name.to_string()));
        }
        for (name, value) in &head.headers {
            let var: String = name
                .chars()
                .map(|c| match c {
                    '-' => '_',
                    c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase(),
                    _ => '_',
                })
                .collect();
            env.push((format!("HTTP_{var}"), value.clone()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_has_cgi_and_websocketd_names() {
        let req = b"GET /chat/room?x=1 HTTP/1.1\r\nHost: example:8080\r\nOrigin: http://a\r\nX-Odd-Name: v\r\n\r\n";
        let client: SocketAddr = "127.0.0.1:5555".parse().expect("addr");
        let server: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let env = environment(req, "/chat/room?x=1", client, Some(server), 3);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PATH_INFO"), Some("/chat/room"));
        assert_eq!(get("QUERY_STRING"), Some("x=1"));
        assert_eq!(get("REQUEST_URI"), Some("/chat/room?x=1"));
        assert_eq!(get("REMOTE_ADDR"), Some("127.0.0.1"));
        assert_eq!(get("REMOTE_PORT"), Some("5555"));
        assert_eq!(get("SERVER_PORT"), Some("8080"));
        assert_eq!(get("SERVER_NAME"), Some("example"));
        assert_eq!(get("HTTP_ORIGIN"), Some("http://a"));
        assert_eq!(get("HTTP_X_ODD_NAME"), Some("v"));
        assert_eq!(get("WSPROBE_CLIENT_ID"), Some("3"));
    }
}
