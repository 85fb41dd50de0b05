//! What a session does once connected, as the flags and the terminals say:
//! what to send ([`InputSpec`], [`Framing`]), when to stop ([`Ending`]),
//! keepalive pings ([`Keepalive`]), how output looks ([`OutputSpec`],
//! colour included) and whether to run the REPL ([`ReplSpec`]).
//!
//! It builds these specs and checks their values; it must not read the
//! process environment (it gets an [`Env`]) or touch the network, and it
//! leaves running the session to `crate::session` and `crate::input`.

use super::env::{Env, history_path};
use crate::cli::{Cli, ColorChoice};
use crate::error::{Error, Result};
use crate::protocol::frame::MAX_CLOSE_REASON;
use std::path::PathBuf;
use std::time::Duration;

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
    /// --exec: received messages go to the program, not to stdout.
    pub exec: bool,
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

/// The default --wait: long enough for replies in flight on any network a
/// person would use interactively, short enough not to stall a script.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// Seconds as the flags give them.
pub(super) fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v)
}

/// What to send: the -d messages (files read now, so that a missing one is
/// a usage error before connecting), then stdin unless -n or --echo.
pub(super) fn input_spec(cli: &Cli) -> Result<InputSpec> {
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
    Ok(InputSpec {
        data,
        read_stdin: !cli.no_input && !cli.echo && cli.exec.is_none(),
        framing,
        binary,
    })
}

/// When to stop, and the Close to send: a reason must fit a Close frame,
/// and --count 0 would never let anything arrive.
pub(super) fn ending(cli: &Cli) -> Result<Ending> {
    let close_reason = cli.close_reason.clone().unwrap_or_default();
    if close_reason.len() > MAX_CLOSE_REASON {
        return Err(Error::Usage(format!(
            "--close-reason is {} bytes; a Close frame holds at most {MAX_CLOSE_REASON} (RFC 6455 section 5.5)",
            close_reason.len()
        )));
    }
    if cli.count == Some(0) {
        return Err(Error::Usage(
            "--count 0 would exit before anything arrives: use -n -w 0 to connect and close".into(),
        ));
    }
    Ok(Ending {
        count: cli.count,
        wait: match (cli.wait, cli.count) {
            (Some(w), _) => Some(secs(w)),
            (None, Some(_)) => None,
            // The program's exit ends the input; no one reads replies then.
            (None, None) if cli.exec.is_some() => Some(Duration::ZERO),
            (None, None) => Some(DEFAULT_WAIT),
        },
        max_time: cli.max_time.map(secs),
        close_code: cli.close_code,
        close_reason,
        close_timeout: secs(cli.close_timeout),
    })
}

/// The REPL's keepalive when --ping-interval is not given: a ping every
/// 20 s, failing when its pong takes 20 s more (the Python `websockets`
/// client's defaults), so that a dead peer or a path that dropped the
/// connection does not look open for long, and an idle timeout in between
/// is not reached. Pipe mode sends no pings unless asked: what it measures
/// is the path as it is.
pub const REPL_KEEPALIVE: Keepalive = Keepalive {
    interval: Duration::from_secs(20),
    timeout: Duration::from_secs(20),
};

/// Keepalive pings, when --ping-interval asks for them (the timeout
/// defaults to the interval), or [`REPL_KEEPALIVE`] in the REPL.
pub(super) fn keepalive(cli: &Cli, repl: bool) -> Result<Option<Keepalive>> {
    match cli.ping_interval {
        None if repl => Ok(Some(REPL_KEEPALIVE)),
        None => Ok(None),
        Some(i) if i < 0.001 => Err(Error::Usage(format!(
            "--ping-interval {i}: pinging without pause would flood the server; \
             use at least 0.001 seconds"
        ))),
        Some(i) => {
            let timeout = cli.ping_timeout.unwrap_or(i);
            if timeout < 0.001 {
                return Err(Error::Usage(format!(
                    "--ping-timeout {timeout}: no pong can arrive that fast; use at least 0.001 seconds"
                )));
            }
            Ok(Some(Keepalive {
                interval: secs(i),
                timeout: secs(timeout),
            }))
        }
    }
}

/// How output looks. The REPL draws on the terminal that stdout (or
/// /dev/tty) is; otherwise colour is about stderr.
pub(super) fn output_spec(cli: &Cli, env: &Env, repl: Option<&ReplSpec>) -> OutputSpec {
    let color_tty = match repl {
        Some(r) => env.stdout_tty || r.use_dev_tty,
        None => env.stderr_tty,
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => env.clicolor_force || (color_tty && !env.no_color && !env.term_dumb),
    };
    OutputSpec {
        verbose: if cli.quiet { 0 } else { cli.verbose },
        quiet: cli.quiet,
        color,
        stdout_tty: env.stdout_tty,
        stderr_tty: env.stderr_tty,
        binary_raw: cli.binary,
        json: cli.json,
        timestamps: cli.timestamps,
        deterministic: cli.deterministic,
        show_secrets: cli.show_secrets,
        pretty: cli.pretty,
        exec: cli.exec.is_some(),
    }
}

/// Choose between the REPL and pipe mode: the REPL when stdin and stdout are
/// terminals and stdin is read as lines, or with -i; never with --no-repl.
/// Terminal input is the only input rustyline ever sees.
pub(super) fn repl_spec(
    cli: &Cli,
    env: &Env,
    framing: Framing,
    warnings: &mut Vec<String>,
) -> Result<Option<ReplSpec>> {
    let wanted = if cli.no_repl
        || cli.no_input
        || cli.echo
        || cli.exec.is_some()
        || cli.check
        || framing != Framing::Lines
    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::testutil::{config, terminal, with_env};
    use clap::Parser;

    #[test]
    fn unreadable_data_file_is_an_error() {
        let e = config(&["-d", "@/nonexistent/file", "h:1"]).expect_err("missing");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("/nonexistent/file"));
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
    fn the_repl_pings_every_20_s_unless_told_otherwise() {
        let c = with_env(&["h:1"], &terminal()).expect("ok");
        assert!(c.repl.is_some());
        assert_eq!(c.keepalive, Some(REPL_KEEPALIVE));
        let c = with_env(&["--ping-interval", "5", "h:1"], &terminal()).expect("ok");
        assert_eq!(c.keepalive.expect("keepalive").interval, secs(5.0));
        let c = with_env(&["--no-repl", "h:1"], &terminal()).expect("ok");
        assert!(
            c.keepalive.is_none(),
            "pipe mode sends no pings unless asked"
        );
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
