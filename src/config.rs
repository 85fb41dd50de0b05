//! Turns the parsed command line plus the environment into one [`Config`].
//!
//! This is the only module that looks at the process environment (TTYs,
//! NO_COLOR, CLICOLOR_FORCE, TERM, the proxy variables, SSL_CERT_FILE,
//! SSLKEYLOGFILE, XDG_STATE_HOME, HOME, the readline editing mode in INPUTRC
//! or ~/.inputrc), and it does so through [`Env`], a plain struct that tests
//! build by hand. Which proxy a URL goes through (flags, `*_proxy`,
//! `no_proxy`) is decided here too, by [`NetOptions::proxy_for`]. It validates what clap cannot (URLs,
//! header syntax, files named by flags) and lints meaningless combinations
//! with warnings that name the fix. It opens no sockets.

use crate::cli::{Cli, ColorChoice, TlsVersion};
use crate::error::{Error, Result};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The proxy variables wsprobe reads, lowercase first (as curl does).
pub const PROXY_VARS: [&str; 12] = [
    "ws_proxy",
    "WS_PROXY",
    "wss_proxy",
    "WSS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// What the process environment says, gathered once.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Standard input is a terminal.
    pub stdin_tty: bool,
    /// Standard output is a terminal.
    pub stdout_tty: bool,
    /// Standard error is a terminal.
    pub stderr_tty: bool,
    /// NO_COLOR is set to a non-empty value.
    pub no_color: bool,
    /// CLICOLOR_FORCE is set to a value other than 0.
    pub clicolor_force: bool,
    /// TERM is "dumb".
    pub term_dumb: bool,
    /// The proxy variables that are set to a non-empty value (name, value),
    /// in the order of [`PROXY_VARS`].
    pub proxy_vars: Vec<(String, String)>,
    /// SSL_CERT_FILE: trust anchors added to the built-in roots when
    /// --cacert is not given.
    pub ssl_cert_file: Option<PathBuf>,
    /// SSLKEYLOGFILE: where to write TLS secrets.
    pub ssl_key_log_file: Option<PathBuf>,
    /// XDG_STATE_HOME, when set and not empty.
    pub xdg_state_home: Option<PathBuf>,
    /// HOME, when set and not empty.
    pub home: Option<PathBuf>,
    /// The readline init file (INPUTRC, or ~/.inputrc) says
    /// `set editing-mode vi`.
    pub vi_mode: bool,
}

impl Env {
    /// Read the real process environment.
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Env {
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some(),
            clicolor_force: var("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
            term_dumb: var("TERM").is_some_and(|v| v == "dumb"),
            proxy_vars: PROXY_VARS
                .iter()
                .filter_map(|k| {
                    let v = var(k)?;
                    Some((k.to_string(), v.to_string_lossy().into_owned()))
                })
                .collect(),
            ssl_cert_file: var("SSL_CERT_FILE").map(PathBuf::from),
            ssl_key_log_file: var("SSLKEYLOGFILE").map(PathBuf::from),
            xdg_state_home: var("XDG_STATE_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            vi_mode: var("INPUTRC")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".inputrc")))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .is_some_and(|text| inputrc_wants_vi(&text)),
        }
    }

    /// The first of `names` that is set.
    fn proxy_var(&self, names: &[&str]) -> Option<(&str, &str)> {
        first_var(&self.proxy_vars, names)
    }
}

/// The first of `names` present in `vars` (name, value).
fn first_var<'a>(vars: &'a [(String, String)], names: &[&str]) -> Option<(&'a str, &'a str)> {
    names.iter().find_map(|n| {
        vars.iter()
            .find(|(k, _)| k == n)
            .map(|(k, v)| (k.as_str(), v.as_str()))
    })
}

/// True when a readline init file sets `editing-mode vi` (the last setting
/// wins, as in readline).
pub fn inputrc_wants_vi(text: &str) -> bool {
    let mut vi = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["set", "editing-mode", mode] = words.as_slice() {
            vi = mode.eq_ignore_ascii_case("vi");
        }
    }
    vi
}

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

