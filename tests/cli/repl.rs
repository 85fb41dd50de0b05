//! The interactive REPL, driven in a pseudo-terminal (expectrl) against
//! in-process servers: typing, slash commands, completion, keys, history,
//! output above a half-typed line, and how the REPL ends.
//!
//! Every wait is bounded: [`Pty::expect`] gives up after [`EXPECT`], the
//! exit status is awaited at most [`EXIT`], and a `wsprobe` still running
//! when its [`Pty`] is dropped is killed by ptyprocess.

use crate::support::*;
use expectrl::Session;
use expectrl::process::unix::WaitStatus;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one expected piece of output may take to appear.
const EXPECT: Duration = Duration::from_secs(10);
/// How long wsprobe may take to exit once it should.
const EXIT: Duration = Duration::from_secs(10);

/// `wsprobe` in a pseudo-terminal, with a transcript of everything it drew.
pub(crate) struct Pty {
    session: expectrl::session::OsSession,
    /// Everything read so far, escape sequences removed.
    seen: String,
    /// Where the next `expect` starts looking.
    cursor: usize,
    _state: Option<tempfile::TempDir>,
}

impl Pty {
    /// Start `wsprobe ARGS URL` with a history directory of its own.
    fn spawn(url: &str, args: &[&str]) -> Pty {
        let state = tempfile::tempdir().expect("tempdir");
        let mut pty = Pty::spawn_in(state.path(), url, args);
        pty._state = Some(state);
        pty
    }

    /// Start `wsprobe ARGS URL` with XDG_STATE_HOME=`state`.
    fn spawn_in(state: &Path, url: &str, args: &[&str]) -> Pty {
        Pty::spawn_with(state, url, args, Path::new("/dev/null"))
    }

    /// Start `wsprobe ARGS URL` with XDG_STATE_HOME=`state` and this
    /// readline init file.
    fn spawn_with(state: &Path, url: &str, args: &[&str], inputrc: &Path) -> Pty {
        let mut argv = args.to_vec();
        argv.push(url);
        Pty::spawn_argv(state, &argv, inputrc)
    }

    /// Start `wsprobe ARGV` (listen mode has no URL) in a history
    /// directory of its own.
    pub(crate) fn spawn_listen(argv: &[&str]) -> Pty {
        let state = tempfile::tempdir().expect("tempdir");
        let mut pty = Pty::spawn_argv(state.path(), argv, Path::new("/dev/null"));
        pty._state = Some(state);
        pty
    }

