//! Every exit status the foundation can produce, each against a peer that
//! fails in one precise way: usage errors (2), name resolution (3), TCP
//! connect (4), rejected upgrades (6), invalid handshake responses (7),
//! protocol violations (8), abnormal closes (9), timeouts (10) and the clean
//! ends (0), including a closed stdout.
//!
//! Each test runs the real binary against an in-process server on 127.0.0.1
//! and checks the exit status, that stderr names the cause, and (with
//! `finish()`) that the server was reached and its own checks passed.

use crate::support::{
    Message, RawServer, SCRUBBED_ENV, WebSocket, WsServer, close_payload, close_script, frame,
    frame_raw, read_frame, read_request_head, refused_port, response_101, wsprobe,
};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long a run whose subject is a short timeout (0.5 s) may take at most
/// before we call it a hang.
const QUICK: Duration = Duration::from_secs(5);

/// The fixed `--deterministic` key (RFC 6455 section 1.3) and its Accept value.
const TEST_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const TEST_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// What one run of wsprobe did.
struct Run {
    /// The exit status; None if it was killed (the 20 s limit).
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    /// Panics unless the exit status is `want`, showing the whole run.
    fn expect_code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(want),
            "expected exit status {want}, got {:?} after {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code,
            self.took,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless stderr contains every one of `needles`.
    fn stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?} (exit {:?})\n--- stderr:\n{}",
                self.code,
                self.stderr
            );
        }
        self
    }

    /// Panics if the run took `limit` or longer (a hang, not a timeout).
    fn quicker_than(&self, limit: Duration) -> &Self {
        assert!(
            self.took < limit,
            "the run took {:?}, over {limit:?}: it should have timed out sooner\n--- stderr:\n{}",
            self.took,
            self.stderr
        );
        self
    }
}

/// Runs wsprobe (the support command: clean environment, 20 s limit) with
/// `args`; its stdin is empty (and every test passes -n too).
fn run(args: &[&str]) -> Run {
    let start = Instant::now();
    let out = wsprobe().args(args).output().expect("wsprobe runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// A listener that nobody should connect to: when a usage error must stop
/// wsprobe before it touches the network, the URL points here and
/// [`assert_untouched`] checks afterwards that no connection is queued.
fn sentinel() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind the sentinel listener");
    l.set_nonblocking(true).expect("non-blocking sentinel");
    let port = l.local_addr().expect("sentinel address").port();
    (l, port)
}

/// The kernel completes connections to a listening socket without accept():
/// after wsprobe has exited, a connection attempt would be waiting here.
fn assert_untouched(l: &TcpListener) {
    match l.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("wsprobe connected (from {peer}) despite the usage error"),
        Err(e) => panic!("sentinel accept failed: {e}"),
    }
}

/// Reads until EOF (or an error, or the 10 s socket timeout): how a raw
/// server waits for the client to give up and hang up.
fn drain(s: &mut TcpStream) {
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
}

/// A raw server that reads the upgrade request and writes `reply` (which
/// need not be HTTP), then closes the connection.
fn reply_with(reply: Vec<u8>) -> RawServer {
    RawServer::start(move |mut s| {
        read_request_head(&mut s);
        s.write_all(&reply).expect("write the reply");
    })
}

/// A raw server that answers the upgrade with a valid 101 followed, in the
/// same write, by `after` (frames), then reads the client's next frame,
/// asserts it is a Close with `close_code`, and closes the connection.
fn bad_frames_expect_close(after: Vec<u8>, close_code: u16) -> RawServer {
    RawServer::start(move |mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a Sec-WebSocket-Key"), &[]);
        out.extend(after);
        s.write_all(&out).expect("write the 101 and the frames");
        let close = read_frame(&mut s);
        assert_eq!(close.opcode, 0x8, "expected a Close frame, got {close:?}");
        assert!(close.mask.is_some(), "client frames are masked");
        assert_eq!(
            close.close_code().map(|(c, _)| c),
            Some(close_code),
            "the client's Close: {close:?}"
        );
    })
}

