//! The bytes waiting for the socket, in order, without moving them around:
//! frames packed back to back in one reused buffer (many frames, one
//! write), and large payloads in the memory they arrived in.
//!
//! A large payload that nobody else holds (`--whole`, a long line that
//! filled its own read) is masked in place (if we mask) and written from
//! there, so a 64 MiB message is never copied into a send buffer: it exists
//! once on the way out. Partial writes only advance an offset. No I/O happens here
//! except in [`SendQueue::write_to`].

use super::frame::apply_mask;
use std::collections::VecDeque;
use std::io::{self, Write};
use tungstenite::Bytes;

/// Payloads at least this long are sent from their own memory when they
/// can be taken over; shorter ones are copied into the packing buffer.
pub(crate) const LARGE: usize = 64 * 1024;

/// See the module documentation.
#[derive(Default)]
pub(crate) struct SendQueue {
    /// What to write, in order.
    pieces: VecDeque<Piece>,
    /// Bytes of the front piece already written.
    written: usize,
    /// Bytes queued and not yet written.
    queued: usize,
    /// An emptied packing buffer, kept so that packing does not allocate.
    spare: Vec<u8>,
}

struct Piece {
    bytes: Vec<u8>,
    /// A packing buffer (more frames may be appended) rather than one
    /// payload in its own memory.
    packed: bool,
}

impl SendQueue {
    /// Bytes queued and not yet written.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// The packing buffer at the back of the queue, to append frames to;
    /// call [`SendQueue::appended`] with how much was added.
    pub(crate) fn packing(&mut self) -> &mut Vec<u8> {
        if !self.pieces.back().is_some_and(|p| p.packed) {
            let bytes = std::mem::take(&mut self.spare);
            self.pieces.push_back(Piece {
                bytes,
                packed: true,
            });
        }
        match self.pieces.back_mut() {
            Some(p) => &mut p.bytes,
            None => unreachable!("a packing buffer was just pushed"),
        }
    }

    /// Account for `n` bytes appended to [`SendQueue::packing`].
    pub(crate) fn appended(&mut self, n: usize) {
        self.queued += n;
    }

    /// Queue `payload` after what is queued, masked with `key` when given
    /// (a client's): in place when nobody else holds it, otherwise copied
    /// once.
    pub(crate) fn push_payload(&mut self, payload: Bytes, key: Option<[u8; 4]>) {
        let mut bytes = payload
            .try_into_mut()
            .map(Vec::from)
            .unwrap_or_else(|shared| shared.to_vec());
        if let Some(key) = key {
            apply_mask(&mut bytes, key);
        }
        self.queued += bytes.len();
        self.pieces.push_back(Piece {
            bytes,
            packed: false,
        });
    }

    /// Write queued bytes to `w` until the queue is empty (Ok) or `w`
    /// would block (WouldBlock, the rest still queued).
    pub(crate) fn write_to(&mut self, w: &mut impl Write) -> io::Result<()> {
        while let Some(front) = self.pieces.front() {
            let rest = &front.bytes[self.written..];
            if !rest.is_empty() {
                let n = match w.write(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.written += n;
                self.queued -= n;
                if n < rest.len() {
                    continue;
                }
            }
            self.written = 0;
            if let Some(Piece {
                mut bytes,
                packed: true,
            }) = self.pieces.pop_front()
            {
                // Keep one buffer for the next frames, unless a burst made
                // it large: memory stays bounded by what is queued.
                if bytes.capacity() <= 4 * LARGE && bytes.capacity() > self.spare.capacity() {
                    bytes.clear();
                    self.spare = bytes;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes at most `step` bytes per call and blocks every other call.
    struct Choppy {
        out: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl Write for Choppy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.step);
            self.out.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pieces_keep_their_order_through_partial_and_blocked_writes() {
        let key = [1, 2, 3, 4];
        let big = vec![7u8; LARGE + 5];
        let shared = Bytes::from(vec![9u8; LARGE]);
        let keep = shared.clone(); // held elsewhere: copied, not masked in place
        let mut q = SendQueue::default();
        q.packing().extend_from_slice(b"head1");
        q.appended(5);
        q.push_payload(Bytes::from(big.clone()), Some(key));
        q.packing().extend_from_slice(b"head2");
        q.appended(5);
        q.push_payload(shared, Some(key));
        q.packing().extend_from_slice(b"tail");
        q.appended(4);
        let total = q.queued();
        let mut w = Choppy {
            out: Vec::new(),
            step: 1000,
            calls: 0,
        };
        while let Err(e) = q.write_to(&mut w) {
            assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        }
        assert_eq!((q.queued(), w.out.len()), (0, total));
        let mut expect = b"head1".to_vec();
        let mut masked = big;
        apply_mask(&mut masked, key);
        expect.extend_from_slice(&masked);
        expect.extend_from_slice(b"head2");
        let mut masked = vec![9u8; LARGE];
        apply_mask(&mut masked, key);
        expect.extend_from_slice(&masked);
        expect.extend_from_slice(b"tail");
        assert!(w.out == expect, "bytes out of order or damaged");
        assert!(
            keep.iter().all(|&b| b == 9),
            "a shared payload is left alone"
        );
    }
}
