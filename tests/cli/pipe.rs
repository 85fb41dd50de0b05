//! Pipe mode: stdin framing, byte-exact round trips, -d/-n/-c/-w, and how
//! received messages reach stdout.

use crate::support::*;
use std::net::TcpStream;
use std::sync::mpsc;

/// Deterministic pseudo-random bytes (xorshift64), for binary payloads.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A server that records every data message until the client closes, then
/// reports them through the returned channel.
fn recording_server() -> (WsServer, mpsc::Receiver<Vec<Message>>) {
    let (tx, rx) = mpsc::channel();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        let mut got = Vec::new();
        loop {
            match ws.read() {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => got.push(m),
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(e) => panic!("recording server: connection ended without Close: {e}"),
            }
        }
        tx.send(got).expect("test is waiting");
        while ws.read().is_ok() {}
    });
    (server, rx)
}

fn texts(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .map(|m| match m {
            Message::Text(t) => t.as_str().to_string(),
            other => panic!("expected text, got {other:?}"),
        })
        .collect()
}

#[test]
fn hundred_thousand_lines_round_trip_byte_exact() {
    let server = WsServer::start(echo_script);
    let mut input = String::new();
    for i in 0..100_000 {
        input.push_str(&format!("line {i} {}\n", "x".repeat(i % 50)));
    }
    let out = wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin(input.clone())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout == input.as_bytes(), "stdout differs from stdin");
    server.finish();
}

#[test]
fn twenty_mib_binary_message_round_trips_byte_exact() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        // tungstenite's 16 MiB frame limit would refuse the message.
        ws.set_config(|c| {
            c.max_frame_size = None;
            c.max_message_size = None;
        });
        echo_script(ws)
    });
    let data = noise(20 << 20, 0x9e37_79b9_7f4a_7c15);
    let out = wsprobe()
        .args([&server.url(), "-b", "--whole", "-w", "0"])
        .write_stdin(data.clone())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "binary payload changed in transit");
    server.finish();
}

#[test]
fn line_endings_are_not_sent_and_a_last_line_without_newline_is() {
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin("crlf\r\nlf\n\nlast")
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(texts(&got), ["crlf", "lf", "", "last"]);
    server.finish();
}

#[test]
fn nul_records_may_hold_newlines() {
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "-0", "-w", "0"])
        .write_stdin("a\nb\0c\r\n\0")
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(texts(&got), ["a\nb", "c\r\n"]);
    server.finish();
}

#[test]
fn whole_sends_all_of_stdin_as_one_text_message() {
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "--whole", "-w", "0"])
        .write_stdin("one\ntwo\n")
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(texts(&got), ["one\ntwo\n"]);
    server.finish();
}

#[test]
fn binary_flag_sends_lines_as_binary_messages() {
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "-b", "-w", "0"])
        .write_stdin(b"\xff\x00\n\x01\n".to_vec())
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(
        got,
        [
            Message::Binary(vec![0xff, 0].into()),
            Message::Binary(vec![1].into())
        ]
    );
    server.finish();
}

#[test]
fn data_is_sent_first_then_stdin_and_at_file_reads_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("msg.json");
    std::fs::write(&file, "{\"from\":\"file\"}\n").expect("write");
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "-w", "0", "-d", "first"])
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .write_stdin("from stdin\n")
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(
        texts(&got),
        ["first", "{\"from\":\"file\"}\n", "from stdin"]
    );
    server.finish();
}

#[test]
fn no_input_ignores_stdin() {
    let (server, rx) = recording_server();
    wsprobe()
        .args([&server.url(), "-n", "-w", "0", "-d", "only"])
        .write_stdin("must not be sent\n")
        .assert()
        .success();
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(texts(&got), ["only"]);
    server.finish();
}

#[test]
fn count_exits_after_n_messages_and_prints_no_more() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        for i in 0..5 {
            ws.send(Message::text(format!("m{i}"))).expect("send");
        }
        // The client closes after two; answer its Close.
        loop {
            match ws.read() {
                Ok(Message::Close(_)) => {}
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => return,
                Err(e) => panic!("no clean close: {e}"),
            }
        }
    });
    let out = wsprobe()
        .args([&server.url(), "-n", "-c", "2"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "m0\nm1\n");
    server.finish();
}

#[test]
fn replies_sent_before_the_servers_close_are_printed_with_wait_zero() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let msg = ws.read().expect("the line");
        assert_eq!(msg, Message::text("ping"));
        ws.send(Message::text("reply")).expect("send");
        // With -w 0 the client's Close may already be on its way: the reply
        // crosses it, and must still be printed.
        match ws.read().expect("close") {
            Message::Close(_) => {}
            other => panic!("expected Close, got {other:?}"),
        }
        while ws.read().is_ok() {}
    });
    let out = wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin("ping\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "reply\n");
    server.finish();
}

