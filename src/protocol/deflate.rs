//! permessage-deflate (RFC 7692): the offer we send, the server's answer
//! checked and turned into [`DeflateParams`], and the two halves of the
//! codec: [`Deflater`] for messages we send, [`Inflater`] for messages we
//! receive, which never produces more than the caller's limit however small
//! the compressed input (a decompression bomb costs nothing).
//!
//! The backend is zlib-rs through flate2: window sizes below 15 bits need a
//! zlib-compatible backend (miniz_oxide has none). zlib cannot compress
//! with a 256-byte window (8 bits); when the server asks for that, we send
//! messages uncompressed, which RFC 7692 section 6 allows for any message.
//! Inflating always uses a 15-bit window, which decodes any window the
//! server used. Nothing here touches a socket.

use super::frame::Role;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::fmt;

/// The extension offer we send (RFC 7692 section 7.1): permessage-deflate,
/// telling the server it may limit our window (`client_max_window_bits`).
pub const OFFER: &str = "permessage-deflate; client_max_window_bits";

/// The four octets a sync flush ends with; removed from every compressed
/// message on the wire and appended again before inflating (section 7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output produced per inflate call (and the most it may overshoot nothing:
/// every call is bounded by the room left under the limit).
const INFLATE_CHUNK: usize = 32 * 1024;

/// What the server agreed to (RFC 7692 section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeflateParams {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// We must reset our compressor after every message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window is at most 2^N bytes (8 to 15).
    pub server_max_window_bits: Option<u8>,
    /// Our LZ77 window must be at most 2^N bytes (8 to 15).
    pub client_max_window_bits: Option<u8>,
}

impl DeflateParams {
    /// The window `role` compresses with: the limit agreed for its side,
    /// 15 by default.
    pub fn send_window(&self, role: Role) -> u8 {
        match role {
            Role::Client => self.client_max_window_bits,
            Role::Server => self.server_max_window_bits,
        }
        .unwrap_or(15)
    }

    /// True when `role` can compress within its agreed window (zlib has
    /// no 8-bit window; then every message is sent uncompressed).
    pub fn can_compress(&self, role: Role) -> bool {
        self.send_window(role) >= 9
    }

    /// `role` must reset its compressor after every message.
    pub fn send_no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Client => self.client_no_context_takeover,
            Role::Server => self.server_no_context_takeover,
        }
    }

    /// `role`'s peer resets its compressor after every message, so the
    /// inflater may reset its window too.
    pub fn receive_no_context_takeover(&self, role: Role) -> bool {
        match role {
            Role::Client => self.server_no_context_takeover,
            Role::Server => self.client_no_context_takeover,
        }
    }
}

impl fmt::Display for DeflateParams {
    /// The agreed parameters in header syntax, e.g.
    /// `permessage-deflate; server_no_context_takeover; client_max_window_bits=10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permessage-deflate")?;
        if self.server_no_context_takeover {
            f.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            f.write_str("; client_no_context_takeover")?;
        }
        if let Some(b) = self.server_max_window_bits {
            write!(f, "; server_max_window_bits={b}")?;
        }
        if let Some(b) = self.client_max_window_bits {
            write!(f, "; client_max_window_bits={b}")?;
        }
        Ok(())
    }
}

/// Why a Sec-WebSocket-Extensions answer cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server enabled an extension we did not offer.
    NotOffered(String),
    /// permessage-deflate was accepted with parameters RFC 7692 forbids.
    Invalid(String),
}

/// Check the server's Sec-WebSocket-Extensions answer (all its values, in
/// order) against what we offered (RFC 6455 section 9.1, RFC 7692 section
/// 7.1). Returns the agreed parameters, or None when no extension is in use.
pub fn negotiate(values: &[&str], offered: bool) -> Result<Option<DeflateParams>, Refusal> {
    let mut agreed: Option<DeflateParams> = None;
    for entry in values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let mut parts = entry.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        if !name.eq_ignore_ascii_case("permessage-deflate") || !offered {
            return Err(Refusal::NotOffered(entry.to_string()));
        }
        if agreed.is_some() {
            return Err(Refusal::Invalid(
                "permessage-deflate is accepted twice; we offered it once (RFC 6455 section 9.1)"
                    .into(),
            ));
        }
        agreed = Some(parse_params(parts)?);
    }
    Ok(agreed)
}

