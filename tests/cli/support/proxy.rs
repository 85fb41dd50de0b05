//! In-process proxies that record the tunnel: [`ConnectProxy`] (HTTP
//! CONNECT, optionally behind TLS as an https:// proxy, optionally
//! demanding Basic credentials) and [`Socks5Proxy`] (RFC 1928, with
//! optional RFC 1929 username/password).
//!
//! Like the other servers they accept ONE connection on `127.0.0.1:0`. They
//! never ask DNS: a destination is an address, or a name listed in the
//! options' `hosts`; any other name fails (502, or SOCKS reply 4). Once the
//! tunnel is open, bytes are relayed both ways by one thread driven by
//! `polling` (no sleeps), and counted, so a test can assert that the traffic
//! went through the proxy.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;

use base64::Engine as _;
use polling::{Event, Events, Poller};
use rustls::{ServerConfig, ServerConnection};

use super::ws::Recorded;
use super::{IO_TIMEOUT, ServerThread, read_request_head};

/// What a proxy saw and carried.
#[derive(Debug, Clone, Default)]
pub struct Tunnel {
    /// The CONNECT request head (HTTP proxies only).
    pub request: Option<Recorded>,
    /// Where the proxy connected, if it did.
    pub to: Option<SocketAddr>,
    /// Bytes carried from the client to the destination.
    pub up: u64,
    /// Bytes carried from the destination to the client.
    pub down: u64,
}

/// How a [`ConnectProxy`] behaves.
#[derive(Default)]
pub struct ProxyOptions {
    /// Demand `Proxy-Authorization: Basic` with this user and password;
    /// answer 407 (`Proxy-Authenticate: Basic realm="wsprobe-test"`) otherwise.
    pub auth: Option<(String, String)>,
    /// Answer CONNECT with these bytes (a whole response) and close,
    /// instead of opening a tunnel.
    pub answer: Option<Vec<u8>>,
    /// Speak TLS with the client first (an https:// proxy).
    pub tls: Option<Arc<ServerConfig>>,
    /// Names the proxy can resolve.
    pub hosts: Vec<(String, IpAddr)>,
}

/// An HTTP CONNECT proxy on `127.0.0.1:<free port>` for ONE client.
pub struct ConnectProxy {
    thread: ServerThread<Tunnel>,
    tls: bool,
}

impl ConnectProxy {
    /// Starts the proxy.
    pub fn start(opts: ProxyOptions) -> ConnectProxy {
        let tls = opts.tls.is_some();
        ConnectProxy {
            thread: ServerThread::spawn("ConnectProxy", move |tcp| serve_connect(tcp, opts)),
            tls,
        }
    }

    /// `http://127.0.0.1:PORT` (`https://` for a TLS proxy).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.thread.addr())
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// Waits (at most 15 s) for the client to finish and returns what the
    /// proxy saw; panics like the other servers' `finish()`.
    pub fn finish(self) -> Tunnel {
        self.thread.finish()
    }
}

/// `host:port` or `[v6]:port` split into its parts.
fn split_authority(a: &str) -> Option<(String, u16)> {
    let (host, port) = a.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), port.parse().ok()?))
}

fn lookup(hosts: &[(String, IpAddr)], host: &str) -> Option<IpAddr> {
    host.parse().ok().or_else(|| {
        hosts
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(host))
            .map(|(_, ip)| *ip)
    })
}

