//! The benchmark's helper (`benches/run.sh`): fast peers on loopback, a
//! raw-TCP client for the ceiling, input generators, a slow consumer and a
//! process meter. Not a test server and not part of wsprobe: it trusts its
//! client, and it is built only for the benchmark.
//!
//! ```text
//! bench_server serve MODE [--count N] [--size BYTES] [--tls CA_PEM_OUT] [--rate BYTES_PER_SEC]
//!     MODE: echo | source | raw-echo | raw-source
//!     Listens on 127.0.0.1:0, prints the port on stdout, then serves one
//!     connection after another, on one thread, until it is killed.
//! bench_server raw-client PORT      stdin -> 127.0.0.1:PORT -> stdout
//! bench_server peer PORT send FILE [--clients N] | recv COUNT OUT | raw-send FILE | raw-recv OUT
//!     the clients of a tool listening on PORT (see `peer`)
//! bench_server raw-server PORT      one TCP connection: stdin -> it -> stdout
//! bench_server free-port            a port on 127.0.0.1 free a moment ago
//! bench_server gen lines N SIZE     the lines `source` sends, one per line
//! bench_server gen bytes N          N deterministic pseudo-random bytes
//! bench_server sink [--rate BYTES_PER_SEC]   read stdin slowly, print "<bytes> <fnv64>"
//! bench_server sum                  print "<bytes> <fnv64>" of stdin
//! bench_server measure STATS TIMEOUT [--rss-log FILE] [--peer ARGS... [--interrupt]] -- CMD ARGS...
//!     run CMD (stdio inherited), append "wall_s cpu_s maxrss_kib status"
//!     to STATS, kill it after TIMEOUT seconds, exit with its status;
//!     with --rss-log, write its VmRSS (KiB) to FILE every 20 ms; with
//!     --peer, also run `bench_server ARGS...` once CMD is started (its
//!     cost is not CMD's), fail if it fails, and with --interrupt send
//!     CMD SIGINT when the peer is done.
//! ```
//!
//! The WebSocket echo streams each frame back as it arrives (the payload
//! unmasked on the way through a 256 KiB buffer, one write per buffer), so a
//! 64 MiB message costs it no memory and the peer is never the bottleneck.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Read and write buffer size.
const BUF: usize = 256 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(rest),
        Some("raw-client") => raw_client(rest),
        Some("peer") => peer(rest),
        Some("raw-server") => raw_server(rest),
        Some("free-port") => free_port(),
        Some("gen") => generate(rest),
        Some("sink") => sink(rest),
        Some("sum") => sink(&[]),
        Some("measure") => return measure(rest),
        _ => Err(io::Error::other(
            "usage: bench_server serve|raw-client|peer|raw-server|free-port|gen|sink|sum|measure ... \
             (see the source)",
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_server: {e}");
            ExitCode::from(1)
        }
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn num(s: Option<&String>, what: &str) -> io::Result<u64> {
    s.ok_or_else(|| bad(format!("missing {what}")))?
        .parse()
        .map_err(|_| bad(format!("{what} must be a number")))
}

/// The value after `--name`, if present.
fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
}

// ---------------------------------------------------------------- servers

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Echo,
    Source,
    RawEcho,
    RawSource,
}

struct Plan {
    mode: Mode,
    /// Bytes per second read from the client, if throttled.
    rate: Option<u64>,
    /// What a source sends, made once at start-up so that sending costs
    /// nothing but the writes: the lines (raw) or their frames.
    script: Vec<u8>,
    /// (count, size) of a source too large to make in advance.
    lazy: Option<(u64, usize)>,
}

impl Plan {
    /// Write the source's lines (raw) or frames.
    fn send_source(&self, s: &mut impl Write) -> io::Result<()> {
        for chunk in self.script.chunks(BUF) {
            s.write_all(chunk)?;
        }
        let Some((count, size)) = self.lazy else {
            return Ok(());
        };
        let (mut buf, mut line) = (Vec::with_capacity(BUF + size + 16), Vec::new());
        for i in 0..count {
            line.clear();
            pattern_line(&mut line, i, size);
            if self.mode == Mode::Source {
                frame_header(&mut buf, 0x81, line.len());
                buf.extend_from_slice(&line);
            } else {
                buf.extend_from_slice(&line);
                buf.push(b'\n');
            }
            if buf.len() >= BUF {
                s.write_all(&buf)?;
                buf.clear();
            }
        }
        s.write_all(&buf)
    }
}

