//! TLS for wss:// with rustls (ring provider, never the process default):
//! the client configuration (built-in roots, --cacert, -k), the handshake
//! with a deadline, and the facts `-v` shows about the session.
//!
//! The handshake is driven by hand (not `StreamOwned`) so that a deadline
//! bounds it and the first bytes a non-TLS peer sends can be shown.

use super::emit;
use crate::config::TlsOptions;
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A client configuration plus what the -k verifier found, if it was used.
pub struct TlsSetup {
    config: Arc<ClientConfig>,
    skipped: Option<Arc<Mutex<Option<String>>>>,
}

/// Build the rustls client configuration for these options.
pub fn client_config(opts: &TlsOptions) -> Result<TlsSetup> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &opts.cacert {
        let read_err = |source| Error::ReadFile {
            what: "--cacert",
            path: path.clone(),
            source,
        };
        let bad = |detail: String| Error::BadCertificateFile {
            path: path.clone(),
            detail,
        };
        let bytes = std::fs::read(path).map_err(read_err)?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            let cert = cert.map_err(|e| bad(format!("not a valid PEM file: {e}")))?;
            roots.add(cert).map_err(|e| {
                bad(format!(
                    "a certificate cannot be used as a trust anchor: {e}"
                ))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(bad(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
    }
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?;
    let (mut config, skipped) = if opts.insecure {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?;
        let found = Arc::new(Mutex::new(None));
        let verifier = Arc::new(Permissive {
            inner,
            found: found.clone(),
        });
        let c = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        (c, Some(found))
    } else {
        (
            builder.with_root_certificates(roots).with_no_client_auth(),
            None,
        )
    };
    // WebSocket upgrades are HTTP/1.1 (RFC 8441 over h2 is another protocol).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(TlsSetup {
        config: Arc::new(config),
        skipped,
    })
}

/// Run the TLS handshake on `tcp` before `deadline`.
pub fn handshake(
    mut tcp: TcpStream,
    setup: TlsSetup,
    host: &str,
    deadline: Instant,
    out: &mut dyn Emit,
) -> Result<TlsStream> {
    let start = Instant::now();
    let fail =
        |source: Box<dyn std::error::Error + Send + Sync>, plain: Option<Vec<u8>>| Error::Tls {
            server: host.to_string(),
            source,
            plaintext_reply: plain,
        };
    let name = ServerName::try_from(host.to_string()).map_err(|e| fail(Box::new(e), None))?;
    let mut conn =
        ClientConnection::new(setup.config.clone(), name).map_err(|e| fail(Box::new(e), None))?;
    // The first bytes the peer sends, kept to recognise a plain-HTTP reply.
    let mut first = Vec::new();
    while conn.is_handshaking() {
        let Some(left) = super::remaining(deadline) else {
            return Err(fail(
                Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no answer within --connect-timeout",
                )),
                None,
            ));
        };
        tcp.set_read_timeout(Some(left)).ok();
        tcp.set_write_timeout(Some(left)).ok();
        if conn.wants_write() {
            conn.write_tls(&mut tcp)
                .map_err(|e| fail(Box::new(e), None))?;
            continue;
        }
        let mut rec = Recorder {
            inner: &mut tcp,
            kept: &mut first,
        };
        let n = conn.read_tls(&mut rec).map_err(|e| {
            let e = if matches!(e.kind(), io::ErrorKind::WouldBlock) {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no answer within --connect-timeout",
                )
            } else {
                e
            };
            fail(Box::new(e), None)
        })?;
        if n == 0 {
            let plain = looks_like_plaintext(&first).then(|| first.clone());
            return Err(fail(
                Box::new(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                )),
                plain,
            ));
        }
        if let Err(e) = conn.process_new_packets() {
            // Tell the peer why (an alert), as far as it listens.
            let _ = conn.write_tls(&mut tcp);
            let plain = looks_like_plaintext(&first).then(|| first.clone());
            return Err(fail(Box::new(e), plain));
        }
    }
    tcp.set_read_timeout(None).ok();
    tcp.set_write_timeout(None).ok();
    if let Some(found) = setup.skipped
        && let Some(problem) = found.lock().ok().and_then(|mut g| g.take())
    {
        emit(out, &Event::TlsVerificationSkipped { problem: &problem });
    }
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "TLS".to_string(),
    };
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let group = conn
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()));
    let alpn = conn
        .alpn_protocol()
        .map(|a| String::from_utf8_lossy(a).into_owned());
    emit(
        out,
        &Event::TlsEstablished {
            version: &version,
            suite: &suite,
            group: group.as_deref(),
            alpn: alpn.as_deref(),
            took: start.elapsed(),
        },
    );
    Ok(TlsStream { conn, sock: tcp })
}

/// HTTP (or other ASCII) instead of a TLS record: TLS records start with
/// content type 0x14-0x17.
fn looks_like_plaintext(b: &[u8]) -> bool {
    !b.is_empty()
        && !(0x14..=0x17).contains(&b[0])
        && b.iter().take(8).all(|c| c.is_ascii_graphic() || *c == b' ')
}

/// Keeps a copy of the first 256 bytes read through it.
struct Recorder<'a> {
    inner: &'a mut TcpStream,
    kept: &'a mut Vec<u8>,
}

impl Read for Recorder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = 256usize.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

/// A verifier for -k: runs the real verification, records what it found,
/// and accepts the certificate anyway. Handshake signatures are still
/// checked, so the peer must hold the key of the certificate it shows.
#[derive(Debug)]
struct Permissive {
    inner: Arc<WebPkiServerVerifier>,
    found: Arc<Mutex<Option<String>>>,
}

impl ServerCertVerifier for Permissive {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Err(e) = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) && let Ok(mut g) = self.found.lock()
        {
            *g = Some(e.to_string());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A TLS client session over a TCP socket that works in blocking and
/// non-blocking mode alike: `WouldBlock` from the socket surfaces as
/// `WouldBlock`, and a write is never reported as zero bytes.
pub struct TlsStream {
    conn: ClientConnection,
    sock: TcpStream,
}

impl TlsStream {
    /// The TCP socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        &self.sock
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
            match self.flush_tls() {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.conn.read_tls(&mut self.sock)? == 0 {
                // EOF: let the reader say whether close_notify came first.
                self.conn
                    .process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                return match self.conn.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    }
                    other => other,
                };
            }
            self.conn
                .process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }
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
        self.flush_tls()
    }
}