/// A raw server that answers with a 101 whose head is `head` (without the
/// blank line) after checking the request carries the deterministic key.
fn deterministic_101(head: &'static str) -> RawServer {
    RawServer::start(move |mut s| {
        let (_, key) = read_request_head(&mut s);
        assert_eq!(key.as_deref(), Some(TEST_KEY), "--deterministic key");
        s.write_all(format!("{head}\r\n").as_bytes())
            .expect("write the 101");
    })
}

// ---------------------------------------------------------------- exit 2

#[test]
fn unsupported_scheme_is_a_usage_error_and_connects_nowhere() {
    let (l, port) = sentinel();
    run(&["-n", &format!("ftp://127.0.0.1:{port}/")])
        .expect_code(2)
        .stderr_has(&["unsupported scheme 'ftp://'", "ws://", "wss://"]);
    assert_untouched(&l);
}

#[test]
fn url_without_host_is_a_usage_error() {
    run(&["-n", "ws://"]).expect_code(2).stderr_has(&[
        "'ws://'",
        "empty host",
        "hint: see wsprobe --help",
    ]);
}

#[test]
fn header_without_colon_is_a_usage_error_and_connects_nowhere() {
    let (l, port) = sentinel();
    run(&["-n", "-H", "NoColon", &format!("ws://127.0.0.1:{port}/")])
        .expect_code(2)
        .stderr_has(&["-H 'NoColon'", "colon is missing"]);
    assert_untouched(&l);
}

#[test]
fn handshake_owned_header_is_a_usage_error_and_connects_nowhere() {
    let (l, port) = sentinel();
    run(&["-n", "-H", "Upgrade: x", &format!("ws://127.0.0.1:{port}/")])
        .expect_code(2)
        .stderr_has(&["Upgrade", "wsprobe sets Upgrade itself"]);
    assert_untouched(&l);
}

#[test]
fn unreadable_data_file_is_a_usage_error_naming_the_path() {
    let (l, port) = sentinel();
    run(&[
        "-n",
        "-d",
        "@/nonexistent/wsprobe-test",
        &format!("ws://127.0.0.1:{port}/"),
    ])
    .expect_code(2)
    .stderr_has(&["cannot read /nonexistent/wsprobe-test", "--data"]);
    assert_untouched(&l);
}

#[test]
fn close_code_1006_is_a_usage_error() {
    let (l, port) = sentinel();
    run(&[
        "-n",
        "--close-code",
        "1006",
        &format!("ws://127.0.0.1:{port}/"),
    ])
    .expect_code(2)
    .stderr_has(&["--close-code", "1006 may not be sent"]);
    assert_untouched(&l);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let (l, port) = sentinel();
    run(&["-n", "--bogus-flag", &format!("ws://127.0.0.1:{port}/")])
        .expect_code(2)
        .stderr_has(&["--bogus-flag", "unexpected argument"]);
    assert_untouched(&l);
}

// ---------------------------------------------------------------- exit 3

#[test]
fn unresolvable_name_exits_3() {
    // .invalid is reserved (RFC 6761) and never resolves.
    run(&["-n", "--connect-timeout", "5", "ws://name.invalid/"])
        .expect_code(3)
        .stderr_has(&["cannot resolve 'name.invalid'", "hint:"])
        .quicker_than(Duration::from_secs(15));
}

// ---------------------------------------------------------------- exit 4

#[test]
fn refused_port_exits_4_naming_the_address() {
    let port = refused_port();
    run(&["-n", &format!("ws://127.0.0.1:{port}/")])
        .expect_code(4)
        .stderr_has(&[
            &format!("cannot connect to 127.0.0.1 port {port}: connection refused"),
            &format!("127.0.0.1:{port}: connection refused"),
            "nothing listens on that port",
        ]);
}