fn serve(args: &[String]) -> io::Result<()> {
    let mode = match args.first().map(String::as_str) {
        Some("echo") => Mode::Echo,
        Some("source") => Mode::Source,
        Some("raw-echo") => Mode::RawEcho,
        Some("raw-source") => Mode::RawSource,
        _ => return Err(bad("serve: MODE is echo, source, raw-echo or raw-source")),
    };
    let count = opt(args, "--count").map_or(Ok(0), |v| num(Some(v), "--count"))?;
    let size = opt(args, "--size").map_or(Ok(100), |v| num(Some(v), "--size"))? as usize;
    let mut script = Vec::new();
    let mut line = Vec::new();
    // Sources up to 256 MiB are made once; larger ones (the 1 GiB runs,
    // where the client is throttled anyway) are made as they are sent.
    let precomputed = count.saturating_mul(size as u64 + 10) <= 256 << 20;
    for i in 0..if precomputed { count } else { 0 } {
        line.clear();
        pattern_line(&mut line, i, size);
        match mode {
            Mode::RawSource => {
                script.extend_from_slice(&line);
                script.push(b'\n');
            }
            Mode::Source => {
                frame_header(&mut script, 0x81, line.len());
                script.extend_from_slice(&line);
            }
            _ => break,
        }
    }
    let plan = Plan {
        mode,
        lazy: (!precomputed).then_some((count, size)),
        rate: opt(args, "--rate")
            .map(|v| num(Some(v), "--rate"))
            .transpose()?,
        script,
    };
    let tls = match opt(args, "--tls") {
        Some(path) => Some(tls_config(path)?),
        None => None,
    };
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut out = io::stdout().lock();
    writeln!(out, "{}", listener.local_addr()?.port())?;
    out.flush()?;
    for conn in listener.incoming() {
        let tcp = conn?;
        tcp.set_nodelay(true)?;
        let result = match &tls {
            Some(cfg) => {
                let conn = rustls::ServerConnection::new(cfg.clone()).map_err(io::Error::other)?;
                let mut s = rustls::StreamOwned::new(conn, tcp);
                let r = session(&mut s, &plan);
                s.conn.send_close_notify();
                let _ = s.flush();
                r
            }
            None => {
                let mut s = Throttled::new(tcp.try_clone()?, plan.rate);
                let r = session(&mut s, &plan);
                let _ = tcp.shutdown(Shutdown::Write);
                r
            }
        };
        // A client that goes away mid-run is the benchmark's problem to
        // report (its output will not match); keep serving the next one.
        if let Err(e) = result
            && !matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::UnexpectedEof
            )
        {
            eprintln!("bench_server: connection: {e}");
        }
    }
    Ok(())
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made now; the
/// CA certificate is written to `ca_path` for the client's --cacert.
fn tls_config(ca_path: &str) -> io::Result<Arc<rustls::ServerConfig>> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    fn e(err: impl std::fmt::Display) -> io::Error {
        io::Error::other(err.to_string())
    }
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wsprobe bench CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(e)?;
    let key = KeyPair::generate().map_err(e)?;
    let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(io::Error::other)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let leaf = params.signed_by(&key, &ca).map_err(e)?;
    std::fs::write(ca_path, ca.pem())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(e)?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], der.into())
        .map_err(e)?;
    Ok(Arc::new(config))
}

/// A TCP stream whose reads are held to a rate (for the slow-peer runs).
struct Throttled {
    s: TcpStream,
    rate: Option<u64>,
    start: Instant,
    taken: u64,
}

impl Throttled {
    fn new(s: TcpStream, rate: Option<u64>) -> Throttled {
        Throttled {
            s,
            rate,
            start: Instant::now(),
            taken: 0,
        }
    }
}

impl Read for Throttled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(rate) = self.rate else {
            return self.s.read(buf);
        };
        let due = Duration::from_secs_f64(self.taken as f64 / rate as f64);
        if let Some(ahead) = due.checked_sub(self.start.elapsed()) {
            thread::sleep(ahead);
        }
        let cap = buf.len().min(16 * 1024);
        let n = self.s.read(&mut buf[..cap])?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl Write for Throttled {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.s.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.s.flush()
    }
}

