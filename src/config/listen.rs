//! Listen mode's part of the configuration ([`Mode`], [`ListenSpec`]):
//! `-l [ADDR:]PORT` parsed into an address (loopback unless an address is
//! given), the response headers from -H, --accept-subprotocol, and the
//! flags that mean nothing for a server refused with a usage error that
//! names them. It opens no socket: `crate::server` binds.

use super::headers::{is_tchar, parse_header};
use crate::cli::Cli;
use crate::error::{Error, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// What a run is: a client of one URL, or a server (`-l`). The future
/// server-check mode is one more variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Connect to the URL (the default).
    Client,
    /// Listen for clients (`-l`).
    Listen(ListenSpec),
}

/// How listen mode serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The most clients connected (or in their handshake) at once.
    pub max_clients: usize,
    /// Serve one client, then exit with its session's status.
    pub once: bool,
    /// Subprotocols we accept, in no particular order: the client's order
    /// decides (`--accept-subprotocol`).
    pub accept_subprotocols: Vec<String>,
    /// Extra response headers (-H), in order and case as typed.
    pub response_headers: Vec<(String, String)>,
    /// --tls-cert and --tls-key: serve wss:// (the files are read and
    /// checked by `net::tls::server_config` before listening).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// --static DIR, as given (`server` checks it before listening).
    pub static_dir: Option<PathBuf>,
}

/// Headers our 101 owns; -H may not set them in listen mode.
const OWNED: [&str; 6] = [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Content-Length",
];

/// `PORT`, `ADDR:PORT` or `[V6]:PORT`; a bare port listens on 127.0.0.1.
pub fn parse_listen(s: &str) -> Result<SocketAddr> {
    let bad = || {
        Error::Usage(format!(
            "-l '{s}': expected PORT, ADDR:PORT or [IPv6]:PORT (e.g. -l 8080, -l 0.0.0.0:8080, -l [::]:8080)"
        ))
    };
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().map_err(|_| bad())
}

/// Flags of client mode that do nothing for a server.
fn client_only(cli: &Cli) -> Vec<&'static str> {
    let given = [
        ("--origin", cli.origin.is_some()),
        ("-s", !cli.subprotocols.is_empty()),
        ("-u", cli.user.is_some()),
        ("-A", cli.user_agent.is_some()),
        ("-k", cli.insecure),
        ("--cacert", cli.cacert.is_some()),
        ("--cert", cli.cert.is_some()),
        ("--tls-min", cli.tls_min.is_some()),
        ("--tls-max", cli.tls_max.is_some()),
        ("--sni", cli.sni.is_some()),
        ("--no-sni", cli.no_sni),
        ("-x", cli.proxy.is_some()),
        ("--proxy-user", cli.proxy_user.is_some()),
        ("--noproxy", cli.noproxy.is_some()),
        ("--unix-socket", cli.unix_socket.is_some()),
        ("--abstract-unix-socket", cli.abstract_unix_socket.is_some()),
        ("-4", cli.ipv4),
        ("-6", cli.ipv6),
        ("--resolve", !cli.resolve.is_empty()),
        ("--connect-to", !cli.connect_to.is_empty()),
        ("-L", cli.location),
        ("--har", cli.har.is_some()),
        ("--retry", cli.retry.is_some()),
        ("--expect", !cli.expect.is_empty()),
        ("--expect-json", !cli.expect_json.is_empty()),
        ("--write-out", cli.write_out.is_some()),
        ("--check", cli.check),
    ];
    super::given(&given)
}

