//! [`Tinyproxy`]: a real, third-party HTTP CONNECT proxy (Debian's
//! `tinyproxy`, installed by tests/setup.sh from
//! tests/peers/debian-packages.txt) run as a child process on a loopback
//! port, with a configuration written to a temporary directory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::refused_port;

/// How long to wait for tinyproxy to say it accepts connections.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

const MISSING: &str = "tinyproxy is missing: run `bash tests/setup.sh` (it installs the \
     Debian packages listed in tests/peers/debian-packages.txt)";

/// tinyproxy listening on `127.0.0.1:PORT`, allowing CONNECT to any port
/// from 127.0.0.1 only; its log (stdout and stderr) is kept for assertions.
/// Dropping the guard kills the child by its PID and reaps it.
pub struct Tinyproxy {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy; with `auth`, it demands Basic credentials
    /// (`BasicAuth USER PASS`). Panics with [`MISSING`] if the binary is not
    /// installed, so a missing peer fails the test instead of skipping it.
    pub fn start(auth: Option<(&str, &str)>) -> Tinyproxy {
        let dir = tempfile::Builder::new()
            .prefix("wsprobe-tinyproxy-")
            .tempdir()
            .expect("create the tinyproxy directory");
        // tinyproxy needs its port in the configuration: take one the OS
        // gave and released (refused_port). Another process could grab it
        // in between; tinyproxy then fails to start, and we say so.
        let port = refused_port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\n\
             LogLevel Info\nMaxClients 8\nDisableViaHeader Yes\n"
        );
        if let Some((user, pass)) = auth {
            conf.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).expect("write tinyproxy.conf");
        let mut child = match Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{MISSING}"),
            Err(e) => panic!("cannot start tinyproxy: {e}; {MISSING}"),
        };
        // With -d, tinyproxy logs to stdout; start-up errors go to stderr.
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let streams: [Box<dyn std::io::Read + Send>; 2] = [Box::new(stdout), Box::new(stderr)];
        for stream in streams {
            let keep = Arc::clone(&log);
            let tx = tx.clone();
            thread::Builder::new()
                .name("tinyproxy-log".into())
                .spawn(move || {
                    for line in BufReader::new(stream).lines() {
                        let Ok(line) = line else { break };
                        keep.lock().expect("log lock").push(line.clone());
                        let _ = tx.send(line);
                    }
                })
                .expect("spawn the log reader");
        }
        let proxy = Tinyproxy {
            child,
            port,
            log,
            lines,
            _dir: dir,
        };
        proxy.wait_for("Accepting connections", STARTUP_TIMEOUT);
        proxy
    }

    /// Waits (at most `timeout`) for a log line containing `needle`; panics
    /// with the whole log otherwise.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "tinyproxy did not log {needle:?} within {timeout:?}; its log:\n{}",
                    self.log().join("\n")
                ),
            }
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
