//! How to reach the server, as the flags and the environment say: TLS
//! options ([`TlsOptions`], [`Sni`]), address families, --resolve and
//! --connect-to overrides, unix sockets, redirects and the proxy rules, all
//! gathered in [`NetOptions`], and the parsers for curl's --resolve and
//! --connect-to syntax.
//!
//! It holds and validates options only: it opens no sockets and resolves
//! no names (that is `crate::net`), and the proxy choice itself is
//! `proxy`'s.

use super::env::Env;
use super::proxy::{Proxy, ProxyRules};
use super::target::Target;
use crate::cli::{Cli, TlsVersion};
use crate::error::{Error, Result};
use std::net::IpAddr;
use std::path::PathBuf;

/// Which TLS server name (SNI) to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sni {
    /// The URL's host (none for an address, as RFC 6066 says).
    #[default]
    FromUrl,
    /// --sni NAME: also the name the certificate is checked against.
    Name(String),
    /// --no-sni.
    Off,
}

/// TLS options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// -k: do not verify.
    pub insecure: bool,
    /// --cacert (or SSL_CERT_FILE): trust anchors added to the built-in roots.
    pub cacert: Option<PathBuf>,
    /// What named `cacert`: "--cacert" or "SSL_CERT_FILE".
    pub cacert_from: &'static str,
    /// --cert: client certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// --key: the client certificate's private key (PEM); None means it is
    /// in the --cert file.
    pub key: Option<PathBuf>,
    /// --tls-min.
    pub min: Option<TlsVersion>,
    /// --tls-max.
    pub max: Option<TlsVersion>,
    /// The server name to send.
    pub sni: Sni,
    /// SSLKEYLOGFILE.
    pub key_log: Option<PathBuf>,
}

impl TlsOptions {
    /// The name the TLS session with the server asks for and checks.
    pub fn server_name<'a>(&'a self, target: &'a Target) -> &'a str {
        match &self.sni {
            Sni::Name(n) => n,
            _ => &target.host,
        }
    }
}

/// Which address families to connect with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Family {
    /// Both.
    #[default]
    Any,
    /// -4.
    V4,
    /// -6.
    V6,
}

impl Family {
    /// Whether an address of this family may be used.
    pub fn allows(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }

    /// The flag, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            Family::Any => "",
            Family::V4 => "-4",
            Family::V6 => "-6",
        }
    }
}

/// One --resolve HOST:PORT:ADDR[,ADDR...].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveEntry {
    /// The host, lowercase (None for '*').
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// The addresses, in the order given.
    pub addrs: Vec<IpAddr>,
}

/// One --connect-to HOST:PORT:HOST2:PORT2 (None: any, or unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// Matches this host only (lowercase).
    pub host: Option<String>,
    /// Matches this port only.
    pub port: Option<u16>,
    /// Connect to this host instead.
    pub to_host: Option<String>,
    /// Connect to this port instead.
    pub to_port: Option<u16>,
}

/// A unix domain socket to connect to instead of the URL's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixSocket {
    /// --unix-socket PATH.
    Path(PathBuf),
    /// --abstract-unix-socket NAME (Linux).
    Abstract(String),
}

impl std::fmt::Display for UnixSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnixSocket::Path(p) => write!(f, "{}", p.display()),
            UnixSocket::Abstract(n) => write!(f, "@{n} (abstract)"),
        }
    }
}

/// How to reach the server: addresses, proxies, unix sockets, redirects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetOptions {
    /// -4 / -6.
    pub family: Family,
    /// --resolve entries, in order.
    pub resolve: Vec<ResolveEntry>,
    /// --connect-to entries, in order (the first match wins).
    pub connect_to: Vec<ConnectTo>,
    /// --unix-socket or --abstract-unix-socket.
    pub unix_socket: Option<UnixSocket>,
    /// -L.
    pub follow_redirects: bool,
    /// --max-redirs.
    pub max_redirs: u32,
    /// -x, --proxy-user, --noproxy and the proxy variables.
    proxy: ProxyRules,
}

impl NetOptions {
    /// The proxy to use for `target`, if any: none with a unix socket,
    /// else as the proxy rules choose (-x, else the variables for its
    /// scheme, unless --noproxy or no_proxy names the host).
    pub fn proxy_for(&self, target: &Target) -> Result<Option<Proxy>> {
        if self.unix_socket.is_some() {
            return Ok(None);
        }
        self.proxy.choose(target)
    }

    /// The --resolve addresses for HOST:PORT, if an entry names them.
    pub fn resolve_override(&self, host: &str, port: u16) -> Option<&[IpAddr]> {
        self.resolve
            .iter()
            .find(|e| {
                e.port == port
                    && e.host
                        .as_deref()
                        .is_none_or(|h| h.eq_ignore_ascii_case(host))
            })
            .map(|e| e.addrs.as_slice())
    }

