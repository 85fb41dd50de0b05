//! The handshake probes (RFC 6455 section 4): the 101 itself (status,
//! Upgrade and Connection tokens, Sec-WebSocket-Accept, the time it took),
//! the subprotocol and extension answers, and two requests broken on
//! purpose: one that asks for version 8 (section 4.4: 426 with
//! `Sec-WebSocket-Version: 13`) and one without a Sec-WebSocket-Key
//! (section 4.2.1: refused).

use super::conn::{Bounded, TlsSeen, Ws, ask, probe_config, request_with};
use super::{ProbeResult, Verdict, budget, ms};
use crate::config::Config;
use crate::error::{Error, HandshakeProblem, Result};
use crate::handshake::{build_request, rejected, validate};
use crate::http::{self, ResponseHead};
use crate::protocol::deflate::{self, Refusal};

/// What the first connection established: its probes, and what TLS said.
pub struct Baseline {
    /// handshake, subprotocol, extensions.
    pub results: Vec<ProbeResult>,
    /// The TLS facts, for the path probe.
    pub tls: TlsSeen,
}

/// The first connection, alone: the user's request as wsprobe sends it.
/// A server that cannot be reached, or answers with another status than
/// 101, is the usual error (exit 3 to 7), not a report.
pub fn baseline(cfg: &Config, deadline: std::time::Instant) -> Result<Baseline> {
    let mut c = probe_config(cfg, deadline, cfg.compress);
    // The chain is described to the events only at -vvv; the path probe
    // needs it whatever the verbosity (nothing is printed from here).
    c.output.verbose = 3;
    let (request, key) = build_request(&c)?;
    let mut tls = TlsSeen::default();
    let mut a = ask(&c, &request, deadline, &mut tls)?;
    if a.head.status != 101 {
        let rest = std::mem::take(&mut a.rest);
        let (body, truncated) = http::read_body(&mut a.stream, &a.head, rest, deadline);
        return Err(rejected(a.head, body, truncated));
    }
    let offered = &cfg.request.subprotocols;
    let mut core = vec![format!("101 in {}", ms(a.took))];
    let verdict = match validate(&a.head, &key, offered, cfg.compress) {
        Ok(_)
        | Err(Error::Handshake(
            HandshakeProblem::SubprotocolNotOffered { .. }
            | HandshakeProblem::ExtensionNotOffered(_)
            | HandshakeProblem::BadExtension { .. },
        )) => {
            core.push("Sec-WebSocket-Accept valid, Upgrade and Connection tokens present".into());
            Verdict::Pass
        }
        Err(e) => {
            core.push(e.to_string());
            Verdict::Fail
        }
    };
    let results = vec![
        ProbeResult::new(
            "handshake",
            verdict,
            rfc_of(verdict, "RFC 6455 4.2.2"),
            core,
        ),
        subprotocol(&a.head, offered),
        extensions(&a.head, cfg.compress),
    ];
    close_politely(a.stream, a.rest, cfg);
    Ok(Baseline { results, tls })
}

/// Say goodbye on the first connection (its probes are done).
fn close_politely(stream: Bounded, rest: Vec<u8>, cfg: &Config) {
    let mut ws = Ws::on(stream, rest, None, cfg);
    let _ = ws.conn.close(None);
}

