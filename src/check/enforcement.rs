//! The enforcement probes (RFC 6455 sections 5 and 8.1): each sends one
//! deliberately invalid frame on a connection of its own, then a valid
//! ping, and watches what the server does. It must fail the connection
//! (section 7.1.7), with a Close of 1002 Protocol Error (1007 Invalid
//! Payload Data for bad UTF-8, section 8.1). A server that answers the
//! ping kept going (fail); one that closes with another code names the
//! wrong error (fail); one that drops TCP without a Close skipped a SHOULD
//! (warn).

use super::conn::{Next, Ws, fin};
use super::{ProbeResult, Verdict, budget, code_words};
use crate::config::Config;
use crate::protocol::frame::{FirstByte, Opcode};
use std::time::{Duration, Instant};
use tungstenite::Message;

/// How long a server that answered the ping after the invalid frame has
/// left to close.
const GRACE: Duration = Duration::from_secs(1);

/// One invalid frame and what it breaks.
struct Case {
    name: &'static str,
    rfc: &'static str,
    /// What is sent, in words.
    what: &'static str,
    first: FirstByte,
    payload: Vec<u8>,
    masked: bool,
    /// The close code the server should send.
    code: u16,
}

fn cases() -> Vec<Case> {
    let with = |fin: bool, rsv: [bool; 3], opcode| FirstByte { fin, rsv, opcode };
    vec![
        Case {
            name: "unmasked-frame",
            rfc: "RFC 6455 5.1",
            what: "an unmasked text frame",
            first: fin(Opcode::Text),
            payload: b"unmasked".to_vec(),
            masked: false,
            code: 1002,
        },
        Case {
            name: "rsv-bits",
            rfc: "RFC 6455 5.2",
            what: "a text frame with RSV2 and RSV3 set, no extension agreed",
            first: with(true, [false, true, true], Opcode::Text),
            payload: b"rsv".to_vec(),
            masked: true,
            code: 1002,
        },
        Case {
            name: "reserved-opcode",
            rfc: "RFC 6455 5.2",
            what: "a frame with reserved opcode 0x3",
            first: fin(Opcode::from_bits(0x3)),
            payload: b"op3".to_vec(),
            masked: true,
            code: 1002,
        },
        Case {
            name: "fragmented-ping",
            rfc: "RFC 6455 5.5",
            what: "a ping without FIN",
            first: with(false, [false; 3], Opcode::Ping),
            payload: b"frag".to_vec(),
            masked: true,
            code: 1002,
        },
        Case {
            name: "long-ping",
            rfc: "RFC 6455 5.5",
            what: "a ping of 126 bytes",
            first: fin(Opcode::Ping),
            payload: vec![b'p'; 126],
            masked: true,
            code: 1002,
        },
        Case {
            name: "stray-continuation",
            rfc: "RFC 6455 5.4",
            what: "a continuation frame with no message to continue",
            first: fin(Opcode::Continuation),
            payload: b"cont".to_vec(),
            masked: true,
            code: 1002,
        },
        Case {
            name: "invalid-utf8",
            rfc: "RFC 6455 8.1",
            what: "a text message that is not UTF-8",
            first: fin(Opcode::Text),
            payload: vec![b'o', b'k', 0xce, 0xba, 0xe1, 0x80, 0xff, 0xfe],
            masked: true,
            code: 1007,
        },
    ]
}

/// Every case, each on its own thread and connection.
pub fn run(cfg: &Config) -> Vec<ProbeResult> {
    let mut c = cfg.clone();
    // No extension: RSV bits then mean nothing, as the probes need.
    c.compress = false;
    let c = &c;
    std::thread::scope(|s| {
        let handles: Vec<_> = cases()
            .into_iter()
            .map(|case| {
                let name = case.name;
                (name, s.spawn(move || probe(c, case)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                h.join().unwrap_or_else(|_| {
                    ProbeResult::skipped(name, "the probe crashed (a wsprobe bug)")
                })
            })
            .collect()
    })
}

/// Send the case's frame, then a ping, and judge what follows.
fn probe(cfg: &Config, case: Case) -> ProbeResult {
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => return ProbeResult::skipped(case.name, format!("could not connect: {e}")),
    };
    if let Err(e) = ws.send_frame(case.first, &case.payload, case.masked) {
        return ProbeResult::skipped(case.name, format!("could not send the frame: {e}"));
    }
    // A server that closed at once may make this write fail: what it sent
    // before is still there to be read.
    let _ = ws.send(Message::Ping(b"after".to_vec().into()));
    let sent_words = format!("sent {}", case.what);
    let want = code_words(case.code);
    let verdict = |v: Verdict, fact: String| {
        let rfc = (v != Verdict::Pass).then_some(case.rfc);
        ProbeResult::new(case.name, v, rfc, vec![sent_words.clone(), fact])
    };
    // A server may answer the ping before its application reads the
    // message it must refuse (UTF-8 is often checked there): after the
    // pong, it has GRACE more to close.
    let mut ponged = false;
    loop {
        return match ws.next() {
            Next::Close(Some((code, _))) if code == case.code => {
                verdict(Verdict::Pass, format!("the server closed with {want}"))
            }
            Next::Close(Some((code, _))) => verdict(
                Verdict::Fail,
                format!("the server closed with {}, not {want}", code_words(code)),
            ),
            Next::Close(None) => verdict(
                Verdict::Fail,
                format!("the server closed with no code, not {want}"),
            ),
            Next::Eof | Next::Broken(_) => verdict(
                Verdict::Warn,
                format!(
                    "the server dropped TCP without a Close (section 7.1.7: it should send {want})"
                ),
            ),
            Next::Message(Message::Pong(_)) if !ponged => {
                ponged = true;
                let until = ws.deadline().min(Instant::now() + GRACE);
                ws.set_deadline(until);
                continue;
            }
            Next::Message(Message::Text(_) | Message::Binary(_)) => verdict(
                Verdict::Fail,
                "the server kept going: it sent a message after it".into(),
            ),
            Next::Message(_) => continue,
            Next::Violation(v) => verdict(
                Verdict::Fail,
                format!("the server kept going, and then broke a rule itself: {v}"),
            ),
            Next::Timeout if ponged => verdict(
                Verdict::Fail,
                format!(
                    "the server kept going: it answered the ping sent after it, and had not \
                     closed {} later",
                    crate::format::secs(GRACE)
                ),
            ),
            Next::Timeout => verdict(
                Verdict::Fail,
                "the server kept going: no Close and no drop before the deadline".into(),
            ),
        };
    }
}