#[test]
fn refused_localhost_lists_every_address_tried() {
    let port = refused_port();
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in ("localhost", port)
        .to_socket_addrs()
        .expect("resolve localhost")
    {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    let r = run(&["-n", &format!("ws://localhost:{port}/")]);
    r.expect_code(4)
        .stderr_has(&[&format!("cannot connect to localhost port {port}")]);
    for a in &addrs {
        r.stderr_has(&[&format!("{a}: connection refused")]);
    }
    if addrs.len() > 1 {
        r.stderr_has(&[&format!("all {} addresses failed", addrs.len())]);
    }
}

// ---------------------------------------------------------------- exit 6

#[test]
fn rejected_404_shows_status_and_body_and_exits_6() {
    let server = RawServer::start(|mut s| {
        let (head, _) = read_request_head(&mut s);
        assert!(head.starts_with(b"GET /nope HTTP/1.1\r\n"));
        s.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nno such path\n",
        )
        .expect("write the 404");
    });
    run(&["-n", &format!("{}nope", server.url())])
        .expect_code(6)
        .stderr_has(&[
            "the server refused the WebSocket upgrade: 404 Not Found",
            "< Content-Type: text/plain",
            "body (13 bytes):",
            "| no such path",
            "hint: no WebSocket endpoint at this path: check the path",
        ]);
    server.finish();
}

#[test]
fn rejected_200_html_page_hints_plain_http() {
    let body = "<html><body>Hello</body></html>";
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = reply_with(reply.into_bytes());
    run(&["-n", &server.url()]).expect_code(6).stderr_has(&[
        "200 OK",
        "<html><body>Hello",
        "plain HTTP",
    ]);
    server.finish();
}

#[test]
fn rejected_403_chunked_body_is_decoded_and_hints_origin() {
    let server = reply_with(
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n\
          7\r\nbad ori\r\n8\r\ngin here\r\n0\r\n\r\n"
            .to_vec(),
    );
    let r = run(&["-n", &server.url()]);
    r.expect_code(6).stderr_has(&[
        "403 Forbidden",
        "body (15 bytes):",
        "| bad origin here",
        "--origin",
    ]);
    let body_lines: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("  | ")).collect();
    assert_eq!(
        body_lines,
        ["  | bad origin here"],
        "the decoded body without chunk sizes:\n{}",
        r.stderr
    );
    server.finish();
}

#[test]
fn rejected_401_bearer_hints_the_scheme_and_dash_u() {
    let server = reply_with(
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    );
    run(&["-n", &server.url()]).expect_code(6).stderr_has(&[
        "401 Unauthorized",
        "< WWW-Authenticate: Bearer realm=\"x\"",
        "Bearer authentication",
        "-u USER:PASS",
    ]);
    server.finish();
}