    /// Where to connect for HOST:PORT after --connect-to.
    pub fn connect_to(&self, host: &str, port: u16) -> Option<(String, u16)> {
        self.connect_to
            .iter()
            .find(|c| {
                c.host
                    .as_deref()
                    .is_none_or(|h| h.eq_ignore_ascii_case(host))
                    && c.port.is_none_or(|p| p == port)
            })
            .map(|c| {
                (
                    c.to_host.clone().unwrap_or_else(|| host.to_string()),
                    c.to_port.unwrap_or(port),
                )
            })
    }
}

/// The TLS options from the flags, SSL_CERT_FILE and SSLKEYLOGFILE.
pub(super) fn tls_options(cli: &Cli, env: &Env) -> Result<TlsOptions> {
    let sni = match (&cli.sni, cli.no_sni) {
        (Some(name), _) => {
            let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
            if rustls::pki_types::ServerName::try_from(name.as_str()).is_err() {
                return Err(Error::Usage(format!(
                    "--sni '{name}' is not a host name (letters, digits, '-' and dots)"
                )));
            }
            Sni::Name(name)
        }
        (None, true) => Sni::Off,
        (None, false) => Sni::FromUrl,
    };
    if let (Some(min), Some(max)) = (cli.tls_min, cli.tls_max)
        && min > max
    {
        return Err(Error::Usage(
            "--tls-min is above --tls-max: no TLS version is left to offer".into(),
        ));
    }
    let (cacert, cacert_from) = match (&cli.cacert, &env.ssl_cert_file) {
        (Some(p), _) => (Some(p.clone()), "--cacert"),
        (None, Some(p)) => (Some(p.clone()), "SSL_CERT_FILE"),
        (None, None) => (None, ""),
    };
    Ok(TlsOptions {
        insecure: cli.insecure,
        cacert,
        cacert_from,
        cert: cli.cert.clone(),
        key: cli.key.clone(),
        min: cli.tls_min,
        max: cli.tls_max,
        sni,
        key_log: env.ssl_key_log_file.clone(),
    })
}

/// The network options from the flags and the proxy variables.
pub(super) fn net_options(cli: &Cli, env: &Env) -> Result<NetOptions> {
    let family = match (cli.ipv4, cli.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    let resolve = cli
        .resolve
        .iter()
        .map(|r| parse_resolve(r))
        .collect::<Result<Vec<_>>>()?;
    let connect_to = cli
        .connect_to
        .iter()
        .map(|c| parse_connect_to(c))
        .collect::<Result<Vec<_>>>()?;
    let unix_socket = match (&cli.unix_socket, &cli.abstract_unix_socket) {
        (Some(p), _) => Some(UnixSocket::Path(p.clone())),
        (None, Some(name)) if cfg!(target_os = "linux") => Some(UnixSocket::Abstract(name.clone())),
        (None, Some(_)) => {
            return Err(Error::Usage(
                "--abstract-unix-socket: abstract sockets exist on Linux only".into(),
            ));
        }
        (None, None) => None,
    };
    Ok(NetOptions {
        family,
        resolve,
        connect_to,
        unix_socket,
        follow_redirects: cli.location,
        max_redirs: cli.max_redirs,
        proxy: ProxyRules::new(cli, env),
    })
}

/// Split "HOST:REST" where HOST may be "[v6]" or empty. Returns the host
/// without brackets and the rest.
fn split_host(s: &str) -> Option<(&str, &str)> {
    if let Some(inner) = s.strip_prefix('[') {
        let (host, rest) = inner.split_once(']')?;
        Some((host, rest.strip_prefix(':')?))
    } else {
        s.split_once(':')
    }
}

/// A port 1-65535 in a flag's value (`what` names the flag for messages).
fn parse_port(what: &str, p: &str) -> Result<u16> {
    match p.trim().parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::Usage(format!(
            "{what}: '{p}' is not a port (1-65535)"
        ))),
    }
}

/// --resolve HOST:PORT:ADDR[,ADDR...] (curl's syntax; a leading '+' is
/// accepted and ignored).
fn parse_resolve(raw: &str) -> Result<ResolveEntry> {
    let what = format!("--resolve '{raw}'");
    let usage = || {
        Error::Usage(format!(
            "{what}: the form is HOST:PORT:ADDR[,ADDR...], e.g. example.com:443:127.0.0.1"
        ))
    };
    if raw.starts_with('-') {
        return Err(Error::Usage(format!(
            "{what}: removing entries ('-HOST:PORT') has no meaning here; leave the flag out"
        )));
    }
    let s = raw.strip_prefix('+').unwrap_or(raw);
    let (host, rest) = split_host(s).ok_or_else(usage)?;
    let (port, addrs) = rest.split_once(':').ok_or_else(usage)?;
    if host.is_empty() {
        return Err(usage());
    }
    let port = parse_port(&what, port)?;
    let mut list = Vec::new();
    for a in addrs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let bare = a.trim_start_matches('[').trim_end_matches(']');
        let ip = bare
            .parse::<IpAddr>()
            .map_err(|_| Error::Usage(format!("{what}: '{a}' is not an IP address")))?;
        list.push(ip);
    }
    if list.is_empty() {
        return Err(usage());
    }
    Ok(ResolveEntry {
        host: (host != "*").then(|| host.to_ascii_lowercase()),
        port,
        addrs: list,
    })
}