fn http_answer(status: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve_connect(tcp: TcpStream, opts: ProxyOptions) -> Tunnel {
    let mut client = match opts.tls {
        Some(config) => Side::Tls(rustls::StreamOwned::new(
            ServerConnection::new(config).expect("rustls: ServerConnection::new"),
            tcp,
        )),
        None => Side::Plain(tcp),
    };
    let (head, _) = read_request_head(&mut client);
    let request = Recorded::parse(head);
    assert!(
        request.request_line.starts_with("CONNECT "),
        "ConnectProxy: expected CONNECT, got {:?}",
        request.request_line
    );
    let mut tunnel = Tunnel {
        request: Some(request.clone()),
        ..Tunnel::default()
    };
    let mut refuse = |answer: &[u8]| {
        let _ = client.write_all(answer).and_then(|()| client.flush());
    };
    if let Some(answer) = &opts.answer {
        refuse(answer);
        return tunnel;
    }
    if let Some((user, pass)) = &opts.auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        if request.header("Proxy-Authorization") != Some(format!("Basic {token}").as_str()) {
            refuse(&http_answer(
                "407 Proxy Authentication Required",
                "Proxy-Authenticate: Basic realm=\"wsprobe-test\"\r\n",
                "proxy authentication required\n",
            ));
            return tunnel;
        }
    }
    let Some((host, port)) = split_authority(request.target()) else {
        refuse(&http_answer("400 Bad Request", "", "bad CONNECT target\n"));
        return tunnel;
    };
    let Some(ip) = lookup(&opts.hosts, &host) else {
        refuse(&http_answer("502 Bad Gateway", "", "unknown host\n"));
        return tunnel;
    };
    let to = SocketAddr::new(ip, port);
    let upstream = match TcpStream::connect_timeout(&to, IO_TIMEOUT) {
        Ok(s) => s,
        Err(e) => {
            refuse(&http_answer(
                "502 Bad Gateway",
                "",
                &format!("cannot connect to {to}: {e}\n"),
            ));
            return tunnel;
        }
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .and_then(|()| client.flush())
        .expect("ConnectProxy: write the 200");
    tunnel.to = Some(to);
    let (up, down) = relay(client, upstream);
    tunnel.up = up;
    tunnel.down = down;
    tunnel
}

/// How a [`Socks5Proxy`] behaves.
#[derive(Default)]
pub struct SocksOptions {
    /// Demand username/password authentication with these (method 0x02).
    pub auth: Option<(String, String)>,
    /// Answer CONNECT with this non-zero reply code instead of connecting.
    pub reply: Option<u8>,
    /// Names the proxy can resolve (ATYP 3).
    pub hosts: Vec<(String, IpAddr)>,
}

/// What a [`Socks5Proxy`] saw.
#[derive(Debug, Clone, Default)]
pub struct SocksRecord {
    /// The methods the client offered.
    pub methods: Vec<u8>,
    /// The user name and password the client sent.
    pub credentials: Option<(String, String)>,
    /// The address type of the CONNECT request: 1 IPv4, 3 name, 4 IPv6.
    pub atyp: u8,
    /// The destination as sent (address or name).
    pub dest: String,
    /// The destination port.
    pub port: u16,
    /// The tunnel, if one was opened.
    pub tunnel: Tunnel,
}

/// A SOCKS5 proxy on `127.0.0.1:<free port>` for ONE client.
pub struct Socks5Proxy {
    thread: ServerThread<SocksRecord>,
}

impl Socks5Proxy {
    /// Starts the proxy.
    pub fn start(opts: SocksOptions) -> Socks5Proxy {
        Socks5Proxy {
            thread: ServerThread::spawn("Socks5Proxy", move |tcp| serve_socks(tcp, opts)),
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.thread.addr()
    }

    /// `socks5://127.0.0.1:PORT` (`scheme` may be `socks5h`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.thread.addr())
    }

    /// Waits (at most 15 s) and returns what the proxy saw.
    pub fn finish(self) -> SocksRecord {
        self.thread.finish()
    }
}

fn read_n(s: &mut TcpStream, n: usize, what: &str) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("Socks5Proxy: reading the {what} failed: {e}"));
    buf
}