    fn spawn_argv(state: &Path, argv: &[&str], inputrc: &Path) -> Pty {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsprobe"));
        cmd.args(argv);
        for var in SCRUBBED_ENV {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm")
            .env("XDG_STATE_HOME", state)
            .env("HOME", state)
            .env("INPUTRC", inputrc);
        let mut session = Session::spawn(cmd).expect("spawn wsprobe in a pty");
        session
            .get_process_mut()
            .set_window_size(200, 50)
            .expect("window size");
        Pty {
            session,
            seen: String::new(),
            cursor: 0,
            _state: None,
        }
    }

    /// Read what is there now. False at end of output.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.session.try_read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                self.seen.push_str(&strip_ansi(&text));
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
                true
            }
            Err(e) => panic!("reading the pty: {e}"),
        }
    }

    /// Wait for `needle` after the previous match; return the text up to
    /// and including it.
    pub(crate) fn expect(&mut self, needle: &str) -> String {
        let end = Instant::now() + EXPECT;
        loop {
            if let Some(i) = self.seen[self.cursor..].find(needle) {
                let upto = self.cursor + i + needle.len();
                let text = self.seen[self.cursor..upto].to_string();
                self.cursor = upto;
                return text;
            }
            let open = self.pump();
            if Instant::now() > end || !open {
                let why = if open { "in time" } else { "before it exited" };
                panic!(
                    "wsprobe never showed {needle:?} {why} (limit {EXPECT:?}); the screen:\n{}",
                    self.seen
                );
            }
        }
    }

    /// Start `wsprobe --color never ARGS URL` and wait for the first prompt.
    fn open(url: &str, args: &[&str]) -> Pty {
        let mut all = vec!["--color", "never"];
        all.extend_from_slice(args);
        let mut pty = Pty::spawn(url, &all);
        pty.expect("open> ");
        pty
    }

    /// Ctrl-D, and wsprobe exits with status 0.
    fn ctrl_d_exits_cleanly(&mut self) {
        self.keys("\x04");
        assert_eq!(self.exit_code(), 0, "the screen:\n{}", self.seen);
    }

    /// Keys, as typed.
    pub(crate) fn keys(&mut self, keys: &str) {
        self.session.write_all(keys.as_bytes()).expect("type");
        self.session.flush().expect("flush");
    }

    /// A line and Enter.
    pub(crate) fn line(&mut self, line: &str) {
        self.keys(&format!("{line}\r"));
    }

    /// Wait for wsprobe to exit and return its status.
    pub(crate) fn exit_code(&mut self) -> i32 {
        let end = Instant::now() + EXIT;
        while self.pump() {
            assert!(
                Instant::now() < end,
                "wsprobe did not exit; the screen:\n{}",
                self.seen
            );
        }
        loop {
            match self.session.get_process().status().expect("waitpid") {
                WaitStatus::Exited(_, code) => return code,
                WaitStatus::StillAlive if Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                other => panic!("wsprobe did not exit normally: {other:?}\n{}", self.seen),
            }
        }
    }

    /// wsprobe gave the terminal back in the mode it found it: cooked, with
    /// CR read as LF and signal keys (the pty's master reads the settings
    /// of its slave, even after wsprobe has exited).
    pub(crate) fn assert_terminal_restored(&self) {
        use std::os::fd::AsRawFd;
        let fd = self.session.get_stream().as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is the open master of the pty.
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0, "tcgetattr");
        for (on, name) in [
            (t.c_lflag & libc::ICANON, "ICANON"),
            (t.c_lflag & libc::ISIG, "ISIG"),
            (t.c_lflag & libc::IEXTEN, "IEXTEN"),
            (t.c_iflag & libc::ICRNL, "ICRNL"),
        ] {
            assert_ne!(on, 0, "{name} is off after wsprobe exited");
        }
    }
}

/// Remove CSI and OSC escape sequences and other two-byte escapes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                for c in chars.by_ref() {
                    if c == '\x07' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What an [`echo_recorder`] saw.
#[derive(Debug, Default)]
struct Seen {
    /// Data messages, pings and pongs, in order.
    messages: Vec<Message>,
    /// The client's Close frame: code and reason.
    close: Option<(u16, String)>,
}

/// Echoes data messages and records everything until the client closes;
/// `before` runs first (after the handshake).
fn echo_recorder_with(
    before: impl FnOnce(&mut WebSocket<TcpStream>) + Send + 'static,
) -> (WsServer, mpsc::Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        before(ws);
        let mut seen = Seen::default();
        loop {
            match ws.read() {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                    seen.messages.push(m.clone());
                    ws.send(m).expect("echo");
                }
                Ok(m @ (Message::Ping(_) | Message::Pong(_))) => seen.messages.push(m),
                Ok(Message::Close(frame)) => {
                    seen.close = frame.map(|f| (u16::from(f.code), f.reason.as_str().to_string()));
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => break,
                Err(_) if seen.close.is_some() => break,
                Err(e) => panic!("echo_recorder: connection ended before the client's Close: {e}"),
            }
        }
        tx.send(seen).expect("the test waits");
    });
    (server, rx)
}

fn echo_recorder() -> (WsServer, mpsc::Receiver<Seen>) {
    echo_recorder_with(|_| {})
}

