//! Scripting: --expect and --expect-json against the Python `websockets`
//! echo server and scripted peers; --write-out for a success and for each
//! failure class (refused, TLS, 404, abnormal close, unmet expectation).

use crate::support::*;
use std::io::Write;
use std::net::TcpStream;

/// The one line a `%{json}` write-out printed last on stdout.
fn last_json(stdout: &str) -> serde_json::Value {
    let line = stdout.lines().last().expect("a write-out line");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn expect_is_met_then_the_session_closes_cleanly_and_write_out_follows_the_messages() {
    let echo = PythonEcho::start();
    let (out, err) = succeeds(wsprobe().args([
        "-n",
        "-v",
        "-d",
        r#"{"op":"pong","n":1}"#,
        "--expect",
        r#""pong""#,
        "--write-out",
        r"%{http_code} %{messages_sent} %{messages_received} %{bytes_received} %{close_code} %{closed_by} %{exitcode}\n",
        &echo.url(),
    ]));
    assert_eq!(out, "{\"op\":\"pong\",\"n\":1}\n101 1 1 19 1000 client 0\n");
    assert!(
        err.contains("* Expectation 1 of 1 met after ") && err.contains(r#": --expect '"pong"'"#),
        "{err}"
    );
    // Met, so closed at once: no --wait quiet period was needed.
    assert!(err.contains("Close sent: 1000"), "{err}");
}

#[test]
fn an_unmet_expectation_exits_11_and_shows_what_came_instead() {
    let echo = PythonEcho::start();
    let out = wsprobe()
        .args([
            "-n",
            "-d",
            r#"{"op":"ping"}"#,
            "--expect",
            r#""pong""#,
            "--expect-timeout",
            "0.3",
            "--write-out",
            r"%{json}\n",
            &echo.url(),
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(11), "{stderr}");
    for needle in [
        r#"wsprobe: error: no message matched --expect '"pong"' within "#,
        "1 message arrived while it waited:",
        r#"  < {"op":"ping"}"#,
        "hint: wait longer with --expect-timeout SECS",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    let v = last_json(&stdout);
    assert_eq!(v["exitcode"], 11);
    assert_eq!(v["error_class"], "expect");
    assert_eq!(v["http_code"], 101);
    assert_eq!(v["messages_received"], 1);
    // It closed cleanly, as wsprobe asked, after giving up.
    assert_eq!(v["close_code"], 1000);
    assert_eq!(v["closed_by"], "client");
}

#[test]
fn json_and_regex_expectations_are_met_in_command_line_order() {
    let echo = PythonEcho::start();
    let input = "{\"type\":\"a\"}\nplain text\n{\"n\":2}\n";
    let (out, err) = succeeds(
        wsprobe()
            .args([
                "-v",
                "--expect-json",
                r#".type == "a""#,
                "--expect",
                "^plain",
                "--expect-json",
                ".n == 2.0",
                &echo.url(),
            ])
            .write_stdin(input),
    );
    assert_eq!(out, input);
    let met: Vec<&str> = err.lines().filter(|l| l.contains("met after")).collect();
    assert_eq!(met.len(), 3, "{err}");
    assert!(
        met[0].starts_with("* Expectation 1 of 3")
            && met[0].ends_with(r#"--expect-json '.type == "a"'"#)
    );
    assert!(met[1].starts_with("* Expectation 2 of 3") && met[1].ends_with("--expect '^plain'"));
    assert!(
        met[2].starts_with("* Expectation 3 of 3") && met[2].ends_with("--expect-json '.n == 2.0'")
    );
}

#[test]
fn expectations_wait_in_order_and_report_which_one_was_missing() {
    let echo = PythonEcho::start();
    let input = "{\"type\":\"a\"}\n{\"type\":\"b\",\"n\":2}\n";
    let (out, _) = succeeds(
        wsprobe()
            .args([
                "--expect-json",
                r#".type == "a""#,
                "--expect-json",
                ".n == 2.0",
                &echo.url(),
            ])
            .write_stdin(input),
    );
    assert_eq!(out, input);
    // The same two, the other way round: the second message meets the
    // first expectation, and nothing comes for the second.
    fails_with(
        wsprobe()
            .args([
                "--expect-json",
                ".n == 2",
                "--expect-json",
                r#".type == "a""#,
                "--expect-timeout",
                "0.3",
                &echo.url(),
            ])
            .write_stdin(input),
        11,
        &[
            r#"no message matched --expect-json '.type == "a"' within "#,
            "(expectation 2 of 2)",
        ],
    );
}

#[test]
fn a_server_that_closes_first_leaves_the_expectation_unmet() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        ws.send(Message::text("hello")).expect("send");
        ws.close(None).expect("close");
        while ws.read().is_ok() {}
    });
    fails_with(
        wsprobe().args(["-n", "--expect", "welcome", &server.url()]),
        11,
        &[
            "the server closed the connection (1005 No Status Received) before a message matched --expect 'welcome'",
            "1 message arrived while it waited:",
            "  < hello",
        ],
    );
}

#[test]
fn bad_patterns_are_usage_errors() {
    fails_with(
        wsprobe().args(["--expect", "(", "ws://127.0.0.1:1/"]),
        2,
        &["--expect '(' is not a valid regular expression"],
    );
    fails_with(
        wsprobe().args(["--expect-json", ".a = 1", "ws://127.0.0.1:1/"]),
        2,
        &["expected ==, !=, <, <=, > or >= after the path"],
    );
    fails_with(
        wsprobe().args(["--write-out", "%{nope}", "ws://127.0.0.1:1/"]),
        2,
        &["--write-out: unknown variable %{nope}"],
    );
}

#[test]
fn write_out_reports_a_refused_connection() {
    let port = refused_port();
    let out = wsprobe()
        .args([
            "-n",
            "--write-out",
            r"%{http_code} %{exitcode} %{error_class} [%{time_open}] %{json}\n",
            &format!("ws://127.0.0.1:{port}/"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("000 4 connect [] {"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim_end().split_once("] ").expect("json").1).expect("JSON");
    assert_eq!(v["time_open"], serde_json::Value::Null);
    assert!(
        v["errormsg"]
            .as_str()
            .is_some_and(|m| m.contains("connection refused")),
        "{v}"
    );
}

#[test]
fn write_out_reports_a_rejection_with_its_status() {
    let server = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .expect("write the 404");
    });
    let out = wsprobe()
        .args(["-n", "--write-out", r"%{json}\n", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(6));
    let v = last_json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["http_code"], 404);
    assert_eq!(v["exitcode"], 6);
    assert_eq!(v["error_class"], "rejected");
    assert_eq!(v["closed_by"], "none");
    server.finish();
}

#[test]
fn write_out_reports_a_tls_failure() {
    let server = TlsWsServer::start(echo_script);
    let out = wsprobe()
        .args(["-n", "--write-out", r"%{json}\n", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5));
    let v = last_json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["exitcode"], 5);
    assert_eq!(v["error_class"], "tls");
    assert_eq!(v["http_code"], 0);
    assert!(v["time_connect"].is_null(), "not open: {v}");
}

#[test]
fn write_out_reports_an_abnormal_close_with_the_counts_so_far() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a key"), &[]))
            .expect("write the 101");
        s.write_all(&frame(true, 1, b"one"))
            .expect("send a message");
        let _ = read_frame(&mut s); // "hi" from wsprobe
        // Then drop TCP without a Close.
    });
    let out = wsprobe()
        .args([
            "-w",
            "5",
            "--write-out",
            "%{stderr}%{exitcode} %{error_class} %{messages_sent} %{messages_received} [%{close_code}] %{closed_by}",
            &server.url(),
        ])
        .write_stdin("hi\n")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(9));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\n");
    assert!(
        stderr.ends_with("9 abnormal_close 1 1 [] none"),
        "the write-out goes last on stderr:\n{stderr}"
    );
    server.finish();
}