/// The server's side of the negotiation (RFC 7692 sections 5 and 7.1):
/// take the first permessage-deflate offer in the client's
/// Sec-WebSocket-Extensions values (all of them, in order) whose
/// parameters we can honour, and return what we answer with. An offer
/// with an unknown, repeated or invalid parameter is declined and the next
/// one tried (section 5.1); None when no offer can be accepted.
///
/// The answer acknowledges `server_no_context_takeover`,
/// `client_no_context_takeover` and `server_max_window_bits` as offered.
/// A `client_max_window_bits` hint is not answered: our inflater decodes
/// any window, so the client keeps the one it chose.
pub fn accept_offer(values: &[&str]) -> Option<DeflateParams> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            if !name.eq_ignore_ascii_case("permessage-deflate") {
                return None;
            }
            offer_params(parts)
        })
        .next()
}

/// The parameters of one offer, as the server answers them; None when the
/// offer cannot be accepted.
fn offer_params<'a>(parts: impl Iterator<Item = &'a str>) -> Option<DeflateParams> {
    let mut p = DeflateParams::default();
    let mut seen: Vec<String> = Vec::new();
    for part in parts.filter(|p| !p.is_empty()) {
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.trim(), Some(unquote(v.trim()))),
            None => (part, None),
        };
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return None;
        }
        seen.push(lower.clone());
        match (lower.as_str(), value) {
            ("server_no_context_takeover", None) => p.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => p.client_no_context_takeover = true,
            ("server_max_window_bits", Some(v)) => {
                p.server_max_window_bits = Some(window_bits(name, v).ok()?);
            }
            // A hint that the client may be limited; with a value, the
            // value must be valid (section 7.1.2.2).
            ("client_max_window_bits", None) => {}
            ("client_max_window_bits", Some(v)) => {
                window_bits(name, v).ok()?;
            }
            _ => return None,
        }
    }
    Some(p)
}

fn parse_params<'a>(parts: impl Iterator<Item = &'a str>) -> Result<DeflateParams, Refusal> {
    let mut p = DeflateParams::default();
    let mut seen: Vec<String> = Vec::new();
    let invalid = |s: String| Err(Refusal::Invalid(s));
    for part in parts {
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.trim(), Some(unquote(v.trim()))),
            None => (part, None),
        };
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return invalid(format!(
                "the parameter {name} appears twice (RFC 7692 section 7)"
            ));
        }
        seen.push(lower.clone());
        match (lower.as_str(), value) {
            ("server_no_context_takeover", None) => p.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => p.client_no_context_takeover = true,
            ("server_no_context_takeover" | "client_no_context_takeover", Some(v)) => {
                return invalid(format!(
                    "{name} takes no value, but has '{v}' (RFC 7692 section 7.1.1)"
                ));
            }
            ("server_max_window_bits", Some(v)) => {
                p.server_max_window_bits = Some(window_bits(name, v)?);
            }
            ("client_max_window_bits", Some(v)) => {
                p.client_max_window_bits = Some(window_bits(name, v)?);
            }
            ("server_max_window_bits" | "client_max_window_bits", None) => {
                return invalid(format!(
                    "{name} has no value; in an answer it needs one, 8 to 15 (RFC 7692 section 7.1.2)"
                ));
            }
            _ => {
                return invalid(format!(
                    "unknown parameter '{part}' (RFC 7692 section 7.1 defines four)"
                ));
            }
        }
    }
    Ok(p)
}

/// A window size: 8 to 15, digits only, no leading zero (RFC 7692 section
/// 7.1.2.1).
fn window_bits(name: &str, v: &str) -> Result<u8, Refusal> {
    let digits_ok = !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) && !v.starts_with('0');
    match v.parse::<u8>() {
        Ok(n @ 8..=15) if digits_ok => Ok(n),
        _ => Err(Refusal::Invalid(format!(
            "{name}={v} is not a window size from 8 to 15 (RFC 7692 section 7.1.2)"
        ))),
    }
}

/// A parameter value is a token or a quoted-string (RFC 6455 section 9.1).
fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

/// Compresses the messages we send (section 7.2.1).
pub struct Deflater {
    c: Compress,
    no_context_takeover: bool,
}

impl Deflater {
    /// A compressor for a window of 2^`window_bits` bytes (9 to 15).
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Deflater {
        Deflater {
            c: Compress::new_with_window_bits(
                // zlib's default level, as browsers use: measured on 128 KiB
                // of text, 2.6 ms and a 0.027 ratio, against 1.0 ms and
                // 0.128 at level 1.
                Compression::default(),
                false,
                window_bits.clamp(9, 15),
            ),
            no_context_takeover,
        }
    }

