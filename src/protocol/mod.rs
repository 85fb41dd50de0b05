//! wsprobe's WebSocket protocol engine (RFC 6455, with RFC 7692
//! permessage-deflate): a [`Connection`] over any `Read + Write` stream,
//! offering the operations the session uses (read a message, queue a
//! message, flush, close) with tungstenite's `Message` as the message type.
//! It plays either [`Role`]: wsprobe itself is a client; the server end
//! lets tests (and a server side) play the peer with the same code.
//!
//! tungstenite 0.30 refuses every RSV bit, so it cannot carry
//! permessage-deflate; this engine replaces its message layer for every
//! connection, compressed or not (one code path). The work is split in
//! four: [`frame`] holds the frame layer's rules (bits, lengths, masking,
//! UTF-8, limits, violations; a leaf that others may use), [`decode`] turns
//! received bytes into messages and judges every rule, [`encode`] turns
//! messages into frames, [`deflate`] negotiates and compresses. All are
//! free of I/O, so tests and fuzz targets drive them directly; this module
//! only moves bytes between them and the stream.
//!
//! Reading reports what the peer did wrong as a [`Violation`],
//! which names the rule and our close code; writing fails only the ways
//! tungstenite's writes fail, so it keeps `tungstenite::Error` (a write that
//! would block has queued the message: never send it again). Pings are
//! answered and a Close is answered with the same code and reason, as the
//! bytes are read; the answers go out with the next `flush`.

pub mod decode;
pub mod deflate;
pub mod encode;
pub mod frame;
mod sendq;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod role_tests;

use decode::{Decoder, Incoming, Limits};
use deflate::DeflateParams;
use encode::Encoder;
use frame::{Opcode, Role, Violation};
use sendq::SendQueue;
use std::io::{self, Read, Write};
use tungstenite::protocol::CloseFrame;
use tungstenite::{Bytes, Message};

/// Bytes asked of the stream per read.
const READ_CHUNK: usize = 64 * 1024;
/// `write` pushes queued bytes to the stream once this many wait.
const WRITE_THRESHOLD: usize = 128 * 1024;
/// While this many bytes wait to be written, a ping is answered only by the
/// most recent pong (section 5.5.3 allows it), so a peer that sends pings
/// but does not read cannot grow our memory.
const PONG_BACKLOG: usize = 1024 * 1024;

/// How far the close handshake has gone (section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent Close and wait for the peer's.
    CloseSent,
    /// The peer sent Close and we answered.
    CloseReceived,
    /// Both Close frames have passed.
    Closed,
}

/// Why a read returned no message.
#[derive(Debug)]
pub enum ReadError {
    /// The stream failed, or would block (`WouldBlock`: try again when
    /// readable; everything read so far is kept).
    Io(io::Error),
    /// The stream ended (EOF) without completing the close handshake.
    Eof,
    /// The peer broke a rule; close with [`Violation::close_code`].
    Violation(Violation),
    /// The close handshake has completed: nothing more to read.
    Closed,
}

/// Compression of one message, for `-vv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    /// The message's size.
    pub size: u64,
    /// Its size on the wire, compressed.
    pub wire: u64,
}

/// What a connection is set up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// What the decoder accepts.
    pub limits: Limits,
    /// permessage-deflate, when the handshake agreed it.
    pub deflate: Option<DeflateParams>,
    /// Masking keys from the system's random source (false: a fixed key,
    /// for byte-exact tests; never on a real connection).
    pub random_masks: bool,
    /// Which end we are: whether we mask and require the peer's masking
    /// (section 5.1), and which side's deflate parameters are ours.
    pub role: Role,
}

/// A WebSocket connection, either end, over `stream`; see the module
/// documentation.
pub struct Connection<S> {
    stream: S,
    decoder: Decoder,
    encoder: Encoder,
    settings: Settings,
    state: State,
    /// Received bytes; `rbuf[rpos..rlen]` is not decoded yet.
    rbuf: Vec<u8>,
    rpos: usize,
    rlen: usize,
    /// Bytes to send, in order (see sendq.rs).
    out: SendQueue,
    /// The pong to send once the backlog drains (see [`PONG_BACKLOG`]).
    late_pong: Option<Bytes>,
    masks: Masks,
    /// Compression of the last message read or written, for `-vv`.
    compression: Option<Compression>,
}