/// Buffered both ways: input is parsed in place; output is gathered and
/// written when the buffer fills or before the next read would block.
struct Peer<'a, S: Read + Write> {
    s: &'a mut S,
    inb: Vec<u8>,
    lo: usize,
    hi: usize,
    out: Vec<u8>,
}

impl<S: Read + Write> Peer<'_, S> {
    fn avail(&self) -> usize {
        self.hi - self.lo
    }

    /// Read more input (after writing out what is gathered). False at EOF.
    fn more(&mut self) -> io::Result<bool> {
        self.flush()?;
        if self.lo == self.hi {
            (self.lo, self.hi) = (0, 0);
        } else if self.hi == self.inb.len() {
            self.inb.copy_within(self.lo..self.hi, 0);
            (self.lo, self.hi) = (0, self.hi - self.lo);
        }
        let n = match self.s.read(&mut self.inb[self.hi..]) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            other => other?,
        };
        self.hi += n;
        Ok(n > 0)
    }

    /// Make `n` bytes available. False at EOF.
    fn need(&mut self, n: usize) -> io::Result<bool> {
        while self.avail() < n {
            if !self.more()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.s.write_all(&self.out)?;
            self.out.clear();
            self.s.flush()?;
        }
        Ok(())
    }

    fn gathered(&mut self) -> io::Result<()> {
        if self.out.len() >= BUF {
            self.flush()?;
        }
        Ok(())
    }
}

