//! The TLS handshake with a deadline, driven by hand over any
//! [`Stream`]: what a failure showed (an alert, the first bytes of a peer
//! that answers in plain text, the chain) becomes a typed [`Error::Tls`];
//! a success reports the session (`-v`) and, when asked, the chain.
//!
//! It gathers facts and emits events; the words that explain a failure
//! are the table in `error`, and the configuration comes from `config`.

use super::stream::TlsStream;
use super::{TlsSetup, certinfo, diagnose};
use crate::error::{Error, Result, TlsDiagnosis};
use crate::event::{CertInfo, Emit, Event};
use crate::net::{Stream, emit, remaining};
use rustls::ClientConnection;
use rustls::pki_types::ServerName;
use std::io::{self, Read, Write};
use std::time::Instant;

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
    let server_name =
        ServerName::try_from(name.to_string()).map_err(|e| failure(name, Box::new(e), None))?;
    let mut conn = ClientConnection::new(setup.config.clone(), server_name)
        .map_err(|e| failure(name, Box::new(e), None))?;
    drive(&mut conn, &mut sock, setup, name, deadline)?;
    sock.set_timeouts(None).ok();
    report_chain(setup, name, out);
    report_session(&conn, setup.proxy, start, out);
    Ok(TlsStream::new(
        conn,
        sock,
        setup.watch.clone(),
        name.to_string(),
    ))
}

/// A failure that rustls did not explain: the transport's (diagnosed when
/// the table knows the I/O error) or the server name's.
fn failure(
    name: &str,
    source: Box<dyn std::error::Error + Send + Sync>,
    plain: Option<Vec<u8>>,
) -> Error {
    Error::Tls {
        diagnosis: source
            .downcast_ref::<io::Error>()
            .and_then(TlsDiagnosis::for_io)
            .map(Box::new),
        server: name.to_string(),
        source,
        plaintext_reply: plain,
    }
}

/// The deadline passed with the handshake unfinished.
fn no_answer() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "no answer within --connect-timeout",
    )
}

/// Exchange records until the handshake is done or fails.
fn drive(
    conn: &mut ClientConnection,
    sock: &mut Stream,
    setup: &TlsSetup,
    name: &str,
    deadline: Instant,
) -> Result<()> {
    // The first bytes the peer sends, kept to recognise a plain-HTTP reply.
    let mut first = Vec::new();
    while conn.is_handshaking() {
        let Some(left) = remaining(deadline) else {
            return Err(failure(name, Box::new(no_answer()), None));
        };
        sock.set_timeouts(Some(left)).ok();
        if conn.wants_write() {
            if let Err(e) = conn.write_tls(sock).and_then(|_| sock.flush()) {
                // The peer may have hung up after an alert that says why
                // (TLS 1.2 servers refusing a missing client certificate).
                let alert = conn
                    .read_tls(sock)
                    .ok()
                    .and_then(|_| conn.process_new_packets().err());
                return Err(match alert {
                    Some(tls) => setup.watch.explain(name, tls),
                    None => failure(name, Box::new(e), None),
                });
            }
            continue;
        }
        let mut rec = Recorder {
            inner: &mut *sock,
            kept: &mut first,
        };
        let n = conn.read_tls(&mut rec).map_err(|e| {
            let e = if matches!(e.kind(), io::ErrorKind::WouldBlock) {
                no_answer()
            } else {
                e
            };
            failure(name, Box::new(e), None)
        })?;
        if n == 0 {
            let plain = looks_like_plaintext(&first).then(|| first.clone());
            return Err(failure(
                name,
                Box::new(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                )),
                plain,
            ));
        }
        if let Err(e) = conn.process_new_packets() {
            // Tell the peer why (an alert), as far as it listens.
            let _ = conn.write_tls(sock).and_then(|_| sock.flush());
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
    Ok(())
}

/// After a successful handshake: what -k let through, and the chain when
/// it is to be shown.
fn report_chain(setup: &TlsSetup, name: &str, out: &mut dyn Emit) {
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
}

/// The negotiated version, cipher suite, group and ALPN protocol.
fn report_session(conn: &ClientConnection, proxy: bool, start: Instant, out: &mut dyn Emit) {
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
            proxy,
        },
    );
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
