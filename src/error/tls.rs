//! The one table that explains a failed TLS handshake: from what rustls
//! (or the transport) said, the server's leaf certificate and whether the
//! server asked for a client certificate, a [`TlsDiagnosis`] (headline,
//! facts, hints); and the words of [`Error::Tls`](super::Error::Tls).
//!
//! The TLS code (`net::tls`) gathers the facts (the chain it saw, parsed
//! with `net::certinfo`) and calls [`TlsDiagnosis::for_rustls`] or
//! [`TlsDiagnosis::for_io`]; this file never touches a connection or
//! parses a certificate itself.

use super::TlsDiagnosis;
use crate::event::CertInfo;
use crate::format::{date, sanitize::escape_preview};
use rustls::{AlertDescription as A, CertificateError as C, Error as E};
use std::fmt;
use std::io;

/// The hint when nothing more specific is known of the failure.
const FALLBACK_HINT: &str =
    "--cacert FILE trusts a private CA; -k skips verification (testing only)";

impl TlsDiagnosis {
    /// Explain a rustls error with the server's leaf certificate (None when
    /// it showed none or it could not be parsed). `cert_requested`: the
    /// server asked for a client certificate and we had none, so a refusal
    /// is explained as mutual TLS. None when the table has no words for it.
    pub fn for_rustls(
        e: &rustls::Error,
        host: &str,
        leaf: Option<&CertInfo>,
        cert_requested: bool,
    ) -> Option<TlsDiagnosis> {
        let mut facts = leaf.map(leaf_facts).unwrap_or_default();
        let (summary, hints) = match e {
            E::InvalidCertificate(c) => certificate(c, host, leaf, &mut facts),
            E::AlertReceived(A::CertificateRequired) => client_cert_required(&mut facts),
            E::AlertReceived(A::HandshakeFailure | A::BadCertificate | A::AccessDenied)
                if cert_requested =>
            {
                client_cert_required(&mut facts)
            }
            E::AlertReceived(A::ProtocolVersion) | E::PeerIncompatible(_) => (
                "the server and wsprobe have no TLS version or feature in common".into(),
                vec!["check --tls-min and --tls-max (wsprobe speaks TLS 1.2 and 1.3)".into()],
            ),
            E::AlertReceived(
                A::BadCertificate
                | A::UnknownCA
                | A::CertificateUnknown
                | A::UnsupportedCertificate,
            ) => (
                "the server rejected our client certificate".into(),
                vec!["check that the server trusts the issuer of the --cert certificate".into()],
            ),
            E::AlertReceived(A::HandshakeFailure) => (
                "the server refused the TLS handshake (handshake_failure)".into(),
                vec![
                    "the server may want a client certificate (--cert), another TLS version (--tls-min, --tls-max) or another server name (--sni)"
                        .into(),
                ],
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

    /// Explain an I/O failure in the middle of the TLS handshake; None when
    /// the table has no words for it.
    pub fn for_io(e: &io::Error) -> Option<TlsDiagnosis> {
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
}

/// What the leaf certificate says, as facts.
fn leaf_facts(l: &CertInfo) -> Vec<String> {
    let mut facts = vec![
        format!("certificate: {}", l.subject),
        format!("issuer: {}", l.issuer),
    ];
    if !l.names.is_empty() {
        facts.push(format!("names: {}", l.names.join(", ")));
    }
    facts.push(format!("valid: {}", l.validity()));
    facts
}

/// The server's certificate did not verify: the summary and hints, with
/// `facts` adjusted to what matters for this problem.
fn certificate(
    c: &C,
    host: &str,
    leaf: Option<&CertInfo>,
    facts: &mut Vec<String>,
) -> (String, Vec<String>) {
    let skip = || "-k skips verification (for testing only)".to_string();
    match c {
        C::UnknownIssuer => {
            let summary = if leaf.is_some_and(CertInfo::self_issued) {
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
        C::Expired | C::ExpiredContext { .. } => {
            if let C::ExpiredContext { time, .. } = c {
                facts.push(format!("now: {}", date(time.as_secs() as i64)));
            }
            let until = leaf.map_or("?".into(), |l| date(l.not_after));
            (
                format!("the server's certificate expired on {until}"),
                vec![
                    "the server needs a renewed certificate (or this machine's clock is wrong)"
                        .into(),
                    skip(),
                ],
            )
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            if let C::NotValidYetContext { time, .. } = c {
                facts.push(format!("now: {}", date(time.as_secs() as i64)));
            }
            let from = leaf.map_or("?".into(), |l| date(l.not_before));
            (
                format!("the server's certificate is not valid until {from}"),
                vec![
                    "check the clocks of this machine and the server".into(),
                    skip(),
                ],
            )
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            // The parsed certificate names them plainly; rustls's context
            // is a fallback for a certificate x509-parser cannot read.
            let names = match (leaf, c) {
                (Some(l), _) if !l.names.is_empty() => l.names.join(", "),
                (_, C::NotValidForNameContext { presented, .. }) => presented.join(", "),
                _ => "(no names)".into(),
            };
            facts.retain(|f| !f.starts_with("names: "));
            facts.insert(0, format!("asked for: {host}"));
            facts.insert(1, format!("the certificate is for: {names}"));
            (
                format!("the server's certificate is not valid for '{host}'"),
                vec![
                    "connect by a name the certificate carries (--connect-to or --resolve keep that name while connecting elsewhere), or --sni NAME to ask for another virtual host"
                        .into(),
                    skip(),
                ],
            )
        }
        C::BadSignature => (
            "a signature in the server's certificate chain does not verify".into(),
            vec![skip()],
        ),
        other => (
            format!("the server's certificate was refused: {other:?}"),
            vec![skip()],
        ),
    }
}

fn client_cert_required(facts: &mut Vec<String>) -> (String, Vec<String>) {
    // The server's own certificate is not the problem here.
    facts.clear();
    (
        "the server requires a client certificate (mutual TLS)".into(),
        vec!["give one with --cert FILE --key FILE".into()],
    )
}

/// The headline of [`Error::Tls`](super::Error::Tls).
pub(super) fn headline(
    f: &mut fmt::Formatter<'_>,
    server: &str,
    source: &(dyn std::error::Error + Send + Sync),
    plaintext: bool,
    diagnosis: Option<&TlsDiagnosis>,
) -> fmt::Result {
    if plaintext {
        write!(
            f,
            "TLS handshake with {server} failed: the server does not speak TLS on this port"
        )
    } else if let Some(d) = diagnosis {
        write!(f, "TLS handshake with {server} failed: {}", d.summary)
    } else {
        write!(f, "TLS handshake with {server} failed: {source}")
    }
}

/// The facts of [`Error::Tls`](super::Error::Tls): a plain-text answer
/// says it all; otherwise the diagnosis's facts.
pub(super) fn facts(plaintext: Option<&[u8]>, diagnosis: Option<&TlsDiagnosis>) -> Vec<String> {
    match (plaintext, diagnosis) {
        (Some(bytes), _) => vec![format!(
            "the server answered in plain text: {}",
            escape_preview(bytes, 120)
        )],
        (None, Some(d)) => d.facts.clone(),
        (None, None) => Vec::new(),
    }
}

/// The hints of [`Error::Tls`](super::Error::Tls).
pub(super) fn hints(plaintext: bool, diagnosis: Option<&TlsDiagnosis>) -> Vec<String> {
    match (plaintext, diagnosis) {
        (true, _) => vec!["this port speaks plain HTTP: use ws:// instead of wss://".into()],
        (false, Some(d)) => d.hints.clone(),
        (false, None) => vec![FALLBACK_HINT.into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(names: &[&str], self_issued: bool) -> CertInfo {
        CertInfo {
            subject: "CN=a".into(),
            issuer: if self_issued { "CN=a" } else { "CN=ca" }.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            not_before: 0,
            not_after: 86_400,
            sha256: String::new(),
        }
    }

    #[test]
    fn a_wrong_name_puts_both_names_first() {
        let l = leaf(&["a.test", "b.test"], false);
        let e = E::InvalidCertificate(C::NotValidForName);
        let d = TlsDiagnosis::for_rustls(&e, "c.test", Some(&l), false).expect("known");
        assert_eq!(
            d.summary,
            "the server's certificate is not valid for 'c.test'"
        );
        assert_eq!(
            d.facts,
            [
                "asked for: c.test",
                "the certificate is for: a.test, b.test",
                "certificate: CN=a",
                "issuer: CN=ca",
                "valid: 1970-01-01T00:00:00Z to 1970-01-02T00:00:00Z",
            ]
        );
    }

    #[test]
    fn self_signed_and_client_certificates_are_told_apart() {
        let l = leaf(&[], true);
        let e = E::InvalidCertificate(C::UnknownIssuer);
        let d = TlsDiagnosis::for_rustls(&e, "h", Some(&l), false).expect("known");
        assert!(d.summary.contains("self-signed"), "{}", d.summary);
        let e = E::AlertReceived(A::HandshakeFailure);
        let d = TlsDiagnosis::for_rustls(&e, "h", Some(&l), true).expect("known");
        assert!(d.summary.contains("client certificate"), "{}", d.summary);
        assert!(d.facts.is_empty());
        assert!(TlsDiagnosis::for_rustls(&E::DecryptError, "h", None, false).is_none());
    }

    #[test]
    fn without_a_diagnosis_the_hint_is_the_fallback() {
        assert_eq!(hints(false, None), [FALLBACK_HINT]);
        assert!(hints(true, None)[0].contains("ws://"));
    }
}
