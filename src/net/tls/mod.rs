//! TLS with rustls (ring provider, never the process default), split by
//! concern: `config` (the client configuration: built-in roots plus
//! --cacert or SSL_CERT_FILE, -k, --cert/--key, --tls-min/--tls-max,
//! --no-sni, SSLKEYLOGFILE), `verify` (the verifier and client-certificate
//! resolver that record what the handshake showed), `handshake` (the
//! handshake with a deadline and the facts `-v` shows about the session)
//! and `stream` (the session as a byte stream); `server` is listen mode's
//! side: a client's handshake accepted with a deadline (`server_config`
//! builds its configuration).
//!
//! The handshake is driven by hand (not `StreamOwned`) so that a deadline
//! bounds it and the first bytes a non-TLS peer sends can be shown. The
//! transport is a [`Stream`](super::Stream), so TLS runs over TCP, a unix socket, a proxy
//! tunnel, or inside TLS to an https:// proxy alike. This module gathers
//! the facts of a failure (the chain, parsed by `net::certinfo`); the words
//! that explain it are the table in `error` ([`TlsDiagnosis`]), never here.

mod config;
mod handshake;
mod server;
mod stream;
mod verify;

pub use config::{client_config, key_log, server_config};
pub use handshake::handshake;
pub use server::accept;
pub use stream::{TlsStream, tls_failure};

use super::certinfo;
use crate::error::{Error, TlsDiagnosis};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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

/// Who the TLS session is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The WebSocket server (wss://): every TLS option applies.
    Server,
    /// An https:// proxy: the same trust anchors and -k, no client
    /// certificate, no version pins, SNI always on.
    Proxy,
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