fn serve_socks(mut s: TcpStream, opts: SocksOptions) -> SocksRecord {
    let mut rec = SocksRecord::default();
    let hello = read_n(&mut s, 2, "greeting");
    assert_eq!(hello[0], 5, "Socks5Proxy: the greeting is not SOCKS5");
    rec.methods = read_n(&mut s, usize::from(hello[1]), "methods");
    let method = match (
        &opts.auth,
        rec.methods.contains(&0),
        rec.methods.contains(&2),
    ) {
        (Some(_), _, true) => 2,
        (None, true, _) => 0,
        _ => 0xFF,
    };
    s.write_all(&[5, method])
        .expect("Socks5Proxy: write the method");
    if method == 0xFF {
        return rec;
    }
    if method == 2 {
        let head = read_n(&mut s, 2, "auth version and user length");
        assert_eq!(head[0], 1, "Socks5Proxy: RFC 1929 version must be 1");
        let user = read_n(&mut s, usize::from(head[1]), "user");
        let plen = read_n(&mut s, 1, "password length");
        let pass = read_n(&mut s, usize::from(plen[0]), "password");
        let creds = (
            String::from_utf8_lossy(&user).into_owned(),
            String::from_utf8_lossy(&pass).into_owned(),
        );
        let ok = opts.auth.as_ref() == Some(&creds);
        rec.credentials = Some(creds);
        s.write_all(&[1, if ok { 0 } else { 1 }])
            .expect("Socks5Proxy: write the auth status");
        if !ok {
            return rec;
        }
    }
    let req = read_n(&mut s, 4, "request");
    assert_eq!(
        (req[0], req[1]),
        (5, 1),
        "Socks5Proxy: expected a SOCKS5 CONNECT"
    );
    rec.atyp = req[3];
    rec.dest = match req[3] {
        1 => {
            let a = read_n(&mut s, 4, "IPv4 address");
            IpAddr::from([a[0], a[1], a[2], a[3]]).to_string()
        }
        4 => {
            let a: [u8; 16] = read_n(&mut s, 16, "IPv6 address")
                .try_into()
                .expect("16 bytes");
            IpAddr::from(a).to_string()
        }
        3 => {
            let len = read_n(&mut s, 1, "name length");
            String::from_utf8_lossy(&read_n(&mut s, usize::from(len[0]), "name")).into_owned()
        }
        other => panic!("Socks5Proxy: unknown address type {other}"),
    };
    let port = read_n(&mut s, 2, "port");
    rec.port = u16::from_be_bytes([port[0], port[1]]);
    let fail = |s: &mut TcpStream, code: u8| {
        let _ = s.write_all(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
    };
    if let Some(code) = opts.reply {
        fail(&mut s, code);
        return rec;
    }
    let Some(ip) = lookup(&opts.hosts, &rec.dest) else {
        fail(&mut s, 4);
        return rec;
    };
    let to = SocketAddr::new(ip, rec.port);
    let Ok(upstream) = TcpStream::connect_timeout(&to, IO_TIMEOUT) else {
        fail(&mut s, 5);
        return rec;
    };
    let bound = upstream.local_addr().expect("local_addr");
    let mut reply = vec![5, 0, 0];
    match bound.ip() {
        IpAddr::V4(a) => {
            reply.push(1);
            reply.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            reply.push(4);
            reply.extend_from_slice(&a.octets());
        }
    }
    reply.extend_from_slice(&bound.port().to_be_bytes());
    s.write_all(&reply).expect("Socks5Proxy: write the reply");
    let (up, down) = relay(Side::Plain(s), upstream);
    rec.tunnel = Tunnel {
        request: None,
        to: Some(to),
        up,
        down,
    };
    rec
}

/// The client side of a tunnel: plain TCP, or TLS (an https:// proxy).
#[allow(clippy::large_enum_variant)] // one per proxy, never moved in a loop
enum Side {
    Plain(TcpStream),
    Tls(rustls::StreamOwned<ServerConnection, TcpStream>),
}

impl Read for Side {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Side::Plain(s) => s.read(buf),
            Side::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Side {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Side::Plain(s) => s.write(buf),
            Side::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Side::Plain(s) => s.flush(),
            Side::Tls(s) => s.flush(),
        }
    }
}

impl Side {
    fn sock(&self) -> &TcpStream {
        match self {
            Side::Plain(s) => s,
            Side::Tls(s) => &s.sock,
        }
    }

