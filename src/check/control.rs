//! The control-frame probes (RFC 6455 section 5.5): pings with a payload
//! get pongs with the same payload (5.5.2, 5.5.3), measured (min, median,
//! max round trip); our Close gets a Close back (5.5.1) with a code that
//! may be sent (7.4). One connection, pings first.

use super::conn::{Next, Ws};
use super::{ProbeResult, Verdict, budget, code_words, ms};
use crate::config::Config;
use crate::protocol::frame::close_code_on_wire;
use std::time::{Duration, Instant};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;

/// How many pings are timed.
const PINGS: usize = 5;

/// Both probes; when the connection cannot be made, both say why.
pub fn run(cfg: &Config) -> Vec<ProbeResult> {
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => {
            let why = format!("could not connect: {e}");
            return vec![
                ProbeResult::skipped("ping", why.clone()),
                ProbeResult::skipped("close", why),
            ];
        }
    };
    let ping = ping(&mut ws);
    ws.set_deadline(budget());
    vec![ping, close(&mut ws)]
}

fn ping(ws: &mut Ws) -> ProbeResult {
    let rfc = Some("RFC 6455 5.5.2");
    let mut rtts: Vec<Duration> = Vec::with_capacity(PINGS);
    for i in 0..PINGS {
        let payload = format!("wsprobe ping {i}");
        let sent = Instant::now();
        if let Err(e) = ws.send(Message::Ping(payload.clone().into_bytes().into())) {
            return fail("ping", rfc, format!("cannot send ping {}: {e}", i + 1));
        }
        let got = loop {
            match ws.next() {
                Next::Message(Message::Pong(p)) => break p,
                Next::Message(_) => {}
                other => return fail("ping", rfc, format!("ping {}: {}", i + 1, ended(&other))),
            }
        };
        if got.as_ref() != payload.as_bytes() {
            return fail(
                "ping",
                rfc,
                format!(
                    "the pong to ping {} carried {:?}, the ping {payload:?}",
                    i + 1,
                    String::from_utf8_lossy(&got)
                ),
            );
        }
        rtts.push(sent.elapsed());
    }
    rtts.sort();
    ProbeResult::new(
        "ping",
        Verdict::Pass,
        None,
        vec![format!(
            "{PINGS} pongs, same payload; rtt min {}, median {}, max {}",
            ms(rtts[0]),
            ms(rtts[PINGS / 2]),
            ms(rtts[PINGS - 1])
        )],
    )
}

fn close(ws: &mut Ws) -> ProbeResult {
    let rfc = Some("RFC 6455 5.5.1");
    let sent = Instant::now();
    let frame = CloseFrame {
        code: 1000.into(),
        reason: "wsprobe check".into(),
    };
    if let Err(e) = ws.conn.close(Some(frame)) {
        return fail("close", rfc, format!("cannot send our Close: {e}"));
    }
    loop {
        match ws.next() {
            Next::Message(_) => {}
            Next::Close(Some((code, _))) if close_code_on_wire(code) => {
                return ProbeResult::new(
                    "close",
                    Verdict::Pass,
                    None,
                    vec![format!(
                        "answered with a Close, {}, in {}",
                        code_words(code),
                        ms(sent.elapsed())
                    )],
                );
            }
            Next::Close(Some((code, _))) => {
                return fail(
                    "close",
                    Some("RFC 6455 7.4"),
                    format!("answered with code {code}, which may not be sent"),
                );
            }
            Next::Close(None) => {
                return ProbeResult::new(
                    "close",
                    Verdict::Pass,
                    None,
                    vec![format!(
                        "answered with a Close (no code) in {}",
                        ms(sent.elapsed())
                    )],
                );
            }
            other => return fail("close", rfc, format!("after our Close: {}", ended(&other))),
        }
    }
}

/// What a wait that got no answer ended with, in words.
pub fn ended(n: &Next) -> String {
    match n {
        Next::Eof => "the server dropped TCP without a Close".into(),
        Next::Broken(e) => format!("the connection broke: {e}"),
        Next::Timeout => "no answer before the deadline".into(),
        Next::Violation(v) => format!("the server broke a rule: {v}"),
        Next::Close(Some((code, _))) => format!("the server closed with {}", code_words(*code)),
        Next::Close(None) => "the server closed (no code)".into(),
        Next::Message(_) => "a message".into(),
    }
}

fn fail(name: &'static str, rfc: Option<&'static str>, fact: String) -> ProbeResult {
    ProbeResult::new(name, Verdict::Fail, rfc, vec![fact])
}
