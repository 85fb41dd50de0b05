//! The REPL's longer renderings: a raw frame sent by `/frame`, and the
//! `/stats` report.

use super::{Dir, marker};
use crate::event::Stats;
use crate::format::{ms, sanitize, secs};
use crate::protocol::frame::Opcode;
use std::borrow::Cow;

/// The name of an opcode as the REPL writes it: the trace's names, and a
/// reserved opcode as the number it was typed as (`/frame 0xb ...`).
fn opcode_name(op: Opcode) -> Cow<'static, str> {
    match op {
        op if op.is_reserved() => format!("0x{:x}", op.bits()).into(),
        known => known.name(),
    }
}

/// `> frame TEXT nofin len=3 "Hel"`: a raw frame sent by `/frame`.
pub(super) fn raw_frame_line(
    op: Opcode,
    fin: bool,
    rsv: [bool; 3],
    data: &[u8],
    color: bool,
) -> String {
    let mut flags = String::new();
    for (on, word) in [
        (fin, " fin"),
        (rsv[0], " rsv1"),
        (rsv[1], " rsv2"),
        (rsv[2], " rsv3"),
    ] {
        if on {
            flags.push_str(word);
        }
    }
    let preview = if data.is_empty() {
        String::new()
    } else {
        format!(" \"{}\"", sanitize::escape_preview(data, 64))
    };
    format!(
        "{} frame {}{flags} len={}{preview}\n",
        marker(Dir::Out, color),
        opcode_name(op),
        data.len()
    )
}

/// The `/stats` report.
pub fn stats_block(s: &Stats) -> String {
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut out = format!(
        "* up {}; sent {} message{} ({} bytes), received {} message{} ({} bytes)\n",
        secs(s.uptime),
        s.sent_messages,
        plural(s.sent_messages),
        s.sent_bytes,
        s.received_messages,
        plural(s.received_messages),
        s.received_bytes
    );
    out.push_str(&format!(
        "* pings: {} sent, {} answered",
        s.pings_sent, s.pongs_matched
    ));
    match s.rtt {
        Some((min, avg, max)) => out.push_str(&format!(
            "; rtt min {}, avg {}, max {}\n",
            ms(min),
            ms(avg),
            ms(max)
        )),
        None => out.push('\n'),
    }
    out
}