/// --connect-to HOST:PORT:HOST2:PORT2 (curl's syntax; empty fields match
/// anything, or keep the original).
fn parse_connect_to(raw: &str) -> Result<ConnectTo> {
    let what = format!("--connect-to '{raw}'");
    let usage = || {
        Error::Usage(format!(
            "{what}: the form is HOST:PORT:HOST2:PORT2 (fields may be empty), \
             e.g. example.com:443:127.0.0.1:8443"
        ))
    };
    let (h1, rest) = split_host(raw).ok_or_else(usage)?;
    let (p1, rest) = rest.split_once(':').ok_or_else(usage)?;
    let (h2, p2) = split_host(rest).ok_or_else(usage)?;
    let opt_port = |p: &str| {
        if p.trim().is_empty() {
            Ok(None)
        } else {
            parse_port(&what, p).map(Some)
        }
    };
    let opt_host = |h: &str| (!h.is_empty()).then(|| h.to_ascii_lowercase());
    Ok(ConnectTo {
        host: opt_host(h1),
        port: opt_port(p1)?,
        to_host: opt_host(h2),
        to_port: opt_port(p2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testutil::{config, with_env};

    #[test]
    fn resolve_and_connect_to_follow_curl_syntax() {
        let c = config(&[
            "--resolve",
            "Example.com:443:127.0.0.1,[::1]",
            "--resolve",
            "*:80:10.0.0.1",
            "--connect-to",
            "a:1:[::1]:2",
            "--connect-to",
            "::b:",
            "ws://h/",
        ])
        .expect("valid");
        let ips = |s: &[&str]| {
            s.iter()
                .map(|a| a.parse().expect("ip"))
                .collect::<Vec<IpAddr>>()
        };
        assert_eq!(
            c.net.resolve_override("example.COM", 443),
            Some(ips(&["127.0.0.1", "::1"]).as_slice())
        );
        assert_eq!(
            c.net.resolve_override("any", 80),
            Some(ips(&["10.0.0.1"]).as_slice())
        );
        assert_eq!(
            c.net.resolve_override("example.com", 80),
            Some(ips(&["10.0.0.1"]).as_slice())
        );
        assert_eq!(c.net.resolve_override("example.com", 8443), None);
        assert_eq!(c.net.connect_to("A", 1), Some(("::1".into(), 2)));
        assert_eq!(c.net.connect_to("z", 7), Some(("b".into(), 7)));
        for bad in [
            "--resolve=h:443",
            "--resolve=h:x:1.2.3.4",
            "--resolve=h:1:not-an-ip",
            "--resolve=-h:1",
            "--connect-to=a:1:b",
            "--connect-to=a:99999::",
        ] {
            let e = config(&[bad, "h:1"]).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn tls_options_resolve_sni_versions_and_ssl_cert_file() {
        let env = Env {
            ssl_cert_file: Some("/etc/corp.pem".into()),
            ssl_key_log_file: Some("/tmp/keys".into()),
            ..Env::default()
        };
        let c = with_env(&["wss://h/"], &env).expect("valid");
        assert_eq!(
            c.tls.cacert.as_deref(),
            Some(std::path::Path::new("/etc/corp.pem"))
        );
        assert_eq!(c.tls.cacert_from, "SSL_CERT_FILE");
        assert_eq!(
            c.tls.key_log.as_deref(),
            Some(std::path::Path::new("/tmp/keys"))
        );
        let c = with_env(&["--cacert", "mine.pem", "wss://h/"], &env).expect("valid");
        assert_eq!(c.tls.cacert_from, "--cacert");
        let c = config(&["--sni", "Virtual.Example", "wss://10.0.0.1/"]).expect("valid");
        assert_eq!(c.tls.server_name(&c.target), "virtual.example");
        let c = config(&["--no-sni", "wss://h/"]).expect("valid");
        assert_eq!((&c.tls.sni, c.tls.server_name(&c.target)), (&Sni::Off, "h"));
        assert!(config(&["--sni", "bad name", "wss://h/"]).is_err());
        let e = config(&["--tls-min", "1.3", "--tls-max", "1.2", "wss://h/"]).expect_err("empty");
        assert_eq!(e.exit_code(), 2);
        let c = config(&["--tls-max", "1.2", "ws://h/"]).expect("valid");
        assert!(c.warnings[0].contains("--tls-max"), "{:?}", c.warnings);
        let c = config(&["--proxy-user", "a:b", "ws://h/"]).expect("valid");
        assert!(c.warnings[0].contains("--proxy-user"), "{:?}", c.warnings);
    }
}
