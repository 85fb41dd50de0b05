//! The probes' connections: a stream opened by [`net::open`] (so proxies,
//! TLS, --resolve, --connect-to and unix sockets apply), an upgrade request
//! built by [`handshake::build_request`] and edited where a probe breaks it
//! on purpose, the response read by [`http::read_response`], then the
//! protocol engine ([`Connection`]) for what the server sends, with raw
//! frames written beside it for what a probe sends wrong.
//!
//! Every read and write is bounded by the probe's deadline ([`Bounded`]):
//! a server that says nothing, or trickles bytes, costs the probe its
//! budget and no more. Nothing here judges: the probes do.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::event::{CertInfo, Emit, Event};
use crate::handshake;
use crate::http::{self, ReadTimeout, ResponseHead};
use crate::net::{self, Stream};
use crate::protocol::decode::Limits;
use crate::protocol::deflate::{self, DeflateParams};
use crate::protocol::frame::{FirstByte, Header, Opcode, Role, apply_mask};
use crate::protocol::{Connection, ReadError, Settings};
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};
use tungstenite::Message;

/// A stream whose every read and write ends by a deadline.
pub struct Bounded {
    stream: Stream,
    /// When the probe's budget runs out.
    pub deadline: Instant,
}

impl Bounded {
    fn budget(&self) -> io::Result<Duration> {
        crate::deadline::remaining(self.deadline)
            .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget()?;
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.budget()?;
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        let left = self.budget()?;
        self.stream.set_write_timeout(Some(left))?;
        self.stream.flush()
    }
}

impl ReadTimeout for Bounded {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        // The deadline bounds every read anyway; a shorter wait may stand.
        let left = self.budget()?;
        self.stream
            .set_read_timeout(Some(t.map_or(left, |t| t.min(left))))
    }
}

/// What the connection phase showed about TLS, recorded from its events.
#[derive(Debug, Default, Clone)]
pub struct TlsSeen {
    /// "TLS 1.3" and the suite, when TLS was spoken with the server.
    pub version: Option<(String, String)>,
    /// The chain the server presented, leaf first.
    pub chain: Vec<CertInfo>,
    /// What verification would have said, when -k skipped it.
    pub skipped: Option<String>,
}

impl Emit for TlsSeen {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        match ev {
            Event::TlsEstablished {
                version,
                suite,
                proxy: false,
                ..
            } => self.version = Some((version.to_string(), suite.to_string())),
            Event::TlsChain { certs } => self.chain = certs.to_vec(),
            Event::TlsVerificationSkipped { problem } => self.skipped = Some(problem.to_string()),
            _ => {}
        }
        Ok(())
    }
}

/// The configuration a probe connects with: the user's, its waits cut to
/// the probe's budget, compression offered or not as the probe needs.
pub fn probe_config(cfg: &Config, deadline: Instant, compress: bool) -> Config {
    let mut c = cfg.clone();
    let left = crate::deadline::remaining(deadline).unwrap_or(Duration::from_millis(1));
    c.connect_timeout = c.connect_timeout.min(left);
    c.handshake_timeout = c.handshake_timeout.min(left);
    c.compress = compress;
    c
}

/// The answer to an upgrade request.
pub struct Answer {
    /// The response head.
    pub head: ResponseHead,
    /// Bytes after the head (frames sent with the 101).
    pub rest: Vec<u8>,
    /// From the request's first byte to the end of the head.
    pub took: Duration,
    /// The stream, to go on with.
    pub stream: Bounded,
}

/// Connect (events to `seen`) and send `request`; read the answer's head.
/// A failure to connect is the usual typed error; so is a head that cannot
/// be read.
pub fn ask(cfg: &Config, request: &[u8], deadline: Instant, seen: &mut dyn Emit) -> Result<Answer> {
    let (stream, _) = net::open(cfg, seen)?;
    let mut stream = Bounded { stream, deadline };
    let start = Instant::now();
    let timeout = |kind| Error::Timeout {
        kind,
        after: cfg.handshake_timeout,
    };
    handshake::send_request(&mut stream, request, &timeout)?;
    let got = http::read_response(&mut stream, deadline)
        .map_err(|e| handshake::head_error(e, &stream.stream, &timeout))?;
    let took = start.elapsed();
    Ok(Answer {
        rest: got.rest().to_vec(),
        head: got.head,
        took,
        stream,
    })
}