#[test]
fn rejected_302_hints_the_location() {
    let server = reply_with(
        b"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    );
    run(&["-n", &server.url()]).expect_code(6).stderr_has(&[
        "302 Found",
        "< Location: ws://127.0.0.1:9/elsewhere",
        "redirects to ws://127.0.0.1:9/elsewhere",
    ]);
    server.finish();
}

#[test]
fn rejected_body_without_length_is_read_until_eof() {
    // No Content-Length, not chunked: the body ends when the server closes.
    let server = reply_with(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nboom until EOF"
            .to_vec(),
    );
    let r = run(&["-n", &server.url()]);
    r.expect_code(6).stderr_has(&[
        "500 Internal Server Error",
        "body (14 bytes):",
        "| boom until EOF",
    ]);
    assert!(
        !r.stderr.contains("truncated"),
        "a body ended by EOF is complete:\n{}",
        r.stderr
    );
    server.finish();
}

#[test]
fn rejected_429_shows_retry_after() {
    let server = reply_with(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n".to_vec(),
    );
    run(&["-n", &server.url()]).expect_code(6).stderr_has(&[
        "429 Too Many Requests",
        "< Retry-After: 120",
        "rate limited: retry after 120",
    ]);
    server.finish();
}

// ---------------------------------------------------------------- exit 7

#[test]
fn wrong_accept_key_shows_expected_and_received_and_exits_7() {
    let server = deterministic_101(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n",
    );
    run(&["-n", "--deterministic", &server.url()])
        .expect_code(7)
        .stderr_has(&[
            "Sec-WebSocket-Accept does not match our key",
            &format!("sent Sec-WebSocket-Key: {TEST_KEY}"),
            &format!("expected Sec-WebSocket-Accept: {TEST_ACCEPT}"),
            "received Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ]);
    server.finish();
}

#[test]
fn missing_upgrade_header_exits_7() {
    let server = deterministic_101(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
    );
    run(&["-n", "--deterministic", &server.url()])
        .expect_code(7)
        .stderr_has(&["no Upgrade header", "proxy"]);
    server.finish();
}

#[test]
fn connection_header_without_upgrade_exits_7() {
    let server = deterministic_101(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
    );
    run(&["-n", "--deterministic", &server.url()])
        .expect_code(7)
        .stderr_has(&["Connection is 'keep-alive', which lacks 'Upgrade'"]);
    server.finish();
}

/// A server that accepts the upgrade correctly but adds `extra` headers.
fn valid_101_with(extra: &'static [(&'static str, &'static str)]) -> RawServer {
    RawServer::start(move |mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a Sec-WebSocket-Key"), extra))
            .expect("write the 101");
    })
}

#[test]
fn subprotocol_chosen_when_none_offered_exits_7() {
    let server = valid_101_with(&[("Sec-WebSocket-Protocol", "chat")]);
    run(&["-n", &server.url()]).expect_code(7).stderr_has(&[
        "the server chose subprotocol 'chat', but we offered none",
        "-s NAME",
    ]);
    server.finish();
}

#[test]
fn subprotocol_chosen_that_was_not_offered_exits_7() {
    let server = RawServer::start(|mut s| {
        let (head, key) = read_request_head(&mut s);
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(
            head.contains("\r\nSec-WebSocket-Protocol: other\r\n"),
            "the offer:\n{head}"
        );
        let reply = response_101(&key.expect("a key"), &[("Sec-WebSocket-Protocol", "chat")]);
        s.write_all(&reply).expect("write the 101");
    });
    run(&["-n", "-s", "other", &server.url()])
        .expect_code(7)
        .stderr_has(&[
            "the server chose subprotocol 'chat', which is not among those offered (other)",
        ]);
    server.finish();
}

#[test]
fn extension_not_offered_exits_7() {
    let server = valid_101_with(&[("Sec-WebSocket-Extensions", "permessage-deflate")]);
    run(&["-n", "--no-compress", &server.url()])
        .expect_code(7)
        .stderr_has(&["extension 'permessage-deflate', which we did not offer"]);
    server.finish();
}

#[test]
fn non_http_reply_exits_7_showing_the_bytes() {
    let server = reply_with(b"SSH-2.0-OpenSSH_9\r\n".to_vec());
    run(&["-n", &server.url()]).expect_code(7).stderr_has(&[
        "the reply is not an HTTP response",
        "SSH-2.0-OpenSSH_9",
        "does not speak HTTP",
    ]);
    server.finish();
}

#[test]
fn server_closing_without_response_exits_7() {
    let server = reply_with(Vec::new());
    run(&["-n", &server.url()])
        .expect_code(7)
        .stderr_has(&["the server closed the connection before sending any response"]);
    server.finish();
}

#[test]
fn server_closing_in_the_middle_of_the_head_exits_7() {
    let partial = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs";
    let server = reply_with(partial.to_vec());
    run(&["-n", &server.url()]).expect_code(7).stderr_has(&[
        "the server closed the connection in the middle of its response",
        &format!("received {} bytes: HTTP/1.1 101", partial.len()),
    ]);
    server.finish();
}

#[test]
fn server_resetting_in_the_middle_of_the_head_exits_7() {
    let server = RawServer::start(|mut s| {
        // Read only the start of the request: closing with unread data
        // makes the kernel send a RST instead of a FIN.
        let mut start = [0u8; 4];
        s.read_exact(&mut start).expect("the request starts");
        assert_eq!(&start, b"GET ");
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\n")
            .expect("write the status line");
    });
    run(&["-n", &server.url()])
        .expect_code(7)
        .stderr_has(&["the server closed the connection"]);
    server.finish();
}

#[test]
fn tls_bytes_on_a_ws_port_hint_wss() {
    // The start of a TLS record (handshake, TLS 1.0 record version).
    let server = reply_with(vec![0x16, 0x03, 0x01, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26]);
    run(&["-n", &server.url()])
        .expect_code(7)
        .stderr_has(&["not an HTTP response", "use wss://"]);
    server.finish();
}

// ---------------------------------------------------------------- exit 8

#[test]
fn masked_frame_from_server_exits_8_and_closes_1002() {
    let key = [1u8, 2, 3, 4];
    let mut masked = vec![0x81, 0x80 | 2];
    masked.extend(key);
    masked.extend([b'h' ^ key[0], b'i' ^ key[1]]);
    let server = bad_frames_expect_close(masked, 1002);
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(8).stderr_has(&[
        "protocol violation by the server",
        "masked frame",
        "closed with 1002",
    ]);
    assert_eq!(r.stdout, "", "nothing from a bad frame reaches stdout");
    server.finish();
}

#[test]
fn rsv1_without_extension_exits_8() {
    let server = bad_frames_expect_close(frame_raw(0x80 | 0x40 | 0x1, b"x"), 1002);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&["RSV bits set", "closed with 1002"]);
    server.finish();
}

#[test]
fn reserved_opcode_exits_8() {
    let server = bad_frames_expect_close(frame(true, 0x3, b"x"), 1002);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&[
            "protocol violation by the server",
            "opcode",
            "closed with 1002",
        ]);
    server.finish();
}

