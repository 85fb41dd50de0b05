//! The `--check` report as people and programs read it: one line per
//! probe (verdict, name, facts, the RFC section of a warning or failure)
//! and a summary line; or, with `--json`, the whole report as one JSON
//! object. Facts can hold what the server sent (a status reason, a
//! subprotocol it chose), so control characters are always escaped: the
//! report is a document of lines, on a terminal or not.

use crate::check::{Report, Verdict};
use crate::format::sanitize::escape;
use serde_json::json;
use std::io::{self, Write};
use std::time::Duration;

/// The width of the name column.
const NAME_WIDTH: usize = 21;

/// Write `report` as text: a heading, a line per probe, the summary.
/// `deterministic` writes "0.0 ms" for the total time (for tests).
pub fn write_plain(report: &Report, w: &mut dyn Write, deterministic: bool) -> io::Result<()> {
    let mut s = format!("wsprobe check {}\n", escape(report.url.as_bytes(), false));
    for r in &report.results {
        let facts: Vec<String> = r
            .facts
            .iter()
            .map(|f| escape(f.as_bytes(), false))
            .collect();
        s.push_str(&format!(
            "{:<5} {:<NAME_WIDTH$} {}",
            r.verdict.word(),
            r.name,
            facts.join("; ")
        ));
        if let Some(rfc) = r.rfc {
            s.push_str(&format!(" [{rfc}]"));
        }
        s.push('\n');
    }
    s.push_str(&summary(report, deterministic));
    s.push('\n');
    w.write_all(s.as_bytes())?;
    w.flush()
}

/// "23 probes: 18 pass, 1 warn, 2 fail, 2 info, in 0.41 s".
fn summary(report: &Report, deterministic: bool) -> String {
    let took = if deterministic {
        Duration::ZERO
    } else {
        report.took
    };
    format!(
        "{} probes: {} pass, {} warn, {} fail, {} info, in {}",
        report.results.len(),
        report.count(Verdict::Pass),
        report.count(Verdict::Warn),
        report.count(Verdict::Fail),
        report.count(Verdict::Info),
        crate::format::secs(took)
    )
}

/// Write `report` as one JSON object and a newline: an event of the
/// NDJSON stream (`"event": "check"`), between the warnings and, when a
/// probe failed, the `error` event.
pub fn write_json(report: &Report, w: &mut dyn Write, deterministic: bool) -> io::Result<()> {
    let probes: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "verdict": r.verdict.word(),
                "facts": r.facts,
                "rfc": r.rfc,
            })
        })
        .collect();
    let took = if deterministic {
        0.0
    } else {
        report.took.as_secs_f64() * 1000.0
    };
    let v = json!({
        "event": "check",
        "url": report.url,
        "echo": report.echo,
        "probes": probes,
        "summary": {
            "probes": report.results.len(),
            "pass": report.count(Verdict::Pass),
            "warn": report.count(Verdict::Warn),
            "fail": report.count(Verdict::Fail),
            "info": report.count(Verdict::Info),
            "took_ms": (took * 10.0).round() / 10.0,
        },
    });
    let mut line = v.to_string();
    line.push('\n');
    w.write_all(line.as_bytes())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ProbeResult;

    fn report() -> Report {
        Report {
            url: "ws://h/".into(),
            results: vec![
                ProbeResult::new("ping", Verdict::Pass, None, vec!["5 pongs".into()]),
                ProbeResult::new(
                    "close",
                    Verdict::Fail,
                    Some("RFC 6455 5.5.1"),
                    vec!["a\x1b[31m".into(), "b".into()],
                ),
            ],
            echo: false,
            took: Duration::from_millis(12),
        }
    }

    #[test]
    fn lines_escape_peer_bytes_and_name_the_rfc() {
        let mut out = Vec::new();
        write_plain(&report(), &mut out, true).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "wsprobe check ws://h/");
        assert_eq!(lines[1], "pass  ping                  5 pongs");
        assert!(lines[2].starts_with("fail  close "), "{}", lines[2]);
        assert!(!lines[2].contains('\x1b'), "{}", lines[2]);
        assert!(lines[2].ends_with("; b [RFC 6455 5.5.1]"), "{}", lines[2]);
        assert_eq!(
            lines[3],
            "2 probes: 1 pass, 0 warn, 1 fail, 0 info, in 0.0 ms"
        );
    }

    #[test]
    fn json_has_every_probe_and_the_counts() {
        let mut out = Vec::new();
        write_json(&report(), &mut out, false).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["probes"][1]["verdict"], "fail");
        assert_eq!(v["probes"][1]["rfc"], "RFC 6455 5.5.1");
        assert_eq!(v["summary"]["fail"], 1);
        assert_eq!(v["summary"]["took_ms"], 12.0);
    }
}
