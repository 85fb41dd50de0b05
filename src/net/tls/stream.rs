//! An established TLS session (client, or server in listen mode) as a byte stream over a
//! [`Stream`](crate::net::Stream), in blocking and non-blocking mode alike,
//! and the rustls error inside an I/O error it returns.
//!
//! It moves bytes and keeps what the handshake saw, to explain an alert
//! that arrives later; it neither configures nor drives the handshake.

use super::Watch;
use crate::error::Error;
use crate::net::Stream;
use std::io::{self, Read, Write};

/// A TLS session (ours as the client, or in listen mode as the server)
/// over a [`Stream`] that works in blocking and non-blocking mode alike:
/// `WouldBlock` from the transport surfaces as `WouldBlock`, and a write
/// is never reported as zero bytes.
pub struct TlsStream {
    conn: rustls::Connection,
    sock: Stream,
    watch: Watch,
    name: String,
}

impl TlsStream {
    /// The session after a successful handshake.
    pub(super) fn new(
        conn: impl Into<rustls::Connection>,
        sock: Stream,
        watch: Watch,
        name: String,
    ) -> TlsStream {
        TlsStream {
            conn: conn.into(),
            sock,
            watch,
            name,
        }
    }

    /// If `e` came from TLS itself (an alert after the handshake, such as
    /// TLS 1.3's certificate_required), the typed TLS error for it.
    pub fn explain(&self, e: &io::Error) -> Option<Error> {
        let tls = tls_failure(e)?;
        Some(self.watch.explain(&self.name, tls.clone()))
    }

    /// The transport underneath.
    pub fn get_ref(&self) -> &Stream {
        &self.sock
    }

    /// The transport underneath, mutably.
    pub fn get_mut(&mut self) -> &mut Stream {
        &mut self.sock
    }

    /// Write out buffered TLS records.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut self.sock)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// Send close_notify (best effort, never blocks for long).
    pub fn send_close_notify(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush_tls();
        let _ = self.sock.flush();
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // Alerts or key updates may be waiting to go out; a blocked
            // socket must not stop us from reading.
            match self.flush_tls().and_then(|()| self.sock.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.conn.read_tls(&mut self.sock)? == 0 {
                // EOF: let the reader say whether close_notify came first.
                self.conn.process_new_packets().map_err(tls_error)?;
                return match self.conn.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    }
                    other => other,
                };
            }
            self.conn.process_new_packets().map_err(tls_error)?;
        }
    }
}

/// A TLS failure after the handshake (an alert, a bad record) as an I/O
/// error that keeps the rustls error, so that callers can tell it apart.
fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The rustls error inside an I/O error made by [`TlsStream`], if any.
pub fn tls_failure(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.conn.writer().write(buf)?;
        if n == 0 && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        // Push what we can now; what is left goes out on flush.
        match self.flush_tls() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.writer().flush()?;
        self.flush_tls()?;
        // A TLS transport (an https:// proxy) buffers records of its own.
        self.sock.flush()
    }
}
