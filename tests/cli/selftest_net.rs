//! Self-tests of the connectivity support servers, each driven by an
//! independent client written from the RFCs (raw bytes, then tungstenite's
//! client), so that the wsprobe tests can trust them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use tungstenite::Message;

use crate::support::*;

fn echo_once<S: Read + Write>(stream: S, url: &str) {
    let (mut ws, _) = tungstenite::client::client(url, stream).expect("handshake");
    ws.send(Message::text("ping?")).expect("send");
    assert_eq!(ws.read().expect("echo"), Message::text("ping?"));
    ws.close(None).expect("close");
    while ws.read().is_ok() {}
}

#[test]
fn connect_proxy_tunnels_to_the_requested_address_and_counts_bytes() {
    let server = WsServer::start(echo_script);
    let proxy = ConnectProxy::start(ProxyOptions::default());
    let mut s = TcpStream::connect(proxy.addr()).expect("connect to the proxy");
    configure_socket(&s);
    let target = server.addr();
    write!(s, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").expect("CONNECT");
    let mut answer = [0u8; 39];
    s.read_exact(&mut answer).expect("the 200");
    assert_eq!(&answer[..], b"HTTP/1.1 200 Connection established\r\n\r\n");
    echo_once(s, &server.url());
    server.finish();
    let tunnel = proxy.finish();
    assert_eq!(tunnel.to, Some(target));
    assert!(tunnel.up > 0 && tunnel.down > 0, "{tunnel:?}");
}

#[test]
fn socks5_proxy_speaks_rfc_1928_and_1929() {
    let server = WsServer::start(echo_script);
    let proxy = Socks5Proxy::start(SocksOptions {
        auth: Some(("u".into(), "p".into())),
        hosts: vec![("echo.test".into(), "127.0.0.1".parse().expect("ip"))],
        ..SocksOptions::default()
    });
    let mut s = TcpStream::connect(proxy.addr()).expect("connect to the proxy");
    configure_socket(&s);
    s.write_all(&[5, 2, 0, 2]).expect("greeting");
    let mut b = [0u8; 2];
    s.read_exact(&mut b).expect("method");
    assert_eq!(b, [5, 2], "username/password chosen");
    s.write_all(&[1, 1, b'u', 1, b'p']).expect("credentials");
    s.read_exact(&mut b).expect("auth status");
    assert_eq!(b, [1, 0]);
    let port = server.addr().port().to_be_bytes();
    let mut req = vec![5, 1, 0, 3, 9];
    req.extend_from_slice(b"echo.test");
    req.extend_from_slice(&port);
    s.write_all(&req).expect("CONNECT");
    let mut reply = [0u8; 10];
    s.read_exact(&mut reply).expect("reply");
    assert_eq!(&reply[..4], &[5, 0, 0, 1], "success, IPv4 bound address");
    echo_once(s, &server.url());
    server.finish();
    let rec = proxy.finish();
    assert_eq!(rec.dest, "echo.test");
    assert_eq!(rec.credentials, Some(("u".into(), "p".into())));
    assert!(rec.tunnel.up > 0 && rec.tunnel.down > 0, "{rec:?}");
}

#[test]
fn unix_ws_server_echoes_over_a_socket_file() {
    let server = UnixWsServer::start(echo_script);
    let s = UnixStream::connect(server.path()).expect("connect");
    echo_once(s, "ws://unix.test/x");
    let rec = server.finish();
    assert_eq!(rec.request_line, "GET /x HTTP/1.1");
    assert_eq!(rec.header("Host"), Some("unix.test"));
}
