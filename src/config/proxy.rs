//! Proxies: what -x, --proxy-user, --noproxy and the `*_proxy` / `no_proxy`
//! variables say ([`ProxyRules`]), which proxy a URL goes through
//! ([`ProxyRules::choose`], behind [`super::NetOptions::proxy_for`]), where
//! that choice came from ([`ProxySource`]), and proxy URL syntax
//! ([`parse_proxy`]) with its credentials kept out of messages.
//!
//! It decides and validates only: speaking HTTP CONNECT or SOCKS5 is
//! `net::proxy`'s, and it must not read the process environment (it gets an
//! [`Env`]).

use super::env::{Env, first_var};
use super::target::{Target, percent_decode};
use crate::cli::Cli;
use crate::error::{Error, Result};
use std::net::IpAddr;

/// The kind of proxy, from the scheme of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// http://: HTTP CONNECT.
    Http,
    /// https://: TLS to the proxy, then HTTP CONNECT.
    Https,
    /// socks5://: SOCKS5, the name resolved here.
    Socks5,
    /// socks5h://: SOCKS5, the name resolved by the proxy.
    Socks5h,
}

/// What chose a proxy: the command line or an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySource {
    /// -x.
    Flag,
    /// A variable from [`super::PROXY_VARS`], by name.
    Env(String),
}

impl ProxySource {
    /// How messages name it: "-x", or the variable's name.
    pub fn words(&self) -> &str {
        match self {
            ProxySource::Flag => "-x",
            ProxySource::Env(name) => name,
        }
    }

    /// The variable's name, when a variable chose the proxy (so that
    /// `-x ''` or --noproxy can be suggested to go around it).
    pub fn env_var(&self) -> Option<&str> {
        match self {
            ProxySource::Flag => None,
            ProxySource::Env(name) => Some(name),
        }
    }
}

impl std::fmt::Display for ProxySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words())
    }
}

/// A proxy to go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Which protocol it speaks.
    pub kind: ProxyKind,
    /// Its host (IPv6 without brackets).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// USER and PASS, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// scheme://host:port, without credentials, for messages.
    pub url: String,
    /// What set it.
    pub source: ProxySource,
}

/// Everything that decides whether and through which proxy to connect,
/// kept as given so that each URL (redirects included) is decided on its
/// own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyRules {
    /// -x as given ("" means no proxy at all).
    flag: Option<String>,
    /// --proxy-user.
    user: Option<String>,
    /// The proxy variables that are set (no_proxy aside).
    env: Vec<(String, String)>,
    /// --noproxy, else no_proxy: (where it came from, the list).
    no_proxy: Option<(String, String)>,
}

impl ProxyRules {
    /// The rules from -x, --proxy-user, --noproxy and the variables.
    pub(super) fn new(cli: &Cli, env: &Env) -> ProxyRules {
        let no_proxy = match &cli.noproxy {
            Some(list) => Some(("--noproxy".to_string(), list.clone())),
            None => env
                .proxy_var(&["no_proxy", "NO_PROXY"])
                .map(|(k, v)| (k.to_string(), v.to_string())),
        };
        ProxyRules {
            flag: cli.proxy.clone(),
            user: cli.proxy_user.clone(),
            env: env
                .proxy_vars
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("no_proxy"))
                .cloned()
                .collect(),
            no_proxy,
        }
    }

    /// The proxy to use for `target`, if any: -x, else the variables for
    /// its scheme (ws_proxy then http_proxy for ws://, wss_proxy then
    /// https_proxy for wss://, then all_proxy; lowercase first), unless
    /// --noproxy (or no_proxy) names the host.
    pub fn choose(&self, target: &Target) -> Result<Option<Proxy>> {
        let (source, value) = match &self.flag {
            Some(v) if v.trim().is_empty() => return Ok(None),
            Some(v) => (ProxySource::Flag, v.clone()),
            None => {
                let names: &[&str] = if target.secure {
                    &[
                        "wss_proxy",
                        "WSS_PROXY",
                        "https_proxy",
                        "HTTPS_PROXY",
                        "all_proxy",
                        "ALL_PROXY",
                    ]
                } else {
                    &[
                        "ws_proxy",
                        "WS_PROXY",
                        "http_proxy",
                        "HTTP_PROXY",
                        "all_proxy",
                        "ALL_PROXY",
                    ]
                };
                match first_var(&self.env, names) {
                    Some((k, v)) => (ProxySource::Env(k.to_string()), v.to_string()),
                    None => return Ok(None),
                }
            }
        };
        if let Some((_, list)) = &self.no_proxy
            && no_proxy_matches(list, &target.host)
        {
            return Ok(None);
        }
        parse_proxy(&value, source, self.user.as_deref()).map(Some)
    }
}

