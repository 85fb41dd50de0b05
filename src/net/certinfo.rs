//! Reads what a certificate says into an [`event::CertInfo`](crate::event::CertInfo):
//! subject, issuer, names, validity and SHA-256 fingerprint, parsed with
//! x509-parser. Used for the `-vvv`
//! chain and for the facts of a TLS failure. Parsing never fails a run:
//! a certificate that cannot be parsed is described as such.

use crate::event::CertInfo;
use std::fmt::Write as _;
use x509_parser::extensions::GeneralName;

/// Parse a DER certificate; None when it is not one.
pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push((*d).to_string()),
                GeneralName::IPAddress(b) => names.push(ip_name(b)),
                _ => {}
            }
        }
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut sha256 = String::with_capacity(95);
    for (i, b) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            sha256.push(':');
        }
        let _ = write!(sha256, "{b:02X}");
    }
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sha256,
    })
}

fn ip_name(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("IP {}", crate::format::hex(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse(b"not a certificate").is_none());
    }
}