/// The upgrade request of `cfg`, with `edit` applied to its header lines
/// (each without its CRLF): a probe drops or changes one.
pub fn request_with(cfg: &Config, edit: &dyn Fn(&str) -> Option<String>) -> Result<Vec<u8>> {
    let (raw, _) = handshake::build_request(cfg)?;
    let text = String::from_utf8_lossy(&raw);
    let mut out = String::with_capacity(raw.len());
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if let Some(l) = edit(line) {
            out.push_str(&l);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    Ok(out.into_bytes())
}

/// An open WebSocket for a probe.
pub struct Ws {
    /// The engine, reading what the server sends (and answering its pings
    /// and its Close).
    pub conn: Connection<Bounded>,
    /// What the handshake agreed, when permessage-deflate was.
    pub deflate: Option<DeflateParams>,
    /// An extension answer that could not be agreed (the extensions probe
    /// says why), as received.
    pub refused_extensions: Option<String>,
}

/// How a wait for the server's next message ended.
#[derive(Debug)]
pub enum Next {
    /// A message (data, ping, pong).
    Message(Message),
    /// A Close, with its code and reason (None: no code).
    Close(Option<(u16, String)>),
    /// The stream ended without a Close.
    Eof,
    /// The connection was reset or failed.
    Broken(io::Error),
    /// The deadline passed.
    Timeout,
    /// The server broke a rule of RFC 6455.
    Violation(crate::protocol::frame::Violation),
}

impl Ws {
    /// Open a WebSocket: connect, upgrade with `cfg`'s request, require a
    /// 101 (its other details are the handshake probe's to judge).
    pub fn open(cfg: &Config, deadline: Instant) -> Result<Ws> {
        let cfg = probe_config(cfg, deadline, cfg.compress);
        let (request, _) = handshake::build_request(&cfg)?;
        let a = ask(&cfg, &request, deadline, &mut TlsSeen::default())?;
        if a.head.status != 101 {
            return Err(handshake::rejected(a.head, Vec::new(), false));
        }
        // What was agreed is the deflate probe's to judge; a refused answer
        // leaves the engine without compression.
        let offers: Vec<&str> = http::values(&a.head.headers, "Sec-WebSocket-Extensions").collect();
        let (deflate, refused) = match deflate::negotiate(&offers, cfg.compress) {
            Ok(d) => (d, None),
            Err(_) => (None, Some(offers.join(", "))),
        };
        let mut ws = Ws::on(a.stream, a.rest, deflate, &cfg);
        ws.refused_extensions = refused;
        Ok(ws)
    }

    /// The engine on an upgraded stream.
    pub fn on(stream: Bounded, early: Vec<u8>, deflate: Option<DeflateParams>, cfg: &Config) -> Ws {
        let settings = Settings {
            limits: Limits {
                max_message: cfg.max_message_size,
                max_frame: cfg.max_frame_size,
            },
            deflate,
            random_masks: true,
            role: Role::Client,
        };
        Ws {
            conn: Connection::new(stream, early, settings),
            deflate,
            refused_extensions: None,
        }
    }

    /// Move the deadline (a probe's next step gets its own budget).
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.conn.get_mut().deadline = deadline;
    }

    /// The current deadline.
    pub fn deadline(&self) -> Instant {
        self.conn.get_ref().deadline
    }

    /// Send a message through the engine.
    pub fn send(&mut self, msg: Message) -> io::Result<()> {
        self.conn
            .write(msg)
            .and_then(|()| self.conn.flush())
            .map_err(io::Error::other)
    }

    /// Send one frame as given, masked with a fresh key or not at all:
    /// what the engine would refuse to send. Whatever the engine queued
    /// (a pong) goes first.
    pub fn send_frame(&mut self, first: FirstByte, payload: &[u8], mask: bool) -> io::Result<()> {
        self.conn.flush().map_err(io::Error::other)?;
        let key = if mask { Some(random_key()) } else { None };
        let (h, n) = Header::encode(first, payload.len() as u64, key);
        let mut bytes = Vec::with_capacity(n + payload.len());
        bytes.extend_from_slice(&h[..n]);
        let at = bytes.len();
        bytes.extend_from_slice(payload);
        if let Some(k) = key {
            apply_mask(&mut bytes[at..], k);
        }
        let s = self.conn.get_mut();
        s.write_all(&bytes)?;
        s.flush()
    }

    /// Wait (until the deadline) for what the server sends next. The
    /// engine's answers (a pong, the Close echoed) are flushed first.
    pub fn next(&mut self) -> Next {
        let got = self.conn.read();
        let _ = self.conn.flush();
        match got {
            Ok(Message::Close(frame)) => {
                Next::Close(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
            }
            Ok(m) => Next::Message(m),
            Err(ReadError::Eof) | Err(ReadError::Closed) => Next::Eof,
            Err(ReadError::Io(e)) if crate::deadline::is_timeout(&e) => Next::Timeout,
            Err(ReadError::Io(e)) => Next::Broken(e),
            Err(ReadError::Violation(v)) => Next::Violation(v),
        }
    }

    /// The next data message, skipping pings and pongs.
    pub fn next_data(&mut self) -> Next {
        loop {
            match self.next() {
                Next::Message(Message::Ping(_) | Message::Pong(_)) => {}
                other => return other,
            }
        }
    }
}

/// A final frame of `opcode`, RSV bits clear.
pub fn fin(opcode: Opcode) -> FirstByte {
    FirstByte {
        fin: true,
        rsv: [false; 3],
        opcode,
    }
}

/// A masking key from the system's random source (section 5.3); a fixed
/// one if that fails (the probes' frames are tests, not secrets).
fn random_key() -> [u8; 4] {
    use ring::rand::SecureRandom;
    let mut k = [0x5a, 0x17, 0xc3, 0x9e];
    let _ = ring::rand::SystemRandom::new().fill(&mut k);
    k
}
