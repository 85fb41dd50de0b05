//! [`Daemon`]: a real third-party server program (nginx, HAProxy, Apache
//! httpd, Caddy, Squid, Dante, Python's http.server) run as a child process
//! in the foreground, with a configuration written to its own temporary
//! directory, on loopback ports taken from the OS; and [`PlainHttp`], a
//! plain HTTP application (python3 -m http.server) for routes that should
//! not reach it.
//!
//! Readiness is a TCP connect polled against a deadline (never a sleep);
//! each program leads its own process group, and dropping the guard stops
//! that group (SIGTERM, then SIGKILL after 3 s) and reaps the child, so
//! neither the program nor the workers it forks outlive the test. The system's own service is never
//! used: every path (pid, logs, caches, temp files) is in the temp dir.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::refused_port;

/// How long a program may take to accept connections.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// The binary `name` from PATH or the sbin directories, or None (with a
/// message on stderr saying the test is skipped and how to install it).
pub fn find(name: &str, package: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    eprintln!(
        "SKIPPED: {name} is not installed (Debian package {package}; `bash tests/setup.sh` \
         installs the packages listed in tests/peers/debian-packages.txt)"
    );
    None
}

/// A started program. Its stdout and stderr are kept for failure messages.
pub struct Daemon {
    name: String,
    child: Child,
    output: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Daemon {
    /// A fresh temporary directory for a program's configuration and files,
    /// readable and writable by the unprivileged user a program run as root
    /// switches to (Squid, Apache httpd).
    pub fn dir(name: &str) -> tempfile::TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("wsprobe-{name}-"))
            .tempdir()
            .expect("create the program's directory");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("open the program's directory");
        dir
    }

    /// Starts `cmd` (its files in `dir`) and waits until each of `ports`
    /// on 127.0.0.1 accepts a TCP connection; panics with the program's
    /// output if it exits or does not get there within [`STARTUP_TIMEOUT`].
    pub fn start(name: &str, mut cmd: Command, dir: tempfile::TempDir, ports: &[u16]) -> Daemon {
        // Its own process group, led by the child: the guard can then end
        // the workers a master forks (nginx, Dante) with it.
        let mut child = cmd
            .process_group(0)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let pipes: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for mut pipe in pipes {
            let sink = Arc::clone(&output);
            thread::Builder::new()
                .name(format!("{name}-output"))
                .spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = pipe.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if let Ok(mut s) = sink.lock() {
                            s.push_str(&String::from_utf8_lossy(&buf[..n]));
                        }
                    }
                })
                .expect("spawn the output reader");
        }
        let mut d = Daemon {
            name: name.to_string(),
            child,
            output,
            dir,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        for port in ports {
            d.wait_listening(*port, deadline);
        }
        d
    }

    fn wait_listening(&mut self, port: u16, deadline: Instant) {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before listening on {addr}; its output:\n{}\n{}",
                    self.name,
                    self.output(),
                    self.logs()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} did not listen on {addr} within {STARTUP_TIMEOUT:?}; its output:\n{}\n{}",
                    self.name,
                    self.output(),
                    self.logs()
                );
            }
            // The poll interval of a readiness check bounded by the
            // deadline (a refused connect returns at once): not a guess at
            // how long start-up takes.
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the program wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The `*.log` files in its directory, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "log") {
                    s.push_str(&format!("--- {}\n", p.display()));
                    s.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                }
            }
        }
        s
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SIGTERM to the group this guard made (a master stops its workers),
        // at most STOP_TIMEOUT for the leader to exit (left unreaped, so its
        // PID, the group's id, cannot be reused meanwhile), then SIGKILL to
        // whatever of the group is left, and reap the leader.
        let Ok(pgid) = libc::pid_t::try_from(self.child.id()) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        };
        signal_group(pgid, libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline && !exited_unreaped(pgid) {
            thread::sleep(Duration::from_millis(10)); // poll interval, bounded above
        }
        signal_group(pgid, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// How long a stopped program may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// kill(2) on the process group `pgid` (a group a [`Daemon`] created).
fn signal_group(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// True once the child `pid` has exited; it stays a zombie (WNOWAIT) until
/// `Child::wait` reaps it.
fn exited_unreaped(pid: libc::pid_t) -> bool {
    // SAFETY: waitid(2) writes only into `info`, a zeroed siginfo_t we own.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        r == 0 && info.si_pid() != 0
    }
}

/// A free loopback port for a program that must be told its port: bound
/// on port 0 by the OS, then released (another process could take it in
/// between; the program then fails to start and the test says so).
pub fn free_port() -> u16 {
    refused_port()
}

/// A plain HTTP application (python3 -m http.server) serving a directory
/// with an `index.html` at `/` and at `/plain/`: what a WebSocket route
/// must not land on.
pub struct PlainHttp {
    daemon: Daemon,
    port: u16,
}

impl PlainHttp {
    /// Starts it on a free port.
    pub fn start() -> PlainHttp {
        let dir = Daemon::dir("http");
        let page = "<html><body><h1>a plain HTTP app</h1></body></html>\n";
        std::fs::write(dir.path().join("index.html"), page).expect("write index.html");
        std::fs::create_dir(dir.path().join("plain")).expect("mkdir plain");
        std::fs::write(dir.path().join("plain/index.html"), page).expect("write plain/index.html");
        let port = free_port();
        let mut cmd = Command::new("python3");
        cmd.args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ]);
        let daemon = Daemon::start("http.server", cmd, dir, &[port]);
        PlainHttp { daemon, port }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its output (the request log).
    pub fn output(&self) -> String {
        self.daemon.output()
    }
}

/// Start nginx (`bin`) with the configuration `conf` in a directory of its
/// own, with a `tmp` directory and `cert.pem`/`key.pem` (the leaf of `pki`,
/// for `listen ... ssl`), waiting until it listens on every one of `ports`.
pub fn nginx(bin: &Path, conf: &str, pki: &super::tls::TestPki, ports: &[u16]) -> Daemon {
    let dir = Daemon::dir("nginx");
    std::fs::create_dir(dir.path().join("tmp")).expect("mkdir tmp");
    let pem = |args: &[&str], der: &[u8]| super::tls::openssl(args, der);
    std::fs::write(
        dir.path().join("cert.pem"),
        pem(&["x509", "-inform", "der"], &pki.leaf_der),
    )
    .expect("write cert.pem");
    std::fs::write(
        dir.path().join("key.pem"),
        pem(&["pkey", "-inform", "der"], &pki.leaf_key_der),
    )
    .expect("write key.pem");
    std::fs::write(dir.path().join("nginx.conf"), conf).expect("write nginx.conf");
    let mut cmd = Command::new(bin);
    cmd.arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .args(["-g", "daemon off;"]);
    Daemon::start("nginx", cmd, dir, ports)
}
