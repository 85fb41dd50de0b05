//! Diagnostics: the -v/-vv/-vvv trace (a snapshot of a fixed exchange),
//! --json events, --har files, secret redaction, --timestamps, the TLS
//! chain, and traces of the frames that broke a session.

use crate::support::*;
use serde_json::Value;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;

/// Replace what changes between runs (the port, durations) with fixed
/// tokens, so a trace can be compared byte for byte.
fn normalize(text: &str, port: u16) -> String {
    let text = text.replace(&port.to_string(), "PORT");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A decimal number followed by " ms" or " s" is a duration.
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let rest: String = chars[j..chars.len().min(j + 3)].iter().collect();
            let number: String = chars[i..j].iter().collect();
            // "(0.1 ms)", "after 2.31 s", and "dns 0.0, tcp 0.1, upgrade 1.0 (".
            let duration = [" ms", " s", ",", " ("].iter().any(|s| rest.starts_with(s));
            if number.matches('.').count() == 1 && duration {
                out.push('N');
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Compare with a committed snapshot; UPDATE_SNAPSHOTS=1 rewrites it.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "snapshot {name} differs (UPDATE_SNAPSHOTS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn vv_trace_of_a_fixed_exchange_matches_the_snapshot() {
    // Each step waits for the client's answer, so the order of events is
    // fixed whatever the scheduling.
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        let m = ws.read().expect("hello");
        ws.send(m).expect("echo");
        ws.send(Message::Ping("p".into())).expect("ping");
        match ws.read().expect("pong") {
            Message::Pong(p) => assert_eq!(&p[..], b"p"),
            other => panic!("expected the pong, got {other:?}"),
        }
        ws.send(Message::Binary(vec![0, 1, 2].into()))
            .expect("binary");
        close_script(1000, "bye")(ws);
    });
    let port = server.addr().port();
    let out = wsprobe()
        .args([
            &server.url(),
            "-vv",
            "--deterministic",
            "-n",
            "-d",
            "hello",
            "-w",
            "5",
        ])
        .args(["-H", "Cookie: id=s3cret"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"hello\n000102\n");
    snapshot(
        "trace_vv.txt",
        &normalize(&String::from_utf8_lossy(&out.stderr), port),
    );
    server.finish();
}

#[test]
fn json_events_are_one_object_per_line_in_order() {
    let server = WsServer::start(echo_script);
    let out = wsprobe()
        .args([
            &server.url(),
            "--json",
            "-w",
            "0",
            "-H",
            "Authorization: Bearer sekrit",
        ])
        .write_stdin("hi\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    for e in &events {
        assert!(e["t"].is_number(), "{e}");
        assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
    }
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let pos = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("no {n} in {names:?}"))
    };
    assert!(pos("connect") < pos("request"));
    assert!(pos("request") < pos("response"));
    assert!(pos("response") < pos("open"));
    assert!(pos("open") < pos("message"));
    assert!(pos("message") < pos("closed"));
    assert!(names.contains(&"frame"), "{names:?}");
    let sent = events
        .iter()
        .find(|e| e["event"] == "message" && e["direction"] == "sent")
        .expect("sent message");
    assert_eq!(sent["data"], "hi");
    let got = events
        .iter()
        .find(|e| e["event"] == "message" && e["direction"] == "received")
        .expect("received message");
    assert_eq!(
        (got["type"].as_str(), got["data"].as_str()),
        (Some("text"), Some("hi"))
    );
    let req = &events[pos("request")];
    let auth = req["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == "Authorization")
        .expect("auth header");
    assert_eq!(auth["value"], "Bearer [redacted]");
    assert!(!stdout.contains("sekrit"));
    let resp = &events[pos("response")];
    assert_eq!(resp["status"], 101);
    assert_eq!(resp["accept_verified"], true);
    let closed = &events[pos("closed")];
    assert_eq!(
        (closed["clean"].as_bool(), closed["initiator"].as_str()),
        (Some(true), Some("client"))
    );
    server.finish();
}

#[test]
fn json_reports_the_error_with_class_and_exit_status() {
    let server = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nno origin")
            .expect("reply");
    });
    let out = wsprobe()
        .args([&server.url(), "--json", "-n"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(6));
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let last: Value = serde_json::from_str(stdout.lines().last().expect("lines")).expect("json");
    assert_eq!(last["event"], "error");
    assert_eq!(last["class"], "rejected");
    assert_eq!(last["exit_status"], 6);
    assert!(
        last["hints"][0]
            .as_str()
            .is_some_and(|h| h.contains("--origin")),
        "{last}"
    );
    let resp: Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .find(|e| e["event"] == "response")
        .expect("response event");
    assert_eq!(resp["body"], "no origin");
    // The human report still goes to stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("403 Forbidden"));
    server.finish();
}

