//! The echo probes: first whether the server echoes at all (a text
//! message sent, the same one back within [`ECHO_WAIT`]); only then
//! fragmented messages reassembled (RFC 6455 5.4), a ping inside a
//! fragmented message answered (5.4, 5.5), text and binary sent back byte
//! for byte from 0 B to 4 MiB, and the largest message the server takes
//! (a fact, not a verdict: found by quadrupling from 64 KiB up to
//! [`MAX_TRIED`]).

use super::conn::{Next, Ws, fin};
use super::control::ended;
use super::{ProbeResult, Verdict, budget};
use crate::config::Config;
use crate::protocol::frame::{FirstByte, Opcode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tungstenite::Message;

/// How long the server has to echo the first message.
pub const ECHO_WAIT: Duration = Duration::from_millis(1500);
/// The largest message the limit search sends.
pub const MAX_TRIED: usize = 16 << 20;
/// The sizes the fidelity probe sends, text and binary.
const SIZES: [usize; 8] = [0, 1, 125, 126, 65535, 65536, 1 << 20, 4 << 20];
/// How long fidelity and max-message may take in all (each message also
/// has the probe budget): a slow path ends them early, saying so, and the
/// check stays bounded.
const SIZES_BUDGET: Duration = Duration::from_secs(6);
/// The probes that need an echo, in report order.
const NEEDS_ECHO: [&str; 4] = [
    "fragmented",
    "control-in-fragments",
    "fidelity",
    "max-message",
];

/// Detection (said in `echoes`), then the echo probes, or why they did
/// not run.
pub fn run(cfg: &Config, echoes: &AtomicBool) -> Vec<ProbeResult> {
    let mut c = cfg.clone();
    c.compress = false;
    let cfg = &c;
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => return not_run(format!("could not connect: {e}")),
    };
    match detect(&mut ws) {
        Ok(fact) => {
            echoes.store(true, Ordering::SeqCst);
            let mut out = vec![ProbeResult::new("echo", Verdict::Info, None, vec![fact])];
            let until = Instant::now() + SIZES_BUDGET;
            std::thread::scope(|s| {
                let limit = s.spawn(|| max_message(cfg, until));
                ws.set_deadline(budget());
                out.push(fragmented(&mut ws));
                ws.set_deadline(budget());
                out.push(control_inside(&mut ws));
                out.push(fidelity(&mut ws, until));
                out.push(limit.join().unwrap_or_else(|_| {
                    ProbeResult::skipped("max-message", "the probe crashed (a wsprobe bug)")
                }));
            });
            out
        }
        Err(why) => not_run(why),
    }
}

/// The echo result and each echo probe skipped, saying why.
fn not_run(why: String) -> Vec<ProbeResult> {
    let mut out = vec![ProbeResult::skipped("echo", why)];
    out.extend(
        NEEDS_ECHO
            .iter()
            .map(|n| ProbeResult::skipped(n, "skipped: the server does not echo")),
    );
    out
}

/// Send one text message; Ok when it comes back within [`ECHO_WAIT`].
fn detect(ws: &mut Ws) -> Result<String, String> {
    let probe = "wsprobe check: is this an echo server?";
    ws.set_deadline(Instant::now() + ECHO_WAIT);
    let sent = Instant::now();
    ws.send(Message::text(probe))
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut other = 0;
    loop {
        match ws.next_data() {
            Next::Message(Message::Text(t)) if t.as_str() == probe => {
                return Ok(format!(
                    "the server echoes (first echo in {})",
                    super::ms(sent.elapsed())
                ));
            }
            Next::Message(_) => other += 1,
            Next::Timeout => {
                return Err(format!(
                    "no echo within {} ({other} other messages): the echo probes did not run",
                    crate::format::secs(ECHO_WAIT)
                ));
            }
            end => return Err(format!("no echo: {}", ended(&end))),
        }
    }
}

fn frame(fin: bool, opcode: Opcode) -> FirstByte {
    FirstByte {
        fin,
        rsv: [false; 3],
        opcode,
    }
}