fn session<S: Read + Write>(s: &mut S, plan: &Plan) -> io::Result<()> {
    let mut p = Peer {
        s,
        inb: vec![0; BUF],
        lo: 0,
        hi: 0,
        out: Vec::with_capacity(BUF + 64 * 1024),
    };
    match plan.mode {
        Mode::RawEcho => loop {
            if !p.more()? {
                return Ok(());
            }
            p.out.extend_from_slice(&p.inb[p.lo..p.hi]);
            p.lo = p.hi;
        },
        Mode::RawSource => {
            plan.send_source(p.s)?;
            p.s.flush()
        }
        Mode::Echo => {
            accept_upgrade(&mut p)?;
            echo(&mut p)
        }
        Mode::Source => {
            accept_upgrade(&mut p)?;
            plan.send_source(p.s)?;
            let mut close = Vec::new();
            frame_header(&mut close, 0x88, 2);
            close.extend_from_slice(&1000u16.to_be_bytes());
            p.s.write_all(&close)?;
            p.s.flush()?;
            // Wait for the client's Close (or EOF), ignoring anything else.
            while let Some((op, _)) = read_frame(&mut p)? {
                if op == 8 {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// Read the upgrade request and answer 101 (the request is trusted).
fn accept_upgrade<S: Read + Write>(p: &mut Peer<'_, S>) -> io::Result<()> {
    let end = loop {
        if let Some(i) = p.inb[p.lo..p.hi].windows(4).position(|w| w == b"\r\n\r\n") {
            break p.lo + i + 4;
        }
        if !p.more()? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    };
    let head = String::from_utf8_lossy(&p.inb[p.lo..end]).into_owned();
    p.lo = end;
    let key = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, v)| v.trim().to_string())
        .ok_or_else(|| bad("upgrade request without Sec-WebSocket-Key"))?;
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    write!(
        p.out,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )?;
    p.flush()
}

/// Parse one frame header: (first byte, payload length, mask).
fn header<S: Read + Write>(p: &mut Peer<'_, S>) -> io::Result<Option<(u8, u64, [u8; 4])>> {
    if !p.need(2)? {
        return Ok(None);
    }
    let (b0, b1) = (p.inb[p.lo], p.inb[p.lo + 1]);
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let masked = b1 & 0x80 != 0;
    let hlen = 2 + ext + if masked { 4 } else { 0 };
    if !p.need(hlen)? {
        return Ok(None);
    }
    let h = &p.inb[p.lo..p.lo + hlen];
    let len = match ext {
        2 => u16::from_be_bytes([h[2], h[3]]) as u64,
        8 => u64::from_be_bytes(h[2..10].try_into().expect("8 bytes")),
        _ => (b1 & 0x7f) as u64,
    };
    let mut mask = [0; 4];
    if masked {
        mask.copy_from_slice(&h[hlen - 4..hlen]);
    }
    p.lo += hlen;
    Ok(Some((b0, len, mask)))
}

/// Read a whole frame into memory (control frames, or frames we ignore).
fn read_frame<S: Read + Write>(p: &mut Peer<'_, S>) -> io::Result<Option<(u8, Vec<u8>)>> {
    let Some((b0, len, mask)) = header(p)? else {
        return Ok(None);
    };
    let mut data = Vec::new();
    let mut left = len as usize;
    while left > 0 {
        if p.avail() == 0 && !p.more()? {
            return Ok(None);
        }
        let take = left.min(p.avail());
        unmask_into(
            &mut data,
            &p.inb[p.lo..p.lo + take],
            mask,
            len as usize - left,
        );
        p.lo += take;
        left -= take;
    }
    Ok(Some((b0 & 0x0f, data)))
}

/// Echo every data frame as it arrives; answer pings; echo the Close.
fn echo<S: Read + Write>(p: &mut Peer<'_, S>) -> io::Result<()> {
    loop {
        let Some((b0, len, mask)) = header(p)? else {
            return Ok(());
        };
        let op = b0 & 0x0f;
        if op >= 8 {
            let mut data = Vec::new();
            let mut left = len as usize;
            while left > 0 {
                if p.avail() == 0 && !p.more()? {
                    return Ok(());
                }
                let take = left.min(p.avail());
                let off = len as usize - left;
                unmask_into(&mut data, &p.inb[p.lo..p.lo + take], mask, off);
                p.lo += take;
                left -= take;
            }
            match op {
                8 => {
                    frame_header(&mut p.out, 0x88, data.len());
                    p.out.extend_from_slice(&data);
                    return p.flush();
                }
                9 => {
                    frame_header(&mut p.out, 0x8a, data.len());
                    p.out.extend_from_slice(&data);
                }
                _ => {}
            }
            continue;
        }
        frame_header(&mut p.out, b0, len as usize);
        let mut done = 0u64;
        while done < len {
            if p.avail() == 0 && !p.more()? {
                return Ok(());
            }
            let take = ((len - done) as usize).min(p.avail()).min(BUF);
            unmask_into(&mut p.out, &p.inb[p.lo..p.lo + take], mask, done as usize);
            p.lo += take;
            done += take as u64;
            p.gathered()?;
        }
    }
}

/// An unmasked server frame header (RFC 6455 section 5.2).
fn frame_header(out: &mut Vec<u8>, b0: u8, len: usize) {
    out.push(b0);
    if len < 126 {
        out.push(len as u8);
    } else if len <= 0xffff {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// Append `data` XORed with the mask, `off` bytes into the payload.
fn unmask_into(out: &mut Vec<u8>, data: &[u8], mask: [u8; 4], off: usize) {
    let start = out.len();
    out.extend_from_slice(data);
    let mut m8 = [0u8; 8];
    for (i, b) in m8.iter_mut().enumerate() {
        *b = mask[(off + i) % 4];
    }
    let m = u64::from_ne_bytes(m8);
    let dst = &mut out[start..];
    let mut chunks = dst.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes((&*c).try_into().expect("8 bytes")) ^ m;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= m8[i];
    }
}

/// Line `i` of the source pattern: the index, then letters, `size` bytes.
fn pattern_line(out: &mut Vec<u8>, i: u64, size: usize) {
    const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
    let start = out.len();
    let _ = write!(out, "{i:08} ");
    let mut at = (i % 26) as usize;
    while out.len() - start < size {
        let take = (26 - at).min(size - (out.len() - start));
        out.extend_from_slice(&ALPHABET[at..at + take]);
        at = 0;
    }
    out.truncate(start + size);
}

// ---------------------------------------------------------------- clients and tools

fn raw_client(args: &[String]) -> io::Result<()> {
    let port = num(args.first(), "PORT")? as u16;
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_nodelay(true)?;
    let mut w = s.try_clone()?;
    let up = thread::spawn(move || -> io::Result<()> {
        copy(&mut io::stdin().lock(), &mut w)?;
        w.shutdown(Shutdown::Write)
    });
    copy(&mut &s, &mut io::stdout().lock())?;
    up.join().map_err(|_| io::Error::other("stdin thread"))?
}

/// Copy with large reads and one write per read.
fn copy(r: &mut impl Read, w: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return w.flush(),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
    }
}

// ---------------------------------------------------------------- clients of a listening tool

/// `peer PORT MODE ...`: the client side of the listen-mode workloads,
/// connecting to 127.0.0.1:PORT (retrying for 10 s while the tool under
/// test starts listening):
///
/// - `send FILE [--clients N]`: N WebSocket clients at once, each sending
///   its share of FILE's lines (in order, one text message per line), then
///   a Close, then reading until the server closes;
/// - `recv COUNT OUT`: one WebSocket client that writes the first COUNT
///   messages it receives to OUT, a line each (a message that ends in a
///   newline is not given another), then closes;
/// - `raw-send FILE`, `raw-recv OUT`: the same bytes over plain TCP (the
///   tool's raw twin is `raw-server`).
fn peer(args: &[String]) -> io::Result<()> {
    let port = num(args.first(), "PORT")? as u16;
    let arg = |i: usize, what: &str| args.get(i).ok_or_else(|| bad(format!("missing {what}")));
    match args.get(1).map(String::as_str) {
        Some("send") => {
            let data = std::fs::read(arg(2, "FILE")?)?;
            let clients = opt(args, "--clients").map_or(Ok(1), |n| num(Some(n), "N"))? as usize;
            let lines: Vec<&[u8]> = data
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            let share = lines.len().div_ceil(clients.max(1)).max(1);
            // Every client's frames are made before any connects.
            let scripts: Vec<Vec<u8>> = lines.chunks(share).map(client_frames).collect();
            let workers: Vec<_> = scripts
                .into_iter()
                .map(|script| thread::spawn(move || ws_send(port, &script)))
                .collect();
            for w in workers {
                w.join().map_err(|_| io::Error::other("client thread"))??;
            }
            Ok(())
        }
        Some("recv") => ws_recv(port, num(args.get(2), "COUNT")?, arg(3, "OUT")?),
        Some("raw-send") => {
            let data = std::fs::read(arg(2, "FILE")?)?;
            let mut s = connect_retry(port)?;
            s.write_all(&data)?;
            s.shutdown(Shutdown::Write)?;
            copy(&mut s, &mut io::sink())
        }
        Some("raw-recv") => {
            let mut s = connect_retry(port)?;
            s.shutdown(Shutdown::Write)?;
            let mut out = std::fs::File::create(arg(2, "OUT")?)?;
            copy(&mut s, &mut out)
        }
        _ => Err(bad("usage: peer PORT send|recv|raw-send|raw-recv ...")),
    }
}

/// The masked text frames of `lines`, then a masked Close 1000.
fn client_frames(lines: &[&[u8]]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 14).sum::<usize>() + 8);
    let masked = |out: &mut Vec<u8>, b0: u8, payload: &[u8]| {
        let at = out.len();
        frame_header(out, b0, payload.len());
        out[at + 1] |= 0x80;
        out.extend_from_slice(&MASK);
        unmask_into(out, payload, MASK, 0);
    };
    for line in lines {
        masked(&mut out, 0x81, line);
    }
    masked(&mut out, 0x88, &1000u16.to_be_bytes());
    out
}

fn connect_retry(port: u16) -> io::Result<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(Duration::from_secs(60)))?;
                return Ok(s);
            }
            Err(e) if Instant::now() >= deadline => return Err(e),
            // A benchmark helper, not a test: poll while the tool starts.
            Err(_) => thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Connect and upgrade; the 101's head is checked and consumed.
