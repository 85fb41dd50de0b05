//! Support library for the `cli` integration tests: the real `wsprobe` binary
//! run against peers that live inside the test process.
//!
//! Rules every helper here follows, and tests should too:
//!
//! - Servers listen on `127.0.0.1:0` only (the OS picks the port); no fixed ports.
//! - Each server accepts exactly ONE connection in its own thread, then stops
//!   listening, so a second connection attempt is refused rather than hanging.
//! - Every wait is bounded: accepted sockets get 10 s read/write timeouts
//!   ([`IO_TIMEOUT`]), `finish()` waits at most 15 s ([`FINISH_TIMEOUT`]), the
//!   `wsprobe` command is killed after 20 s ([`COMMAND_TIMEOUT`]). No sleeps are
//!   used as synchronisation.
//! - Every server lets the test assert it was reached: `finish()` panics if no
//!   connection arrived, and re-raises any panic (failed assertion) of the
//!   server script as a failure of the test.
//!
//! Modules: [`ws`] (scripted WebSocket server over TCP), [`raw`] (raw TCP
//! server and wire helpers for misbehaving peers), [`tls`] (WebSocket server
//! behind rustls with a CA made at test time, client certificates),
//! [`python`] (the Python `websockets` echo server as a third-party peer),
//! [`proxy`] (HTTP CONNECT and SOCKS5 proxies that record the tunnel),
//! [`unix`] (WebSocket server on a unix socket), [`tinyproxy`] (Debian's
//! tinyproxy as a third-party CONNECT proxy), [`daemon`] (any other real
//! program: nginx, HAProxy, Apache httpd, Caddy, Squid, Dante, a plain HTTP
//! app), [`chromium`] (headless Chromium as a browser client, driven over
//! DevTools).
#![allow(dead_code, unused_imports)]

pub mod chromium;
pub mod conformant;
pub mod daemon;
pub mod listen;
pub mod node;
pub mod proxy;
pub mod python;
pub mod raw;
pub mod tinyproxy;
pub mod tls;
pub mod unix;
pub mod ws;

use std::any::Any;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use proxy::{ConnectProxy, ProxyOptions, Socks5Proxy, SocksOptions, SocksRecord, Tunnel};
pub use python::PythonEcho;
pub use raw::{
    RawServer, WireFrame, close_payload, frame, frame_raw, read_frame, read_request_head,
    response_101,
};
pub use tinyproxy::Tinyproxy;
pub use tls::{ClientIdentity, KeyFormat, LeafSpec, TestPki, TlsSeen, TlsStream, TlsWsServer};
pub use unix::UnixWsServer;
pub use ws::{
    ErrorResponse, Message, Recorded, Request, Response, WebSocket, WsServer, close_script,
    echo_script, send_and_close,
};

/// Read and write timeout set on every socket a test server accepts.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `finish()` waits for a server thread before failing the test.
pub const FINISH_TIMEOUT: Duration = Duration::from_secs(15);

/// Time limit of a `wsprobe` run started with [`wsprobe()`]; assert_cmd kills it after that.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variables that would change how `wsprobe` behaves and that a
/// developer's or CI's environment may set: colour switches, proxies, TLS key
/// logging and trust overrides. [`wsprobe()`] removes them (and every
/// `WSPROBE_*` variable) from the child's environment.
pub const SCRUBBED_ENV: &[&str] = &[
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "ws_proxy",
    "WS_PROXY",
    "wss_proxy",
    "WSS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "SSLKEYLOGFILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// The built binary (`env!("CARGO_BIN_EXE_wsprobe")`) as an assert_cmd command,
/// with a clean environment (see [`SCRUBBED_ENV`]; `WSPROBE_*` variables are
/// removed too) and a [`COMMAND_TIMEOUT`] (20 s) time limit.
///
/// Stdin is empty unless the test calls `.write_stdin(..)`.
pub fn wsprobe() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wsprobe"));
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("WSPROBE_") {
            cmd.env_remove(name);
        }
    }
    cmd.timeout(COMMAND_TIMEOUT);
    cmd
}

/// Runs `cmd` and asserts that it succeeded; returns its stdout and stderr
/// (lossily decoded). The failure message shows stderr.
pub fn succeeds(cmd: &mut assert_cmd::Command) -> (String, String) {
    let out = cmd.output().expect("wsprobe runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    (stdout, stderr)
}

/// Runs `cmd` and asserts that it exited with `code` and that its stderr
/// contains every one of `needles`; returns stderr.
pub fn fails_with(cmd: &mut assert_cmd::Command, code: i32, needles: &[&str]) -> String {
    let out = cmd.output().expect("wsprobe runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    stderr
}

/// A TCP port on 127.0.0.1 that nothing listens on, so connecting to it is
/// refused: binds `127.0.0.1:0`, notes the port and closes the listener.
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("refused_port: bind 127.0.0.1:0");
    let port = listener
        .local_addr()
        .expect("refused_port: local_addr")
        .port();
    drop(listener);
    port
}

/// Gives an accepted socket the test timeouts ([`IO_TIMEOUT`]) and no Nagle delay.
pub fn configure_socket(stream: &TcpStream) {
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("set_read_timeout on an accepted socket");
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("set_write_timeout on an accepted socket");
    stream
        .set_nodelay(true)
        .expect("set_nodelay on an accepted socket");
}

/// Text of a panic payload (`&str` or `String`), for re-raising it with context.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic payload is not a string)".to_string()
    }
}

