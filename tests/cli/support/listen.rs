//! [`Listening`]: `wsprobe -l 127.0.0.1:0 ...` run as a child process that
//! the test talks to, the port learnt from the first stderr line (no
//! sleeps); and raw-socket client helpers for misbehaving clients:
//! [`RawClient`] (connect, send a request, read the answer) and
//! [`masked`] frames.
//!
//! Every wait is bounded: the first line within [`super::COMMAND_TIMEOUT`],
//! [`Listening::wait_stderr`] and [`Listening::finish`] with their timeouts
//! (the child is killed by PID when one passes, and on drop).

use super::{COMMAND_TIMEOUT, IO_TIMEOUT, SCRUBBED_ENV, show_bytes};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running `wsprobe -l`.
pub struct Listening {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stdout_done: Receiver<()>,
    stderr_done: Receiver<()>,
}

/// How a [`Listening`] ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything on stdout.
    pub stdout: Vec<u8>,
    /// Everything on stderr.
    pub stderr: String,
}

impl Ended {
    /// stdout as text (lossy).
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl Listening {
    /// `wsprobe -l 127.0.0.1:0 ARGS`, with `stdin` written to it and then
    /// closed (None: stdin stays open until [`Listening::close_stdin`]).
    pub fn start(args: &[&str], stdin: Option<&[u8]>) -> Listening {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsprobe"));
        for var in SCRUBBED_ENV {
            cmd.env_remove(var);
        }
        cmd.args(["-l", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start wsprobe -l");
        let mut pipe_in = child.stdin.take();
        if let Some(bytes) = stdin {
            // From a thread: listen mode reads stdin only as far as its
            // bounded queue until a client connects, so a large input
            // would block here.
            let mut w = pipe_in.take().expect("stdin is piped");
            let bytes = bytes.to_vec();
            thread::spawn(move || {
                let _ = w.write_all(&bytes);
            });
        }
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (lines_tx, lines) = mpsc::channel::<String>();
        let (stderr_tx, stderr_done) = mpsc::channel();
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut line = String::new();
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().expect("lock").push_str(&text);
                for c in text.chars() {
                    if c == '\n' {
                        let _ = lines_tx.send(std::mem::take(&mut line));
                    } else {
                        line.push(c);
                    }
                }
            }
            let _ = stderr_tx.send(());
        });
        let (stdout_tx, stdout_done) = mpsc::channel();
        let mut out_pipe = child.stdout.take().expect("stdout is piped");
        let sink = stdout.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = out_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
            let _ = stdout_tx.send(());
        });
        let mut l = Listening {
            child,
            port: 0,
            stdin: pipe_in,
            stderr,
            stdout,
            stdout_done,
            stderr_done,
        };
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let port = |line: &str| {
                [
                    "* Listening on ws://127.0.0.1:",
                    "* Listening on wss://127.0.0.1:",
                ]
                .iter()
                .find_map(|want| line.strip_prefix(want))
                .map(|rest| rest.trim_end_matches('/').to_string())
            };
            match lines.recv_timeout(left) {
                Ok(line) if port(&line).is_some() => {
                    let port = port(&line).unwrap_or_default();
                    l.port = port.parse().expect("a port in the Listening line");
                    return l;
                }
                Ok(_) => {}
                Err(_) => {
                    let _ = l.child.kill();
                    let _ = l.child.wait();
                    panic!("no Listening line; stderr:\n{}", l.stderr());
                }
            }
        }
    }

    /// `ws://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// stdout so far.
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.lock().expect("lock").clone()
    }

    /// Wait (at most 20 s) until stderr holds `needle` `times` times; the
    /// whole stderr then.
    pub fn wait_stderr_n(&self, needle: &str, times: usize) -> String {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let s = self.stderr();
            if s.matches(needle).count() >= times {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "stderr never held {needle:?} {times} times:\n{s}"
            );
            thread::park_timeout(Duration::from_millis(10));
        }
    }

    /// Wait (at most 20 s) until stderr holds `needle`.
    pub fn wait_stderr(&self, needle: &str) -> String {
        self.wait_stderr_n(needle, 1)
    }

    /// Wait (at most 20 s) until stdout holds `needle`.
    pub fn wait_stdout(&self, needle: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let s = self.stdout();
            if s.windows(needle.len().max(1)).any(|w| w == needle) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "stdout never held {}: {}\nstderr:\n{}",
                show_bytes(needle),
                show_bytes(&s),
                self.stderr()
            );
            thread::park_timeout(Duration::from_millis(10));
        }
    }

    /// Write to its stdin (kept open).
    pub fn send_stdin(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().expect("stdin still open");
        w.write_all(bytes).expect("write stdin");
        w.flush().expect("flush stdin");
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stdin, to write from another thread (dropping it closes it).
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin still open")
    }

    /// Close its stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Send SIGINT (Ctrl-C) to it, by PID.
    pub fn interrupt(&self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the PID of the child we started and still own.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT {pid}");
    }

    /// Wait (at most 20 s) for it to exit; kill it and panic otherwise.
    pub fn finish(mut self) -> Ended {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("wsprobe -l did not exit; stderr:\n{}", self.stderr());
            }
            thread::park_timeout(Duration::from_millis(10));
        };
        let _ = self.stdout_done.recv_timeout(IO_TIMEOUT);
        let _ = self.stderr_done.recv_timeout(IO_TIMEOUT);
        Ended {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A raw TCP client with the test timeouts.
pub struct RawClient {
    /// The socket.
    pub s: TcpStream,
}

/// A request head with a valid key (the RFC 6455 example) and `extra`
/// lines (each `Name: value`).
pub fn upgrade_request(path: &str, extra: &[&str]) -> Vec<u8> {
    let mut r = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for e in extra {
        r.push_str(e);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

impl RawClient {
    /// Connect to `addr`.
    pub fn connect(addr: &str) -> RawClient {
        let s = TcpStream::connect(addr).expect("connect to wsprobe -l");
        super::configure_socket(&s);
        RawClient { s }
    }

    /// Send `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("send");
    }

    /// Read the response head a byte at a time (nothing after it), at
    /// most 64 KiB.
    pub fn head(&mut self) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert!(head.len() < 64 * 1024, "no end of the response head");
            match self.s.read(&mut byte) {
                Ok(0) => panic!("closed after {}", show_bytes(&head)),
                Ok(_) => head.push(byte[0]),
                Err(e) => panic!("reading the response head: {e}; got {}", show_bytes(&head)),
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    /// Read until EOF (bounded by the socket timeout).
    pub fn rest(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = self.s.read_to_end(&mut all);
        all
    }

    /// Connect and upgrade; the 101 head.
    pub fn upgraded(addr: &str) -> (RawClient, String) {
        let mut c = RawClient::connect(addr);
        c.send(&upgrade_request("/", &[]));
        let head = c.head();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        (c, head)
    }
}

/// A frame as a client sends it: masked (unless `mask` is None), with
/// `first` as its first byte (FIN, RSV, opcode).
pub fn masked(first: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![first];
    let bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(bit | n as u8),
        n if n <= 0xffff => {
            f.push(bit | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(bit | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            f.extend_from_slice(&k);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

/// The mask the tests use.
pub const KEY: [u8; 4] = [0x12, 0x34, 0x56, 0x78];
