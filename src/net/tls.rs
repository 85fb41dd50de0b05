//! TLS for wss:// with rustls (ring provider, never the process default):
//! the client configuration (built-in roots, --cacert, -k), the handshake
//! with a deadline, and the facts `-v` shows about the session.
//!
//! The handshake is driven by hand (not `StreamOwned`) so that a deadline
//! bounds it and the first bytes a non-TLS peer sends can be shown.

use super::certinfo::{CertInfo, date};
use super::emit;
use crate::config::TlsOptions;
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A client configuration plus the slots its verifier and client
/// certificate resolver fill in during the handshake.
pub struct TlsSetup {
    config: Arc<ClientConfig>,
    seen: Arc<Mutex<Seen>>,
    cert_requested: Arc<AtomicBool>,
    insecure: bool,
}

/// What certificate verification saw.
#[derive(Debug, Default)]
struct Seen {
    /// The chain the server presented, leaf first.
    chain: Vec<CertificateDer<'static>>,
    /// What verification said, when it failed.
    problem: Option<rustls::Error>,
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
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let verifier = Arc::new(Recording {
        inner,
        insecure: opts.insecure,
        seen: seen.clone(),
    });
    let cert_requested = Arc::new(AtomicBool::new(false));
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.client_auth_cert_resolver = Arc::new(NoClientCert {
        requested: cert_requested.clone(),
    });
    // WebSocket upgrades are HTTP/1.1 (RFC 8441 over h2 is another protocol).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(TlsSetup {
        config: Arc::new(config),
        seen,
        cert_requested,
        insecure: opts.insecure,
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
            diagnosis: source
                .downcast_ref::<io::Error>()
                .and_then(io_diagnosis)
                .map(Box::new),
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
            let mut err = setup.explain(host, e);
            if let Error::Tls {
                plaintext_reply, ..
            } = &mut err
            {
                *plaintext_reply = plain;
            }
            return Err(err);
        }
    }
    tcp.set_read_timeout(None).ok();
    tcp.set_write_timeout(None).ok();
    let (chain, problem) = match setup.seen.lock() {
        Ok(mut s) => (std::mem::take(&mut s.chain), s.problem.take()),
        Err(_) => (Vec::new(), None),
    };
    if let (true, Some(problem)) = (setup.insecure, problem) {
        let words = match diagnose(&problem, host, &chain, false) {
            Some(d) => d.summary,
            None => problem.to_string(),
        };
        emit(out, &Event::TlsVerificationSkipped { problem: &words });
    }
    let certs: Vec<CertInfo> = chain.iter().filter_map(|c| CertInfo::parse(c)).collect();
    if !certs.is_empty() {
        emit(out, &Event::TlsChain { certs: &certs });
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
    Ok(TlsStream {
        conn,
        sock: tcp,
        setup,
        host: host.to_string(),
    })
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

/// The verifier: runs the real verification (webpki, the configured
/// roots), keeps the chain and the verdict for diagnosis, and with -k
/// accepts the certificate anyway. Handshake signatures are always checked,
/// so the peer must hold the key of the certificate it shows.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    insecure: bool,
    seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.problem = verdict.as_ref().err().cloned();
        }
        match verdict {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            other => other,
        }
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

/// No client certificate, but note that the server asked for one: a
/// handshake that then fails is explained as "client certificate required".
#[derive(Debug)]
struct NoClientCert {
    requested: Arc<AtomicBool>,
}

impl ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.requested.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// A TLS failure in words: what happened, the facts, what to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDiagnosis {
    /// One line: what went wrong.
    pub summary: String,
    /// The facts (names, dates, issuer).
    pub facts: Vec<String>,
    /// What to try next.
    pub hints: Vec<String>,
}

