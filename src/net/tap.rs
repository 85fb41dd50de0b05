//! A `Read`/`Write` wrapper that shows the plaintext bytes passing the
//! socket to a frame decoder per direction (`wire.rs`), for `-vv` traces,
//! `--json` frame events and the facts of a protocol failure.
//!
//! Without a tracer it only forwards calls: the hot path pays one branch.
//! Decoded frames wait in a queue that the session drains and turns into
//! events; the tap itself never emits or prints.

use crate::wire::{Decoder, FrameInfo};
use std::io::{self, Read, Write};

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From us to the server.
    Sent,
    /// From the server to us.
    Received,
}

/// The two decoders and the frames they finished.
#[derive(Debug)]
pub struct Tracer {
    sent: Decoder,
    received: Decoder,
    /// Queue every frame (for a trace) rather than only received Close frames.
    full: bool,
    frames: Vec<(Direction, FrameInfo)>,
    scratch: Vec<FrameInfo>,
    /// The opcode of the last frame the server began, complete or not.
    last_received_opcode: Option<u8>,
    /// The last Close frame the server sent.
    last_close: Option<FrameInfo>,
}

impl Tracer {
    /// A tracer for a full trace, keeping `preview` bytes of each payload.
    pub fn full(preview: usize) -> Tracer {
        Tracer::build(Decoder::new(preview), true)
    }

    /// A cheap tracer that only keeps the server's Close frames and the
    /// opcode of its last frame: enough to report what a failing server
    /// really sent.
    pub fn light() -> Tracer {
        Tracer::build(Decoder::with_text_check(0, false), false)
    }

    fn build(received: Decoder, full: bool) -> Tracer {
        Tracer {
            sent: Decoder::with_text_check(if full { received.preview() } else { 0 }, false),
            received,
            full,
            frames: Vec::new(),
            scratch: Vec::new(),
            last_received_opcode: None,
            last_close: None,
        }
    }

    fn feed(&mut self, dir: Direction, bytes: &[u8]) {
        if dir == Direction::Sent && !self.full {
            return;
        }
        let d = match dir {
            Direction::Sent => &mut self.sent,
            Direction::Received => &mut self.received,
        };
        d.feed(bytes, &mut self.scratch);
        if dir == Direction::Received {
            if let Some(f) = self.received.partial() {
                self.last_received_opcode = Some(f.opcode);
            }
            for f in &self.scratch {
                self.last_received_opcode = Some(f.opcode);
                if f.opcode == 0x8 {
                    self.last_close = Some(f.clone());
                }
            }
        }
        if self.full {
            self.frames.extend(self.scratch.drain(..).map(|f| (dir, f)));
        } else {
            self.scratch.clear();
        }
    }
}

/// A stream with an optional tracer.
pub struct Tap<S> {
    inner: S,
    tracer: Option<Tracer>,
}

impl<S> Tap<S> {
    /// Wrap `inner`; trace only when `tracer` is given.
    pub fn new(inner: S, tracer: Option<Tracer>) -> Tap<S> {
        Tap { inner, tracer }
    }

    /// Report bytes that arrived before the tap was in place (frames read
    /// together with the 101 response).
    pub fn saw_received(&mut self, bytes: &[u8]) {
        if let Some(t) = &mut self.tracer {
            t.feed(Direction::Received, bytes);
        }
    }

    /// The frames decoded since the last call, in the order they completed.
    pub fn take_frames(&mut self) -> Vec<(Direction, FrameInfo)> {
        match &mut self.tracer {
            Some(t) if !t.frames.is_empty() => std::mem::take(&mut t.frames),
            _ => Vec::new(),
        }
    }

    /// The queued frames up to and including the first received frame that
    /// completes a message (a control frame, or a data frame with FIN): the
    /// frames behind the one message the protocol engine just returned.
    /// Later frames stay queued, so the trace does not depend on how the
    /// bytes were cut into reads.
    pub fn take_frames_of_one_message(&mut self) -> Vec<(Direction, FrameInfo)> {
        let Some(t) = &mut self.tracer else {
            return Vec::new();
        };
        let end = t
            .frames
            .iter()
            .position(|(d, f)| *d == Direction::Received && (f.fin || f.is_control()))
            .map_or(t.frames.len(), |i| i + 1);
        t.frames.drain(..end).collect()
    }

    /// The received frame cut short, if the stream stopped inside one.
    pub fn partial_received(&self) -> Option<FrameInfo> {
        self.tracer.as_ref().and_then(|t| t.received.partial())
    }

    /// The last Close frame the server sent, as it was on the wire.
    pub fn last_close(&self) -> Option<&FrameInfo> {
        self.tracer.as_ref().and_then(|t| t.last_close.as_ref())
    }

    /// The opcode of the last frame the server began.
    pub fn last_received_opcode(&self) -> Option<u8> {
        self.tracer.as_ref().and_then(|t| t.last_received_opcode)
    }

    /// True when every frame is queued for a trace.
    pub fn tracing(&self) -> bool {
        self.tracer.as_ref().is_some_and(|t| t.full)
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S: Read> Read for Tap<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(t) = &mut self.tracer {
            t.feed(Direction::Received, &buf[..n]);
        }
        Ok(n)
    }
}

impl<S: Write> Write for Tap<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(t) = &mut self.tracer {
            t.feed(Direction::Sent, &buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_decoded_in_both_directions_only_when_tracing() {
        let mut tap = Tap::new(
            io::Cursor::new(vec![0x81, 2, b'h', b'i']),
            Some(Tracer::full(8)),
        );
        let mut buf = [0u8; 16];
        assert_eq!(tap.read(&mut buf).expect("read"), 4);
        let frames = tap.take_frames();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, Direction::Received);
        assert_eq!(frames[0].1.preview, b"hi");
        assert!(tap.take_frames().is_empty());

        let mut plain = Tap::new(io::Cursor::new(vec![0x81, 0]), None);
        assert_eq!(plain.read(&mut buf).expect("read"), 2);
        assert!(plain.take_frames().is_empty() && !plain.tracing());

        // The light tracer keeps only the server's Close, as sent.
        let close = vec![0x81, 1, b'x', 0x88, 2, 0x03, 0xed];
        let mut light = Tap::new(io::Cursor::new(close), Some(Tracer::light()));
        assert_eq!(light.read(&mut buf).expect("read"), 7);
        assert!(light.take_frames().is_empty());
        let c = light.last_close().expect("close seen");
        assert_eq!(c.close(), Some((Some(1005), &[][..])));
        assert_eq!(light.last_received_opcode(), Some(8));
    }
}
