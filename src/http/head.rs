//! Reading a head (request or response) off a stream until it is complete:
//! the one loop that keeps the size limit and the deadline, and the
//! [`HeadError`] it reports. Parsing is the caller's (`request.rs`,
//! `response.rs`); this file knows no header.

use super::{MAX_HEAD, ReadTimeout, is_timeout, remaining};
use std::io;
use std::time::Instant;

/// Why no complete head could be read. Each variant keeps what arrived, so
/// that a caller can show it.
#[derive(Debug)]
pub enum HeadError {
    /// The bytes are not an HTTP head of the kind expected.
    NotHttp {
        /// What the parser said.
        reason: String,
        /// The first bytes (at most 512).
        received: Vec<u8>,
    },
    /// More than [`MAX_HEAD`] bytes came without the end of the head.
    TooLarge {
        /// Everything read.
        received: Vec<u8>,
    },
    /// The deadline passed first.
    TimedOut {
        /// What had arrived (empty: nothing at all).
        received: Vec<u8>,
    },
    /// The peer closed (or reset) the connection first.
    Closed {
        /// What had arrived.
        received: Vec<u8>,
    },
    /// Reading failed otherwise.
    Io(io::Error),
}

/// A complete head and everything read up to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<H> {
    /// The parsed head.
    pub head: H,
    /// The bytes read: the head, then whatever came in the same reads.
    pub bytes: Vec<u8>,
    /// The length of the head within `bytes` (the empty line included).
    pub len: usize,
}

impl<H> Received<H> {
    /// The head as it came on the wire.
    pub fn raw_head(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The bytes that came after the head in the same reads.
    pub fn rest(&self) -> &[u8] {
        &self.bytes[self.len..]
    }
}

/// What a head parser returns: the head and its length once complete,
/// None while more is needed.
pub(super) type Parsed<H> = Result<Option<(usize, H)>, HeadError>;

/// Read from `s` until `parse` finds a complete head, at most [`MAX_HEAD`]
/// bytes and never past `deadline`. With `exact`, a byte at a time, so that
/// nothing after the head is taken from the stream (a tunnel's first
/// bytes belong to whoever uses it next); otherwise in chunks, the surplus
/// returned in [`Received::bytes`].
pub(super) fn read_head<S, H>(
    s: &mut S,
    deadline: Instant,
    exact: bool,
    parse: fn(&[u8]) -> Parsed<H>,
) -> Result<Received<H>, HeadError>
where
    S: ReadTimeout + ?Sized,
{
    let mut buf = Vec::with_capacity(if exact { 256 } else { 4096 });
    let mut chunk = [0u8; 8192];
    let want = if exact { 1 } else { chunk.len() };
    loop {
        let Some(left) = remaining(deadline) else {
            return Err(HeadError::TimedOut { received: buf });
        };
        s.set_read_timeout(Some(left)).ok();
        let n = match s.read(&mut chunk[..want]) {
            Ok(0) => return Err(HeadError::Closed { received: buf }),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted || is_timeout(&e) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                return Err(HeadError::Closed { received: buf });
            }
            Err(e) => return Err(HeadError::Io(e)),
        };
        buf.extend_from_slice(&chunk[..n]);
        // A byte at a time, parse at line ends (and at the start, to refuse
        // a non-HTTP reply early) rather than after every byte: a head can
        // only end at a line end.
        if (!exact || chunk[0] == b'\n' || buf.len() <= 5)
            && let Some((len, head)) = parse(&buf)?
        {
            return Ok(Received {
                head,
                bytes: buf,
                len,
            });
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::TooLarge { received: buf });
        }
    }
}