#[test]
fn reserved_opcodes_are_named_in_hex_with_the_rule() {
    for (opcode, words) in [
        (0x3, "reserved data opcode 0x3 (section 5.2)"),
        (0xB, "reserved control opcode 0xb (section 5.2)"),
    ] {
        let server = bad_frames_expect_close(frame(true, opcode, b"x"), 1002);
        run(&["-n", "-w", "5", &server.url()])
            .expect_code(8)
            .stderr_has(&[words]);
        server.finish();
    }
}

#[test]
fn fragmented_ping_exits_8() {
    let server = bad_frames_expect_close(frame(false, 0x9, b"p"), 1002);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&["control frame is fragmented", "closed with 1002"]);
    server.finish();
}

#[test]
fn invalid_utf8_text_exits_8_and_closes_1007() {
    let server = bad_frames_expect_close(frame(true, 0x1, &[b'o', b'k', 0xff, 0xfe]), 1007);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&["not valid UTF-8", "closed with 1007"]);
    server.finish();
}

#[test]
fn message_over_max_message_size_exits_8_and_closes_1009() {
    let server = bad_frames_expect_close(frame(true, 0x2, &[7u8; 2000]), 1009);
    run(&["-n", "-w", "5", "--max-message-size", "1000", &server.url()])
        .expect_code(8)
        .stderr_has(&[
            "over the limit of 1000",
            "--max-message-size",
            "closed with 1009",
        ]);
    server.finish();
}

#[test]
fn close_frame_with_reserved_code_1005_is_a_protocol_violation() {
    // RFC 6455 section 7.4.1: 1005 must never be sent in a Close frame.
    let server = bad_frames_expect_close(frame(true, 0x8, &close_payload(1005, "")), 1002);
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(8).stderr_has(&[
        "protocol violation by the server",
        "1005",
        "closed with 1002",
    ]);
    assert!(
        !r.stderr.contains("Protocol violation\""),
        "the server never sent that reason:\n{}",
        r.stderr
    );
    server.finish();
}

#[test]
fn close_frame_with_a_one_byte_body_exits_8() {
    let server = bad_frames_expect_close(frame(true, 0x8, &[0x03]), 1002);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&["the Close frame has an invalid code", "closed with 1002"]);
    server.finish();
}