    /// Read what is available (non-blocking) into `into`. True at the end
    /// of the stream.
    fn read_available(&mut self, into: &mut Vec<u8>) -> bool {
        let mut buf = [0u8; 16 * 1024];
        match self {
            Side::Plain(s) => read_available(s, into),
            // Drain the plaintext after every record read: rustls refuses
            // to buffer more than a little of it.
            Side::Tls(t) => loop {
                loop {
                    match t.conn.reader().read(&mut buf) {
                        Ok(0) => return true,
                        Ok(n) => into.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => return true,
                    }
                }
                match t.conn.read_tls(&mut t.sock) {
                    Ok(0) => return true,
                    Ok(_) => {
                        if t.conn.process_new_packets().is_err() {
                            return true;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return true,
                }
            },
        }
    }

    /// Queue `pending` for the client and write what the socket takes now.
    /// False when the client is gone (a write failed for good).
    fn send(&mut self, pending: &mut Vec<u8>) -> bool {
        match self {
            Side::Plain(s) => write_available(s, pending),
            Side::Tls(t) => {
                t.conn.set_buffer_limit(None);
                t.conn
                    .writer()
                    .write_all(pending)
                    .expect("buffer plaintext");
                pending.clear();
                while t.conn.wants_write() {
                    match t.conn.write_tls(&mut t.sock) {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => return false,
                    }
                }
                true
            }
        }
    }

    fn has_pending(&self, pending: &[u8]) -> bool {
        match self {
            Side::Plain(_) => !pending.is_empty(),
            Side::Tls(t) => t.conn.wants_write(),
        }
    }

    /// No more data for the client: close_notify for TLS, then FIN.
    fn finish(&mut self) {
        if let Side::Tls(t) = self {
            t.conn.send_close_notify();
            let _ = t.conn.write_tls(&mut t.sock);
        }
        let _ = self.sock().shutdown(Shutdown::Write);
    }
}

fn read_available(s: &mut TcpStream, into: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Write what the socket takes now. False when the peer is gone (the
/// pending bytes are dropped then: nobody will read them).
fn write_available(s: &mut TcpStream, pending: &mut Vec<u8>) -> bool {
    while !pending.is_empty() {
        match s.write(pending) {
            Ok(n) => {
                pending.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => {
                pending.clear();
                return false;
            }
        }
    }
    true
}

/// Carries bytes both ways until both sides have ended (or nothing moved
/// for [`IO_TIMEOUT`]). Returns the bytes carried up (client to
/// destination) and down.
fn relay(mut client: Side, mut upstream: TcpStream) -> (u64, u64) {
    const CLIENT: usize = 0;
    const UPSTREAM: usize = 1;
    let poller = Poller::new().expect("create a poller");
    client
        .sock()
        .set_nonblocking(true)
        .expect("client non-blocking");
    upstream
        .set_nonblocking(true)
        .expect("upstream non-blocking");
    // SAFETY: both sockets are deleted from the poller before they are dropped.
    unsafe {
        poller
            .add(client.sock(), Event::readable(CLIENT))
            .expect("poll the client");
        poller
            .add(&upstream, Event::readable(UPSTREAM))
            .expect("poll the upstream");
    }
    let (mut to_up, mut to_client) = (Vec::new(), Vec::new());
    let (mut up, mut down) = (0u64, 0u64);
    let (mut client_eof, mut up_eof, mut up_shut, mut client_shut) = (false, false, false, false);
    // A side whose writes fail is gone: nothing more goes to it.
    let (mut client_gone, mut up_gone) = (false, false);
    let mut events = Events::new();
    loop {
        if !client_eof {
            let before = to_up.len();
            client_eof = client.read_available(&mut to_up);
            up += (to_up.len() - before) as u64;
        }
        if !up_gone && !write_available(&mut upstream, &mut to_up) {
            up_gone = true;
            client_eof = true;
        }
        if client_eof && to_up.is_empty() && !up_shut {
            let _ = upstream.shutdown(Shutdown::Write);
            up_shut = true;
        }
        if !up_eof {
            let before = to_client.len();
            up_eof = read_available(&mut upstream, &mut to_client);
            down += (to_client.len() - before) as u64;
        }
        if !client_gone && !client.send(&mut to_client) {
            client_gone = true;
            up_eof = true;
        }
        let client_pending = !client_gone && client.has_pending(&to_client);
        if up_eof && !client_pending && !client_shut {
            client.finish();
            client_shut = true;
        }
        if client_eof && up_eof && to_up.is_empty() && !client_pending {
            break;
        }
        let c = Event::new(CLIENT, !client_eof, client_pending);
        let u = Event::new(UPSTREAM, !up_eof, !to_up.is_empty());
        poller.modify(client.sock(), c).expect("poll the client");
        poller.modify(&upstream, u).expect("poll the upstream");
        events.clear();
        match poller.wait(&mut events, Some(IO_TIMEOUT)) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("relay: poll failed: {e}"),
        }
    }
    let _ = poller.delete(client.sock());
    let _ = poller.delete(&upstream);
    (up, down)
}