/// The RFC section, for a verdict that needs one.
fn rfc_of(v: Verdict, section: &'static str) -> Option<&'static str> {
    matches!(v, Verdict::Fail | Verdict::Warn).then_some(section)
}

/// Section 4.2.2: the server picks one of the subprotocols offered, or none.
fn subprotocol(head: &ResponseHead, offered: &[String]) -> ProbeResult {
    let chosen = head.tokens("Sec-WebSocket-Protocol");
    let rfc = Some("RFC 6455 4.2.2");
    let list = offered.join(", ");
    match chosen.as_slice() {
        [] if offered.is_empty() => ProbeResult::skipped(
            "subprotocol",
            "none offered (-s NAME offers one), none chosen",
        ),
        [] => ProbeResult::new(
            "subprotocol",
            Verdict::Pass,
            None,
            vec![format!("offered {list}; the server chose none")],
        ),
        [one] if offered.iter().any(|o| o == one) => ProbeResult::new(
            "subprotocol",
            Verdict::Pass,
            None,
            vec![format!("offered {list}; chose {one}")],
        ),
        _ => ProbeResult::new(
            "subprotocol",
            Verdict::Fail,
            rfc,
            vec![format!(
                "chose {} though {}",
                chosen.join(", "),
                if offered.is_empty() {
                    "none was offered".to_string()
                } else {
                    format!("only {list} was offered")
                }
            )],
        ),
    }
}

/// RFC 6455 section 9.1 and RFC 7692 section 7.1: only what was offered,
/// with valid parameters.
fn extensions(head: &ResponseHead, offered: bool) -> ProbeResult {
    let values: Vec<&str> = http::values(&head.headers, "Sec-WebSocket-Extensions").collect();
    let said = values.join(", ");
    match deflate::negotiate(&values, offered) {
        Ok(Some(p)) => ProbeResult::new(
            "extensions",
            Verdict::Pass,
            None,
            vec![format!("agreed {p}")],
        ),
        Ok(None) if offered => ProbeResult::new(
            "extensions",
            Verdict::Pass,
            None,
            vec![format!(
                "offered {}; the server agreed none",
                deflate::OFFER
            )],
        ),
        Ok(None) => ProbeResult::skipped("extensions", "none offered (--no-compress), none agreed"),
        Err(Refusal::NotOffered(ext)) => ProbeResult::new(
            "extensions",
            Verdict::Fail,
            Some("RFC 6455 9.1"),
            vec![format!("answered {ext}, which was not offered")],
        ),
        Err(Refusal::Invalid(problem)) => ProbeResult::new(
            "extensions",
            Verdict::Fail,
            Some("RFC 7692 7.1"),
            vec![format!("answered {said}: {problem}")],
        ),
    }
}

/// The two broken requests, one after the other.
pub fn requests(cfg: &Config) -> Vec<ProbeResult> {
    vec![version_8(cfg), no_key(cfg)]
}

/// Send a request edited by `edit`; the answer's head, or the error.
fn ask_edited(cfg: &Config, edit: &dyn Fn(&str) -> Option<String>) -> Result<ResponseHead> {
    let deadline = budget();
    let c = probe_config(cfg, deadline, false);
    let request = request_with(&c, edit)?;
    Ok(ask(&c, &request, deadline, &mut TlsSeen::default())?.head)
}

fn status_words(h: &ResponseHead) -> String {
    format!("{} {}", h.status, h.reason)
}

/// Section 4.4: a version the server does not speak gets an error status
/// and `Sec-WebSocket-Version` with the versions it does (a MUST: fail
/// without the header); 426 is the status section 4.2.2 names (warn for
/// another); a 101 means the server speaks version 8 too, which 4.4
/// allows (warn).
fn version_8(cfg: &Config) -> ProbeResult {
    let name = "version-8";
    let rfc = Some("RFC 6455 4.4");
    let got = ask_edited(cfg, &|l| {
        Some(if is_header(l, "Sec-WebSocket-Version") {
            "Sec-WebSocket-Version: 8".into()
        } else {
            l.to_string()
        })
    });
    let head = match got {
        Ok(h) => h,
        Err(e) => {
            return ProbeResult::new(
                name,
                Verdict::Fail,
                rfc,
                vec![format!("no HTTP answer to version 8: {e}")],
            );
        }
    };
    let versions = head.tokens("Sec-WebSocket-Version").join(", ");
    let said = if versions.is_empty() {
        "no Sec-WebSocket-Version".to_string()
    } else {
        format!("Sec-WebSocket-Version: {versions}")
    };
    let fact = format!("answered {}, {said}", status_words(&head));
    if head.status == 101 {
        // Section 4.4 lets a server speak other versions than 13; version
        // 8 (draft hybi-08) is one some servers keep on purpose. Not a
        // failure, but not the refusal most clients expect.
        ProbeResult::new(
            name,
            Verdict::Warn,
            rfc,
            vec![
                format!("upgraded a version 8 request: {fact}"),
                "the server speaks draft version 8 too (section 4.4 allows it)".into(),
            ],
        )
    } else if head.tokens("Sec-WebSocket-Version").contains(&"13") {
        let v = if head.status == 426 {
            Verdict::Pass
        } else {
            Verdict::Warn
        };
        let mut facts = vec![fact];
        if v == Verdict::Warn {
            facts.push("426 Upgrade Required is the status section 4.2.2 names".into());
        }
        ProbeResult::new(name, v, rfc_of(v, "RFC 6455 4.2.2"), facts)
    } else {
        ProbeResult::new(
            name,
            Verdict::Fail,
            rfc,
            vec![
                fact,
                "the refusal must name the versions spoken: Sec-WebSocket-Version: 13".into(),
            ],
        )
    }
}

/// Section 4.2.1: a request without Sec-WebSocket-Key is refused.
fn no_key(cfg: &Config) -> ProbeResult {
    let name = "no-key";
    let rfc = Some("RFC 6455 4.2.1");
    match ask_edited(cfg, &|l| {
        (!is_header(l, "Sec-WebSocket-Key")).then(|| l.to_string())
    }) {
        Ok(h) if h.status == 101 => ProbeResult::new(
            name,
            Verdict::Fail,
            rfc,
            vec!["upgraded a request without Sec-WebSocket-Key (101)".into()],
        ),
        Ok(h) => ProbeResult::new(
            name,
            Verdict::Pass,
            None,
            vec![format!("refused: {}", status_words(&h))],
        ),
        Err(e) => ProbeResult::new(
            name,
            Verdict::Warn,
            rfc,
            vec![format!(
                "no HTTP answer (section 4.2.1 asks for an error status such as 400): {e}"
            )],
        ),
    }
}

/// Whether header line `l` is `name: ...`.
fn is_header(l: &str, name: &str) -> bool {
    l.split_once(':')
        .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(extra: &str) -> ResponseHead {
        let raw = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n{extra}\r\n");
        http::parse_response(raw.as_bytes())
            .expect("parses")
            .expect("complete")
            .1
    }

    #[test]
    fn subprotocol_answers_are_judged_against_the_offer() {
        let offered = ["chat".to_string(), "json".to_string()];
        let v = |extra: &str, offered: &[String]| subprotocol(&head(extra), offered).verdict;
        assert_eq!(
            v("Sec-WebSocket-Protocol: json\r\n", &offered),
            Verdict::Pass
        );
        assert_eq!(v("", &offered), Verdict::Pass);
        assert_eq!(v("", &[]), Verdict::Info);
        assert_eq!(
            v("Sec-WebSocket-Protocol: xml\r\n", &offered),
            Verdict::Fail
        );
        assert_eq!(
            v("Sec-WebSocket-Protocol: chat, json\r\n", &offered),
            Verdict::Fail
        );
        let r = subprotocol(&head("Sec-WebSocket-Protocol: chat\r\n"), &[]);
        assert_eq!(r.facts, ["chose chat though none was offered"]);
        assert_eq!(r.rfc, Some("RFC 6455 4.2.2"));
    }

    #[test]
    fn extension_answers_follow_rfc_7692() {
        let r = extensions(
            &head("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n"),
            true,
        );
        assert_eq!((r.verdict, r.rfc), (Verdict::Fail, Some("RFC 7692 7.1")));
        let r = extensions(
            &head("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
            true,
        );
        assert_eq!((r.verdict, r.rfc), (Verdict::Fail, Some("RFC 6455 9.1")));
        let r = extensions(
            &head("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            false,
        );
        assert_eq!(r.verdict, Verdict::Fail);
        let r = extensions(
            &head("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"),
            true,
        );
        assert_eq!(r.verdict, Verdict::Pass);
        assert_eq!(
            r.facts,
            ["agreed permessage-deflate; server_no_context_takeover"]
        );
    }

    #[test]
    fn header_lines_are_matched_by_name() {
        assert!(is_header("sec-websocket-key: abc", "Sec-WebSocket-Key"));
        assert!(!is_header(
            "Sec-WebSocket-Key-Extra: abc",
            "Sec-WebSocket-Key"
        ));
        assert!(!is_header("GET / HTTP/1.1", "Sec-WebSocket-Key"));
    }
}
