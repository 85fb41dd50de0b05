//! What rustls asks us during a handshake, answered while recording what
//! it showed: the server-certificate verifier (real webpki verification,
//! the chain and verdict kept for diagnosis, -k applied) and the
//! client-certificate resolver that notes the server asked for one.
//!
//! It records; it does not explain (the words are in `error`) and it does
//! not build the configuration (that is `config`).

use super::Seen;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The verifier: runs the real verification (webpki, the configured
/// roots), keeps the chain and the verdict for diagnosis, and with -k
/// accepts the certificate anyway. Handshake signatures are always checked,
/// so the peer must hold the key of the certificate it shows.
#[derive(Debug)]
pub(super) struct Recording {
    /// The real verification.
    pub(super) inner: Arc<WebPkiServerVerifier>,
    /// -k: accept what `inner` refuses (after recording why).
    pub(super) insecure: bool,
    /// Where the chain and the verdict go.
    pub(super) seen: Arc<Mutex<Seen>>,
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
pub(super) struct NoClientCert {
    /// Set when the server asks for a client certificate.
    pub(super) requested: Arc<AtomicBool>,
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
