//! [`TlsWsServer`]: the scripted WebSocket server behind rustls (ring
//! provider), with a certificate authority and a server certificate made at
//! test time by rcgen.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, SupportedProtocolVersion};
use tungstenite::WebSocket;

use super::ServerThread;
use super::ws::{ErrorResponse, Outcome, Recorded, Request, Response, serve};

/// The stream a [`TlsWsServer`] script's WebSocket runs over.
pub type TlsStream = rustls::StreamOwned<ServerConnection, TcpStream>;

/// What the server saw of the TLS handshake.
#[derive(Debug, Clone, Default)]
pub struct TlsSeen {
    /// The SNI host name the client sent (none for IP-address URLs).
    pub sni: Option<String>,
    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub version: Option<rustls::ProtocolVersion>,
    /// The negotiated ALPN protocol, if any.
    pub alpn: Option<Vec<u8>>,
    /// How many certificates the client presented (0 without mutual TLS).
    pub client_certs: usize,
}

/// What the server ("leaf") certificate of a [`TestPki`] looks like.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// Subject alternative names: DNS names or IP addresses.
    pub names: Vec<String>,
    /// Valid from 2000-01-01 to 2001-01-01, so expired, instead of from now.
    pub expired: bool,
}

impl Default for LeafSpec {
    /// `localhost`, `127.0.0.1` and `::1`, valid now.
    fn default() -> Self {
        LeafSpec {
            names: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            expired: false,
        }
    }
}

/// The form of a client key file written by [`TestPki::client_identity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// ECDSA P-256, PKCS#8 (`BEGIN PRIVATE KEY`), as rcgen writes it.
    Pkcs8,
    /// ECDSA P-256, SEC1 (`BEGIN EC PRIVATE KEY`), converted by `openssl pkey -traditional`.
    Sec1,
    /// RSA 2048, PKCS#1 (`BEGIN RSA PRIVATE KEY`), made by `openssl genpkey` and
    /// converted by `openssl pkey -traditional`.
    Pkcs1,
}

/// A client certificate signed by a [`TestPki`]'s CA, and its key, as PEM
/// files in a temporary directory (removed when this is dropped).
pub struct ClientIdentity {
    dir: tempfile::TempDir,
    /// The certificate (PEM).
    pub cert_path: std::path::PathBuf,
    /// The private key (PEM, in the requested [`KeyFormat`]).
    pub key_path: std::path::PathBuf,
    /// The certificate followed by the key, in one file.
    pub combined_path: std::path::PathBuf,
}

