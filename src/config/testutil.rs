//! Test helpers shared by the unit tests of the `config` files: build a
//! [`Config`] from arguments and a hand-made [`Env`]. Test-only (declared
//! `#[cfg(test)]`); nothing outside tests may use it, and it holds no
//! assertions of its own.

use super::{Config, Env};
use crate::cli::Cli;
use crate::error::Result;

/// `wsprobe ARGS` with an empty environment.
pub fn config(args: &[&str]) -> Result<Config> {
    let cli =
        Cli::parse_args(std::iter::once("wsprobe").chain(args.iter().copied())).expect("parses");
    Config::new(&cli, &Env::default())
}

/// `wsprobe ARGS` with `env`.
pub fn with_env(args: &[&str], env: &Env) -> Result<Config> {
    let cli =
        Cli::parse_args(std::iter::once("wsprobe").chain(args.iter().copied())).expect("parses");
    Config::new(&cli, env)
}

/// An environment with only these proxy variables set.
pub fn proxy_env(vars: &[(&str, &str)]) -> Env {
    Env {
        proxy_vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Env::default()
    }
}

/// An environment on a terminal, with a HOME.
pub fn terminal() -> Env {
    Env {
        stdin_tty: true,
        stdout_tty: true,
        stderr_tty: true,
        home: Some("/home/u".into()),
        ..Env::default()
    }
}