fn seen(rx: &mpsc::Receiver<Seen>) -> Seen {
    rx.recv_timeout(FINISH_TIMEOUT).expect("the server reports")
}

/// The text messages the server saw.
fn texts(seen: &Seen) -> Vec<&str> {
    seen.messages.iter().map(text).collect()
}

fn text(m: &Message) -> &str {
    match m {
        Message::Text(t) => t.as_str(),
        other => panic!("expected text, got {other:?}"),
    }
}

#[test]
fn text_is_echoed_and_ctrl_d_closes_cleanly() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn(&server.url(), &["--color", "never"]);
    pty.expect("Connected to ws://127.0.0.1:");
    pty.expect("open> ");
    pty.line("hello there");
    pty.expect("< hello there");
    pty.keys("\x04");
    pty.expect("> close 1000 Normal Closure");
    pty.expect("< close 1000 Normal Closure");
    pty.expect("Closed cleanly (1000 Normal Closure, client initiated)");
    assert_eq!(pty.exit_code(), 0);
    pty.assert_terminal_restored();
    let s = seen(&rx);
    assert_eq!(texts(&s), ["hello there"]);
    assert_eq!(s.close, Some((1000, String::new())));
    server.finish();
}

#[test]
fn binary_base64_and_file_commands_send_binary_messages() {
    let (server, rx) = echo_recorder();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("blob.bin");
    std::fs::write(&file, [0u8, 1, 2, 254, 255]).expect("write");
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/binary 01 02 ff");
    pty.expect("> [binary 3 bytes] 01 02 ff");
    pty.expect("< [binary 3 bytes] 01 02 ff");
    pty.line("/base64 aGk=");
    pty.expect("< [binary 2 bytes] 68 69");
    pty.line(&format!("/file {}", file.display()));
    pty.expect("< [binary 5 bytes] 00 01 02 fe ff");
    pty.line("/quit");
    assert_eq!(pty.exit_code(), 0);
    let s = seen(&rx);
    let bins: Vec<Vec<u8>> = s
        .messages
        .iter()
        .map(|m| match m {
            Message::Binary(b) => b.to_vec(),
            other => panic!("expected binary, got {other:?}"),
        })
        .collect();
    assert_eq!(
        bins,
        [vec![1, 2, 0xff], b"hi".to_vec(), vec![0, 1, 2, 254, 255]]
    );
    server.finish();
}

#[test]
fn ping_shows_the_round_trip_time_of_its_pong() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/ping are you there");
    pty.expect("> ping \"are you there\"");
    let line = pty.expect(" ms)");
    assert!(
        line.contains("< pong \"are you there\" (rtt "),
        "the pong line names its rtt: {line:?}"
    );
    pty.line("/stats");
    pty.expect("pings: 1 sent, 1 answered; rtt min ");
    pty.ctrl_d_exits_cleanly();
    let s = seen(&rx);
    assert_eq!(
        s.messages,
        [Message::Ping(b"are you there".to_vec().into())]
    );
    server.finish();
}

#[test]
fn close_with_a_code_sends_it_and_exits_9() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/close 4000 done here");
    pty.expect("> close 4000 (private use) \"done here\"");
    pty.expect("< close 4000 (private use) \"done here\"");
    pty.expect("wsprobe: error: connection closed abnormally: 4000");
    assert_eq!(
        pty.exit_code(),
        9,
        "the table: a code other than 1000/1001 is 9"
    );
    assert_eq!(seen(&rx).close, Some((4000, "done here".into())));
    server.finish();
}

#[test]
fn tab_completes_a_command_name() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.keys("/pi\t");
    pty.expect("/ping");
    pty.line("x");
    pty.expect("> ping \"x\"");
    pty.expect("< pong \"x\" (rtt");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(seen(&rx).messages, [Message::Ping(b"x".to_vec().into())]);
    server.finish();
}