/// The listen spec when -l is given; None in client mode.
pub(super) fn listen_spec(cli: &Cli, warnings: &mut Vec<String>) -> Result<Option<ListenSpec>> {
    let Some(raw) = &cli.server.listen else {
        if cli.server.once
            || !cli.server.accept_subprotocols.is_empty()
            || cli.server.tls_cert.is_some()
            || cli.server.static_dir.is_some()
        {
            return Err(Error::Usage(
                "--once, --accept-subprotocol, --tls-cert and --static are for listen mode: \
                 add -l PORT"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let addr = parse_listen(raw)?;
    let unused = client_only(cli);
    if !unused.is_empty() {
        return Err(Error::Usage(format!(
            "{} only apply when connecting to a URL, not with -l",
            unused.join(", ")
        )));
    }
    if cli.server.max_clients == 0 {
        return Err(Error::Usage(
            "--max-clients 0 would refuse every client; use at least 1".into(),
        ));
    }
    for p in &cli.server.accept_subprotocols {
        if p.is_empty() || !p.bytes().all(is_tchar) {
            return Err(Error::Usage(format!(
                "--accept-subprotocol '{p}': a subprotocol name is a token (letters, digits, and !#$%&'*+-.^_`|~)"
            )));
        }
    }
    let mut response_headers = Vec::new();
    for h in &cli.headers {
        let (name, value) = parse_header(h)?;
        if OWNED.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            return Err(Error::Usage(format!(
                "-H '{name}': the 101 response sets {name} itself (--accept-subprotocol chooses a subprotocol)"
            )));
        }
        response_headers.push((name, value));
    }
    if !cli.server.once {
        let ignored = super::given(&[("-c", cli.count.is_some()), ("-w", cli.wait.is_some())]);
        if !ignored.is_empty() {
            warnings.push(format!(
                "{} end one client's session: they do nothing with -l unless --once is given",
                ignored.join(" and ")
            ));
        }
    }
    Ok(Some(ListenSpec {
        addr,
        max_clients: if cli.server.once {
            1
        } else {
            cli.server.max_clients
        },
        once: cli.server.once,
        accept_subprotocols: cli.server.accept_subprotocols.clone(),
        response_headers,
        tls: cli.server.tls_cert.clone().zip(cli.server.tls_key.clone()),
        static_dir: cli.server.static_dir.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testutil::config;

    #[test]
    fn a_bare_port_is_loopback_and_addresses_are_kept() {
        assert_eq!(parse_listen("0").expect("ok").to_string(), "127.0.0.1:0");
        assert_eq!(
            parse_listen("0.0.0.0:8080").expect("ok").to_string(),
            "0.0.0.0:8080"
        );
        assert_eq!(parse_listen("[::]:81").expect("ok").to_string(), "[::]:81");
        for bad in ["", "x", "65536", "localhost:80", "::1:80", "1.2.3.4"] {
            assert_eq!(parse_listen(bad).expect_err(bad).exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn listen_mode_is_configured_and_client_flags_are_refused() {
        let c = config(&["-l", "0", "-H", "X-A: 1", "--accept-subprotocol", "chat"]).expect("ok");
        let Mode::Listen(l) = &c.mode else {
            panic!("not listen mode: {:?}", c.mode);
        };
        assert_eq!(l.response_headers, [("X-A".to_string(), "1".to_string())]);
        assert_eq!((l.max_clients, l.once), (32, false));
        assert!(c.repl.is_none());
        let once = config(&["-l", "0", "--once"]).expect("ok");
        assert!(matches!(&once.mode, Mode::Listen(l) if l.once && l.max_clients == 1));
        let e = config(&["-l", "0", "-x", "http://p", "-k"]).expect_err("client flags");
        assert!(e.to_string().contains("-k, -x"), "{e}");
        let e = config(&["-l", "0", "-H", "Upgrade: h2c"]).expect_err("owned");
        assert_eq!(e.exit_code(), 2);
        assert!(config(&["-l", "0", "--max-clients", "0"]).is_err());
        let w = config(&["-l", "0", "-c", "1"]).expect("ok");
        assert!(w.warnings[0].contains("--once"), "{:?}", w.warnings);
        assert_eq!(config(&["h:1"]).expect("ok").mode, Mode::Client);
        for args in [
            &["--once", "h:1"][..],
            &["--accept-subprotocol", "a", "h:1"],
        ] {
            assert_eq!(
                config(args).expect_err("needs -l").exit_code(),
                2,
                "{args:?}"
            );
        }
    }
}