/// The upgrade request beyond what the handshake itself owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestSpec {
    /// Extra headers, in order and case as typed.
    pub headers: Vec<(String, String)>,
    /// Subprotocols offered, in order of preference.
    pub subprotocols: Vec<String>,
}

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
    /// What set it: "-x" or the variable's name.
    pub setting: String,
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
    /// -x as given ("" means no proxy at all).
    proxy_flag: Option<String>,
    /// --proxy-user.
    proxy_user: Option<String>,
    /// The proxy variables that are set.
    proxy_env: Vec<(String, String)>,
    /// --noproxy, else no_proxy: (where it came from, the list).
    no_proxy: Option<(String, String)>,
}

impl NetOptions {
    /// The proxy to use for `target`, if any: -x, else the variables for
    /// its scheme (ws_proxy then http_proxy for ws://, wss_proxy then
    /// https_proxy for wss://, then all_proxy; lowercase first), unless
    /// --noproxy (or no_proxy) names the host.
    pub fn proxy_for(&self, target: &Target) -> Result<Option<Proxy>> {
        if self.unix_socket.is_some() {
            return Ok(None);
        }
        let (setting, value) = match &self.proxy_flag {
            Some(v) if v.trim().is_empty() => return Ok(None),
            Some(v) => ("-x".to_string(), v.clone()),
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
                match first_var(&self.proxy_env, names) {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => return Ok(None),
                }
            }
        };
        if let Some((_, list)) = &self.no_proxy
            && no_proxy_matches(list, &target.host)
        {
            return Ok(None);
        }
        parse_proxy(&value, &setting, self.proxy_user.as_deref()).map(Some)
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

/// How standard input is cut into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One message per line; `\n` or `\r\n` is not sent.
    Lines,
    /// One message per NUL-terminated record.
    Null,
    /// All of standard input is one message.
    Whole,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// Messages from -d, sent first.
    pub data: Vec<Vec<u8>>,
    /// Read standard input after them.
    pub read_stdin: bool,
    /// How stdin is cut into messages.
    pub framing: Framing,
    /// Send binary messages instead of text.
    pub binary: bool,
}

/// When and how the session ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// Close after this many messages have been received.
    pub count: Option<u64>,
    /// After input ends, close once the connection has been quiet this long
    /// (None: do not close for quiet; wait for --count).
    pub wait: Option<Duration>,
    /// Close after this long in all.
    pub max_time: Option<Duration>,
    /// Our Close code.
    pub close_code: u16,
    /// Our Close reason.
    pub close_reason: String,
    /// How long to wait for the server's Close.
    pub close_timeout: Duration,
}

/// How output looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputSpec {
    /// 0 normal, 1 -v, 2 -vv, 3 -vvv.
    pub verbose: u8,
    /// -q.
    pub quiet: bool,
    /// Colour on stderr.
    pub color: bool,
    /// stdout is a terminal (flush per message, escape server bytes).
    pub stdout_tty: bool,
    /// stderr is a terminal (escape server bytes).
    pub stderr_tty: bool,
    /// -b: write received binary raw.
    pub binary_raw: bool,
    /// --json: events as NDJSON on stdout.
    pub json: bool,
    /// --timestamps: prefix trace lines with the time since start.
    pub timestamps: bool,
    /// Testing: fixed masking keys and times in the output.
    pub deterministic: bool,
    /// --show-secrets: do not redact credentials in traces and events.
    pub show_secrets: bool,
    /// --pretty: indent JSON text messages.
    pub pretty: bool,
}

/// --ping-interval and --ping-timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// How often to ping.
    pub interval: Duration,
    /// How long a ping may wait for its pong.
    pub timeout: Duration,
}

/// The interactive REPL (chosen when stdin and stdout are terminals, or -i).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplSpec {
    /// The history file (None with --no-history, or with no HOME).
    pub history: Option<PathBuf>,
    /// vi keys instead of Emacs ones (from the readline init file).
    pub vi: bool,
    /// Draw on /dev/tty rather than stdout (-i with stdout not a terminal).
    pub use_dev_tty: bool,
}

