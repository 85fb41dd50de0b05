//! The URL the user typed, turned into a [`Target`] (scheme, host, port,
//! path, Host header, normalised URL) and the credentials it carries, and
//! the percent-decoding those credentials (and a proxy URL's) need.
//!
//! It owns URL syntax only: it does not decide how to reach the host
//! (addresses, proxies, unix sockets live in `net` and `proxy`) and does not
//! build headers from the credentials (`headers` does).

use crate::error::{Error, Result};

/// Where to connect and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// wss:// (or https://).
    pub secure: bool,
    /// The host as it appears in the URL, IPv6 without brackets.
    pub host: String,
    /// The port (default 80 or 443).
    pub port: u16,
    /// Path and query, at least "/".
    pub path: String,
    /// The Host header value: host, bracketed for IPv6, with the port when
    /// it is not the default.
    pub host_header: String,
    /// The URL normalised to ws:// or wss://, without credentials.
    pub url: String,
}

/// Parse a URL as the user typed it into a [`Target`] and the credentials
/// it carries (`user:pass@`, percent-decoded).
pub fn parse_target(raw: &str, warnings: &mut Vec<String>) -> Result<(Target, Option<String>)> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::Usage("the URL is empty".into()));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("ws://{trimmed}")
    };
    let url = url::Url::parse(&with_scheme)
        .map_err(|e| Error::Usage(format!("'{raw}' is not a valid URL: {e}")))?;
    let secure = match url.scheme() {
        "ws" | "http" => false,
        "wss" | "https" => true,
        other => {
            return Err(Error::Usage(format!(
                "'{raw}': unsupported scheme '{other}://'; use ws:// or wss:// (http:// and https:// are aliases)"
            )));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(Error::Usage(format!("'{raw}' has no host"))),
    };
    let default_port = if secure { 443 } else { 80 };
    let port = url.port().unwrap_or(default_port);
    if port == 0 {
        return Err(Error::Usage(format!(
            "'{raw}': port 0 cannot be connected to"
        )));
    }
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let host_header = if port == default_port {
        bracketed.clone()
    } else {
        format!("{bracketed}:{port}")
    };
    if url.fragment().is_some() {
        warnings.push(format!(
            "'{raw}': the #fragment is not sent (WebSocket URLs have none, RFC 6455 section 3)"
        ));
    }
    let mut path = url.path().to_string();
    if path.is_empty() {
        path.push('/');
    }
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let userinfo = if url.username().is_empty() && url.password().is_none() {
        None
    } else {
        let dec = |s: &str| {
            percent_decode(s).map_err(|_| {
                Error::Usage(format!(
                    "'{raw}': the credentials in the URL are not valid UTF-8 after decoding"
                ))
            })
        };
        let user = dec(url.username())?;
        let pass = dec(url.password().unwrap_or(""))?;
        Some(format!("{user}:{pass}"))
    };
    let scheme = if secure { "wss" } else { "ws" };
    let target = Target {
        secure,
        url: format!("{scheme}://{host_header}{path}"),
        host,
        port,
        path,
        host_header,
    };
    Ok((target, userinfo))
}

/// Decode `%XX` escapes (a `%` not followed by two hex digits stays as it
/// is); the result must be UTF-8.
pub(super) fn percent_decode(s: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target> {
        parse_target(url, &mut Vec::new()).map(|(t, _)| t)
    }

    #[test]
    fn bare_host_port_is_ws() {
        let t = target("localhost:8080").expect("valid");
        assert_eq!(
            (t.secure, t.host.as_str(), t.port, t.path.as_str()),
            (false, "localhost", 8080, "/")
        );
        assert_eq!(t.url, "ws://localhost:8080/");
    }

    #[test]
    fn schemes_and_default_ports() {
        assert_eq!(target("wss://h/x?y=1").expect("ok").port, 443);
        assert_eq!(target("https://h").expect("ok").url, "wss://h/");
        assert_eq!(target("http://h").expect("ok").url, "ws://h/");
        assert_eq!(target("wss://h/x?y=1").expect("ok").path, "/x?y=1");
        assert_eq!(target("ws://h:80/").expect("ok").host_header, "h");
    }

    #[test]
    fn ipv6_literals_are_bracketed_in_host() {
        let t = target("ws://[::1]:9000/a").expect("ok");
        assert_eq!(t.host, "::1");
        assert_eq!(t.host_header, "[::1]:9000");
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        for bad in [
            "",
            "ftp://h/",
            "ws://",
            "ws://h:99999/",
            "ws://h:0/",
            "ws://exa mple/",
        ] {
            let e = target(bad).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
        let msg = target("ftp://h/").expect_err("ftp").to_string();
        assert!(msg.contains("ws://"), "{msg}");
    }
}