/// A proxy URL, shown without its password.
fn redact_userinfo(raw: &str) -> String {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), raw),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => raw.to_string(),
    }
}

/// Parse a proxy URL from -x or a variable (`source` says which; messages
/// name it).
pub fn parse_proxy(raw: &str, source: ProxySource, proxy_user: Option<&str>) -> Result<Proxy> {
    let shown = redact_userinfo(raw.trim());
    let bad = |why: &str| Error::Usage(format!("{source} '{shown}': {why}"));
    let trimmed = raw.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
    let (kind, default_port) = match url.scheme() {
        "http" => (ProxyKind::Http, 1080),
        "https" => (ProxyKind::Https, 443),
        "socks5" => (ProxyKind::Socks5, 1080),
        "socks5h" => (ProxyKind::Socks5h, 1080),
        other => {
            return Err(bad(&format!(
                "unsupported proxy scheme '{other}://'; use http://, https://, socks5:// or socks5h://"
            )));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("no host")),
    };
    let port = url.port().unwrap_or(default_port);
    if port == 0 {
        return Err(bad("port 0 cannot be connected to"));
    }
    let credentials = match proxy_user {
        Some(u) => Some(match u.split_once(':') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (u.to_string(), String::new()),
        }),
        None if !url.username().is_empty() || url.password().is_some() => {
            let dec = |s: &str| {
                percent_decode(s).map_err(|_| bad("the credentials are not UTF-8 after decoding"))
            };
            Some((dec(url.username())?, dec(url.password().unwrap_or(""))?))
        }
        None => None,
    };
    if let Some((user, pass)) = &credentials {
        if matches!(kind, ProxyKind::Socks5 | ProxyKind::Socks5h)
            && (user.len() > 255 || pass.len() > 255)
        {
            return Err(bad(
                "SOCKS5 user names and passwords are at most 255 bytes (RFC 1929)",
            ));
        }
        if user.contains(':') && matches!(kind, ProxyKind::Http | ProxyKind::Https) {
            return Err(bad("a Basic user name cannot contain ':' (RFC 7617)"));
        }
    }
    let scheme = url.scheme();
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    Ok(Proxy {
        kind,
        url: format!("{scheme}://{bracketed}:{port}"),
        host,
        port,
        credentials,
        source,
    })
}

/// Whether a no_proxy list names `host`: '*' matches everything; a name
/// matches itself and its subdomains (a leading '.' or '*.' is ignored);
/// an address matches itself; ADDR/BITS matches a network.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip = host.parse::<IpAddr>().ok();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let e = entry.to_ascii_lowercase();
            let e = e.trim_start_matches("*.").trim_start_matches('.');
            let e = e.trim_end_matches('.');
            if let Some((net, bits)) = e.split_once('/') {
                let net = net.trim_start_matches('[').trim_end_matches(']');
                return match (net.parse::<IpAddr>(), bits.parse::<u8>(), host_ip) {
                    (Ok(net), Ok(bits), Some(ip)) => in_network(ip, net, bits),
                    _ => false,
                };
            }
            let bare = e.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                return host_ip == Some(ip);
            }
            host == e || host.ends_with(&format!(".{e}"))
        })
}

