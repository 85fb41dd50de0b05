//! [`CheckServer`]: a WebSocket echo server written by hand for the
//! `--check` tests, strict about RFC 6455 (version 13 only, with 426 and
//! `Sec-WebSocket-Version: 13` otherwise; 400 without a key; every frame
//! rule of section 5 and 8.1 enforced with 1002 or 1007; messages over
//! [`LIMIT`] closed with 1009), with at most ONE [`Defect`] planted. It
//! takes any number of connections (a check opens a dozen), each on its
//! own thread with 10 s socket timeouts, on 127.0.0.1 port 0 (or a unix
//! socket in a temporary directory), until it is dropped. It never uses wsprobe's code: the frame layer is its own.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use super::configure_socket;
use super::raw::{close_payload, frame, response_101};

/// The largest message the server takes (1 MiB, as Python websockets'
/// default); a larger one is closed with 1009.
pub const LIMIT: usize = 1 << 20;

/// The one thing a [`CheckServer`] gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// None: the server is correct.
    None,
    /// Takes unmasked client frames.
    AcceptsUnmasked,
    /// Sends a wrong Sec-WebSocket-Accept.
    WrongAccept,
    /// Ignores RSV bits.
    IgnoresRsv,
    /// Answers a ping with another payload.
    WrongPongPayload,
    /// Drops TCP instead of answering a Close.
    NoCloseAnswer,
    /// Fails the connection with 1000 instead of 1002 or 1007.
    WrongCloseCode,
    /// Chooses the subprotocol "chat" whatever was offered.
    UnofferedSubprotocol,
    /// Upgrades any version (no 426 for version 8).
    AnyVersion,
    /// Takes a text message that is not UTF-8 (and echoes it).
    NoUtf8Check,
    /// Drops TCP, without a Close, on every rule broken.
    DropsOnError,
    /// Upgrades a request without Sec-WebSocket-Key.
    AcceptsNoKey,
    /// Answers the deflate offer with a window of 7 bits (RFC 7692 allows
    /// 8 to 15).
    BadExtension,
    /// Agrees permessage-deflate, inflates what it gets, but echoes with
    /// RSV1 set over bytes that are not deflate data.
    BadDeflate,
    /// Reads messages over 512 KiB but never echoes them (a hang, or a
    /// very slow path).
    SwallowsLarge,
    /// Not a defect: sends nothing back (a server that is not an echo
    /// server; the echo probes must be skipped).
    NoEcho,
}

/// A connection the server can serve: TCP or a unix socket.
trait Conn: Read + Write + Send + 'static {
    /// Close our sending side.
    fn shut_write(&self);
}

impl Conn for TcpStream {
    fn shut_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
}

impl Conn for UnixStream {
    fn shut_write(&self) {
        let _ = self.shutdown(std::net::Shutdown::Write);
    }
}

/// Where it listens.
enum Place {
    Tcp(SocketAddr),
    Unix(PathBuf, tempfile::TempDir),
}

/// The server; see the module documentation.
pub struct CheckServer {
    place: Place,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl CheckServer {
    /// Listen on 127.0.0.1 port 0 with `defect` planted.
    pub fn start(defect: Defect) -> CheckServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        CheckServer::run(Place::Tcp(addr), move |stop, n| {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                n.fetch_add(1, Ordering::SeqCst);
                configure_socket(&conn);
                thread::spawn(move || serve(conn, defect));
            }
        })
    }

    /// Listen on `check.sock` in a new temporary directory.
    pub fn start_unix(defect: Defect) -> CheckServer {
        let dir = tempfile::Builder::new()
            .prefix("wsprobe-check-")
            .tempdir()
            .expect("create the socket directory");
        let path = dir.path().join("check.sock");
        let listener = UnixListener::bind(&path).expect("bind the unix socket");
        CheckServer::run(Place::Unix(path, dir), move |stop, n| {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                n.fetch_add(1, Ordering::SeqCst);
                let _ = conn.set_read_timeout(Some(super::IO_TIMEOUT));
                let _ = conn.set_write_timeout(Some(super::IO_TIMEOUT));
                thread::spawn(move || serve(conn, defect));
            }
        })
    }

    fn run<F>(place: Place, accept: F) -> CheckServer
    where
        F: FnOnce(Arc<AtomicBool>, Arc<AtomicUsize>) + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), connections.clone());
        thread::spawn(move || accept(s, n));
        CheckServer {
            place,
            stop,
            connections,
        }
    }

    /// `ws://127.0.0.1:PORT/` (for a unix socket, `ws://localhost/`).
    pub fn url(&self) -> String {
        match &self.place {
            Place::Tcp(addr) => format!("ws://{addr}/"),
            Place::Unix(..) => "ws://localhost/".into(),
        }
    }

    /// The unix socket's path; panics for a TCP server.
    pub fn socket_path(&self) -> &Path {
        match &self.place {
            Place::Unix(path, _) => path,
            Place::Tcp(addr) => panic!("the CheckServer on {addr} has no unix socket"),
        }
    }

    /// How many connections arrived so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for CheckServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag.
        match &self.place {
            Place::Tcp(addr) => drop(TcpStream::connect(addr)),
            Place::Unix(path, _) => drop(UnixStream::connect(path)),
        }
    }
}