#[test]
fn write_out_goes_to_files_and_reads_its_format_from_one() {
    let echo = PythonEcho::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let fmt = dir.path().join("format");
    let log = dir.path().join("log");
    std::fs::write(
        &fmt,
        format!(
            "%output{{>>{}}}%{{exitcode}} %{{subprotocol}}\\n",
            log.display()
        ),
    )
    .expect("write the format");
    for _ in 0..2 {
        let (out, _) = succeeds(wsprobe().args([
            "-n",
            "-d",
            "x",
            "-c",
            "1",
            "--write-out",
            &format!("@{}", fmt.display()),
            &echo.url(),
        ]));
        assert_eq!(out, "x\n", "nothing of the write-out on stdout");
    }
    assert_eq!(
        std::fs::read_to_string(&log).expect("read the log"),
        "0 \n0 \n"
    );
}

/// wsprobe with piped stdin, stdout and stderr, in the test environment.
fn spawn_wsprobe(args: &[&str]) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wsprobe"));
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start wsprobe")
}

/// The lines of `out`, as they come, over a channel.
fn lines_of(out: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

const LINE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn retry_reconnects_across_a_server_restart_and_replays_the_data() {
    let first = PythonEcho::start();
    let port = first.port().to_string();
    let mut child = spawn_wsprobe(&[
        "-d",
        "hello",
        "-w",
        "0",
        "--retry",
        "20",
        "--retry-delay",
        "0.05",
        "--write-out",
        r"%{num_retries} %{messages_sent} %{messages_received} %{exitcode}\n",
        &first.url(),
    ]);
    let stdout = lines_of(child.stdout.take().expect("stdout"));
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    assert_eq!(stdout.recv_timeout(LINE_WAIT).as_deref(), Ok("hello"));
    // Stop the server: the connection drops, and reconnecting is refused
    // until a new server listens on the same port.
    drop(first);
    let report = stderr.recv_timeout(LINE_WAIT).expect("a drop report");
    assert!(
        report.starts_with("wsprobe: error: connection closed abnormally: 1006"),
        "{report}"
    );
    let second = PythonEcho::start_with(&["--port", &port]);
    // The -d message goes out again on the new connection.
    assert_eq!(stdout.recv_timeout(LINE_WAIT).as_deref(), Ok("hello"));
    // A stdin line goes out on the new connection too; then end the input.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"after\n").expect("write stdin");
    assert_eq!(stdout.recv_timeout(LINE_WAIT).as_deref(), Ok("after"));
    drop(stdin);
    let status = child.wait().expect("wsprobe ends");
    assert_eq!(status.code(), Some(0));
    let rest: Vec<String> = stderr.try_iter().collect();
    let retries: Vec<&String> = rest.iter().filter(|l| l.contains("retrying in")).collect();
    assert!(!retries.is_empty(), "{rest:#?}");
    for (i, l) in retries.iter().enumerate() {
        assert!(
            l.ends_with(&format!("(attempt {} of 21)", i + 2)),
            "attempts are counted in order: {rest:#?}"
        );
    }
    let summary = stdout.recv_timeout(LINE_WAIT).expect("the write-out");
    let n: Vec<u64> = summary
        .split(' ')
        .map(|f| f.parse().expect("numbers"))
        .collect();
    assert!(n[0] >= 1, "at least one retry: {summary}");
    assert_eq!(
        &n[1..],
        [3, 3, 0],
        "hello twice and after, all echoed: {summary}"
    );
    drop(second);
}

#[test]
fn retry_does_not_repeat_a_404() {
    let server = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .expect("write the 404");
    });
    let err = fails_with(
        wsprobe().args(["-n", "--retry", "5", "--retry-delay", "0.01", &server.url()]),
        6,
        &["the server refused the WebSocket upgrade: 404 Not Found"],
    );
    assert!(!err.contains("retrying"), "{err}");
    server.finish();
}