/// Everything a run needs, resolved and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to connect.
    pub target: Target,
    /// What to send in the upgrade request.
    pub request: RequestSpec,
    /// TLS options.
    pub tls: TlsOptions,
    /// Addresses, proxies, unix sockets, redirects.
    pub net: NetOptions,
    /// Budget for resolution, TCP, the proxy and TLS together.
    pub connect_timeout: Duration,
    /// Budget for reading the upgrade response.
    pub handshake_timeout: Duration,
    /// What to send.
    pub input: InputSpec,
    /// When to stop.
    pub ending: Ending,
    /// Largest message accepted (after inflating).
    pub max_message_size: usize,
    /// Largest frame accepted (as on the wire).
    pub max_frame_size: usize,
    /// Offer permessage-deflate.
    pub compress: bool,
    /// --echo: send every received message back.
    pub echo: bool,
    /// Output style.
    pub output: OutputSpec,
    /// Keepalive pings, when asked for.
    pub keepalive: Option<Keepalive>,
    /// Interactive mode; None for pipe mode.
    pub repl: Option<ReplSpec>,
    /// Fixed keys and masks (testing).
    pub deterministic: bool,
    /// --har: where to write the HAR file.
    pub har: Option<PathBuf>,
    /// Lints to show before connecting.
    pub warnings: Vec<String>,
}

/// The default --wait: long enough for replies in flight on any network a
/// person would use interactively, short enough not to stall a script.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// Headers the handshake owns; -H may not set them.
const RESERVED_HEADERS: [&str; 5] = [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions",
];

impl Config {
    /// Resolve a parsed command line against the environment.
    pub fn new(cli: &Cli, env: &Env) -> Result<Config> {
        let mut warnings = Vec::new();
        let raw_url = cli
            .url
            .as_deref()
            .ok_or_else(|| Error::Usage("no URL given".into()))?;
        let (target, userinfo) = parse_target(raw_url, &mut warnings)?;

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
        let has =
            |req: &RequestSpec, n: &str| req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if let Some(origin) = &cli.origin {
            if has(&request, "Origin") {
                warnings
                    .push("both --origin and -H 'Origin: ...' given; sending the -H one".into());
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
            if has(&request, "Authorization") {
                warnings.push(
                    "both credentials (-u or the URL) and -H 'Authorization: ...' given; sending the -H one"
                        .into(),
                );
            } else {
                use base64::Engine as _;
                let cred = if cred.contains(':') {
                    cred
                } else {
                    format!("{cred}:")
                };
                let token = base64::engine::general_purpose::STANDARD.encode(cred.as_bytes());
                request
                    .headers
                    .push(("Authorization".into(), format!("Basic {token}")));
            }
        }
        if !has(&request, "User-Agent") {
            let ua = cli
                .user_agent
                .clone()
                .unwrap_or_else(|| format!("wsprobe/{}", env!("CARGO_PKG_VERSION")));
            if !ua.is_empty() {
                check_header_value("-A", &ua)?;
                request.headers.push(("User-Agent".into(), ua));
            }
        }

        let binary = cli.binary;
        let mut data = Vec::with_capacity(cli.data.len());
        for d in &cli.data {
            let bytes = match d.strip_prefix('@') {
                Some(path) => std::fs::read(path).map_err(|source| Error::ReadFile {
                    what: "--data",
                    path: path.into(),
                    source,
                })?,
                None => d.clone().into_bytes(),
            };
            if !binary && std::str::from_utf8(&bytes).is_err() {
                return Err(Error::Usage(format!(
                    "--data {d}: not valid UTF-8, so it cannot be a text message; add -b to send binary"
                )));
            }
            data.push(bytes);
        }
        let framing = if cli.whole {
            Framing::Whole
        } else if cli.null {
            Framing::Null
        } else {
            Framing::Lines
        };
        if (cli.no_input || cli.echo) && (cli.whole || cli.null) {
            let why = if cli.echo { "--echo" } else { "-n" };
            warnings.push(format!(
                "-0 and --whole do nothing with {why} (stdin is not read)"
            ));
        }
        if cli.max_message_size == 0 || cli.max_frame_size == Some(0) {
            return Err(Error::Usage(
                "--max-message-size and --max-frame-size must be at least 1 byte".into(),
            ));
        }

        let close_reason = cli.close_reason.clone().unwrap_or_default();
        if close_reason.len() > 123 {
            return Err(Error::Usage(format!(
                "--close-reason is {} bytes; a Close frame holds at most 123 (RFC 6455 section 5.5)",
                close_reason.len()
            )));
        }
        if cli.count == Some(0) {
            return Err(Error::Usage(
                "--count 0 would exit before anything arrives: use -n -w 0 to connect and close"
                    .into(),
            ));
        }

        let repl = repl_spec(cli, env, framing, &mut warnings)?;
        let keepalive = match cli.ping_interval {
            None => None,
            Some(i) if i < 0.001 => {
                return Err(Error::Usage(format!(
                    "--ping-interval {i}: pinging without pause would flood the server; \
                     use at least 0.001 seconds"
                )));
            }
            Some(i) => {
                let timeout = cli.ping_timeout.unwrap_or(i);
                if timeout < 0.001 {
                    return Err(Error::Usage(format!(
                        "--ping-timeout {timeout}: no pong can arrive that fast; use at least 0.001 seconds"
                    )));
                }
                Some(Keepalive {
                    interval: secs(i),
                    timeout: secs(timeout),
                })
            }
        };

        // The REPL draws on the terminal that stdout (or /dev/tty) is;
        // otherwise colour is about stderr.
        let color_tty = match &repl {
            Some(r) => env.stdout_tty || r.use_dev_tty,
            None => env.stderr_tty,
        };
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                env.clicolor_force || (color_tty && !env.no_color && !env.term_dumb)
            }
        };