impl<S: Read + Write> Connection<S> {
    /// A connection on a stream whose handshake is done; `early` holds
    /// bytes read together with the handshake response.
    pub fn new(stream: S, early: Vec<u8>, settings: Settings) -> Connection<S> {
        Connection {
            stream,
            decoder: Decoder::with_role(settings.limits, settings.deflate.as_ref(), settings.role),
            encoder: Encoder::with_role(settings.deflate.as_ref(), settings.role),
            settings,
            state: State::Open,
            rlen: early.len(),
            rbuf: early,
            rpos: 0,
            out: SendQueue::default(),
            late_pong: None,
            masks: Masks::new(settings.random_masks),
            compression: None,
        }
    }

    /// Read the next message. Pings are answered and the peer's Close
    /// is answered (or ends our close handshake) before it is returned.
    // Inlined into the session's read loop, with the decoder's header and
    // payload steps: 1.3% of the streaming workload's instructions.
    #[inline(always)]
    pub fn read(&mut self) -> Result<Message, ReadError> {
        loop {
            if matches!(self.state, State::Closed | State::CloseReceived) {
                return Err(ReadError::Closed);
            }
            if self.rpos < self.rlen {
                let (used, result) = self.decoder.decode(&self.rbuf[self.rpos..self.rlen]);
                self.rpos += used;
                match result {
                    Ok(Some(incoming)) => return Ok(self.received(incoming)),
                    Ok(None) => {}
                    Err(v) => return Err(ReadError::Violation(v)),
                }
            }
            self.fill()?;
        }
    }

