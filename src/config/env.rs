//! The process environment, read once into a plain [`Env`] that tests build
//! by hand: terminals, the colour variables, the proxy variables,
//! SSL_CERT_FILE, SSLKEYLOGFILE, XDG_STATE_HOME, HOME and the readline
//! editing mode in INPUTRC or ~/.inputrc, plus the lookups derived from
//! them (the first proxy variable set, the REPL history path).
//!
//! [`Env::from_process`] is the only code in wsprobe that reads the process
//! environment; everything else gets an [`Env`]. This file decides nothing
//! about flags or proxies and must not look at the command line.

use std::io::IsTerminal;
use std::path::PathBuf;

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
    pub(super) fn proxy_var(&self, names: &[&str]) -> Option<(&str, &str)> {
        first_var(&self.proxy_vars, names)
    }
}

/// The first of `names` present in `vars` (name, value).
pub(super) fn first_var<'a>(
    vars: &'a [(String, String)],
    names: &[&str],
) -> Option<(&'a str, &'a str)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testutil::{terminal, with_env};

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
}
