//! [`Chromium`]: Debian's headless Chromium as a real WebSocket client,
//! driven through the DevTools protocol.
//!
//! `--dump-dom` returns when the page has loaded, before its socket work is
//! done, and `--virtual-time-budget` lets virtual time run ahead of the
//! network on a loaded machine; so instead the test asks the page itself,
//! over DevTools (`Runtime.evaluate` with `awaitPromise`), for a promise the
//! page resolves when its WebSocket has closed. No sleeps: the DevTools port
//! comes from Chromium's first stderr lines, and every wait has a deadline.
//!
//! Chromium leads its own process group (it forks a zygote, a renderer and
//! helpers); dropping the guard kills that group by the PID we started and
//! reaps the child. Its profile lives in a temporary directory.

use super::COMMAND_TIMEOUT;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A running headless Chromium that opened one URL.
pub struct Chromium {
    child: Child,
    devtools_port: u16,
    stderr: mpsc::Receiver<String>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// `chromium --headless` on `url`, or None when Chromium is not installed
    /// or cannot start (with a message on stderr saying the test is skipped).
    pub fn open(url: &str) -> Option<Chromium> {
        let bin = super::daemon::find("chromium", "chromium")?;
        let profile = tempfile::Builder::new()
            .prefix("wsprobe-chromium-")
            .tempdir()
            .expect("tempdir");
        let mut cmd = Command::new(&bin);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        // Debian's wrapper script reads its own config; keep the user's out.
        .env("HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIPPED: chromium cannot start: {e}");
                return None;
            }
        };
        let (tx, lines) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr is piped");
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let mut seen = String::new();
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    let port = line
                        .strip_prefix("DevTools listening on ws://127.0.0.1:")
                        .and_then(|rest| rest.split('/').next())
                        .and_then(|p| p.parse::<u16>().ok());
                    if let Some(p) = port {
                        break p;
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(_) => {
                    kill_group(&mut child);
                    eprintln!(
                        "SKIPPED: chromium did not start (no DevTools line); stderr:\n{seen}"
                    );
                    return None;
                }
            }
        };
        Some(Chromium {
            child,
            devtools_port: port,
            stderr: lines,
            _profile: profile,
        })
    }

    /// Evaluate `expression` (which may return a promise) in the page whose
    /// URL starts with `url_prefix`, once the page defines `window.{global}`;
    /// the value it resolves to. Retries while the page is still loading
    /// (no such target yet, or its context replaced by the navigation),
    /// within 20 s in all.
    pub fn await_in_page(&self, url_prefix: &str, global: &str, expression: &str) -> Value {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let wrapped = format!(
            "new Promise((ok) => {{ const poll = () => window.{global} ? ok({expression}) \
             : setTimeout(poll, 10); poll(); }})"
        );
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.page_socket(url_prefix) {
                Ok(ws_url) => match evaluate(&ws_url, &wrapped, deadline) {
                    Ok(v) => return v,
                    Err(e) => last = e,
                },
                Err(e) => last = e,
            }
            thread::park_timeout(Duration::from_millis(20));
        }
        panic!(
            "no answer from the page {url_prefix}: {last}\nchromium stderr:\n{}",
            self.stderr_so_far()
        );
    }

    /// The DevTools WebSocket URL of the page target at `url_prefix`.
    fn page_socket(&self, url_prefix: &str) -> Result<String, String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.devtools_port))
            .map_err(|e| format!("DevTools HTTP: {e}"))?;
        super::configure_socket(&s);
        write!(
            s,
            "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.devtools_port
        )
        .map_err(|e| e.to_string())?;
        // Chromium keeps the connection open: read the head, then
        // Content-Length bytes.
        let mut reader = BufReader::new(s);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| format!("odd {line:?}"))?;
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        let body = String::from_utf8_lossy(&body);
        let targets: Vec<Value> =
            serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        targets
            .iter()
            .find(|t| {
                t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url_prefix))
            })
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("no page target at {url_prefix} yet: {body}"))
    }

    /// What Chromium wrote on stderr since it announced DevTools.
    fn stderr_so_far(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

/// `Runtime.evaluate` of `expression` (awaited, by value) over the page's
/// DevTools socket, waiting no later than `deadline`: the result's value,
/// or why there is none.
fn evaluate(ws_url: &str, expression: &str, deadline: Instant) -> Result<Value, String> {
    let addr = ws_url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("odd DevTools URL {ws_url}"))?;
    let stream = TcpStream::connect(addr).map_err(|e| format!("DevTools socket: {e}"))?;
    super::configure_socket(&stream);
    let left = deadline.saturating_duration_since(Instant::now());
    stream
        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .map_err(|e| e.to_string())?;
    let (mut ws, _) =
        tungstenite::client(ws_url, stream).map_err(|e| format!("DevTools handshake: {e}"))?;
    let call = json!({
        "id": 1,
        "method": "Runtime.evaluate",
        "params": {"expression": expression, "awaitPromise": true, "returnByValue": true},
    });
    ws.send(tungstenite::Message::text(call.to_string()))
        .map_err(|e| e.to_string())?;
    loop {
        let msg = ws.read().map_err(|e| format!("DevTools read: {e}"))?;
        let Ok(text) = msg.to_text() else { continue };
        let Ok(reply) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        if reply["id"] != 1 {
            continue;
        }
        let _ = ws.close(None);
        if let Some(err) = reply.get("error") {
            return Err(format!("DevTools error: {err}"));
        }
        if let Some(exc) = reply["result"].get("exceptionDetails") {
            return Err(format!("exception in the page: {exc}"));
        }
        return Ok(reply["result"]["result"]["value"].clone());
    }
}

/// SIGKILL to the process group of `child` (which leads it), then reap it.
fn kill_group(child: &mut Child) {
    // Before reaping: until then the leader's PID (the group id) cannot be
    // reused, and the group's other members may outlive the leader.
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the process group led by the child we started.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let _ = child.wait();
}

impl Drop for Chromium {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}