impl ClientIdentity {
    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Runs `openssl ARGS` with `input` on stdin and returns stdout. Panics with
/// a clear message if openssl is missing or fails.
pub fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run openssl ({e}): install it with bash tests/setup.sh \
                 (tests/peers/debian-packages.txt lists it)"
            )
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input).expect("write to openssl");
    drop(stdin);
    let out = child.wait_with_output().expect("wait for openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A test PKI: a CA certificate (with a name unique in the test run) and a
/// server ("leaf") certificate it signed for DNS `localhost` and IPs
/// `127.0.0.1` and `::1`.
pub struct TestPki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The CA certificate, DER.
    pub ca_der: CertificateDer<'static>,
    /// The server certificate, DER.
    pub leaf_der: CertificateDer<'static>,
    /// The server certificate's private key, PKCS#8 DER.
    pub leaf_key_der: Vec<u8>,
    /// The CA, to sign client certificates.
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl TestPki {
    /// Makes a fresh CA and leaf (ECDSA P-256, via rcgen's ring backend).
    pub fn generate() -> TestPki {
        TestPki::generate_with(&LeafSpec::default())
    }

    /// Like [`TestPki::generate`], with the leaf's names and validity from `spec`.
    pub fn generate_with(spec: &LeafSpec) -> TestPki {
        let ca_key = KeyPair::generate().expect("rcgen: generate the CA key");
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).expect("rcgen: CA parameters");
        // A distinct name per CA: with a shared name, a client trusting another
        // test CA would report BadSignature instead of UnknownIssuer.
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "wsprobe test CA {}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        ca_params.distinguished_name.push(DnType::CommonName, name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("rcgen: self-sign the CA");

        let leaf_key = KeyPair::generate().expect("rcgen: generate the server key");
        let mut leaf_params = CertificateParams::new(spec.names.clone())
            .expect("rcgen: server certificate parameters");
        leaf_params.distinguished_name.push(
            DnType::CommonName,
            spec.names.first().map_or("server", String::as_str),
        );
        if spec.expired {
            leaf_params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            leaf_params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        leaf_params.is_ca = IsCa::ExplicitNoCa;
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .expect("rcgen: sign the server certificate");

        TestPki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            leaf_der: leaf.der().clone(),
            leaf_key_der: leaf_key.serialize_der(),
            ca,
        }
    }

    /// A client certificate for `name` (ClientAuth usage) signed by this CA,
    /// with its key in `format`, written to a temporary directory.
    pub fn client_identity(&self, name: &str, format: KeyFormat) -> ClientIdentity {
        let pkcs8_pem = match format {
            KeyFormat::Pkcs1 => String::from_utf8(openssl(
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ],
                b"",
            ))
            .expect("PEM is ASCII"),
            KeyFormat::Pkcs8 | KeyFormat::Sec1 => KeyPair::generate()
                .expect("rcgen: generate the client key")
                .serialize_pem(),
        };
        let key = KeyPair::from_pem(&pkcs8_pem).expect("rcgen: read the client key");
        let mut params =
            CertificateParams::new(Vec::<String>::new()).expect("rcgen: client parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.ca)
            .expect("rcgen: sign the client certificate");
        let key_pem = match format {
            KeyFormat::Pkcs8 => pkcs8_pem.into_bytes(),
            KeyFormat::Sec1 | KeyFormat::Pkcs1 => {
                openssl(&["pkey", "-traditional"], pkcs8_pem.as_bytes())
            }
        };
        let marker: &[u8] = match format {
            KeyFormat::Pkcs8 => b"-----BEGIN PRIVATE KEY-----",
            KeyFormat::Sec1 => b"-----BEGIN EC PRIVATE KEY-----",
            KeyFormat::Pkcs1 => b"-----BEGIN RSA PRIVATE KEY-----",
        };
        assert!(
            key_pem.starts_with(marker),
            "the {format:?} key file does not start with {}",
            String::from_utf8_lossy(marker)
        );
        let dir = tempfile::Builder::new()
            .prefix("wsprobe-test-client-")
            .tempdir()
            .expect("create the client identity directory");
        let cert_path = dir.path().join("client.pem");
        let key_path = dir.path().join("client.key");
        let combined_path = dir.path().join("client-and-key.pem");
        std::fs::write(&cert_path, cert.pem()).expect("write the client certificate");
        std::fs::write(&key_path, &key_pem).expect("write the client key");
        let mut both = cert.pem().into_bytes();
        both.extend_from_slice(&key_pem);
        std::fs::write(&combined_path, both).expect("write the combined file");
        ClientIdentity {
            dir,
            cert_path,
            key_path,
            combined_path,
        }
    }

    /// A server configuration presenting the leaf (and the CA), limited to
    /// `versions` (e.g. `&[&rustls::version::TLS12]`), and, with
    /// `require_client_cert`, refusing clients without a certificate signed
    /// by this CA.
    pub fn server_config_with(
        &self,
        require_client_cert: bool,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_der.clone()));
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .expect("rustls: protocol versions");
        let builder = if require_client_cert {
            let mut roots = RootCertStore::empty();
            roots.add(self.ca_der.clone()).expect("add the CA");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("rustls: client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(vec![self.leaf_der.clone(), self.ca_der.clone()], key)
            .expect("rustls: server certificate and key");
        Arc::new(config)
    }

    /// A rustls server configuration presenting the leaf (and the CA) with
    /// the ring provider (never the process-default provider), no client auth.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_der.clone()));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls: protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.leaf_der.clone(), self.ca_der.clone()], key)
            .expect("rustls: server certificate and key");
        Arc::new(config)
    }
}

/// A scripted WebSocket server behind TLS on `127.0.0.1:<free port>`.
///
/// Like [`super::WsServer`]: ONE connection, 10 s timeouts, request recorded
/// byte for byte; the TLS handshake is completed first, then tungstenite's
/// server handshake, then the script. After a script that completed the
/// close handshake, the server sends TLS close_notify; after any other
/// script it just drops the connection.
///
/// The certificate is valid for `localhost`, `127.0.0.1` and `::1`, signed by
/// a CA made for this server alone, written as PEM to [`TlsWsServer::ca_path`]
/// (pass it to `--cacert`). The server listens on 127.0.0.1 only.
pub struct TlsWsServer {
    thread: ServerThread<(Outcome, TlsSeen)>,
    pki: TestPki,
    ca_file: tempfile::NamedTempFile,
}

impl TlsWsServer {
    /// Starts a server that accepts any valid handshake, then runs `script`.
    pub fn start<F>(script: F) -> TlsWsServer
    where
        F: FnOnce(&mut WebSocket<TlsStream>) + Send + 'static,
    {
        TlsWsServer::start_with(|_: &Request, resp: Response| Ok(resp), script)
    }

    /// Like [`TlsWsServer::start`], with a handshake callback as in
    /// [`super::WsServer::start_with`].
    pub fn start_with<H, F>(on_handshake: H, script: F) -> TlsWsServer
    where
        H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse> + Send + 'static,
        F: FnOnce(&mut WebSocket<TlsStream>) + Send + 'static,
    {
        let pki = TestPki::generate();
        let config = pki.server_config();
        TlsWsServer::start_custom(pki, config, on_handshake, script)
    }

