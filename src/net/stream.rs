//! The byte stream a WebSocket runs on: TCP, a unix socket, or TLS over
//! another [`Stream`] (TLS to the server, possibly inside TLS to an
//! https:// proxy).
//!
//! The rest of the program never reaches for the socket underneath: timeouts,
//! non-blocking mode, shutdown and polling (`AsFd`) go through [`Stream`],
//! which hands them to the innermost socket.

use super::tls::TlsStream;
use crate::http::ReadTimeout;
use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A connected transport.
pub enum Stream {
    /// A TCP connection (to the server, or to a proxy that tunnels).
    Tcp(TcpStream),
    /// A unix domain socket (`--unix-socket`).
    #[cfg(unix)]
    Unix(UnixStream),
    /// TLS over another stream.
    Tls(Box<TlsStream>),
}

impl Stream {
    /// Timeout for blocking reads (None: wait for ever).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tls(s) => s.get_ref().set_read_timeout(t),
        }
    }

    /// Timeout for blocking writes (None: wait for ever).
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_write_timeout(t),
            Stream::Tls(s) => s.get_ref().set_write_timeout(t),
        }
    }

    /// Both timeouts at once.
    pub fn set_timeouts(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_read_timeout(t)?;
        self.set_write_timeout(t)
    }

    /// Switch the socket underneath to non-blocking mode (or back).
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_nonblocking(on),
            Stream::Tls(s) => s.get_ref().set_nonblocking(on),
        }
    }

    /// End the stream politely: close_notify for each TLS layer, outermost
    /// first, then a shutdown of our sending side of the socket. Errors are
    /// ignored: the peer may be gone.
    pub fn shutdown(&mut self) {
        match self {
            Stream::Tcp(s) => {
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
            Stream::Tls(t) => {
                t.send_close_notify();
                t.get_mut().shutdown();
            }
        }
    }
}

#[cfg(unix)]
impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
            Stream::Tls(s) => s.get_ref().as_fd(),
        }
    }
}

#[cfg(unix)]
impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

// All that `http` needs of a stream to keep its deadlines: the CONNECT
// answer (proxy.rs) and the upgrade's (handshake.rs) are read through it.
impl ReadTimeout for Stream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Stream::set_read_timeout(self, t)
    }
}
