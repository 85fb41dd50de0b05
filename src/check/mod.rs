//! `--check`: a conformance and health report of a WebSocket server in
//! seconds. A battery of probes, each family on connections of its own and
//! on a thread of its own, each bounded by a deadline; the result is data
//! (a [`Report`] of [`ProbeResult`]s) that `output::check` renders.
//!
//! The first connection is made alone (`handshake::baseline`): when the
//! server cannot be reached or refuses the upgrade, that is the usual typed
//! error with its usual exit status, not a report. Then the families run
//! in parallel: `handshake` (the 101 and deliberately broken requests),
//! `control` (ping, close), `enforcement` (deliberately invalid frames,
//! which the server must fail the connection for), `echo` (only when the
//! server echoes, which it is asked first), `deflate` (RFC 7692) and
//! `path` (TLS, and the opt-in idle probe). Nothing here prints.

mod conn;
mod control;
mod deflate;
mod echo;
mod enforcement;
mod handshake;
mod path;

use crate::config::Config;
use crate::error::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long each probe family may take, from the moment it starts: a
/// server that answers nothing costs this, and no more.
pub const PROBE_BUDGET: Duration = Duration::from_millis(2500);

/// How a probe judged the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// As RFC 6455 (or 7692) requires.
    Pass,
    /// Allowed, but not what a careful server does (a SHOULD not met), or
    /// something to look at (a certificate about to expire).
    Warn,
    /// Against a MUST of the RFC.
    Fail,
    /// A measurement, or a probe that did not apply (and why).
    Info,
}

impl Verdict {
    /// "pass", "warn", "fail", "info".
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Info => "info",
        }
    }
}

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The probe's stable name ("ping", "unmasked-frame").
    pub name: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was measured or seen, in words (peer bytes included as they
    /// came: the printer escapes them for a terminal).
    pub facts: Vec<String>,
    /// The section the verdict rests on ("RFC 6455 5.5.2").
    pub rfc: Option<&'static str>,
}

impl ProbeResult {
    /// A result with its facts.
    pub fn new(
        name: &'static str,
        verdict: Verdict,
        rfc: Option<&'static str>,
        facts: Vec<String>,
    ) -> ProbeResult {
        ProbeResult {
            name,
            verdict,
            facts,
            rfc,
        }
    }

    /// A probe that could not run, and why (an Info).
    pub fn skipped(name: &'static str, why: impl Into<String>) -> ProbeResult {
        ProbeResult::new(name, Verdict::Info, None, vec![why.into()])
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The URL checked.
    pub url: String,
    /// Every probe, in a fixed order.
    pub results: Vec<ProbeResult>,
    /// Whether the server echoes (the echo probes ran).
    pub echo: bool,
    /// How long the whole check took.
    pub took: Duration,
}

impl Report {
    /// How many probes had `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }
}

/// The opt-in parts of a check (`Config::check`).
pub use crate::config::CheckSpec;

/// Run every probe against `cfg`'s URL. An error is a server that cannot
/// be reached or upgraded at all (the usual diagnosis); anything else,
/// however wrong, is in the report.
pub fn run(cfg: &Config) -> Result<Report> {
    let start = Instant::now();
    let spec = cfg.check.unwrap_or_default();
    let base = handshake::baseline(cfg, start + PROBE_BUDGET)?;
    let echoes = AtomicBool::new(false);
    type Family<'a> = Box<dyn FnOnce() -> Vec<ProbeResult> + Send + 'a>;
    let families: Vec<(&'static str, Family)> = vec![
        ("handshake", Box::new(|| handshake::requests(cfg))),
        ("control", Box::new(|| control::run(cfg))),
        ("enforcement", Box::new(|| enforcement::run(cfg))),
        ("echo", Box::new(|| echo::run(cfg, &echoes))),
        ("deflate", Box::new(|| deflate::run(cfg))),
        ("path", Box::new(|| path::run(cfg, &base.tls, spec.idle))),
    ];
    let mut results = base.results.clone();
    let outcomes: Vec<Vec<ProbeResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = families
            .into_iter()
            .map(|(name, f)| (name, s.spawn(f)))
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                h.join().unwrap_or_else(|_| {
                    vec![ProbeResult::new(
                        name,
                        Verdict::Fail,
                        None,
                        vec!["the probe crashed (a wsprobe bug: please report it)".into()],
                    )]
                })
            })
            .collect()
    });
    results.extend(outcomes.into_iter().flatten());
    Ok(Report {
        url: cfg.target.url.clone(),
        results,
        echo: echoes.load(Ordering::SeqCst),
        took: start.elapsed(),
    })
}

/// A deadline `PROBE_BUDGET` from now.
fn budget() -> Instant {
    Instant::now() + PROBE_BUDGET
}

/// "1.2 ms" for facts.
fn ms(d: Duration) -> String {
    crate::format::ms(d)
}

/// A close code in words: "1002 Protocol Error".
fn code_words(code: u16) -> String {
    format!("{code} {}", crate::format::close_code_name(code))
}
