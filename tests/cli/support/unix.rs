//! [`UnixWsServer`]: the scripted WebSocket server of [`super::ws`] on a unix
//! domain socket: a socket file in a temporary directory, or (Linux) a name
//! in the abstract namespace.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::ws::{Outcome, Recorded, Request, Response, serve};
use super::{IO_TIMEOUT, ServerThread};
use tungstenite::WebSocket;

/// A WebSocket server for ONE client on a unix socket; like
/// [`super::WsServer`], it records the request and runs a script.
pub struct UnixWsServer {
    thread: ServerThread<Outcome>,
    path: Option<PathBuf>,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn spawn<F>(listener: UnixListener, label: String, script: F) -> ServerThread<Outcome>
where
    F: FnOnce(&mut WebSocket<UnixStream>) + Send + 'static,
{
    let where_ = label.clone();
    let accept = move || {
        let (s, _) = listener
            .accept()
            .unwrap_or_else(|e| panic!("UnixWsServer on {where_}: accept failed: {e}"));
        drop(listener);
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        s.set_write_timeout(Some(IO_TIMEOUT))
            .expect("write timeout");
        s
    };
    ServerThread::spawn_accepting("UnixWsServer", label, None, accept, move |s| {
        serve(s, |_: &Request, r: Response| Ok(r), script).0
    })
}

impl UnixWsServer {
    /// Listens on `ws.sock` in a new temporary directory.
    pub fn start<F>(script: F) -> UnixWsServer
    where
        F: FnOnce(&mut WebSocket<UnixStream>) + Send + 'static,
    {
        let dir = tempfile::Builder::new()
            .prefix("wsprobe-unix-")
            .tempdir()
            .expect("create the socket directory");
        let path = dir.path().join("ws.sock");
        let listener =
            UnixListener::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        UnixWsServer {
            thread: spawn(listener, path.display().to_string(), script),
            path: Some(path),
            name: None,
            _dir: Some(dir),
        }
    }

    /// Listens on a unique name in Linux's abstract namespace.
    #[cfg(target_os = "linux")]
    pub fn start_abstract<F>(script: F) -> UnixWsServer
    where
        F: FnOnce(&mut WebSocket<UnixStream>) + Send + 'static,
    {
        use std::os::linux::net::SocketAddrExt;
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "wsprobe-test-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .expect("abstract address");
        let listener = UnixListener::bind_addr(&addr).expect("bind the abstract socket");
        UnixWsServer {
            thread: spawn(listener, format!("@{name}"), script),
            path: None,
            name: Some(name),
            _dir: None,
        }
    }

    /// The socket file (for [`UnixWsServer::start`]).
    pub fn path(&self) -> &Path {
        self.path.as_deref().expect("not an abstract socket")
    }

    /// The abstract name (for [`UnixWsServer::start_abstract`]).
    pub fn abstract_name(&self) -> &str {
        self.name.as_deref().expect("an abstract socket")
    }

    /// Waits (at most 15 s) and returns the recorded request.
    pub fn finish(self) -> Recorded {
        self.thread.finish().into_recorded("UnixWsServer", "unix")
    }
}
