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
use rustls::{ServerConfig, ServerConnection};
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
}

impl TestPki {
    /// Makes a fresh CA and leaf (ECDSA P-256, via rcgen's ring backend).
    pub fn generate() -> TestPki {
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
        let mut leaf_params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .expect("rcgen: server certificate parameters");
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
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
        }
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
        let mut ca_file = tempfile::Builder::new()
            .prefix("wsprobe-test-ca-")
            .suffix(".pem")
            .tempfile()
            .expect("create the CA tempfile");
        ca_file
            .write_all(pki.ca_pem.as_bytes())
            .and_then(|()| ca_file.flush())
            .expect("write the CA tempfile");
        let config = pki.server_config();
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
