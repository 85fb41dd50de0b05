//! Self-tests of the support library: each server is driven by an
//! independent client (tungstenite's client, rustls, raw bytes) to prove it
//! behaves as documented before the wsprobe tests rely on it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tungstenite::handshake::client::generate_key;
use tungstenite::http::{HeaderValue, StatusCode};
use tungstenite::protocol::Role;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

use crate::support::*;

/// A client socket to a test server, with the same bounded timeouts.
fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    configure_socket(&s);
    s
}

/// Reads an HTTP head (request or response) byte by byte up to the blank line.
fn read_head(s: &mut impl Read) -> Vec<u8> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 65536, "head too long");
        s.read_exact(&mut b)
            .unwrap_or_else(|e| panic!("reading a head: {e}; so far:\n{}", show_bytes(&head)));
        head.push(b[0]);
    }
    head
}

/// Completes a client close handshake: sends Close(1000) and reads until the
/// server's reply and the end of the connection.
fn close_client<S: Read + Write>(ws: &mut WebSocket<S>) {
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    }))
    .expect("send Close");
    let mut reply = None;
    loop {
        match ws.read() {
            Ok(Message::Close(frame)) => reply = frame,
            Ok(other) => panic!("unexpected message while closing: {other:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("closing: {e}"),
        }
    }
    let reply = reply.expect("the server answered Close with a Close frame");
    assert_eq!(reply.code, CloseCode::Normal);
}

fn expect_message<S: Read + Write>(ws: &mut WebSocket<S>) -> Message {
    loop {
        match ws.read() {
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(m) => return m,
            Err(e) => panic!("expected a message: {e}"),
        }
    }
}

#[test]
fn ws_server_records_request_in_wire_order_and_case_and_echoes() {
    let server = WsServer::start(echo_script);
    let mut s = connect(server.addr());
    let key = generate_key();
    let request = format!(
        "GET /chat/room?x=1&y=%20 HTTP/1.1\r\n\
         host: 127.0.0.1:{port}\r\n\
         UPGRADE: websocket\r\n\
         connection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         sec-websocket-version: 13\r\n\
         X-CuStOm-Header: Some Value\r\n\
         X-Dup: one\r\n\
         x-dup: two\r\n\
         \r\n",
        port = server.addr().port()
    );
    s.write_all(request.as_bytes()).expect("send request");
    let response = String::from_utf8(read_head(&mut s)).expect("UTF-8 response head");
    assert!(
        response.starts_with("HTTP/1.1 101 "),
        "response was:\n{response}"
    );
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    assert!(
        response.to_ascii_lowercase().contains(&format!(
            "sec-websocket-accept: {}",
            accept.to_ascii_lowercase()
        )),
        "no correct Accept in:\n{response}"
    );

    let mut ws = WebSocket::from_raw_socket(s, Role::Client, None);
    ws.send(Message::text("héllo")).expect("send text");
    assert_eq!(expect_message(&mut ws), Message::text("héllo"));
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .expect("send binary");
    assert_eq!(
        expect_message(&mut ws),
        Message::binary(vec![0u8, 1, 2, 255])
    );
    close_client(&mut ws);

    let rec = server.finish();
    assert_eq!(rec.raw_request, request.as_bytes());
    assert_eq!(rec.request_line, "GET /chat/room?x=1&y=%20 HTTP/1.1");
    assert_eq!(rec.target(), "/chat/room?x=1&y=%20");
    assert_eq!(
        rec.header_names(),
        [
            "host",
            "UPGRADE",
            "connection",
            "Sec-WebSocket-Key",
            "sec-websocket-version",
            "X-CuStOm-Header",
            "X-Dup",
            "x-dup"
        ]
    );
    assert_eq!(
        rec.headers[5],
        ("X-CuStOm-Header".to_string(), "Some Value".to_string())
    );
    assert_eq!(rec.header("x-custom-header"), Some("Some Value"));
    assert_eq!(rec.header("X-DUP"), Some("one"));
    assert_eq!(rec.header_all("x-dup"), ["one", "two"]);
    assert_eq!(rec.header("Sec-WebSocket-Key"), Some(key.as_str()));
    assert_eq!(rec.header("absent"), None);
}

