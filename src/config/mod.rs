//! Turns the parsed command line plus the environment into one [`Config`].
//!
//! This is the only module that looks at the process environment (TTYs,
//! NO_COLOR, CLICOLOR_FORCE, TERM, the proxy variables, SSL_CERT_FILE,
//! SSLKEYLOGFILE, XDG_STATE_HOME, HOME, the readline editing mode in INPUTRC
//! or ~/.inputrc), and it does so through [`Env`], a plain struct that tests
//! build by hand. Which proxy a URL goes through (flags, `*_proxy`,
//! `no_proxy`) is decided here too, by [`NetOptions::proxy_for`]. It
//! validates what clap cannot (URLs, header syntax, files named by flags)
//! and lints meaningless combinations with warnings that name the fix. It
//! opens no sockets.
//!
//! This file owns [`Config`] and the order in which [`Config::new`] builds
//! and checks its parts (that order decides which error a user sees first
//! and the order of the warnings); the parts live in its children, one
//! concern each: `check` (--check and --idle), `env` (the environment), `target` (the URL), `headers` (the
//! upgrade request), `net` (TLS, addresses, unix sockets), `proxy` (which
//! proxy, and proxy URLs) and `session` (input, ending, keepalive, output,
//! REPL). It must not grow rules of its own beyond the lints that span
//! several parts; every item is re-exported here so that paths stay
//! `crate::config::X`.

mod check;
mod env;
mod headers;
mod listen;
mod net;
mod proxy;
mod script;
mod session;
mod target;
#[cfg(test)]
mod testutil;

pub use check::CheckSpec;
pub use env::{Env, PROXY_VARS, history_path, inputrc_wants_vi};
pub use headers::RequestSpec;
pub use listen::{ListenSpec, Mode, parse_listen};
pub use net::{ConnectTo, Family, NetOptions, ResolveEntry, Sni, TlsOptions, UnixSocket};
pub use proxy::{Proxy, ProxyKind, ProxySource, no_proxy_matches, parse_proxy};
pub use script::ScriptSpec;
pub use session::{DEFAULT_WAIT, Ending, Framing, InputSpec, Keepalive, OutputSpec, ReplSpec};
pub use target::{Target, parse_target};

use crate::cli::Cli;
use crate::error::{Error, Result};
use session::secs;
use std::path::PathBuf;
use std::time::Duration;

/// Everything a run needs, resolved and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Client or listen mode (-l).
    pub mode: Mode,
    /// Where to connect; in listen mode, the address listened on as a
    /// ws:// URL (port 0 until bound), which nothing connects to.
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
    /// --expect and --write-out.
    pub script: ScriptSpec,
    /// --check: a server check instead of a session.
    pub check: Option<CheckSpec>,
    /// Lints to show before connecting.
    pub warnings: Vec<String>,
}

impl Config {
    /// Resolve a parsed command line against the environment.
    ///
    /// The steps run in the order the checks always have, so that the
    /// first problem reported, and the order of the warnings, stay put.
    pub fn new(cli: &Cli, env: &Env) -> Result<Config> {
        let mut warnings = Vec::new();
        let listen = listen::listen_spec(cli, &mut warnings)?;
        let (target, request) = match &listen {
            Some(l) => {
                let url = format!("ws://{}/", l.addr);
                let target = Target {
                    secure: false,
                    host: l.addr.ip().to_string(),
                    port: l.addr.port(),
                    path: "/".into(),
                    host_header: l.addr.to_string(),
                    url,
                };
                (target, RequestSpec::default())
            }
            None => {
                let raw_url = cli
                    .url
                    .as_deref()
                    .ok_or_else(|| Error::Usage("no URL given (or -l PORT to listen)".into()))?;
                let (target, userinfo) = parse_target(raw_url, &mut warnings)?;
                let request = headers::request_spec(cli, userinfo, &mut warnings)?;
                (target, request)
            }
        };
        let input = session::input_spec(cli)?;
        check_sizes(cli)?;
        let ending = session::ending(cli)?;
        // The REPL runs in either mode; it pings by default only as the
        // client (a server's clients are pinged when --ping-interval asks).
        let repl = session::repl_spec(cli, env, input.framing, &mut warnings)?;
        let keepalive = session::keepalive(cli, repl.is_some() && listen.is_none())?;
        let script = script::script_spec(cli)?;
        let check = check::check_spec(cli, &mut warnings)?;
        let output = session::output_spec(cli, env, repl.as_ref());
        let tls = net::tls_options(cli, env)?;
        let net = net::net_options(cli, env)?;
        let proxy = net.proxy_for(&target)?;
        lint(cli, &target, proxy.as_ref(), repl.is_some(), &mut warnings);
        Ok(Config {
            mode: listen.map_or(Mode::Client, Mode::Listen),
            target,
            request,
            tls,
            net,
            connect_timeout: secs(cli.connect_timeout),
            handshake_timeout: secs(cli.handshake_timeout),
            input,
            ending,
            max_message_size: cli.max_message_size,
            max_frame_size: cli.max_frame_size.unwrap_or(cli.max_message_size),
            compress: !cli.no_compress,
            echo: cli.echo,
            output,
            keepalive,
            repl,
            deterministic: cli.deterministic,
            har: cli.har.clone(),
            script,
            check,
            warnings,
        })
    }
}

/// The flags of `flags` (name, given?) that were given, in order: what the
/// lints name.
fn given<'f>(flags: &[(&'f str, bool)]) -> Vec<&'f str> {
    flags
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect()
}

/// A size limit of 0 would refuse every message.
fn check_sizes(cli: &Cli) -> Result<()> {
    if cli.max_message_size == 0 || cli.max_frame_size == Some(0) {
        return Err(Error::Usage(
            "--max-message-size and --max-frame-size must be at least 1 byte".into(),
        ));
    }
    Ok(())
}

/// Warnings for flags that do nothing in this combination, each naming
/// why. (Warnings about a choice a builder makes, such as which of two
/// Origin headers is sent, stay with that builder.)
fn lint(cli: &Cli, target: &Target, proxy: Option<&Proxy>, repl: bool, warnings: &mut Vec<String>) {
    if (cli.no_input || cli.echo) && (cli.whole || cli.null) {
        let why = if cli.echo { "--echo" } else { "-n" };
        warnings.push(format!(
            "-0 and --whole do nothing with {why} (stdin is not read)"
        ));
    }
    let server_only = [
        ("--cert", cli.cert.is_some()),
        ("--tls-min", cli.tls_min.is_some()),
        ("--tls-max", cli.tls_max.is_some()),
        ("--sni", cli.sni.is_some()),
        ("--no-sni", cli.no_sni),
    ];
    let given = given(&server_only);
    if !target.secure && !cli.location && !given.is_empty() {
        warnings.push(format!(
            "{} only apply to wss:// URLs; this one is ws://",
            given.join(", ")
        ));
    }
    for (flag, given) in [
        ("--write-out", cli.write_out.is_some()),
        ("--retry", cli.retry.is_some()),
    ] {
        if given && repl {
            warnings.push(format!(
                "{flag} does nothing in the REPL: pipe input, or add --no-repl"
            ));
        }
    }
    if cli.proxy_user.is_some() && proxy.is_none() {
        warnings.push("--proxy-user does nothing: no proxy is used for this URL".into());
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::config;

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
}