    /// Compress one whole message, appending the bytes to send to `out`
    /// (the sync-flush tail removed). Returns how many bytes were added.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) -> std::io::Result<usize> {
        let start = out.len();
        let base_in = self.c.total_in();
        loop {
            let done_in = (self.c.total_in() - base_in) as usize;
            // Room for incompressible data plus the block overhead.
            out.reserve((data.len() - done_in) + 64);
            let before = out.len();
            self.c
                .compress_vec(&data[done_in..], out, FlushCompress::Sync)
                .map_err(std::io::Error::other)?;
            let consumed = (self.c.total_in() - base_in) as usize;
            // The flush is complete when all input is in and zlib stopped
            // short of filling the space it had.
            if consumed == data.len() && out.len() < out.capacity() {
                break;
            }
            if out.len() == before && consumed == done_in && out.len() < out.capacity() {
                break;
            }
        }
        if out[start..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.len() == start {
            // zlib emits nothing for an empty message right after a flush;
            // one empty stored-block header (with the tail the receiver
            // appends) is the empty message (section 7.2.3.6).
            out.push(0x00);
        }
        if self.no_context_takeover {
            self.c.reset();
        }
        Ok(out.len() - start)
    }
}

/// Why inflating failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The message inflates past the limit (a decompression bomb, or just
    /// a message larger than --max-message-size).
    TooBig {
        /// The limit in bytes.
        limit: usize,
    },
    /// The bytes are not valid DEFLATE data.
    Corrupt(String),
}

/// Inflates the messages we receive, bounded by a limit per message.
pub struct Inflater {
    d: Decompress,
    no_context_takeover: bool,
    scratch: Vec<u8>,
}

impl Inflater {
    /// An inflater; with `no_context_takeover` (the peer's, see
    /// [`DeflateParams::receive_no_context_takeover`]) its window is reset
    /// after each message.
    pub fn new(no_context_takeover: bool) -> Inflater {
        Inflater {
            d: Decompress::new_with_window_bits(false, 15),
            no_context_takeover,
            scratch: vec![0; INFLATE_CHUNK],
        }
    }

    /// Inflate `input`, the next compressed bytes of a message, appending
    /// the result to `out`, which may never grow past `limit` bytes.
    pub fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        loop {
            // One byte more than the limit allows tells "over" from "exactly".
            let room = (limit.saturating_add(1) - out.len().min(limit)).min(self.scratch.len());
            let (in0, out0) = (self.d.total_in(), self.d.total_out());
            let status = self
                .d
                .decompress(input, &mut self.scratch[..room], FlushDecompress::None)
                .map_err(|e| InflateError::Corrupt(e.to_string()))?;
            let used = (self.d.total_in() - in0) as usize;
            let made = (self.d.total_out() - out0) as usize;
            out.extend_from_slice(&self.scratch[..made]);
            if out.len() > limit {
                return Err(InflateError::TooBig { limit });
            }
            input = &input[used..];
            if status == Status::StreamEnd {
                // A final block ends the DEFLATE stream; what follows (at
                // least our tail) starts a new one.
                self.d.reset(false);
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if input.is_empty() && made < room {
                return Ok(());
            }
            if used == 0 && made == 0 {
                // No progress with input left: zlib wants more than this.
                return Ok(());
            }
        }
    }