fn ws_connect(port: u16, s: &mut TcpStream) -> io::Result<(Vec<u8>, usize, usize)> {
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )?;
    let mut inb = vec![0u8; BUF];
    let mut hi = 0;
    loop {
        if let Some(i) = inb[..hi].windows(4).position(|w| w == b"\r\n\r\n") {
            if !inb.starts_with(b"HTTP/1.1 101 ") {
                return Err(bad(format!(
                    "no 101: {}",
                    String::from_utf8_lossy(&inb[..i])
                )));
            }
            return Ok((inb, i + 4, hi));
        }
        if hi == inb.len() {
            return Err(bad("response head too long"));
        }
        let n = s.read(&mut inb[hi..])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        hi += n;
    }
}

fn ws_send(port: u16, script: &[u8]) -> io::Result<()> {
    let mut s = connect_retry(port)?;
    let (inb, lo, hi) = ws_connect(port, &mut s)?;
    for chunk in script.chunks(BUF) {
        s.write_all(chunk)?;
    }
    let mut p = Peer {
        s: &mut s,
        inb,
        lo,
        hi,
        out: Vec::new(),
    };
    drain(&mut p)
}

fn ws_recv(port: u16, count: u64, out: &str) -> io::Result<()> {
    let mut s = connect_retry(port)?;
    let (inb, lo, hi) = ws_connect(port, &mut s)?;
    let mut file = io::BufWriter::with_capacity(BUF, std::fs::File::create(out)?);
    let mut p = Peer {
        s: &mut s,
        inb,
        lo,
        hi,
        out: Vec::new(),
    };
    let mut got = 0;
    while got < count {
        let Some((op, data)) = read_frame(&mut p)? else {
            return Err(bad(format!(
                "the server closed after {got} of {count} messages"
            )));
        };
        match op {
            // Messages of one frame each: what every tool here sends for a
            // line; one that keeps its newline (websocat sends "line\n")
            // is not given a second.
            1 | 2 => {
                file.write_all(&data)?;
                if !data.ends_with(b"\n") {
                    file.write_all(b"\n")?;
                }
                got += 1;
            }
            8 => return Err(bad(format!("Close after {got} of {count} messages"))),
            _ => {}
        }
    }
    file.flush()?;
    p.out = client_frames(&[]);
    p.flush()?;
    drain(&mut p)
}

