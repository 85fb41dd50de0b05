//! [`PythonEcho`]: a real third-party peer, the Python `websockets` library's
//! echo server (`tests/peers/echo_server.py`), run as a child process.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

/// How long to wait for the Python server to print its port.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long [`PythonEcho::next_connection`] waits.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

const MISSING: &str =
    "the Python websockets package is missing: pip install -r tests/peers/requirements.txt";

/// The Python `websockets` echo server, running as a child process on
/// `127.0.0.1:<free port>`: echoes text as text and binary as binary, no size
/// limit, any number of connections.
///
/// Dropping the guard kills the child (by its PID) and reaps it; the child
/// also exits by itself when its stdin (held by the guard) closes, so it never
/// outlives the test.
pub struct PythonEcho {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl PythonEcho {
    /// Path of the server script: `tests/peers/echo_server.py` in this crate.
    pub fn script_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/echo_server.py")
    }

    /// Starts `python3 tests/peers/echo_server.py` and waits (at most 20 s)
    /// for the port it prints on its first stdout line.
    ///
    /// Panics with "the Python websockets package is missing: pip install -r
    /// tests/peers/requirements.txt" if `python3 -c "import websockets"` fails,
    /// and with the child's stderr if it does not start.
    pub fn start() -> PythonEcho {
        PythonEcho::start_with(&[])
    }

    /// Like [`PythonEcho::start`], with options for the script (the
    /// permessage-deflate parameters it imposes, e.g.
    /// `--client-max-window-bits 9`; see its docstring).
    pub fn start_with(args: &[&str]) -> PythonEcho {
        match Command::new("python3")
            .args(["-c", "import websockets"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(status) if status.success() => {}
            Ok(_) => panic!("{MISSING}"),
            Err(e) => panic!("cannot run python3 ({e}); {MISSING}"),
        }

        Self::spawn(
            "python3",
            &Self::script_path(),
            args,
            "the Python echo server",
        )
    }

    /// Start `program script args` (an echo server that prints its port
    /// on its first stdout line, then `connection PATH` lines, and exits
    /// when its stdin closes) and wait at most 20 s for the port. `who`
    /// names it in failure messages. The Node `ws` server uses it too
    /// (`support::node`).
    pub(crate) fn spawn(
        program: &str,
        script: &std::path::Path,
        args: &[&str],
        who: &str,
    ) -> PythonEcho {
        let mut child = Command::new(program)
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} {}: {e}", script.display()));

        let stdout = child.stdout.take().expect("child stdout is piped");
        let (tx, lines) = mpsc::channel();
        thread::Builder::new()
            .name("python-echo-stdout".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn the stdout reader thread");

        let mut err_pipe = child.stderr.take().expect("child stderr is piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::Builder::new()
            .name("python-echo-stderr".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err_pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            })
            .expect("spawn the stderr reader thread");

        let mut echo = PythonEcho {
            child,
            port: 0,
            lines,
            stderr,
        };
        let first = echo.lines.recv_timeout(STARTUP_TIMEOUT);
        match first.as_deref().map(str::trim).map(str::parse::<u16>) {
            Ok(Ok(port)) if port != 0 => echo.port = port,
            _ => {
                // Kill it so that its stderr is complete, then report.
                let _ = echo.child.kill();
                let _ = echo.child.wait();
                panic!(
                    "{who} did not print its port within {STARTUP_TIMEOUT:?} \
                     (first stdout line: {first:?}); its stderr:\n{}",
                    echo.stderr()
                );
            }
        }
        echo
    }

    /// `ws://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits (at most 10 s) for the server to report its next WebSocket
    /// connection and returns that connection's request path (e.g. `/chat?x=1`):
    /// proof the peer was reached. Panics on timeout, with the server's stderr.
    pub fn next_connection(&self) -> String {
        match self.lines.recv_timeout(CONNECTION_TIMEOUT) {
            Ok(line) => match line.strip_prefix("connection ") {
                Some(path) => path.to_string(),
                None => panic!("the Python echo server printed an unexpected line: {line:?}"),
            },
            Err(e) => panic!(
                "the Python echo server reported no connection within {CONNECTION_TIMEOUT:?} \
                 ({e}); its stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// What the server wrote to stderr so far (tracebacks, warnings).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for PythonEcho {
    fn drop(&mut self) {
        // Child::kill signals exactly this child's PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
