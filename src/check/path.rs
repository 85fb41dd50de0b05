//! The path probes: TLS as the first connection saw it (version, suite,
//! the certificate's days to expiry, whether the chain verified, which for
//! rustls means it was complete: rustls fetches no missing intermediate),
//! and, with `--idle SECS`, how long a silent connection lives and who
//! ends it (a Close with a code, or a drop, which points at a proxy's idle
//! timeout).

use super::conn::{Next, TlsSeen, Ws};
use super::{ProbeResult, Verdict, budget, code_words};
use crate::config::Config;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Days before expiry under which a certificate is a warning.
const EXPIRY_WARN_DAYS: i64 = 14;

/// `tls`, and `idle` when asked for.
pub fn run(cfg: &Config, tls: &TlsSeen, idle: Option<Duration>) -> Vec<ProbeResult> {
    let mut out = vec![tls_probe(cfg, tls)];
    if let Some(secs) = idle {
        out.push(idle_probe(cfg, secs));
    }
    out
}

fn tls_probe(cfg: &Config, tls: &TlsSeen) -> ProbeResult {
    let Some((version, suite)) = &tls.version else {
        let why = if cfg.target.secure {
            "no TLS with the server was seen"
        } else {
            "ws://: no TLS"
        };
        return ProbeResult::skipped("tls", why);
    };
    let mut facts = vec![format!("{version}, {suite}")];
    let mut verdict = Verdict::Pass;
    let mut rfc = None;
    if let Some(leaf) = tls.chain.first() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let days = (leaf.not_after - now).div_euclid(86_400);
        if days < 0 {
            verdict = Verdict::Fail;
            rfc = Some("RFC 5280 4.1.2.5");
            facts.push(format!("the certificate expired {} days ago", -days));
        } else {
            if days < EXPIRY_WARN_DAYS {
                verdict = Verdict::Warn;
                rfc = Some("RFC 5280 4.1.2.5");
            }
            facts.push(format!("certificate expires in {days} days"));
        }
        facts.push(format!(
            "{} presented",
            match tls.chain.len() {
                1 => "1 certificate".to_string(),
                n => format!("{n} certificates"),
            }
        ));
    }
    match &tls.skipped {
        Some(problem) => {
            verdict = verdict.max(Verdict::Warn);
            rfc = rfc.or(Some("RFC 6125 6"));
            facts.push(format!("not verified (-k): {problem}"));
        }
        None => facts.push("chain complete: verified without fetching anything".into()),
    }
    ProbeResult::new("tls", verdict, rfc, facts)
}

/// Stay silent for up to `secs`; say who ended it, and when.
fn idle_probe(cfg: &Config, secs: Duration) -> ProbeResult {
    let name = "idle";
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => return ProbeResult::skipped(name, format!("could not connect: {e}")),
    };
    let start = Instant::now();
    ws.set_deadline(start + secs);
    let mut received = 0;
    let fact = loop {
        let got = ws.next();
        let after = crate::format::secs(start.elapsed());
        match got {
            Next::Message(_) => received += 1,
            Next::Timeout => {
                break format!(
                    "survived {} of silence from us ({received} messages from the server)",
                    crate::format::secs(secs)
                );
            }
            Next::Close(Some((code, _))) => {
                break format!("the server closed after {after}, with {}", code_words(code));
            }
            Next::Close(None) => break format!("the server closed after {after} (no code)"),
            Next::Eof | Next::Broken(_) => {
                break format!(
                    "dropped without a Close after {after}: an idle timeout, often a proxy's"
                );
            }
            Next::Violation(v) => break format!("after {after}, the server broke a rule: {v}"),
        }
    };
    ProbeResult::new(name, Verdict::Info, None, vec![fact])
}