#[test]
fn a_message_arriving_mid_line_leaves_the_typed_text_intact() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (server, rx) = echo_recorder_with(move |ws| {
        go_rx
            .recv_timeout(FINISH_TIMEOUT)
            .expect("the test says go");
        ws.send(Message::Text("pushed by the server".into()))
            .expect("push");
    });
    let mut pty = Pty::open(&server.url(), &[]);
    pty.keys("half typ");
    pty.expect("half typ");
    go_tx.send(()).expect("server waits");
    pty.expect("< pushed by the server");
    // The prompt and the half-typed line are drawn again below it.
    pty.expect("open> half typ");
    pty.line("ed line");
    pty.expect("< half typed line");
    pty.ctrl_d_exits_cleanly();
    let s = seen(&rx);
    assert_eq!(texts(&s), ["half typed line"]);
    server.finish();
}

#[test]
fn history_is_written_without_secrets_and_reloaded() {
    let state = tempfile::tempdir().expect("tempdir");
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn_in(state.path(), &server.url(), &["--color", "never"]);
    pty.expect("open> ");
    pty.line("remembered line");
    pty.expect("< remembered line");
    pty.line("{\"token\": \"s3cret\"}");
    pty.expect("< {\"token\": \"s3cret\"}");
    pty.line(" leading space");
    pty.expect("<  leading space");
    pty.line("/ping saved");
    pty.expect("< pong \"saved\"");
    pty.ctrl_d_exits_cleanly();
    seen(&rx);
    server.finish();

    let file = state.path().join("wsprobe").join("history");
    let saved = std::fs::read_to_string(&file).expect("history file");
    assert!(saved.contains("remembered line\n"), "{saved}");
    assert!(saved.contains("/ping saved\n"), "{saved}");
    assert!(!saved.contains("s3cret"), "a secret was saved: {saved}");
    assert!(!saved.contains("leading space"), "{saved}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o077, 0, "the history is private: {mode:o}");

    // A new session finds the lines with Up.
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn_in(state.path(), &server.url(), &["--color", "never"]);
    pty.expect("open> ");
    pty.keys("\x1b[A");
    pty.expect("/ping saved");
    pty.keys("\x1b[A");
    pty.expect("remembered line");
    pty.keys("\r");
    pty.expect("< remembered line");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(text(&seen(&rx).messages[0]), "remembered line");
    server.finish();
}

#[test]
fn no_history_writes_no_file() {
    let state = tempfile::tempdir().expect("tempdir");
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn_in(
        state.path(),
        &server.url(),
        &["--color", "never", "--no-history"],
    );
    pty.expect("open> ");
    pty.line("not kept");
    pty.expect("< not kept");
    pty.ctrl_d_exits_cleanly();
    seen(&rx);
    server.finish();
    assert!(!state.path().join("wsprobe").exists());
}

#[test]
fn ctrl_c_clears_the_line_and_twice_on_an_empty_line_closes() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.keys("discarded");
    pty.expect("discarded");
    pty.keys("\x03");
    pty.line("kept");
    pty.expect("< kept");
    pty.keys("\x03");
    pty.expect("press Ctrl-C again");
    pty.keys("\x03");
    pty.expect("> close 1000 Normal Closure");
    assert_eq!(pty.exit_code(), 0);
    let s = seen(&rx);
    assert_eq!(texts(&s), ["kept"]);
    assert_eq!(s.close, Some((1000, String::new())));
    server.finish();
}

#[test]
fn a_malformed_command_is_one_error_line_and_the_session_goes_on() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/nope");
    pty.expect("error: unknown command /nope");
    pty.line("/close 1006");
    pty.expect("error: /close: 1006 may not be sent");
    pty.line("/binary 0g");
    pty.expect("error: 'g' (character 2) is not a hex digit");
    pty.line("/file /nonexistent/wsprobe-test");
    pty.expect("error: cannot read /nonexistent/wsprobe-test");
    pty.line("/text /still here");
    pty.expect("< /still here");
    pty.ctrl_d_exits_cleanly();
    let s = seen(&rx);
    assert_eq!(texts(&s), ["/still here"], "only the good line was sent");
    server.finish();
}