#[test]
fn har_file_holds_the_handshake_timings_and_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("session.har");
    let server = WsServer::start(echo_script);
    let url = format!("{}chat?room=1", server.url());
    wsprobe()
        .args([&url, "-w", "0", "-b", "--har"])
        .arg(&har)
        .write_stdin(b"\x00\x01\n".to_vec())
        .assert()
        .success();
    server.finish();
    let v: Value =
        serde_json::from_slice(&std::fs::read(&har).expect("har written")).expect("json");
    let log = &v["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "wsprobe");
    let e = &log["entries"][0];
    assert!(
        e["startedDateTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(e["time"].is_number());
    assert_eq!(e["request"]["method"], "GET");
    assert_eq!(e["request"]["url"], url);
    assert_eq!(e["request"]["httpVersion"], "HTTP/1.1");
    assert_eq!(e["request"]["queryString"][0]["name"], "room");
    assert!(
        e["request"]["headers"]
            .as_array()
            .is_some_and(|h| h.len() >= 5)
    );
    assert_eq!(e["response"]["status"], 101);
    assert!(e["response"]["content"].is_object());
    for k in ["send", "wait", "receive", "dns", "connect"] {
        assert!(e["timings"][k].is_number(), "timings.{k}");
    }
    assert_eq!(e["serverIPAddress"], "127.0.0.1");
    let msgs = e["_webSocketMessages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0]["type"], "send");
    assert_eq!(msgs[1]["type"], "receive");
    assert_eq!(msgs[1]["opcode"], 2);
    assert_eq!(msgs[1]["data"], "AAE=");
    assert!(msgs[1]["time"].as_f64().is_some_and(|t| t > 1.0e9));
}

#[test]
fn har_is_written_for_a_refused_upgrade_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("refused.har");
    let server = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        s.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope",
        )
        .expect("reply");
    });
    let out = wsprobe()
        .args([&server.url(), "-n", "--har"])
        .arg(&har)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(6));
    let v: Value = serde_json::from_slice(&std::fs::read(&har).expect("har")).expect("json");
    let r = &v["log"]["entries"][0]["response"];
    assert_eq!(
        (r["status"].as_i64(), r["content"]["text"].as_str()),
        (Some(404), Some("nope"))
    );
    assert_eq!(r["content"]["mimeType"], "text/plain");
    server.finish();
}

#[test]
fn unwritable_har_path_is_an_error_after_the_session() {
    let server = WsServer::start(close_script(1000, ""));
    let out = wsprobe()
        .args([&server.url(), "-n", "--har", "/nonexistent-dir/x.har"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot write the HAR file /nonexistent-dir/x.har")
    );
    server.finish();
}

#[test]
fn secrets_are_redacted_unless_show_secrets() {
    for show in [false, true] {
        let server = WsServer::start(close_script(1000, ""));
        let mut cmd = wsprobe();
        cmd.args([
            &server.url(),
            "-v",
            "-n",
            "-u",
            "alice:pw",
            "-H",
            "Cookie: sid=abc123",
        ]);
        if show {
            cmd.arg("--show-secrets");
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let rec = server.finish();
        // The server always gets the real values.
        assert_eq!(rec.header("Cookie"), Some("sid=abc123"));
        if show {
            assert!(err.contains("> Authorization: Basic YWxpY2U6cHc="), "{err}");
            assert!(err.contains("> Cookie: sid=abc123"), "{err}");
        } else {
            assert!(err.contains("> Authorization: Basic [redacted]"), "{err}");
            assert!(err.contains("> Cookie: sid=[redacted]"), "{err}");
            assert!(
                !err.contains("abc123") && !err.contains("YWxpY2U6cHc="),
                "{err}"
            );
        }
    }
}

#[test]
fn timestamps_prefix_trace_lines() {
    let server = WsServer::start(close_script(1000, ""));
    let out = wsprobe()
        .args([&server.url(), "-v", "-n", "--timestamps"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let mut last = -1.0f64;
    for line in err.lines() {
        let rest = line
            .strip_prefix('[')
            .unwrap_or_else(|| panic!("no stamp: {line}"));
        let (t, after) = rest.split_once("] ").expect("closing bracket");
        let t: f64 = t.trim().parse().expect("seconds");
        assert!(t >= last, "times go forward: {err}");
        last = t;
        assert!(
            after.starts_with(['*', '>', '<']),
            "trace line after the stamp: {line}"
        );
    }
    server.finish();
}

#[test]
fn vvv_shows_the_certificate_chain_and_accept_derivation() {
    let server = TlsWsServer::start(close_script(1000, ""));
    let out = wsprobe()
        .args([&server.url_localhost(), "-vvv", "-n", "--cacert"])
        .arg(server.ca_path())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for needle in [
        "* Certificate 0: CN=localhost",
        "*   issuer: CN=wsprobe test CA",
        "*   names: localhost, 127.0.0.1, ::1",
        "*   valid: 1975-01-01T00:00:00Z to 4096-01-01T00:00:00Z",
        "*   sha256: ",
        "* Certificate 1: CN=wsprobe test CA",
        "Sec-WebSocket-Accept = base64(SHA-1(\"",
        "(matches)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    server.finish();
}

#[test]
fn untrusted_certificate_is_explained_with_its_facts() {
    let server = TlsWsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-n"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "not issued by a CA wsprobe trusts",
        "certificate: CN=localhost",
        "issuer: CN=wsprobe test CA",
        "names: localhost, 127.0.0.1, ::1",
        "hint: --cacert FILE",
        "hint: -k skips verification",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    server.finish_handshake_error();
}

#[test]
fn the_frame_that_broke_the_session_is_traced() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut burst = response_101(&key.expect("key"), &[]);
        // A masked frame from a server (RFC 6455 section 5.1 forbids it).
        burst.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, b'o' ^ 1, b'k' ^ 2]);
        s.write_all(&burst).expect("write");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|c| c.0), Some(1002));
    });
    let out = wsprobe()
        .args([&server.url(), "-n", "-vv"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(8));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("{ TEXT fin masked key=01020304 len=2 \"ok\""),
        "{err}"
    );
    assert!(err.contains("} CLOSE fin masked key="), "{err}");
    assert!(err.contains("1002 Protocol Error"), "{err}");
    server.finish();
}