/// One connection: the handshake, then the frame loop.
fn serve<S: Conn>(mut s: S, defect: Defect) {
    let Some(head) = read_head(&mut s) else {
        return;
    };
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut storage);
    if !matches!(req.parse(&head), Ok(httparse::Status::Complete(_))) {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    if header("Sec-WebSocket-Version").as_deref() != Some("13") && defect != Defect::AnyVersion {
        let _ = s.write_all(
            b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
        );
        return;
    }
    let Some(key) =
        header("Sec-WebSocket-Key").or_else(|| (defect == Defect::AcceptsNoKey).then(String::new))
    else {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let key = if defect == Defect::WrongAccept {
        format!("{key}x")
    } else {
        key
    };
    let offered = header("Sec-WebSocket-Protocol");
    let chosen = match defect {
        Defect::UnofferedSubprotocol => Some("chat".to_string()),
        _ => offered.and_then(|o| o.split(',').next().map(|p| p.trim().to_string())),
    };
    let mut extra: Vec<(&str, &str)> = chosen
        .as_deref()
        .map(|c| vec![("Sec-WebSocket-Protocol", c)])
        .unwrap_or_default();
    let deflate_offered =
        header("Sec-WebSocket-Extensions").is_some_and(|e| e.contains("permessage-deflate"));
    let deflate = deflate_offered && defect == Defect::BadDeflate;
    match defect {
        Defect::BadExtension if deflate_offered => extra.push((
            "Sec-WebSocket-Extensions",
            "permessage-deflate; server_max_window_bits=7",
        )),
        Defect::BadDeflate if deflate => {
            extra.push(("Sec-WebSocket-Extensions", "permessage-deflate"))
        }
        _ => {}
    }
    if s.write_all(&response_101(&key, &extra)).is_err() {
        return;
    }
    frames(&mut s, defect, deflate);
}

/// The request head, byte by byte (at most 16 KiB), or None.
fn read_head<S: Conn>(s: &mut S) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || s.read(&mut b).ok()? == 0 {
            return None;
        }
        head.push(b[0]);
    }
    Some(head)
}

/// A frame as read: FIN, RSV bits, opcode, masked, unmasked payload.
struct Frame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    masked: bool,
    payload: Vec<u8>,
}

/// Read one frame; None on EOF, error, or a frame over the limit (the
/// close code to send then is in the Err).
fn read_frame<S: Conn>(s: &mut S) -> Result<Frame, Option<u16>> {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).map_err(|_| None)?;
    let len = match h[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).map_err(|_| None)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).map_err(|_| None)?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    if len > LIMIT as u64 {
        return Err(Some(1009));
    }
    let masked = h[1] & 0x80 != 0;
    let mut key = [0u8; 4];
    if masked {
        s.read_exact(&mut key).map_err(|_| None)?;
    }
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload).map_err(|_| None)?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    Ok(Frame {
        fin: h[0] & 0x80 != 0,
        rsv: (h[0] >> 4) & 0x7,
        opcode: h[0] & 0xf,
        masked,
        payload,
    })
}