#[test]
fn the_server_closing_is_reported_with_code_name_and_reason() {
    let server = WsServer::start(|ws: &mut WebSocket<TcpStream>| {
        match ws.read() {
            Ok(Message::Text(t)) => assert_eq!(t.as_str(), "leave"),
            other => panic!("expected a text message, got {other:?}"),
        }
        close_script(1001, "maintenance")(ws);
    });
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("leave");
    pty.expect("< close 1001 Going Away \"maintenance\"");
    pty.expect("Closed cleanly (1001 Going Away, server initiated)");
    assert_eq!(pty.exit_code(), 0);
    server.finish();

    let server = WsServer::start(close_script(4321, "kicked"));
    let mut pty = Pty::spawn(&server.url(), &["--color", "never"]);
    pty.expect("< close 4321 (private use) \"kicked\"");
    pty.expect("wsprobe: error: connection closed abnormally: 4321");
    assert_eq!(pty.exit_code(), 9);
    pty.assert_terminal_restored();
    server.finish();
}

#[test]
fn data_messages_go_first_then_the_session_is_interactive() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn(
        &server.url(),
        &[
            "--color",
            "never",
            "-d",
            "first",
            "-d",
            "{\"n\":[1,2]}",
            "--pretty",
        ],
    );
    pty.expect("> first");
    pty.expect("< first");
    pty.expect("< {\r\n    \"n\": [\r\n      1,");
    pty.line("typed");
    pty.expect("< typed");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(texts(&seen(&rx)), ["first", "{\"n\":[1,2]}", "typed"]);
    server.finish();
}

#[test]
fn raw_frames_make_a_fragmented_message() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/frame text,nofin Hel");
    pty.expect("> frame TEXT len=3 \"Hel\"");
    pty.line("/frame cont lo");
    pty.expect("> frame CONT fin len=2 \"lo\"");
    pty.expect("< Hello");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(text(&seen(&rx).messages[0]), "Hello");
    server.finish();
}

#[test]
fn server_pings_are_answered_and_shown_with_verbose() {
    let (server, rx) = echo_recorder_with(|ws| {
        ws.send(Message::Ping(b"from server".to_vec().into()))
            .expect("ping");
        match ws.read() {
            Ok(Message::Pong(p)) => assert_eq!(&p[..], b"from server"),
            Ok(other) => panic!("expected the pong first, got {other:?}"),
            Err(e) => panic!("no pong: {e}"),
        }
    });
    let mut pty = Pty::spawn(&server.url(), &["--color", "never", "-v"]);
    pty.expect("< ping \"from server\" (answered)");
    pty.line("/verbose 0");
    pty.expect("* trace level 0");
    pty.ctrl_d_exits_cleanly();
    seen(&rx);
    server.finish();
}

#[test]
fn keepalive_pings_are_timed_in_the_repl() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn(
        &server.url(),
        &[
            "--color",
            "never",
            "-v",
            "--ping-interval",
            "0.05",
            // Loaded test machines can be slow to pong; this test is not
            // about the timeout, so it must not fire (it ends with exit 10).
            "--ping-timeout",
            "120",
        ],
    );
    pty.expect("> ping \"wsprobe 1\" (keepalive)");
    pty.expect("< pong \"wsprobe 1\" (rtt ");
    pty.ctrl_d_exits_cleanly();
    let s = seen(&rx);
    assert!(
        s.messages
            .iter()
            .any(|m| *m == Message::Ping(b"wsprobe 1".to_vec().into())),
        "{s:?}"
    );
    server.finish();
}