    /// Read more bytes into the buffer, all of which has been decoded.
    fn fill(&mut self) -> Result<(), ReadError> {
        (self.rpos, self.rlen) = (0, 0);
        if self.rbuf.len() < READ_CHUNK {
            self.rbuf.resize(READ_CHUNK, 0);
        }
        let n = loop {
            match self.stream.read(&mut self.rbuf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        };
        self.rlen = n;
        if n == 0 {
            return Err(ReadError::Eof);
        }
        Ok(())
    }

    /// What a message read asks of the connection: nothing but clearing
    /// the last compression for an uncompressed data message (inlined:
    /// a call per message cost 3% of the streaming workload, cachegrind).
    #[inline(always)]
    fn received(&mut self, incoming: Incoming) -> Message {
        match (&incoming.message, incoming.compressed) {
            (Message::Text(_) | Message::Binary(_), None) => {
                self.compression = None;
                incoming.message
            }
            _ => self.received_other(incoming),
        }
    }

    /// A compressed message, or a control message: the compression noted,
    /// a ping answered, a Close answered or the close handshake ended.
    fn received_other(&mut self, incoming: Incoming) -> Message {
        self.compression = incoming.compressed.map(|wire| Compression {
            size: match &incoming.message {
                Message::Text(t) => t.len() as u64,
                Message::Binary(b) => b.len() as u64,
                _ => 0,
            },
            wire,
        });
        match &incoming.message {
            Message::Ping(p) if self.state == State::Open => {
                if self.out.queued() > PONG_BACKLOG {
                    self.late_pong = Some(p.clone());
                } else {
                    // Encoding a pong cannot fail: no compression, no I/O.
                    let _ = self.queue(&Message::Pong(p.clone()));
                }
            }
            Message::Close(frame) => match self.state {
                State::Open => {
                    self.state = State::CloseReceived;
                    // Section 5.5.1: answer with the code we received.
                    let _ = self.queue(&Message::Close(frame.clone()));
                }
                State::CloseSent => self.state = State::Closed,
                State::CloseReceived | State::Closed => {}
            },
            _ => {}
        }
        incoming.message
    }

    /// Queue a message; push queued bytes to the stream once enough wait.
    /// `WouldBlock` means the message is queued but the stream is full.
    pub fn write(&mut self, msg: Message) -> tungstenite::Result<()> {
        if let Message::Close(frame) = msg {
            return self.close(frame);
        }
        if self.state != State::Open {
            return Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::SendAfterClosing,
            ));
        }
        let encoded = self.queue_owned(msg)?;
        self.compression = encoded.compressed.map(|(size, wire)| Compression {
            size: size as u64,
            wire: wire as u64,
        });
        if self.out.queued() >= WRITE_THRESHOLD {
            self.flush()?;
        }
        Ok(())
    }

    /// Queue a message we own. A large data payload sent uncompressed goes
    /// out from its own memory, masked in place if we mask (see sendq.rs):
    /// a 64 MiB message is not copied into a send buffer.
    fn queue_owned(&mut self, msg: Message) -> io::Result<encode::Encoded> {
        if self.encoder.compresses() {
            return self.queue(&msg);
        }
        let (opcode, payload) = match msg {
            Message::Binary(b) if b.len() >= sendq::LARGE => (Opcode::Binary, b),
            Message::Text(t) if t.len() >= sendq::LARGE => (Opcode::Text, Bytes::from(t)),
            other => return self.queue(&other),
        };
        let mask = self.mask()?;
        let out = self.out.packing();
        let before = out.len();
        encode::write_header(opcode, payload.len(), mask, out);
        let head = out.len() - before;
        self.out.appended(head);
        let len = payload.len();
        self.out.push_payload(payload, mask);
        Ok(encode::Encoded {
            bytes: head + len,
            compressed: None,
        })
    }

    fn queue(&mut self, msg: &Message) -> io::Result<encode::Encoded> {
        let mask = self.mask()?;
        let encoded = self.encoder.encode(msg, mask, self.out.packing())?;
        self.out.appended(encoded.bytes);
        Ok(encoded)
    }

    /// The key for our next frame: a fresh one for a client, none for a
    /// server (section 5.1).
    fn mask(&mut self) -> io::Result<Option<[u8; 4]>> {
        if self.settings.role.masks() {
            self.masks.next().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Start the close handshake (once): queue our Close and flush.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> tungstenite::Result<()> {
        if self.state == State::Open {
            self.queue(&Message::Close(frame))?;
            self.state = State::CloseSent;
        }
        self.flush()
    }

    /// Write everything queued. `WouldBlock` leaves the rest queued.
    pub fn flush(&mut self) -> tungstenite::Result<()> {
        loop {
            self.out.write_to(&mut self.stream)?;
            match self.late_pong.take() {
                Some(p) if self.state == State::Open => {
                    self.queue(&Message::Pong(p))?;
                }
                _ => break,
            }
        }
        self.stream.flush()?;
        Ok(())
    }

    /// Bytes queued and not yet written to the stream: what a peer that
    /// does not read costs us (listen mode bounds it per client).
    pub fn queued(&self) -> usize {
        self.out.queued()
    }

    /// How far the close handshake has gone.
    pub fn state(&self) -> State {
        self.state
    }

    /// The permessage-deflate parameters in use, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.settings.deflate.as_ref()
    }

    /// The compression of the last message read or written, if it was
    /// compressed; taken once.
    pub fn take_compression(&mut self) -> Option<Compression> {
        self.compression.take()
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }
}

/// Bytes of masking keys drawn from the system at a time: 1,024 keys per
/// getrandom(2). With 256 bytes a stream of small messages made one system
/// call per 64 messages (3,130 for 200,000 lines).
const MASK_POOL: usize = 4096;

/// Masking keys (section 5.3: unpredictable, one per frame), drawn from
/// the system's random source a batch at a time.
struct Masks {
    random: Option<ring::rand::SystemRandom>,
    pool: Box<[u8; MASK_POOL]>,
    at: usize,
}

impl Masks {
    fn new(random: bool) -> Masks {
        Masks {
            random: random.then(ring::rand::SystemRandom::new),
            pool: Box::new([0; MASK_POOL]),
            at: MASK_POOL,
        }
    }

    fn next(&mut self) -> io::Result<[u8; 4]> {
        let Some(rng) = &self.random else {
            return Ok([0x9d, 0x1f, 0x03, 0xaa]);
        };
        if self.at == self.pool.len() {
            ring::rand::SecureRandom::fill(rng, &mut self.pool[..])
                .map_err(|_| io::Error::other("the system's random source failed"))?;
            self.at = 0;
        }
        let k = [
            self.pool[self.at],
            self.pool[self.at + 1],
            self.pool[self.at + 2],
            self.pool[self.at + 3],
        ];
        self.at += 4;
        Ok(k)
    }
}