/// Send frames; then wait for `want` as one text message.
fn expect_text(ws: &mut Ws, frames: &[(FirstByte, &[u8])], want: &str) -> Result<bool, String> {
    for (first, payload) in frames {
        ws.send_frame(*first, payload, true)
            .map_err(|e| format!("cannot send: {e}"))?;
    }
    let mut pong = false;
    loop {
        match ws.next() {
            Next::Message(Message::Pong(_)) => pong = true,
            Next::Message(Message::Text(t)) if t.as_str() == want => return Ok(pong),
            Next::Message(Message::Text(t)) => {
                return Err(format!("echoed {:?}, not {want:?}", t.as_str()));
            }
            Next::Message(_) => {}
            end => return Err(ended(&end)),
        }
    }
}

fn fragmented(ws: &mut Ws) -> ProbeResult {
    let frames: [(FirstByte, &[u8]); 3] = [
        (frame(false, Opcode::Text), b"frag"),
        (frame(false, Opcode::Continuation), b"men"),
        (fin(Opcode::Continuation), b"ted"),
    ];
    match expect_text(ws, &frames, "fragmented") {
        Ok(_) => ProbeResult::new(
            "fragmented",
            Verdict::Pass,
            None,
            vec!["a text message in 3 frames came back whole".into()],
        ),
        Err(e) => ProbeResult::new(
            "fragmented",
            Verdict::Fail,
            Some("RFC 6455 5.4"),
            vec![format!("sent a text message in 3 frames: {e}")],
        ),
    }
}

fn control_inside(ws: &mut Ws) -> ProbeResult {
    let frames: [(FirstByte, &[u8]); 3] = [
        (frame(false, Opcode::Text), b"con"),
        (fin(Opcode::Ping), b"inside"),
        (fin(Opcode::Continuation), b"trol"),
    ];
    let rfc = Some("RFC 6455 5.4");
    let got = expect_text(ws, &frames, "control").map(|pong| {
        // The pong may follow the message: it has the rest of the budget.
        pong || loop {
            match ws.next() {
                Next::Message(Message::Pong(_)) => break true,
                Next::Message(_) => {}
                _ => break false,
            }
        }
    });
    match got {
        Ok(true) => ProbeResult::new(
            "control-in-fragments",
            Verdict::Pass,
            None,
            vec!["a ping between two fragments was answered; the message came back whole".into()],
        ),
        Ok(false) => ProbeResult::new(
            "control-in-fragments",
            Verdict::Fail,
            Some("RFC 6455 5.5.2"),
            vec!["the message came back, but the ping inside it got no pong".into()],
        ),
        Err(e) => ProbeResult::new(
            "control-in-fragments",
            Verdict::Fail,
            rfc,
            vec![format!("sent a ping between two fragments: {e}")],
        ),
    }
}

/// `n` bytes of UTF-8 text with multi-byte characters.
fn text_of(n: usize) -> String {
    let unit = "wsprobe κόσμε ✓ ";
    let mut s: String = unit.repeat(n / unit.len() + 1);
    let mut cut = n;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    while s.len() < n {
        s.push('.');
    }
    s
}

fn binary_of(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(31) + 7) as u8).collect()
}

/// How one echoed message compared with what was sent.
enum Echoed {
    Same,
    Different(String),
    Refused(String),
    /// No answer in time, or no time left to send: not a verdict on the
    /// server (a slow path takes long with megabytes).
    Stopped(String),
}

/// Send `msg` and compare the echo, by the probe budget or `until`, the
/// end of the sizes' time, whichever comes first.
fn round_trip(ws: &mut Ws, msg: Message, until: Instant) -> Echoed {
    if Instant::now() >= until {
        return Echoed::Stopped(format!(
            "not sent: the {} the size probes may take had passed",
            crate::format::secs(SIZES_BUDGET)
        ));
    }
    ws.set_deadline(budget().min(until));
    let sent = msg.clone();
    if let Err(e) = ws.send(msg) {
        // The server may have refused the message with a Close and gone
        // before all of it was written: what it said is still to be read.
        return match ws.next_data() {
            end @ Next::Close(_) => Echoed::Refused(ended(&end)),
            _ => Echoed::Refused(format!("cannot send: {e}")),
        };
    }
    match ws.next_data() {
        Next::Message(m) if m == sent => Echoed::Same,
        Next::Message(m) => Echoed::Different(format!(
            "came back as {} bytes of {}",
            m.len(),
            if m.is_text() { "text" } else { "binary" }
        )),
        end @ (Next::Close(_) | Next::Eof | Next::Broken(_)) => Echoed::Refused(ended(&end)),
        Next::Timeout => Echoed::Stopped("no echo before the deadline".into()),
        end => Echoed::Different(ended(&end)),
    }
}

