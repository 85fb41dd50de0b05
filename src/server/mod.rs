//! Listen mode (`-l`): wsprobe as the server, to debug the client side.
//! [`run`] binds, says where (the `Listening` event, the first line a
//! script reads), and hands the listener to the [`hub`]: the event loop
//! over every client. [`handshake`] is the server side of the upgrade
//! (RFC 6455 section 4.2), run per connection on a thread of its own;
//! [`client`] is one upgraded client (the engine in `Role::Server`).
//!
//! Ctrl-C (SIGINT) sets a flag and wakes the hub, which closes every
//! client with 1001 and ends the run with status 0; client mode keeps the
//! default signal behaviour (the handler is installed only here). Logic
//! only: everything observed goes out as events.

pub mod client;
pub mod exec;
pub mod files;
pub mod handshake;
pub mod hub;

use crate::config::{Config, ListenSpec};
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use crate::input::Input;
use polling::Poller;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use tungstenite::Message;

/// What the server is fed: where input comes from and what wakes it.
pub struct Feed {
    /// The poller (input threads wake it).
    pub poller: Arc<Poller>,
    /// Batches from standard input, or the REPL's lines and commands.
    pub input: Option<Receiver<Input>>,
    /// The -d messages, sent first.
    pub data: Vec<Message>,
    /// The input is the REPL's, which reads Ctrl-C as a key (no SIGINT
    /// handler is installed).
    pub interactive: bool,
}

/// Listen on `spec.addr` and serve until the run ends (see [`hub`]).
pub fn run(cfg: &Config, spec: &ListenSpec, out: &mut dyn Emit, feed: Feed) -> Result<()> {
    for w in &cfg.warnings {
        let _ = out.emit(&Event::Warning(w));
    }
    bind(spec, out)?.serve(cfg, spec, out, feed)
}

/// A listener bound, with what serving needs; [`bind`] makes it.
pub struct Bound {
    tls: Option<Arc<rustls::ServerConfig>>,
    static_root: Option<std::path::PathBuf>,
    listener: TcpListener,
    /// The address bound (the port the OS picked for port 0).
    pub addr: std::net::SocketAddr,
}

/// Check the TLS files and --static DIR, bind, and say where (the
/// `Listening` event).
pub fn bind(spec: &ListenSpec, out: &mut dyn Emit) -> Result<Bound> {
    let listen_err = |source| Error::Io {
        context: format!("cannot listen on {}", spec.addr),
        source,
    };
    // Certificate trouble is the user's to fix before anything listens.
    let tls = match &spec.tls {
        Some((cert, key)) => Some(crate::net::tls::server_config(cert, key)?),
        None => None,
    };
    let static_root = match &spec.static_dir {
        Some(dir) => Some(static_root(dir)?),
        None => None,
    };
    let listener = TcpListener::bind(spec.addr).map_err(listen_err)?;
    listener.set_nonblocking(true).map_err(listen_err)?;
    let addr = listener.local_addr().map_err(listen_err)?;
    let _ = out.emit(&Event::Listening {
        addr,
        secure: tls.is_some(),
    });
    let _ = out.flush();
    Ok(Bound {
        tls,
        static_root,
        listener,
        addr,
    })
}

impl Bound {
    /// Serve until the run ends.
    pub fn serve(
        self,
        cfg: &Config,
        spec: &ListenSpec,
        out: &mut dyn Emit,
        feed: Feed,
    ) -> Result<()> {
        let stop = Arc::new(AtomicBool::new(false));
        if !feed.interactive {
            interrupt_on_sigint(&stop, &feed.poller)?;
        }
        let wiring = hub::Wiring {
            tls: self.tls,
            static_root: self.static_root,
            listener: self.listener,
            feed,
            stop,
        };
        hub::Hub::new(cfg, spec, out, wiring).run()
    }
}

/// --static DIR made canonical (paths are compared with it); a usage error
/// when it is not a directory.
fn static_root(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    match dir.canonicalize() {
        Ok(root) if root.is_dir() => Ok(root),
        Ok(_) => Err(Error::Usage(format!(
            "--static {}: not a directory",
            dir.display()
        ))),
        Err(source) => Err(Error::ReadFile {
            what: "--static",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// SIGINT sets `stop` and wakes the poller (signal-hook runs the handler
/// on a thread of its own, so nothing unsafe happens in signal context).
fn interrupt_on_sigint(stop: &Arc<AtomicBool>, poller: &Arc<Poller>) -> Result<()> {
    let mut signals =
        signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]).map_err(|source| {
            Error::Io {
                context: "cannot catch Ctrl-C (SIGINT)".into(),
                source,
            }
        })?;
    let (stop, poller) = (stop.clone(), poller.clone());
    std::thread::Builder::new()
        .name("sigint".into())
        .spawn(move || {
            for _ in signals.forever() {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = poller.notify();
            }
        })
        .map(|_| ())
        .map_err(|source| Error::Io {
            context: "cannot start the signal thread".into(),
            source,
        })
}
