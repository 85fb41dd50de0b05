//! A `Read`/`Write` wrapper that shows the plaintext bytes passing the
//! socket to a frame decoder per direction (`wire.rs`), for `-vv` traces
//! and `--json` frame events.
//!
//! Without a tracer it only forwards calls: the hot path pays one branch.
//! Decoded frames wait in a queue that the session drains and turns into
//! events; the tap itself never emits or prints.

use crate::event::{Direction, FrameInfo};
use crate::wire::Decoder;
use std::io::{self, Read, Write};

/// The two decoders and the frames they finished.
#[derive(Debug)]
pub struct Tracer {
    sent: Decoder,
    received: Decoder,
    frames: Vec<(Direction, FrameInfo)>,
    scratch: Vec<FrameInfo>,
}

impl Tracer {
    /// A tracer keeping `preview` bytes of each payload. Our own frames are
    /// not checked for UTF-8: the engine wrote them from checked text.
    pub fn full(preview: usize) -> Tracer {
        Tracer {
            sent: Decoder::with_text_check(preview, false),
            received: Decoder::new(preview),
            frames: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn feed(&mut self, dir: Direction, bytes: &[u8]) {
        let d = match dir {
            Direction::Sent => &mut self.sent,
            Direction::Received => &mut self.received,
        };
        d.feed(bytes, &mut self.scratch);
        self.frames.extend(self.scratch.drain(..).map(|f| (dir, f)));
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

    /// True when frames are decoded for a trace.
    pub fn tracing(&self) -> bool {
        self.tracer.is_some()
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
    }
}
