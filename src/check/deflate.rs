//! The permessage-deflate probes (RFC 7692): offered on a connection of
//! their own; when agreed and the server echoes, a compressible message is
//! sent twice (compressed by the engine, so the server must inflate ours)
//! and the echoes must inflate (section 7.2.2), each alone when the server
//! agreed `server_no_context_takeover` (section 7.1.1.1). How much smaller
//! the second copy came shows whether the server kept its context.

use super::conn::{Next, Ws};
use super::control::ended;
use super::echo::ECHO_WAIT;
use super::{ProbeResult, Verdict, budget};
use crate::config::Config;
use std::time::Instant;
use tungstenite::Message;

/// The message sent twice: 4 KiB of repetitive text.
fn sample() -> String {
    "wsprobe checks permessage-deflate; ".repeat(120)
}

/// `deflate` and `context-takeover`.
pub fn run(cfg: &Config) -> Vec<ProbeResult> {
    let skip = |why: String| {
        vec![
            ProbeResult::skipped("deflate", why.clone()),
            ProbeResult::skipped("context-takeover", why),
        ]
    };
    if !cfg.compress {
        return skip("not offered (--no-compress)".into());
    }
    let mut ws = match Ws::open(cfg, budget()) {
        Ok(ws) => ws,
        Err(e) => return skip(format!("could not connect: {e}")),
    };
    if let Some(answer) = ws.refused_extensions.take() {
        return skip(format!(
            "the server answered {answer}, which cannot be agreed (see extensions)"
        ));
    }
    let Some(params) = ws.deflate else {
        return skip("offered; the server agreed none".into());
    };
    let text = sample();
    let mut wire = Vec::new();
    for copy in 1..=2 {
        ws.set_deadline(Instant::now() + ECHO_WAIT);
        if let Err(e) = ws.send(Message::text(text.clone())) {
            return skip(format!("agreed {params}; cannot send: {e}"));
        }
        let _ = ws.conn.take_compression();
        match ws.next_data() {
            Next::Message(Message::Text(t)) if t.as_str() == text => {
                wire.push(ws.conn.take_compression().map(|c| c.wire));
            }
            Next::Message(_) => {
                return skip(format!(
                    "agreed {params}; the answer to copy {copy} was not an echo"
                ));
            }
            Next::Timeout => {
                return skip(format!(
                    "agreed {params}; no echo, so no compressed message to inflate"
                ));
            }
            Next::Violation(v) => {
                return vec![
                    ProbeResult::new(
                        "deflate",
                        Verdict::Fail,
                        Some("RFC 7692 7.2.2"),
                        vec![format!("agreed {params}"), format!("echo {copy}: {v}")],
                    ),
                    ProbeResult::skipped("context-takeover", "skipped: the echo did not inflate"),
                ];
            }
            end => {
                return vec![
                    ProbeResult::new(
                        "deflate",
                        Verdict::Fail,
                        Some("RFC 7692 6"),
                        vec![
                            format!("agreed {params}"),
                            format!("after our compressed message {copy}: {}", ended(&end)),
                        ],
                    ),
                    ProbeResult::skipped("context-takeover", "skipped: no echo"),
                ];
            }
        }
    }
    judge(params, &text, &wire)
}

fn judge(
    params: crate::protocol::deflate::DeflateParams,
    text: &str,
    wire: &[Option<u64>],
) -> Vec<ProbeResult> {
    let n = text.len();
    let (Some(first), Some(second)) = (wire[0], wire[1]) else {
        return vec![
            ProbeResult::new(
                "deflate",
                Verdict::Pass,
                None,
                vec![
                    format!("agreed {params}"),
                    "our compressed messages were inflated; the echoes came uncompressed \
                     (allowed, RFC 7692 6)"
                        .into(),
                ],
            ),
            ProbeResult::skipped("context-takeover", "the server sent nothing compressed"),
        ];
    };
    let deflate = ProbeResult::new(
        "deflate",
        Verdict::Pass,
        None,
        vec![
            format!("agreed {params}"),
            format!("the server inflated ours and its echoes inflate: {n} B in {first} B"),
        ],
    );
    let sizes = format!("second copy {second} B on the wire, first {first} B");
    let takeover = if params.server_no_context_takeover {
        ProbeResult::new(
            "context-takeover",
            Verdict::Pass,
            None,
            vec![format!(
                "server_no_context_takeover agreed; each echo inflated alone ({sizes})"
            )],
        )
    } else if second < first {
        ProbeResult::new(
            "context-takeover",
            Verdict::Pass,
            None,
            vec![format!("the server kept its context ({sizes})")],
        )
    } else {
        ProbeResult::new(
            "context-takeover",
            Verdict::Info,
            None,
            vec![format!(
                "the server did not use its context, which is allowed ({sizes})"
            )],
        )
    };
    vec![deflate, takeover]
}