#[test]
fn close_reason_not_utf8_exits_8_and_closes_1007() {
    let mut payload = close_payload(1000, "");
    payload.push(0xff);
    let server = bad_frames_expect_close(frame(true, 0x8, &payload), 1007);
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(8)
        .stderr_has(&["not valid UTF-8", "closed with 1007"]);
    server.finish();
}

#[test]
fn close_reason_not_utf8_is_named_as_the_close_reason() {
    let mut payload = close_payload(1000, "");
    payload.push(0xff);
    let server = bad_frames_expect_close(frame(true, 0x8, &payload), 1007);
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(8).stderr_has(&["Close", "reason"]);
    assert!(!r.stderr.contains("text message"), "{}", r.stderr);
    server.finish();
}

// ---------------------------------------------------------------- exit 9

#[test]
fn server_close_1008_exits_9_with_code_name_and_reason() {
    let server = WsServer::start(close_script(1008, "policy"));
    run(&["-n", "-w", "5", &server.url()])
        .expect_code(9)
        .stderr_has(&[
            "connection closed abnormally: 1008 Policy Violation",
            "\"policy\"",
            "closed by the server",
        ]);
    server.finish();
}

#[test]
fn tcp_drop_without_close_exits_9_as_1006() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a key"), &[]))
            .expect("write the 101");
        // Dropping the socket ends the connection with a FIN, no Close frame.
    });
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(9).stderr_has(&[
        "connection closed abnormally: 1006",
        "without a Close frame",
    ]);
    assert!(
        r.took < QUICK,
        "the EOF must end the run at once: {:?}",
        r.took
    );
    server.finish();
}

#[test]
fn messages_before_an_abnormal_end_are_still_printed() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a key"), &[]);
        out.extend(frame(true, 0x1, b"a"));
        out.extend(frame(true, 0x1, b"b"));
        s.write_all(&out).expect("write the 101 and two messages");
    });
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(9).stderr_has(&["1006"]);
    assert_eq!(r.stdout, "a\nb\n");
    server.finish();
}

#[test]
fn reset_after_a_text_message_exits_9() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a key"), &[]);
        out.extend(frame(true, 0x1, b"first"));
        s.write_all(&out).expect("write the 101 and a message");
        // Wait until the client's message has arrived, then close without
        // reading it: unread data makes the kernel send a RST, not a FIN.
        let mut one = [0u8; 1];
        let n = s.peek(&mut one).expect("the client's message arrives");
        assert_eq!(n, 1, "the client sent its -d message");
    });
    let r = run(&["-d", "hello", "-n", "-w", "5", &server.url()]);
    r.expect_code(9)
        .stderr_has(&["connection closed abnormally: 1006", "reset"]);
    assert_eq!(r.stdout, "first\n");
    assert!(
        r.took < QUICK,
        "the reset must end the run at once: {:?}",
        r.took
    );
    server.finish();
}

// ---------------------------------------------------------------- exit 0

#[test]
fn server_close_1000_exits_0() {
    let server = WsServer::start(close_script(1000, "done"));
    let r = run(&["-n", "-w", "5", &server.url()]);
    r.expect_code(0);
    assert!(
        r.took < QUICK,
        "the server's Close ends the run: {:?}",
        r.took
    );
    server.finish();
}

#[test]
fn server_close_1001_exits_0() {
    let server = WsServer::start(close_script(1001, "going away"));
    run(&["-n", "-w", "5", &server.url()]).expect_code(0);
    server.finish();
}

#[test]
fn quiet_clean_close_prints_nothing_on_stderr() {
    let server = WsServer::start(close_script(1000, ""));
    let r = run(&["-q", "-n", "-w", "5", &server.url()]);
    r.expect_code(0);
    assert_eq!(r.stderr, "", "-q and a clean close: stderr stays empty");
    assert_eq!(r.stdout, "");
    server.finish();
}

// ---------------------------------------------------------------- exit 10