#[test]
fn retry_honours_retry_after_and_says_which_attempt_failed_last() {
    let server = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        s.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
        )
        .expect("write the 503");
    });
    // The server takes one connection: the retry is refused, and that is
    // the run's last word (exit 4) once the one retry is spent.
    let err = fails_with(
        wsprobe().args(["-n", "--retry", "1", "--retry-delay", "0.01", &server.url()]),
        4,
        &[
            "wsprobe: error: the server refused the WebSocket upgrade: 503 Service Unavailable",
            "wsprobe: retrying in 1.00 s (attempt 2 of 2)",
            "connection refused",
        ],
    );
    assert_eq!(err.matches("retrying").count(), 1, "{err}");
    server.finish();
}

#[test]
fn a_server_going_away_is_retried_a_normal_close_is_not() {
    use tungstenite::protocol::CloseFrame;
    use tungstenite::protocol::frame::coding::CloseCode;
    // A server that closes at once with `code`; it takes one connection, so
    // a retry is refused (exit 4).
    let closing = |code: CloseCode| {
        WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
            ws.close(Some(CloseFrame {
                code,
                reason: "bye".into(),
            }))
            .expect("close");
            while ws.read().is_ok() {}
        })
    };
    let run = |server: &WsServer| {
        let out = wsprobe()
            .args(["-n", "--retry", "1", "--retry-delay", "0.01", &server.url()])
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // 1012: an abnormal close, reported in full, then retried.
    let (code, err) = run(&closing(CloseCode::Restart));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains(
            "wsprobe: error: connection closed abnormally: 1012 Service Restart \"bye\" (closed by the server)\n"
        ) && err.contains("wsprobe: retrying in "),
        "{err}"
    );
    // 1001: a clean close, but the server is going away: retried.
    let (code, err) = run(&closing(CloseCode::Away));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("wsprobe: the server closed the connection (1001 Going Away); retrying in "),
        "{err}"
    );
    // 1000 ends the run; 1008 (policy) would only repeat.
    for (close, status) in [(CloseCode::Normal, 0), (CloseCode::Policy, 9)] {
        let (code, err) = run(&closing(close));
        assert_eq!(code, Some(status), "{close:?}: {err}");
        assert!(!err.contains("retrying"), "{close:?} is final: {err}");
    }
}