        let tls = tls_options(cli, env, &target, &mut warnings)?;
        let net = net_options(cli, env)?;
        let proxy = net.proxy_for(&target)?;
        if cli.proxy_user.is_some() && proxy.is_none() {
            warnings.push("--proxy-user does nothing: no proxy is used for this URL".into());
        }

        Ok(Config {
            target,
            request,
            tls,
            net,
            connect_timeout: secs(cli.connect_timeout),
            handshake_timeout: secs(cli.handshake_timeout),
            input: InputSpec {
                data,
                read_stdin: !cli.no_input && !cli.echo,
                framing,
                binary,
            },
            ending: Ending {
                count: cli.count,
                wait: match (cli.wait, cli.count) {
                    (Some(w), _) => Some(secs(w)),
                    (None, Some(_)) => None,
                    (None, None) => Some(DEFAULT_WAIT),
                },
                max_time: cli.max_time.map(secs),
                close_code: cli.close_code,
                close_reason,
                close_timeout: secs(cli.close_timeout),
            },
            max_message_size: cli.max_message_size,
            max_frame_size: cli.max_frame_size.unwrap_or(cli.max_message_size),
            compress: !cli.no_compress,
            echo: cli.echo,
            output: OutputSpec {
                verbose: if cli.quiet { 0 } else { cli.verbose },
                quiet: cli.quiet,
                color,
                stdout_tty: env.stdout_tty,
                stderr_tty: env.stderr_tty,
                binary_raw: binary,
                json: cli.json,
                timestamps: cli.timestamps,
                deterministic: cli.deterministic,
                show_secrets: cli.show_secrets,
                pretty: cli.pretty,
            },
            keepalive,
            repl,
            deterministic: cli.deterministic,
            har: cli.har.clone(),
            warnings,
        })
    }
}