/// Echo messages, answer pings and the Close, fail the connection on
/// every rule broken (as the defect allows).
fn frames<S: Conn>(s: &mut S, defect: Defect, deflate: bool) {
    let fail_code = |code: u16| {
        if defect == Defect::WrongCloseCode {
            1000
        } else {
            code
        }
    };
    // With permessage-deflate agreed, RSV1 on a message's first frame means
    // compressed (RFC 7692 6); the inflater keeps its context.
    let mut inflater = flate2::Decompress::new(false);
    let mut message: Option<(u8, bool, Vec<u8>)> = None;
    loop {
        let f = match read_frame(s) {
            Ok(f) => f,
            Err(Some(code)) => return close(s, code),
            Err(None) => return,
        };
        let compressed_start = deflate && f.rsv == 0b100 && matches!(f.opcode, 0x1 | 0x2);
        let broken = (!f.masked && defect != Defect::AcceptsUnmasked)
            || (f.rsv != 0 && defect != Defect::IgnoresRsv && !compressed_start)
            || matches!(f.opcode, 0x3..=0x7 | 0xb..=0xf)
            || (f.opcode >= 0x8 && (!f.fin || f.payload.len() > 125))
            || (f.opcode == 0x0 && message.is_none())
            || (matches!(f.opcode, 0x1 | 0x2) && message.is_some());
        if broken && defect == Defect::DropsOnError {
            return;
        }
        if broken {
            return close(s, fail_code(1002));
        }
        match f.opcode {
            0x8 => {
                if defect != Defect::NoCloseAnswer {
                    let code = f
                        .payload
                        .get(..2)
                        .map_or(1000, |c| u16::from_be_bytes([c[0], c[1]]));
                    close(s, code);
                }
                return;
            }
            0x9 => {
                let mut p = f.payload;
                if defect == Defect::WrongPongPayload {
                    p.reverse();
                    p.push(b'!');
                }
                if s.write_all(&frame(true, 0xA, &p)).is_err() {
                    return;
                }
            }
            0xA => {}
            op => {
                let (kind, packed, mut data) =
                    message.take().unwrap_or((op, compressed_start, Vec::new()));
                data.extend_from_slice(&f.payload);
                if data.len() > LIMIT {
                    return close(s, 1009);
                }
                if !f.fin {
                    message = Some((kind, packed, data));
                    continue;
                }
                if packed {
                    match inflate(&mut inflater, &data) {
                        Some(d) => data = d,
                        None => return close(s, 1007),
                    }
                }
                if kind == 0x1
                    && std::str::from_utf8(&data).is_err()
                    && defect != Defect::NoUtf8Check
                {
                    if defect == Defect::DropsOnError {
                        return;
                    }
                    return close(s, fail_code(1007));
                }
                let echo = if deflate {
                    // The planted defect: RSV1 says compressed, the bytes
                    // are not deflate data.
                    let mut f = frame(true, kind, b"\xffnot deflate data");
                    f[0] |= 0x40;
                    f
                } else {
                    frame(true, kind, &data)
                };
                let swallowed = defect == Defect::SwallowsLarge && data.len() > 512 << 10;
                if defect != Defect::NoEcho && !swallowed && s.write_all(&echo).is_err() {
                    return;
                }
            }
        }
    }
}

/// Inflate one message (RFC 7692 7.2.2: the tail 00 00 ff ff appended),
/// at most [`LIMIT`] bytes; None when it is not deflate data.
fn inflate(z: &mut flate2::Decompress, data: &[u8]) -> Option<Vec<u8>> {
    let mut input = data.to_vec();
    input.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let mut out = Vec::with_capacity(4 * input.len() + 64);
    let start = z.total_in();
    while ((z.total_in() - start) as usize) < input.len() {
        if out.len() >= LIMIT {
            return None;
        }
        out.reserve(64 * 1024);
        let at = (z.total_in() - start) as usize;
        let before = (z.total_in(), z.total_out());
        z.decompress_vec(&input[at..], &mut out, flate2::FlushDecompress::Sync)
            .ok()?;
        if (z.total_in(), z.total_out()) == before {
            return None;
        }
    }
    Some(out)
}

/// Fail the connection with `code`, then close TCP: our side first, then
/// read what the client still sends until it closes too (closing with
/// unread bytes would reset the connection, and the reset can destroy the
/// Close before the client reads it). Bounded by the socket's timeout and
/// [`DRAIN`] bytes.
fn close<S: Conn>(s: &mut S, code: u16) {
    let _ = s.write_all(&frame(true, 0x8, &close_payload(code, "")));
    let _ = s.flush();
    s.shut_write();
    let mut buf = [0u8; 64 * 1024];
    let mut drained = 0;
    while drained < DRAIN {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// The most [`close`] reads after its Close.
const DRAIN: usize = 64 << 20;
