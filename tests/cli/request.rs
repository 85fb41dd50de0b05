//! The upgrade request on the wire, the -v trace, and frames that arrive
//! together with the 101.

use crate::support::*;
use std::io::Write;
use std::net::TcpStream;

#[test]
fn headers_subprotocols_origin_auth_and_agent_reach_the_wire() {
    let server = WsServer::start_with(
        |req: &Request, mut resp: Response| {
            let offered = req
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            assert_eq!(offered, "chat.v2, chat.v1");
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", "chat.v1".parse().expect("value"));
            Ok(resp)
        },
        close_script(1000, ""),
    );
    let port = server.addr().port();
    let out = wsprobe()
        .args([
            "-v",
            "-n",
            "-H",
            "X-MiXed-Case: value with  spaces",
            "-H",
            "X-Second: 2",
            "-s",
            "chat.v2",
            "-s",
            "chat.v1",
            "--origin",
            "https://app.example",
            "-A",
            "probe-test/1",
        ])
        .arg(format!(
            "ws://alice:s%3Acret@127.0.0.1:{port}/chat/room?x=1&y=2"
        ))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let rec = server.finish();
    assert_eq!(rec.request_line, "GET /chat/room?x=1&y=2 HTTP/1.1");
    let raw = String::from_utf8_lossy(&rec.raw_request);
    assert!(
        raw.contains("\r\nX-MiXed-Case: value with  spaces\r\n"),
        "{raw}"
    );
    assert!(raw.contains("\r\nX-Second: 2\r\n"), "{raw}");
    assert_eq!(
        rec.header("Host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(rec.header("Origin"), Some("https://app.example"));
    assert_eq!(rec.header("User-Agent"), Some("probe-test/1"));
    // base64("alice:s:cret")
    assert_eq!(rec.header("Authorization"), Some("Basic YWxpY2U6czpjcmV0"));
    let order = rec.header_names();
    let pos = |n: &str| order.iter().position(|h| *h == n).expect(n);
    assert!(pos("X-MiXed-Case") < pos("X-Second"), "{order:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("subprotocol: chat.v1"), "{err}");
}

#[test]
fn host_header_can_be_replaced_and_user_flag_beats_url_credentials() {
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    wsprobe()
        .args(["-n", "-H", "Host: virtual.example", "-u", "bob:pw"])
        .arg(format!("ws://alice:x@127.0.0.1:{port}/"))
        .assert()
        .success();
    let rec = server.finish();
    assert_eq!(rec.header_all("Host"), ["virtual.example"]);
    // base64("bob:pw")
    assert_eq!(rec.header("Authorization"), Some("Basic Ym9iOnB3"));
}

#[test]
fn bare_host_port_and_http_alias_connect_as_ws() {
    for form in ["bare", "http"] {
        let server = WsServer::start(close_script(1000, ""));
        let port = server.addr().port();
        let url = match form {
            "bare" => format!("127.0.0.1:{port}"),
            _ => format!("http://127.0.0.1:{port}/p"),
        };
        wsprobe().args(["-n", &url]).assert().success();
        let rec = server.finish();
        assert!(
            rec.request_line.starts_with("GET /"),
            "{form}: {}",
            rec.request_line
        );
    }
}

#[test]
fn frames_that_arrive_with_the_101_are_kept() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut burst = response_101(&key.expect("key"), &[]);
        burst.extend_from_slice(&frame(true, 1, b"early one"));
        burst.extend_from_slice(&frame(false, 1, b"early "));
        burst.extend_from_slice(&frame(true, 0, b"two"));
        burst.extend_from_slice(&frame(true, 8, &close_payload(1000, "done")));
        s.write_all(&burst).expect("one write");
        let reply = read_frame(&mut s);
        assert_eq!(reply.opcode, 8, "expected the client's Close reply");
    });
    let out = wsprobe()
        .args([&server.url(), "-n", "-v"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "early one\nearly two\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("arrived with the 101 response"), "{err}");
    server.finish();
}

#[test]
fn verbose_trace_shows_connection_request_response_timing_and_close() {
    let server = WsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-v", "-w", "0", "--deterministic"])
        .write_stdin("hi\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    let err = String::from_utf8_lossy(&out.stderr);
    let addr = server.addr();
    for needle in [
        format!("* Trying {addr}..."),
        format!("* Connected to {addr} ("),
        "> GET / HTTP/1.1".to_string(),
        format!("> Host: {addr}"),
        "> Upgrade: websocket".to_string(),
        "> Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==".to_string(),
        ">\n".to_string(),
        "< HTTP/1.1 101 Switching Protocols".to_string(),
        // tungstenite's server sends lower-case names; the trace shows them as sent.
        "< sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (valid)".to_string(),
        "* Open after ".to_string(),
        ": dns 0.0, tcp ".to_string(),
        "(subprotocol: none, extensions: none)".to_string(),
        "* Close sent: 1000 Normal Closure".to_string(),
        "* Close received: 1000 Normal Closure".to_string(),
        "* Closed cleanly (1000 Normal Closure, client initiated) after".to_string(),
    ] {
        assert!(err.contains(&needle), "missing {needle:?} in:\n{err}");
    }
    // Request lines come before response lines.
    let req = err.find("> GET").expect("request");
    let resp = err.find("< HTTP/1.1").expect("response");
    assert!(req < resp);
    server.finish();
}

#[test]
fn without_verbose_stderr_is_silent_on_success() {
    let server = WsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin("quiet\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.finish();
}

#[test]
fn resolved_names_are_reported_with_verbose() {
    // localhost resolves locally (no network); the server listens on 127.0.0.1.
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    let out = wsprobe()
        .args(["-v", "-n", &format!("ws://localhost:{port}/")])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("* Resolved localhost to "), "{err}");
    assert!(
        err.contains(&format!("* Connected to 127.0.0.1:{port}")),
        "{err}"
    );
    server.finish();
}

#[test]
fn a_server_that_reads_slowly_gets_everything_in_order() {
    // Backpressure: 8 MiB of lines to a server that sleeps between reads.
    // wsprobe must neither drop nor reorder anything.
    let (tx, rx) = std::sync::mpsc::channel();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        let mut n = 0u64;
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    assert_eq!(t.as_str(), format!("{n:08}{}", "y".repeat(1000)));
                    n += 1;
                    if n.is_multiple_of(2000) {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                }
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(e) => panic!("ended early after {n}: {e}"),
            }
        }
        tx.send(n).expect("report");
        while ws.read().is_ok() {}
    });
    let mut input = String::new();
    for i in 0..8000 {
        input.push_str(&format!("{i:08}{}\n", "y".repeat(1000)));
    }
    wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin(input)
        .assert()
        .success();
    assert_eq!(rx.recv_timeout(FINISH_TIMEOUT).expect("count"), 8000);
    server.finish();
}