#[test]
fn ws_server_start_with_adds_subprotocol_and_tungstenite_client_round_trips() {
    let server = WsServer::start_with(
        |req: &Request, mut resp: Response| {
            let offered = req
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(offered.contains("chat"), "offered: {offered:?}");
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("chat"));
            Ok(resp)
        },
        echo_script,
    );
    let url = format!("{}sub", server.url());
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("chat, superchat"),
    );
    let (mut ws, response) =
        tungstenite::client::client(request, connect(server.addr())).expect("client handshake");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(&b"chat"[..])
    );
    let big = vec![7u8; 100_000];
    ws.send(Message::binary(big.clone())).expect("send");
    assert_eq!(expect_message(&mut ws), Message::binary(big));
    close_client(&mut ws);

    let rec = server.finish();
    assert_eq!(rec.target(), "/sub");
    assert_eq!(
        rec.header("sec-websocket-protocol"),
        Some("chat, superchat")
    );
    assert_eq!(
        rec.header("Host"),
        Some(format!("127.0.0.1:{}", server_port(&rec)).as_str())
    );
}

/// The port in the recorded Host header (helper for the test above).
fn server_port(rec: &Recorded) -> u16 {
    rec.header("host")
        .and_then(|h| h.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("a Host header with a port")
}

#[test]
fn ws_server_rejection_is_sent_and_request_still_recorded() {
    let server = WsServer::start_with(
        |_: &Request, _: Response| {
            let mut err = ErrorResponse::new(Some("go away".to_string()));
            *err.status_mut() = StatusCode::UNAUTHORIZED;
            Err(err)
        },
        |_| panic!("the script must not run after a rejection"),
    );
    let mut s = connect(server.addr());
    let key = generate_key();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Basic YTpi\r\n\r\n"
    )
    .expect("send request");
    let mut response = Vec::new();
    s.read_to_end(&mut response).expect("read the rejection");
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 401 "),
        "response:\n{response}"
    );
    assert!(response.ends_with("go away"), "response:\n{response}");

    let rec = server.finish();
    assert_eq!(rec.header("authorization"), Some("Basic YTpi"));
}

#[test]
fn ws_server_finish_propagates_script_panic() {
    let server = WsServer::start(|ws| {
        let msg = ws.read().expect("read");
        assert_eq!(msg, Message::text("expected"), "script assertion");
    });
    let (mut ws, _) =
        tungstenite::client::client(server.url(), connect(server.addr())).expect("handshake");
    ws.send(Message::text("something else")).expect("send");
    let err = catch_unwind(AssertUnwindSafe(|| server.finish()))
        .expect_err("finish() must panic when the script panicked");
    let msg = panic_message(err.as_ref());
    assert!(msg.contains("WsServer"), "{msg}");
    assert!(msg.contains("script assertion"), "{msg}");
}

#[test]
fn ws_server_reports_client_handshake_error() {
    let server = WsServer::start(|_| panic!("no script after a failed handshake"));
    let mut s = connect(server.addr());
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send request");
    let err = server.finish_handshake_error();
    assert!(err.contains("WebSocket handshake failed"), "{err}");
}

#[test]
fn raw_server_frames_and_101_decode_with_tungstenite() {
    let big = vec![0xABu8; 70_000];
    let big2 = big.clone();
    let server = RawServer::start(move |mut s| {
        let (head, key) = read_request_head(&mut s);
        assert!(
            head.starts_with(b"GET /raw HTTP/1.1\r\n"),
            "{}",
            show_bytes(&head)
        );
        let key = key.expect("the client sent a Sec-WebSocket-Key");
        // The 101 and the first frames in ONE write.
        let mut out = response_101(&key, &[("X-Extra", "yes")]);
        out.extend(frame(true, 0x1, b"hello"));
        out.extend(frame(true, 0x2, &[1u8; 300]));
        out.extend(frame(true, 0x2, &big2));
        out.extend(frame(false, 0x1, b"frag"));
        out.extend(frame(true, 0x0, b"ment"));
        out.extend(frame(true, 0x9, b"ping!"));
        out.extend(frame(true, 0x8, &close_payload(1000, "bye")));
        s.write_all(&out).expect("write 101 and frames");

        let pong = read_frame(&mut s);
        assert_eq!((pong.fin, pong.opcode, pong.rsv), (true, 0xA, 0));
        assert!(pong.mask.is_some(), "client frames are masked");
        assert_eq!(pong.payload, b"ping!");
        let close = read_frame(&mut s);
        assert_eq!(close.opcode, 0x8);
        assert!(close.mask.is_some());
        assert_eq!(close.close_code(), Some((1000, "bye".to_string())));
        // Dropping the stream ends the connection, as a server does after Close.
    });

    let url = format!("{}raw", server.url());
    let (mut ws, response) =
        tungstenite::client::client(url.as_str(), connect(server.addr())).expect("handshake");
    assert_eq!(
        response.headers().get("x-extra").map(|v| v.as_bytes()),
        Some(&b"yes"[..])
    );
    assert_eq!(ws.read().expect("text"), Message::text("hello"));
    assert_eq!(ws.read().expect("binary"), Message::binary(vec![1u8; 300]));
    assert_eq!(ws.read().expect("big binary"), Message::binary(big));
    assert_eq!(ws.read().expect("fragmented"), Message::text("fragment"));
    assert_eq!(
        ws.read().expect("ping"),
        Message::Ping(b"ping!".to_vec().into())
    );
    match ws.read().expect("close") {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 1000);
            assert_eq!(f.reason.as_str(), "bye");
        }
        other => panic!("expected Close, got {other:?}"),
    }
    match ws.read() {
        Err(tungstenite::Error::ConnectionClosed) => {}
        other => panic!("expected the end of the connection, got {other:?}"),
    }
    server.finish();
}

