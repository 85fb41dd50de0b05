//! TLS with rustls (ring provider, never the process default): the client
//! configuration (built-in roots plus --cacert or SSL_CERT_FILE, -k,
//! --cert/--key, --tls-min/--tls-max, --no-sni, SSLKEYLOGFILE), the
//! handshake with a deadline over any [`Stream`], and the facts `-v` shows
//! about the session.
//!
//! The handshake is driven by hand (not `StreamOwned`) so that a deadline
//! bounds it and the first bytes a non-TLS peer sends can be shown. The
//! transport is a [`Stream`], so TLS runs over TCP, a unix socket, a proxy
//! tunnel, or inside TLS to an https:// proxy alike. This module gathers
//! the facts of a failure (the chain, parsed by `net::certinfo`); the words
//! that explain it are the table in `error` ([`TlsDiagnosis`]), never here.

use super::certinfo;
use super::{Stream, emit};
use crate::cli::TlsVersion;
use crate::config::TlsOptions;
use crate::error::TlsDiagnosis;
use crate::error::{Error, Result};
use crate::event::CertInfo;
use crate::event::{Emit, Event};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, KeyLog, RootCertStore, SignatureScheme,
    SupportedProtocolVersion,
};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A client configuration plus what its verifier and client-certificate
/// resolver notice during the handshake, for diagnosis.
pub struct TlsSetup {
    config: Arc<ClientConfig>,
    watch: Watch,
    insecure: bool,
    /// True for the TLS session with an https:// proxy.
    proxy: bool,
    /// Parse the chain for a TlsChain event after a successful handshake
    /// (x509 parsing and its OID tables cost about 5% of a wss:// one-shot;
    /// failures are diagnosed from the chain either way).
    describe_chain: bool,
}

impl TlsSetup {
    /// Whether a successful handshake reports the certificate chain
    /// (only -vvv and --json show it).
    pub fn describe_chain(mut self, yes: bool) -> TlsSetup {
        self.describe_chain = yes;
        self
    }
}

/// What a handshake showed, shared with the verifier and kept by the
/// stream, to explain failures (even alerts after the handshake).
#[derive(Debug, Clone, Default)]
struct Watch {
    seen: Arc<Mutex<Seen>>,
    cert_requested: Arc<AtomicBool>,
}

/// What certificate verification saw.
#[derive(Debug, Default)]
struct Seen {
    /// The chain the server presented, leaf first.
    chain: Vec<CertificateDer<'static>>,
    /// What verification said, when it failed.
    problem: Option<rustls::Error>,
}

impl Watch {
    /// A TLS error as a typed [`Error`], explained with what was seen.
    fn explain(&self, name: &str, e: rustls::Error) -> Error {
        let diagnosis = match self.seen.lock() {
            Ok(seen) => diagnose(
                &e,
                name,
                &seen.chain,
                self.cert_requested.load(Ordering::Relaxed),
            ),
            Err(_) => None,
        };
        Error::Tls {
            server: name.to_string(),
            source: Box::new(e),
            plaintext_reply: None,
            diagnosis: diagnosis.map(Box::new),
        }
    }
}

/// Who the TLS session is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The WebSocket server (wss://): every TLS option applies.
    Server,
    /// An https:// proxy: the same trust anchors and -k, no client
    /// certificate, no version pins, SNI always on.
    Proxy,
}

/// Open the SSLKEYLOGFILE named in `opts`, if any. A file that cannot be
/// opened is a warning, not a failure: the connection works without it.
pub fn key_log(opts: &TlsOptions, out: &mut dyn Emit) -> Option<Arc<dyn KeyLog>> {
    let path = opts.key_log.as_ref()?;
    match KeyLogWriter::open(path) {
        Ok(w) => {
            let shown = path.display().to_string();
            emit(out, &Event::KeyLogging { path: &shown });
            Some(Arc::new(w))
        }
        Err(e) => {
            let msg = format!(
                "SSLKEYLOGFILE={}: {}; TLS secrets are not logged",
                path.display(),
                crate::error::describe_io(&e)
            );
            emit(out, &Event::Warning(&msg));
            None
        }
    }
}