#[test]
fn colour_marks_sent_and_received_on_a_terminal() {
    let (server, rx) = echo_recorder();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsprobe"));
    let state = tempfile::tempdir().expect("tempdir");
    cmd.arg(server.url())
        .env("TERM", "xterm")
        .env("XDG_STATE_HOME", state.path())
        .env("INPUTRC", "/dev/null")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    let mut session = Session::spawn(cmd).expect("spawn");
    session.set_expect_timeout(Some(EXPECT));
    use expectrl::Expect as _;
    session.expect("open").expect("prompt");
    session.send("/binary 00\r").expect("type");
    // Green `>` for sent, cyan `<` for received.
    session.expect("\x1b[1m\x1b[32m>").expect("green marker");
    session.expect("\x1b[1m\x1b[36m<").expect("cyan marker");
    session.send("\x04").expect("ctrl-d");
    session.expect(expectrl::Eof).expect("exits");
    seen(&rx);
    server.finish();
}

#[test]
fn no_repl_on_a_terminal_sends_lines_as_typed() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn(&server.url(), &["--no-repl", "-c", "1"]);
    pty.line("plain");
    pty.expect("plain");
    assert_eq!(pty.exit_code(), 0);
    assert!(!pty.seen.contains("open>"), "no prompt: {}", pty.seen);
    assert_eq!(text(&seen(&rx).messages[0]), "plain");
    server.finish();
}

#[test]
fn interactive_flag_needs_a_terminal_on_stdin() {
    let out = wsprobe()
        .args(["-i", "ws://127.0.0.1:9/"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("-i: standard input is not a terminal"),
        "{err}"
    );
}

#[test]
fn keepalive_notices_a_dead_peer_in_pipe_mode() {
    let (release, hold) = mpsc::channel::<()>();
    let server = RawServer::start(move |mut s: TcpStream| {
        let (_head, key) = read_request_head(&mut s);
        let key = key.expect("a key");
        s.write_all(&response_101(&key, &[])).expect("101");
        // Read the pings and never answer, until the client gives up.
        let ping = read_frame(&mut s);
        assert_eq!(ping.opcode, 9, "a keepalive ping");
        let _ = hold.recv_timeout(FINISH_TIMEOUT);
    });
    let started = Instant::now();
    let out = wsprobe()
        .args([
            &server.url(),
            "-n",
            "-w",
            "30",
            "--ping-interval",
            "0.2",
            "--ping-timeout",
            "0.3",
        ])
        .output()
        .expect("runs");
    release.send(()).expect("server waits");
    assert_eq!(out.status.code(), Some(10), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no pong answered a keepalive ping"), "{err}");
    assert!(err.contains("hint: raise --ping-timeout"), "{err}");
    // The keepalive ended it (about 0.5 s in), not -w 30; the margin is
    // for loaded test machines.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    server.finish();
}

#[test]
fn timestamps_prefix_the_trace_and_pretty_indents_json_in_pipe_mode() {
    let server = WsServer::start(send_and_close(vec![Message::Text(
        "{\"a\":[1,{\"b\":null}]}".into(),
    )]));
    let out = wsprobe()
        .args([
            &server.url(),
            "-n",
            "-v",
            "--timestamps",
            "--pretty",
            "--deterministic",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.is_empty());
    for line in err.lines() {
        assert!(line.starts_with("[  0.000000] "), "unstamped: {line:?}");
    }
    server.finish();
}

#[test]
fn the_close_is_shown_even_while_ctrl_r_search_holds_the_prompt() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        match ws.read() {
            Ok(Message::Text(t)) => assert_eq!(t.as_str(), "searchable"),
            other => panic!("expected a text message, got {other:?}"),
        }
        go_rx
            .recv_timeout(FINISH_TIMEOUT)
            .expect("the test says go");
        close_script(1000, "while searching")(ws);
    });
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("searchable");
    pty.keys("\x12sea");
    pty.expect("(reverse-i-search)`sea': searchable");
    go_tx.send(()).expect("server waits");
    // The editor shows nothing new while it searches; the lines it never
    // took are printed once it has been stopped.
    pty.expect("< close 1000 Normal Closure \"while searching\"");
    pty.expect("Closed cleanly (1000 Normal Closure, server initiated)");
    assert_eq!(pty.exit_code(), 0);
    server.finish();
}