/// Explain a rustls error with the certificate chain the server showed.
fn diagnose(
    e: &rustls::Error,
    host: &str,
    chain: &[CertificateDer<'static>],
    cert_requested: bool,
) -> Option<TlsDiagnosis> {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let leaf = chain.first().and_then(|c| CertInfo::parse(c));
    let mut facts = Vec::new();
    if let Some(l) = &leaf {
        facts.push(format!("certificate: {}", l.subject));
        facts.push(format!("issuer: {}", l.issuer));
        if !l.names.is_empty() {
            facts.push(format!("names: {}", l.names.join(", ")));
        }
        facts.push(format!("valid: {}", l.validity()));
    }
    let skip = || "-k skips verification (for testing only)".to_string();
    let (summary, hints) = match e {
        E::InvalidCertificate(C::UnknownIssuer) => {
            let summary = if leaf.as_ref().is_some_and(CertInfo::self_issued) {
                "the server's certificate is self-signed, so nothing vouches for it"
            } else {
                "the server's certificate was not issued by a CA wsprobe trusts"
            };
            (
                summary.to_string(),
                vec![
                    "--cacert FILE trusts the CA (or the self-signed certificate) in a PEM file"
                        .into(),
                    skip(),
                ],
            )
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            if let E::InvalidCertificate(C::ExpiredContext { time, .. }) = e {
                facts.push(format!("now: {}", date(time.as_secs() as i64)));
            }
            let until = leaf.as_ref().map_or("?".into(), |l| date(l.not_after));
            (
                format!("the server's certificate expired on {until}"),
                vec!["the server needs a renewed certificate".into(), skip()],
            )
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            if let E::InvalidCertificate(C::NotValidYetContext { time, .. }) = e {
                facts.push(format!("now: {}", date(time.as_secs() as i64)));
            }
            let from = leaf.as_ref().map_or("?".into(), |l| date(l.not_before));
            (
                format!("the server's certificate is not valid until {from}"),
                vec![
                    "check the clocks of this machine and the server".into(),
                    skip(),
                ],
            )
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            let names = match (e, &leaf) {
                (E::InvalidCertificate(C::NotValidForNameContext { presented, .. }), _) => {
                    presented.join(", ")
                }
                (_, Some(l)) => l.names.join(", "),
                _ => "?".into(),
            };
            facts.retain(|f| !f.starts_with("names: "));
            facts.insert(0, format!("asked for: {host}"));
            facts.insert(1, format!("the certificate is for: {names}"));
            (
                format!("the server's certificate is not valid for '{host}'"),
                vec!["connect with a name the certificate lists".into(), skip()],
            )
        }
        E::InvalidCertificate(C::BadSignature) => (
            "a signature in the server's certificate chain does not verify".into(),
            vec![skip()],
        ),
        E::InvalidCertificate(other) => (
            format!("the server's certificate was refused: {other:?}"),
            vec![skip()],
        ),
        E::AlertReceived(A::CertificateRequired) => client_cert_required(&mut facts),
        E::AlertReceived(A::HandshakeFailure | A::BadCertificate | A::AccessDenied)
            if cert_requested =>
        {
            client_cert_required(&mut facts)
        }
        E::AlertReceived(A::ProtocolVersion) | E::PeerIncompatible(_) => (
            "the server and wsprobe have no TLS version or feature in common".into(),
            vec!["wsprobe speaks TLS 1.2 and 1.3; the server may want another version".into()],
        ),
        E::AlertReceived(A::HandshakeFailure) => (
            "the server refused the TLS handshake (handshake_failure): often no cipher suite or key exchange in common"
                .into(),
            vec!["compare what the server accepts (e.g. with openssl s_client) with what -vvv shows of a working connection".into()],
        ),
        E::AlertReceived(A::UnrecognisedName) => (
            format!("the server does not serve the name '{host}' (SNI)"),
            vec!["check the host name in the URL".into()],
        ),
        _ => return None,
    };
    Some(TlsDiagnosis {
        summary,
        facts,
        hints,
    })
}

/// Explain an I/O failure in the middle of the TLS handshake.
fn io_diagnosis(e: &io::Error) -> Option<TlsDiagnosis> {
    let (summary, hints) = match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted => {
            let how = if e.kind() == io::ErrorKind::ConnectionReset {
                "reset"
            } else {
                "closed"
            };
            (
                format!("the server {how} the connection during the TLS handshake"),
                vec![
                    "the port may not speak TLS (try ws://), or the server refused this client before answering"
                        .to_string(),
                ],
            )
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (
            "the server did not answer the TLS handshake within --connect-timeout".to_string(),
            vec![
                "the port may expect plain HTTP (try ws://); raise --connect-timeout if the network is slow"
                    .to_string(),
            ],
        ),
        _ => return None,
    };
    Some(TlsDiagnosis {
        summary,
        facts: Vec::new(),
        hints,
    })
}

fn client_cert_required(facts: &mut Vec<String>) -> (String, Vec<String>) {
    // The server's own certificate is not the problem here.
    facts.clear();
    (
        "the server requires a client certificate (mutual TLS)".into(),
        vec!["give one with --cert FILE --key FILE".into()],
    )
}

/// A TLS client session over a TCP socket that works in blocking and
/// non-blocking mode alike: `WouldBlock` from the socket surfaces as
/// `WouldBlock`, and a write is never reported as zero bytes.
pub struct TlsStream {
    conn: ClientConnection,
    sock: TcpStream,
    setup: TlsSetup,
    host: String,
}

impl TlsSetup {
    /// A TLS error as a typed [`Error`], explained with what the handshake saw.
    fn explain(&self, host: &str, e: rustls::Error) -> Error {
        let diagnosis = match self.seen.lock() {
            Ok(seen) => diagnose(
                &e,
                host,
                &seen.chain,
                self.cert_requested.load(Ordering::Relaxed),
            ),
            Err(_) => None,
        };
        Error::Tls {
            server: host.to_string(),
            source: Box::new(e),
            plaintext_reply: None,
            diagnosis: diagnosis.map(Box::new),
        }
    }
}

impl TlsStream {
    /// If `e` came from TLS itself (an alert after the handshake, such as
    /// TLS 1.3's certificate_required), the typed TLS error for it.
    pub fn explain(&self, e: &io::Error) -> Option<Error> {
        let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
        Some(self.setup.explain(&self.host, tls.clone()))
    }

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
