//! --exec: a real program on the connection (a shell script, a Python
//! one) against the Python `websockets` echo server and scripted peers: its
//! output becomes messages, the messages reach its stdin, its exit ends the
//! session, its failures and signals are reported, and one that stops
//! reading cannot make wsprobe's memory grow.

use crate::support::*;
use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_shell_script_talks_through_the_connection() {
    let echo = PythonEcho::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("log");
    // Send, then read each echo back; the script's exit ends the session.
    let script = format!(
        "for w in one two three; do echo \"$w\"; read -r r; echo \"got $r\" >> {}; done",
        log.display()
    );
    let (out, err) = succeeds(wsprobe().args(["-v", "--exec", &script, &echo.url()]));
    assert_eq!(
        out, "",
        "received messages go to the program, not to stdout"
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("the script's log"),
        "got one\ngot two\ngot three\n"
    );
    assert!(err.contains("exited with status 0"), "{err}");
    assert!(
        err.contains("Closed cleanly (1000 Normal Closure, client initiated)"),
        "{err}"
    );
}

#[test]
fn a_python_program_gets_the_environment_and_binary_round_trips() {
    let echo = PythonEcho::start();
    // exec: sh would otherwise hold the pipe open until python ends.
    let program = r#"exec python3 -c '
import os, sys
sys.stdout.buffer.write(b"\x00\x01\xfe\xff"); sys.stdout.flush(); os.close(1)
got = sys.stdin.buffer.read(4)
sys.stderr.write("url=%s got=%s\n" % (os.environ["WSPROBE_URL"], got.hex()))
'"#;
    // --whole -b: the program's whole output is one binary message, and
    // the reply comes back without a separator.
    let (_, err) = succeeds(wsprobe().args([
        "-b",
        "--whole",
        "-w",
        "2",
        "-c",
        "1",
        "--exec",
        program,
        &echo.url(),
    ]));
    assert!(
        err.contains(&format!("url={} got=0001feff", echo.url())),
        "{err}"
    );
}

#[test]
fn a_failing_program_makes_the_status_12() {
    let echo = PythonEcho::start();
    fails_with(
        wsprobe().args(["--exec", "echo hi; exit 3", &echo.url()]),
        12,
        &["wsprobe: error: --exec 'echo hi; exit 3' exited with status 3"],
    );
    fails_with(
        wsprobe().args(["--exec", "kill -9 $$", &echo.url()]),
        12,
        &["--exec 'kill -9 $$' was killed by signal 9 (SIGKILL)"],
    );
    fails_with(
        wsprobe().args(["--exec", "/nonexistent/wsprobe-program", &echo.url()]),
        12,
        &[
            "exited with status 127",
            "hint: sh did not find the program",
        ],
    );
}

#[test]
fn the_server_closing_ends_the_program() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        ws.send(Message::text("bye")).expect("send");
        ws.close(None).expect("close");
        while ws.read().is_ok() {}
    });
    // The program reads until its stdin ends, then says what it got.
    let (_, err) = succeeds(wsprobe().args([
        "--exec",
        "while read -r l; do echo \"line $l\" >&2; done; echo eof >&2",
        &server.url(),
    ]));
    assert!(err.contains("line bye\neof\n"), "{err}");
}

#[test]
fn bad_combinations_are_usage_errors() {
    for other in ["--echo", "-n", "--retry=3"] {
        let out = wsprobe()
            .args(["--exec", "cat", other, "ws://127.0.0.1:1/"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "--exec with {other}");
    }
}

#[test]
fn a_program_that_never_reads_holds_the_server_back_not_memory() {
    const MESSAGES: usize = 200_000;
    let payload = vec![b'x'; 1024];
    // The server offers 200 MiB as fast as TCP takes it.
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        for _ in 0..MESSAGES {
            if ws
                .send(Message::text(
                    String::from_utf8_lossy(&payload).into_owned(),
                ))
                .is_err()
            {
                return;
            }
        }
        let _ = ws.close(None);
        while ws.read().is_ok() {}
    });
    // The program never reads; it ends the session after a while.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsprobe"))
        .args(["--exec", "sleep 2", "--close-timeout", "20", &server.url()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsprobe");
    let pid = child.id();
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "wsprobe did not end"
        );
        if let Some((_, kib)) = crate::bounded::memory(pid) {
            peak = peak.max(kib);
        }
        // Sampling memory, not synchronising: the loop ends on exit.
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    assert_eq!(status.code(), Some(12), "{err}");
    assert!(
        err.contains("--exec 'sleep 2' stopped reading its input; ")
            && err.contains("received after that did not reach it"),
        "{err}"
    );
    assert!(
        peak < 48 * 1024,
        "peak RSS {peak} KiB while 200 MiB were offered"
    );
}

// ------------------------------------------------ --exec in listen mode

use crate::support::listen::Listening;

#[test]
fn listen_mode_runs_one_program_per_client_with_the_cgi_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let handler = dir.path().join("handler.sh");
    std::fs::write(
        &handler,
        "#!/bin/sh\n\
         echo \"hello #$WSPROBE_CLIENT_ID $REMOTE_ADDR $PATH_INFO q=$QUERY_STRING origin=$HTTP_ORIGIN\"\n\
         while read -r line; do echo \"you said: $line\"; done\n",
    )
    .expect("write the handler");
    let mut perms = std::fs::metadata(&handler).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&handler, perms).expect("chmod");
    let server = Listening::start(&["-v", "--exec", &handler.display().to_string()], None);
    // Two clients one after the other: each has its own program.
    for (n, word) in [(1, "one"), (2, "two")] {
        let (out, _) = succeeds(
            wsprobe()
                .args(["-H", "Origin: http://page", "-c", "2"])
                .arg(server.url("/room?x=1"))
                .write_stdin(format!("{word}\n")),
        );
        assert_eq!(
            out,
            format!("hello #{n} 127.0.0.1 /room q=x=1 origin=http://page\nyou said: {word}\n")
        );
    }
    server.wait_stderr_n("exited with status 0", 2);
    server.interrupt();
    let ended = server.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert!(
        ended.out().is_empty(),
        "messages went to the programs: {:?}",
        ended.out()
    );
}

#[test]
fn listen_once_exits_with_the_programs_failure() {
    // A Python handler: answers in capitals, fails on "bye".
    let program = r#"exec python3 -c '
import sys
for line in sys.stdin:
    line = line.rstrip("\n")
    if line == "bye":
        sys.exit(3)
    print(line.upper(), flush=True)
'"#;
    let server = Listening::start(&["--once", "--exec", program], None);
    let (out, _) = succeeds(
        wsprobe()
            .args(["-w", "2"])
            .arg(server.url("/"))
            .write_stdin("hi\nbye\n"),
    );
    assert_eq!(out, "HI\n");
    let ended = server.finish();
    assert_eq!(ended.status.code(), Some(12), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("exited with status 3"),
        "{}",
        ended.stderr
    );
}