/// Shows bytes readably in failure messages: printable ASCII as is, `\r\n`
/// as a line break, everything else escaped.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n\n"),
            _ => out.extend(std::ascii::escape_default(b).map(char::from)),
        }
    }
    out
}

/// The thread machinery shared by all in-process servers: a listener on
/// `127.0.0.1:0` (or a unix socket) and a thread that accepts ONE
/// connection, closes the listener, configures the socket and runs `body`.
pub(crate) struct ServerThread<T> {
    kind: &'static str,
    /// Where it listens, for messages.
    label: String,
    addr: Option<SocketAddr>,
    accepted: Arc<AtomicBool>,
    result: mpsc::Receiver<T>,
    handle: JoinHandle<()>,
}

impl<T: Send + 'static> ServerThread<T> {
    /// Binds `127.0.0.1:0` now (so the address is known before the client
    /// starts) and spawns the accepting thread. `kind` names the server in
    /// failure messages.
    pub(crate) fn spawn<B>(kind: &'static str, body: B) -> Self
    where
        B: FnOnce(TcpStream) -> T + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("{kind}: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{kind}: local_addr: {e}"));
        let accept = move || {
            let (stream, _peer) = listener
                .accept()
                .unwrap_or_else(|e| panic!("{kind} on {addr}: accept failed: {e}"));
            // One connection per server: later attempts are refused, not left hanging.
            drop(listener);
            configure_socket(&stream);
            stream
        };
        Self::spawn_accepting(kind, addr.to_string(), Some(addr), accept, body)
    }

    /// Spawns a thread that gets ONE connection from `accept` (which must
    /// drop its listener and set the socket's timeouts) and runs `body`.
    /// `label` says where it listens, in failure messages.
    pub(crate) fn spawn_accepting<S, A, B>(
        kind: &'static str,
        label: String,
        addr: Option<SocketAddr>,
        accept: A,
        body: B,
    ) -> Self
    where
        A: FnOnce() -> S + Send + 'static,
        B: FnOnce(S) -> T + Send + 'static,
    {
        let accepted = Arc::new(AtomicBool::new(false));
        let (tx, result) = mpsc::channel();
        let flag = Arc::clone(&accepted);
        let handle = thread::Builder::new()
            .name(format!("{kind} {label}"))
            .spawn(move || {
                let stream = accept();
                flag.store(true, Ordering::SeqCst);
                let out = body(stream);
                // The receiver is gone only if the server was dropped without finish().
                let _ = tx.send(out);
            })
            .unwrap_or_else(|e| panic!("{kind}: cannot spawn the server thread: {e}"));
        ServerThread {
            kind,
            label,
            addr,
            accepted,
            result,
            handle,
        }
    }

    /// The listening address (127.0.0.1 and the port the OS picked).
    /// Panics for a server that does not listen on TCP.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
            .unwrap_or_else(|| panic!("{} on {} has no TCP address", self.kind, self.label))
    }

    /// Waits at most [`FINISH_TIMEOUT`] for the thread's result. Panics if no
    /// connection arrived, if the thread is still running, or if it panicked
    /// (with the original panic message).
    pub(crate) fn finish(self) -> T {
        let ServerThread {
            kind,
            label: addr,
            accepted,
            result,
            handle,
            ..
        } = self;
        match result.recv_timeout(FINISH_TIMEOUT) {
            Ok(value) => {
                // The thread has sent its result and is about to end.
                let _ = handle.join();
                value
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
                Err(payload) => panic!(
                    "{kind} on {addr}: the server thread panicked: {}",
                    panic_message(payload.as_ref())
                ),
                Ok(()) => panic!("{kind} on {addr}: the server thread ended without a result"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if accepted.load(Ordering::SeqCst) {
                    panic!(
                        "{kind} on {addr}: a client connected, but the server script was still \
                         running after {FINISH_TIMEOUT:?} (waiting for something the client never sent?)"
                    )
                } else {
                    panic!(
                        "{kind} on {addr}: no connection arrived within {FINISH_TIMEOUT:?}: \
                         the client never reached this server"
                    )
                }
            }
        }
    }
}
