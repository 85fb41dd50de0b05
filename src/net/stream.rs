//! The byte stream a WebSocket runs on: plain TCP or TLS over TCP.

use super::tls::TlsStream;
use std::io::{self, Read, Write};
use std::net::TcpStream;

/// A connected transport.
pub enum Stream {
    /// ws://
    Tcp(TcpStream),
    /// wss://
    Tls(Box<TlsStream>),
}

impl Stream {
    /// The TCP socket underneath (for timeouts, polling and non-blocking mode).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(t) => t.tcp(),
        }
    }

    /// End the stream politely: close_notify for TLS, then a TCP shutdown
    /// of our sending side. Errors are ignored: the peer may be gone.
    pub fn shutdown(&mut self) {
        if let Stream::Tls(t) = self {
            t.send_close_notify();
        }
        let _ = self.tcp().shutdown(std::net::Shutdown::Write);
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}