    /// End a message: inflate the sync-flush tail the sender removed and
    /// reset the window if the server does not keep its context. `wire` is
    /// the message's compressed size: an empty payload is an empty message,
    /// with no tail to add (the tail alone is not valid DEFLATE).
    pub fn finish(
        &mut self,
        wire: u64,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        let r = if wire == 0 {
            Ok(())
        } else {
            self.inflate(&TAIL, out, limit)
        };
        if self.no_context_takeover || r.is_err() {
            self.d.reset(false);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neg(v: &str) -> Result<Option<DeflateParams>, Refusal> {
        negotiate(&[v], true)
    }

    #[test]
    fn a_server_accepts_the_first_offer_it_can_honour() {
        // What browsers send: the hint gets no answer.
        let p = accept_offer(&["permessage-deflate; client_max_window_bits"]).expect("agreed");
        assert_eq!(p, DeflateParams::default());
        assert_eq!(p.to_string(), "permessage-deflate");
        // Python websockets' default offer.
        let p = accept_offer(&["permessage-deflate; server_max_window_bits=12; client_max_window_bits=12, permessage-deflate"])
            .expect("agreed");
        assert_eq!(p.server_max_window_bits, Some(12));
        assert_eq!(
            p.to_string(),
            "permessage-deflate; server_max_window_bits=12"
        );
        // An unknown parameter, a bad window or a repeat declines that
        // offer only; an unknown extension is skipped.
        let p = accept_offer(&[
            "x-webkit-deflate-frame",
            "permessage-deflate; foo",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ])
        .expect("the last offer");
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(
            accept_offer(&["permessage-deflate; client_max_window_bits=7"]),
            None
        );
        assert_eq!(accept_offer(&[]), None);
        assert_eq!(accept_offer(&["x-other"]), None);
    }

    #[test]
    fn plain_acceptance_and_every_parameter() {
        assert_eq!(
            neg("permessage-deflate"),
            Ok(Some(DeflateParams::default()))
        );
        let p = neg("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"9\"")
            .expect("valid")
            .expect("agreed");
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(p.server_max_window_bits, Some(10));
        assert_eq!(p.client_max_window_bits, Some(9));
        assert_eq!(
            p.to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"
        );
        assert_eq!(negotiate(&[], true), Ok(None));
    }

    #[test]
    fn bad_answers_are_refused_with_the_rule() {
        for bad in [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=09",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; x=1",
            "permessage-deflate, permessage-deflate",
        ] {
            assert!(
                matches!(neg(bad), Err(Refusal::Invalid(_))),
                "{bad}: {:?}",
                neg(bad)
            );
        }
        assert_eq!(
            neg("x-webkit-deflate-frame"),
            Err(Refusal::NotOffered("x-webkit-deflate-frame".into()))
        );
        assert!(matches!(
            negotiate(&["permessage-deflate"], false),
            Err(Refusal::NotOffered(_))
        ));
    }

    fn round_trip(window: u8, no_takeover: bool, messages: &[Vec<u8>]) {
        let mut d = Deflater::new(window, no_takeover);
        let mut i = Inflater::new(no_takeover);
        for m in messages {
            let mut wire = Vec::new();
            d.compress(m, &mut wire).expect("compress");
            assert!(!wire.ends_with(&TAIL) || m.is_empty());
            let mut back = Vec::new();
            i.inflate(&wire, &mut back, usize::MAX - 1)
                .expect("inflate");
            i.finish(wire.len() as u64, &mut back, usize::MAX - 1)
                .expect("finish");
            assert_eq!(&back, m, "window {window}");
        }
    }

    #[test]
    fn every_window_round_trips_with_and_without_context() {
        let msgs: Vec<Vec<u8>> = vec![
            b"hello hello hello".to_vec(),
            Vec::new(),
            b"hello again, hello".repeat(200),
            (0..70_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ];
        for w in 9..=15 {
            round_trip(w, false, &msgs);
            round_trip(w, true, &msgs);
        }
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let mut d = Deflater::new(15, false);
        let mut wire = Vec::new();
        d.compress(&vec![0u8; 10 << 20], &mut wire)
            .expect("compress");
        assert!(wire.len() < 20_000, "{}", wire.len());
        let mut i = Inflater::new(false);
        let mut out = Vec::new();
        assert_eq!(
            i.inflate(&wire, &mut out, 1 << 20),
            Err(InflateError::TooBig { limit: 1 << 20 })
        );
        assert!(out.len() <= (1 << 20) + 1);
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        let mut i = Inflater::new(false);
        let mut out = Vec::new();
        assert!(matches!(
            i.inflate(&[0xff; 64], &mut out, 1000),
            Err(InflateError::Corrupt(_))
        ));
    }

    #[test]
    fn a_final_block_then_more_data_keeps_going() {
        // A complete raw DEFLATE stream (BFINAL set) for "abc", as some
        // servers send with no context takeover.
        let mut c = Compress::new(Compression::default(), false);
        let mut wire = Vec::with_capacity(64);
        c.compress_vec(b"abc", &mut wire, FlushCompress::Finish)
            .expect("compress");
        let mut i = Inflater::new(false);
        let mut out = Vec::new();
        i.inflate(&wire, &mut out, 100).expect("inflate");
        i.finish(wire.len() as u64, &mut out, 100).expect("finish");
        assert_eq!(out, b"abc");
    }
}