fn fidelity(ws: &mut Ws, until: Instant) -> ProbeResult {
    let mut largest = None;
    for n in SIZES {
        for msg in [
            Message::text(text_of(n)),
            Message::Binary(binary_of(n).into()),
        ] {
            let kind = if msg.is_text() { "text" } else { "binary" };
            match round_trip(ws, msg, until) {
                Echoed::Same => {}
                Echoed::Different(how) => {
                    return ProbeResult::new(
                        "fidelity",
                        Verdict::Fail,
                        Some("RFC 6455 5.6"),
                        vec![format!("{} of {kind} {how}", crate::format::bytes(n))],
                    );
                }
                Echoed::Refused(how) => {
                    let upto = largest.map_or("nothing".into(), size);
                    return ProbeResult::new(
                        "fidelity",
                        Verdict::Pass,
                        None,
                        vec![
                            format!("text and binary came back byte for byte up to {upto}"),
                            format!("{} of {kind}: {how} (its limit?)", size(n)),
                        ],
                    );
                }
                Echoed::Stopped(how) => {
                    let upto = largest.map_or("nothing".into(), size);
                    return ProbeResult::new(
                        "fidelity",
                        Verdict::Pass,
                        None,
                        vec![
                            format!("text and binary came back byte for byte up to {upto}"),
                            format!("{} of {kind}: {how}; the probe stopped there", size(n)),
                        ],
                    );
                }
            }
        }
        largest = Some(n);
    }
    ProbeResult::new(
        "fidelity",
        Verdict::Pass,
        None,
        vec![format!(
            "text and binary came back byte for byte at {}",
            SIZES.map(size).join(", ")
        )],
    )
}

/// "4 MiB", "64 KiB", "125 B".
fn size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

/// Quadruple a binary message from 64 KiB until the server refuses one or
/// [`MAX_TRIED`] (or our own --max-message-size) is reached.
fn max_message(cfg: &Config, until: Instant) -> ProbeResult {
    let name = "max-message";
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => return ProbeResult::skipped(name, format!("could not connect: {e}")),
    };
    let top = MAX_TRIED.min(cfg.max_message_size);
    let mut n = 64 << 10;
    let mut accepted = None;
    while n <= top {
        match round_trip(&mut ws, Message::Binary(binary_of(n).into()), until) {
            Echoed::Same => accepted = Some(n),
            Echoed::Different(how) => {
                return ProbeResult::new(
                    name,
                    Verdict::Info,
                    None,
                    vec![format!("{} of binary {how}", size(n))],
                );
            }
            Echoed::Refused(how) | Echoed::Stopped(how) => {
                return ProbeResult::new(
                    name,
                    Verdict::Info,
                    None,
                    vec![format!(
                        "largest echoed: {}; {}: {how}",
                        accepted.map_or("none".into(), size),
                        size(n)
                    )],
                );
            }
        }
        n *= 4;
    }
    ProbeResult::new(
        name,
        Verdict::Info,
        None,
        vec![format!(
            "echoed {}, the largest tried",
            accepted.map_or("nothing".into(), size)
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_exactly_the_size_asked_and_valid_utf8() {
        for n in SIZES.into_iter().chain([2, 3, 17, 18, 19]) {
            let t = text_of(n);
            assert_eq!(t.len(), n);
        }
        assert!(text_of(4096).chars().any(|c| c.len_utf8() > 1));
    }

    #[test]
    fn sizes_read_as_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(65535), "65535 B");
        assert_eq!(size(65536), "64 KiB");
        assert_eq!(size(4 << 20), "4 MiB");
    }
}