/// Build the rustls client configuration for these options and this peer.
/// Every file named by an option is read and checked here, before any
/// packet is sent.
pub fn client_config(
    opts: &TlsOptions,
    peer: Peer,
    key_log: Option<Arc<dyn KeyLog>>,
) -> Result<TlsSetup> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &opts.cacert {
        add_trust_anchors(&mut roots, path, opts.cacert_from)?;
    }
    let setup_err = |e: rustls::Error| Error::Usage(format!("TLS set-up failed: {e}"));
    let versions = match peer {
        Peer::Server => versions(opts.min, opts.max),
        Peer::Proxy => versions(None, None),
    };
    if versions.is_empty() {
        return Err(Error::Usage(
            "--tls-min is above --tls-max: no TLS version is left to offer".into(),
        ));
    }
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(setup_err)?;
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?;
    let watch = Watch::default();
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Recording {
            inner,
            insecure: opts.insecure,
            seen: watch.seen.clone(),
        }));
    let mut config = match (&opts.cert, peer) {
        (Some(cert), Peer::Server) => {
            let (chain, key) = client_identity(cert, opts.key.as_deref(), &provider)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(setup_err)?
        }
        _ => {
            let mut c = builder.with_no_client_auth();
            c.client_auth_cert_resolver = Arc::new(NoClientCert {
                requested: watch.cert_requested.clone(),
            });
            c
        }
    };
    // WebSocket upgrades are HTTP/1.1 (RFC 8441 over h2 is another protocol).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.enable_sni = peer == Peer::Proxy || opts.sni != crate::config::Sni::Off;
    if let Some(log) = key_log {
        config.key_log = log;
    }
    Ok(TlsSetup {
        config: Arc::new(config),
        watch,
        insecure: opts.insecure,
        proxy: peer == Peer::Proxy,
        describe_chain: true,
    })
}

/// The protocol versions between `min` and `max` (rustls speaks 1.2 and 1.3).
fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
) -> Vec<&'static SupportedProtocolVersion> {
    let all = [
        (TlsVersion::V1_2, &rustls::version::TLS12),
        (TlsVersion::V1_3, &rustls::version::TLS13),
    ];
    all.into_iter()
        .filter(|(v, _)| min.is_none_or(|m| *v >= m) && max.is_none_or(|m| *v <= m))
        .map(|(_, p)| p)
        .collect()
}

