//! Listen mode (`wsprobe -l`): real clients against it (wsprobe's own
//! client mode, Python `websockets`, Node `ws`), raw-socket clients that
//! break each handshake and frame rule (the status or close code on the
//! wire, the stderr line, and that a good client still works afterwards),
//! several clients, --max-clients, a client that never reads, --once exit
//! statuses, Ctrl-C, and stdin read before any client connected.

use crate::support::listen::{KEY, Listening, RawClient, masked, upgrade_request};
use crate::support::{read_frame, wsprobe};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

pub(crate) fn peer(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// The JSON line a client script printed.
pub(crate) fn script_result(out: std::process::Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn the_first_line_and_the_json_event_give_the_port() {
    let l = Listening::start(&["--json", "--max-time", "0.3"], None);
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    let first: Value =
        serde_json::from_str(ended.out().lines().next().expect("a line")).expect("json");
    assert_eq!(first["event"], "listening");
    assert_eq!(first["address"], "127.0.0.1");
    assert!(first["port"].as_u64().is_some_and(|p| p > 0), "{first}");
    assert!(ended.stderr.starts_with(&format!(
        "* Listening on ws://127.0.0.1:{}/\n",
        first["port"]
    )));
}

#[test]
fn quiet_hides_the_listening_line_and_json_still_has_it() {
    let out = wsprobe()
        .args(["-l", "127.0.0.1:0", "-q", "--json", "--max-time", "0.2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().expect("a line"))
            .expect("json");
    assert_eq!(first["event"], "listening");
}

#[test]
fn wsprobe_client_mode_talks_to_listen_mode_with_and_without_compression() {
    for (client_flags, ext) in [
        (&[][..], "extensions: permessage-deflate"),
        (&["--no-compress"][..], "extensions: none"),
    ] {
        let big = "x".repeat(300_000);
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("big.txt");
        std::fs::write(&file, &big).expect("write");
        let at = format!("@{}", file.display());
        let l = Listening::start(
            &["--once", "-w", "10", "-d", "from-server", "-d", &at],
            Some(b""),
        );
        let mut client = wsprobe();
        client
            .args(client_flags)
            .args(["-n", "-w", "1", "-d", "one", "-d", "two"])
            .arg(l.url("/path?q=1"));
        let out = client.output().expect("client runs");
        // Not -c 2: the replies can arrive with the 101, before our -d
        // messages go out, and -c would close first.
        let client_out = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(client_out, format!("from-server\n{big}\n"));
        let ended = l.finish();
        assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
        assert_eq!(ended.out(), "one\ntwo\n", "{}", ended.stderr);
        assert!(
            ended.stderr.contains("* #1 Open: 127.0.0.1:"),
            "{}",
            ended.stderr
        );
        assert!(ended.stderr.contains("GET /path?q=1"), "{}", ended.stderr);
        assert!(ended.stderr.contains(ext), "{}", ended.stderr);
        assert!(
            ended
                .stderr
                .contains("* #1 Closed cleanly (1000 Normal Closure, client initiated)"),
            "{}",
            ended.stderr
        );
    }
}

#[test]
fn binary_goes_both_ways_byte_for_byte_with_b() {
    let payload: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let l = Listening::start(&["--once", "-w", "10", "-b", "--whole"], Some(&payload));
    let mut client = wsprobe();
    // -w, not -c 1: the server's message may come with the 101, before
    // the client has sent its own.
    client.args(["-b", "--whole", "-w", "1"]).arg(l.url("/"));
    client.write_stdin(b"\x00\xff\x01 raw".to_vec());
    let out = client.output().expect("client runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, payload);
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert_eq!(ended.stdout, b"\x00\xff\x01 raw");
}

#[test]
fn python_websockets_client_text_binary_compression_and_subprotocols() {
    for compress in [true, false] {
        let l = Listening::start(&["--once", "--echo", "--accept-subprotocol", "chat"], None);
        let mut cmd = Command::new("python3");
        cmd.arg(peer("ws_client.py"))
            .arg(l.url("/py"))
            .args(["--subprotocol", "other", "--subprotocol", "chat"])
            .args(["--text", "héllo", "--binary-hex", "00ff10", "--expect", "2"]);
        if !compress {
            cmd.arg("--no-compression");
        }
        let r = script_result(cmd.output().expect("python3 runs"), "ws_client.py");
        assert_eq!(r["subprotocol"], "chat", "{r}");
        assert_eq!(
            r["received"],
            serde_json::json!([{"type": "text", "data": "héllo"}, {"type": "binary", "data": "00ff10"}])
        );
        if compress {
            assert!(
                r["extensions"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("permessage-deflate")),
                "{r}"
            );
        } else {
            assert!(r["extensions"].is_null(), "{r}");
        }
        let ended = l.finish();
        assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
        assert_eq!(ended.out(), "héllo\n00ff10\n");
        assert!(
            ended
                .stderr
                .contains("subprotocol: chat, offered: other, chat"),
            "{}",
            ended.stderr
        );
        assert!(
            ended.stderr.contains("1000 Normal Closure \"done\""),
            "{}",
            ended.stderr
        );
    }
}

#[test]
fn node_ws_client_text_binary_compression_and_subprotocols() {
    let ws = peer("node_modules/ws");
    assert!(
        ws.exists(),
        "the Node ws package is missing: run tests/setup.sh (npm ci in tests/peers)"
    );
    for compress in [true, false] {
        let l = Listening::start(&["--once", "--echo", "--accept-subprotocol", "b"], None);
        let opts = serde_json::json!({
            "compress": compress,
            "subprotocols": ["a", "b"],
            "send": [{"type": "text", "data": "from node"}, {"type": "binary", "data": "cafe"}],
            "expect": 2,
        });
        let out = Command::new("node")
            .arg(peer("ws_client.js"))
            .arg(l.url("/node"))
            .arg(opts.to_string())
            .output()
            .expect("node runs");
        let r = script_result(out, "ws_client.js");
        assert_eq!(r["subprotocol"], "b", "{r}");
        assert_eq!(
            r["received"],
            serde_json::json!([{"type": "text", "data": "from node"}, {"type": "binary", "data": "cafe"}])
        );
        assert_eq!(
            r["extensions"]
                .as_str()
                .is_some_and(|e| e.contains("permessage-deflate")),
            compress,
            "{r}"
        );
        let ended = l.finish();
        assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
        assert_eq!(ended.out(), "from node\ncafe\n");
    }
}

#[test]
fn each_handshake_rule_is_answered_and_named_then_a_good_client_works() {
    let mut l = Listening::start(&["--handshake-timeout", "1", "--echo"], None);
    l.close_stdin();
    let good = upgrade_request("/", &[]);
    let without = |name: &str| {
        String::from_utf8_lossy(&good)
            .lines()
            .filter(|line| !line.starts_with(name))
            .map(|line| format!("{line}\r\n"))
            .collect::<String>()
            .into_bytes()
    };
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            String::from_utf8_lossy(&good)
                .replacen("GET", "POST", 1)
                .into_bytes(),
            "HTTP/1.1 400 Bad Request",
            "the method is POST, not GET",
        ),
        (
            String::from_utf8_lossy(&good)
                .replacen("HTTP/1.1", "HTTP/1.0", 1)
                .into_bytes(),
            "HTTP/1.1 400 Bad Request",
            "the request is HTTP/1.0",
        ),
        (
            without("Sec-WebSocket-Key"),
            "HTTP/1.1 400 Bad Request",
            "no Sec-WebSocket-Key header",
        ),
        (
            String::from_utf8_lossy(&good)
                .replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=")
                .into_bytes(),
            "HTTP/1.1 400 Bad Request",
            "'c2hvcnQ=' is not the base64 of 16 bytes",
        ),
        (
            without("Connection"),
            "HTTP/1.1 400 Bad Request",
            "no Connection header",
        ),
        (
            String::from_utf8_lossy(&good)
                .replace("Version: 13", "Version: 8")
                .into_bytes(),
            "HTTP/1.1 426 Upgrade Required",
            "Sec-WebSocket-Version is 8, not 13",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html,*/*\r\n\r\n".to_vec(),
            "HTTP/1.1 426 Upgrade Required",
            "a browser tab opened on the URL",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nVia: 1.1 squid\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                .to_vec(),
            "HTTP/1.1 426 Upgrade Required",
            "the proxy it came through (Via/Forwarded/X-Forwarded-For) removed them",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "HTTP/1.1 426 Upgrade Required",
            "fetched http:// instead of opening a WebSocket",
        ),
        // A client that trickles bytes is cut off at --handshake-timeout.
        (
            b"GET / HT".to_vec(),
            "HTTP/1.1 408 Request Timeout",
            "sent 8 bytes but no complete request head within 1.00 s",
        ),
    ];
    for (i, (request, status, words)) in cases.iter().enumerate() {
        let id = i + 1;
        let mut c = RawClient::connect(&l.addr());
        c.send(request);
        let answer = String::from_utf8_lossy(&c.rest()).into_owned();
        assert!(answer.starts_with(status), "case {id}: {answer}");
        assert!(answer.contains("This is a WebSocket endpoint"), "{answer}");
        if status.contains("426") {
            assert!(answer.contains("Sec-WebSocket-Version: 13\r\n"), "{answer}");
        }
        let stderr = l.wait_stderr(&format!("* #{id} Refused 127.0.0.1:"));
        let line = stderr
            .lines()
            .find(|line| line.starts_with(&format!("* #{id} Refused")))
            .expect("the line");
        assert!(line.contains(&status[9..]), "case {id}: {line}");
        assert!(line.contains(words), "case {id}: {line}");
    }
    // TLS spoken to ws://: nothing is answered, the line says why.
    let mut tls = RawClient::connect(&l.addr());
    tls.send(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03junk\r\n\r\n");
    assert!(tls.rest().is_empty());
    l.wait_stderr("the client speaks TLS");
    // And a well-behaved client afterwards.
    let out = wsprobe()
        .args(["-n", "-d", "still fine", "-c", "1"])
        .arg(l.url("/"))
        .output()
        .expect("client");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "still fine\n");
    l.interrupt();
    assert_eq!(l.finish().status.code(), Some(0));
}

#[test]
fn each_frame_rule_closes_that_client_with_its_code_and_others_go_on() {
    let mut l = Listening::start(&["--max-message-size", "100", "--echo"], None);
    l.close_stdin();
    let text = |p: &[u8]| masked(0x81, p, Some(KEY));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            masked(0x81, b"plain", None),
            1002,
            "the client sent an unmasked frame",
        ),
        (masked(0xa1, b"x", Some(KEY)), 1002, "RSV2"),
        (
            masked(0x83, b"x", Some(KEY)),
            1002,
            "reserved data opcode 0x3",
        ),
        (
            masked(0x09, b"", Some(KEY)),
            1002,
            "a control frame is fragmented",
        ),
        (
            masked(0x89, &[b'p'; 126], Some(KEY)),
            1002,
            "longer than 125 bytes",
        ),
        (text(b"\xc3\x28"), 1007, "not valid UTF-8"),
        (
            masked(0x88, &1005u16.to_be_bytes(), Some(KEY)),
            1002,
            "the client's Close frame has code 1005",
        ),
        (
            text(&[b'a'; 101]),
            1009,
            "over the limit of 100 (--max-message-size)",
        ),
    ];
    let n = cases.len();
    for (i, (frame, code, words)) in cases.into_iter().enumerate() {
        let id = i + 1;
        let (mut c, _) = RawClient::upgraded(&l.addr());
        c.send(&frame);
        let close = read_frame(&mut c.s);
        assert_eq!(close.close_code().map(|c| c.0), Some(code), "case {id}");
        assert!(close.mask.is_none(), "a server never masks");
        let stderr = l.wait_stderr(&format!("* #{id} Protocol error by 127.0.0.1:"));
        let line = stderr
            .lines()
            .find(|line| line.starts_with(&format!("* #{id} Protocol error")))
            .expect("the line");
        assert!(line.contains(words), "case {id}: {line}");
        assert!(
            line.contains(&format!("closed with {code}")),
            "case {id}: {line}"
        );
    }
    // A disconnect without Close, and a client's own Close code and reason.
    let (c, _) = RawClient::upgraded(&l.addr());
    drop(c);
    l.wait_stderr(&format!("* #{} Dropped 127.0.0.1", n + 1));
    let (mut c, _) = RawClient::upgraded(&l.addr());
    let mut payload = 4001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye now");
    c.send(&masked(0x88, &payload, Some(KEY)));
    assert_eq!(
        read_frame(&mut c.s).close_code(),
        Some((4001, "bye now".into()))
    );
    let stderr = l.wait_stderr(&format!("* #{} Closed abnormally (4001", n + 2));
    assert!(stderr.contains("\"bye now\", client initiated"), "{stderr}");
    assert!(
        stderr.contains("without a Close frame (1006 Abnormal Closure)"),
        "{stderr}"
    );
    // A reset (SO_LINGER 0, then close: the kernel sends RST).
    let (c, _) = RawClient::upgraded(&l.addr());
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on the fd of a socket we own, with a valid struct.
    let rc = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&c.s),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(c);
    let stderr = l.wait_stderr(&format!("* #{} Dropped 127.0.0.1", n + 3));
    assert!(stderr.contains("reset the connection (TCP RST"), "{stderr}");
    // The others went on: a good client still gets its echo.
    let (mut c, _) = RawClient::upgraded(&l.addr());
    c.send(&text(b"ok"));
    assert_eq!(read_frame(&mut c.s).text(), "ok");
    l.interrupt();
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
}

#[test]
fn several_clients_get_the_broadcast_and_are_told_apart_in_json() {
    let mut l = Listening::start(&["--json"], None);
    let mut clients: Vec<RawClient> = (0..3).map(|_| RawClient::upgraded(&l.addr()).0).collect();
    l.wait_stderr_n("Open: 127.0.0.1", 3);
    l.send_stdin(b"to everyone\n");
    for (i, c) in clients.iter_mut().enumerate() {
        assert_eq!(read_frame(&mut c.s).text(), "to everyone");
        c.send(&masked(
            0x81,
            format!("from {}", i + 1).as_bytes(),
            Some(KEY),
        ));
    }
    for i in 1..=3 {
        l.wait_stdout(format!("\"data\":\"from {i}\"").as_bytes());
    }
    l.close_stdin();
    l.interrupt();
    for c in &mut clients {
        assert_eq!(read_frame(&mut c.s).close_code().map(|c| c.0), Some(1001));
        c.send(&masked(0x88, &1001u16.to_be_bytes(), Some(KEY)));
    }
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    let events: Vec<Value> = ended
        .out()
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect();
    for i in 1..=3u64 {
        let m = events
            .iter()
            .find(|e| e["event"] == "message" && e["data"] == format!("from {i}"))
            .expect("the message");
        // Each client's message carries its id (they connected in order).
        assert_eq!(m["client"], i, "{m}");
        assert!(
            events
                .iter()
                .any(|e| e["event"] == "client_end" && e["client"] == i && e["code"] == 1001),
            "client {i} ended with 1001"
        );
    }
}

#[test]
fn a_client_over_max_clients_gets_503_and_a_line() {
    let l = Listening::start(&["--max-clients", "1"], None);
    let (_first, _) = RawClient::upgraded(&l.addr());
    l.wait_stderr("* #1 Open");
    let mut second = RawClient::connect(&l.addr());
    second.send(&upgrade_request("/", &[]));
    let answer = String::from_utf8_lossy(&second.rest()).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    l.wait_stderr("* #2 Refused 127.0.0.1");
    l.wait_stderr("--max-clients 1 reached");
}

#[test]
fn stdin_read_before_any_client_waits_for_the_first_one() {
    // printf 'hi\n' | wsprobe -l 0: stdin has ended before anyone connects.
    let l = Listening::start(&[], Some(b"hi\n"));
    let (mut c, _) = RawClient::upgraded(&l.addr());
    assert_eq!(read_frame(&mut c.s).text(), "hi");
    // Ctrl-C closes the client with 1001 Going Away and exits 0.
    l.interrupt();
    assert_eq!(read_frame(&mut c.s).close_code().map(|c| c.0), Some(1001));
    c.send(&masked(0x88, &1001u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("* #1 Closed cleanly (1001 Going Away, server initiated)"),
        "{}",
        ended.stderr
    );
}

#[test]
fn a_long_stdin_of_short_lines_reaches_the_client_whole() {
    // Regression: more messages than one turn's budget waiting, with the
    // input thread blocked on a full channel, once stalled the loop.
    let lines = 100_000;
    let input: String = (0..lines).map(|i| format!("{i}\n")).collect();
    let l = Listening::start(&[], Some(input.as_bytes()));
    let (mut c, _) = RawClient::upgraded(&l.addr());
    let mut reader = std::io::BufReader::with_capacity(1 << 16, c.s.try_clone().expect("clone"));
    for i in 0..lines {
        assert_eq!(read_frame(&mut reader).text(), i.to_string());
    }
    l.interrupt();
    assert_eq!(
        read_frame(&mut reader).close_code().map(|c| c.0),
        Some(1001)
    );
    c.send(&masked(0x88, &1001u16.to_be_bytes(), Some(KEY)));
    assert_eq!(l.finish().status.code(), Some(0));
}

#[test]
fn a_client_that_never_reads_is_dropped_and_the_others_get_everything() {
    let mut l = Listening::start(&[], None);
    let (_stalled, _) = RawClient::upgraded(&l.addr());
    let (mut reader, _) = RawClient::upgraded(&l.addr());
    l.wait_stderr_n("Open: 127.0.0.1", 2);
    let line = format!("{}\n", "z".repeat(999));
    let lines = 30_000; // 30 MB: far past the 4 MiB queue and the socket buffers.
    let pid = l.pid();
    let feeder = {
        let mut input = l.take_stdin();
        let line = line.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            for _ in 0..lines {
                if input.write_all(line.as_bytes()).is_err() {
                    break;
                }
            }
        })
    };
    for i in 0..lines {
        let f = read_frame(&mut reader.s);
        assert_eq!(f.payload.len(), 999, "message {i}");
    }
    feeder.join().expect("feeder");
    let stderr = l.wait_stderr("* #1 Dropped 127.0.0.1");
    assert!(stderr.contains("disconnected as too slow"), "{stderr}");
    // Memory stayed bounded: the stalled client's queue is capped.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let hwm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    assert!(hwm_kib < 80 * 1024, "peak RSS {hwm_kib} KiB for 30 MB sent");
    l.interrupt();
    reader.send(&masked(0x88, &1001u16.to_be_bytes(), Some(KEY)));
    assert_eq!(l.finish().status.code(), Some(0));
}

#[test]
fn once_exits_with_the_sessions_status() {
    // A protocol violation by the client: 8.
    let l = Listening::start(&["--once"], None);
    let (mut c, _) = RawClient::upgraded(&l.addr());
    c.send(&masked(0x81, b"unmasked", None));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(8), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("error: protocol violation by the client: the client sent an unmasked frame"),
        "{}",
        ended.stderr
    );
    // A disconnect without Close: 9.
    let l = Listening::start(&["--once"], None);
    let (c, _) = RawClient::upgraded(&l.addr());
    drop(c);
    assert_eq!(l.finish().status.code(), Some(9));
    // -c 1: the server closes after one message; the answer completes it: 0.
    let l = Listening::start(&["--once", "-c", "1"], None);
    let (mut c, _) = RawClient::upgraded(&l.addr());
    c.send(&masked(0x81, b"one", Some(KEY)));
    assert_eq!(read_frame(&mut c.s).close_code().map(|c| c.0), Some(1000));
    c.send(&masked(0x88, &1000u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert_eq!(ended.out(), "one\n");
    // A client that never answers our Close: 10, after --close-timeout.
    let l = Listening::start(&["--once", "-c", "1", "--close-timeout", "0.3"], None);
    let (mut c, _) = RawClient::upgraded(&l.addr());
    c.send(&masked(0x81, b"one", Some(KEY)));
    assert_eq!(read_frame(&mut c.s).close_code().map(|c| c.0), Some(1000));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(10), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("did not answer our Close within 300.0 ms (--close-timeout)")
            && ended
                .stderr
                .contains("error: timed out after 300.0 ms: the client did not answer our Close"),
        "{}",
        ended.stderr
    );
    drop(c);
    // No client before --max-time: 10.
    let l = Listening::start(&["--once", "--max-time", "0.2"], None);
    assert_eq!(l.finish().status.code(), Some(10));
}

#[test]
fn ping_interval_pings_each_client_and_drops_one_that_never_answers() {
    // A client that answers: pinged, its pongs timed, the session goes on
    // until it closes.
    let l = Listening::start(&["--once", "-v", "--ping-interval", "0.05"], None);
    let (mut c, _) = RawClient::upgraded(&l.addr());
    let ping = read_frame(&mut c.s);
    assert_eq!(ping.opcode, 0x9, "a ping first: {ping:?}");
    c.send(&masked(0x8a, &ping.payload, Some(KEY)));
    l.wait_stderr("#1 Pong received");
    c.send(&masked(0x88, &1000u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert!(ended.stderr.contains("#1 Ping sent"), "{}", ended.stderr);
    // One that never answers: disconnected after --ping-timeout (10 with
    // --once); the others are not.
    let l = Listening::start(&["--ping-interval", "0.05", "--ping-timeout", "0.2"], None);
    let (_silent, _) = RawClient::upgraded(&l.addr());
    let (mut good, _) = RawClient::upgraded(&l.addr());
    l.wait_stderr("#2 Open");
    for _ in 0..6 {
        let ping = read_frame(&mut good.s);
        assert_eq!(ping.opcode, 0x9, "{ping:?}");
        good.send(&masked(0x8a, &ping.payload, Some(KEY)));
    }
    let dropped = l.wait_stderr("(--ping-timeout); disconnected");
    assert!(
        dropped.contains("#1 Dropped 127.0.0.1:")
            && dropped.contains("answered no ping within 200.0 ms"),
        "{dropped}"
    );
    assert!(!dropped.contains("#2 Dropped"), "{dropped}");
    l.interrupt();
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    let l = Listening::start(
        &["--once", "--ping-interval", "0.05", "--ping-timeout", "0.1"],
        None,
    );
    let (_silent, _) = RawClient::upgraded(&l.addr());
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(10), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("the client answered no keepalive ping (--ping-timeout)"),
        "{}",
        ended.stderr
    );
}

#[test]
fn a_flood_of_pings_is_answered_and_messages_still_flow() {
    let l = Listening::start(&["--once", "--echo"], None);
    let (mut c, _) = RawClient::upgraded(&l.addr());
    let mut burst = Vec::new();
    for i in 0..2000u32 {
        burst.extend(masked(0x89, &i.to_be_bytes(), Some(KEY)));
    }
    burst.extend(masked(0x81, b"after the pings", Some(KEY)));
    c.send(&burst);
    let mut pongs = 0;
    loop {
        let f = read_frame(&mut c.s);
        match f.opcode {
            0xa => pongs += 1,
            0x1 => {
                assert_eq!(f.text(), "after the pings");
                break;
            }
            other => panic!("unexpected opcode {other}"),
        }
    }
    // Each ping is answered (the engine may answer only the latest one
    // when pongs back up, RFC 6455 section 5.5.3; here the client reads).
    assert!(pongs >= 1, "{pongs} pongs");
    c.send(&masked(0x88, &1000u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert_eq!(ended.out(), "after the pings\n");
}

#[test]
fn no_subprotocol_is_chosen_unless_accepted_and_the_offer_is_shown() {
    let l = Listening::start(&["--once"], None);
    let mut c = RawClient::connect(&l.addr());
    c.send(&upgrade_request(
        "/",
        &["Sec-WebSocket-Protocol: chat, json"],
    ));
    let head = c.head();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(!head.contains("Sec-WebSocket-Protocol"), "{head}");
    c.send(&masked(0x88, &1000u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    assert!(
        ended
            .stderr
            .contains("(subprotocol: none, offered: chat, json; extensions: none)"),
        "{}",
        ended.stderr
    );
}

#[test]
fn verbose_shows_the_request_redacted_and_the_frames_with_the_id() {
    let l = Listening::start(
        &["--once", "-vv", "--echo", "-H", "X-Served-By: test"],
        None,
    );
    let mut c = RawClient::connect(&l.addr());
    c.send(&upgrade_request(
        "/v",
        &[
            "Cookie: session=s3cret",
            "Authorization: Bearer t0ken",
            "Origin: http://page.test",
        ],
    ));
    let head = c.head();
    assert!(head.contains("X-Served-By: test\r\n"), "{head}");
    c.send(&masked(0x81, b"traced", Some(KEY)));
    assert_eq!(read_frame(&mut c.s).text(), "traced");
    c.send(&masked(0x88, &1000u16.to_be_bytes(), Some(KEY)));
    let ended = l.finish();
    let e = &ended.stderr;
    assert_eq!(ended.status.code(), Some(0), "{e}");
    for needle in [
        "< #1 GET /v HTTP/1.1\n",
        "< #1 Origin: http://page.test\n",
        "> #1 HTTP/1.1 101 Switching Protocols\n",
        "> #1 X-Served-By: test\n",
        "{ #1 TEXT fin masked key=12345678 len=6 \"traced\"",
        "} #1 TEXT fin len=6 \"traced\"",
    ] {
        assert!(e.contains(needle), "stderr lacks {needle:?}:\n{e}");
    }
    assert!(!e.contains("s3cret") && !e.contains("t0ken"), "{e}");
}

#[test]
fn client_only_flags_and_a_url_with_listen_are_usage_errors() {
    let out = wsprobe()
        .args(["-l", "0", "ws://h/"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = wsprobe()
        .args(["-l", "0", "-x", "http://p:1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-x only apply when connecting"));
    let out = wsprobe().args(["-l", "nope"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// PEM of one DER item.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[test]
fn wss_with_tls_cert_serves_a_client_that_trusts_the_test_ca() {
    let pki = crate::support::TestPki::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key, ca) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, pem("CERTIFICATE", &pki.leaf_der)).expect("write");
    std::fs::write(&key, pem("PRIVATE KEY", &pki.leaf_key_der)).expect("write");
    std::fs::write(&ca, &pki.ca_pem).expect("write");
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut l = Listening::start(&["--echo", "--tls-cert", &cert, "--tls-key", &key], None);
    l.close_stdin();
    assert!(l.stderr().starts_with("* Listening on wss://127.0.0.1:"));
    let url = format!("wss://127.0.0.1:{}/secure", l.port);
    for flags in [&[][..], &["--no-compress"][..]] {
        let out = wsprobe()
            .args(flags)
            .arg("--cacert")
            .arg(&ca)
            .args(["-n", "-d", "over tls", "-c", "1"])
            .arg(&url)
            .output()
            .expect("client");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "over tls\n");
    }
    // A ws:// client is told in plain text; a client that does not trust
    // the certificate fails its TLS handshake, and the line says so.
    let mut plain = RawClient::connect(&l.addr());
    plain.send(&upgrade_request("/", &[]));
    let answer = String::from_utf8_lossy(&plain.rest()).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
    l.wait_stderr("the client sent plain HTTP to this wss:// listener");
    let out = wsprobe()
        .args(["-n", "-c", "1"])
        .arg(&url)
        .output()
        .expect("client");
    assert_eq!(out.status.code(), Some(5));
    l.wait_stderr("the TLS handshake failed");
    l.interrupt();
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert_eq!(ended.out(), "over tls\nover tls\n");
}

#[test]
fn unusable_tls_files_are_usage_errors_before_listening() {
    let pki = crate::support::TestPki::generate();
    let other = crate::support::TestPki::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("cert.pem");
    let wrong_key = dir.path().join("other-key.pem");
    std::fs::write(&cert, pem("CERTIFICATE", &pki.leaf_der)).expect("write");
    std::fs::write(&wrong_key, pem("PRIVATE KEY", &other.leaf_key_der)).expect("write");
    let run = |cert: &std::path::Path, key: &std::path::Path| {
        wsprobe()
            .args(["-l", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .expect("runs")
    };
    for (c, k, needle) in [
        (
            dir.path().join("missing.pem"),
            wrong_key.clone(),
            "--tls-cert",
        ),
        (cert.clone(), wrong_key.clone(), "does not belong"),
        (cert.clone(), cert.clone(), "holds no private key"),
    ] {
        let out = run(&c, &k);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(!stderr.contains("Listening"), "{stderr}");
    }
}

#[test]
fn static_serves_the_page_under_test_and_never_leaves_its_directory() {
    let site = tempfile::tempdir().expect("tempdir");
    let root = site.path();
    std::fs::write(root.join("index.html"), "<script src=app.js></script>").expect("write");
    std::fs::write(
        root.join("app.js"),
        "new WebSocket(location.href.replace('http', 'ws'))",
    )
    .expect("write");
    let secret = tempfile::NamedTempFile::new().expect("outside");
    std::fs::write(secret.path(), "secret outside").expect("write");
    std::os::unix::fs::symlink(secret.path(), root.join("escape")).expect("symlink");
    let dir = root.display().to_string();
    let mut l = Listening::start(&["--static", &dir, "--echo"], None);
    l.close_stdin();
    let get = |target: &str| {
        let mut c = RawClient::connect(&l.addr());
        c.send(format!("GET {target} HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n").as_bytes());
        String::from_utf8_lossy(&c.rest()).into_owned()
    };
    let page = get("/");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(
        page.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{page}"
    );
    assert!(
        page.ends_with("\r\n\r\n<script src=app.js></script>"),
        "{page}"
    );
    let js = get("/app.js?v=1");
    assert!(
        js.contains("Content-Type: text/javascript; charset=utf-8\r\n"),
        "{js}"
    );
    for (target, status) in [
        ("/../../etc/passwd", "403 Forbidden"),
        ("/%2e%2e/%2e%2e/etc/passwd", "403 Forbidden"),
        ("/escape", "403 Forbidden"),
        ("/missing.css", "404 Not Found"),
        ("/%zz", "400 Bad Request"),
    ] {
        let answer = get(target);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{target}: {answer}"
        );
        assert!(
            !answer.contains("secret outside") && !answer.contains("root:"),
            "{answer}"
        );
    }
    // Each line comes when its handshake thread reports, in any order.
    l.wait_stderr("GET /%zz from 127.0.0.1");
    l.wait_stderr("GET /escape from 127.0.0.1");
    let stderr = l.wait_stderr("* #1 GET / from 127.0.0.1:");
    assert!(
        stderr.contains(": 200, 28 bytes, text/html; charset=utf-8 (--static)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("GET /escape from 127.0.0.1:")
            && stderr.contains("leads outside --static DIR"),
        "{stderr}"
    );
    // The WebSocket on the same origin.
    let (mut c, _) = RawClient::upgraded(&l.addr());
    c.send(&masked(0x81, b"same origin", Some(KEY)));
    assert_eq!(read_frame(&mut c.s).text(), "same origin");
    drop(c);
    l.interrupt();
    assert_eq!(l.finish().status.code(), Some(0));
    let out = wsprobe()
        .args(["-l", "127.0.0.1:0", "--static", "/nonexistent/site"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