#[test]
fn an_oversized_frame_is_refused_from_its_header_and_traced_as_cut_short() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut burst = response_101(&key.expect("key"), &[]);
        // Announces 2^62 bytes; only a few follow.
        burst.extend_from_slice(&[0x82, 127]);
        burst.extend_from_slice(&(1u64 << 62).to_be_bytes());
        burst.extend_from_slice(&[0xab; 16]);
        s.write_all(&burst).expect("write");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|c| c.0), Some(1009));
    });
    let started = std::time::Instant::now();
    let out = wsprobe()
        .args([&server.url(), "-n", "-vv"])
        .output()
        .expect("runs");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(8));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("{ BINARY fin len=4611686018427387904"),
        "{err}"
    );
    assert!(
        err.contains("(cut short: 16 of 4611686018427387904 bytes seen)"),
        "{err}"
    );
    assert!(err.contains("--max-message-size"), "{err}");
    server.finish();
}

#[test]
fn ws_url_against_a_real_tls_port_says_use_wss() {
    let server = TlsWsServer::start(echo_script);
    let port = server.addr().port();
    let out = wsprobe()
        .args(["-n", &format!("ws://127.0.0.1:{port}/")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an HTTP response"), "{err}");
    assert!(err.contains("these bytes are TLS: use wss://"), "{err}");
    server.finish_handshake_error();
}

#[test]
fn a_peer_that_hangs_up_during_the_tls_handshake() {
    let server = RawServer::start(|mut s| {
        use std::io::Read;
        let mut hello = [0u8; 5];
        s.read_exact(&mut hello).expect("client hello");
        assert_eq!(hello[0], 0x16, "a TLS handshake record");
        // Drop the connection without a word.
    });
    let port = server.addr().port();
    let started = std::time::Instant::now();
    let out = wsprobe()
        .args(["-n", &format!("wss://127.0.0.1:{port}/")])
        .output()
        .expect("runs");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    // The kernel turns the unread ClientHello into a reset, or a plain close.
    assert!(
        err.contains("reset the connection during the TLS handshake")
            || err.contains("closed the connection during the TLS handshake"),
        "{err}"
    );
    assert!(err.contains("may not speak TLS"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    server.finish();
}

#[test]
fn keepalive_pings_and_pong_rtt_show_at_v_in_pipe_mode() {
    // tungstenite's server answers pings by itself; the session lasts until
    // 0.5 s of quiet, so several 0.1 s keepalive rounds happen.
    let server = WsServer::start(echo_script);
    let out = wsprobe()
        .args([
            &server.url(),
            "-v",
            "-n",
            "-w",
            "0.5",
            "--ping-interval",
            "0.1",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("* Ping sent ("), "{err}");
    assert!(
        err.contains("* Pong received (") && err.contains(", rtt "),
        "{err}"
    );
    server.finish();
}