/// Choose between the REPL and pipe mode: the REPL when stdin and stdout are
/// terminals and stdin is read as lines, or with -i; never with --no-repl.
/// Terminal input is the only input rustyline ever sees.
fn repl_spec(
    cli: &Cli,
    env: &Env,
    framing: Framing,
    warnings: &mut Vec<String>,
) -> Result<Option<ReplSpec>> {
    let wanted = if cli.no_repl || cli.no_input || cli.echo || framing != Framing::Lines {
        false
    } else if cli.json || cli.har.is_some() {
        // Machine-readable output goes with pipe mode: stdout carries the
        // events, and lines typed on a terminal are sent as they are.
        if cli.interactive {
            return Err(Error::Usage(
                "-i cannot be combined with --json or --har: they record a pipe-mode session"
                    .into(),
            ));
        }
        false
    } else if cli.interactive {
        if !env.stdin_tty {
            return Err(Error::Usage(
                "-i: standard input is not a terminal, and the REPL reads keys from one; \
                 without -i, wsprobe sends the lines of standard input"
                    .into(),
            ));
        }
        true
    } else {
        env.stdin_tty && env.stdout_tty
    };
    if !wanted {
        return Ok(None);
    }
    let history = if cli.no_history {
        None
    } else {
        let path = history_path(env);
        if path.is_none() {
            warnings.push(
                "no REPL history: neither XDG_STATE_HOME nor HOME is set (--no-history silences this)"
                    .into(),
            );
        }
        path
    };
    Ok(Some(ReplSpec {
        history,
        vi: env.vi_mode,
        use_dev_tty: !env.stdout_tty,
    }))
}

/// $XDG_STATE_HOME/wsprobe/history, or ~/.local/state/wsprobe/history. A
/// relative XDG_STATE_HOME is ignored, as the XDG base directory
/// specification says.
pub fn history_path(env: &Env) -> Option<PathBuf> {
    let base = env
        .xdg_state_home
        .clone()
        .filter(|p| p.is_absolute())
        .or_else(|| env.home.as_ref().map(|h| h.join(".local").join("state")))?;
    Some(base.join("wsprobe").join("history"))
}

fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v)
}

