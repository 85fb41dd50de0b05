//! The rustls client configuration for one peer (the WebSocket server or
//! an https:// proxy): trust anchors, -k, the client certificate and key,
//! the versions offered, SNI, ALPN and the SSLKEYLOGFILE writer. Every file
//! an option names is read and checked here, before any packet is sent.
//!
//! It builds configurations only; it never touches a connection (that is
//! `handshake`) and has no words for handshake failures (that is `error`).

use super::verify::{NoClientCert, Recording};
use super::{Peer, TlsSetup, Watch};
use crate::cli::TlsVersion;
use crate::config::TlsOptions;
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use crate::net::emit;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, KeyLog, RootCertStore, SupportedProtocolVersion};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
            let (chain, key) = identity(cert, opts.key.as_deref(), &provider, CLIENT_FLAGS)?;
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

/// The flags that name an identity's certificate and key files.
type IdentityFlags = (&'static str, &'static str);
/// Client mode's: --cert and --key.
const CLIENT_FLAGS: IdentityFlags = ("--cert", "--key");
/// Listen mode's: --tls-cert and --tls-key.
const SERVER_FLAGS: IdentityFlags = ("--tls-cert", "--tls-key");

/// The rustls server configuration of listen mode (wss://): the
/// certificate chain (PEM, leaf first) and its key, checked to belong
/// together, HTTP/1.1 by ALPN, TLS 1.2 and 1.3. A bad file is a usage
/// error here, before anything listens.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (chain, key) = identity(cert, Some(key), &provider, SERVER_FLAGS)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Usage(format!("TLS set-up failed: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Load a certificate file (a PEM chain, leaf first) and a key file
/// (PKCS#8, PKCS#1 or SEC1 PEM; without one, the key is looked for in the
/// certificate file) and check that the key belongs to the certificate.
/// `flags` name the two files in errors.
fn identity(
    cert_path: &Path,
    key_path: Option<&Path>,
    provider: &CryptoProvider,
    flags: IdentityFlags,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let bad = |path: &Path, detail: String| Error::BadCertificateFile {
        path: path.to_path_buf(),
        detail,
    };
    let cert_bytes = read(cert_path, flags.0)?;
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
        Some(p) => (read(p, flags.1)?, p.to_path_buf()),
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
                format!(
                    "holds no private key; give the key file with {} FILE",
                    flags.1
                )
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
