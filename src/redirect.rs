//! -L/--location: following 301, 302, 303, 307 and 308 answers to the
//! upgrade request, up to --max-redirs, each hop reported at -v.
//!
//! Each hop is a new connection ([`net::open`] then [`handshake::upgrade`])
//! with a [`Config`] whose target is the Location, resolved against the
//! current URL (http:// and https:// mean ws:// and wss://). Credentials
//! (Authorization and Cookie headers, and a custom Host) are not sent to
//! another scheme, host or port. Without -L, a redirect is a rejection like
//! any other (exit 6).

use crate::config::{Config, parse_target};
use crate::error::{Error, RedirectProblem, Result};
use crate::event::{Emit, Event, Timing};
use crate::handshake::{self, Upgraded};
use crate::net;
use std::borrow::Cow;

/// Headers never sent to another scheme, host or port.
const CREDENTIAL_HEADERS: [&str; 3] = ["Authorization", "Cookie", "Host"];

/// Connect and upgrade, following redirects when -L asks for it.
pub fn connect(cfg: &Config, out: &mut dyn Emit) -> Result<(Upgraded, Timing)> {
    let mut hop_cfg = Cow::Borrowed(cfg);
    let mut hops = 0;
    loop {
        let (stream, timing) = net::open(&hop_cfg, out)?;
        let rejection = match handshake::upgrade(stream, &hop_cfg, out) {
            Ok(up) => return Ok((up, timing)),
            Err(Error::Rejected(r))
                if cfg.net.follow_redirects && matches!(r.status, 301 | 302 | 303 | 307 | 308) =>
            {
                r
            }
            Err(e) => return Err(e),
        };
        let Some(location) = rejection.header("Location").map(str::to_string) else {
            return Err(Error::Rejected(rejection));
        };
        if hops >= cfg.net.max_redirs {
            return Err(Error::Redirect(RedirectProblem::TooMany {
                max: cfg.net.max_redirs,
                location,
            }));
        }
        hops += 1;
        let (next, dropped) = follow(&hop_cfg, &location)?;
        let _ = out.emit(&Event::Redirect {
            status: rejection.status,
            url: &next.target.url,
            hop: hops,
            dropped: &dropped,
        });
        hop_cfg = Cow::Owned(next);
    }
}

/// The configuration for the next hop, and the headers left out of it.
fn follow(cfg: &Config, location: &str) -> Result<(Config, Vec<String>)> {
    let bad = |why: String| {
        Error::Redirect(RedirectProblem::BadLocation {
            location: location.to_string(),
            why,
        })
    };
    let base = url::Url::parse(&cfg.target.url).map_err(|e| bad(e.to_string()))?;
    let joined = base
        .join(location.trim())
        .map_err(|e| bad(format!("not a URL: {e}")))?;
    // Credentials in a Location are not used (the user did not give them).
    let mut warnings = Vec::new();
    let (target, _) = parse_target(joined.as_str(), &mut warnings).map_err(|e| match e {
        Error::Usage(msg) => bad(msg),
        other => other,
    })?;
    let mut next = cfg.clone();
    let same_origin = target.secure == cfg.target.secure
        && target.host.eq_ignore_ascii_case(&cfg.target.host)
        && target.port == cfg.target.port;
    let mut dropped = Vec::new();
    if !same_origin {
        next.request.headers.retain(|(name, _)| {
            let keep = !CREDENTIAL_HEADERS
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name));
            if !keep {
                dropped.push(name.clone());
            }
            keep
        });
    }
    next.target = target;
    next.warnings.clear();
    Ok((next, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use crate::config::Env;
    use clap::Parser;

    fn config(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(std::iter::once("wsprobe").chain(args.iter().copied()))
            .expect("parses");
        Config::new(&cli, &Env::default()).expect("valid")
    }

    #[test]
    fn relative_and_http_locations_become_websocket_urls() {
        let cfg = config(&["-L", "ws://h:8080/a/b?x=1"]);
        let (next, _) = follow(&cfg, "c").expect("ok");
        assert_eq!(next.target.url, "ws://h:8080/a/c");
        let (next, _) = follow(&cfg, "/root?y").expect("ok");
        assert_eq!(next.target.url, "ws://h:8080/root?y");
        let (next, _) = follow(&cfg, "https://other/x").expect("ok");
        assert_eq!(next.target.url, "wss://other/x");
        assert!(next.target.secure);
        let (next, _) = follow(&cfg, "//h2:1/p").expect("ok");
        assert_eq!(next.target.url, "ws://h2:1/p");
    }

    #[test]
    fn credentials_stay_with_the_same_scheme_host_and_port() {
        let cfg = config(&["-L", "-u", "a:b", "-H", "Cookie: c=1", "ws://h:1/"]);
        let (next, dropped) = follow(&cfg, "/elsewhere").expect("ok");
        assert!(dropped.is_empty());
        assert!(
            next.request
                .headers
                .iter()
                .any(|(n, _)| n == "Authorization")
        );
        for other in ["ws://h:2/", "wss://h:1/", "ws://H2:1/"] {
            let (next, dropped) = follow(&cfg, other).expect("ok");
            assert_eq!(dropped, ["Cookie", "Authorization"], "{other}");
            assert!(
                !next
                    .request
                    .headers
                    .iter()
                    .any(|(n, _)| n == "Authorization" || n == "Cookie"),
                "{other}"
            );
        }
    }

    #[test]
    fn other_schemes_cannot_be_followed() {
        let cfg = config(&["-L", "ws://h/"]);
        let e = follow(&cfg, "ftp://h/x").expect_err("ftp");
        assert_eq!(e.exit_code(), 6);
        assert!(e.to_string().contains("ftp://h/x"), "{e}");
    }
}
