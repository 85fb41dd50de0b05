//! The upgrade request's extra headers and subprotocols ([`RequestSpec`])
//! from -H, -s, --origin, -u (or the URL's credentials) and -A, and the
//! header syntax rules they must follow (RFC 9110 tokens, no CR/LF/NUL in
//! values, no header the handshake owns).
//!
//! It builds header lists only: the handshake's own headers (Upgrade, Key,
//! Version, Extensions) are the handshake's, and nothing here writes bytes
//! to a socket.

use crate::cli::Cli;
use crate::error::{Error, Result};

/// The upgrade request beyond what the handshake itself owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestSpec {
    /// Extra headers, in order and case as typed.
    pub headers: Vec<(String, String)>,
    /// Subprotocols offered, in order of preference.
    pub subprotocols: Vec<String>,
}

impl RequestSpec {
    /// Whether a header named `name` (any case) is already there.
    fn has(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }
}

/// Headers the handshake owns; -H may not set them.
const RESERVED_HEADERS: [&str; 5] = [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions",
];

/// The request from -H, -s, --origin, the credentials (-u, else
/// `userinfo` from the URL) and -A. An -H header wins over the flag that
/// would set the same one, with a warning.
pub(super) fn request_spec(
    cli: &Cli,
    userinfo: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<RequestSpec> {
    let mut request = RequestSpec::default();
    for h in &cli.headers {
        let (name, value) = parse_header(h)?;
        if name.eq_ignore_ascii_case("Sec-WebSocket-Protocol") {
            request.subprotocols.extend(
                value
                    .split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty()),
            );
            continue;
        }
        request.headers.push((name, value));
    }
    for p in &cli.subprotocols {
        if p.is_empty() || !p.bytes().all(is_tchar) {
            return Err(Error::Usage(format!(
                "-s '{p}': a subprotocol name is a token (letters, digits, and !#$%&'*+-.^_`|~)"
            )));
        }
        request.subprotocols.push(p.clone());
    }
    if let Some(origin) = &cli.origin {
        if request.has("Origin") {
            warnings.push("both --origin and -H 'Origin: ...' given; sending the -H one".into());
        } else {
            check_header_value("--origin", origin)?;
            request.headers.push(("Origin".into(), origin.clone()));
        }
    }
    let credentials = match (&cli.user, userinfo) {
        (Some(u), _) => Some(u.clone()),
        (None, from_url) => from_url,
    };
    if let Some(cred) = credentials {
        if request.has("Authorization") {
            warnings.push(
                "both credentials (-u or the URL) and -H 'Authorization: ...' given; sending the -H one"
                    .into(),
            );
        } else {
            request
                .headers
                .push(("Authorization".into(), basic_auth(cred)));
        }
    }
    if !request.has("User-Agent") {
        let ua = cli
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("wsprobe/{}", env!("CARGO_PKG_VERSION")));
        if !ua.is_empty() {
            check_header_value("-A", &ua)?;
            request.headers.push(("User-Agent".into(), ua));
        }
    }
    Ok(request)
}

/// `Basic base64(user:pass)` (RFC 7617); a bare user gets an empty
/// password, as curl does.
fn basic_auth(cred: String) -> String {
    use base64::Engine as _;
    let cred = if cred.contains(':') {
        cred
    } else {
        format!("{cred}:")
    };
    let token = base64::engine::general_purpose::STANDARD.encode(cred.as_bytes());
    format!("Basic {token}")
}

/// RFC 9110 section 5.6.2: token characters.
pub(super) fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Parse `Name: value` from -H.
pub(super) fn parse_header(h: &str) -> Result<(String, String)> {
    let Some((name, value)) = h.split_once(':') else {
        return Err(Error::Usage(format!(
            "-H '{h}': a header is 'Name: value' (the colon is missing)"
        )));
    };
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(Error::Usage(format!(
            "-H '{h}': '{name}' is not a valid header name (letters, digits, and !#$%&'*+-.^_`|~)"
        )));
    }
    if let Some(r) = RESERVED_HEADERS
        .iter()
        .find(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(Error::Usage(format!(
            "-H '{h}': wsprobe sets {r} itself, as the WebSocket handshake requires"
        )));
    }
    let value = value.trim();
    check_header_value(&format!("-H '{name}'"), value)?;
    Ok((name.to_string(), value.to_string()))
}

/// A header value may not end the header early or smuggle another one.
fn check_header_value(what: &str, v: &str) -> Result<()> {
    if v.bytes().any(|c| c == b'\r' || c == b'\n' || c == 0) {
        return Err(Error::Usage(format!(
            "{what}: a header value may not contain CR, LF or NUL"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::testutil::config;

    #[test]
    fn url_credentials_become_basic_auth() {
        let c = config(&["ws://al%40ice:s3cr%3At@h/"]).expect("ok");
        let auth = c
            .request
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .expect("auth header");
        // base64("al@ice:s3cr:t")
        assert_eq!(auth.1, "Basic YWxAaWNlOnMzY3I6dA==");
        assert!(!c.target.url.contains("ice"));
    }

    #[test]
    fn headers_are_validated_and_keep_case() {
        let c = config(&["-H", "X-Token:  abc ", "h:1"]).expect("ok");
        assert_eq!(c.request.headers[0], ("X-Token".into(), "abc".into()));
        for bad in [
            "NoColon",
            "Bad Name: x",
            ": x",
            "Upgrade: h2c",
            "sec-websocket-key: x",
        ] {
            let e = config(&["-H", bad, "h:1"]).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn protocol_header_counts_as_offered_subprotocols() {
        let c = config(&["-H", "Sec-WebSocket-Protocol: a, b", "-s", "c", "h:1"]).expect("ok");
        assert_eq!(c.request.subprotocols, ["a", "b", "c"]);
        assert!(config(&["-s", "a b", "h:1"]).is_err());
    }

    #[test]
    fn user_agent_default_and_override() {
        let c = config(&["h:1"]).expect("ok");
        assert!(
            c.request
                .headers
                .iter()
                .any(|(k, v)| k == "User-Agent" && v.starts_with("wsprobe/"))
        );
        let c = config(&["-A", "", "h:1"]).expect("ok");
        assert!(!c.request.headers.iter().any(|(k, _)| k == "User-Agent"));
    }
}
