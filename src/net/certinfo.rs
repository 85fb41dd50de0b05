//! What a certificate says, for people: subject, issuer, names, validity
//! and SHA-256 fingerprint, parsed with x509-parser. Used for the `-vvv`
//! chain and for the facts of a TLS failure. Parsing never fails a run:
//! a certificate that cannot be parsed is described as such.

use crate::output::json::rfc3339;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};
use x509_parser::extensions::GeneralName;

/// The parts of a certificate worth showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject's distinguished name.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub names: Vec<String>,
    /// Valid from (seconds since the epoch).
    pub not_before: i64,
    /// Valid until (seconds since the epoch).
    pub not_after: i64,
    /// SHA-256 of the DER, as colon-separated hex.
    pub sha256: String,
}

impl CertInfo {
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

    /// True when subject and issuer are the same name.
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// "2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z".
    pub fn validity(&self) -> String {
        format!("{} to {}", date(self.not_before), date(self.not_after))
    }
}

/// A time in seconds since the epoch as RFC 3339 (UTC, whole seconds).
pub fn date(secs: i64) -> String {
    let t = if secs >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        SystemTime::UNIX_EPOCH
    };
    let s = rfc3339(t);
    // Drop the milliseconds: certificates have none.
    format!("{}Z", &s[..s.len() - 5])
}

fn ip_name(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("IP {}", crate::output::hex(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_garbage() {
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
        assert!(CertInfo::parse(b"not a certificate").is_none());
    }
}