#[test]
fn frame_helpers_encode_lengths_and_keys() {
    assert_eq!(frame(true, 0x1, b"hi"), [0x81, 2, b'h', b'i']);
    assert_eq!(frame(false, 0x2, &[]), [0x02, 0]);
    assert_eq!(&frame(true, 0x2, &[0; 125])[..2], [0x82, 125]);
    assert_eq!(&frame(true, 0x2, &[0; 126])[..4], [0x82, 126, 0, 126]);
    assert_eq!(&frame(true, 0x2, &[0; 65535])[..4], [0x82, 126, 0xff, 0xff]);
    assert_eq!(
        &frame(true, 0x2, &[0; 65536])[..10],
        [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
    );
    assert_eq!(frame(true, 0x2, &[0; 65536]).len(), 65536 + 10);
    assert_eq!(frame_raw(0xC1, b"x"), [0xC1, 1, b'x']);
    assert_eq!(close_payload(1001, "ok"), [0x03, 0xE9, b'o', b'k']);
    // RFC 6455 section 1.3's example key.
    let r = String::from_utf8(response_101("dGhlIHNhbXBsZSBub25jZQ==", &[("A", "b")])).unwrap();
    assert_eq!(
        r,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nA: b\r\n\r\n"
    );
    // read_frame undoes masking.
    let mut masked = vec![0x81, 0x80 | 3, 1, 2, 3, 4];
    masked.extend([b'a' ^ 1, b'b' ^ 2, b'c' ^ 3]);
    let f = read_frame(&mut &masked[..]);
    assert_eq!((f.fin, f.opcode, f.mask), (true, 1, Some([1, 2, 3, 4])));
    assert_eq!(f.text(), "abc");
}

#[test]
fn refused_port_refuses() {
    let port = refused_port();
    let err = TcpStream::connect(("127.0.0.1", port)).expect_err("nothing listens there");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

/// A rustls client configuration (ring provider) trusting the PEM file `ca`.
fn client_config(ca: &std::path::Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("open the CA file") {
        roots
            .add(cert.expect("parse the CA PEM"))
            .expect("add the CA");
    }
    client_config_with_roots(roots)
}

fn client_config_with_roots(roots: RootCertStore) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn tls_connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    name: &str,
) -> StreamOwned<ClientConnection, TcpStream> {
    let name = ServerName::try_from(name.to_string()).expect("server name");
    let conn = ClientConnection::new(config, name).expect("ClientConnection");
    StreamOwned::new(conn, connect(addr))
}

#[test]
fn tls_server_round_trip_by_ip() {
    let server = TlsWsServer::start(echo_script);
    assert!(server.url().starts_with("wss://127.0.0.1:"));
    let pem = std::fs::read_to_string(server.ca_path()).expect("read the CA file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(pem, server.ca_pem());

    let stream = tls_connect(server.addr(), client_config(server.ca_path()), "127.0.0.1");
    let (mut ws, response) =
        tungstenite::client::client(server.url(), stream).expect("TLS WebSocket handshake");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws.send(Message::text("over tls")).expect("send");
    assert_eq!(expect_message(&mut ws), Message::text("over tls"));
    close_client(&mut ws);

    let (rec, seen) = server.finish_tls();
    assert_eq!(rec.request_line, "GET / HTTP/1.1");
    assert_eq!(seen.sni, None, "no SNI for an IP address");
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_3));
}