/// Whether `ip` is in `net`/`bits` (false across families or for too many
/// bits).
fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testutil::{proxy_env, with_env};

    fn chosen(args: &[&str], env: &Env) -> Option<(String, String)> {
        let c = with_env(args, env).expect("valid");
        c.net
            .proxy_for(&c.target)
            .expect("valid proxy")
            .map(|p| (p.url, p.source.to_string()))
    }

    fn var(name: &str) -> ProxySource {
        ProxySource::Env(name.to_string())
    }

    #[test]
    fn the_source_is_named_as_typed_and_only_a_variable_is_one() {
        assert_eq!(ProxySource::Flag.to_string(), "-x");
        assert_eq!(ProxySource::Flag.env_var(), None);
        assert_eq!(var("all_proxy").words(), "all_proxy");
        assert_eq!(var("all_proxy").env_var(), Some("all_proxy"));
        let p = parse_proxy("http://p:1", var("HTTP_PROXY"), None).expect("ok");
        assert_eq!(p.source, var("HTTP_PROXY"));
    }

    #[test]
    fn proxy_urls_parse_with_defaults_and_credentials() {
        let p = parse_proxy("proxy.corp", ProxySource::Flag, None).expect("ok");
        assert_eq!(
            (p.kind, p.url.as_str(), p.credentials),
            (ProxyKind::Http, "http://proxy.corp:1080", None)
        );
        let p = parse_proxy("https://u:p%40ss@[::1]", var("https_proxy"), None).expect("ok");
        assert_eq!(p.kind, ProxyKind::Https);
        assert_eq!(p.url, "https://[::1]:443");
        assert_eq!(p.host, "::1");
        assert_eq!(p.credentials, Some(("u".into(), "p@ss".into())));
        let p = parse_proxy("socks5h://a:b@h:9", ProxySource::Flag, Some("c:d")).expect("ok");
        assert_eq!(p.kind, ProxyKind::Socks5h);
        assert_eq!(p.credentials, Some(("c".into(), "d".into())));
        assert_eq!(
            parse_proxy("socks5://h", ProxySource::Flag, Some("solo"))
                .expect("ok")
                .credentials,
            Some(("solo".into(), String::new()))
        );
    }

    #[test]
    fn bad_proxy_urls_are_usage_errors_without_the_password() {
        for bad in [
            "socks4://h",
            "ftp://h",
            "http://",
            "http://h:0",
            "http://a b",
        ] {
            let e = parse_proxy(bad, ProxySource::Flag, None).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
        let e = parse_proxy("socks4://user:hunter2@h", var("all_proxy"), None).expect_err("socks4");
        let msg = e.to_string();
        assert!(msg.contains("all_proxy") && msg.contains("socks5"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let long = "x".repeat(256);
        assert!(parse_proxy(&format!("socks5://{long}:p@h"), ProxySource::Flag, None).is_err());
    }

    #[test]
    fn proxy_variables_follow_the_scheme_lowercase_first() {
        let env = proxy_env(&[
            ("http_proxy", "http://plain:1"),
            ("HTTP_PROXY", "http://upper:1"),
            ("https_proxy", "http://secure:1"),
            ("all_proxy", "socks5h://all:1"),
        ]);
        assert_eq!(
            chosen(&["ws://h/"], &env),
            Some(("http://plain:1".into(), "http_proxy".into()))
        );
        assert_eq!(
            chosen(&["wss://h/"], &env),
            Some(("http://secure:1".into(), "https_proxy".into()))
        );
        let env = proxy_env(&[("WSS_PROXY", "http://w:1"), ("all_proxy", "http://a:1")]);
        assert_eq!(
            chosen(&["wss://h/"], &env).map(|p| p.1),
            Some("WSS_PROXY".into())
        );
        assert_eq!(
            chosen(&["ws://h/"], &env).map(|p| p.1),
            Some("all_proxy".into())
        );
        // -x wins; -x '' goes direct; a unix socket never uses a proxy.
        assert_eq!(
            chosen(&["-x", "socks5://s:2", "ws://h/"], &env).map(|p| p.1),
            Some("-x".into())
        );
        assert_eq!(chosen(&["-x", "", "ws://h/"], &env), None);
        assert_eq!(chosen(&["--unix-socket", "/s", "ws://h/"], &env), None);
    }

    #[test]
    fn no_proxy_and_noproxy_bypass_matching_hosts() {
        let env = proxy_env(&[
            ("http_proxy", "http://p:1"),
            ("NO_PROXY", "internal.example, 10.0.0.0/8,[::1]"),
        ]);
        assert_eq!(chosen(&["ws://api.internal.example/"], &env), None);
        assert_eq!(chosen(&["ws://10.2.3.4/"], &env), None);
        assert_eq!(chosen(&["ws://[::1]:9/"], &env), None);
        assert!(chosen(&["ws://notinternal.example/"], &env).is_some());
        assert!(chosen(&["ws://11.0.0.1/"], &env).is_some());
        // --noproxy replaces the variable, and applies to -x too.
        assert!(chosen(&["--noproxy", "other", "ws://10.2.3.4/"], &env).is_some());
        assert_eq!(
            chosen(&["--noproxy", "*", "-x", "p:1", "ws://h/"], &env),
            None
        );
        assert!(no_proxy_matches(".example.com", "a.b.example.com"));
        assert!(no_proxy_matches("*.example.com", "example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(no_proxy_matches("fd00::/8", "fd12::1"));
        assert!(!no_proxy_matches("", "h"));
    }

    #[test]
    fn bad_proxy_variable_is_a_usage_error_naming_it() {
        let env = proxy_env(&[("https_proxy", "gopher://x")]);
        let e = with_env(&["wss://h/"], &env).expect_err("bad");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("https_proxy"), "{e}");
        // Not used for ws://, so not checked.
        assert!(with_env(&["ws://h/"], &env).is_ok());
    }
}