#[test]
fn messages_in_flight_after_our_close_are_still_printed() {
    // Raw server: reads the line, then (after seeing our Close) sends a text
    // frame and only then its Close. wsprobe must print "late".
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        use std::io::Write;
        s.write_all(&response_101(&key.expect("key"), &[]))
            .expect("101");
        let f = read_frame(&mut s);
        assert_eq!(f.text(), "x");
        let close = read_frame(&mut s);
        assert_eq!(close.opcode, 8, "expected our Close");
        s.write_all(&frame(true, 1, b"late")).expect("late");
        s.write_all(&frame(true, 8, &close_payload(1000, "")))
            .expect("close");
    });
    let out = wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin("x\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "late\n");
    server.finish();
}

#[test]
fn default_wait_keeps_a_slow_reply() {
    // A server that takes 300 ms to answer (its own pace, not a test sync):
    // the default --wait of 1 s must still print the reply.
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let msg = ws.read().expect("line");
        std::thread::sleep(std::time::Duration::from_millis(300));
        ws.send(msg).expect("send");
        echo_script(ws);
    });
    let out = wsprobe()
        .arg(server.url())
        .write_stdin("slow\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "slow\n");
    server.finish();
}

#[test]
fn received_binary_is_hex_on_a_pipe_and_raw_with_b() {
    let payload = vec![0u8, 1, 0xfe, b'\n'];
    let p = payload.clone();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        send_and_close(vec![Message::Binary(p.into()), Message::text("t")])(ws)
    });
    let out = wsprobe()
        .args([&server.url(), "-n"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0001fe0a\nt\n");
    server.finish();

    let p = payload.clone();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        send_and_close(vec![Message::Binary(p.into())])(ws)
    });
    let out = wsprobe()
        .args([&server.url(), "-n", "-b"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, payload);
    server.finish();
}

#[test]
fn server_pings_are_answered_with_the_same_payload() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        ws.send(Message::Ping("are you there".into()))
            .expect("ping");
        loop {
            match ws.read().expect("pong") {
                Message::Pong(p) => {
                    assert_eq!(&p[..], b"are you there");
                    break;
                }
                Message::Ping(_) => {}
                other => panic!("expected Pong, got {other:?}"),
            }
        }
        close_script(1000, "")(ws);
    });
    wsprobe().args([&server.url(), "-n"]).assert().success();
    server.finish();
}

#[test]
fn server_close_1000_is_answered_and_clean() {
    let server = WsServer::start(close_script(1000, "bye"));
    let out = wsprobe()
        .args([&server.url(), "-v"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Close received: 1000 Normal Closure \"bye\""),
        "{err}"
    );
    assert!(err.contains("server initiated"), "{err}");
    server.finish();
}

#[test]
fn invalid_utf8_line_stops_with_status_1_after_earlier_lines() {
    let (server, rx) = recording_server();
    let out = wsprobe()
        .args([&server.url(), "-w", "0"])
        .write_stdin(b"good\n\xc3\x28\nnever\n".to_vec())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("-b"), "{err}");
    let got = rx.recv_timeout(FINISH_TIMEOUT).expect("server recorded");
    assert_eq!(texts(&got), ["good"]);
    server.finish();
}

#[test]
fn count_without_wait_waits_for_a_slow_reply() {
    // The server answers after 1.5 s, longer than the default --wait of 1 s:
    // with -c the count decides, not the quiet timer.
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let msg = ws.read().expect("line");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        ws.send(msg).expect("send");
        echo_script(ws);
    });
    let out = wsprobe()
        .args([&server.url(), "-c", "1"])
        .write_stdin("patience\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "patience\n");
    server.finish();
}

#[test]
fn empty_messages_round_trip_without_hanging() {
    // Regression: an empty frame followed by more bytes in the same read
    // made the frame decoder (always on, for close diagnosis) loop forever.
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let mut got = 0;
        while got < 3 {
            match ws.read().expect("message") {
                m @ Message::Text(_) => {
                    got += 1;
                    ws.write(m).expect("queue");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // Three echoes and the Close in one write, so the client reads the
        // empty frames together with what follows them.
        ws.write(Message::Ping(Vec::new().into())).expect("ping");
        ws.close(None).expect("close");
        while ws.read().is_ok() {}
    });
    let started = std::time::Instant::now();
    let out = wsprobe()
        .args([&server.url(), "-w", "5"])
        .write_stdin("\n\nlast\n")
        .output()
        .expect("runs");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\n\nlast\n");
    server.finish();
}