fn tls_options(
    cli: &Cli,
    env: &Env,
    target: &Target,
    warnings: &mut Vec<String>,
) -> Result<TlsOptions> {
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
    let server_only = [
        ("--cert", cli.cert.is_some()),
        ("--tls-min", cli.tls_min.is_some()),
        ("--tls-max", cli.tls_max.is_some()),
        ("--sni", cli.sni.is_some()),
        ("--no-sni", cli.no_sni),
    ];
    let given: Vec<&str> = server_only
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
    if !target.secure && !cli.location && !given.is_empty() {
        warnings.push(format!(
            "{} only apply to wss:// URLs; this one is ws://",
            given.join(", ")
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

fn net_options(cli: &Cli, env: &Env) -> Result<NetOptions> {
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
    let no_proxy = match &cli.noproxy {
        Some(list) => Some(("--noproxy".to_string(), list.clone())),
        None => env
            .proxy_var(&["no_proxy", "NO_PROXY"])
            .map(|(k, v)| (k.to_string(), v.to_string())),
    };
    Ok(NetOptions {
        family,
        resolve,
        connect_to,
        unix_socket,
        follow_redirects: cli.location,
        max_redirs: cli.max_redirs,
        proxy_flag: cli.proxy.clone(),
        proxy_user: cli.proxy_user.clone(),
        proxy_env: env
            .proxy_vars
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("no_proxy"))
            .cloned()
            .collect(),
        no_proxy,
    })
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

/// Parse a proxy URL from -x or a variable (`setting` names which).
pub fn parse_proxy(raw: &str, setting: &str, proxy_user: Option<&str>) -> Result<Proxy> {
    let shown = redact_userinfo(raw.trim());
    let bad = |why: &str| Error::Usage(format!("{setting} '{shown}': {why}"));
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
        setting: setting.to_string(),
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

fn percent_decode(s: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
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

/// RFC 9110 section 5.6.2: token characters.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Parse `Name: value` from -H.
fn parse_header(h: &str) -> Result<(String, String)> {
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
    use super::*;
    use clap::Parser;

    fn target(url: &str) -> Result<Target> {
        parse_target(url, &mut Vec::new()).map(|(t, _)| t)
    }

    fn config(args: &[&str]) -> Result<Config> {
        let cli = Cli::try_parse_from(std::iter::once("wsprobe").chain(args.iter().copied()))
            .expect("parses");
        Config::new(&cli, &Env::default())
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

    #[test]
    fn unreadable_data_file_is_an_error() {
        let e = config(&["-d", "@/nonexistent/file", "h:1"]).expect_err("missing");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("/nonexistent/file"));
    }

    fn with_env(args: &[&str], env: &Env) -> Result<Config> {
        let cli = Cli::try_parse_from(std::iter::once("wsprobe").chain(args.iter().copied()))
            .expect("parses");
        Config::new(&cli, env)
    }

    fn proxy_env(vars: &[(&str, &str)]) -> Env {
        Env {
            proxy_vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Env::default()
        }
    }

    fn terminal() -> Env {
        Env {
            stdin_tty: true,
            stdout_tty: true,
            stderr_tty: true,
            home: Some("/home/u".into()),
            ..Env::default()
        }
    }

    fn chosen(args: &[&str], env: &Env) -> Option<(String, String)> {
        let c = with_env(args, env).expect("valid");
        c.net
            .proxy_for(&c.target)
            .expect("valid proxy")
            .map(|p| (p.url, p.setting))
    }

    #[test]
    fn proxy_urls_parse_with_defaults_and_credentials() {
        let p = parse_proxy("proxy.corp", "-x", None).expect("ok");
        assert_eq!(
            (p.kind, p.url.as_str(), p.credentials),
            (ProxyKind::Http, "http://proxy.corp:1080", None)
        );
        let p = parse_proxy("https://u:p%40ss@[::1]", "https_proxy", None).expect("ok");
        assert_eq!(p.kind, ProxyKind::Https);
        assert_eq!(p.url, "https://[::1]:443");
        assert_eq!(p.host, "::1");
        assert_eq!(p.credentials, Some(("u".into(), "p@ss".into())));
        let p = parse_proxy("socks5h://a:b@h:9", "-x", Some("c:d")).expect("ok");
        assert_eq!(p.kind, ProxyKind::Socks5h);
        assert_eq!(p.credentials, Some(("c".into(), "d".into())));
        assert_eq!(
            parse_proxy("socks5://h", "-x", Some("solo"))
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
            let e = parse_proxy(bad, "-x", None).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
        let e = parse_proxy("socks4://user:hunter2@h", "all_proxy", None).expect_err("socks4");
        let msg = e.to_string();
        assert!(msg.contains("all_proxy") && msg.contains("socks5"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let long = "x".repeat(256);
        assert!(parse_proxy(&format!("socks5://{long}:p@h"), "-x", None).is_err());
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

    #[test]
    fn repl_only_with_terminals_and_line_input() {
        let t = terminal();
        assert!(with_env(&["h:1"], &t).expect("ok").repl.is_some());
        for args in [
            &["--no-repl", "h:1"][..],
            &["--echo", "h:1"][..],
            &["-n", "h:1"],
            &["-0", "h:1"],
            &["--whole", "h:1"],
        ] {
            assert!(with_env(args, &t).expect("ok").repl.is_none(), "{args:?}");
        }
        let piped_out = Env {
            stdout_tty: false,
            ..terminal()
        };
        assert!(with_env(&["h:1"], &piped_out).expect("ok").repl.is_none());
        let forced = with_env(&["-i", "h:1"], &piped_out).expect("ok");
        assert!(forced.repl.expect("repl").use_dev_tty);
        let piped_in = Env {
            stdin_tty: false,
            ..terminal()
        };
        assert!(with_env(&["h:1"], &piped_in).expect("ok").repl.is_none());
        let e = with_env(&["-i", "h:1"], &piped_in).expect_err("no terminal");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn json_and_har_keep_pipe_mode() {
        let t = terminal();
        assert!(with_env(&["--json", "h:1"], &t).expect("ok").repl.is_none());
        assert!(
            with_env(&["--har", "f.har", "h:1"], &t)
                .expect("ok")
                .repl
                .is_none()
        );
        let e = with_env(&["-i", "--json", "h:1"], &t).expect_err("conflict");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn history_follows_xdg_state_home_then_home() {
        let mut env = terminal();
        assert_eq!(
            history_path(&env),
            Some(PathBuf::from("/home/u/.local/state/wsprobe/history"))
        );
        env.xdg_state_home = Some("/state".into());
        assert_eq!(
            history_path(&env),
            Some(PathBuf::from("/state/wsprobe/history"))
        );
        env.xdg_state_home = Some("relative".into());
        assert_eq!(
            history_path(&env),
            Some(PathBuf::from("/home/u/.local/state/wsprobe/history"))
        );
        let c = with_env(&["--no-history", "h:1"], &env).expect("ok");
        assert_eq!(c.repl.expect("repl").history, None);
        env.home = None;
        env.xdg_state_home = None;
        let c = with_env(&["h:1"], &env).expect("ok");
        assert_eq!(c.repl.expect("repl").history, None);
        assert!(c.warnings.iter().any(|w| w.contains("no REPL history")));
    }

    #[test]
    fn vi_mode_comes_from_inputrc() {
        assert!(inputrc_wants_vi("# mine\nset editing-mode vi\n"));
        assert!(!inputrc_wants_vi(
            "set editing-mode vi\nset editing-mode emacs\n"
        ));
        assert!(!inputrc_wants_vi("set bell-style none\n"));
        let env = Env {
            vi_mode: true,
            ..terminal()
        };
        assert!(with_env(&["h:1"], &env).expect("ok").repl.expect("repl").vi);
    }

    #[test]
    fn keepalive_defaults_its_timeout_to_the_interval() {
        let c = config(&["--ping-interval", "2", "h:1"]).expect("ok");
        let k = c.keepalive.expect("keepalive");
        assert_eq!((k.interval, k.timeout), (secs(2.0), secs(2.0)));
        let c = config(&["--ping-interval", "2", "--ping-timeout", "0.5", "h:1"]).expect("ok");
        assert_eq!(c.keepalive.expect("keepalive").timeout, secs(0.5));
        assert_eq!(
            config(&["--ping-interval", "0", "h:1"])
                .expect_err("0")
                .exit_code(),
            2
        );
        assert!(config(&["h:1"]).expect("ok").keepalive.is_none());
    }

    #[test]
    fn echo_compression_and_frame_limit() {
        let c = config(&["h:1"]).expect("ok");
        assert!(c.compress && !c.echo && c.input.read_stdin);
        assert_eq!(c.max_frame_size, c.max_message_size);
        let c = config(&["--echo", "--no-compress", "--max-frame-size", "100", "h:1"]).expect("ok");
        assert!(!c.compress && c.echo && !c.input.read_stdin);
        assert_eq!(c.max_frame_size, 100);
        let e = config(&["--max-message-size", "0", "h:1"]).expect_err("zero");
        assert_eq!(e.exit_code(), 2);
        let c = config(&["--echo", "--whole", "h:1"]).expect("ok");
        assert!(c.warnings[0].contains("--echo"), "{:?}", c.warnings);
    }

    #[test]
    fn color_follows_environment() {
        let cli = Cli::try_parse_from(["wsprobe", "h:1"]).expect("parses");
        let mut env = Env {
            stderr_tty: true,
            ..Env::default()
        };
        assert!(Config::new(&cli, &env).expect("ok").output.color);
        env.no_color = true;
        assert!(!Config::new(&cli, &env).expect("ok").output.color);
        env.clicolor_force = true;
        assert!(Config::new(&cli, &env).expect("ok").output.color);
    }
}
