//! Turns the parsed command line plus the environment into one [`Config`].
//!
//! This is the only module that looks at the process environment (TTYs,
//! NO_COLOR, CLICOLOR_FORCE, TERM, XDG_STATE_HOME, HOME, the readline
//! editing mode in INPUTRC or ~/.inputrc), and it does so through [`Env`], a plain
//! struct that tests build by hand. It validates what clap cannot (URLs,
//! header syntax, files named by flags) and lints meaningless combinations
//! with warnings that name the fix. It opens no sockets.

use crate::cli::{Cli, ColorChoice};
use crate::error::{Error, Result};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

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
            xdg_state_home: var("XDG_STATE_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            vi_mode: var("INPUTRC")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".inputrc")))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .is_some_and(|text| inputrc_wants_vi(&text)),
        }
    }
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

/// TLS options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// -k: do not verify.
    pub insecure: bool,
    /// --cacert: extra trust anchors.
    pub cacert: Option<PathBuf>,
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
    /// After input ends, close once the connection has been quiet this long.
    pub wait: Duration,
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
    /// --pretty: indent JSON text messages.
    pub pretty: bool,
    /// --timestamps: start lines with the time of day.
    pub timestamps: bool,
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
    /// Budget for resolution, TCP and TLS together.
    pub connect_timeout: Duration,
    /// Budget for reading the upgrade response.
    pub handshake_timeout: Duration,
    /// What to send.
    pub input: InputSpec,
    /// When to stop.
    pub ending: Ending,
    /// Largest message or frame accepted.
    pub max_message_size: usize,
    /// Output style.
    pub output: OutputSpec,
    /// Keepalive pings, when asked for.
    pub keepalive: Option<Keepalive>,
    /// Interactive mode; None for pipe mode.
    pub repl: Option<ReplSpec>,
    /// Fixed keys and masks (testing).
    pub deterministic: bool,
    /// Lints to show before connecting.
    pub warnings: Vec<String>,
}

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
        if cli.no_input && (cli.whole || cli.null) {
            warnings.push("-0 and --whole do nothing with -n (stdin is not read)".into());
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

        Ok(Config {
            target,
            request,
            tls: TlsOptions {
                insecure: cli.insecure,
                cacert: cli.cacert.clone(),
            },
            connect_timeout: secs(cli.connect_timeout),
            handshake_timeout: secs(cli.handshake_timeout),
            input: InputSpec {
                data,
                read_stdin: !cli.no_input,
                framing,
                binary,
            },
            ending: Ending {
                count: cli.count,
                wait: secs(cli.wait),
                max_time: cli.max_time.map(secs),
                close_code: cli.close_code,
                close_reason,
                close_timeout: secs(cli.close_timeout),
            },
            max_message_size: cli.max_message_size,
            output: OutputSpec {
                verbose: if cli.quiet { 0 } else { cli.verbose },
                quiet: cli.quiet,
                color,
                stdout_tty: env.stdout_tty,
                stderr_tty: env.stderr_tty,
                binary_raw: binary,
                pretty: cli.pretty,
                timestamps: cli.timestamps,
            },
            keepalive,
            repl,
            deterministic: cli.deterministic,
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
    let wanted = if cli.no_repl || cli.no_input || framing != Framing::Lines {
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

    fn config_env(args: &[&str], env: &Env) -> Result<Config> {
        let cli = Cli::try_parse_from(std::iter::once("wsprobe").chain(args.iter().copied()))
            .expect("parses");
        Config::new(&cli, env)
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

    #[test]
    fn repl_only_with_terminals_and_line_input() {
        let t = terminal();
        assert!(config_env(&["h:1"], &t).expect("ok").repl.is_some());
        for args in [
            &["--no-repl", "h:1"][..],
            &["-n", "h:1"],
            &["-0", "h:1"],
            &["--whole", "h:1"],
        ] {
            assert!(config_env(args, &t).expect("ok").repl.is_none(), "{args:?}");
        }
        let piped_out = Env {
            stdout_tty: false,
            ..terminal()
        };
        assert!(config_env(&["h:1"], &piped_out).expect("ok").repl.is_none());
        let forced = config_env(&["-i", "h:1"], &piped_out).expect("ok");
        assert!(forced.repl.expect("repl").use_dev_tty);
        let piped_in = Env {
            stdin_tty: false,
            ..terminal()
        };
        assert!(config_env(&["h:1"], &piped_in).expect("ok").repl.is_none());
        let e = config_env(&["-i", "h:1"], &piped_in).expect_err("no terminal");
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
        let c = config_env(&["--no-history", "h:1"], &env).expect("ok");
        assert_eq!(c.repl.expect("repl").history, None);
        env.home = None;
        env.xdg_state_home = None;
        let c = config_env(&["h:1"], &env).expect("ok");
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
        assert!(
            config_env(&["h:1"], &env)
                .expect("ok")
                .repl
                .expect("repl")
                .vi
        );
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