/// Read until the server closes, ignoring what it sends; a reset counts
/// as closed (websocat --oneshot exits without waiting for our Close).
fn drain<S: Read + Write>(p: &mut Peer<'_, S>) -> io::Result<()> {
    loop {
        match read_frame(p) {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// `raw-server PORT`: the raw-TCP twin of a listening tool: accept one
/// connection on 127.0.0.1:PORT, copy stdin to it (then shut down the
/// write side) and it to stdout, exit when both are done.
fn raw_server(args: &[String]) -> io::Result<()> {
    let port = num(args.first(), "PORT")? as u16;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let (s, _) = listener.accept()?;
    s.set_nodelay(true)?;
    let mut w = s.try_clone()?;
    let down = thread::spawn(move || -> io::Result<()> {
        copy(&mut io::stdin().lock(), &mut w)?;
        w.shutdown(Shutdown::Write)
    });
    copy(&mut &s, &mut io::stdout().lock())?;
    down.join().map_err(|_| io::Error::other("stdin thread"))?
}

/// `free-port`: print a port on 127.0.0.1 that was free a moment ago.
fn free_port() -> io::Result<()> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", l.local_addr()?.port());
    Ok(())
}

fn generate(args: &[String]) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(BUF, io::stdout().lock());
    match args.first().map(String::as_str) {
        Some("lines") => {
            let n = num(args.get(1), "N")?;
            let size = num(args.get(2), "SIZE")? as usize;
            let mut line = Vec::new();
            for i in 0..n {
                line.clear();
                pattern_line(&mut line, i, size);
                line.push(b'\n');
                out.write_all(&line)?;
            }
        }
        Some("bytes") => {
            let mut n = num(args.get(1), "N")?;
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            while n > 0 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = x.to_le_bytes();
                let k = n.min(8) as usize;
                out.write_all(&b[..k])?;
                n -= k as u64;
            }
        }
        _ => return Err(bad("gen lines N SIZE | gen bytes N")),
    }
    out.flush()
}