#[test]
fn handshake_response_never_coming_times_out_with_10() {
    let server = RawServer::start(|mut s| {
        read_request_head(&mut s);
        drain(&mut s);
    });
    run(&["-n", "--handshake-timeout", "0.5", &server.url()])
        .expect_code(10)
        .stderr_has(&[
            "timed out after",
            "no handshake response arrived",
            "--handshake-timeout",
        ])
        .quicker_than(QUICK);
    server.finish();
}

#[test]
fn handshake_head_that_never_completes_times_out_with_10() {
    let server = RawServer::start(|mut s| {
        read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\n")
            .expect("write the status line");
        drain(&mut s);
    });
    run(&["-n", "--handshake-timeout", "0.5", &server.url()])
        .expect_code(10)
        .stderr_has(&[
            "timed out after",
            "the handshake response head never completed",
        ])
        .quicker_than(QUICK);
    server.finish();
}

#[test]
fn unanswered_close_times_out_with_10() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a key"), &[]))
            .expect("write the 101");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|(c, _)| c), Some(1000), "{close:?}");
        // Never answer; wait for the client to give up.
        drain(&mut s);
    });
    run(&["-n", "-w", "0", "--close-timeout", "0.5", &server.url()])
        .expect_code(10)
        .stderr_has(&[
            "timed out after",
            "the server did not answer our Close",
            "--close-timeout",
        ])
        .quicker_than(QUICK);
    server.finish();
}

#[test]
fn tcp_drop_instead_of_close_answer_exits_9() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a key"), &[]))
            .expect("write the 101");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|(c, _)| c), Some(1000), "{close:?}");
        // Hang up without answering.
    });
    run(&["-n", "-w", "0", "--close-timeout", "5", &server.url()])
        .expect_code(9)
        .stderr_has(&[
            "connection closed abnormally: 1006",
            "without answering our Close",
        ])
        .quicker_than(QUICK);
    server.finish();
}

#[test]
fn max_time_exits_10_even_when_the_close_is_answered() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let mut close_code = None;
        loop {
            match ws.read() {
                Ok(Message::Close(f)) => close_code = f.map(|f| u16::from(f.code)),
                Ok(_) => {}
                // tungstenite answers the Close; then the connection ends.
                Err(_) => break,
            }
        }
        assert_eq!(close_code, Some(1000), "the client's Close at --max-time");
    });
    run(&["-n", "-w", "30", "--max-time", "0.5", &server.url()])
        .expect_code(10)
        .stderr_has(&["timed out after", "--max-time reached"])
        .quicker_than(QUICK);
    server.finish();
}

// ---------------------------------------------------------------- closed stdout

#[test]
fn stdout_closed_early_ends_quietly_with_0() {
    const MESSAGES: usize = 10_000;
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let filler = "x".repeat(100);
        for i in 0..MESSAGES {
            // The client may be gone long before the last message.
            if ws
                .write(Message::text(format!("message {i:05} {filler}")))
                .is_err()
            {
                return;
            }
        }
        if ws.flush().is_err() {
            return;
        }
        // Everything fitted in the buffers: wait for the client's Close.
        while ws.read().is_ok() {}
    });

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wsprobe"));
    // The same clean environment as support::wsprobe().
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("WSPROBE_") {
            cmd.env_remove(name);
        }
    }
    // --max-time bounds the run even if the pipe trick fails.
    cmd.args(["-n", "-w", "5", "--max-time", "15", &server.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn wsprobe");
    let mut stderr = child.stderr.take().expect("stderr pipe");
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout pipe"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read the first line");
    drop(stdout); // like `| head -1`

    let deadline = start + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wsprobe did not exit within 20 s after its stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(20)); // polling, not synchronisation
    };
    let took = start.elapsed();
    let stderr = stderr_reader.join().expect("stderr reader");

    assert!(first.starts_with("message 00000 "), "first line: {first:?}");
    assert_eq!(
        status.code(),
        Some(0),
        "a closed stdout ends the run as asked; stderr:\n{stderr}"
    );
    assert_eq!(stderr, "", "nothing on stderr for a closed stdout");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    server.finish();
}