    /// Like [`TlsWsServer::start_with`], with a PKI and server configuration
    /// of the test's choosing (see [`TestPki::generate_with`] and
    /// [`TestPki::server_config_with`]). [`TlsWsServer::ca_path`] holds
    /// `pki`'s CA.
    pub fn start_custom<H, F>(
        pki: TestPki,
        config: Arc<ServerConfig>,
        on_handshake: H,
        script: F,
    ) -> TlsWsServer
    where
        H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse> + Send + 'static,
        F: FnOnce(&mut WebSocket<TlsStream>) + Send + 'static,
    {
        let ca_file = write_ca_file(&pki);
        let thread = ServerThread::spawn("TlsWsServer", move |tcp| {
            tls_serve(tcp, config, on_handshake, script)
        });
        TlsWsServer {
            thread,
            pki,
            ca_file,
        }
    }

    /// `wss://127.0.0.1:PORT/` (the certificate has IP SAN 127.0.0.1).
    pub fn url(&self) -> String {
        self.url_ip()
    }

    /// `wss://127.0.0.1:PORT/`
    pub fn url_ip(&self) -> String {
        format!("wss://{}/", self.thread.addr())
    }

    /// `wss://localhost:PORT/`. The server listens on 127.0.0.1 only, so a
    /// client that resolves localhost to ::1 first must fall back to 127.0.0.1.
    pub fn url_localhost(&self) -> String {
        format!("wss://localhost:{}/", self.thread.addr().port())
    }

    /// The listening address (127.0.0.1 and the port the OS picked).
    pub fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// Path of a PEM file holding the CA certificate (removed when the server is dropped).
    pub fn ca_path(&self) -> &Path {
        self.ca_file.path()
    }

    /// The CA certificate as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The CA and server certificates.
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// Waits (at most 15 s) and returns the recorded request; panics like
    /// [`super::WsServer::finish`], and also if the TLS handshake failed.
    pub fn finish(self) -> Recorded {
        self.finish_tls().0
    }

    /// Like [`TlsWsServer::finish`], also returning what the server saw of TLS (SNI, version, ALPN).
    pub fn finish_tls(self) -> (Recorded, TlsSeen) {
        let addr = self.addr();
        let (outcome, seen) = self.thread.finish();
        (outcome.into_recorded("TlsWsServer", addr), seen)
    }

    /// For tests where the client should abort the TLS or WebSocket handshake
    /// (e.g. it does not trust the CA): returns the server-side error text,
    /// e.g. `TLS handshake failed: received fatal alert: UnknownCA`. Panics if
    /// no connection arrived or the handshakes succeeded.
    pub fn finish_handshake_error(self) -> String {
        let addr = self.addr();
        self.thread.finish().0.into_error("TlsWsServer", addr)
    }
}

/// The CA of `pki` in a PEM temporary file.
pub fn write_ca_file(pki: &TestPki) -> tempfile::NamedTempFile {
    let mut ca_file = tempfile::Builder::new()
        .prefix("wsprobe-test-ca-")
        .suffix(".pem")
        .tempfile()
        .expect("create the CA tempfile");
    ca_file
        .write_all(pki.ca_pem.as_bytes())
        .and_then(|()| ca_file.flush())
        .expect("write the CA tempfile");
    ca_file
}

fn tls_serve<H, F>(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    on_handshake: H,
    script: F,
) -> (Outcome, TlsSeen)
where
    H: FnOnce(&Request, Response) -> Result<Response, ErrorResponse>,
    F: FnOnce(&mut WebSocket<TlsStream>),
{
    let conn = ServerConnection::new(config).expect("rustls: ServerConnection::new");
    let mut tls = TlsStream::new(conn, tcp);
    let mut seen = TlsSeen::default();
    while tls.conn.is_handshaking() {
        match tls.conn.complete_io(&mut tls.sock) {
            Ok((0, 0)) => {
                return (tls_failed("connection closed by the client", &seen), seen);
            }
            Ok(_) => {}
            Err(e) => {
                seen.sni = tls.conn.server_name().map(str::to_string);
                return (tls_failed(&e.to_string(), &seen), seen);
            }
        }
    }
    seen.sni = tls.conn.server_name().map(str::to_string);
    seen.version = tls.conn.protocol_version();
    seen.alpn = tls.conn.alpn_protocol().map(<[u8]>::to_vec);
    seen.client_certs = tls.conn.peer_certificates().map_or(0, <[_]>::len);

    let (outcome, ws) = serve(tls, on_handshake, script);
    if let Some(ws) = ws
        && !ws.can_read()
    {
        // Close handshake done: end TLS cleanly, as a well-behaved server does.
        let mut tls = ws.into_inner();
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }
    (outcome, seen)
}

fn tls_failed(error: &str, seen: &TlsSeen) -> Outcome {
    Outcome::Failed {
        error: format!("TLS handshake failed: {error} (SNI seen: {:?})", seen.sni),
        raw: Vec::new(),
    }
}