/// FNV-1a over everything read; optionally no faster than `--rate`.
fn sink(args: &[String]) -> io::Result<()> {
    let rate = opt(args, "--rate")
        .map(|v| num(Some(v), "--rate"))
        .transpose()?;
    let mut input = io::stdin().lock();
    let mut buf = vec![0u8; if rate.is_some() { 16 * 1024 } else { BUF }];
    let (mut total, mut h) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    let start = Instant::now();
    loop {
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(total as f64 / rate as f64);
            if let Some(ahead) = due.checked_sub(start.elapsed()) {
                thread::sleep(ahead);
            }
        }
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        total += n as u64;
    }
    println!("{total} {h:016x}");
    Ok(())
}

/// Run a command and report its wall time, CPU time and peak RSS (wait4).
fn measure(args: &[String]) -> ExitCode {
    const USAGE: &str = "usage: measure STATS TIMEOUT_SECS [--rss-log FILE] \
                         [--peer ARGS... [--interrupt]] -- CMD ARGS...";
    let fail = |msg: String| {
        eprintln!("bench_server measure: {msg}");
        ExitCode::from(125)
    };
    let Some(dashes) = args.iter().position(|a| a == "--") else {
        return fail(USAGE.into());
    };
    let (opts, cmd) = (&args[..dashes], &args[dashes + 1..]);
    let (Some(stats), Some(limit), Some(program)) = (
        opts.first(),
        opts.get(1).and_then(|s| s.parse::<f64>().ok()),
        cmd.first(),
    ) else {
        return fail(USAGE.into());
    };
    let rss_log = opt(opts, "--rss-log").cloned();
    // The watchdog thread exists before the clock starts, so that starting
    // it is not measured; it learns the child's PID through `started`.
    let (started, child_of) = mpsc::channel::<(libc::pid_t, Instant)>();
    let (done, watch) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        let Ok((pid, start)) = child_of.recv() else {
            return;
        };
        let mut log = rss_log.and_then(|p| std::fs::File::create(p).ok());
        let every = Duration::from_millis(20);
        loop {
            if let Some(f) = &mut log
                && let Some(kib) = vm_rss(pid)
            {
                let _ = writeln!(f, "{:.3} {kib}", start.elapsed().as_secs_f64());
            }
            let left = Duration::from_secs_f64(limit).saturating_sub(start.elapsed());
            let wait = if log.is_some() { every.min(left) } else { left };
            match watch.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) if left > wait => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // SAFETY: kill(2) on the child we started and have not
                    // reaped (wait4 below has not returned: no reply yet).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                _ => return,
            }
        }
    });
    let start = Instant::now();
    let child = match Command::new(program).args(&cmd[1..]).spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot run {program}: {e}")),
    };
    let pid = child.id() as libc::pid_t;
    let _ = started.send((pid, start));
    // The peer is waited for on its own thread, so that the tool's exit
    // is timed by the wait4 below; --interrupt: the tool runs until told.
    let peer = opts.iter().position(|a| a == "--peer").map(|at| {
        let interrupt = opts.iter().any(|a| a == "--interrupt");
        let peer_args: Vec<String> = opts[at + 1..]
            .iter()
            .filter(|a| *a != "--interrupt")
            .cloned()
            .collect();
        thread::spawn(move || -> Result<(), String> {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let status = Command::new(exe).args(&peer_args).status();
            if interrupt {
                // SAFETY: kill(2) on the child we started; with --interrupt
                // it does not exit before this signal, so it is not reaped.
                unsafe { libc::kill(pid, libc::SIGINT) };
            }
            match status {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(format!("peer {} failed: {s}", peer_args.join(" "))),
                Err(e) => Err(format!("peer: {e}")),
            }
        })
    });
    let mut status = 0;
    // SAFETY: plain FFI calls with valid pointers to locals.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = start.elapsed().as_secs_f64();
    let _ = done.send(());
    let _ = watchdog.join();
    if r != pid {
        return fail(format!("wait4: {}", io::Error::last_os_error()));
    }
    if let Some(peer) = peer {
        match peer.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return fail(e),
            Err(_) => return fail("the peer thread panicked".into()),
        }
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let line = format!("{wall:.6} {cpu:.6} {} {code}\n", ru.ru_maxrss);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stats)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        return fail(format!("cannot write {stats}: {e}"));
    }
    ExitCode::from(code as u8)
}

/// The resident set size of `pid` in KiB (None once it has ended).
fn vm_rss(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix("VmRSS:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}