#[test]
fn tls_server_round_trip_by_localhost_sends_sni() {
    let server = TlsWsServer::start(echo_script);
    assert!(server.url_localhost().starts_with("wss://localhost:"));
    let stream = tls_connect(server.addr(), client_config(server.ca_path()), "localhost");
    let (mut ws, _) =
        tungstenite::client::client(server.url_localhost(), stream).expect("handshake");
    ws.send(Message::binary(vec![9u8; 20_000])).expect("send");
    assert_eq!(expect_message(&mut ws), Message::binary(vec![9u8; 20_000]));
    close_client(&mut ws);

    let (rec, seen) = server.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
    assert_eq!(
        rec.header("host"),
        Some(format!("localhost:{}", server_port(&rec)).as_str())
    );
}

#[test]
fn tls_server_reports_untrusted_client_abort() {
    let server = TlsWsServer::start(|_| panic!("no script after a failed TLS handshake"));
    // Trust a different CA: the client must reject the server's certificate.
    let mut roots = RootCertStore::empty();
    roots
        .add(TestPki::generate().ca_der)
        .expect("add the other CA");
    let mut stream = tls_connect(server.addr(), client_config_with_roots(roots), "localhost");
    let err = stream
        .write_all(b"GET / HTTP/1.1\r\n\r\n")
        .and_then(|()| stream.flush())
        .expect_err("the client must refuse the certificate");
    assert!(
        err.to_string().contains("UnknownIssuer"),
        "client error: {err}"
    );
    drop(stream);
    let server_err = server.finish_handshake_error();
    assert!(server_err.contains("TLS handshake failed"), "{server_err}");
}

#[test]
fn python_echo_round_trip() {
    let peer = PythonEcho::start();
    let url = format!("{}chat?x=1", peer.url());
    let (mut ws, response) =
        tungstenite::client::client(url.as_str(), connect(peer.addr())).expect("handshake");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(
        response
            .headers()
            .get("server")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| s.contains("websockets")),
        "the peer is the Python websockets library: {response:?}"
    );
    ws.send(Message::text("héllo ✓")).expect("send text");
    assert_eq!(expect_message(&mut ws), Message::text("héllo ✓"));
    ws.send(Message::binary(vec![0u8, 1, 2, 0xff]))
        .expect("send binary");
    assert_eq!(
        expect_message(&mut ws),
        Message::binary(vec![0u8, 1, 2, 0xff])
    );
    // Beyond the library's 1 MiB default: max_size is lifted.
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| i as u8).collect();
    ws.send(Message::binary(big.clone())).expect("send 3 MiB");
    assert_eq!(expect_message(&mut ws), Message::binary(big));
    close_client(&mut ws);
    assert_eq!(peer.next_connection(), "/chat?x=1");
}

#[test]
fn send_and_close_and_close_script_complete_the_close_handshake() {
    let server = WsServer::start(send_and_close(vec![
        Message::text("one"),
        Message::binary(vec![2u8; 3]),
    ]));
    let (mut ws, _) =
        tungstenite::client::client(server.url(), connect(server.addr())).expect("handshake");
    assert_eq!(expect_message(&mut ws), Message::text("one"));
    assert_eq!(expect_message(&mut ws), Message::binary(vec![2u8; 3]));
    match expect_message(&mut ws) {
        Message::Close(Some(f)) => assert_eq!(f.code, CloseCode::Normal),
        other => panic!("expected Close, got {other:?}"),
    }
    assert!(matches!(
        ws.read(),
        Err(tungstenite::Error::ConnectionClosed)
    ));
    server.finish();

    let server = TlsWsServer::start(close_script(4001, "custom"));
    let stream = tls_connect(server.addr(), client_config(server.ca_path()), "localhost");
    let (mut ws, _) =
        tungstenite::client::client(server.url_localhost(), stream).expect("handshake");
    match expect_message(&mut ws) {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 4001);
            assert_eq!(f.reason.as_str(), "custom");
        }
        other => panic!("expected Close, got {other:?}"),
    }
    // The server sends close_notify after a completed close handshake: a clean end.
    assert!(matches!(
        ws.read(),
        Err(tungstenite::Error::ConnectionClosed)
    ));
    server.finish();
}
