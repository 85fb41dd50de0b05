//! `--check`: the report against real servers (Python `websockets` with
//! and without compression, Node `ws`, nginx in front of the Python
//! server) and against servers of our own (`support::conformant`), a
//! correct one and one per planted defect. Every report is asserted line
//! by line: verdict, probe name and facts (`*` stands for a measured
//! number), the RFC section; a real server's real defect is written down
//! here as what it does.

use crate::support::conformant::{CheckServer, Defect};
use crate::support::daemon::{find, free_port, nginx};
use crate::support::tls::{LeafSpec, TestPki, write_ca_file};
use crate::support::{PythonEcho, node, wsprobe};

/// One report line, split: verdict, probe, the rest (facts and RFC).
#[derive(Debug)]
struct Line {
    verdict: String,
    name: String,
    rest: String,
}

/// Run `wsprobe --check` with `args`; the exit status, the report's probe
/// lines, the summary line, stderr.
fn check(args: &[&str]) -> (i32, Vec<Line>, String, String) {
    let out = wsprobe()
        .arg("--check")
        .args(args)
        .output()
        .expect("wsprobe runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("wsprobe check ")),
        "no report:\n{stdout}\n{stderr}"
    );
    let summary = lines.pop().unwrap_or_default().to_string();
    let probes = lines[1..]
        .iter()
        .map(|l| {
            let (verdict, rest) = l.split_once(' ').unwrap_or((l, ""));
            let rest = rest.trim_start();
            let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            Line {
                verdict: verdict.into(),
                name: name.into(),
                rest: rest.trim_start().into(),
            }
        })
        .collect();
    (out.status.code().unwrap_or(-1), probes, summary, stderr)
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    let Some(mut left) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for p in middle {
        match left.find(p) {
            Some(i) => left = &left[i + p.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

/// Assert the report is exactly `want`: (verdict, probe, facts pattern).
fn assert_report(got: &[Line], want: &[(&str, &str, &str)]) {
    let show = || {
        got.iter()
            .map(|l| format!("{:<5} {:<21} {}", l.verdict, l.name, l.rest))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(got.len(), want.len(), "probe count:\n{}", show());
    for (l, (verdict, name, pattern)) in got.iter().zip(want) {
        assert_eq!(
            (l.verdict.as_str(), l.name.as_str()),
            (*verdict, *name),
            "\n{}",
            show()
        );
        assert!(
            glob(pattern, &l.rest),
            "{name}: {:?} does not match {pattern:?}\n{}",
            l.rest,
            show()
        );
    }
}

/// The report of a correct server of ours, probe by probe; planted-defect
/// tests change one or two lines of it.
fn correct_report() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "pass",
            "handshake",
            "101 in * ms; Sec-WebSocket-Accept valid, Upgrade and Connection tokens present",
        ),
        (
            "info",
            "subprotocol",
            "none offered (-s NAME offers one), none chosen",
        ),
        (
            "pass",
            "extensions",
            "offered permessage-deflate; client_max_window_bits; the server agreed none",
        ),
        (
            "pass",
            "version-8",
            "answered 426 Upgrade Required, Sec-WebSocket-Version: 13",
        ),
        ("pass", "no-key", "refused: 400 Bad Request"),
        (
            "pass",
            "ping",
            "5 pongs, same payload; rtt min * ms, median * ms, max * ms",
        ),
        (
            "pass",
            "close",
            "answered with a Close, 1000 Normal Closure, in * ms",
        ),
        (
            "pass",
            "unmasked-frame",
            "sent an unmasked text frame; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "rsv-bits",
            "sent a text frame with RSV2 and RSV3 set, no extension agreed; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "reserved-opcode",
            "sent a frame with reserved opcode 0x3; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "fragmented-ping",
            "sent a ping without FIN; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "long-ping",
            "sent a ping of 126 bytes; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "stray-continuation",
            "sent a continuation frame with no message to continue; the server closed with 1002 Protocol Error",
        ),
        (
            "pass",
            "invalid-utf8",
            "sent a text message that is not UTF-8; the server closed with 1007 Invalid Payload Data",
        ),
        ("info", "echo", "the server echoes (first echo in * ms)"),
        (
            "pass",
            "fragmented",
            "a text message in 3 frames came back whole",
        ),
        (
            "pass",
            "control-in-fragments",
            "a ping between two fragments was answered; the message came back whole",
        ),
        (
            "pass",
            "fidelity",
            "text and binary came back byte for byte up to 1 MiB; 4 MiB of text: the server closed with 1009 Message Too Big (its limit?)",
        ),
        (
            "info",
            "max-message",
            "largest echoed: 1 MiB; 4 MiB: the server closed with 1009 Message Too Big",
        ),
        ("info", "deflate", "offered; the server agreed none"),
        (
            "info",
            "context-takeover",
            "offered; the server agreed none",
        ),
        ("info", "tls", "ws://: no TLS"),
    ]
}

/// The correct report with the lines of `changed` (by probe name) replaced.
fn with(
    changed: &[(&'static str, &'static str, &'static str)],
) -> Vec<(&'static str, &'static str, &'static str)> {
    correct_report()
        .into_iter()
        .map(|line| {
            changed
                .iter()
                .find(|c| c.1 == line.1)
                .copied()
                .unwrap_or(line)
        })
        .collect()
}

#[test]
fn a_correct_server_has_no_failure_and_exits_0() {
    let server = CheckServer::start(Defect::None);
    let (code, lines, summary, stderr) = check(&[&server.url()]);
    assert_report(&lines, &correct_report());
    assert!(
        glob("22 probes: 16 pass, 0 warn, 0 fail, 6 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(server.connections() >= 13, "{}", server.connections());
}

#[test]
fn an_offered_subprotocol_chosen_passes() {
    let server = CheckServer::start(Defect::None);
    let (code, lines, _, _) = check(&["-s", "chat", "-s", "superchat", &server.url()]);
    assert_report(
        &lines,
        &with(&[("pass", "subprotocol", "offered chat, superchat; chose chat")]),
    );
    assert_eq!(code, 0);
}

/// Each planted defect, named by the probe that finds it, exit 13.
#[test]
fn each_planted_defect_is_named() {
    type Case = (
        Defect,
        Vec<&'static str>,
        (&'static str, &'static str, &'static str),
    );
    let cases: Vec<Case> = vec![
        (
            Defect::AcceptsUnmasked,
            vec![],
            (
                "fail",
                "unmasked-frame",
                "sent an unmasked text frame; the server kept going: it sent a message after it [RFC 6455 5.1]",
            ),
        ),
        (
            Defect::IgnoresRsv,
            vec![],
            (
                "fail",
                "rsv-bits",
                "sent a text frame with RSV2 and RSV3 set, no extension agreed; the server kept going: it sent a message after it [RFC 6455 5.2]",
            ),
        ),
        (
            Defect::WrongPongPayload,
            vec![],
            (
                "fail",
                "ping",
                "the pong to ping 1 carried \"0 gnip eborpsw!\", the ping \"wsprobe ping 0\" [RFC 6455 5.5.2]",
            ),
        ),
        (
            Defect::NoCloseAnswer,
            vec![],
            (
                "fail",
                "close",
                "after our Close: the server dropped TCP without a Close [RFC 6455 5.5.1]",
            ),
        ),
        (
            Defect::UnofferedSubprotocol,
            vec!["-s", "json"],
            (
                "fail",
                "subprotocol",
                "chose chat though only json was offered [RFC 6455 4.2.2]",
            ),
        ),
        (
            Defect::WrongAccept,
            vec![],
            (
                "fail",
                "handshake",
                "101 in * ms; invalid handshake: Sec-WebSocket-Accept does not match our key [RFC 6455 4.2.2]",
            ),
        ),
    ];
    for (defect, args, line) in cases {
        let server = CheckServer::start(defect);
        let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        argv.push(server.url());
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (code, lines, summary, stderr) = check(&argv);
        assert_report(&lines, &with(&[line]));
        assert!(
            glob("22 probes: * 1 fail, *", &summary),
            "{defect:?}: {summary}"
        );
        assert_eq!(code, 13, "{defect:?}: {stderr}");
        assert!(
            stderr.contains(
                "1 of 22 probes failed: the report names each failure and its RFC section"
            ),
            "{stderr}"
        );
    }
}

/// A server that upgrades version 8 speaks a draft too: a warning (section
/// 4.4 allows other versions), exit 0.
#[test]
fn upgrading_version_8_is_a_warning() {
    let server = CheckServer::start(Defect::AnyVersion);
    let (code, lines, summary, _) = check(&[&server.url()]);
    assert_report(&lines, &with(&[VERSION_8_UPGRADED]));
    assert!(
        glob("22 probes: 15 pass, 1 warn, 0 fail, 6 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0);
}

const VERSION_8_UPGRADED: (&str, &str, &str) = (
    "warn",
    "version-8",
    "upgraded a version 8 request: answered 101 Switching Protocols, no Sec-WebSocket-Version; \
     the server speaks draft version 8 too (section 4.4 allows it) [RFC 6455 4.4]",
);

/// Failing the connection with 1000 is the wrong code, in each probe that
/// fails it.
#[test]
fn a_wrong_close_code_is_named_in_each_enforcement_probe() {
    let server = CheckServer::start(Defect::WrongCloseCode);
    let (code, lines, summary, _) = check(&[&server.url()]);
    let mut want = correct_report();
    for line in &mut want {
        if line.0 == "pass" && line.2.starts_with("sent ") {
            line.0 = "fail";
        }
    }
    assert_eq!(lines.len(), want.len());
    for (l, w) in lines.iter().zip(&want) {
        assert_eq!(
            (l.verdict.as_str(), l.name.as_str()),
            (w.0, w.1),
            "{lines:?}"
        );
        if w.0 == "fail" {
            assert!(
                glob(
                    "sent *; the server closed with 1000 Normal Closure, not 100* [RFC 6455 *]",
                    &l.rest
                ),
                "{l:?}"
            );
        }
    }
    assert!(
        glob("22 probes: 9 pass, 0 warn, 7 fail, 6 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 13);
}

#[test]
fn text_that_is_not_utf8_taken_and_echoed_is_named() {
    let server = CheckServer::start(Defect::NoUtf8Check);
    let (code, lines, _, _) = check(&[&server.url()]);
    assert_report(
        &lines,
        &with(&[(
            "fail",
            "invalid-utf8",
            "sent a text message that is not UTF-8; the server kept going, and then broke a rule itself: * [RFC 6455 8.1]",
        )]),
    );
    assert_eq!(code, 13);
}

// ------------------------------------------------------------ real servers

/// Python websockets 17.4 answers a version 8 request with 400 and no
/// Sec-WebSocket-Version header: against section 4.4's MUST, recorded here
/// as what it does.
const PYTHON_VERSION_8: (&str, &str, &str) = (
    "fail",
    "version-8",
    "answered 400 Bad Request, no Sec-WebSocket-Version; the refusal must name the versions \
     spoken: Sec-WebSocket-Version: 13 [RFC 6455 4.4]",
);
/// Servers with no limit of their own under 16 MiB.
const UNLIMITED: [(&str, &str, &str); 2] = [
    (
        "pass",
        "fidelity",
        "text and binary came back byte for byte at 0 B, 1 B, 125 B, 126 B, 65535 B, 64 KiB, \
         1 MiB, 4 MiB",
    ),
    ("info", "max-message", "echoed 16 MiB, the largest tried"),
];
const DEFLATE_KEPT_CONTEXT: (&str, &str, &str) = (
    "pass",
    "context-takeover",
    "the server kept its context (second copy * B on the wire, first * B)",
);

/// The report against a server whose lines differ from the correct one's
/// by `changed` (and the unlimited sizes).
fn expected(
    changed: &[(&'static str, &'static str, &'static str)],
) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all = UNLIMITED.to_vec();
    all.extend_from_slice(changed);
    with(&all)
}

fn python_report(compression: bool) -> Vec<(&'static str, &'static str, &'static str)> {
    if compression {
        expected(&[
            PYTHON_VERSION_8,
            (
                "pass",
                "extensions",
                "agreed permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
            ),
            (
                "pass",
                "deflate",
                "agreed permessage-deflate; server_max_window_bits=12; client_max_window_bits=12; \
                 the server inflated ours and its echoes inflate: 4200 B in * B",
            ),
            DEFLATE_KEPT_CONTEXT,
        ])
    } else {
        expected(&[PYTHON_VERSION_8])
    }
}

#[test]
fn python_websockets_with_compression() {
    let echo = PythonEcho::start();
    let (code, lines, summary, stderr) = check(&[&echo.url()]);
    assert_report(&lines, &python_report(true));
    assert!(
        glob("22 probes: 17 pass, 0 warn, 1 fail, 4 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 13, "{stderr}");
    assert_eq!(echo.next_connection(), "/");
}

#[test]
fn python_websockets_without_compression() {
    let echo = PythonEcho::start_with(&["--no-compression"]);
    let (code, lines, summary, _) = check(&[&echo.url()]);
    assert_report(&lines, &python_report(false));
    assert!(
        glob("22 probes: 15 pass, 0 warn, 1 fail, 6 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 13);
}

/// The report as one JSON event: the same verdicts, the echo detected.
#[test]
fn python_websockets_as_json() {
    let echo = PythonEcho::start();
    let out = wsprobe()
        .args(["--check", "--json", &echo.url()])
        .output()
        .expect("wsprobe runs");
    assert_eq!(out.status.code(), Some(13));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut events = text.lines().map(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"))
    });
    let report = events.next().expect("the report");
    assert_eq!(report["event"], "check");
    assert_eq!(report["echo"], true);
    let want = python_report(true);
    let probes = report["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), want.len());
    for (p, (verdict, name, _)) in probes.iter().zip(&want) {
        assert_eq!(
            (p["verdict"].as_str(), p["name"].as_str()),
            (Some(*verdict), Some(*name))
        );
    }
    assert_eq!(probes[3]["rfc"], "RFC 6455 4.4");
    assert_eq!(report["summary"]["fail"], 1);
    let error = events.next().expect("the error event");
    assert_eq!(error["event"], "error");
    assert_eq!(error["class"], "check");
}

/// Node's ws 8.23.1 upgrades version 8 on purpose (it speaks hybi-08).
#[test]
fn node_ws_with_and_without_compression() {
    for compression in [true, false] {
        let args: &[&str] = if compression {
            &[]
        } else {
            &["--no-compression"]
        };
        let Some(server) = node::start_ws(args) else {
            return;
        };
        let (code, lines, summary, stderr) = check(&[&server.url()]);
        let mut changed = vec![VERSION_8_UPGRADED];
        if compression {
            changed.extend([
                ("pass", "extensions", "agreed permessage-deflate"),
                (
                    "pass",
                    "deflate",
                    "agreed permessage-deflate; the server inflated ours and its echoes inflate: \
                     4200 B in * B",
                ),
                DEFLATE_KEPT_CONTEXT,
            ]);
        }
        assert_report(&lines, &expected(&changed));
        let want = if compression {
            "22 probes: 17 pass, 1 warn, 0 fail, 4 info, in *"
        } else {
            "22 probes: 15 pass, 1 warn, 0 fail, 6 info, in *"
        };
        assert!(glob(want, &summary), "{summary}");
        assert_eq!(code, 0, "{stderr}");
    }
}

const NGINX_CONF: &str = r#"
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp;
  uwsgi_temp_path tmp; scgi_temp_path tmp;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:@LISTEN@;
    listen 127.0.0.1:@TLS@ ssl;
    ssl_certificate cert.pem;
    ssl_certificate_key key.pem;
    location / {
      proxy_pass http://127.0.0.1:@WS@;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
    # a proxy that drops silent connections after a second
    location /idle/ {
      proxy_pass http://127.0.0.1:@WS@;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1s;
    }
  }
}
"#;

/// nginx in front of the Python server: the frames pass through, so the
/// report is the server's; over TLS, the tls probe reports nginx's.
#[test]
fn nginx_in_front_of_python_websockets() {
    let Some(bin) = find("nginx", "nginx") else {
        return;
    };
    let echo = PythonEcho::start();
    let (port, tls_port) = (free_port(), free_port());
    let pki = TestPki::generate();
    let conf = NGINX_CONF
        .replace("@LISTEN@", &port.to_string())
        .replace("@TLS@", &tls_port.to_string())
        .replace("@WS@", &echo.port().to_string());
    let _nginx = nginx(&bin, &conf, &pki, &[port, tls_port]);

    let (code, lines, _, stderr) = check(&[&format!("ws://127.0.0.1:{port}/")]);
    assert_report(&lines, &python_report(true));
    assert_eq!(code, 13, "{stderr}");

    let ca = write_ca_file(&pki);
    let ca = ca.path().to_str().expect("a UTF-8 temp path");
    let url = format!("wss://localhost:{tls_port}/");
    let (code, lines, _, stderr) = check(&[
        "--cacert",
        ca,
        "--resolve",
        &format!("localhost:{tls_port}:127.0.0.1"),
        &url,
    ]);
    let mut want = python_report(true);
    *want.last_mut().expect("tls") = (
        "pass",
        "tls",
        "TLS 1.*, TLS*; certificate expires in * days; 1 certificate presented; chain \
         complete: verified without fetching anything",
    );
    assert_report(&lines, &want);
    assert_eq!(code, 13, "{stderr}");

    // -k: the chain is not verified, and the report says so.
    let (_, lines, _, _) = check(&["-k", &url]);
    let tls = lines.last().expect("tls");
    assert_eq!((tls.verdict.as_str(), tls.name.as_str()), ("warn", "tls"));
    assert!(
        glob("TLS 1.*; not verified (-k): * [RFC 6125 6]", &tls.rest),
        "{tls:?}"
    );

    // An expired certificate: the usual TLS failure (exit 5) without -k;
    // with -k, the check runs and the tls probe fails it.
    let (old_port, old_tls) = (free_port(), free_port());
    let expired = TestPki::generate_with(&LeafSpec {
        expired: true,
        ..LeafSpec::default()
    });
    let conf = NGINX_CONF
        .replace("@LISTEN@", &old_port.to_string())
        .replace("@TLS@", &old_tls.to_string())
        .replace("@WS@", &echo.port().to_string());
    let _old = nginx(&bin, &conf, &expired, &[old_port, old_tls]);
    let url = format!("wss://127.0.0.1:{old_tls}/");
    let out = wsprobe().args(["--check", &url]).output().expect("runs");
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert!(out.stdout.is_empty());
    let (code, lines, _, _) = check(&["-k", &url]);
    let tls = lines.last().expect("tls");
    assert_eq!((tls.verdict.as_str(), tls.name.as_str()), ("fail", "tls"));
    assert!(
        glob(
            "TLS 1.*; the certificate expired * days ago; 1 certificate presented; not verified \
             (-k): * [RFC 5280 4.1.2.5]",
            &tls.rest
        ),
        "{tls:?}"
    );
    assert_eq!(code, 13);

    // --idle: nginx's proxy_read_timeout drops the silent connection.
    let (_, lines, _, _) = check(&["--idle", "5", &format!("ws://127.0.0.1:{port}/idle/")]);
    let idle = lines.last().expect("idle");
    assert_eq!(
        (idle.verdict.as_str(), idle.name.as_str()),
        ("info", "idle")
    );
    assert!(
        glob(
            "dropped without a Close after *: an idle timeout, often a proxy's",
            &idle.rest
        ),
        "{idle:?}"
    );
}

/// --idle against a server that lets silence be: it survives, and the
/// probe says how long it waited.
#[test]
fn idle_connection_that_survives() {
    let server = CheckServer::start(Defect::None);
    let (code, lines, summary, _) = check(&["--idle", "0.3", &server.url()]);
    let mut want = correct_report();
    want.push((
        "info",
        "idle",
        "survived 300.0 ms of silence from us (0 messages from the server)",
    ));
    assert_report(&lines, &want);
    assert!(
        glob("23 probes: 16 pass, 0 warn, 0 fail, 7 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0);
}

#[test]
fn idle_needs_check_and_unreachable_servers_keep_their_status() {
    let out = wsprobe()
        .args(["--idle", "1", "ws://127.0.0.1:1/"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--idle needs --check"));
    // Nothing listens: the usual diagnosis and exit 4, no report.
    let port = crate::support::refused_port();
    let out = wsprobe()
        .args(["--check", &format!("ws://127.0.0.1:{port}/")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wsprobe: error: "));
    // A plain HTTP server: the refusal as usual, exit 6.
    let http = crate::support::daemon::PlainHttp::start();
    let out = wsprobe()
        .args(["--check", &format!("ws://127.0.0.1:{}/plain/", http.port())])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert!(out.stdout.is_empty());
}

/// Through a real CONNECT proxy (Debian's tinyproxy), every probe's
/// connection is a tunnel, and the report is the server's own.
#[test]
fn through_tinyproxy_every_probe_uses_the_proxy() {
    let tiny = crate::support::Tinyproxy::start(None);
    let server = CheckServer::start(Defect::None);
    let (code, lines, _, stderr) = check(&["-x", &tiny.url(), &server.url()]);
    assert_report(&lines, &correct_report());
    assert_eq!(code, 0, "{stderr}");
    let tunnels = tiny
        .log()
        .iter()
        .filter(|l| l.contains("CONNECT") || l.contains("Established connection"))
        .count();
    assert!(tunnels >= 13, "{tunnels} tunnels: {:#?}", tiny.log());
}

/// A server that does not echo: the echo probes say they were skipped, and
/// nothing fails.
#[test]
fn a_server_that_does_not_echo_skips_the_echo_probes() {
    let server = CheckServer::start(Defect::NoEcho);
    let (code, lines, summary, _) = check(&[&server.url()]);
    let skipped = "skipped: the server does not echo";
    assert_report(
        &lines,
        &with(&[
            (
                "info",
                "echo",
                "no echo within 1.50 s (0 other messages): the echo probes did not run",
            ),
            ("info", "fragmented", skipped),
            ("info", "control-in-fragments", skipped),
            ("info", "fidelity", skipped),
            ("info", "max-message", skipped),
        ]),
    );
    assert!(
        glob("22 probes: 13 pass, 0 warn, 0 fail, 9 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0);
}

/// Over a unix socket (--unix-socket), every probe connects there.
#[test]
fn over_a_unix_socket() {
    let server = CheckServer::start_unix(Defect::None);
    let path = server
        .socket_path()
        .to_str()
        .expect("a UTF-8 path")
        .to_string();
    let (code, lines, _, stderr) = check(&["--unix-socket", &path, &server.url()]);
    assert_report(&lines, &correct_report());
    assert_eq!(code, 0, "{stderr}");
    assert!(server.connections() >= 13, "{}", server.connections());
}

/// More planted defects, each named by its probe (or probes).
#[test]
fn defects_of_refusal_and_negotiation_are_named() {
    type Case = (
        Defect,
        &'static str,
        Vec<(&'static str, &'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            Defect::AcceptsNoKey,
            "22 probes: 15 pass, 0 warn, 1 fail, 6 info, in *",
            vec![(
                "fail",
                "no-key",
                "upgraded a request without Sec-WebSocket-Key (101) [RFC 6455 4.2.1]",
            )],
        ),
        (
            Defect::BadExtension,
            "22 probes: 15 pass, 0 warn, 1 fail, 6 info, in *",
            vec![
                (
                    "fail",
                    "extensions",
                    "answered permessage-deflate; server_max_window_bits=7: * [RFC 7692 7.1]",
                ),
                (
                    "info",
                    "deflate",
                    "the server answered permessage-deflate; server_max_window_bits=7, which \
                     cannot be agreed (see extensions)",
                ),
                (
                    "info",
                    "context-takeover",
                    "the server answered permessage-deflate; server_max_window_bits=7, which \
                     cannot be agreed (see extensions)",
                ),
            ],
        ),
        (
            Defect::BadDeflate,
            "22 probes: 16 pass, 0 warn, 1 fail, 5 info, in *",
            vec![
                ("pass", "extensions", "agreed permessage-deflate"),
                (
                    "fail",
                    "deflate",
                    "agreed permessage-deflate; echo 1: * [RFC 7692 7.2.2]",
                ),
                (
                    "info",
                    "context-takeover",
                    "skipped: the echo did not inflate",
                ),
            ],
        ),
        (
            Defect::DropsOnError,
            "22 probes: 9 pass, 7 warn, 0 fail, 6 info, in *",
            [
                "unmasked-frame",
                "rsv-bits",
                "reserved-opcode",
                "fragmented-ping",
                "long-ping",
                "stray-continuation",
            ]
            .into_iter()
            .map(|name| {
                (
                    "warn",
                    name,
                    "sent *; the server dropped TCP without a Close (section 7.1.7: it should \
                         send 1002 Protocol Error) [RFC 6455 5.*]",
                )
            })
            .chain([(
                "warn",
                "invalid-utf8",
                "sent a text message that is not UTF-8; the server dropped TCP without a Close \
                     (section 7.1.7: it should send 1007 Invalid Payload Data) [RFC 6455 8.1]",
            )])
            .collect(),
        ),
    ];
    for (defect, summary_want, changed) in cases {
        let server = CheckServer::start(defect);
        let (code, lines, summary, stderr) = check(&[&server.url()]);
        assert_report(&lines, &with(&changed));
        assert!(glob(summary_want, &summary), "{defect:?}: {summary}");
        let want = if summary_want.contains(" 0 fail") {
            0
        } else {
            13
        };
        assert_eq!(code, want, "{defect:?}: {stderr}");
    }
}

/// A server that takes large messages and never answers: the size probes
/// stop at the deadline and say so; no verdict is made of it.
#[test]
fn a_server_that_never_echoes_large_messages_stops_the_size_probes() {
    let server = CheckServer::start(Defect::SwallowsLarge);
    let (code, lines, _, _) = check(&[&server.url()]);
    assert_report(
        &lines,
        &with(&[
            (
                "pass",
                "fidelity",
                "text and binary came back byte for byte up to 64 KiB; 1 MiB of text: no echo \
                 before the deadline; the probe stopped there",
            ),
            (
                "info",
                "max-message",
                "largest echoed: 256 KiB; 1 MiB: no echo before the deadline",
            ),
        ]),
    );
    assert_eq!(code, 0);
}

/// The handshake, control and enforcement lines every strict server earns
/// (the correct report's first 14), with its own extensions line.
fn strict_server_head(extensions: &'static str) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut head: Vec<_> = correct_report().into_iter().take(14).collect();
    head[2] = ("pass", "extensions", extensions);
    head
}

#[test]
fn wsprobe_listen_echo_passes_every_probe() {
    let server = crate::support::listen::Listening::start(&["--echo"], None);
    let (code, lines, summary, stderr) = check(&[&server.url("/")]);
    let mut want = strict_server_head("agreed permessage-deflate");
    want.extend([
        ("info", "echo", "the server echoes (first echo in * ms)"),
        ("pass", "fragmented", "a text message in 3 frames came back whole"),
        ("pass", "control-in-fragments", "a ping between two fragments was answered; the message came back whole"),
        ("pass", "fidelity", "text and binary came back byte for byte at 0 B, 1 B, 125 B, 126 B, 65535 B, 64 KiB, 1 MiB, 4 MiB"),
        ("info", "max-message", "echoed 16 MiB, the largest tried"),
        ("pass", "deflate", "agreed permessage-deflate; the server inflated ours and its echoes inflate: 4200 B in * B"),
        ("pass", "context-takeover", "the server kept its context (second copy * B on the wire, first * B)"),
        ("info", "tls", "ws://: no TLS"),
    ]);
    assert_report(&lines, &want);
    assert!(
        glob("22 probes: 18 pass, 0 warn, 0 fail, 4 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn wsprobe_listen_without_echo_skips_the_echo_probes_and_fails_nothing() {
    let server = crate::support::listen::Listening::start(&[], None);
    let (code, lines, summary, stderr) = check(&[&server.url("/")]);
    let mut want = strict_server_head("agreed permessage-deflate");
    let skipped = "skipped: the server does not echo";
    want.extend([
        (
            "info",
            "echo",
            "no echo within 1.50 s (0 other messages): the echo probes did not run",
        ),
        ("info", "fragmented", skipped),
        ("info", "control-in-fragments", skipped),
        ("info", "fidelity", skipped),
        ("info", "max-message", skipped),
        (
            "info",
            "deflate",
            "agreed permessage-deflate; no echo, so no compressed message to inflate",
        ),
        (
            "info",
            "context-takeover",
            "agreed permessage-deflate; no echo, so no compressed message to inflate",
        ),
        ("info", "tls", "ws://: no TLS"),
    ]);
    assert_report(&lines, &want);
    assert!(
        glob("22 probes: 13 pass, 0 warn, 0 fail, 9 info, in *", &summary),
        "{summary}"
    );
    assert_eq!(code, 0, "{stderr}");
}