#[test]
fn a_pasted_block_is_one_message_however_long() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    let long = "x".repeat(6000) + "END";
    // Bracketed paste, as a terminal sends it: a long line, then two lines.
    pty.keys(&format!("\x1b[200~{long}\x1b[201~\r"));
    pty.expect("xEND");
    pty.keys("\x1b[200~{\r\n  \"a\": 1\r\n}\x1b[201~\r");
    pty.expect("< {\r\n    \"a\": 1");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(texts(&seen(&rx)), [long.as_str(), "{\n  \"a\": 1\n}"]);
    server.finish();
}

/// Keys typed while the REPL is busy between two lines reach the editor
/// exactly as typed. Regression: the terminal went back to the line
/// discipline's cooked mode between lines, so type-ahead had CR turned into
/// LF (a pasted block gained blank lines), Ctrl-D turned into a NUL (the REPL
/// never closed) and the keys echoed. Here the REPL is held between lines by
/// a `/file` read of a FIFO that the test opens only after typing ahead.
#[test]
fn keys_typed_while_the_repl_is_busy_reach_the_editor_unchanged() {
    let (server, rx) = echo_recorder();
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("slow");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line(&format!("/file {}", fifo.display()));
    // Opening the FIFO for writing succeeds once wsprobe has opened it for
    // reading: the editor has returned the line and the REPL is busy.
    let end = Instant::now() + EXPECT;
    let mut writer = loop {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
        {
            Ok(f) => break f,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) && Instant::now() < end => {
                assert!(pty.pump(), "wsprobe exited; the screen:\n{}", pty.seen);
            }
            Err(e) => panic!(
                "wsprobe never opened the FIFO: {e}; the screen:\n{}",
                pty.seen
            ),
        }
    };
    pty.keys("\x1b[200~{\r\n  \"a\": 1\r\n}\x1b[201~\r\x04");
    writer.write_all(&[1, 2, 3]).expect("write the FIFO");
    drop(writer);
    pty.expect("< [binary 3 bytes] 01 02 03");
    assert_eq!(
        pty.exit_code(),
        0,
        "Ctrl-D closed; the screen:\n{}",
        pty.seen
    );
    pty.assert_terminal_restored();
    let s = seen(&rx);
    assert_eq!(
        s.messages,
        [
            Message::Binary(vec![1, 2, 3].into()),
            Message::Text("{\n  \"a\": 1\n}".into())
        ]
    );
    assert_eq!(s.close, Some((1000, String::new())));
    server.finish();
}

#[test]
fn vi_keys_when_the_readline_init_file_asks() {
    let state = tempfile::tempdir().expect("tempdir");
    let inputrc = state.path().join("inputrc");
    std::fs::write(&inputrc, "set editing-mode vi\n").expect("write");
    let (server, rx) = echo_recorder();
    let mut pty = Pty::spawn_with(state.path(), &server.url(), &["--color", "never"], &inputrc);
    pty.expect("open> ");
    // Insert "world", Escape to command mode, 0 to the start, i to insert.
    pty.keys("world\x1b");
    pty.keys("0ihello \r");
    pty.expect("< hello world");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(texts(&seen(&rx)), ["hello world"]);
    server.finish();
}

#[test]
fn pong_sends_an_unsolicited_pong() {
    let (server, rx) = echo_recorder();
    let mut pty = Pty::open(&server.url(), &[]);
    pty.line("/pong unasked");
    pty.expect("> pong \"unasked\"");
    pty.ctrl_d_exits_cleanly();
    assert_eq!(
        seen(&rx).messages,
        [Message::Pong(b"unasked".to_vec().into())]
    );
    server.finish();
}