/// Add the certificates of a PEM bundle to `roots`. `what` names the
/// option or variable that named the file.
fn add_trust_anchors(roots: &mut RootCertStore, path: &Path, what: &'static str) -> Result<()> {
    let bad = |detail: String| Error::BadCertificateFile {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = read(path, what)?;
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
        return Err(bad(format!(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----), so {what} trusts nothing"
        )));
    }
    Ok(())
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Load --cert (a PEM chain, leaf first) and --key (PKCS#8, PKCS#1 or SEC1
/// PEM; without --key, the key is looked for in the --cert file) and check
/// that the key belongs to the certificate.
fn client_identity(
    cert_path: &Path,
    key_path: Option<&Path>,
    provider: &CryptoProvider,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let bad = |path: &Path, detail: String| Error::BadCertificateFile {
        path: path.to_path_buf(),
        detail,
    };
    let cert_bytes = read(cert_path, "--cert")?;
    let chain = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(cert_path, format!("not a valid PEM file: {e}")))?;
    if chain.is_empty() {
        return Err(bad(
            cert_path,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let (key_bytes, key_file): (Vec<u8>, PathBuf) = match key_path {
        Some(p) => (read(p, "--key")?, p.to_path_buf()),
        None => (cert_bytes.clone(), cert_path.to_path_buf()),
    };
    let key = match PrivateKeyDer::from_pem_slice(&key_bytes) {
        Ok(k) => k,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            let text = String::from_utf8_lossy(&key_bytes);
            let detail = if text.contains("ENCRYPTED PRIVATE KEY") {
                "holds an encrypted private key, which wsprobe cannot decrypt; \
                 write a plain copy with: openssl pkey -in KEY -out plain-key.pem"
                    .to_string()
            } else if key_path.is_none() {
                "holds no private key; give the key file with --key FILE".to_string()
            } else {
                "holds no private key (PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')"
                    .to_string()
            };
            return Err(bad(&key_file, detail));
        }
        Err(e) => return Err(bad(&key_file, format!("not a valid PEM file: {e}"))),
    };
    match CertifiedKey::from_der(chain.clone(), key.clone_key(), provider) {
        Ok(_) => Ok((chain, key)),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(Error::KeyMismatch {
                cert: cert_path.to_path_buf(),
                key: key_file,
            })
        }
        Err(e) => Err(bad(&key_file, format!("cannot use this key: {e}"))),
    }
}

/// Writes TLS secrets in the NSS key log format (what Wireshark reads),
/// one line per secret. The file is created readable by its owner only.
#[derive(Debug)]
struct KeyLogWriter {
    file: Mutex<std::fs::File>,
}

impl KeyLogWriter {
    fn open(path: &Path) -> io::Result<KeyLogWriter> {
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        Ok(KeyLogWriter {
            file: Mutex::new(o.open(path)?),
        })
    }
}

impl KeyLog for KeyLogWriter {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!(
            "{label} {} {}\n",
            crate::format::hex(client_random),
            crate::format::hex(secret)
        );
        // One write per line, so lines from two sessions never interleave.
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Run the TLS handshake with `name` (the SNI and the name the certificate
/// must carry) on `sock` before `deadline`.
pub fn handshake(
    mut sock: Stream,
    setup: &TlsSetup,
    name: &str,
    deadline: Instant,
    out: &mut dyn Emit,
) -> Result<TlsStream> {
    let start = Instant::now();
    let fail =
        |source: Box<dyn std::error::Error + Send + Sync>, plain: Option<Vec<u8>>| Error::Tls {
            diagnosis: source
                .downcast_ref::<io::Error>()
                .and_then(TlsDiagnosis::for_io)
                .map(Box::new),
            server: name.to_string(),
            source,
            plaintext_reply: plain,
        };
    let server_name =
        ServerName::try_from(name.to_string()).map_err(|e| fail(Box::new(e), None))?;
    let mut conn = ClientConnection::new(setup.config.clone(), server_name)
        .map_err(|e| fail(Box::new(e), None))?;
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
        sock.set_timeouts(Some(left)).ok();
        if conn.wants_write() {
            if let Err(e) = conn.write_tls(&mut sock).and_then(|_| sock.flush()) {
                // The peer may have hung up after an alert that says why
                // (TLS 1.2 servers refusing a missing client certificate).
                let alert = conn
                    .read_tls(&mut sock)
                    .ok()
                    .and_then(|_| conn.process_new_packets().err());
                return Err(match alert {
                    Some(tls) => setup.watch.explain(name, tls),
                    None => fail(Box::new(e), None),
                });
            }
            continue;
        }
        let mut rec = Recorder {
            inner: &mut sock,
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
            let _ = conn.write_tls(&mut sock).and_then(|_| sock.flush());
            let plain = looks_like_plaintext(&first).then(|| first.clone());
            let mut err = setup.watch.explain(name, e);
            if let Error::Tls {
                plaintext_reply, ..
            } = &mut err
            {
                *plaintext_reply = plain;
            }
            return Err(err);
        }
    }
    sock.set_timeouts(None).ok();
    let (chain, problem) = match setup.watch.seen.lock() {
        Ok(mut s) => (std::mem::take(&mut s.chain), s.problem.take()),
        Err(_) => (Vec::new(), None),
    };
    if let (true, Some(problem)) = (setup.insecure, problem) {
        let words = match diagnose(&problem, name, &chain, false) {
            Some(d) => d.summary,
            None => problem.to_string(),
        };
        emit(out, &Event::TlsVerificationSkipped { problem: &words });
    }
    let certs: Vec<CertInfo> = match setup.describe_chain {
        true => chain.iter().filter_map(|c| certinfo::parse(c)).collect(),
        false => Vec::new(),
    };
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
            proxy: setup.proxy,
        },
    );
    Ok(TlsStream {
        conn,
        sock,
        watch: setup.watch.clone(),
        name: name.to_string(),
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
    inner: &'a mut Stream,
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

/// Explain a rustls error with the chain the server showed: the leaf is
/// parsed here, the words come from the error table.
fn diagnose(
    e: &rustls::Error,
    host: &str,
    chain: &[CertificateDer<'static>],
    cert_requested: bool,
) -> Option<TlsDiagnosis> {
    let leaf = chain.first().and_then(|c| certinfo::parse(c));
    TlsDiagnosis::for_rustls(e, host, leaf.as_ref(), cert_requested)
}

/// A TLS client session over a [`Stream`] that works in blocking and
/// non-blocking mode alike: `WouldBlock` from the transport surfaces as
/// `WouldBlock`, and a write is never reported as zero bytes.
pub struct TlsStream {
    conn: ClientConnection,
    sock: Stream,
    watch: Watch,
    name: String,
}

impl TlsStream {
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
